#!/usr/bin/python3
"""`gomemlimit-webhook certs`: the generated CA and serving certificate verify with
`openssl verify`, carry the four Service SANs, ECDSA P-256 by default (RSA on request),
keys are 0600, stdout is the base64 caBundle; existing files are not overwritten
without --force; an existing CA can sign a new pair; --check reports good and bad pairs;
the server accepts the pair and curl trusts it."""
import base64
import json
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "server"))
from harness import workdir, GMW_BIN, HOST, NS, SVC, Server, make_certs, python_is_debian, run_tests  # noqa: E402

python_is_debian()


def run(*args, check=None):
    r = subprocess.run([GMW_BIN, *args], capture_output=True, text=True, timeout=60)
    if check is not None:
        assert r.returncode == check, (args, r.returncode, r.stdout, r.stderr)
    return r


def openssl(*args):
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)


def test_generate_verify_sans_modes_bundle():
    d = workdir("gmw-certs-")
    out = os.path.join(d, "new", "nested", "out")  # created with its parents by the command
    r = run("certs", "--service", SVC, "--namespace", NS, "--out", out, check=0)
    for name in ("ca.crt", "ca.key", "tls.crt", "tls.key"):
        assert os.path.exists(os.path.join(out, name)), name
    for name in ("tls.key", "ca.key"):
        assert stat.S_IMODE(os.stat(os.path.join(out, name)).st_mode) == 0o600, name
    v = openssl("verify", "-CAfile", os.path.join(out, "ca.crt"), os.path.join(out, "tls.crt"))
    assert v.returncode == 0 and ": OK" in v.stdout, v.stdout + v.stderr
    san = openssl("x509", "-in", os.path.join(out, "tls.crt"), "-noout", "-ext", "subjectAltName")
    names = [n.strip() for n in san.stdout.split("\n", 1)[1].split(",")]
    assert names == [f"DNS:{SVC}", f"DNS:{SVC}.{NS}", f"DNS:{SVC}.{NS}.svc",
                     f"DNS:{SVC}.{NS}.svc.cluster.local"], names
    ext = openssl("x509", "-in", os.path.join(out, "tls.crt"), "-noout", "-ext",
                  "extendedKeyUsage,basicConstraints")
    assert "TLS Web Server Authentication" in ext.stdout and "CA:FALSE" in ext.stdout, ext.stdout
    ca = openssl("x509", "-in", os.path.join(out, "ca.crt"), "-noout", "-ext", "basicConstraints")
    assert "CA:TRUE" in ca.stdout, ca.stdout
    key = openssl("pkey", "-in", os.path.join(out, "tls.key"), "-noout", "-text")
    assert "prime256v1" in key.stdout or "P-256" in key.stdout, key.stdout[:300]
    with open(os.path.join(out, "ca.crt"), "rb") as f:
        assert r.stdout.strip() == base64.b64encode(f.read()).decode()
    assert "\n" not in r.stdout.strip()
    # Validity: --days default 365.
    end = openssl("x509", "-in", os.path.join(out, "tls.crt"), "-noout", "-checkend",
                  str(364 * 86400))
    assert end.returncode == 0, end.stdout
    end = openssl("x509", "-in", os.path.join(out, "tls.crt"), "-noout", "-checkend",
                  str(366 * 86400))
    assert end.returncode != 0, end.stdout


def test_rsa_and_days():
    d = workdir("gmw-certs-rsa-")
    run("certs", "-s", SVC, "-n", NS, "-o", d, "--key-type", "rsa", "--days", "10", check=0)
    key = openssl("pkey", "-in", os.path.join(d, "tls.key"), "-noout", "-text")
    assert "Private-Key: (2048 bit" in key.stdout, key.stdout[:200]
    end = openssl("x509", "-in", os.path.join(d, "tls.crt"), "-noout", "-checkend",
                  str(11 * 86400))
    assert end.returncode != 0


def test_no_overwrite_without_force():
    d = workdir("gmw-certs-force-")
    make_certs(d)
    with open(os.path.join(d, "tls.crt"), "rb") as f:
        before = f.read()
    r = run("certs", "-s", SVC, "-n", NS, "-o", d, check=1)
    assert "exists" in r.stderr and "--force" in r.stderr, r.stderr
    with open(os.path.join(d, "tls.crt"), "rb") as f:
        assert f.read() == before
    run("certs", "-s", SVC, "-n", NS, "-o", d, "--force", check=0)
    with open(os.path.join(d, "tls.crt"), "rb") as f:
        assert f.read() != before


def test_existing_ca_signs_new_pair():
    d = workdir("gmw-certs-ca-")
    make_certs(d)
    d2 = os.path.join(d, "next")
    run("certs", "-s", SVC, "-n", NS, "-o", d2, "--ca-cert", os.path.join(d, "ca.crt"),
        "--ca-key", os.path.join(d, "ca.key"), check=0)
    assert not os.path.exists(os.path.join(d2, "ca.key"))
    v = openssl("verify", "-CAfile", os.path.join(d, "ca.crt"), os.path.join(d2, "tls.crt"))
    assert v.returncode == 0, v.stdout + v.stderr
    with open(os.path.join(d, "ca.crt")) as a, open(os.path.join(d2, "ca.crt")) as b:
        assert a.read() == b.read()
    # A CA key that does not belong to the CA certificate is refused.
    other = workdir("gmw-certs-other-")
    make_certs(other)
    r = run("certs", "-s", SVC, "-n", NS, "-o", os.path.join(d, "bad"), "--ca-cert",
            os.path.join(d, "ca.crt"), "--ca-key", os.path.join(other, "ca.key"), check=1)
    assert "does not match" in r.stderr, r.stderr


def test_usage_errors():
    d = workdir("gmw-certs-usage-")
    for args in (["--service", "Bad_Name", "--namespace", NS, "--out", d],
                 ["--service", SVC, "--out", d],
                 ["--service", SVC, "--namespace", NS, "--out", d, "--days", "0"],
                 ["--service", SVC, "--namespace", NS, "--out", d, "--key-type", "dsa"],
                 ["--service", SVC, "--namespace", NS, "--out", d, "--ca-cert", "x"],
                 ["--check", "--cert", "x"],
                 ["--bogus"]):
        r = run("certs", *args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert r.stderr.strip(), args
    assert os.listdir(d) == []
    r = run("certs", "--help", check=0)
    assert "--service" in r.stdout


def test_check_mode():
    d = workdir("gmw-certs-check-")
    make_certs(d)
    p = lambda n: os.path.join(d, n)  # noqa: E731
    r = run("certs", "--check", "--cert", p("tls.crt"), "--key", p("tls.key"), "--ca",
            p("ca.crt"), "--host", HOST, check=0)
    doc = json.loads(r.stdout)
    assert doc["ok"] is True and HOST in doc["dnsNames"] and doc["notAfter"] > 0, doc
    r = run("certs", "--check", "--cert", p("tls.crt"), "--key", p("ca.key"), check=1)
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and "does not match" in doc["error"], doc
    r = run("certs", "--check", "--cert", p("tls.crt"), "--key", p("tls.key"), "--host",
            "evil.example", check=1)
    r = run("certs", "--check", "--cert", p("missing.crt"), "--key", p("tls.key"), check=1)
    assert "No such file" in json.loads(r.stdout)["error"]


def test_server_accepts_generated_pair():
    d = workdir("gmw-certs-serve-")
    make_certs(d)
    with Server(d) as srv:
        status, body, rc = srv.curl("/readyz")
        assert rc == 0 and status == 200, (rc, status)
    d2 = workdir("gmw-certs-serve-rsa-")
    make_certs(d2, "--key-type", "rsa")
    with Server(d2) as srv:
        status, body, rc = srv.curl("/readyz")
        assert rc == 0 and status == 200, (rc, status)


def test_server_refuses_bad_initial_pair():
    d = workdir("gmw-certs-bad-")
    make_certs(d)
    r = subprocess.run([GMW_BIN, "serve", "--listen", "127.0.0.1:0", "--tls-cert-file",
                        os.path.join(d, "tls.crt"), "--tls-key-file", os.path.join(d, "ca.key")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r.returncode
    assert "does not match" in r.stderr, r.stderr
    r = subprocess.run([GMW_BIN, "serve", "--listen", "127.0.0.1:0"], capture_output=True,
                       text=True, timeout=30)
    # Without flags the default paths (/etc/webhook/tls/...) are used and named.
    assert r.returncode == 1 and "tls.crt: No such file" in r.stderr, (r.returncode, r.stderr)


if __name__ == "__main__":
    run_tests([
        test_generate_verify_sans_modes_bundle,
        test_rsa_and_days,
        test_no_overwrite_without_force,
        test_existing_ca_signs_new_pair,
        test_usage_errors,
        test_check_mode,
        test_server_accepts_generated_pair,
        test_server_refuses_bad_initial_pair,
    ])
