#!/usr/bin/python3
"""requestTimeout is enforced: with requestTimeout 1s a client that trickles its body
(one byte every 0.25 s) or stops sending is cut off soon after 1 s, logged and counted in
request_timeouts_total; a body that arrives in time is answered, and the idle keep-alive
timeout applies again after it (a pause longer than requestTimeout between two requests
on one connection is fine). A Content-Length larger than the body that came is closed
at requestTimeout too, unanswered."""
import json
import os
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "server"))
from harness import workdir, HOST, Server, make_certs, python_is_debian, run_tests  # noqa: E402

python_is_debian()

REVIEW = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server", "reviews",
                      "pod-create-memory-limits.json")
WORK = workdir("gmw-timeout-")
make_certs(WORK)
SERVER = Server(WORK, args=["--request-timeout", "1s", "--idle-timeout", "30s"])


def tls_connect():
    ctx = ssl.create_default_context(cafile=os.path.join(WORK, "ca.crt"))
    raw = socket.create_connection(("127.0.0.1", SERVER.port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname=HOST)


def post_head(length):
    return (f"POST /mutate HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def timeouts_total():
    for line in SERVER.metrics().splitlines():
        if line.startswith("gomemlimit_webhook_request_timeouts_total "):
            return int(float(line.split()[1]))
    raise AssertionError("request_timeouts_total missing from /metrics")


def closed_after(s, trickle, limit=10.0):
    """Send one body byte every 0.25 s (when trickle) until the server closes the
    connection; returns the seconds that took and everything the server sent."""
    start = time.monotonic()
    got = b""
    s.settimeout(0.25)
    while time.monotonic() - start < limit:
        try:
            if trickle:
                s.sendall(b" ")
            chunk = s.recv(4096)
            if not chunk:
                return time.monotonic() - start, got
            got += chunk
        except socket.timeout:
            continue
        except (OSError, ssl.SSLError):
            return time.monotonic() - start, got
    raise AssertionError(f"connection still open after {limit}s (requestTimeout 1s)")


def timeout_logs():
    return [r for r in SERVER.log_records()
            if r.get("msg", "").startswith("request body not received within requestTimeout")]


def check_cut_off(trickle):
    before = timeouts_total()
    logs_before = len(timeout_logs())
    s = tls_connect()
    s.sendall(post_head(100000) + b"{")
    took, got = closed_after(s, trickle)
    s.close()
    # At the deadline, at most about a second later (libmicrohttpd's timeout is whole
    # seconds); never before it.
    assert 0.9 <= took < 3.5, took
    assert got == b"", got[:200]  # no response can be queued while a body is arriving
    assert timeouts_total() == before + 1
    SERVER.wait_log(lambda r: len(timeout_logs()) == logs_before + 1)
    rec = timeout_logs()[-1]
    assert rec["level"] == "warn" and rec["requestTimeoutSeconds"] == 1, rec
    assert rec["receivedBytes"] >= 1 and rec["durationMs"] >= 1000, rec
    assert SERVER.alive()


def test_trickling_body_cut_off():
    check_cut_off(trickle=True)


def test_silent_body_cut_off():
    check_cut_off(trickle=False)


def read_response(s):
    s.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([ln.split(b":", 1)[1] for ln in head.split(b"\r\n")
                  if ln.lower().startswith(b"content-length:")][0])
    while len(body) < length:
        chunk = s.recv(65536)
        assert chunk, body
        body += chunk
    return head, body


def test_in_time_answered_and_keepalive_survives_a_pause():
    before = timeouts_total()
    with open(REVIEW, "rb") as f:
        body = f.read()
    s = tls_connect()
    for i in range(2):
        s.sendall(post_head(len(body)))
        half = len(body) // 2
        s.sendall(body[:half])
        time.sleep(0.4)  # slow, but within requestTimeout
        s.sendall(body[half:])
        head, payload = read_response(s)
        assert head.startswith(b"HTTP/1.1 200 "), head
        assert json.loads(payload)["response"]["allowed"] is True
        if i == 0:
            time.sleep(1.6)  # idle between requests: idleTimeout (30s) applies, not 1s
    s.close()
    assert timeouts_total() == before


def test_content_length_larger_than_body_closed_in_time():
    # A whole, valid review announced with 1000 bytes more than it has: the server waits for
    # the rest and closes the connection at requestTimeout (1s), without answering half a
    # body; it is counted, and the next client is served.
    before = timeouts_total()
    with open(REVIEW, "rb") as f:
        body = f.read()
    s = tls_connect()
    s.sendall(post_head(len(body) + 1000) + body)
    took, got = closed_after(s, trickle=False)
    s.close()
    assert 0.9 <= took < 3.5, took
    assert got == b"", got[:200]
    assert timeouts_total() == before + 1
    s = tls_connect()
    s.sendall(post_head(len(body)) + body)
    head, payload = read_response(s)
    s.close()
    assert head.startswith(b"HTTP/1.1 200 "), head
    assert json.loads(payload)["response"]["allowed"] is True


if __name__ == "__main__":
    with SERVER:
        run_tests([
            test_trickling_body_cut_off,
            test_silent_body_cut_off,
            test_in_time_answered_and_keepalive_survives_a_pause,
            test_content_length_larger_than_body_closed_in_time,
        ])
