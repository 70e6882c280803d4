-- post_row.lua -- wrk script of the serving benchmark: one row per request to a v1 predict route, the same for
-- plumb serve and the FastAPI peer (app.py).
--
--   wrk -t2 -c32 -d20s --latency -s bench/serve_peer/post_row.lua http://127.0.0.1:8080
--
-- Environment:
--   PREDICT_PATH  the route (default /v1/models/higgs:predict)
--   ROW_JSON      a file holding one JSON object, the row's features (fill_store.py --row-json): every request
--                 sends {"instances": [ROW]} -- features in the request
--   N_ENTITIES    instead: each request sends {"instances": [{ENTITY_KEY: "k"}]} with k drawn uniformly from
--                 0..N_ENTITIES-1 -- features from the store (fill_store.py wrote entities 0..N-1)
--   ENTITY_KEY    the field naming the entity (default id)
-- wrk counts non-2xx answers itself ("Non-2xx or 3xx responses"): a run with any is not a valid figure.

local path = os.getenv("PREDICT_PATH") or "/v1/models/higgs:predict"
local n_entities = tonumber(os.getenv("N_ENTITIES") or "0")
local entity_key = os.getenv("ENTITY_KEY") or "id"

wrk.method = "POST"
wrk.path = path
wrk.headers["Content-Type"] = "application/json"

if n_entities == 0 then
  local name = os.getenv("ROW_JSON")
  if not name then
    error("set ROW_JSON (a file with one JSON object) or N_ENTITIES")
  end
  local f = assert(io.open(name, "r"))
  wrk.body = '{"instances": [' .. f:read("*a"):gsub("%s+$", "") .. ']}'
  f:close()
end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  if n_entities == 0 then
    return wrk.request()
  end
  local body = string.format('{"instances": [{"%s": "%d"}]}', entity_key, math.random(0, n_entities - 1))
  return wrk.format(nil, path, nil, body)
end
