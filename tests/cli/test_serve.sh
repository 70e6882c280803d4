#!/usr/bin/env bash
# test_serve.sh -- `plumb serve`: real servers on a free loopback port (--port 0, the port read from the
# "listening on" line), driven with curl and small Python clients; every server is stopped by the test.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"

MODELS="$DATA/models"
PY=/usr/bin/python3
REDIS_PID=""
trap '[ -n "$SRV_PID" ] && kill -9 "$SRV_PID" 2>/dev/null; [ -n "$REDIS_PID" ] && kill -9 "$REDIS_PID" 2>/dev/null
      rm -rf "$TMP"' EXIT

# sighup_reloads MESSAGE: sends SIGHUP and waits (5 s at most) for the server to report MESSAGE
sighup_reloads() {
    kill -HUP "$SRV_PID"
    for _ in $(seq 100); do
        grep -qF "$1" "$TMP/srv.err" && return 0
        sleep 0.05
    done
    fail "no '$1' after SIGHUP: $(cat "$TMP/srv.err")"
}

# req METHOD PATH [BODY]: sets code and body
req() {
    code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" ${3+--data-binary "$3"} \
        -H 'Content-Type: application/json' "http://127.0.0.1:$PORT$2")
    body=$(cat "$TMP/body")
}
expect_code() { [ "$code" = "$1" ] || fail "HTTP $code, expected $1: $body"; }
expect_body_has() { grep -qF -- "$1" "$TMP/body" || fail "the answer lacks: $1 (got: $body)"; }
# jget EXPR: a Python expression on the answer j
jget() { $PY -c "import json,sys; j=json.load(open(sys.argv[1])); print(($1))" "$TMP/body"; }

# instances FILE N: the first N rows of a CSV (model fixture data) as v1 instances, numbers as numbers
instances() {
    $PY - "$1" "$2" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))[: int(sys.argv[2])]
def val(v):
    try:
        return float(v)
    except ValueError:
        return None if v == "" else v
print(json.dumps({"instances": [{k: val(v) for k, v in r.items() if k != "Status"} for r in rows]}))
EOF
}

test_serve_health_metadata_and_routes() {
    start_server "$MODELS/gbdt_binary.plumb" --name credit --model "multi=$MODELS/gbdt_multiclass.plumb"
    req GET /v2/health/live
    expect_code 200 && expect_body_has '"live":true'
    req GET /v2/health/ready
    expect_code 200 && expect_body_has '"ready":true'
    req GET /v2
    expect_code 200 && expect_body_has '"name":"plumb"'
    req GET /v2/models/credit
    expect_code 200
    [ "$(jget 'j["inputs"][1]["name"], j["inputs"][1]["datatype"], j["inputs"][0]["datatype"]')" = "('Home', 'BYTES', 'FP32')" ] ||
        fail "metadata inputs: $body"
    local sum
    sum=$(head -1 "$MODELS/gbdt_binary.plumb" | cut -d' ' -f4)
    [ "$(jget 'j["parameters"]["checksum"], j["versions"]')" = "('$sum', ['1'])" ] || fail "metadata checksum: $body"
    req GET /v2/models/multi
    expect_code 200
    [ "$(jget 'j["outputs"][0]["shape"]')" = "[-1, 6]" ] || fail "multiclass output shape: $body"
    req GET /v2/models/credit/ready
    expect_code 200
    req GET /v2/models/nope
    expect_code 404 && expect_body_has "no model named 'nope'"
    req GET /v3/whatever
    expect_code 404 && expect_body_has "no such endpoint: GET /v3/whatever"
    req GET /v2/models/credit/infer
    expect_code 405 && expect_body_has "takes POST, not GET"
    req POST /v2/health/live '{}'
    expect_code 405
    # a 405 names the methods the path takes
    curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/v2/models/credit/infer" | grep -q $'^Allow: POST\r$' ||
        fail "no 'Allow: POST' on a GET of infer"
    curl -s -D - -o /dev/null -X POST "http://127.0.0.1:$PORT/metrics" | grep -q $'^Allow: GET\r$' ||
        fail "no 'Allow: GET' on a POST of /metrics"
    stop_server
}

# v1 predictions are plumb predict's to the last digit (the fixture's own predictions file)
test_serve_v1_predictions_match_the_fixture() {
    start_server "$MODELS/gbdt_binary.plumb"
    instances "$MODELS/credit300.csv" 300 >"$TMP/req.json"
    req POST /v1/models/gbdt_binary:predict @"$TMP/req.json"
    expect_code 200
    jget '"\n".join(repr(p) for p in j["predictions"])' >"$TMP/got"
    tail -n +2 "$MODELS/gbdt_binary.pred.csv" | $PY -c "import sys; [print(repr(float(l))) for l in sys.stdin]" \
        >"$TMP/want"
    cmp -s "$TMP/got" "$TMP/want" || fail "v1 predictions differ from gbdt_binary.pred.csv"
    [ "$(jget 'j["model_version"], j["fallback"], len(j["checksum"])')" = "(1, False, 64)" ] || fail "v1 fields: $body"
    # a batch of 10,000 rows (the default --max-batch; 1.5 MB, under the default --max-body)
    $PY -c "import json,sys; j=json.load(open(sys.argv[1])); j['instances']=(j['instances']*34)[:10000]; print(json.dumps(j))" \
        "$TMP/req.json" >"$TMP/big.json"
    req POST /v1/models/gbdt_binary:predict @"$TMP/big.json"
    expect_code 200
    jget '"\n".join(repr(p) for p in j["predictions"])' >"$TMP/got"
    for _ in $(seq 34); do cat "$TMP/want"; done | head -10000 | cmp -s - "$TMP/got" || fail "the 10,000-row batch"
    stop_server
}

# v2 named tensors of every datatype, a batch, nested [N, 1] data, the id echoed; multiclass answers [N, K]
test_serve_v2_tensors_and_multiclass() {
    start_server --model "bin=$MODELS/gbdt_binary.plumb" --model "multi=$MODELS/gbdt_multiclass.plumb"
    $PY - "$MODELS/credit300.csv" >"$TMP/req.json" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))[:5]
cats = {"Home", "Marital", "Records", "Job"}
types = ["FP32", "FP64", "INT64"]
inputs = []
for i, col in enumerate(c for c in rows[0] if c != "Status"):
    if col in cats:
        inputs.append({"name": col, "shape": [5], "datatype": "BYTES", "data": [r[col] for r in rows]})
    else:
        t = types[i % 3]
        conv = int if t == "INT64" else float
        data = [[conv(r[col])] for r in rows] if i % 2 else [conv(r[col]) for r in rows]
        inputs.append({"name": col, "shape": [5, 1] if i % 2 else [5], "datatype": t, "data": data})
print(json.dumps({"id": "req-7", "inputs": inputs}))
EOF
    req POST /v2/models/bin/infer @"$TMP/req.json"
    expect_code 200
    [ "$(jget 'j["id"], j["model_name"], j["outputs"][0]["shape"]')" = "('req-7', 'bin', [5])" ] || fail "v2: $body"
    [ "$(jget 'repr(j["outputs"][0]["data"][1])')" = "$(sed -n 3p "$MODELS/gbdt_binary.pred.csv" |
        $PY -c 'import sys; print(repr(float(sys.stdin.read())))')" ] || fail "v2 prediction of row 2: $body"
    req POST /v2/models/multi/infer @"$TMP/req.json"
    expect_code 200
    [ "$(jget 'j["outputs"][0]["shape"], len(j["outputs"][0]["data"]), len(j["parameters"]["classes"])')" = \
        "([5, 6], 30, 6)" ] || fail "multiclass: $body"
    stop_server
}

# explain: the contributions and the bias add up to the raw score, the log-odds of the prediction
test_serve_explain_returns_treeshap() {
    start_server "$MODELS/gbdt_binary.plumb" --model "lin=$MODELS/logistic.plumb"
    instances "$MODELS/credit300.csv" 3 | $PY -c "import json,sys; j=json.load(sys.stdin); j['explain']=True; print(json.dumps(j))" \
        >"$TMP/req.json"
    req POST /v1/models/gbdt_binary:predict @"$TMP/req.json"
    expect_code 200
    jget 'all(abs(sum(c.values()) - __import__("math").log(p / (1 - p))) < 1e-9 for c, p in zip(j["contributions"], j["predictions"]))' \
        | grep -qx True || fail "contributions do not add up to the log-odds: $body"
    req POST /v1/models/lin:predict @"$TMP/req.json"
    expect_code 422 && expect_body_has "explain needs a gbdt model, this one is linear"
    stop_server
    # a model that cannot explain, with a fallback that can: the fallback answers, contributions and all
    start_server --model "lin=$MODELS/logistic.plumb" --fallback "$MODELS/gbdt_binary.plumb"
    req POST /v1/models/lin:predict @"$TMP/req.json"
    expect_code 200
    [ "$(jget 'j["fallback"], len(j["contributions"])')" = "(True, 3)" ] || fail "explain by the fallback: $body"
    stop_server
}

# every malformed request gets a 4xx naming the problem, and the server keeps answering
test_serve_bad_requests_get_4xx_json() {
    start_server "$MODELS/gbdt_binary.plumb" --name m --max-batch 3 --max-depth 8 --max-string 64 --max-body 4096
    local v2=/v2/models/m/infer v1=/v1/models/m:predict deep long zeros
    deep=$(printf '%.0s[' $(seq 20))
    long=$(printf 'x%.0s' $(seq 100))
    zeros=$(printf '0,%.0s' $(seq 1000))0
    while IFS='|' read -r path want msg bodytext; do
        req POST "$path" "$bodytext"
        [ "$code" = "$want" ] || fail "$bodytext: HTTP $code, expected $want: $body"
        expect_body_has "$msg"
        req GET /v2/health/live
        expect_code 200
    done <<EOF
$v2|400|malformed JSON at line 1|{"inputs": [
$v2|400|malformed JSON|
$v2|400|the body must be a JSON object|[1, 2]
$v2|400|'inputs' must be a non-empty array|{"inputs": []}
$v2|400|input 0: an object with a string 'name'|{"inputs": [{"shape": [1]}]}
$v2|400|'shape' must be [N] or [N, 1]|{"inputs": [{"name": "Age", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}
$v2|400|has 2 rows, the first input 1|{"inputs": [{"name": "Age", "shape": [1], "datatype": "FP32", "data": [1]}, {"name": "Debt", "shape": [2], "datatype": "FP32", "data": [1, 2]}]}
$v2|400|unknown datatype 'FP99'|{"inputs": [{"name": "Age", "shape": [1], "datatype": "FP99", "data": [1]}]}
$v2|422|input 'Home' is categorical: datatype BYTES expected, got FP32|{"inputs": [{"name": "Home", "shape": [1], "datatype": "FP32", "data": [1]}]}
$v2|422|input 'Age' is numeric: datatype FP32, FP64 or INT64 expected, got BYTES|{"inputs": [{"name": "Age", "shape": [1], "datatype": "BYTES", "data": ["x"]}]}
$v2|400|'data' must be an array of 2 values|{"inputs": [{"name": "Age", "shape": [2], "datatype": "FP32", "data": [1]}]}
$v2|400|input 'Age' appears twice|{"inputs": [{"name": "Age", "shape": [1], "datatype": "FP32", "data": [1]}, {"name": "Age", "shape": [1], "datatype": "FP32", "data": [1]}]}
$v2|422|input 'Age' element 0: 'Age' is numeric: a number expected|{"inputs": [{"name": "Age", "shape": [1], "datatype": "FP32", "data": ["x"]}]}
$v2|400|'id' must be a string|{"id": 5, "inputs": [{"name": "Age", "shape": [1], "datatype": "FP32", "data": [1]}]}
$v2|413|4 rows exceed the batch limit of 3|{"inputs": [{"name": "Age", "shape": [4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}
$v2|400|the request holds no rows|{"inputs": [{"name": "Age", "shape": [0], "datatype": "FP32", "data": []}]}
$v2|400|JSON nested deeper than 8 levels at byte 9|$deep
$v2|413|exceeds the limit of 64|{"id": "$long"}
$v2|413|the body holds over 532 JSON values at byte|{"inputs": [{"name": "other", "shape": [1], "datatype": "FP32", "data": [$zeros]}]}
$v1|400|'instances' must be an array of objects|{"instances": 3}
$v1|400|instance 1 is not an object|{"instances": [{}, 5]}
$v1|422|instance 0: 'Home' is categorical: a string expected|{"instances": [{"Home": [1]}]}
$v1|422|instance 0: 'Age' is numeric: a number expected|{"instances": [{"Age": "old"}]}
$v1|400|the request holds no rows|{"instances": []}
EOF
    # a body over --max-body: refused by its Content-Length, and when sent chunked (no length)
    head -c 5000 /dev/zero | tr '\0' ' ' >"$TMP/big"
    req POST "$v2" @"$TMP/big"
    expect_code 413 && expect_body_has "exceeds the limit of 4096"
    code=$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big" \
        "http://127.0.0.1:$PORT$v2")
    expect_code 413
    # headers beyond the connection's memory: refused by libmicrohttpd, the server carries on
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 100000 /dev/zero | tr '\0' a)" \
        "http://127.0.0.1:$PORT/v2/health/live")
    [ "$code" -ge 400 ] || fail "a 100 kB header was accepted ($code)"
    req GET /v2/health/live
    expect_code 200
    stop_server
}

# text that is not UTF-8, or is cut inside a character, in what an error message quotes: the answer is still the
# request's own 4xx (or the store's 503) as valid JSON, never a 500
test_serve_non_utf8_in_messages() {
    make_features # `plumb features load` refuses text that is not UTF-8, Redis holds any bytes
    printf '\377' | redis-cli -p "$REDIS_PORT" -x HSET features:u8 Age >/dev/null || fail "filling redis"
    start_server "$MODELS/gbdt_binary.plumb" --name m --entity-key user_id --features "$FEATURES"
    req GET /v2/models/%FF
    expect_code 404 && expect_body_has "no model named '?'"
    # 1 ASCII byte and 150 two-byte characters: the 200 bytes quoted end at a whole character
    req GET "/v2/models/a$($PY -c 'print("%C3%A9" * 150)')"
    expect_code 404
    [ "$(jget 'len(j["error"])')" = "$((17 + 100))" ] || fail "the name quoted: $body"
    $PY -c 'import json; print(json.dumps({"inputs": [{"name": "x" + "é" * 300, "shape": [1, 2], "datatype": "FP32",
        "data": [1, 2]}]}))' >"$TMP/req.json"
    req POST /v2/models/m/infer @"$TMP/req.json"
    expect_code 400 && expect_body_has "input 'xéé"
    req POST /v1/models/m:predict '{"instances": [{"user_id": "u8"}]}'
    expect_code 503 && expect_body_has "column 'Age' holds '?', not a numeric value"
    req GET /v2/health/live
    expect_code 200
    stop_server
}

# an entity key sent as a JSON number names the entity stored under its digits: a 19-digit integer in full (v1
# number, v2 INT64 tensor), a real in its shortest form
test_serve_numeric_entity_keys() {
    { echo "user_id,$(head -1 "$MODELS/credit300.csv" | cut -d, -f2-)"
      sed -n 2p "$MODELS/credit300.csv" | sed 's/^[^,]*/1234567890123456789/'
      sed -n 3p "$MODELS/credit300.csv" | sed 's/^[^,]*/0.1/'; } >"$TMP/features.csv"
    "$PLUMB" features load "$TMP/features.csv" --key user_id --db "$TMP/features.db" -q || fail "features load"
    start_server "$MODELS/gbdt_binary.plumb" --name m --entity-key user_id --features "$TMP/features.db"
    local p1 p2
    p1=$(sed -n 2p "$MODELS/gbdt_binary.pred.csv" | $PY -c 'import sys; print(repr(float(sys.stdin.read())))')
    p2=$(sed -n 3p "$MODELS/gbdt_binary.pred.csv" | $PY -c 'import sys; print(repr(float(sys.stdin.read())))')
    req POST /v1/models/m:predict '{"instances": [{"user_id": 1234567890123456789}, {"user_id": 0.1}]}'
    expect_code 200
    [ "$(jget 'j["predictions"]')" = "[$p1, $p2]" ] || fail "v1 numeric keys: $body (want $p1, $p2)"
    req POST /v2/models/m/infer \
        '{"inputs": [{"name": "user_id", "shape": [1], "datatype": "INT64", "data": [1234567890123456789]}]}'
    expect_code 200
    [ "$(jget 'j["outputs"][0]["data"]')" = "[$p1]" ] || fail "v2 INT64 key: $body (want $p1)"
    req POST /v1/models/m:predict '{"instances": [{"user_id": 1234567890123456788}]}'
    expect_code 404 && expect_body_has "entity '1234567890123456788' not found"
    stop_server
}

# request bodies held at once are bounded server-wide: a body that would go over --max-buffered while slow uploads
# hold theirs is answered 503, and the budget comes back when they go
test_serve_buffered_bodies_budget() {
    start_server "$MODELS/gbdt_binary.plumb" --name m --max-body 100000 --max-buffered 150000
    $PY -c 'print("{\"instances\": [{\"Age\": 30}]}" + " " * 89000)' >"$TMP/padded.json"
    $PY - "$PORT" "$TMP/padded.json" >"$TMP/slow.out" 2>&1 <<'EOF' &
import socket, sys, time
body = open(sys.argv[2], "rb").read()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /v1/models/m:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body[:80000])
time.sleep(1.5)  # holds 80,000 bytes, then goes away without finishing
s.close()
EOF
    local slow=$!
    sleep 0.5
    req POST /v1/models/m:predict @"$TMP/padded.json"
    expect_code 503 && expect_body_has "request bodies, its limit (--max-buffered): try again"
    wait "$slow"
    req POST /v1/models/m:predict @"$TMP/padded.json"
    expect_code 200
    # a request to several models may carry inputs this one does not read, within twice its columns
    req POST /v2/models/m/infer \
        '{"inputs": [{"name": "Age", "shape": [2], "datatype": "FP32", "data": [30, 40]}, {"name": "other", "shape": [2], "datatype": "FP32", "data": [1, 2]}]}'
    expect_code 200
    run "$PLUMB" serve "$MODELS/gbdt_binary.plumb" --max-body 1000 --max-buffered 999
    expect_rc 2 && expect_err_has "--max-buffered must be at least --max-body (1000), not 999"
    stop_server
}

# a connection that sends nothing is closed after --timeout
test_serve_idle_connection_times_out() {
    start_server "$MODELS/gbdt_binary.plumb" --timeout 1
    $PY - "$PORT" <<'EOF' || fail "the idle connection stayed open"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
t = time.time()
s.sendall(b"POST /v2/models/gbdt_binary/infer HTTP/1.1\r\nHost: x\r\n")  # headers never finished
assert s.recv(100) == b"" and time.time() - t < 4.5
EOF
    stop_server
}

# reload: a new file swaps in with version 2 and its checksum; a corrupt or incompatible file is refused and the
# old model keeps answering; SIGHUP reloads too
test_serve_reload_swaps_or_refuses() {
    cp "$MODELS/gbdt_binary.plumb" "$TMP/m.plumb"
    start_server "$TMP/m.plumb"
    local old new
    old=$(head -1 "$MODELS/gbdt_binary.plumb" | cut -d' ' -f4)
    new=$(head -1 "$MODELS/gbdt_calibrated.plumb" | cut -d' ' -f4)
    cp "$MODELS/gbdt_calibrated.plumb" "$TMP/m.plumb"
    req POST /v2/repository/models/m/load
    expect_code 200
    [ "$(jget 'j["version"], j["checksum"]')" = "(2, '$new')" ] || fail "reload answer: $body"
    instances "$MODELS/credit300.csv" 1 >"$TMP/req.json"
    req POST /v1/models/m:predict @"$TMP/req.json"
    [ "$(jget 'j["model_version"], j["checksum"]')" = "(2, '$new')" ] || fail "after reload: $body"
    # corrupt: refused, version 2 keeps serving
    sed '2s/"/x/' "$MODELS/gbdt_binary.plumb" >"$TMP/m.plumb"
    req POST /v2/repository/models/m/load
    expect_code 422 && expect_body_has "checksum mismatch"
    # gone: the server's file, not the client's input, so a 500 naming it
    rm "$TMP/m.plumb"
    req POST /v2/repository/models/m/load
    expect_code 500 && expect_body_has "m.plumb"
    # incompatible: a multiclass model where a binary one served
    cp "$MODELS/gbdt_multiclass.plumb" "$TMP/m.plumb"
    req POST /v2/repository/models/m/load
    expect_code 422 && expect_body_has "the new model predicts multiclass with 6 outputs"
    req POST /v1/models/m:predict @"$TMP/req.json"
    expect_code 200
    [ "$(jget 'j["model_version"], j["checksum"]')" = "(2, '$new')" ] || fail "after refused reloads: $body"
    cp "$MODELS/gbdt_binary.plumb" "$TMP/m.plumb"
    sighup_reloads "reloaded 'm': version 3, checksum $old"
    req GET /v2/models/m
    [ "$(jget 'j["versions"], j["parameters"]["checksum"]')" = "(['3'], '$old')" ] || fail "after SIGHUP: $body"
    req GET /metrics
    expect_body_has "plumb_reloads_total 2"
    expect_body_has "plumb_model_version{model=\"m\",checksum=\"$old\"} 3"
    expect_body_has "plumb_reload_failures_total 3"
    stop_server
}

# 4 clients on keep-alive connections for the whole run while the model is reloaded 100 times: no request fails
test_serve_reload_under_load_fails_no_request() {
    cp "$MODELS/gbdt_binary.plumb" "$TMP/m.plumb"
    start_server "$TMP/m.plumb" --threads 2
    instances "$MODELS/credit300.csv" 2 >"$TMP/req.json"
    $PY - "$PORT" "$TMP/req.json" "$TMP/stop" >"$TMP/load.out" <<'EOF' &
import http.client, os, sys, threading, time
port, body, stop_file = int(sys.argv[1]), open(sys.argv[2], "rb").read(), sys.argv[3]
stop = time.time() + 60  # or earlier: when the reloads are done
counts = {"ok": 0, "bad": 0}
lock = threading.Lock()
def client():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while time.time() < stop and not os.path.exists(stop_file):
        try:
            c.request("POST", "/v1/models/m:predict", body, {"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            ok = r.status == 200
        except Exception:
            ok = False
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with lock:
            counts["ok" if ok else "bad"] += 1
threads = [threading.Thread(target=client) for _ in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
print(counts["ok"], counts["bad"])
EOF
    local load=$! i
    sleep 0.3
    for i in $(seq 100); do
        if [ $((i % 2)) -eq 0 ]; then cp "$MODELS/gbdt_binary.plumb" "$TMP/m.new"; else cp "$MODELS/gbdt_calibrated.plumb" "$TMP/m.new"; fi
        mv "$TMP/m.new" "$TMP/m.plumb"
        req POST /v2/repository/models/m/load
        expect_code 200
        sleep 0.01
    done
    touch "$TMP/stop"
    wait "$load"
    read -r ok bad <"$TMP/load.out"
    [ "$bad" -eq 0 ] && [ "$ok" -gt 100 ] || fail "under reloads: $ok answered, $bad failed"
    req GET /v2/models/m
    [ "$(jget 'j["versions"]')" = "['101']" ] || fail "100 reloads: $body"
    stop_server
}

# SIGTERM while a request is half sent: it is still answered, new connections are refused, a kept-alive one hears
# "not ready" and is closed, exit status 0
test_serve_sigterm_drains_requests_in_flight() {
    start_server "$MODELS/gbdt_binary.plumb"
    instances "$MODELS/credit300.csv" 1 >"$TMP/req.json"
    $PY - "$PORT" "$TMP/req.json" "$SRV_PID" >"$TMP/drain.out" <<'EOF'
import os, signal, socket, sys, time
port, body, pid = int(sys.argv[1]), open(sys.argv[2], "rb").read(), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST /v1/models/gbdt_binary:predict HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
s.sendall(body[:10])
idle = socket.create_connection(("127.0.0.1", port))  # a keep-alive connection with a request answered
idle.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
idle.recv(4096)
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)
time.sleep(0.3)
idle.sendall(b"GET /v2/health/ready HTTP/1.1\r\nHost: x\r\n\r\n")
idle.settimeout(3)
ready = b""
try:
    while chunk := idle.recv(4096):  # up to the close the answer announces (or the timeout without one)
        ready += chunk
except socket.timeout:
    pass
ready = ready.decode()
print("ready while draining:", ready.split("\r\n")[0], "Connection: close" in ready)
try:
    socket.create_connection(("127.0.0.1", port), timeout=1).close()
    print("new connection accepted")
except OSError:
    pass
s.sendall(body[10:])
answer = s.recv(65536).decode()
print(answer.split("\r\n")[0])
print("predictions" in answer)
EOF
    grep -qx "HTTP/1.1 200 OK" "$TMP/drain.out" || fail "the request in flight was not answered: $(cat "$TMP/drain.out")"
    grep -q "new connection accepted" "$TMP/drain.out" && fail "a new connection was accepted while draining"
    grep -qx "ready while draining: HTTP/1.1 503 Service Unavailable True" "$TMP/drain.out" ||
        fail "readiness while draining: $(cat "$TMP/drain.out")"
    for _ in $(seq 100); do
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.05
    done
    wait "$SRV_PID"
    [ $? -eq 0 ] || fail "exit status after draining"
    SRV_PID=""
    grep -q "SIGTERM: draining 1 requests in flight" "$TMP/srv.err" || fail "no drain message: $(cat "$TMP/srv.err")"
}

# wait_metric LINE: waits (20 s at most, each poll bounded) until /metrics has the line LINE
wait_metric() {
    local end=$((SECONDS + 20))
    while [ "$SECONDS" -lt "$end" ]; do
        curl -s -m 2 "http://127.0.0.1:$PORT/metrics" | grep -qxF "$1" && return 0
        sleep 0.05
    done
    fail "/metrics never showed '$1': $(curl -s -m 2 "http://127.0.0.1:$PORT/metrics" | grep reload)"
}

# wait_fifo_reader: waits (20 s at most) until a thread of the server waits to open a FIFO for reading: a load that
# hangs until the test writes the model into it
wait_fifo_reader() {
    local end=$((SECONDS + 20))
    while [ "$SECONDS" -lt "$end" ]; do
        cat /proc/"$SRV_PID"/task/*/wchan 2>/dev/null | grep -q wait_for_partner && return 0
        sleep 0.05
    done
    fail "no thread of the server waits on the FIFO"
}

# load_bg N: POST .../m/load in the background; the status goes to $TMP/loadN.code, the answer to $TMP/loadN
load_bg() {
    curl -s -m 60 -o "$TMP/load$1" -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/v2/repository/models/m/load" \
        >"$TMP/load$1.code" &
}

# A reload runs on the loader's thread: while the model file -- a FIFO nobody writes yet -- holds the load, the
# one worker thread answers other requests. Load requests that come while one runs wait as one queued job: one
# more load answers both. (Before the loader, the worker thread waited in the load and answered nothing.)
test_serve_requests_answered_during_a_slow_reload() {
    cp "$MODELS/gbdt_binary.plumb" "$TMP/m.plumb"
    start_server "$TMP/m.plumb" --threads 1
    local old new
    old=$(head -1 "$MODELS/gbdt_binary.plumb" | cut -d' ' -f4)
    new=$(head -1 "$MODELS/gbdt_calibrated.plumb" | cut -d' ' -f4)
    rm "$TMP/m.plumb" && mkfifo "$TMP/m.plumb"
    load_bg 1
    local l1=$!
    wait_fifo_reader
    instances "$MODELS/credit300.csv" 1 >"$TMP/req.json"
    code=$(curl -s -m 20 -o "$TMP/body" -w '%{http_code}' --data-binary @"$TMP/req.json" \
        "http://127.0.0.1:$PORT/v1/models/m:predict")
    body=$(cat "$TMP/body")
    expect_code 200
    [ "$(jget 'j["model_version"]')" = 1 ] || fail "answered during the reload: $body"
    load_bg 2
    local l2=$!
    load_bg 3
    local l3=$!
    wait_metric "plumb_reload_requests_waiting 3"
    wait_metric "plumb_reloads_queued 1"
    timeout 20 cat "$MODELS/gbdt_calibrated.plumb" >"$TMP/m.plumb" || fail "the first load did not read the file"
    wait "$l1"
    [ "$(cat "$TMP/load1.code")" = 200 ] || fail "first load: $(cat "$TMP/load1.code") $(cat "$TMP/load1")"
    grep -qF "\"version\":2,\"checksum\":\"$new\"" "$TMP/load1" || fail "first load: $(cat "$TMP/load1")"
    timeout 20 cat "$MODELS/gbdt_binary.plumb" >"$TMP/m.plumb" || fail "the queued load did not read the file"
    wait "$l2" "$l3"
    for i in 2 3; do
        [ "$(cat "$TMP/load$i.code")" = 200 ] || fail "load $i: $(cat "$TMP/load$i.code") $(cat "$TMP/load$i")"
        grep -qF "\"version\":3,\"checksum\":\"$old\"" "$TMP/load$i" || fail "load $i: $(cat "$TMP/load$i")"
    done
    req GET /metrics
    expect_body_has "plumb_reloads_total 2"
    expect_body_has "plumb_reload_requests_waiting 0"
    stop_server
}

# SIGTERM while a reload hangs (a FIFO nobody writes): the load request hears 503, the server exits 0 once the
# drain timeout has passed. (Before the loader, the worker thread stuck in the load kept the server from stopping.)
test_serve_drain_ends_with_a_hung_reload() {
    cp "$MODELS/gbdt_binary.plumb" "$TMP/m.plumb"
    # the abandoned load keeps what it holds until the process exits (src/serve/loader.c): not a leak to report
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" start_server "$TMP/m.plumb" --drain-timeout 1
    rm "$TMP/m.plumb" && mkfifo "$TMP/m.plumb"
    load_bg 1
    local l1=$!
    wait_fifo_reader
    stop_server
    wait "$l1"
    [ "$(cat "$TMP/load1.code")" = 503 ] || fail "the hung load: $(cat "$TMP/load1.code") $(cat "$TMP/load1")"
    grep -qF "the server is stopping: the model was not reloaded" "$TMP/load1" || fail "503 body: $(cat "$TMP/load1")"
    grep -qF "the reload of 'm' did not finish within" "$TMP/srv.err" || fail "no message: $(cat "$TMP/srv.err")"
}

# --max-connections: a connection over the limit is closed at once, without an answer; those under it keep being
# served, and a new one is taken once one closes
test_serve_max_connections_closes_the_extra_one() {
    start_server "$MODELS/gbdt_binary.plumb" --threads 1 --max-connections 2
    $PY - "$PORT" >"$TMP/conn.out" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
GET = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n"
def ask(s):
    try:
        s.sendall(GET)
        data = b""
        while not data.endswith(b"}"):
            chunk = s.recv(4096)
            if not chunk:
                return "closed"
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        return "closed"
    return data.split(b"\r\n")[0].decode()
def connect():
    return socket.create_connection(("127.0.0.1", port), timeout=10)
a, b = connect(), connect()
print("a:", ask(a))
print("b:", ask(b))
print("c:", ask(connect()))
print("a again:", ask(a))
a.close()
for _ in range(200):  # the server sees the close on its next poll of a's socket
    r = ask(connect())
    if r != "closed":
        break
    time.sleep(0.05)
print("d:", r)
print("b again:", ask(b))
EOF
    diff <(printf '%s\n' "a: HTTP/1.1 200 OK" "b: HTTP/1.1 200 OK" "c: closed" "a again: HTTP/1.1 200 OK" \
        "d: HTTP/1.1 200 OK" "b again: HTTP/1.1 200 OK") "$TMP/conn.out" || fail "connection limit"
    stop_server
}

# New connections go to the server thread holding the fewest (libmicrohttpd's own accept let one thread take all
# of them): four connections on two threads, two each
test_serve_connections_shared_evenly_by_threads() {
    start_server "$MODELS/gbdt_binary.plumb" --threads 2
    $PY - "$PORT" >"$TMP/conn.out" <<'EOF'
import socket, sys
port = int(sys.argv[1])
def ask(s, path):
    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < int(
            [l for l in data.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1]):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode()
conns = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(4)]
for c in conns:  # each answered: handed to a thread
    ask(c, "/v2/health/live")
for line in ask(conns[0], "/metrics").split("\n"):
    if line.startswith("plumb_connections_open"):
        print(line)
EOF
    diff <(printf '%s\n' 'plumb_connections_open{thread="0"} 2' 'plumb_connections_open{thread="1"} 2') "$TMP/conn.out" ||
        fail "connections per thread"
    stop_server
}

# /metrics counts requests by model and status, times them, and the access log has one JSON line per request
test_serve_metrics_and_access_log() {
    start_server "$MODELS/gbdt_binary.plumb" --name m --access-log "$TMP/access.log"
    instances "$MODELS/credit300.csv" 1 >"$TMP/req.json"
    req POST /v1/models/m:predict @"$TMP/req.json"
    req POST /v1/models/m:predict @"$TMP/req.json"
    req POST /v1/models/m:predict '{"instances": 1}'
    req GET /v2/models/zz
    req GET /metrics
    expect_code 200
    expect_body_has 'plumb_requests_total{model="m",status="200"} 2'
    expect_body_has 'plumb_requests_total{model="m",status="400"} 1'
    expect_body_has 'plumb_requests_total{model="",status="404"} 1'
    expect_body_has 'plumb_scoring_seconds_count 2'
    expect_body_has 'plumb_request_seconds_bucket{le="+Inf"} 4'
    stop_server
    [ "$(wc -l <"$TMP/access.log")" -eq 5 ] || fail "access log: $(cat "$TMP/access.log")"
    $PY -c "
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [l['status'] for l in lines] == [200, 200, 400, 404, 200], lines
assert lines[0]['model'] == 'm' and lines[0]['rows'] == 1 and lines[0]['path'] == '/v1/models/m:predict'
" "$TMP/access.log" || fail "access log lines"
}

# options the server cannot start with
test_serve_usage_and_start_errors() {
    run "$PLUMB" serve
    expect_rc 2 && expect_err_has "no model to serve"
    run "$PLUMB" serve "$MODELS/gbdt_binary.plumb" --model bad
    expect_rc 2 && expect_err_has "--model takes NAME=FILE, not 'bad'"
    run "$PLUMB" serve "$MODELS/gbdt_binary.plumb" --model "gbdt_binary=$MODELS/linear.plumb"
    expect_rc 2 && expect_err_has "two models named 'gbdt_binary'"
    run "$PLUMB" serve "$MODELS/gbdt_binary.plumb" --port 70000
    expect_rc 2 && expect_err_has "--port must be a whole number from 0 to 65535"
    run "$PLUMB" serve "$MODELS/gbdt_binary.plumb" --shadow "gbdt_binary=$MODELS/gbdt_binary.plumb"
    expect_rc 2 && expect_err_has "--shadow needs --shadow-log"
    # every option in a range the server works with: none that accepts nothing, times out at once or overflows
    local option want
    while IFS='|' read -r option want; do
        run "$PLUMB" serve "$MODELS/gbdt_binary.plumb" --threads 2 $option
        expect_rc 2 && expect_err_has "$want"
    done <<EOF
--max-connections 0|--max-connections must be a whole number from 1 to 1000000, not '0'
--max-connections 1|--max-connections must be at least --threads (2), not 1
--timeout 0|--timeout must be a whole number from 1 to 86400, not '0'
--threads 0|--threads must be a whole number from 1 to 1024, not '0'
--max-depth 1|--max-depth must be a whole number from 2 to 1000, not '1'
--drain-timeout -1|--drain-timeout must be a number from 0 to 86400, not '-1'
--drain-timeout 1e20|--drain-timeout must be a number from 0 to 86400, not '1e20'
--deadline-ms -5|--deadline-ms must be a number from 0 to 3600000, not '-5'
--shadow-budget-ms -0.5|--shadow-budget-ms must be a number from 0 to 3600000, not '-0.5'
--cache-ttl -1|--cache-ttl must be a number from 0 to 31536000, not '-1'
--cache-ttl nan|option '--cache-ttl' expects a number, got 'nan'
EOF
    run "$PLUMB" serve "$MODELS/gbdt_binary.plumb" --port 0 --access-log "$TMP/no/such/dir/access.log"
    expect_rc 1 && expect_err_has "cannot open the access log '$TMP/no/such/dir/access.log'"
    run "$PLUMB" serve "$MODELS/gbdt_binary.plumb" --port 0 --host nosuchhost.invalid
    expect_rc 1 && expect_err_has "cannot resolve the host 'nosuchhost.invalid'"
    run "$PLUMB" serve "$MODELS/gbdt_binary.plumb" --shadow "other=$MODELS/gbdt_binary.plumb" --shadow-log "$TMP/s.log"
    expect_rc 1 && expect_err_has "--shadow names model 'other', which is not served"
    printf 'plumb-model 1 5 00\nabc\n' >"$TMP/bad.plumb"
    run "$PLUMB" serve "$TMP/bad.plumb" --port 0
    expect_rc 1 && expect_err_has "bad.plumb"
    start_server "$MODELS/gbdt_binary.plumb"
    run "$PLUMB" serve "$MODELS/gbdt_binary.plumb" --port "$PORT"
    expect_rc 1 && expect_err_has "cannot listen on 127.0.0.1:$PORT"
    stop_server
}

# a fallback model that does not read Seniority (trained here on the fixture's data without that column)
train_fallback() {
    cut -d, -f1,3- "$MODELS/credit300.csv" >"$TMP/nosen.csv"
    "$PLUMB" train "$TMP/nosen.csv" --target Status --num-iterations 5 -q -o "$TMP/fb.plumb" >/dev/null ||
        fail "training the fallback"
}

# the fallback answers what the main model cannot score, marked as such; a malformed body gets no fallback
test_serve_fallback_answers_invalid_input() {
    train_fallback
    start_server "$MODELS/gbdt_binary.plumb" --name m --fallback "$TMP/fb.plumb"
    local fb
    fb=$(head -1 "$TMP/fb.plumb" | cut -d' ' -f4)
    req POST /v1/models/m:predict '{"instances": [{"Seniority": "ten", "Age": 30, "Home": "rent"}]}'
    expect_code 200
    [ "$(jget 'j["fallback"], j["checksum"], len(j["predictions"])')" = "(True, '$fb', 1)" ] || fail "fallback: $body"
    expect_body_has "'Seniority' is numeric: a number expected"
    req POST /v2/models/m/infer '{"inputs": [{"name": "Seniority", "shape": [1], "datatype": "BYTES", "data": ["x"]}]}'
    expect_code 200
    [ "$(jget 'j["parameters"]["fallback"], j["parameters"]["checksum"]')" = "(True, '$fb')" ] || fail "v2: $body"
    req POST /v1/models/m:predict '{"instances": [{"Seniority": 3'
    expect_code 400
    req POST /v1/models/m:predict '{"instances": [{"Seniority": 3}]}'
    expect_code 200
    [ "$(jget 'j["fallback"]')" = "False" ] || fail "a valid request went to the fallback: $body"
    req GET /metrics
    expect_body_has "plumb_fallbacks_total 2"
    # SIGHUP reloads the fallback too
    "$PLUMB" train "$TMP/nosen.csv" --target Status --num-iterations 7 -q -o "$TMP/fb2.plumb" >/dev/null ||
        fail "training the second fallback"
    fb=$(head -1 "$TMP/fb2.plumb" | cut -d' ' -f4)
    mv "$TMP/fb2.plumb" "$TMP/fb.plumb"
    sighup_reloads "reloaded 'fallback': version 2, checksum $fb"
    req POST /v1/models/m:predict '{"instances": [{"Seniority": "ten"}]}'
    [ "$(jget 'j["fallback"], j["checksum"]')" = "(True, '$fb')" ] || fail "fallback after SIGHUP: $body"
    stop_server
    start_server "$MODELS/gbdt_binary.plumb" --name m
    req POST /v1/models/m:predict '{"instances": [{"Seniority": "ten"}]}'
    expect_code 422 && expect_body_has "instance 0: 'Seniority' is numeric: a number expected"
    stop_server
}

# --shadow: every answered request is scored by the shadow too, both predictions logged as JSON lines; the log
# rotates past --shadow-log-max; a shadow over its budget is skipped
test_serve_shadow_logs_both_predictions() {
    start_server "$MODELS/gbdt_binary.plumb" --name m --shadow "m=$MODELS/gbdt_calibrated.plumb" \
        --shadow-log "$TMP/shadow.log" --shadow-log-max 1000
    instances "$MODELS/credit300.csv" 2 >"$TMP/req.json"
    local i
    for i in 1 2 3 4; do
        req POST /v1/models/m:predict @"$TMP/req.json"
        expect_code 200
    done
    cp "$TMP/body" "$TMP/answer.json"
    for _ in $(seq 400); do # up to 20 s: the shadow writer is slow under ASan on a busy machine
        [ "$(cat "$TMP/shadow.log" "$TMP/shadow.log.1" 2>/dev/null | wc -l)" -ge 4 ] && break
        sleep 0.05
    done
    [ -s "$TMP/shadow.log.1" ] || fail "the shadow log was not rotated"
    $PY - "$TMP/shadow.log.1" "$TMP/shadow.log" "$TMP/answer.json" "$(head -1 "$MODELS/gbdt_calibrated.plumb" |
        cut -d' ' -f4)" <<'EOF' || fail "shadow log: $(cat "$TMP/shadow.log.1" "$TMP/shadow.log")"
import json, sys
lines = [json.loads(l) for f in sys.argv[1:3] for l in open(f)]
answer = json.load(open(sys.argv[3]))
assert len(lines) == 4, len(lines)
last = lines[-1]
assert last["model"] == "m" and last["shadow_checksum"] == sys.argv[4]
assert [r["main"][0] for r in last["rows"]] == answer["predictions"]
assert all(len(r["shadow"]) == 1 and r["shadow"] != r["main"] for r in last["rows"])
EOF
    stop_server
    start_server "$MODELS/gbdt_binary.plumb" --name m --shadow "m=$MODELS/gbdt_calibrated.plumb" \
        --shadow-log "$TMP/shadow2.log" --shadow-budget-ms 0
    for i in 1 2 3; do
        req POST /v1/models/m:predict @"$TMP/req.json"
    done
    sleep 0.2
    req GET /metrics
    expect_body_has "plumb_shadow_scored_total 1"
    expect_body_has "plumb_shadow_skipped_total 2"
    stop_server
}

# one slow batch puts the shadow over its budget for a while, not for good: its mean moves with the requests it
# still scores (1 in 100 while over), and once the one-row requests bring it under the budget, it scores them all
test_serve_shadow_resumes_after_a_slow_batch() {
    start_server "$MODELS/gbdt_binary.plumb" --name m --shadow "m=$MODELS/gbdt_calibrated.plumb" \
        --shadow-log "$TMP/shadow.log" --shadow-budget-ms 1
    instances "$MODELS/credit300.csv" 300 |
        $PY -c "import json,sys; j=json.load(sys.stdin); j['instances']=(j['instances']*34)[:10000]; print(json.dumps(j))" \
            >"$TMP/big.json"
    instances "$MODELS/credit300.csv" 1 >"$TMP/one.json"
    $PY - "$PORT" "$TMP/big.json" "$TMP/one.json" <<'EOF' || fail "the shadow did not resume: $(tail -3 "$TMP/srv.err")"
import http.client, re, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
def call(method, path, body=None):
    conn.request(method, path, body, {"Content-Type": "application/json"})
    r = conn.getresponse()
    text = r.read().decode()
    assert r.status == 200, (r.status, text)
    return text
def counter(name):
    return int(re.search(r"^%s (\d+)$" % name, call("GET", "/metrics"), re.M).group(1))
big, one = open(sys.argv[2]).read(), open(sys.argv[3]).read()
call("POST", "/v1/models/m:predict", big)
for i in range(100):  # 1 in 100 is scored while over: each takes 1/4 off the excess (24 for a 1 s batch)
    before = counter("plumb_shadow_scored_total")
    for _ in range(100):
        call("POST", "/v1/models/m:predict", one)
    if counter("plumb_shadow_scored_total") - before >= 90:
        assert counter("plumb_shadow_skipped_total") > 0, "the slow batch never put the shadow over its budget"
        sys.exit(0)
sys.exit("still skipping after 10,000 requests")
EOF
    stop_server
}

# a shadow log that cannot be opened again after its rotation (its directory removed) counts each line lost as a
# log error, and is opened again once it can be
test_serve_shadow_log_reopen_failure_counted() {
    mkdir "$TMP/sh"
    start_server "$MODELS/gbdt_binary.plumb" --name m --shadow "m=$MODELS/gbdt_calibrated.plumb" \
        --shadow-log "$TMP/sh/shadow.log" --shadow-log-max 100 --shadow-budget-ms 1000
    instances "$MODELS/credit300.csv" 1 >"$TMP/req.json"
    req POST /v1/models/m:predict @"$TMP/req.json"
    sleep 0.3 # the shadow scores after the answer
    rm -r "$TMP/sh"
    req POST /v1/models/m:predict @"$TMP/req.json"
    req POST /v1/models/m:predict @"$TMP/req.json"
    sleep 0.3
    req GET /metrics
    expect_body_has "plumb_log_write_errors_total 2"
    mkdir "$TMP/sh"
    req POST /v1/models/m:predict @"$TMP/req.json"
    sleep 0.3
    req GET /metrics
    expect_body_has "plumb_log_write_errors_total 2"
    [ "$(wc -l <"$TMP/sh/shadow.log")" = 1 ] || fail "the shadow log was not opened again"
    stop_server
}

# The feature stores of the test: entities u1 and u2 holding rows 1 and 2 of the fixture, in a SQLite file written
# by `plumb features load` (SQLITE) and in a redis-server the test starts on a free loopback port (FEATURES, the
# --features URI); store_down stops that Redis, store_up starts it again on the same port with the same hashes.
make_features() {
    { echo "user_id,$(head -1 "$MODELS/credit300.csv" | cut -d, -f2-)"
      sed -n 2p "$MODELS/credit300.csv" | sed 's/^[^,]*/u1/'
      sed -n 3p "$MODELS/credit300.csv" | sed 's/^[^,]*/u2/'; } >"$TMP/features.csv"
    "$PLUMB" features load "$TMP/features.csv" --key user_id --db "$TMP/features.db" -q || fail "features load"
    SQLITE="$TMP/features.db"
    REDIS_PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    FEATURES="redis://127.0.0.1:$REDIS_PORT"
    store_up
}
store_up() {
    mkdir -p "$TMP/redis"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP/redis" --save '' --appendonly no \
        >"$TMP/redis/log" 2>&1 &
    REDIS_PID=$!
    local ok=""
    for _ in $(seq 100); do
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && { ok=1; break; }
        sleep 0.05
    done
    [ -n "$ok" ] || fail "redis-server did not answer on port $REDIS_PORT"
    $PY - "$TMP/features.csv" <<'PYEOF' | redis-cli -p "$REDIS_PORT" >/dev/null || fail "filling redis"
import csv, sys
rows = csv.reader(open(sys.argv[1]))
head = next(rows)
for r in rows:  # redis-cli reads one command a line; values here hold no spaces or quotes
    print(" ".join(["HSET", "features:" + r[0]] + [f"{k} {v}" for k, v in zip(head[1:], r[1:]) if v != ""]))
PYEOF
}
store_down() {
    kill "$REDIS_PID" && wait "$REDIS_PID" 2>/dev/null
    REDIS_PID=""
}

# a lookup is a hit or a miss, once: an entry past --cache-ttl is one miss (the store is asked again), not two
test_serve_cache_misses_counted_once() {
    make_features
    start_server "$MODELS/gbdt_binary.plumb" --name m --entity-key user_id --features "$SQLITE" --cache-ttl 0.3
    req POST /v1/models/m:predict '{"instances": [{"user_id": "u1"}]}'
    expect_code 200
    sleep 0.5
    req POST /v1/models/m:predict '{"instances": [{"user_id": "u1"}, {"user_id": "u1"}]}'
    expect_code 200
    req GET /metrics
    expect_body_has "plumb_feature_cache_misses_total 2"
    expect_body_has "plumb_feature_cache_hits_total 1"
    stop_server
}

# a row naming an entity is filled from the store; values sent override stored ones; a missing entity is a 404
# (or missing values); a store that is down is a 503, or the fallback's answer
test_serve_entity_features_from_the_store() {
    make_features
    train_fallback
    start_server "$MODELS/gbdt_binary.plumb" --name m --entity-key user_id --features "$SQLITE"
    local p1 p2
    p1=$(sed -n 2p "$MODELS/gbdt_binary.pred.csv" | $PY -c 'import sys; print(repr(float(sys.stdin.read())))')
    p2=$(sed -n 3p "$MODELS/gbdt_binary.pred.csv" | $PY -c 'import sys; print(repr(float(sys.stdin.read())))')
    req POST /v1/models/m:predict '{"instances": [{"user_id": "u1"}, {"user_id": "u2"}]}'
    expect_code 200
    [ "$(jget 'j["predictions"]')" = "[$p1, $p2]" ] || fail "stored features: $body (want $p1, $p2)"
    # u1 with every value of row 2 sent: the request wins
    instances "$MODELS/credit300.csv" 2 |
        $PY -c "import json,sys; r=json.load(sys.stdin)['instances'][1]; r['user_id']='u1'; print(json.dumps({'instances':[r]}))" \
            >"$TMP/req.json"
    req POST /v1/models/m:predict @"$TMP/req.json"
    [ "$(jget 'j["predictions"]')" = "[$p2]" ] || fail "request values override: $body"
    req POST /v2/models/m/infer '{"inputs": [{"name": "user_id", "shape": [1], "datatype": "BYTES", "data": ["u2"]}]}'
    expect_code 200
    [ "$(jget 'j["outputs"][0]["data"]')" = "[$p2]" ] || fail "v2 entity: $body"
    req POST /v1/models/m:predict '{"instances": [{"user_id": "u3"}]}'
    expect_code 404 && expect_body_has "row 0: entity 'u3' not found in the feature store"
    req GET /metrics
    expect_body_has "plumb_feature_fetch_seconds_count 4"
    stop_server
    # the same entities from Redis; behind the cache a stored entity outlives the store, without it a 503
    start_server "$MODELS/gbdt_binary.plumb" --name m --entity-key user_id --features "$FEATURES" --cache-size 10
    req POST /v1/models/m:predict '{"instances": [{"user_id": "u1"}, {"user_id": "u1"}]}'
    expect_code 200
    [ "$(jget 'j["predictions"]')" = "[$p1, $p1]" ] || fail "redis features: $body (want $p1, $p1)"
    req GET /metrics
    expect_body_has "plumb_feature_cache_hits_total 1"
    store_down
    req POST /v1/models/m:predict '{"instances": [{"user_id": "u1"}]}'
    expect_code 200
    req POST /v1/models/m:predict '{"instances": [{"user_id": "u2"}]}'
    expect_code 503 && expect_body_has "feature store: "
    stop_server
    store_up
    start_server "$MODELS/gbdt_binary.plumb" --name m --entity-key user_id --features "$FEATURES" \
        --missing-entity missing --fallback "$TMP/fb.plumb" --deadline-ms 10000
    req POST /v1/models/m:predict '{"instances": [{"user_id": "u3", "Age": 40}]}'
    expect_code 200
    [ "$(jget 'j["fallback"]')" = "False" ] || fail "missing entity with missing values: $body"
    store_down
    req POST /v1/models/m:predict '{"instances": [{"user_id": "u1", "Age": 40}]}'
    expect_code 200
    [ "$(jget 'j["fallback"]')" = "True" ] || fail "store down, fallback: $body"
    expect_body_has "feature store: "
    stop_server
    store_up
    start_server "$MODELS/gbdt_binary.plumb" --name m --entity-key user_id --features "$FEATURES" \
        --fallback "$TMP/fb.plumb" --deadline-ms 0.000001
    req POST /v1/models/m:predict '{"instances": [{"user_id": "u1"}]}'
    expect_code 200
    [ "$(jget 'j["fallback"]')" = "True" ] || fail "deadline, fallback: $body"
    expect_body_has "the deadline of 1e-06 ms passed while fetching features"
    stop_server
}

"$@"
