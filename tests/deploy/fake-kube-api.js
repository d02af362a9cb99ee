#!/usr/bin/env node
// fake-kube-api.js: the part of a Kubernetes apiserver the chart's `helm test` Pod uses, on
// plain HTTP 127.0.0.1, so that the test script can run here against the real webhook server.
//   GET  /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/<name>
//        -> the MutatingWebhookConfiguration given (as rendered by the chart);
//   POST /api/v1/namespaces/<ns>/pods?dryRun=All
//        -> for every webhook entry that selects the Pod (webhook-reach.js: rules,
//           namespaceSelector on an unlabelled namespace <ns>, objectSelector, CEL
//           matchConditions), an AdmissionReview POSTed over TLS to the entry's Service
//           (the DNS name <svc>.<ns>.svc, verified against the entry's caBundle, connected
//           to WEBHOOK_ADDR), the returned JSON Patch applied (fast-json-patch); the Pod
//           is returned (201), nothing is stored. Denials -> 400 with the webhook's message.
// Anything else: 404. A request without "Authorization: Bearer <TOKEN>" -> 401; a create
// without dryRun=All -> 403 (the test must never persist a Pod).
// Usage: fake-kube-api.js PORTFILE MWC.json TOKEN WEBHOOK_ADDR(host:port)
"use strict";
const fs = require("fs");
const http = require("http");
const https = require("https");
const { randomUUID } = require("crypto");
const jsonpatch = require("fast-json-patch");
const { reaches } = require("./webhook-reach.js");

const [portFile, mwcFile, token, webhookAddr] = process.argv.slice(2);
if (!webhookAddr) {
    console.error("usage: fake-kube-api.js PORTFILE MWC.json TOKEN WEBHOOK_ADDR");
    process.exit(2);
}
const mwc = JSON.parse(fs.readFileSync(mwcFile, "utf8"));
const [whHost, whPort] = webhookAddr.split(":");

function reply(res, code, body) {
    const data = JSON.stringify(body);
    res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) });
    res.end(data);
}

function callWebhook(hook, review) {
    const svc = hook.clientConfig.service;
    const servername = `${svc.name}.${svc.namespace}.svc`;
    const ca = Buffer.from(hook.clientConfig.caBundle || "", "base64");
    const body = JSON.stringify(review);
    return new Promise((resolve, reject) => {
        const req = https.request({
            host: whHost, port: Number(whPort), servername, ca, method: "POST",
            path: `${svc.path}?timeout=${hook.timeoutSeconds || 10}s`, checkServerIdentity: require("tls").checkServerIdentity,
            headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
            timeout: (hook.timeoutSeconds || 10) * 1000,
        }, (res) => {
            let s = "";
            res.on("data", (d) => (s += d)).on("end", () => {
                try { resolve(JSON.parse(s)); } catch (e) { reject(new Error(`webhook answered non-JSON: ${s}`)); }
            });
        });
        req.on("error", reject).on("timeout", () => req.destroy(new Error("webhook timeout")));
        req.end(body);
    });
}

async function createPod(ns, pod, res) {
    pod.metadata = pod.metadata || {};
    pod.metadata.namespace = ns;
    const warnings = [];
    for (const hook of mwc.webhooks) {
        const r = reaches(hook, { namespace: ns, namespaceLabels: {}, podLabels: pod.metadata.labels || {}, pod });
        if (!r.hit) continue;
        const review = {
            apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview",
            request: {
                uid: randomUUID(), kind: { group: "", version: "v1", kind: "Pod" },
                resource: { group: "", version: "v1", resource: "pods" },
                requestKind: { group: "", version: "v1", kind: "Pod" },
                requestResource: { group: "", version: "v1", resource: "pods" },
                namespace: ns, operation: "CREATE", userInfo: { username: "system:serviceaccount:test" },
                object: pod, oldObject: null, dryRun: true,
                options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions", dryRun: ["All"] },
            },
        };
        let answer;
        try {
            answer = await callWebhook(hook, review);
        } catch (e) {
            if (hook.failurePolicy === "Fail") return reply(res, 500, { kind: "Status", message: `failed calling webhook "${hook.name}": ${e.message}` });
            console.error(`fake-kube-api: ${hook.name} failed (${e.message}); failurePolicy Ignore`);
            continue;
        }
        const resp = answer.response || {};
        if (resp.uid !== review.request.uid) return reply(res, 500, { kind: "Status", message: `${hook.name}: uid mismatch` });
        if (!resp.allowed) return reply(res, 400, { kind: "Status", message: `admission webhook "${hook.name}" denied the request: ${(resp.status || {}).message}` });
        warnings.push(...(resp.warnings || []));
        if (resp.patch) pod = jsonpatch.applyPatch(pod, JSON.parse(Buffer.from(resp.patch, "base64").toString()), true, false).newDocument;
    }
    for (const w of warnings) console.error(`fake-kube-api: warning: ${w}`);
    reply(res, 201, pod);
}

const server = http.createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) return reply(res, 401, { kind: "Status", message: "Unauthorized" });
    const url = new URL(req.url, "http://x");
    let m;
    if (req.method === "GET" && (m = /^\/apis\/admissionregistration\.k8s\.io\/v1\/mutatingwebhookconfigurations\/([^/]+)$/.exec(url.pathname))) {
        return m[1] === mwc.metadata.name ? reply(res, 200, mwc) : reply(res, 404, { kind: "Status", message: "not found" });
    }
    if (req.method === "POST" && (m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname))) {
        if (url.searchParams.get("dryRun") !== "All") return reply(res, 403, { kind: "Status", message: "only dry runs here" });
        let s = "";
        req.on("data", (d) => (s += d)).on("end", () => {
            let pod;
            try { pod = JSON.parse(s); } catch (e) { return reply(res, 400, { kind: "Status", message: "bad JSON" }); }
            createPod(m[1], pod, res).catch((e) => reply(res, 500, { kind: "Status", message: e.message }));
        });
        return;
    }
    reply(res, 404, { kind: "Status", message: "not found" });
});
server.listen(0, "127.0.0.1", () => fs.writeFileSync(portFile, String(server.address().port)));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
