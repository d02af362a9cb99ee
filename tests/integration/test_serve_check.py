#!/usr/bin/python3
"""`gomemlimit-webhook serve --check` (like relayd -n): validates the config file, the flags,
the certificate pair and the listen address, prints "configuration OK" (exit 0) or every
error (exit 1), and never serves. Certificates come from the `certs` command and, for the
expired and mismatched cases, from python3-cryptography (an independent generator)."""
import datetime
import os
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "server"))
from harness import workdir, GMW_BIN, make_certs, python_is_debian, run_tests  # noqa: E402

from cryptography import x509  # python3-cryptography
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

python_is_debian()

D = workdir("gmw-check-")
GOOD = os.path.join(D, "good")
OTHER = os.path.join(D, "other")
make_certs(GOOD)
make_certs(OTHER)


def write(name, text):
    path = os.path.join(D, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def config(listen=":8443", cert=None, key=None, extra=""):
    cert = cert or os.path.join(GOOD, "tls.crt")
    key = key or os.path.join(GOOD, "tls.key")
    return f'listen: "{listen}"\ntls:\n  certFile: {cert}\n  keyFile: {key}\n{extra}'


def check(*args):
    r = subprocess.run([GMW_BIN, "serve", "--check", *args], capture_output=True, text=True,
                       timeout=60)
    return r.returncode, r.stdout, r.stderr


def expect_fail(args, *reasons, count=None):
    rc, out, err = check(*args)
    assert rc == 1, (args, rc, out, err)
    assert "configuration OK" not in out, out
    for reason in reasons:
        assert reason in err, (reason, err)
    if count is not None:
        word = "error" if count == 1 else "errors"
        assert f"configuration has {count} {word}" in err, err
    return err


def test_good_config_ok_and_never_serves():
    # A port we hold: --check must neither bind it nor care (it validates, never serves).
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        cfg = write("good.yaml", config(listen=f"127.0.0.1:{port}"))
        rc, out, err = check("--config", cfg)
        assert (rc, out) == (0, "configuration OK\n"), (rc, out, err)
        assert "listening" not in err, err
        # Flags alone, no config file.
        rc, out, err = check("--tls-cert-file", os.path.join(GOOD, "tls.crt"), "--tls-key-file",
                             os.path.join(GOOD, "tls.key"), "--listen", ":20443", "--threads",
                             "4")
        assert (rc, out) == (0, "configuration OK\n"), (rc, out, err)
    finally:
        s.close()


def test_bad_config_file_line():
    cfg = write("bad.yaml", config(extra="defaults:\n  ratio: 1.5\n"))
    err = expect_fail(["--config", cfg], f"{cfg}:6:", "ratio", count=1)
    # The broken file's pair is unknown: no second, misleading certificate error.
    assert "certificate" not in err, err
    expect_fail(["--config", os.path.join(D, "missing.yaml")], "missing.yaml",
                "No such file or directory")


def test_bad_flags_exit_1_with_reason():
    cfg = write("flags.yaml", config())
    expect_fail(["--config", cfg, "--threads", "x"], "--threads wants an integer 0..1024",
                count=1)
    expect_fail(["--config", cfg, "--bogus"], "unknown option '--bogus'", count=1)
    expect_fail(["--config", cfg, "--max-body", "1Ki", "--log-level", "loud"], "--max-body",
                "--log-level", count=2)
    # Without --check the same flag is still a usage error (exit 2), as before.
    r = subprocess.run([GMW_BIN, "serve", "--threads", "x"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2 and "--threads wants" in r.stderr, (r.returncode, r.stderr)


def test_missing_cert():
    cfg = write("missing-cert.yaml", config(cert=os.path.join(D, "nope.crt")))
    expect_fail(["--config", cfg], "nope.crt: No such file or directory", count=1)
    expect_fail(["--config", write("ok.yaml", config()), "--tls-key-file",
                 os.path.join(D, "nope.key")], "nope.key: No such file or directory", count=1)


def test_mismatched_key():
    cfg = write("mismatch.yaml", config(key=os.path.join(OTHER, "tls.key")))
    expect_fail(["--config", cfg], "the private key does not match the certificate", count=1)


def test_expired_cert():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "expired.example")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=30))
            .not_valid_after(now - datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("expired.example")]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    crt = write("expired.crt", cert.public_bytes(serialization.Encoding.PEM).decode())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    k = write("expired.key", pem)
    expect_fail(["--config", write("expired.yaml", config(cert=crt, key=k))],
                "the certificate has expired", count=1)


def test_expiring_soon_is_a_warning():
    soon = os.path.join(D, "soon")
    make_certs(soon, "--days", "10")
    cfg = write("soon.yaml", config(cert=os.path.join(soon, "tls.crt"),
                                    key=os.path.join(soon, "tls.key")))
    rc, out, err = check("--config", cfg)
    assert (rc, out) == (0, "configuration OK\n"), (rc, out, err)
    # 10 days from issue, whole days left: 10 within the same second, else 9.
    assert re.search(r"warning: the serving certificate expires in (9|10) days", err), err


def test_bad_listen():
    cfg = write("listen.yaml", config(listen=":99999"))
    expect_fail(["--config", cfg], f"{cfg}:1:", "listen", count=1)
    expect_fail(["--config", write("ok2.yaml", config()), "--listen", "a:b:c"], "--listen:",
                count=1)
    # A host that is not an address of this machine (TEST-NET-1, RFC 5737): the host is bound
    # with port 0 and released, which fails; the configured port is never bound.
    expect_fail(["--config", write("ok3.yaml", config(listen="192.0.2.1:8443"))],
                "listen '192.0.2.1:8443': the host cannot be bound here",
                "Cannot assign requested address", count=1)


def test_every_error_reported():
    cfg = write("many.yaml", config(cert=os.path.join(D, "nope.crt")))
    expect_fail(["--config", cfg, "--threads", "x", "--connection-limit", "0", "extra"],
                "--threads", "--connection-limit", "unexpected argument 'extra'", "nope.crt",
                count=4)


if __name__ == "__main__":
    run_tests([
        test_good_config_ok_and_never_serves,
        test_bad_config_file_line,
        test_bad_flags_exit_1_with_reason,
        test_missing_cert,
        test_mismatched_key,
        test_expired_cert,
        test_expiring_soon_is_a_warning,
        test_bad_listen,
        test_every_error_reported,
    ])
