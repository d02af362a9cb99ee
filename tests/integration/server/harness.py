"""Test harness for `gomemlimit-webhook serve`: certificates, a server process on a
random loopback port (port 0, read back from the "listening" log line), and curl.

Run with /usr/bin/python3 (Debian's, which has prometheus_client and jsonpatch).
Every wait is bounded; Server is a context manager that always kills the process.
"""
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

GMW_BIN = os.environ.get("GMW_BIN", "build/gomemlimit-webhook")
SRC_DIR = os.environ.get("GMW_SRC_DIR", os.getcwd())
SVC = "gomemlimit-webhook"
NS = "gomemlimit-system"
HOST = f"{SVC}.{NS}.svc"
FIXTURES = os.path.join(SRC_DIR, "tests", "fixtures", "admission")


def workdir(prefix):
    """A fresh temporary directory, removed when the test program exits."""
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, True)
    return path


def make_certs(out_dir, *extra):
    """Generate ca.crt/ca.key/tls.crt/tls.key with the CLI; returns the caBundle line."""
    r = subprocess.run([GMW_BIN, "certs", "--service", SVC, "--namespace", NS, "--out", out_dir,
                        *extra], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"certs failed ({r.returncode}): {r.stderr}")
    return r.stdout.strip()


def cert_fingerprint_file(path):
    r = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-fingerprint", "-sha256"],
                       capture_output=True, text=True, timeout=20, check=True)
    return r.stdout.strip().split("=", 1)[1]


class Server:
    """A running `serve`. Use as a context manager."""

    def __init__(self, workdir, cert=None, key=None, args=(), config=None):
        self.workdir = workdir
        self.cert = cert or os.path.join(workdir, "tls.crt")
        self.key = key or os.path.join(workdir, "tls.key")
        self.ca = os.path.join(workdir, "ca.crt")
        self.args = list(args)
        self.config = config
        self.log_path = os.path.join(workdir, "server.log")
        self.proc = None
        self.port = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.kill()
        if exc[0] is not None and not (exc[0] is SystemExit and exc[1].code in (0, None)):
            sys.stderr.write("---- server log ----\n" + self.log_text()[-6000:] + "\n")
        return False

    def start(self, timeout=15):
        cmd = [GMW_BIN, "serve", "--listen", "127.0.0.1:0", "--tls-cert-file", self.cert,
               "--tls-key-file", self.key, "--threads", "2", "--reload-interval", "200ms"]
        if self.config:
            cmd += ["--config", self.config]
        cmd += self.args
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.logf)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for rec in self.log_records():
                if rec.get("msg") == "listening":
                    self.port = rec["port"]
                    return
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}:\n{self.log_text()}")
            time.sleep(0.05)
        raise AssertionError("server did not report 'listening' in time:\n" + self.log_text())

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def log_records(self):
        """Every stderr line parsed as JSON (a non-JSON line is a test failure)."""
        out = []
        for line in self.log_text().splitlines():
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"log line is not JSON: {line!r}")
        return out

    def wait_log(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for rec in self.log_records():
                if predicate(rec):
                    return rec
            time.sleep(0.05)
        raise AssertionError("expected log line not seen:\n" + self.log_text()[-4000:])

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=30):
        return self.proc.wait(timeout=timeout)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if getattr(self, "logf", None):
            self.logf.close()
            self.logf = None

    def url(self, path):
        return f"https://{HOST}:{self.port}{path}"

    def curl(self, path, data=None, data_file=None, content_type="application/json",
             method=None, extra=(), cacert=None, timeout=20):
        """Run curl over TLS with --cacert and --resolve. Returns (status, body, rc); the
        response headers are left in self.last_headers."""
        with tempfile.NamedTemporaryFile(dir=self.workdir, delete=False) as bodyf:
            body_path = bodyf.name
        head_path = body_path + ".headers"
        cmd = ["curl", "-sS", "--max-time", str(timeout), "--cacert", cacert or self.ca,
               "--resolve", f"{HOST}:{self.port}:127.0.0.1", "-o", body_path,
               "-D", head_path, "-w", "%{http_code}"]
        if method:
            cmd += ["-X", method]
        if content_type is not None and (data is not None or data_file is not None):
            cmd += ["-H", f"Content-Type: {content_type}"]
        if data is not None:
            cmd += ["--data-binary", "@-"]
        elif data_file is not None:
            cmd += ["--data-binary", "@" + data_file]
        cmd += list(extra)
        cmd.append(self.url(path))
        r = subprocess.run(cmd, input=data if isinstance(data, (bytes, type(None))) else
                           data.encode(), capture_output=True, timeout=timeout + 10)
        with open(body_path, "rb") as f:
            body = f.read()
        os.unlink(body_path)
        self.last_headers = ""
        if os.path.exists(head_path):
            with open(head_path, errors="replace", newline="") as f:
                self.last_headers = f.read()
            os.unlink(head_path)
        status = int(r.stdout.decode() or "0") if r.stdout.decode().isdigit() else 0
        return status, body, r.returncode

    def metrics(self):
        status, body, rc = self.curl("/metrics")
        assert status == 200, (status, body)
        return body.decode()


def run_tests(tests):
    """Run test functions, print one line each, exit 1 if any failed."""
    failed = 0
    for t in tests:
        start = time.monotonic()
        try:
            t()
            print(f"PASS {t.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure kind
            failed += 1
            print(f"FAIL {t.__name__}: {type(e).__name__}: {e}", flush=True)
            import traceback
            traceback.print_exc()
    print(f"{len(tests) - failed}/{len(tests)} passed", flush=True)
    sys.exit(1 if failed else 0)


def python_is_debian():
    if sys.executable != "/usr/bin/python3":
        raise SystemExit("run these tests with /usr/bin/python3 (Debian's python3 packages)")
