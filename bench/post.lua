-- wrk script: POST the AdmissionReview named by $GMW_BENCH_BODY to /mutate, as the
-- kube-apiserver does (keep-alive, application/json, ?timeout=10s).
local f = assert(io.open(os.getenv("GMW_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.path = "/mutate?timeout=10s"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

function response(status, headers, body)
  if status ~= 200 then
    error("unexpected HTTP status " .. status)
  end
end
