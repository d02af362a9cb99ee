#!/usr/bin/env node
// validate-manifests.js: validate Kubernetes objects, independently of the chart.
//
// Input: a JSON array of objects on stdin (tests/deploy/yaml2json.py turns multi-document
// YAML into that). For every object:
//   - built-in kinds: the JSON schema of npm kubernetes-models@4 (required fields, enums,
//     formats such as quantities), plus a strict check that every field name exists in the
//     model's type definitions (the schemas themselves accept unknown fields, and the
//     apiserver silently drops them, which hides typos);
//   - CRDs the package does not cover (cert-manager.io, monitoring.coreos.com ServiceMonitor and
//     PrometheusRule): a structural
//     check of required and allowed fields written here from the CRDs' documented shape;
//   - anything else is an error: an object nobody checked is not "valid".
// Output: one line per object; exit 0 when all are valid, 1 otherwise, 2 on bad input.
// Needs NODE_PATH (or cwd) to reach .tools/node/node_modules.
"use strict";
const fs = require("fs");
const path = require("path");

function readStdin() {
    return fs.readFileSync(0, "utf8");
}

// ---- strict field names from the .d.ts files ----------------------------------------
const dtsCache = new Map();

// The directory of an installed package (packages with "exports" hide package.json from
// require.resolve, so look through the module search paths directly).
function packageDir(name) {
    for (const dir of require.resolve.paths(name) || []) {
        const candidate = path.join(dir, name);
        if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    }
    throw new Error(`package ${name} not found (set NODE_PATH to .tools/node/node_modules)`);
}

function resolveDts(fromFile, spec) {
    let base;
    if (spec.startsWith(".")) base = path.resolve(path.dirname(fromFile), spec);
    else {
        const parts = spec.split("/");
        const n = spec.startsWith("@") ? 2 : 1;
        base = path.join(packageDir(parts.slice(0, n).join("/")), ...parts.slice(n));
    }
    return base + ".d.ts";
}

// Parse the first exported interface of a .d.ts file: { props: {name: typeText}, imports }.
function parseDts(file) {
    if (dtsCache.has(file)) return dtsCache.get(file);
    const text = fs.readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
    const imports = {};
    for (const m of text.matchAll(/import \{ ([^}]+) \} from "([^"]+)";/g))
        for (const name of m[1].split(",").map((s) => s.trim())) imports[name] = resolveDts(file, m[2]);
    let result = null;
    const start = text.search(/export interface \w+( extends [\w, ]+)? \{/);
    if (start >= 0) {
        let i = text.indexOf("{", start) + 1, depth = 1;
        const bodyStart = i;
        while (depth > 0 && i < text.length) {
            if (text[i] === "{") depth++;
            else if (text[i] === "}") depth--;
            i++;
        }
        result = { props: splitProps(text.slice(bodyStart, i - 1)), imports };
    }
    dtsCache.set(file, result);
    return result;
}

function splitProps(body) {
    const props = {};
    let i = 0;
    while (i < body.length) {
        const m = /"([^"]+)"\??:\s*/y;
        m.lastIndex = i;
        const hit = m.exec(body);
        if (!hit) { i++; continue; }
        let j = m.lastIndex, depth = 0;
        while (j < body.length && !(depth === 0 && body[j] === ";")) {
            if ("{<(".includes(body[j])) depth++;
            else if ("}>)".includes(body[j])) depth--;
            j++;
        }
        props[hit[1]] = body.slice(m.lastIndex, j).trim();
        i = j + 1;
    }
    return props;
}

// Check value against type text (in the context of dts file info); push unknown fields.
function strictCheck(value, typeText, info, where, errors) {
    if (value === null || typeof value !== "object") return;
    typeText = typeText.trim();
    let m;
    if ((m = /^Array<([\s\S]+)>$/.exec(typeText))) {
        if (Array.isArray(value)) value.forEach((v, k) => strictCheck(v, m[1], info, `${where}/${k}`, errors));
        return;
    }
    if ((m = /^\{\s*\[key: string\]:\s*([\s\S]+?);?\s*\}$/.exec(typeText))) {
        for (const [k, v] of Object.entries(value)) strictCheck(v, m[1], info, `${where}/${k}`, errors);
        return;
    }
    if (/^I\w+$/.test(typeText) && info.imports[typeText]) {
        const sub = parseDts(info.imports[typeText]);
        if (sub) strictObject(value, sub, where, errors);
    }
}

function strictObject(obj, info, where, errors) {
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return;
    for (const [k, v] of Object.entries(obj)) {
        if (!(k in info.props)) {
            errors.push(`${where || "/"}: unknown field "${k}"`);
            continue;
        }
        strictCheck(v, info.props[k], info, `${where}/${k}`, errors);
    }
}

// ---- built-in kinds ----------------------------------------------------------------
function modelFor(apiVersion, kind) {
    const groupPath = apiVersion === "v1" ? "v1" : apiVersion;
    let mod;
    try {
        mod = require(`kubernetes-models/${groupPath}`);
    } catch (e) {
        return null;
    }
    if (!mod[kind]) return null;
    const dts = path.join(packageDir("kubernetes-models"), groupPath, `${kind}.d.ts`);
    return { Model: mod[kind], dts };
}

// ---- CRDs: structural checks ---------------------------------------------------------
// Each spec: {required: [...], allowed: {field: nested spec | true}} on `spec`.
const issuerRef = { required: ["name"], allowed: { name: true, kind: ["Issuer", "ClusterIssuer"], group: true } };
const secretKeySel = { required: ["name", "key"], allowed: { name: true, key: true, optional: true } };
const tlsSrc = { allowed: { secret: secretKeySel, configMap: secretKeySel } };
const CRDS = {
    "cert-manager.io/v1/Issuer": {
        spec: {
            oneOf: ["selfSigned", "ca", "acme", "vault", "venafi"],
            allowed: { selfSigned: { allowed: { crlDistributionPoints: true } },
                       ca: { required: ["secretName"], allowed: { secretName: true, crlDistributionPoints: true, ocspServers: true, issuingCertificateURLs: true } },
                       acme: true, vault: true, venafi: true },
        },
    },
    "cert-manager.io/v1/Certificate": {
        spec: {
            required: ["secretName", "issuerRef"],
            allowed: {
                secretName: true, issuerRef, commonName: true, dnsNames: "strings", ipAddresses: "strings",
                uris: "strings", emailAddresses: "strings", isCA: "boolean", duration: "duration",
                renewBefore: "duration", usages: ["signing", "digital signature", "content commitment",
                    "key encipherment", "key agreement", "data encipherment", "cert sign", "crl sign",
                    "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
                    "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user",
                    "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc"],
                privateKey: { allowed: { algorithm: ["RSA", "ECDSA", "Ed25519"], size: "integer",
                                         encoding: ["PKCS1", "PKCS8"], rotationPolicy: ["Never", "Always"] } },
                secretTemplate: true, subject: true, keystores: true, revisionHistoryLimit: "integer",
            },
        },
    },
    "monitoring.coreos.com/v1/ServiceMonitor": {
        spec: {
            required: ["selector", "endpoints"],
            allowed: {
                selector: true, namespaceSelector: { allowed: { any: "boolean", matchNames: "strings" } },
                jobLabel: true, targetLabels: "strings", podTargetLabels: "strings", sampleLimit: "integer",
                endpoints: { items: { allowed: {
                    port: true, targetPort: true, path: true, scheme: ["http", "https"], params: true,
                    interval: "duration", scrapeTimeout: "duration", honorLabels: "boolean",
                    honorTimestamps: "boolean", relabelings: true, metricRelabelings: true, bearerTokenSecret: true,
                    authorization: true, followRedirects: "boolean", enableHttp2: "boolean",
                    tlsConfig: { allowed: { ca: tlsSrc, cert: tlsSrc, keySecret: secretKeySel, serverName: true,
                                            insecureSkipVerify: "boolean", caFile: true, certFile: true, keyFile: true } },
                } } },
            },
        },
    },
    "monitoring.coreos.com/v1/PrometheusRule": {
        spec: {
            required: ["groups"],
            allowed: {
                groups: { items: {
                    required: ["name", "rules"],
                    allowed: {
                        name: true, interval: "duration", limit: "integer", query_offset: "duration",
                        partial_response_strategy: true, labels: true,
                        rules: { items: {
                            required: ["expr"], oneOf: ["alert", "record"],
                            allowed: { alert: true, record: true, expr: true, for: "duration",
                                       keep_firing_for: "duration", labels: true, annotations: true },
                        } },
                    },
                } },
            },
        },
    },
};
const DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

function structural(value, spec, where, errors) {
    if (spec === true) return;
    if (spec === "strings") {
        if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) errors.push(`${where}: must be a list of strings`);
        return;
    }
    if (spec === "boolean" || spec === "integer") {
        if (spec === "boolean" ? typeof value !== "boolean" : !Number.isInteger(value)) errors.push(`${where}: must be ${spec}`);
        return;
    }
    if (spec === "duration") {
        if (typeof value !== "string" || !DURATION.test(value)) errors.push(`${where}: "${value}" is not a Go duration`);
        return;
    }
    if (Array.isArray(spec)) {
        const vals = Array.isArray(value) ? value : [value];
        for (const v of vals) if (!spec.includes(v)) errors.push(`${where}: "${v}" is not one of ${spec.join(", ")}`);
        return;
    }
    if (spec.items) {
        if (!Array.isArray(value) || value.length === 0) { errors.push(`${where}: must be a non-empty list`); return; }
        value.forEach((v, i) => structural(v, spec.items, `${where}/${i}`, errors));
        return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) { errors.push(`${where}: must be an object`); return; }
    for (const r of spec.required || []) if (!(r in value)) errors.push(`${where}: missing required field "${r}"`);
    if (spec.oneOf && spec.oneOf.filter((k) => k in value).length !== 1) errors.push(`${where}: exactly one of ${spec.oneOf.join(", ")} required`);
    for (const [k, v] of Object.entries(value)) {
        if (!(k in spec.allowed)) errors.push(`${where}: unknown field "${k}"`);
        else structural(v, spec.allowed[k], `${where}/${k}`, errors);
    }
}

function validateCrd(obj, crd, errors) {
    const meta = obj.metadata || {};
    if (!meta.name) errors.push("/metadata: missing name");
    for (const k of Object.keys(obj)) if (!["apiVersion", "kind", "metadata", "spec"].includes(k)) errors.push(`/: unknown field "${k}"`);
    // metadata is a normal ObjectMeta: check it with the package's model and field names.
    try {
        const { ObjectMeta } = require("@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta");
        new ObjectMeta(meta).validate();
    } catch (e) {
        errors.push(`/metadata: ${e.message}`);
    }
    const metaInfo = parseDts(path.join(packageDir("@kubernetes-models/apimachinery"), "apis/meta/v1/ObjectMeta.d.ts"));
    strictObject(meta, metaInfo, "/metadata", errors);
    structural(obj.spec, crd.spec, "/spec", errors);
}

// ---- main ----------------------------------------------------------------------------
function main() {
    let docs;
    try {
        docs = JSON.parse(readStdin());
    } catch (e) {
        console.error(`validate-manifests: stdin is not JSON: ${e.message}`);
        process.exit(2);
    }
    if (!Array.isArray(docs) || docs.length === 0) {
        console.error("validate-manifests: expected a non-empty JSON array of objects");
        process.exit(2);
    }
    let bad = 0;
    for (const obj of docs) {
        const id = `${obj && obj.apiVersion}/${obj && obj.kind} ${obj && obj.metadata && obj.metadata.name}`;
        const errors = [];
        let how;
        const crd = obj && CRDS[`${obj.apiVersion}/${obj.kind}`];
        const model = obj && !crd && obj.apiVersion && obj.kind ? modelFor(obj.apiVersion, obj.kind) : null;
        if (crd) {
            how = "structural";
            validateCrd(obj, crd, errors);
        } else if (model) {
            how = "kubernetes-models";
            try {
                new model.Model(obj).validate();
            } catch (e) {
                errors.push(e.message);
            }
            const info = parseDts(model.dts);
            if (!info) errors.push(`no type definition found at ${model.dts}`);
            else strictObject(obj, info, "", errors);
        } else {
            how = "unknown";
            errors.push("no schema for this apiVersion/kind");
        }
        if (errors.length) {
            bad++;
            console.log(`INVALID ${id} (${how})`);
            for (const e of errors) console.log(`    ${e}`);
        } else {
            console.log(`ok      ${id} (${how})`);
        }
    }
    console.log(`validate-manifests: ${docs.length - bad} valid, ${bad} invalid`);
    process.exit(bad ? 1 : 0);
}

main();
