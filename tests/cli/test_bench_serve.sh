#!/usr/bin/env bash
# test_bench_serve.sh -- `plumb bench-serve` against real `plumb serve` servers on a free loopback port, and
# `plumb serve --features-query` (features aggregated per request by a SELECT).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"

MODELS="$DATA/models"
PY=/usr/bin/python3
trap '[ -n "$SRV_PID" ] && kill -9 "$SRV_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

# jval KEY: the number KEY of bench.json
jval() { $PY -c "import json,sys; print(json.load(open('$TMP/bench.json'))['$1'])"; }

# two v1 rows of the credit fixture, as request bodies
make_bodies() {
    $PY - "$MODELS/credit300.csv" >"$TMP/bodies" <<'PYEOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows[:2]:
    r.pop("Status")
    print(json.dumps({"instances": [{k: (float(v) if v.replace(".", "").isdigit() else v) for k, v in r.items()}]}))
PYEOF
}

# open loop: the requests due in the measured time are the rate times the duration, all answered
test_bench_serve_fixed_rate() {
    make_bodies
    start_server "$MODELS/gbdt_binary.plumb" --name m -t 1
    run "$PLUMB" bench-serve "http://127.0.0.1:$PORT/v1/models/m:predict" --body "$TMP/bodies" --rate 200 \
        --connections 2 --duration 1 --warmup 0.2 --json "$TMP/bench.json"
    expect_rc 0
    expect_out_has "open loop at a fixed rate"
    [ "$(jval requests)" = 200 ] || fail "$(jval requests) requests measured, expected 200"
    [ "$(jval errors)" = 0 ] && [ "$(jval non_2xx)" = 0 ] || fail "errors or non-2xx answers"
    $PY -c "
import json; j = json.load(open('$TMP/bench.json'))
assert 0 < j['p50_ms'] <= j['p90_ms'] <= j['p99_ms'] <= j['p999_ms'] <= j['max_ms'], j
assert sum(j['histogram']) == 200 and len(j['histogram']) == len(j['histogram_ms_upper']), j
assert j['rate'] == 200 and j['connections'] == 2, j" || fail "bad figures in the JSON"
    # closed loop: as fast as the connections go
    run "$PLUMB" bench-serve "http://localhost:$PORT/v1/models/m:predict" --body "$TMP/bodies" --rate 0 \
        --duration 0.5 --warmup 0
    expect_rc 0
    expect_out_has "closed loop"
    stop_server
}

# answers that are not 2xx are counted, apart from errors
test_bench_serve_counts_refusals() {
    echo '{"instances": [{"Seniority": "not a number"}]}' >"$TMP/bodies"
    start_server "$MODELS/gbdt_binary.plumb" --name m -t 1
    run "$PLUMB" bench-serve "http://127.0.0.1:$PORT/v1/models/nope:predict" --body "$TMP/bodies" --rate 100 \
        --duration 0.5 --warmup 0 --json "$TMP/bench.json" -q
    expect_rc 0
    [ -z "$out$err" ] || fail "-q with --json printed"
    [ "$(jval non_2xx)" = 50 ] && [ "$(jval requests)" = 50 ] && [ "$(jval errors)" = 0 ] ||
        fail "expected 50 refusals: $(cat "$TMP/bench.json")"
    stop_server
}

test_bench_serve_errors() {
    echo '{}' >"$TMP/bodies"
    run "$PLUMB" bench-serve "ftp://127.0.0.1:1/x" --body "$TMP/bodies"
    expect_rc 2
    expect_err_has "the URL is http://HOST:PORT/PATH"
    run "$PLUMB" bench-serve "http://127.0.0.1:1/x" --body "$TMP/absent"
    expect_rc 1
    expect_err_has "absent: No such file or directory"
    run "$PLUMB" bench-serve "http://127.0.0.1:1/x" --body "$TMP/bodies" --duration 0.1 --json "$TMP/bench.json"
    expect_rc 1
    expect_err_has "cannot connect to 127.0.0.1:1"
    expect_no_file "$TMP/bench.json"
    run "$PLUMB" bench-serve "http://127.0.0.1:1/x" --body "$TMP/bodies" --rate -1
    expect_rc 2
}

# --features-query: each request's features are the row a SELECT returns with the entity key bound to ?1; the
# answer is the one the same features give from a precomputed table
test_serve_features_query() {
    { echo "user_id,$(head -1 "$MODELS/credit300.csv" | cut -d, -f2-)"
      sed -n 2,4p "$MODELS/credit300.csv" | awk -F, -v OFS=, '{ $1 = "u" NR; print }'; } >"$TMP/features.csv"
    "$PLUMB" features load "$TMP/features.csv" --key user_id --db "$TMP/f.db" -q || fail "features load"
    # the query computes u2's Income from u1's and u3's: their mean
    printf 'SELECT f.*, (SELECT avg(CAST(Income AS REAL)) FROM features WHERE user_id IN (%s, %s)) AS Income\nFROM features f WHERE user_id = ?1\n' "'u1'" "'u3'" >"$TMP/q.sql"
    sed -i 's/SELECT f\.\*/SELECT f.Seniority, f.Home, f.Time, f.Age, f.Marital, f.Records, f.Job, f.Expenses, f.Assets, f.Debt, f.Amount, f.Price/' "$TMP/q.sql"
    mean=$($PY -c "import csv; r = list(csv.DictReader(open('$TMP/features.csv'))); print((float(r[0]['Income']) + float(r[2]['Income'])) / 2)")
    start_server "$MODELS/gbdt_binary.plumb" --name m --entity-key user_id --features "$TMP/f.db" \
        --features-query "$TMP/q.sql" --cache-size 0
    a=$(curl -s "http://127.0.0.1:$PORT/v1/models/m:predict" -d '{"instances": [{"user_id": "u2"}]}')
    b=$(curl -s "http://127.0.0.1:$PORT/v1/models/m:predict" -d "{\"instances\": [{\"user_id\": \"u2\", \"Income\": $mean}]}")
    stop_server
    start_server "$MODELS/gbdt_binary.plumb" --name m --entity-key user_id --features "$TMP/f.db"
    c=$(curl -s "http://127.0.0.1:$PORT/v1/models/m:predict" -d "{\"instances\": [{\"user_id\": \"u2\", \"Income\": $mean}]}")
    stop_server
    pa=$(echo "$a" | $PY -c 'import json,sys; print(json.load(sys.stdin)["predictions"])')
    pc=$(echo "$c" | $PY -c 'import json,sys; print(json.load(sys.stdin)["predictions"])')
    [ -n "$pa" ] && [ "$pa" = "$pc" ] || fail "query: $a, precomputed: $c"
    # a query that does not prepare: file:line:col at start, exit 1
    printf 'SELECT *\nFROM features WHERE user_id = ?1 AND AND\n' >"$TMP/bad.sql"
    run "$PLUMB" serve "$MODELS/gbdt_binary.plumb" --entity-key user_id --features "$TMP/f.db" \
        --features-query "$TMP/bad.sql" --port 0
    expect_rc 1
    expect_err_has "$TMP/bad.sql:2:38: near \"AND\": syntax error"
    run "$PLUMB" serve "$MODELS/gbdt_binary.plumb" --entity-key user_id --features redis://127.0.0.1:1 \
        --features-query "$TMP/q.sql"
    expect_rc 2
    expect_err_has "--features-query goes with a SQLite --features"
}

# plumb demo realtime: the study, then each serving step loaded and measured, its latencies in report.json
test_demo_realtime_serves_each_step() {
    run "$PLUMB" demo realtime -o "$TMP/rt" --data "$DATA/movielens_4000.csv" --serve-seconds 0.5 --rate 20 \
        --fast-rate 100 --server-threads 1 -t 1
    expect_rc 0
    expect_out_has "report: $TMP/rt/report.html (latencies added)"
    $PY -c "
import json; r = json.load(open('$TMP/rt/report.json'))
lat = r['latency']
steps = lat['steps']
assert [s['name'] for s in steps] == ['slow path', '+ feature store', '+ cache', '+ distilled student', '+ compiled'], steps
for s in steps:
    assert s['errors'] == 0 and s['non_2xx'] == 0, s
    assert s['requests'] == (10 if s['name'] == 'slow path' else 50), s
    assert 0 < s['p50_ms'] <= s['p99_ms'], s
assert steps[0]['roc_auc'] == steps[2]['roc_auc'] and steps[3]['model'] == 'student', steps
assert steps[2]['cache_hit_ratio'] > 0.9 and steps[1]['cache_hit_ratio'] is None, steps
assert lat['throughput']['requests'] > 0 and lat['p99_ratio'] > 0, lat
" || fail "bad latency record"
    grep -q 'Latency waterfall: from the slow path to the fast one' "$TMP/rt/report.html" || fail "no waterfall in the report"
}

# with --features redis://...: the pairs loaded into Redis as hashes, the fast path's steps served from it
test_demo_realtime_with_redis() {
    port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$TMP/redis"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$TMP/redis" --save '' --appendonly no \
        >"$TMP/redis/log" 2>&1 &
    SRV_PID=$!
    for _ in $(seq 100); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.05
    done
    run "$PLUMB" demo realtime -o "$TMP/rt" --data "$DATA/movielens_4000.csv" --serve-seconds 0.3 --rate 20 \
        --fast-rate 100 --server-threads 1 -t 1 --features "redis://127.0.0.1:$port"
    expect_rc 0
    n=$(redis-cli -p "$port" dbsize)
    [ "$n" = "$(($(wc -l <"$TMP/rt/pairs.csv") - 1))" ] || fail "$n hashes in redis"
    $PY -c "
import json; lat = json.load(open('$TMP/rt/report.json'))['latency']
assert lat['feature_store'] == 'redis', lat
assert all(s['errors'] == 0 and s['non_2xx'] == 0 for s in lat['steps']), lat" || fail "bad latency record"
    kill "$SRV_PID"
    wait "$SRV_PID" 2>/dev/null
    SRV_PID=""
    run "$PLUMB" demo realtime -o "$TMP/rt2" --data "$DATA/movielens_4000.csv" --features "$TMP/x.db"
    expect_rc 2
    expect_err_has "--features is redis://HOST:PORT"
}

"$@"
