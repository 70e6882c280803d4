# bench/serve/lib.sh -- what bench/serve/run and bench/serve/soak share (sourced, not run): the model and data,
# the servers they start (each on a free loopback port, each stopped by the EXIT trap), wrk and /metrics.
#
# After `serve_setup BUILD_DIR`: $build, $here, $tmp (a temporary directory, removed at exit), $plumb_model and
# $xgb_model (the benchmark's 500-tree models), $bodies (one v1 request body a line, features in the request),
# $features_db (the entities, loaded by plumb features load), $entities (their count), $name (the model's name in
# the routes) and $route (its v1 predict path).

python=/usr/bin/python3 # Debian's, with python3-xgboost, -fastapi, -uvicorn and -redis; the one on PATH may lack them
declare -A port pid
started=()

serve_fail() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

serve_cleanup() {
    local p
    for p in "${started[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${started[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    [[ -n ${tmp:-} ]] && rm -rf "$tmp"
}

# serve_setup BUILD_DIR: checks the tools, makes (once) and caches the data and the models, writes the entities
serve_setup() {
    build=$(cd "$1" && pwd) || serve_fail "no build directory '$1'"
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    local bench=$here/.. data=${DATA:-$here/../data}
    entities=${ENTITIES:-10000}
    name=higgs
    route=/v1/models/$name:predict
    [[ -x $build/plumb && -x $build/bench/gen_higgs ]] || serve_fail "'$build/plumb' or '$build/bench/gen_higgs' not found: build first"
    local tool
    for tool in wrk redis-server curl; do
        command -v "$tool" >/dev/null || serve_fail "'$tool' not found: scripts/bootstrap installs it"
    done
    "$python" -c 'import fastapi, uvicorn, redis, xgboost' 2>/dev/null ||
        serve_fail "fastapi, uvicorn, redis or xgboost missing for $python: scripts/bootstrap installs them"
    tmp=$(mktemp -d)
    trap serve_cleanup EXIT
    trap 'exit 130' INT TERM

    # The models of bench/run-row (500 iterations, 255 leaves, trained by each library with the same settings on
    # the 1M-row Higgs-like training file), cached in bench/data/row-models/ under run-row's names; run-row
    # generates the data and trains what is missing (minutes: it says so). PLUMB_MODEL and XGB_MODEL name others to
    # serve instead (a pair trained alike on the same data, with the features f0..f27).
    local train=$data/higgs_train.csv key
    test_csv=$data/higgs_test.csv
    [[ -f $train && -f $test_csv ]] || "$build/bench/gen_higgs" "$train" "$test_csv" >&2
    key="i500-l255-lr0.1-b255-l2_1-h0.001-d20-$(stat -c %s "$train")"
    plumb_model=${PLUMB_MODEL:-$bench/data/row-models/plumb-$key.model}
    xgb_model=${XGB_MODEL:-$bench/data/row-models/xgboost-$("$python" -c 'import xgboost; print(xgboost.__version__)')-$key.ubj}
    if [[ ! -f $plumb_model || ! -f $xgb_model ]]; then
        DATA=$data ROWS=1 REPS=1 RUNS=1 PROGRAMS="plumb xgboost" "$bench/run-row" "$build" >&2 ||
            serve_fail "bench/run-row could not make the models"
    fi

    # entities 0..N-1: the first N test rows, as request bodies, in SQLite (plumb features load) and later in Redis
    bodies=$tmp/bodies.txt
    features_db=$tmp/features.db
    "$python" "$here/fill_store.py" --rows "$entities" --csv "$tmp/entities.csv" --bodies "$bodies" "$test_csv" >/dev/null
    "$build/plumb" features load "$tmp/entities.csv" --key id --db "$features_db" -q
}

# start_plumb NAME THREADS [OPTION...]: plumb serve on a free port, the benchmark model as $name
start_plumb() {
    local tag=$1 threads=$2
    shift 2
    # made before the server starts: the background job opens them itself, and on a loaded machine the sed below
    # could run first, fail on the missing file (status 2) and end the script under set -e
    : >"$tmp/$tag.out"
    : >"$tmp/$tag.err"
    "$build/plumb" serve "$plumb_model" --name "$name" --port 0 --threads "$threads" "$@" \
        >"$tmp/$tag.out" 2>"$tmp/$tag.err" &
    pid[$tag]=$!
    started+=("$!")
    local i
    for ((i = 0; i < 600; i++)); do
        port[$tag]=$(sed -n 's|^listening on http://127.0.0.1:||p' "$tmp/$tag.out")
        [[ -n ${port[$tag]} ]] && return 0
        kill -0 "${pid[$tag]}" 2>/dev/null || break
        sleep 0.05
    done
    cat "$tmp/$tag.err" >&2
    serve_fail "plumb serve ($tag) did not start"
}

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_redis: a redis-server on a free loopback port, no persistence, in $tmp; fills the entities' hashes
start_redis() {
    port[redis]=$(free_port)
    mkdir -p "$tmp/redis"
    redis-server --bind 127.0.0.1 --port "${port[redis]}" --dir "$tmp/redis" --save '' --appendonly no \
        >"$tmp/redis.out" 2>&1 &
    pid[redis]=$!
    started+=("$!")
    local i
    for ((i = 0; i < 100; i++)); do
        if "$python" "$here/fill_store.py" --rows "$entities" --redis "redis://127.0.0.1:${port[redis]}" \
            "$test_csv" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    cat "$tmp/redis.out" >&2
    serve_fail "redis-server did not start"
}

# start_peer NAME [OPTION...]: peer.py (FastAPI + uvicorn + XGBoost) on a free port, ready when it answers
start_peer() {
    local tag=$1
    shift
    port[$tag]=$(free_port)
    "$python" "$here/peer.py" --model "$xgb_model" --name "$name" --port "${port[$tag]}" "$@" \
        >"$tmp/$tag.out" 2>"$tmp/$tag.err" &
    pid[$tag]=$!
    started+=("$!")
    local i
    for ((i = 0; i < 600; i++)); do
        curl -sf "http://127.0.0.1:${port[$tag]}/v2/health/ready" >/dev/null && return 0
        kill -0 "${pid[$tag]}" 2>/dev/null || break
        sleep 0.1
    done
    cat "$tmp/$tag.err" >&2
    serve_fail "the peer ($tag) did not start"
}

# load NAME CONNECTIONS SECONDS KIND: wrk -t2 against server NAME, one row per request, KIND "request" (every
# feature in the request), "entity" (an entity's id) or "both" (alternating); prints rows.lua's result line
load() {
    local tag=$1 conns=$2 secs=$3 kind=$4 env=(PATH_="$route")
    case $kind in
    request) env+=(BODIES="$bodies") ;;
    entity) env+=(ENTITIES="$entities") ;;
    both) env+=(BODIES="$bodies" ENTITIES="$entities") ;;
    esac
    env "${env[@]}" wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s -s "$here/rows.lua" \
        "http://127.0.0.1:${port[$tag]}" | grep '^result '
}

# metric NAME SERIES: the value of a /metrics series of plumb server NAME (the first line starting with SERIES).
# awk reads to the end: leaving early made curl fail with a broken pipe (exit 23) when /metrics outgrew 4 KiB, and
# pipefail then ended the calling script
metric() {
    curl -sf "http://127.0.0.1:${port[$1]}/metrics" |
        awk -v s="$2" 'index($0, s) == 1 && !found { print $NF; found = 1 }'
}

load_average() {
    cut -d' ' -f1-3 /proc/loadavg
}
