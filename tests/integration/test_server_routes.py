#!/usr/bin/python3
"""serve over real TLS with real clients: every fixture answered exactly like
`mutate --review`, routes and bad-request statuses, /metrics through the independent
prometheus_client parser, TLS 1.0/1.1 and plain HTTP refused."""
import glob
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "server"))
from harness import (workdir, FIXTURES, GMW_BIN, HOST, Server, make_certs,  # noqa: E402
                     python_is_debian, run_tests)

python_is_debian()
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

import base64  # noqa: E402

import jsonpatch  # noqa: E402

REVIEWS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server", "reviews")
WORK = workdir("gmw-routes-")
make_certs(WORK)
SERVER = Server(WORK)


def review_files():
    """Every fixture JSON as an AdmissionReview file (bare requests are wrapped)."""
    files = sorted(glob.glob(os.path.join(FIXTURES, "**", "*.json"), recursive=True))
    assert len(files) >= 9, f"expected the admission fixtures in {FIXTURES}, found {files}"
    # Plus reviews that exercise a patch and a denial (the public fixtures have no limits).
    files += sorted(glob.glob(os.path.join(REVIEWS, "*.json")))
    out = []
    for path in files:
        with open(path) as f:
            doc = json.load(f)
        if "request" not in doc and "uid" in doc and "operation" in doc:
            wrapped = os.path.join(WORK, "wrapped-" + os.path.basename(path))
            with open(wrapped, "w") as f:
                json.dump({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                           "request": doc}, f)
            path = wrapped
        out.append(path)
    return out


def test_fixtures_same_answer_as_engine():
    n = patched = denied = 0
    for path in review_files():
        eng = subprocess.run([GMW_BIN, "mutate", "--review", "-f", path], capture_output=True,
                             timeout=30)
        status, body, rc = SERVER.curl("/mutate?timeout=10s", data_file=path)
        assert rc == 0, f"{path}: curl rc {rc}"
        if eng.returncode != 0:
            assert status == 400, f"{path}: engine refused it, server said {status}: {body!r}"
            continue
        assert status == 200, f"{path}: status {status}: {body!r}"
        got = json.loads(body)
        want = json.loads(eng.stdout)
        assert got == want, f"{path}:\nserver {got}\nengine {want}"
        assert got["kind"] == "AdmissionReview"
        with open(path) as f:
            request = json.load(f)["request"]
        assert got["response"]["uid"] == request["uid"]
        if "patch" in got["response"]:
            # The patch applies to the object with an independent applier.
            ops = json.loads(base64.b64decode(got["response"]["patch"]))
            jsonpatch.JsonPatch(ops).apply(request["object"])
            patched += 1
        if got["response"]["allowed"] is False:
            denied += 1
        n += 1
    assert n >= 11 and patched >= 1 and denied >= 1, (n, patched, denied)


def test_health_ready():
    for path in ("/healthz", "/readyz"):
        status, body, _ = SERVER.curl(path)
        assert status == 200 and body == b"ok\n", (path, status, body)
    # HEAD works too and has no body.
    status, body, _ = SERVER.curl("/healthz", extra=["-I"])
    assert status == 200 and body.startswith(b"HTTP/1.1 200") and body.endswith(b"\r\n\r\n"), \
        (status, body)


def error_of(body):
    doc = json.loads(body)
    assert isinstance(doc.get("error"), str) and doc["error"], doc
    return doc["error"]


def test_not_found_and_method():
    status, body, _ = SERVER.curl("/nope")
    assert status == 404, status
    error_of(body)
    status, body, _ = SERVER.curl("/mutate/", data="{}")
    assert status == 404, status
    status, body, _ = SERVER.curl("/mutate", method="GET")
    assert status == 405, status
    assert "Allow: POST\r\n" in SERVER.last_headers, SERVER.last_headers
    error_of(body)
    status, body, _ = SERVER.curl("/healthz", data="{}")
    assert status == 405 and "Allow: GET, HEAD\r\n" in SERVER.last_headers, (status, body)
    status, body, _ = SERVER.curl("/mutate", method="PUT", data="{}")
    assert status == 405, status


def test_content_types():
    fixture = review_files()[0]
    status, body, _ = SERVER.curl("/mutate", data_file=fixture, content_type="text/plain")
    assert status == 415, status
    assert "application/json" in error_of(body)
    status, body, _ = SERVER.curl("/mutate", data_file=fixture, content_type="application/jsonx")
    assert status == 415, status
    # No Content-Type at all (curl -H 'Content-Type:' removes it): refused too.
    status, body, _ = SERVER.curl("/mutate", data_file=fixture, content_type="")
    assert status == 415, status
    for ct in ("application/json; charset=utf-8", "Application/JSON", "application/json;"):
        status, body, _ = SERVER.curl("/mutate", data_file=fixture, content_type=ct)
        assert status == 200, (ct, status, body)


def test_bad_bodies_are_400():
    cases = [
        b"",
        b"{",
        b"not json at all",
        b"[]",
        b'{"kind":"Pod","apiVersion":"v1"}',
        b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}',
        b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}',
        b'{"a":1,"a":2}',
        b'\xff\xfe{"x":1}',
        b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":'
        + b"9" * 40 + b"}}",
    ]
    for data in cases:
        status, body, rc = SERVER.curl("/mutate", data=data)
        assert status == 400, (data[:60], status, body)
        error_of(body)
    assert SERVER.alive()


def test_keepalive_two_requests_one_connection():
    fixture = review_files()[0]
    r = subprocess.run(
        ["curl", "-sS", "-v", "--cacert", SERVER.ca, "--resolve", f"{HOST}:{SERVER.port}:127.0.0.1",
         "-H", "Content-Type: application/json", "--data-binary", "@" + fixture,
         SERVER.url("/mutate"), "--next", "--cacert", SERVER.ca, "--resolve",
         f"{HOST}:{SERVER.port}:127.0.0.1", SERVER.url("/healthz"), "--next", "--cacert",
         SERVER.ca, "--resolve", f"{HOST}:{SERVER.port}:127.0.0.1", SERVER.url("/metrics")],
        capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("Connected to") == 1, r.stderr
    assert "Re-using existing connection" in r.stderr or "Reusing existing connection" in \
        r.stderr, r.stderr


def test_metrics_parse_with_prometheus_client():
    text = SERVER.metrics()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    prefix = "gomemlimit_webhook_"
    for name, typ in [("admission_requests", "counter"), ("admission_duration_seconds",
                                                           "histogram"),
                      ("containers", "counter"), ("cert_expiry_timestamp_seconds", "gauge"),
                      ("cert_reloads", "counter"), ("build_info", "gauge"),
                      ("http_requests", "counter"), ("in_flight_requests", "gauge"),
                      ("process_start_time_seconds", "gauge"), ("config_reloads", "counter")]:
        fam = families.get(prefix + name)
        assert fam is not None, f"missing {name}: {sorted(families)}"
        assert fam.type == typ, (name, fam.type)
    samples = {}
    for fam in families.values():
        for s in fam.samples:
            samples.setdefault(s.name, []).append(s)
    # The admissions so far: every fixture plus the later 200s and 400s are counted, and
    # the histogram count equals the sum of the counter.
    total = sum(s.value for s in samples[prefix + "admission_requests_total"])
    count = samples[prefix + "admission_duration_seconds_count"][0].value
    assert total == count and total >= 9, (total, count)
    errors = [s for s in samples[prefix + "admission_requests_total"]
              if s.labels == {"operation": "unknown", "result": "error"}]
    assert errors and errors[0].value >= 10, errors
    buckets = samples[prefix + "admission_duration_seconds_bucket"]
    assert buckets[-1].labels["le"] == "+Inf" and buckets[-1].value == count
    assert all(a.value <= b.value for a, b in zip(buckets, buckets[1:]))
    expiry = samples[prefix + "cert_expiry_timestamp_seconds"][0].value
    nota = subprocess.run(["openssl", "x509", "-in", SERVER.cert, "-noout", "-enddate"],
                          capture_output=True, text=True, check=True).stdout
    import email.utils
    want = email.utils.parsedate_to_datetime(
        nota.strip().split("=", 1)[1].replace(" GMT", " +0000")).timestamp()
    assert abs(expiry - want) < 2, (expiry, want)
    info = samples[prefix + "build_info"][0]
    assert info.labels.get("version") and info.value == 1
    codes = {(s.labels["route"], s.labels["code"]) for s in samples[prefix + "http_requests_total"]}
    for want in [("/mutate", "200"), ("/mutate", "400"), ("/mutate", "415"), ("/mutate", "405"),
                 ("other", "404")]:
        assert want in codes, (want, codes)


def test_access_log_lines():
    recs = SERVER.log_records()
    adm = [r for r in recs if r.get("msg") == "admission" and r.get("status") == 200]
    assert adm, "no admission log lines"
    for r in adm:
        for key in ("time", "level", "uid", "namespace", "name", "operation", "decision",
                    "durationMs"):
            assert key in r, (key, r)
        assert "object" not in r and "request" not in r  # no Pod bodies at info
    # generateName-only Pods are named by their generateName.
    assert any(r["name"].endswith("-") for r in adm), [r["name"] for r in adm]


def tls_handshake(cmd):
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
    return r.returncode, r.stdout + r.stderr


def test_tls_versions():
    port = str(SERVER.port)
    base = ["gnutls-cli", "--insecure", "-p", port, "127.0.0.1", "--priority"]
    ok12, out12 = tls_handshake(base + ["NORMAL:-VERS-ALL:+VERS-TLS1.2"])
    assert ok12 == 0 and "TLS1.2" in out12, out12  # the same probe can succeed
    ok13, out13 = tls_handshake(base + ["NORMAL:-VERS-ALL:+VERS-TLS1.3"])
    assert ok13 == 0 and "TLS1.3" in out13, out13
    for version in ("TLS1.1", "TLS1.0"):
        rc, out = tls_handshake(base + [f"NORMAL:-VERS-ALL:+VERS-{version}"])
        assert rc != 0, f"{version} handshake succeeded:\n{out}"
        assert "Handshake was completed" not in out, out
    # OpenSSL as a second, independent client (SECLEVEL=0 so the client offers 1.1).
    rc, out = tls_handshake(["openssl", "s_client", "-connect", "127.0.0.1:" + port,
                             "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
    assert rc != 0 and "BEGIN CERTIFICATE" not in out, out
    rc, out = tls_handshake(["openssl", "s_client", "-connect", "127.0.0.1:" + port, "-tls1_2"])
    assert rc == 0 and "BEGIN CERTIFICATE" in out, out
    assert SERVER.alive()


def test_plain_http_refused():
    r = subprocess.run(["curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w",
                        "%{http_code}", f"http://127.0.0.1:{SERVER.port}/healthz"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 and r.stdout in ("000", ""), (r.returncode, r.stdout, r.stderr)
    # A raw HTTP request gets no HTTP answer either.
    with socket.create_connection(("127.0.0.1", SERVER.port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = s.recv(4096)
        except (ConnectionResetError, socket.timeout):
            data = b""
    assert not data.startswith(b"HTTP/"), data
    assert SERVER.alive()
    status, _, _ = SERVER.curl("/healthz")
    assert status == 200


def test_wrong_ca_rejected_by_client():
    other = workdir("gmw-other-ca-")
    make_certs(other)
    status, _, rc = SERVER.curl("/healthz", cacert=os.path.join(other, "ca.crt"))
    assert rc != 0 and status == 0, (rc, status)  # curl does verify: the test can fail


def padded_path(name, length):
    """WORK/name spelled with "./" (and "//") to exactly `length` bytes."""
    rem = length - len(WORK) - len(name) - 1
    sep = "//" if rem % 2 else "/"
    path = WORK + sep + "./" * ((rem - len(sep) + 1) // 2) + name
    assert len(path) == length and os.path.exists(path), (len(path), path)
    return path


def test_overlong_path_flags_refused():
    """--tls-cert-file/--tls-key-file/--listen longer than their config fields are refused
    (exit 2), not cut short: the first 1023 bytes of these paths name the real files."""
    crt, key = os.path.join(WORK, "tls.crt"), os.path.join(WORK, "tls.key")
    long_crt = padded_path("tls.crt", 1023) + ".gone"
    long_key = padded_path("tls.key", 1023) + ".gone"
    for flags, name in (([long_crt, key], "--tls-cert-file"), ([crt, long_key], "--tls-key-file")):
        args = [GMW_BIN, "serve", "--listen", "127.0.0.1:0", "--tls-cert-file", flags[0],
                "--tls-key-file", flags[1]]
        try:
            r = subprocess.run(args, capture_output=True, text=True, timeout=20)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{name}: an overlong path was cut short and served") from None
        assert r.returncode == 2, (name, r.returncode, r.stderr[-300:])
        assert name in r.stderr and "too long" in r.stderr, r.stderr[-300:]
    r = subprocess.run([GMW_BIN, "serve", "--listen", "127.0.0.1:" + "0" * 300,
                        "--tls-cert-file", crt, "--tls-key-file", key],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 2 and "--listen" in r.stderr and "too long" in r.stderr, r.stderr


def test_flag_values_checked_like_the_config():
    """The serve flags use the config's listen syntax and duration grammar (and ranges):
    bad values are usage errors (exit 2) naming the flag."""
    crt, key = os.path.join(WORK, "tls.crt"), os.path.join(WORK, "tls.key")
    cases = [(["--listen", ":99999"], "the port must be a number from 0 to 65535"),
             (["--listen", "8443"], "missing ':PORT'"),
             (["--listen", "::1:8443"], "needs brackets"),
             (["--idle-timeout", "0"], "--idle-timeout"),
             (["--idle-timeout", "25h"], "--idle-timeout"),
             (["--idle-timeout", "1m30s"], "--idle-timeout"),
             (["--request-timeout", "1500ms"], "--request-timeout"),
             (["--request-timeout", "2h"], "--request-timeout"),
             (["--shutdown-grace-period", "-1"], "--shutdown-grace-period")]
    for extra, want in cases:
        r = subprocess.run([GMW_BIN, "serve", "--tls-cert-file", crt, "--tls-key-file", key,
                            "--listen", "127.0.0.1:0", *extra],
                           capture_output=True, text=True, timeout=20)
        assert r.returncode == 2, (extra, r.returncode, r.stderr[-300:])
        assert want in r.stderr, (extra, r.stderr[-300:])


def test_config_durations_and_listen():
    """idleTimeout: 2h and requestTimeout: 2000ms are accepted (the flags' grammar), and a
    bad listen in the file is refused at load time with FILE:LINE:COL (exit 1)."""
    cfg = os.path.join(WORK, "durations.yaml")
    with open(cfg, "w") as f:
        f.write("idleTimeout: 2h\nrequestTimeout: 2000ms\nshutdownGracePeriod: 1m\n")
    with Server(WORK, config=cfg) as srv:
        rec = srv.wait_log(lambda r: r.get("msg") == "listening")
        assert rec["idleTimeoutSeconds"] == 7200, rec
    bad = os.path.join(WORK, "bad-listen.yaml")
    with open(bad, "w") as f:
        f.write("logLevel: info\nlisten: \":99999\"\n")
    r = subprocess.run([GMW_BIN, "serve", "--config", bad, "--tls-cert-file",
                        os.path.join(WORK, "tls.crt"), "--tls-key-file",
                        os.path.join(WORK, "tls.key")],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 1, (r.returncode, r.stderr[-300:])
    assert f"{bad}:2:9: listen: invalid address ':99999': the port must be" in r.stderr, r.stderr


if __name__ == "__main__":
    with SERVER:
        run_tests([
            test_fixtures_same_answer_as_engine,
            test_health_ready,
            test_not_found_and_method,
            test_content_types,
            test_bad_bodies_are_400,
            test_keepalive_two_requests_one_connection,
            test_metrics_parse_with_prometheus_client,
            test_access_log_lines,
            test_tls_versions,
            test_plain_http_refused,
            test_wrong_ca_rejected_by_client,
            test_overlong_path_flags_refused,
            test_flag_values_checked_like_the_config,
            test_config_durations_and_listen,
        ])
