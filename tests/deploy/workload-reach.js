#!/usr/bin/env node
// workload-reach.js: which workloads reach the validating webhook (POST /validate), decided
// the way the apiserver decides it, from the chart's rendered ValidatingWebhookConfiguration,
// independently of the chart and of the C code.
//
// For every row of a table (tests/deploy/workload-reach-table.json: namespace name and labels,
// workload kind, the workload's own labels, its pod template's labels, operation) and every
// variant (a list of `helm template` arguments, or {"manifest": FILE} for a rendered file),
// every entry of the rendered ValidatingWebhookConfiguration is evaluated as
// k8s.io/apiserver's webhook matcher does:
//   1. rules: operation, apiGroup, apiVersion, resource of the workload (matchPolicy
//      Equivalent, the v1 kinds);
//   2. namespaceSelector against the namespace's labels + kubernetes.io/metadata.name;
//   3. objectSelector against the WORKLOAD's labels (for UPDATE: the new or the old object);
//   4. matchConditions by a real CEL evaluator (@bufbuild/cel), `object` bound to the
//      workload as JSON (after the apiserver's conversion, a pod template's metadata carries
//      `creationTimestamp: null`), `oldObject` to the old workload (UPDATE) or null, `request`
//      to the AdmissionRequest fields (webhook-reach.js: a false wins over errors).
// Asserts per row: reaches /validate (exactly one entry) or not, or a CEL error, as the table
// says. For the variants listed in `agreesWithPods`, also: the workload reaches /validate
// exactly when a Pod with its template's labels, in the same namespace, reaches /mutate by
// the rendered MutatingWebhookConfiguration (webhook-reach.js, label selectors evaluated in
// JavaScript): the preview is shown for the workloads whose Pods will be mutated.
// Then, for every entry, each condition is evaluated on workloads with parts missing (no
// object as on DELETE, no spec, template, metadata or labels, for both template paths): it
// must give a bool, never an error, equal to the entry's Pod objectSelector on no labels.
// Usage: workload-reach.js TABLE.json   (HELM, CHART, PY from the environment)
// Output: one line per check; exit 0 when all agree, 1 otherwise, 2 on bad input.
"use strict";
const fs = require("fs");
const { reaches, judgeEntries, selectorMatches, ruleMatches, matchConditionsPass, evalCondition, toCel, renderKind, die } =
    require("./webhook-reach.js");

// kind -> [apiVersion group, resource]
const KINDS = {
    Deployment: ["apps", "deployments"],
    StatefulSet: ["apps", "statefulsets"],
    DaemonSet: ["apps", "daemonsets"],
    ReplicaSet: ["apps", "replicasets"],
    Job: ["batch", "jobs"],
    CronJob: ["batch", "cronjobs"],
    ReplicationController: ["", "replicationcontrollers"],
    Pod: ["", "pods"],
};

const POD_SPEC = { containers: [{ name: "app", image: "x", resources: { limits: { memory: "512Mi" } } }] };

// A pod template with `labels` (null: no labels member; the string "no-metadata": no metadata).
function podTemplate(labels) {
    if (labels === "no-metadata") return { spec: POD_SPEC };
    const metadata = { creationTimestamp: null };
    if (labels !== null && labels !== undefined) metadata.labels = labels;
    return { metadata, spec: POD_SPEC };
}

// The workload object the apiserver hands to the webhook for a row (as JSON).
function workload(kind, row, templateLabels) {
    const [group, resource] = KINDS[kind] || die(`unknown kind ${kind}`);
    void resource;
    const metadata = { name: "w", namespace: row.namespace };
    if (row.workloadLabels) metadata.labels = row.workloadLabels;
    if (row.workloadAnnotations) metadata.annotations = row.workloadAnnotations;
    const obj = { apiVersion: group ? `${group}/v1` : "v1", kind, metadata };
    const tmpl = podTemplate(templateLabels);
    switch (kind) {
        case "CronJob": {
            const jobTemplate = { spec: { template: tmpl } };
            if (row.jobLabels) jobTemplate.metadata = { labels: row.jobLabels };
            obj.spec = { schedule: "*/5 * * * *", jobTemplate };
            break;
        }
        case "Job":
            obj.spec = { template: tmpl };
            break;
        case "Pod":
            Object.assign(obj.metadata, tmpl.metadata || {});
            obj.spec = POD_SPEC;
            break;
        default:
            obj.spec = { selector: { matchLabels: { app: "w" } }, template: tmpl };
    }
    return obj;
}

function request(kind, row, operation) {
    const [group, resource] = KINDS[kind];
    const gvk = { group, version: "v1", kind }, gvr = { group, version: "v1", resource };
    return {
        uid: "00000000-0000-0000-0000-000000000000", kind: gvk, resource: gvr, requestKind: gvk,
        requestResource: gvr, subResource: "", name: "w", namespace: row.namespace, operation,
        userInfo: { username: "alice", groups: ["system:authenticated"] }, dryRun: true,
    };
}

// One entry of the ValidatingWebhookConfiguration for one row.
function workloadReaches(hook, row) {
    const where = `webhook ${hook.name}`;
    const kind = row.kind;
    const operation = row.operation || "CREATE";
    const [group, resource] = KINDS[kind] || die(`row ${row.name}: unknown kind ${kind}`);
    if (!(hook.rules || []).some((r) => ruleMatches(r, { operation, group, version: "v1", resource }))) return { hit: false };
    const nsLabels = { ...(row.namespaceLabels || {}), "kubernetes.io/metadata.name": row.namespace };
    if (!selectorMatches(hook.namespaceSelector, nsLabels, `${where} namespaceSelector`)) return { hit: false };
    const object = workload(kind, row, row.templateLabels);
    const oldObject = operation === "UPDATE" ? workload(kind, row, row.oldTemplateLabels) : null;
    // objectSelector: the new object's labels, or (UPDATE) the old object's.
    const objSel = (o) => selectorMatches(hook.objectSelector, (o && o.metadata.labels) || {}, `${where} objectSelector`);
    if (!objSel(object) && !(oldObject && objSel(oldObject))) return { hit: false };
    const c = matchConditionsPass(hook.matchConditions, object, oldObject, request(kind, row, operation));
    if (c.error) return { hit: false, error: c.error };
    return { hit: c.pass };
}

// Does a Pod created from the row's template reach the Pod webhook (any MWC entry)?
function podReaches(mwc, row) {
    const labels = row.templateLabels && typeof row.templateLabels === "object" ? row.templateLabels : {};
    const podRow = { namespace: row.namespace, namespaceLabels: row.namespaceLabels, podLabels: labels };
    return mwc.webhooks.some((h) => reaches(h, podRow).hit);
}

// Workloads with parts missing: [description, object]; the label map they amount to is {}.
const DEGENERATE = [
    ["no object (DELETE)", null],
    ["no spec", { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "w" } }],
    ["spec without template", { kind: "ReplicaSet", metadata: { name: "w" }, spec: { replicas: 0 } }],
    ["template without metadata", { kind: "Job", metadata: { name: "w" }, spec: { template: { spec: POD_SPEC } } }],
    ["template metadata without labels", { kind: "Job", metadata: { name: "w" }, spec: { template: { metadata: {} } } }],
    ["template metadata creationTimestamp null only", { kind: "Job", metadata: { name: "w" },
        spec: { template: { metadata: { creationTimestamp: null }, spec: POD_SPEC } } }],
    ["CronJob jobTemplate without spec", { kind: "CronJob", metadata: { name: "w" }, spec: { jobTemplate: {} } }],
    ["CronJob jobTemplate.spec without template", { kind: "CronJob", metadata: { name: "w" }, spec: { jobTemplate: { spec: {} } } }],
    ["CronJob template without metadata", { kind: "CronJob", metadata: { name: "w" },
        spec: { jobTemplate: { spec: { template: { spec: POD_SPEC } } } } }],
    ["CronJob template metadata without labels", { kind: "CronJob", metadata: { name: "w" },
        spec: { jobTemplate: { metadata: { labels: { "gomemlimit.io/inject": "true" } }, spec: { template: { metadata: {} } } } } }],
];

function main() {
    if (process.argv.length !== 3) die("usage: workload-reach.js TABLE.json");
    const table = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
    const agrees = new Set(table.agreesWithPods || []);
    let failures = 0, checks = 0;
    for (const [variant, args] of Object.entries(table.variants)) {
        const vwc = renderKind(args, table.releaseNamespace, "ValidatingWebhookConfiguration");
        const mwc = renderKind(args, table.releaseNamespace, "MutatingWebhookConfiguration");
        for (const row of table.rows) {
            if (!(variant in row.expect)) continue;
            const want = row.expect[variant];
            let hits, errors;
            try {
                ({ hits, errors } = judgeEntries(vwc, row, workloadReaches));
            } catch (e) {
                console.log(`FAIL ${variant}: ${row.name}: ${e.message}`);
                failures++;
                continue;
            }
            checks++;
            let ok = want === "error" ? errors.length > 0 && hits.length === 0
                : (hits.length > 0) === want && hits.length <= 1 && errors.length === 0;
            let pods = "";
            if (agrees.has(variant) && row.kind !== "Pod") {
                const p = podReaches(mwc, row);
                pods = p ? "; its Pods reach /mutate" : "; its Pods do not reach /mutate";
                if (p !== hits.length > 0) ok = false;
            }
            const desc = `${variant}: ${row.name}: ${hits.length ? "reaches " + hits.join(", ") : "not sent"}` +
                (errors.length ? ` (CEL error: ${errors.join("; ")})` : "") + pods;
            if (ok) console.log(`ok   ${desc}`);
            else {
                failures++;
                console.log(`FAIL ${desc}; expected ${want === "error" ? "a CEL error" : want ? "exactly one entry" : "not sent"}` +
                    (pods ? " and the same answer as for its Pods" : ""));
            }
        }
        // Degenerate objects: every condition gives a bool, the one no labels give.
        for (const [i, hook] of vwc.webhooks.entries()) {
            const podSel = ((mwc.webhooks[i] || {}).objectSelector);
            const want = selectorMatches(podSel, {}, `MWC entry ${i} objectSelector`);
            for (const cond of hook.matchConditions || []) {
                if (cond.name !== table.templateCondition) continue;
                for (const [what, obj] of DEGENERATE) {
                    checks++;
                    const r = evalCondition(cond, { object: toCel(obj), oldObject: null, request: toCel({ operation: "CREATE" }) });
                    const desc = `${variant}: ${hook.name} ${cond.name} on ${what}: ${r.error ? "CEL error: " + r.error : r.value}`;
                    if (!r.error && r.value === want) console.log(`ok   ${desc}`);
                    else {
                        failures++;
                        console.log(`FAIL ${desc}; expected ${want} (the Pod objectSelector on no labels)`);
                    }
                }
            }
        }
    }
    console.log(`workload-reach: ${checks - failures}/${checks} checks as expected`);
    process.exit(failures ? 1 : 0);
}

main();
