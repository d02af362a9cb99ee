#!/usr/bin/env node
// webhook-reach.js: which Pods reach the webhook, decided the way the apiserver decides it,
// from the chart's rendered MutatingWebhookConfiguration, independently of the chart and of
// the C code.
//
// For every row of a table (tests/deploy/reach-table.json: namespace name, namespace labels,
// Pod labels, optional Pod metadata) and every variant (a set of `helm template` arguments),
// every webhook entry of the rendered MutatingWebhookConfiguration is evaluated as
// k8s.io/apiserver's webhook matcher does for a Pod CREATE:
//   1. rules: operations/apiGroups/apiVersions/resources/scope (matchPolicy Equivalent: v1 Pods);
//   2. namespaceSelector against the namespace's labels, which always include
//      kubernetes.io/metadata.name=<name> (set by the apiserver since 1.21);
//   3. objectSelector against the Pod's labels (CREATE: no oldObject);
//   4. matchConditions, each a CEL expression evaluated by a real CEL evaluator
//      (@bufbuild/cel) with `object`, `oldObject` and `request`, as
//      k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions does: every condition is
//      evaluated; one false means the webhook is not called (errors then do not matter);
//      otherwise an error means the webhook is not called (failurePolicy Ignore) or the
//      request fails (Fail); all true means it is called.
// LabelSelector semantics (k8s.io/apimachinery/pkg/apis/meta/v1 LabelSelectorAsSelector):
// matchLabels k=v means "k In (v)"; In: the key exists and its value is listed; NotIn: the key
// is absent or its value is not listed; Exists / DoesNotExist: the key is (not) present;
// In/NotIn need a non-empty values list, Exists/DoesNotExist an empty one (otherwise the
// object is invalid); requirements AND together; an empty or absent selector matches all.
//
// Asserts for each row: whether it reaches the webhook equals the table's expectation, and
// that no Pod reaches more than one entry (it would be mutated twice).
// Usage: webhook-reach.js TABLE.json   (HELM, CHART, PY from the environment)
// Output: one line per (variant, row); exit 0 when all agree, 1 otherwise, 2 on bad input.
"use strict";
const fs = require("fs");
const { spawnSync } = require("child_process");
const { run, isCelError } = require("@bufbuild/cel");

function die(msg) {
    console.error(`webhook-reach: ${msg}`);
    process.exit(2);
}

// ---- LabelSelector ---------------------------------------------------------------------
function requirement(labels, req, where) {
    const { key, operator } = req;
    const values = req.values || [];
    if (typeof key !== "string" || !key) throw new Error(`${where}: requirement without a key`);
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    switch (operator) {
        case "In":
        case "NotIn":
            if (values.length === 0) throw new Error(`${where}: ${operator} needs values`);
            return operator === "In" ? has && values.includes(labels[key]) : !has || !values.includes(labels[key]);
        case "Exists":
        case "DoesNotExist":
            if (values.length !== 0) throw new Error(`${where}: ${operator} takes no values`);
            return operator === "Exists" ? has : !has;
        default:
            throw new Error(`${where}: unknown operator ${operator}`);
    }
}

function selectorMatches(selector, labels, where) {
    if (selector === undefined || selector === null) return true;
    const reqs = [];
    for (const [k, v] of Object.entries(selector.matchLabels || {})) reqs.push({ key: k, operator: "In", values: [v] });
    for (const r of selector.matchExpressions || []) reqs.push(r);
    return reqs.every((r) => requirement(labels, r, where));
}

// ---- rules -------------------------------------------------------------------------------
// attrs: {operation, group, version, resource} of the request (default: a v1 Pod CREATE).
const POD_CREATE = { operation: "CREATE", group: "", version: "v1", resource: "pods" };
function ruleMatches(rule, attrs = POD_CREATE) {
    const inList = (list, v) => (list || []).includes("*") || (list || []).includes(v);
    const scope = rule.scope || "*";
    return inList(rule.operations, attrs.operation) && inList(rule.apiGroups, attrs.group) &&
        inList(rule.apiVersions, attrs.version) && inList(rule.resources, attrs.resource) &&
        (scope === "*" || scope === "Namespaced");
}

// ---- CEL ---------------------------------------------------------------------------------
function toCel(v) {
    if (Array.isArray(v)) return v.map(toCel);
    if (v && typeof v === "object") return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
    if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
    return v;
}

// One condition: {value: bool} or {error: text}.
function evalCondition(c, vars) {
    let r;
    try {
        r = run(c.expression, vars);
    } catch (e) {
        return { error: `${c.name}: ${e.message}` };
    }
    if (isCelError(r)) return { error: `${c.name}: ${r.message}` };
    if (typeof r !== "boolean") return { error: `${c.name}: not a bool (${typeof r})` };
    return { value: r };
}

// All conditions of an entry, with the apiserver's rule: a false wins over errors.
// object, oldObject, request: plain JSON (null for an absent object).
function matchConditionsPass(conditions, object, oldObject, request) {
    const vars = { object: toCel(object), oldObject: toCel(oldObject), request: toCel(request) };
    const errors = [];
    for (const c of conditions || []) {
        const r = evalCondition(c, vars);
        if (r.error) errors.push(r.error);
        else if (!r.value) return { pass: false, error: null };
    }
    if (errors.length) return { pass: false, error: errors.join("; ") };
    return { pass: true, error: null };
}

function conditionsPass(conditions, pod, namespace) {
    const request = {
        operation: "CREATE", namespace, name: pod.metadata.name || "",
        kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" },
        userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller" }, dryRun: false,
    };
    return matchConditionsPass(conditions, pod, null, request);
}

// ---- one webhook entry --------------------------------------------------------------------
function reaches(hook, row) {
    const where = `webhook ${hook.name}`;
    if (!(hook.rules || []).some((r) => ruleMatches(r))) return { hit: false };
    const nsLabels = { ...(row.namespaceLabels || {}), "kubernetes.io/metadata.name": row.namespace };
    if (!selectorMatches(hook.namespaceSelector, nsLabels, `${where} namespaceSelector`)) return { hit: false };
    const pod = { apiVersion: "v1", kind: "Pod", ...(row.pod || {}) };
    pod.metadata = { name: "p", namespace: row.namespace, ...((row.pod || {}).metadata || {}), labels: row.podLabels || {} };
    pod.spec = pod.spec || { containers: [{ name: "app", image: "x", resources: { limits: { memory: "512Mi" } } }] };
    if (!selectorMatches(hook.objectSelector, pod.metadata.labels, `${where} objectSelector`)) return { hit: false };
    const c = conditionsPass(hook.matchConditions, pod, row.namespace);
    if (c.error) return { hit: false, error: c.error, rejects: hook.failurePolicy === "Fail" };
    return { hit: c.pass };
}

// ---- main ---------------------------------------------------------------------------------
// The one object of `kind` in the chart rendered with `args` (helm template), or in the
// rendered file `args.manifest` when args is {manifest: FILE}.
function renderKind(args, namespace, kind) {
    const py = process.env.PY || "/usr/bin/python3";
    let yaml;
    if (!Array.isArray(args)) {
        if (!args || typeof args.manifest !== "string") die("a variant is a list of helm arguments or {manifest: FILE}");
        yaml = fs.readFileSync(args.manifest, "utf8");
    } else {
        const helm = process.env.HELM, chart = process.env.CHART;
        if (!helm || !chart) die("HELM and CHART must be set");
        const r = spawnSync(helm, ["template", "gmw", chart, "--namespace", namespace, "--skip-tests",
            "--show-only", "templates/mutatingwebhookconfiguration.yaml",
            "--show-only", "templates/validatingwebhookconfiguration.yaml", ...args], { encoding: "utf8" });
        if (r.status !== 0) die(`helm template ${args.join(" ")}: ${r.stderr}`);
        yaml = r.stdout;
    }
    const j = spawnSync(py, [`${__dirname}/yaml2json.py`], { input: yaml, encoding: "utf8" });
    if (j.status !== 0) die(`yaml2json: ${j.stderr}`);
    const objs = JSON.parse(j.stdout).filter((o) => o && o.kind === kind);
    if (objs.length !== 1) die(`expected one ${kind}, got ${objs.length}`);
    return objs[0];
}

function render(args, namespace) {
    return renderKind(args, namespace, "MutatingWebhookConfiguration");
}

// Every entry of a rendered configuration judged for one row by reachFn(entry, row) ->
// {hit, error}: the names of the entries it reaches and the CEL errors met on the way.
function judgeEntries(config, row, reachFn) {
    const results = config.webhooks.map((h) => ({ name: h.name, ...reachFn(h, row) }));
    return {
        hits: results.filter((r) => r.hit).map((r) => r.name),
        errors: results.filter((r) => r.error).map((r) => `${r.name}: ${r.error}`),
    };
}

function main() {
    if (process.argv.length !== 3) die("usage: webhook-reach.js TABLE.json");
    const table = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
    let failures = 0, checks = 0;
    for (const [variant, args] of Object.entries(table.variants)) {
        const mwc = render(args, table.releaseNamespace);
        for (const row of table.rows) {
            if (!(variant in row.expect)) continue;
            const want = row.expect[variant];
            let hits, errors = [];
            try {
                ({ hits, errors } = judgeEntries(mwc, row, reaches));
            } catch (e) {
                console.log(`FAIL ${variant}: ${row.name}: ${e.message}`);
                failures++;
                continue;
            }
            checks++;
            const got = hits.length > 0;
            let ok = got === want && hits.length <= 1;
            if (want === "error") ok = errors.length > 0 && hits.length === 0;
            const desc = `${variant}: ${row.name}: ${hits.length ? "reaches " + hits.join(", ") : "not sent"}` +
                (errors.length ? ` (CEL error: ${errors.join("; ")})` : "");
            if (ok) console.log(`ok   ${desc}`);
            else {
                failures++;
                console.log(`FAIL ${desc}; expected ${want === "error" ? "a CEL error" : want ? "exactly one entry" : "not sent"}`);
            }
        }
    }
    console.log(`webhook-reach: ${checks - failures}/${checks} rows as expected`);
    process.exit(failures ? 1 : 0);
}

module.exports = { reaches, judgeEntries, selectorMatches, ruleMatches, matchConditionsPass, evalCondition, toCel, renderKind, die };
if (require.main === module) main();
