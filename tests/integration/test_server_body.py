#!/usr/bin/python3
"""Request body limits: a body over maxBody is refused with 413 from its Content-Length
before it is read (a 10 MiB upload is cut off early), chunked bodies over the limit get
413 at the end or the connection closed when they keep going, and the exact limit is
accepted."""
import json
import os
import select
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "server"))
from harness import workdir, FIXTURES, HOST, Server, make_certs, python_is_debian, run_tests  # noqa: E402

python_is_debian()

WORK = workdir("gmw-body-")
make_certs(WORK)
LIMIT = 64 * 1024
SERVER = Server(WORK, args=["--max-body", "64Ki"])
TEN_MIB = 10 * 1024 * 1024


def tls_connect():
    ctx = ssl.create_default_context(cafile=os.path.join(WORK, "ca.crt"))
    raw = socket.create_connection(("127.0.0.1", SERVER.port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname=HOST)


def read_response(s, timeout=10):
    """Read until the headers and Content-Length body are complete (or EOF)."""
    s.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def send_until_refused(s, total, chunked=False):
    """Send up to total body bytes. Returns (bytes the socket accepted, how it ended):
    "complete", "closed" (the server closed/reset the connection) or "stalled" (nobody
    read: a timeout, which the tests treat as a failure)."""
    block = b"x" * 65536
    sent = 0
    s.settimeout(5)
    try:
        while sent < total:
            n = min(len(block), total - sent)
            if chunked:
                s.sendall(b"%x\r\n" % n + block[:n] + b"\r\n")
            else:
                s.sendall(block[:n])
            sent += n
        if chunked:
            s.sendall(b"0\r\n\r\n")
    except socket.timeout:
        return sent, "stalled"
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
        return sent, "closed"
    return sent, "complete"


def valid_review():
    with open(os.path.join(FIXTURES, "01-kube-rs-echo-pod-v1-create.json"), "rb") as f:
        return json.dumps(json.loads(f.read())).encode()


def test_10mib_with_content_length_refused_before_reading():
    s = tls_connect()
    s.sendall((f"POST /mutate?timeout=10s HTTP/1.1\r\nHost: {HOST}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {TEN_MIB}\r\n\r\n").encode())
    # The answer comes right after the headers, before any body byte is sent.
    resp = read_response(s)
    assert resp.startswith(b"HTTP/1.1 413 "), resp[:200]
    assert b"Connection: close" in resp, resp
    assert b'"error"' in resp
    sent, how = send_until_refused(s, TEN_MIB)
    s.close()
    assert how == "closed" and sent < TEN_MIB, f"{how} after {sent} bytes"
    assert SERVER.alive()


def test_10mib_with_curl_not_uploaded():
    big = os.path.join(WORK, "big.json")
    with open(big, "wb") as f:
        f.write(b"{" + b" " * (TEN_MIB - 2) + b"}")
    r = subprocess.run(["curl", "-sS", "--max-time", "30", "--cacert", os.path.join(WORK, "ca.crt"),
                        "--resolve", f"{HOST}:{SERVER.port}:127.0.0.1", "-H",
                        "Content-Type: application/json", "--data-binary", "@" + big, "-o",
                        "/dev/null", "-w", "%{http_code} %{size_upload}",
                        f"https://{HOST}:{SERVER.port}/mutate"],
                       capture_output=True, text=True, timeout=60)
    code, uploaded = r.stdout.split()
    assert code == "413", (r.stdout, r.stderr)
    assert int(float(uploaded)) < TEN_MIB, r.stdout  # curl's Expect: 100-continue was refused


def test_slightly_over_with_content_length_gets_413_reliably():
    # Read and discarded (not stored), so the client always gets its 413 instead of a reset.
    for _ in range(20):
        s = tls_connect()
        s.sendall((f"POST /mutate HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {LIMIT + 50000}\r\n\r\n").encode())
        sent, how = send_until_refused(s, LIMIT + 50000)
        assert how == "complete", (how, sent)
        resp = read_response(s)
        s.close()
        assert resp.startswith(b"HTTP/1.1 413 "), resp[:200]


def test_expect_continue_over_limit_answered_before_body():
    s = tls_connect()
    s.sendall((f"POST /mutate HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {LIMIT + 1}\r\nExpect: 100-continue\r\n\r\n").encode())
    resp = read_response(s)
    s.close()
    assert resp.startswith(b"HTTP/1.1 413 "), resp[:200]  # no "100 Continue" first


def test_chunked_slightly_over_limit_gets_413():
    s = tls_connect()
    s.sendall((f"POST /mutate HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n").encode())
    sent, how = send_until_refused(s, LIMIT + 10000, chunked=True)
    assert how == "complete" and sent == LIMIT + 10000, (how, sent)
    resp = read_response(s)
    s.close()
    assert resp.startswith(b"HTTP/1.1 413 "), resp[:300]
    assert b"Connection: close" in resp


def test_chunked_10mib_connection_closed_early():
    s = tls_connect()
    s.sendall((f"POST /mutate HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n").encode())
    start = time.monotonic()
    sent, how = send_until_refused(s, TEN_MIB, chunked=True)
    s.close()
    # Cut off soon after maxBody + the 1 MiB drain allowance (plus kernel buffers).
    assert how == "closed" and sent < TEN_MIB, f"{how} after {sent} bytes"
    assert time.monotonic() - start < 30
    assert SERVER.alive()


def padded(body, size):
    """The JSON body padded with trailing spaces to exactly size bytes."""
    assert len(body) <= size
    return body + b" " * (size - len(body))


def test_exact_limit_accepted_one_more_refused():
    body = valid_review()
    status, resp, _ = SERVER.curl("/mutate", data=padded(body, LIMIT))
    assert status == 200, (status, resp[:200])
    assert json.loads(resp)["kind"] == "AdmissionReview"
    status, resp, _ = SERVER.curl("/mutate", data=padded(body, LIMIT + 1))
    assert status == 413, status
    # And chunked at exactly the limit is fine too.
    status, resp, _ = SERVER.curl("/mutate", data=padded(body, LIMIT),
                                  extra=["-H", "Transfer-Encoding: chunked"])
    assert status == 200, (status, resp[:200])
    status, resp, _ = SERVER.curl("/mutate", data=padded(body, LIMIT + 1),
                                  extra=["-H", "Transfer-Encoding: chunked"])
    assert status == 413, status


def test_bad_content_length_and_still_serving():
    s = tls_connect()
    s.sendall((f"POST /mutate HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
               "Content-Length: 99999999999999999999999\r\n\r\n").encode())
    resp = read_response(s)
    s.close()
    assert resp.startswith(b"HTTP/1.1 4"), resp[:200]
    status, _, _ = SERVER.curl("/healthz")
    assert status == 200
    metrics = SERVER.metrics()
    assert 'gomemlimit_webhook_http_requests_total{route="/mutate",code="413"}' in metrics


def test_slow_headers_do_not_block_others():
    # A client that connects and sends nothing must not stop other clients.
    raw = socket.create_connection(("127.0.0.1", SERVER.port), timeout=10)
    try:
        for _ in range(3):
            status, _, _ = SERVER.curl("/healthz")
            assert status == 200
    finally:
        raw.close()


if __name__ == "__main__":
    with SERVER:
        run_tests([
            test_10mib_with_content_length_refused_before_reading,
            test_10mib_with_curl_not_uploaded,
            test_slightly_over_with_content_length_gets_413_reliably,
            test_expect_continue_over_limit_answered_before_body,
            test_chunked_slightly_over_limit_gets_413,
            test_chunked_10mib_connection_closed_early,
            test_exact_limit_accepted_one_more_refused,
            test_bad_content_length_and_still_serving,
            test_slow_headers_do_not_block_others,
        ])
