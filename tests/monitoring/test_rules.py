#!/usr/bin/python3
"""test_rules.py: the chart's PrometheusRule, checked by promtool (Debian package prometheus).

1. The PrometheusRule is rendered by helm (release "gmw", namespace "gmw-system") for both
   injection modes and validated: `promtool check rules` on its groups (PromQL and template
   syntax), alert names unique, every alert covered by the unit tests with a case where it
   fires and one where it stays silent.
2. `promtool test rules` runs the unit tests of tests/monitoring/*.test.yaml (synthetic series
   for every alert) against the rendered rules (annotations dropped, except for
   annotations.test.yaml, which checks the texts).
3. The tests can fail: for every alert, an expression that never fires, one that always fires
   and (with `for`) the alert without its `for` must each fail the tests; so must each
   targeted change in MUTATIONS (a threshold moved past a test series, a filter removed).
4. Values reach the rules: webhook.timeoutSeconds moves the latency threshold (the tests then
   fail), prometheusRule.alertLabels and webhookJob are applied.

Run from the source root (ctest does) with Debian's /usr/bin/python3 (python3-yaml).
"""
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

SRC = os.environ.get("GMW_SRC_DIR", os.getcwd())
HELM = os.path.join(os.environ.get("GMW_TOOLS_DIR", os.path.join(SRC, ".tools")), "bin", "helm")
CHART = os.path.join(SRC, "charts", "gomemlimit-webhook")
HERE = os.path.join(SRC, "tests", "monitoring")
PROMTOOL = shutil.which("promtool")
RELEASE, NS = "gmw", "gmw-system"

# Test files per injection mode; annotations.test.yaml uses rules-full.yaml.
TEST_FILES = {
    "opt-in": ["webhook-alerts.test.yaml", "workload-alerts-opt-in.test.yaml", "go-alerts.test.yaml",
               "annotations.test.yaml"],
    "opt-out": ["workload-alerts-opt-out.test.yaml"],
}
# Mutation runs use the behaviour tests only (annotations are dropped there).
BEHAVIOUR = {m: [f for f in fs if f != "annotations.test.yaml"] for m, fs in TEST_FILES.items()}

WH = 'job="gmw-gomemlimit-webhook",namespace="gmw-system"'
OPTOUT_NS = 'kube_namespace_labels{label_gomemlimit_io_injection!="disabled",' \
            'namespace!~"gmw-system|kube-node-lease|kube-public|kube-system"}'
# (mode, alert, exact text in its expr, replacement, why the tests must catch it)
MUTATIONS = [
    ("opt-in", "GomemlimitWebhookNoReadyReplica", 'deployment="gmw-gomemlimit-webhook"} == 0',
     'deployment="gmw-gomemlimit-webhook"} <= 1', "one of two replicas available must stay silent"),
    ("opt-in", "GomemlimitWebhookNoReadyReplica", ',deployment="gmw-gomemlimit-webhook"} == 0', "} == 0",
     "another Deployment without replicas must not count"),
    ("opt-in", "GomemlimitWebhookNoReadyReplica", f"sum by (job, namespace) (up{{{WH}}}) == 0\nor\n", "",
     "targets scraped down must fire"),
    ("opt-in", "GomemlimitWebhookNoReadyReplica", f"\nor\nabsent(up{{{WH}}})", "",
     "no target at all must fire"),
    ("opt-in", "GomemlimitWebhookAdmissionErrors", "> 0.01", "> 0.02", "1.48% errors must fire"),
    ("opt-in", "GomemlimitWebhookAdmissionErrors", "> 0.01", "> 0.004", "0.5% errors must stay silent"),
    ("opt-in", "GomemlimitWebhookAdmissionErrors", f'{WH},route="/mutate",code!="200"', f'{WH},code!="200"',
     "errors of other routes must not count"),
    ("opt-in", "GomemlimitWebhookRequestTimeouts", "> 0.01", "> 0.02", "1.48% timeouts must fire"),
    ("opt-in", "GomemlimitWebhookRequestTimeouts", "> 0.01", "> 0.004", "0.5% timeouts must stay silent"),
    ("opt-in", "GomemlimitWebhookRequestTimeouts",
     f"\n        or 0 * sum by (job, namespace) (rate(gomemlimit_webhook_request_timeouts_total{{{WH}}}[5m]))",
     "", "timeouts without any answer must fire"),
    ("opt-in", "GomemlimitWebhookSlowAdmissions", "> 2.5", "> 5", "p99 4.975s must fire"),
    ("opt-in", "GomemlimitWebhookSlowAdmissions", "> 2.5", "> 2.4", "p99 2.485s must stay silent"),
    ("opt-in", "GomemlimitWebhookCertificateExpiring", "14 * 86400", "13 * 86400", "13.96 days must fire"),
    ("opt-in", "GomemlimitWebhookCertificateExpiring", "14 * 86400", "15 * 86400",
     "14 days + 1.5 h must stay silent"),
    ("opt-in", "GomemlimitWebhookCertificateExpiring", f"gomemlimit_webhook_cert_expiry_timestamp_seconds{{{WH}}} > 0\nand\n",
     "", "0 (no certificate) must stay silent"),
    ("opt-in", "GomemlimitWebhookCertReloadFailed", 'result="failure"', 'result="success"',
     "successful reloads must stay silent"),
    ("opt-in", "GomemlimitWebhookCertReloadFailed", "[15m]", "[40m]", "a failure 30 minutes ago must be over"),
    ("opt-in", "GomemlimitWebhookConfigReloadFailed", 'result="failure"', 'result="success"',
     "successful reloads must stay silent"),
    ("opt-in", "GomemlimitWebhookConfigReloadFailed", "[15m]", "[40m]", "a failure 30 minutes ago must be over"),
    ("opt-in", "GomemlimitContainerOOMKilled", 'reason="OOMKilled"', 'reason=~"OOMKilled|Error"',
     "a crash that is not an OOM kill must stay silent"),
    ("opt-in", "GomemlimitContainerOOMKilled",
     "\nand on (namespace, pod, container)\nmax by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total[15m]) > 0)",
     "", "an old OOM kill (no recent restart) must be over"),
    ("opt-in", "GomemlimitContainerOOMKilled",
     '\nand on (namespace)\nkube_namespace_labels{label_gomemlimit_io_injection="enabled"}', "",
     "namespaces not opted in must stay silent"),
    ("opt-in", "GomemlimitContainerNearMemoryLimit", "> 0.95", "> 0.97", "96% must fire"),
    ("opt-in", "GomemlimitContainerNearMemoryLimit", "> 0.95", "> 0.93", "94% must stay silent"),
    ("opt-in", "GomemlimitContainerNearMemoryLimit", "max by (namespace, pod, container) (container_memory",
     "min by (namespace, pod, container) (container_memory", "the largest cgroup series of a container counts"),
    ("opt-in", "GomemlimitContainerNearMemoryLimit",
     '\nand on (namespace)\nkube_namespace_labels{label_gomemlimit_io_injection="enabled"}', "",
     "namespaces not opted in must stay silent"),
    ("opt-in", "GomemlimitPodsCreatedWhileWebhookFailing", "< 1800", "< 2400",
     "a Pod older than 30 minutes must not count"),
    ("opt-in", "GomemlimitPodsCreatedWhileWebhookFailing", 'kube_pod_annotations{annotation_gomemlimit_io_status=""}',
     "kube_pod_annotations", "a Pod with the status annotation must not count"),
    ("opt-in", "GomemlimitPodsCreatedWhileWebhookFailing",
     '\n  and on (namespace, pod) kube_pod_container_resource_limits{resource="memory"}', "",
     "a Pod without a memory limit must not count"),
    ("opt-in", "GomemlimitPodsCreatedWhileWebhookFailing",
     '\n  and on (namespace) kube_namespace_labels{label_gomemlimit_io_injection="enabled"}', "",
     "a namespace not opted in must not count"),
    ("opt-in", "GomemlimitPodsCreatedWhileWebhookFailing", '{name="pods.gomemlimit.io"}', "",
     "another webhook failing open must not count"),
    ("opt-in", "GomemlimitPodsCreatedWhileWebhookFailing", ',deployment="gmw-gomemlimit-webhook"})', "})",
     "another Deployment without replicas must not count"),
    ("opt-in", "GomemlimitPodsCreatedWhileWebhookFailing", "[30m:1m]", "[60m:1m]",
     "a failure an hour ago must not count"),
    ("opt-in", "GomemlimitPodsCreatedWhileWebhookFailing", "\n    or sum(up{" + WH + "}) == 0", "",
     "a webhook scraped down must count"),
    ("opt-in", "GomemlimitPodsCreatedWhileWebhookFailing",
     '\n    or sum(increase(apiserver_admission_webhook_fail_open_count{name="pods.gomemlimit.io"}[5m])) > 0', "",
     "the apiserver's fail-open count must count"),
    ("opt-in", "GomemlimitGoMemoryLimitThrashing", ">= 0.95", ">= 0.996", "99.5% of GOMEMLIMIT must fire"),
    ("opt-in", "GomemlimitGoMemoryLimitThrashing", ">= 0.95", ">= 0.92", "93% of GOMEMLIMIT must stay silent"),
    ("opt-in", "GomemlimitGoMemoryLimitThrashing", "> 2", "> 3", "3 GC cycles/s must fire"),
    ("opt-in", "GomemlimitGoMemoryLimitThrashing", "> 2", "> 1", "1.5 GC cycles/s must stay silent"),
    ("opt-in", "GomemlimitGoMemoryLimitThrashing", " - go_memstats_heap_released_bytes", "",
     "memory released to the OS does not count against GOMEMLIMIT"),
    ("opt-out", "GomemlimitContainerOOMKilled", 'label_gomemlimit_io_injection!="disabled",', "",
     "a namespace labelled disabled must stay silent"),
    ("opt-out", "GomemlimitContainerOOMKilled", 'namespace!~"gmw-system|kube-node-lease|kube-public|kube-system"',
     'namespace!~"kube-node-lease|kube-public|kube-system"', "the release namespace must stay silent"),
    ("opt-out", "GomemlimitContainerOOMKilled", 'namespace!~"gmw-system|kube-node-lease|kube-public|kube-system"',
     'namespace!~"gmw-system|kube-node-lease|kube-public"', "kube-system must stay silent"),
    ("opt-out", "GomemlimitContainerOOMKilled", "\nand on (namespace)\n" + OPTOUT_NS, "",
     "excluded namespaces must stay silent"),
]

from checks import check, finish  # noqa: E402


def render(*sets):
    args = [HELM, "template", RELEASE, CHART, "--namespace", NS, "--set", "prometheusRule.enabled=true",
            "--show-only", "templates/prometheusrule.yaml"]
    for s in sets:
        args += ["--set", s]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise SystemExit(f"helm template failed: {r.stderr}")
    obj = yaml.safe_load(r.stdout)
    assert obj["apiVersion"] == "monitoring.coreos.com/v1" and obj["kind"] == "PrometheusRule", obj.get("kind")
    return obj


def alerts_of(groups):
    return {r["alert"]: r for g in groups for r in g["rules"] if "alert" in r}


def without_annotations(groups):
    out = yaml.safe_load(yaml.safe_dump(groups))
    for g in out:
        for r in g["rules"]:
            r.pop("annotations", None)
    return out


def write_rules(path, groups):
    with open(path, "w") as f:
        yaml.safe_dump({"groups": groups}, f, sort_keys=False, width=1000)


def promtool(*args, cwd):
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def run_tests(workdir, groups, files, full_groups=None):
    """Write rules.yaml (and rules-full.yaml) and run promtool test rules on files."""
    write_rules(os.path.join(workdir, "rules.yaml"), groups)
    if full_groups is not None:
        write_rules(os.path.join(workdir, "rules-full.yaml"), full_groups)
    return promtool("test", "rules", *files, cwd=workdir)


def mutated(groups, alert, fn):
    out = yaml.safe_load(yaml.safe_dump(groups))
    for g in out:
        for r in g["rules"]:
            if r.get("alert") == alert:
                fn(r)
    return out


def coverage(files):
    """alert -> (has a firing case, has a silent case) over the test files."""
    seen = {}
    for name in files:
        with open(os.path.join(HERE, name)) as f:
            doc = yaml.safe_load(f)
        for t in doc["tests"]:
            for a in t.get("alert_rule_test", []):
                fires, silent = seen.get(a["alertname"], (False, False))
                if a.get("exp_alerts"):
                    fires = True
                else:
                    silent = True
                seen[a["alertname"]] = (fires, silent)
    return seen


def main():
    for tool, path in (("promtool (Debian package prometheus)", PROMTOOL), ("helm", HELM)):
        if not path or not os.access(path, os.X_OK):
            raise SystemExit(f"missing {tool}: run scripts/install-deps.sh")
    print(subprocess.run([PROMTOOL, "--version"], capture_output=True, text=True).stdout.splitlines()[0])
    work = tempfile.mkdtemp(prefix="gmw-rules-")
    try:
        rendered = {}
        for mode in ("opt-in", "opt-out"):
            print(f"== injection.mode={mode}: render and promtool check rules")
            groups = render(f"injection.mode={mode}")["spec"]["groups"]
            rendered[mode] = groups
            d = os.path.join(work, mode)
            os.makedirs(d)
            write_rules(os.path.join(d, "rules-full.yaml"), groups)
            r = promtool("check", "rules", "rules-full.yaml", cwd=d)
            check(r.returncode == 0, f"promtool check rules ({mode}): {(r.stdout + r.stderr).strip().splitlines()[-1]}")
            names = [r["alert"] for g in groups for r in g["rules"]]
            check(len(names) == len(set(names)), f"alert names unique ({len(names)} alerts)")
            for name, rule in alerts_of(groups).items():
                check(rule.get("labels", {}).get("severity") in ("warning", "critical"), f"{name} has a severity")
                check(rule.get("annotations", {}).get("runbook", "").startswith("docs/monitoring.md#"),
                      f"{name} points at its runbook")
            for f in TEST_FILES[mode]:
                shutil.copy(os.path.join(HERE, f), d)

        alerts = alerts_of(rendered["opt-in"])
        check(len(alerts) >= 11, f"{len(alerts)} alerts rendered")
        cov = coverage(TEST_FILES["opt-in"] + TEST_FILES["opt-out"])
        for name in alerts:
            fires, silent = cov.get(name, (False, False))
            check(fires and silent, f"{name}: unit tests with a firing case ({fires}) and a silent case ({silent})")
        check(set(cov) <= set(alerts), f"tests name only existing alerts ({sorted(set(cov) - set(alerts))})")

        print("== promtool test rules")
        for mode, files in TEST_FILES.items():
            d = os.path.join(work, mode)
            r = run_tests(d, without_annotations(rendered[mode]), files, rendered[mode])
            check(r.returncode == 0, f"promtool test rules ({mode}): {', '.join(files)}")
            if r.returncode != 0:
                print(r.stdout[-6000:] + r.stderr[-2000:])

        print("== every alert's tests fail when its expression is wrong")
        # (description, mode, rule groups): run two at a time, each in its own directory.
        jobs = []
        base = without_annotations(rendered["opt-in"])
        for name, rule in alerts.items():
            variants = [
                ("never fires", lambda r: r.update(expr=f"({r['expr']}) unless on() vector(1)")),
                ("always fires", lambda r: r.update(expr=f"({r['expr']}) or vector(1)")),
            ]
            if "for" in rule:
                variants.append((f"without for: {rule['for']}", lambda r: r.pop("for")))
            for what, fn in variants:
                jobs.append((f"{name} {what}: the tests fail", "opt-in", name, mutated(base, name, fn)))
        for mode, name, old, new, why in MUTATIONS:
            groups = without_annotations(rendered[mode])
            expr = alerts_of(groups)[name]["expr"]
            if not check(expr.count(old) == 1, f"{name} ({mode}): mutation target {old!r} found once"):
                continue
            jobs.append((f"{name} ({mode}): {old!r} -> {new!r} fails the tests ({why})", mode, name,
                         mutated(groups, name, lambda r, o=old, n=new: r.update(expr=r["expr"].replace(o, n)))))

        def files_testing(mode, alert):
            """The behaviour test files of mode that test alert (the others cannot notice)."""
            out = []
            for f in BEHAVIOUR[mode]:
                with open(os.path.join(HERE, f)) as fh:
                    if f"alertname: {alert}\n" in fh.read():
                        out.append(f)
            return out

        def run_mutant(i, mode, alert, groups):
            md = os.path.join(work, f"mutant-{i}")
            os.makedirs(md)
            files = files_testing(mode, alert)
            assert files, f"no {mode} test file tests {alert}"
            for f in files:
                shutil.copy(os.path.join(HERE, f), md)
            r = run_tests(md, groups, files)
            # A mutant that does not parse would fail the tests for the wrong reason.
            parses = promtool("check", "rules", "rules.yaml", cwd=md).returncode == 0
            return parses, r.returncode

        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            rcs = list(pool.map(lambda a: run_mutant(*a), [(i, m, n, g) for i, (_, m, n, g) in enumerate(jobs)]))
        for (desc, _, _, _), (parses, rc) in zip(jobs, rcs):
            check(parses and rc != 0, desc + ("" if parses else " [the mutant does not parse]"))

        d = os.path.join(work, "opt-in")
        print("== values reach the rules")
        slow = render("injection.mode=opt-in", "webhook.timeoutSeconds=10")["spec"]["groups"]
        check(alerts_of(slow)["GomemlimitWebhookSlowAdmissions"]["expr"].rstrip().endswith("> 5"),
              "webhook.timeoutSeconds=10: p99 threshold 5s")
        r = run_tests(d, without_annotations(slow), ["webhook-alerts.test.yaml"])
        check(r.returncode != 0 and "GomemlimitWebhookSlowAdmissions" in r.stdout + r.stderr,
              "webhook.timeoutSeconds=10: the p99 4.975s case no longer fires")
        custom = render("prometheusRule.alertLabels.team=platform", "prometheusRule.webhookJob=custom-job",
                        "prometheusRule.labels.release=prom")
        check(custom["metadata"]["labels"].get("release") == "prom", "prometheusRule.labels on the object")
        ca = alerts_of(custom["spec"]["groups"])
        check(all(r["labels"].get("team") == "platform" for r in ca.values()), "alertLabels on every alert")
        wh = [n for n, r in ca.items() if "gomemlimit_webhook_" in r["expr"] or "up{" in r["expr"]]
        check(wh and all('job="custom-job"' in ca[n]["expr"] and 'job="gmw-gomemlimit-webhook"' not in ca[n]["expr"]
                         for n in wh), f"webhookJob replaces the job in {len(wh)} alerts")
        r = subprocess.run([HELM, "template", RELEASE, CHART, "--namespace", NS], capture_output=True, text=True,
                           timeout=120)
        check(r.returncode == 0 and "PrometheusRule" not in r.stdout, "no PrometheusRule by default")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
