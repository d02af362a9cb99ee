#!/usr/bin/python3
"""Live reload: rotate the serving certificate while a client keeps posting (plain file
replacement and the Kubernetes `..data` symlink swap): zero failed requests and the new
certificate is served afterwards (under load, within a second of the swap, with the serial
the server logs); a corrupt or mismatched replacement keeps the old one
serving and counts a failure; a config file change takes effect, an invalid one is
rejected."""
import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "server"))
from harness import workdir, FIXTURES, GMW_BIN, HOST, Server, make_certs, python_is_debian, run_tests  # noqa: E402

python_is_debian()
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

REVIEW = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server", "reviews",
                      "pod-create-memory-limits.json")


def served_fingerprint(port):
    """SHA-256 of the certificate a fresh TLS connection gets (no verification)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=HOST) as s:
            return hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()


def file_fingerprint(path):
    with open(path) as f:
        pem = f.read()
    start = pem.index("-----BEGIN CERTIFICATE-----")
    end = pem.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem[start:end])).hexdigest()


def new_generation(ca_dir, out_dir):
    """A new serving pair signed by the same CA (so clients keep trusting it)."""
    make_certs(out_dir, "--ca-cert", os.path.join(ca_dir, "ca.crt"), "--ca-key",
               os.path.join(ca_dir, "ca.key"))


def replace_file(src, dst):
    """Atomic replacement, the way most tools write files."""
    tmp = dst + ".new"
    shutil.copyfile(src, tmp)
    os.rename(tmp, dst)


def metric(server, name, labels):
    for fam in text_string_to_metric_families(server.metrics()):
        for s in fam.samples:
            if s.name == name and s.labels == labels:
                return s.value
    raise AssertionError(f"no sample {name}{labels}")


class ClientLoop(threading.Thread):
    """POST /mutate over new TLS connections until stopped (bounded to 2000 requests)."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.stop = threading.Event()
        self.results = []

    def run(self):
        while not self.stop.is_set() and len(self.results) < 2000:
            status, body, rc = self.server.curl("/mutate?timeout=10s", data_file=REVIEW)
            self.results.append((status, rc, body[:200]))

    def finish(self):
        self.stop.set()
        self.join(timeout=60)
        assert not self.is_alive(), "client loop did not stop"
        failures = [r for r in self.results if r[0] != 200 or r[1] != 0]
        return len(self.results), failures


def rotate_while_posting(server, rotate, min_requests=20):
    loop = ClientLoop(server)
    loop.start()
    deadline = time.monotonic() + 30
    while len(loop.results) < min_requests and time.monotonic() < deadline:
        time.sleep(0.05)
    before = len(loop.results)
    rotate()
    server.wait_log(lambda r: r.get("msg") == "serving certificate reloaded", timeout=15)
    deadline = time.monotonic() + 30
    while len(loop.results) < before + min_requests and time.monotonic() < deadline:
        time.sleep(0.05)
    total, failures = loop.finish()
    assert total >= 2 * min_requests, total
    assert not failures, f"{len(failures)} of {total} requests failed: {failures[:3]}"
    return total


def test_rotation_plain_files():
    work = workdir("gmw-rot-")
    make_certs(work)
    gen2 = os.path.join(work, "gen2")
    new_generation(work, gen2)
    with Server(work) as srv:
        old = served_fingerprint(srv.port)
        assert old == file_fingerprint(os.path.join(work, "tls.crt"))

        def rotate():
            replace_file(os.path.join(gen2, "tls.crt"), os.path.join(work, "tls.crt"))
            replace_file(os.path.join(gen2, "tls.key"), os.path.join(work, "tls.key"))

        rotate_while_posting(srv, rotate)
        new = served_fingerprint(srv.port)
        assert new == file_fingerprint(os.path.join(gen2, "tls.crt")) and new != old
        assert metric(srv, "gomemlimit_webhook_cert_reloads_total", {"result": "success"}) >= 1

        # A corrupt certificate: the old (gen2) one keeps serving, failure counted.
        failures0 = metric(srv, "gomemlimit_webhook_cert_reloads_total", {"result": "failure"})
        with open(os.path.join(work, "garbage"), "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
        replace_file(os.path.join(work, "garbage"), os.path.join(work, "tls.crt"))
        srv.wait_log(lambda r: r.get("msg", "").startswith("certificate reload failed"))
        assert metric(srv, "gomemlimit_webhook_cert_reloads_total",
                      {"result": "failure"}) == failures0 + 1
        assert served_fingerprint(srv.port) == new
        status, _, _ = srv.curl("/mutate", data_file=REVIEW)
        assert status == 200
        status, _, _ = srv.curl("/readyz")
        assert status == 200

        # A valid certificate whose key does not match (gen3 cert, gen2 key): refused too.
        gen3 = os.path.join(work, "gen3")
        new_generation(work, gen3)
        replace_file(os.path.join(gen3, "tls.crt"), os.path.join(work, "tls.crt"))
        deadline = time.monotonic() + 15
        while metric(srv, "gomemlimit_webhook_cert_reloads_total",
                     {"result": "failure"}) < failures0 + 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert metric(srv, "gomemlimit_webhook_cert_reloads_total",
                      {"result": "failure"}) == failures0 + 2
        assert served_fingerprint(srv.port) == new
        logs = [r for r in srv.log_records() if r.get("msg", "").startswith("certificate reload")]
        assert any("does not match" in r.get("error", "") for r in logs), logs

        # Completing the pair fixes it.
        replace_file(os.path.join(gen3, "tls.key"), os.path.join(work, "tls.key"))
        deadline = time.monotonic() + 15
        while served_fingerprint(srv.port) != file_fingerprint(os.path.join(gen3, "tls.crt")) \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert served_fingerprint(srv.port) == file_fingerprint(os.path.join(gen3, "tls.crt"))


def kube_secret_dir(root, gen_dir, stamp):
    """Lay out root like a kubelet Secret volume pointing at a copy of gen_dir."""
    ts = os.path.join(root, stamp)
    os.mkdir(ts)
    for name in ("tls.crt", "tls.key", "ca.crt"):
        shutil.copyfile(os.path.join(gen_dir, name), os.path.join(ts, name))
    tmp = os.path.join(root, "..data_tmp")
    os.symlink(stamp, tmp)
    os.rename(tmp, os.path.join(root, "..data"))  # the atomic swap
    for name in ("tls.crt", "tls.key", "ca.crt"):
        link = os.path.join(root, name)
        if not os.path.islink(link):
            os.symlink(os.path.join("..data", name), link)


def test_rotation_kubernetes_data_swap():
    work = workdir("gmw-kube-")
    make_certs(work)
    gen2 = os.path.join(work, "gen2")
    new_generation(work, gen2)
    vol = os.path.join(work, "volume")
    os.mkdir(vol)
    kube_secret_dir(vol, work, "..2026_11_25_20_00_00.000000001")
    with Server(work, cert=os.path.join(vol, "tls.crt"), key=os.path.join(vol, "tls.key")) as srv:
        old = served_fingerprint(srv.port)
        assert old == file_fingerprint(os.path.join(work, "tls.crt"))
        rotate_while_posting(srv, lambda: kube_secret_dir(vol, gen2,
                                                          "..2026_11_25_21_00_00.000000002"))
        new = served_fingerprint(srv.port)
        assert new == file_fingerprint(os.path.join(gen2, "tls.crt")) and new != old
        assert metric(srv, "gomemlimit_webhook_cert_reloads_total", {"result": "failure"}) == 0
        # The old generation directory goes away as the kubelet cleans up: still serving.
        shutil.rmtree(os.path.join(vol, "..2026_11_25_20_00_00.000000001"))
        status, _, _ = srv.curl("/mutate", data_file=REVIEW)
        assert status == 200


def file_serial(path):
    r = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-serial"], capture_output=True,
                       text=True, timeout=20, check=True)
    return r.stdout.strip().split("=", 1)[1].upper()


class Prober(threading.Thread):
    """Fresh TLS handshakes back to back, recording (monotonic time, certificate SHA-256);
    bounded to 5000 handshakes."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.seen = []
        self.errors = []

    def run(self):
        while not self.stop.is_set() and len(self.seen) < 5000:
            try:
                fp = served_fingerprint(self.port)
                self.seen.append((time.monotonic(), fp))
            except (OSError, ssl.SSLError) as e:
                self.errors.append(repr(e))


def test_rotation_under_load_new_serial_within_a_second():
    # The production path: the kubelet's ..data swap, seen through inotify (the poll interval
    # is the 2s default, so a reload within a second cannot come from polling), while two
    # clients post reviews and a third handshakes continuously.
    work = workdir("gmw-rot-load-")
    make_certs(work)
    gen2 = os.path.join(work, "gen2")
    new_generation(work, gen2)
    vol = os.path.join(work, "volume")
    os.mkdir(vol)
    kube_secret_dir(vol, work, "..2026_12_01_00_00_00.000000001")
    new_fp = file_fingerprint(os.path.join(gen2, "tls.crt"))
    with Server(work, cert=os.path.join(vol, "tls.crt"), key=os.path.join(vol, "tls.key"),
                args=["--reload-interval", "2s"]) as srv:
        old_fp = served_fingerprint(srv.port)
        loops = [ClientLoop(srv), ClientLoop(srv)]
        prober = Prober(srv.port)
        for t in loops + [prober]:
            t.start()
        deadline = time.monotonic() + 30
        while min(len(lp.results) for lp in loops) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        kube_secret_dir(vol, gen2, "..2026_12_01_01_00_00.000000002")
        swapped = time.monotonic()
        rec = srv.wait_log(lambda r: r.get("msg") == "serving certificate reloaded", timeout=15)
        deadline = time.monotonic() + 15
        while not any(fp == new_fp for _, fp in prober.seen) and time.monotonic() < deadline:
            time.sleep(0.02)
        counts = [len(lp.results) for lp in loops]
        while min(len(lp.results) - c for lp, c in zip(loops, counts)) < 10 and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        prober.stop.set()
        prober.join(timeout=30)
        results = [lp.finish() for lp in loops]

        assert rec["serial"] == file_serial(os.path.join(gen2, "tls.crt")), rec
        first_new = next((t for t, fp in prober.seen if fp == new_fp), None)
        assert first_new is not None, "the new certificate was never served"
        latency = first_new - swapped
        print(f"  new serial served {latency * 1000:.0f} ms after the swap; "
              f"{len(prober.seen)} handshakes, {sum(n for n, _ in results)} reviews", flush=True)
        assert latency < 1.0, f"new certificate served only after {latency:.2f}s"
        after = [fp for t, fp in prober.seen if t >= first_new]
        assert set(after) == {new_fp}, "the old certificate came back after the new one"
        assert all(fp in (old_fp, new_fp) for _, fp in prober.seen)
        assert not prober.errors, prober.errors[:3]
        for total, failures in results:
            assert total >= 20 and not failures, (total, failures[:3])


def test_sighup_reload():
    work = workdir("gmw-hup-")
    make_certs(work)
    gen2 = os.path.join(work, "gen2")
    new_generation(work, gen2)
    # A one-hour poll interval and a directory the watcher cannot see into: only SIGHUP.
    with Server(work, args=["--reload-interval", "1h"]) as srv:
        for name in ("tls.crt", "tls.key"):
            replace_file(os.path.join(gen2, name), os.path.join(work, name))
        import signal
        srv.signal(signal.SIGHUP)
        srv.wait_log(lambda r: r.get("msg") == "serving certificate reloaded")
        assert served_fingerprint(srv.port) == file_fingerprint(os.path.join(gen2, "tls.crt"))


def write(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def engine_answer(config):
    r = subprocess.run([GMW_BIN, "mutate", "--review", "--config", config, "-f", REVIEW],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    import json
    return json.loads(r.stdout)


def test_config_reload():
    import json
    work = workdir("gmw-cfg-")
    make_certs(work)
    cfg = os.path.join(work, "config.yaml")
    write(cfg, "defaults:\n  ratio: 0.9\n")
    with Server(work, config=cfg) as srv:
        status, body, _ = srv.curl("/mutate", data_file=REVIEW)
        assert status == 200 and json.loads(body) == engine_answer(cfg)
        first = json.loads(body)

        # Invalid: rejected, logged with file:line:col, the running config stays.
        write(cfg, "defaults:\n  ratio: 0.9\nnoSuchKey: 1\n")
        rec = srv.wait_log(lambda r: r.get("msg", "").startswith("config reload failed"))
        assert "config.yaml:3" in rec.get("error", ""), rec
        assert metric(srv, "gomemlimit_webhook_config_reloads_total", {"result": "failure"}) == 1
        status, body, _ = srv.curl("/mutate", data_file=REVIEW)
        assert status == 200 and json.loads(body) == first

        # Valid change: takes effect and the server answers like the engine with it.
        write(cfg, "defaults:\n  ratio: 0.5\n  requestPolicy: keep\nlogLevel: debug\n")
        srv.wait_log(lambda r: r.get("msg") == "config reloaded")
        assert metric(srv, "gomemlimit_webhook_config_reloads_total", {"result": "success"}) == 1
        status, body, _ = srv.curl("/mutate", data_file=REVIEW)
        want = engine_answer(cfg)
        assert status == 200 and json.loads(body) == want
        assert "patch" in first["response"] and want != first, "the ratio should change the patch"
        # logLevel: debug took effect too.
        srv.wait_log(lambda r: r.get("level") == "debug")

        # A restart-only key: warned about, the server keeps listening where it was.
        write(cfg, "connectionLimit: 7\n")
        srv.wait_log(lambda r: "takes effect after a restart" in r.get("msg", ""))
        status, _, _ = srv.curl("/healthz")
        assert status == 200


if __name__ == "__main__":
    run_tests([
        test_rotation_plain_files,
        test_rotation_kubernetes_data_swap,
        test_rotation_under_load_new_serial_within_a_second,
        test_sighup_reload,
        test_config_reload,
    ])
