#!/usr/bin/python3
"""Helpers of bench/admission.sh (standard library only).

report.py check REVIEW OURS GO CEILING
    Validate one answer of each server to REVIEW: each is an AdmissionReview answering the
    review's uid with allowed=true; ours and go carry a JSON Patch (base64) that decodes to
    the same list of operations (the Go peer is the independent implementation here), and
    applying neither is attempted (tests/ do that with python3-jsonpatch).
report.py table WORKDIR ROUNDS CLK_TCK SERVER...
    Read wrk.<server>.<round> (BENCH lines of bench/post.lua, and "BENCH cputicks N": the
    server's CPU ticks during the round), rss.<server> (kB) and
    h2.<server> (h2load --log-file) from WORKDIR and print the tables; fails when any
    request was not 2xx or hit a socket error (never on timings).
"""
import base64
import json
import os
import statistics
import sys


def fail(msg):
    print("report.py: " + msg, file=sys.stderr)
    sys.exit(1)


def check(review_path, ours, go, ceiling):
    uid = json.load(open(review_path, encoding="utf-8"))["request"]["uid"]
    patches = {}
    for name, path in (("ours", ours), ("go", go), ("ceiling", ceiling)):
        try:
            doc = json.load(open(path, encoding="utf-8"))
            resp = doc["response"]
        except (ValueError, KeyError) as e:
            fail("%s: not an AdmissionReview answer: %s" % (name, e))
        if doc.get("kind") != "AdmissionReview" or resp.get("allowed") is not True:
            fail("%s: unexpected answer %s" % (name, json.dumps(doc)[:300]))
        if name == "ceiling":
            continue
        if resp.get("uid") != uid:
            fail("%s: uid %r, want %r" % (name, resp.get("uid"), uid))
        if resp.get("patchType") != "JSONPatch" or "patch" not in resp:
            fail("%s: no JSON Patch in the answer" % name)
        patches[name] = json.loads(base64.b64decode(resp["patch"], validate=True))
    if patches["ours"] != patches["go"]:
        fail("ours and go disagree on the patch:\n  ours %s\n  go   %s"
             % (json.dumps(patches["ours"]), json.dumps(patches["go"])))
    print("answers checked: ours and go patch identically (%d operations), ceiling answered"
          % len(patches["ours"]))


def wrk_round(path):
    vals = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            p = line.split()
            if len(p) == 3 and p[0] == "BENCH":
                vals[p[1]] = float(p[2])
    if "rps" not in vals:
        fail("%s: no wrk summary" % path)
    if vals["non2xx"] or vals["sockerr"]:
        fail("%s: %d non-2xx answers, %d socket errors"
             % (path, vals["non2xx"], vals["sockerr"]))
    return vals


def h2_latency(path):
    lat, bad = [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            p = line.split("\t")
            if len(p) < 3:
                continue
            if not p[1].startswith("2"):
                bad += 1
            lat.append(int(p[2]))
    if not lat:
        fail("%s: no requests logged" % path)
    if bad:
        fail("%s: %d non-2xx answers" % (path, bad))
    lat.sort()
    q = lambda x: lat[min(len(lat) - 1, int(x * len(lat)))]
    return len(lat), q(0.50), q(0.99)


def ms(us):
    return "%.2f ms" % (us / 1000.0)


def table(work, rounds, clk_tck, servers):
    rows = {}
    for s in servers:
        rs = [wrk_round(os.path.join(work, "wrk.%s.%d" % (s, r))) for r in range(1, rounds + 1)]
        med = {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99", "p99.9")}
        reqs = sum(r["requests"] for r in rs)
        med["cpu_us"] = (sum(r.get("cputicks", 0) for r in rs) / clk_tck * 1e6 / reqs
                         if reqs else 0.0)
        rss = int(open(os.path.join(work, "rss." + s)).read().strip() or 0)
        n, h50, h99 = h2_latency(os.path.join(work, "h2." + s))
        rows[s] = (med, rss, n, h50, h99, [r["rps"] for r in rs])
    print()
    print("| server | req/s (median) | p50 | p99 | p99.9 | peak RSS | server CPU/request "
          "| rounds req/s |")
    print("|---|---|---|---|---|---|---|---|")
    for s in servers:
        med, rss, _, _, _, all_rps = rows[s]
        print("| %s | %.0f | %s | %s | %s | %.1f MiB | %.1f us | %s |"
              % (s, med["rps"], ms(med["p50"]), ms(med["p99"]), ms(med["p99.9"]), rss / 1024.0,
                 med["cpu_us"], " ".join("%.0f" % x for x in all_rps)))
    print()
    print("| server (fixed rate) | requests | p50 | p99 |")
    print("|---|---|---|---|")
    for s in servers:
        _, _, n, h50, h99, _ = rows[s]
        print("| %s | %d | %s | %s |" % (s, n, ms(h50), ms(h99)))
    if "ours" in rows:
        print()
        o = rows["ours"]
        for other in ("go", "ceiling", "base"):
            if other in rows:
                r = rows[other]
                cpu = o[0]["cpu_us"] / r[0]["cpu_us"] if r[0]["cpu_us"] else float("nan")
                print("ours/%s: throughput %.2fx; fixed-rate p50 %.2fx, p99 %.2fx; "
                      "server CPU per request %.2fx"
                      % (other, o[0]["rps"] / r[0]["rps"], o[3] / r[3], o[4] / r[4], cpu))
    log = os.path.join(work, "ours.log")
    if os.path.exists(log):
        lines = sum(1 for line in open(log, encoding="utf-8", errors="replace")
                    if '"msg":"admission"' in line)
        print("ours logged %d admission lines (info level, one per request)" % lines)


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "check":
        check(*sys.argv[2:6])
    elif len(sys.argv) >= 5 and sys.argv[1] == "table":
        table(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
    else:
        fail("usage: report.py check REVIEW OURS GO CEILING | table WORK ROUNDS SERVER...")


if __name__ == "__main__":
    main()
