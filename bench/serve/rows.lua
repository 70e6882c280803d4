-- rows.lua -- wrk script: one row per request, every feature in the request, cycling through the bodies in
-- $BODIES (one request body a line: bench/serve/run writes v1 instances or v2 tensors from the benchmark data).
-- usage: BODIES=bodies.txt PATH_=/v1/models/m:predict wrk -t2 -c32 -d10s -s rows.lua http://127.0.0.1:PORT
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do
    bodies[#bodies + 1] = line
end
local path = os.getenv("PATH_")
local i = 0

function request()
    i = i % #bodies + 1
    return wrk.format("POST", path, {["Content-Type"] = "application/json"}, bodies[i])
end

local failed = 0
function response(status, headers, body)
    if status ~= 200 then
        failed = failed + 1
    end
end

function done(summary, latency, requests)
    io.write(string.format("requests/s %.0f  p50 %.3f ms  p99 %.3f ms  max %.3f ms  errors %d (non-200 %d)\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
        latency.max / 1e3, summary.errors.connect + summary.errors.read + summary.errors.write +
        summary.errors.status + summary.errors.timeout, summary.errors.status))
end
