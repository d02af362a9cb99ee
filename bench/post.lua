-- wrk script: POST the AdmissionReview named by $GMW_BENCH_BODY to the path in
-- $GMW_BENCH_PATH (default /mutate?timeout=10s), as the kube-apiserver does (keep-alive,
-- application/json). No response() hook (it would make wrk parse every answer in Lua and
-- become the bottleneck): answers are checked by count (summary.errors.status = non-2xx)
-- and one of each is validated separately by bench/admission.sh.
-- done() prints machine-readable lines: "BENCH key value" (latencies in microseconds).
local f = assert(io.open(os.getenv("GMW_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.path = os.getenv("GMW_BENCH_PATH") or "/mutate?timeout=10s"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests %d\n", summary.requests))
  io.write(string.format("BENCH rps %.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("BENCH non2xx %d\n", e.status))
  io.write(string.format("BENCH sockerr %d\n", e.connect + e.read + e.write + e.timeout))
  for _, p in ipairs({50, 99, 99.9}) do
    io.write(string.format("BENCH p%s %d\n", tostring(p), latency:percentile(p)))
  end
end
