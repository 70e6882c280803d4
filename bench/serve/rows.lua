-- rows.lua -- wrk script of the serving benchmark: one row per request to a v1 predict route, the same for plumb
-- serve and the FastAPI peer (peer.py), either with every feature in the request or naming an entity.
--
--   PATH_=/v1/models/higgs:predict BODIES=bodies.txt wrk -t2 -c32 -d10s -s bench/serve/rows.lua http://127.0.0.1:PORT
--
-- Environment:
--   PATH_      the route (PATH is the shell's)
--   BODIES     a file of request bodies, one a line (fill_store.py --bodies): the requests cycle through them,
--              each wrk thread from its own random start -- features in the request
--   ENTITIES   N: each request is {"instances": [{"id": "k"}]}, k drawn uniformly from 0..N-1 -- features from
--              the store (fill_store.py wrote entities 0..N-1)
--   With both, requests alternate between the two kinds (bench/serve/soak).
-- No response() callback: defining one makes wrk hand every answer to Lua, CPU the server would miss on a shared
-- machine. wrk itself counts answers with a status above 399 (summary.errors.status) and socket errors.
local path = os.getenv("PATH_")
local n_entities = tonumber(os.getenv("ENTITIES") or "0")
local bodies = {}
if os.getenv("BODIES") then
    for line in io.lines(os.getenv("BODIES")) do
        bodies[#bodies + 1] = line
    end
end
if not path or (#bodies == 0 and n_entities == 0) then
    error("set PATH_ and BODIES (a file of request bodies) or ENTITIES (a count)")
end
local headers = {["Content-Type"] = "application/json"}
local i = 0
local n = 0

local threads = 0
function setup(thread) -- runs in the main Lua state: a distinct seed for each wrk thread
    threads = threads + 1
    thread:set("seed", os.time() * 64 + threads)
end

function init(args)
    math.randomseed(seed)
    i = math.random(0, math.max(#bodies - 1, 0))
end

function request()
    n = n + 1
    if #bodies > 0 and (n_entities == 0 or n % 2 == 0) then
        i = i % #bodies + 1
        return wrk.format("POST", path, headers, bodies[i])
    end
    return wrk.format("POST", path, headers,
        string.format('{"instances": [{"id": "%d"}]}', math.random(0, n_entities - 1)))
end

-- one line for bench/serve/run: requests/s, p50, p99 and max in ms, socket errors, answers above 399, requests
function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("result rps %.1f p50 %.3f p99 %.3f max %.3f socket_errors %d http_errors %d requests %d\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
        latency.max / 1e3, e.connect + e.read + e.write + e.timeout, e.status, summary.requests))
end
