# serve_lib.sh -- starting and stopping a real `plumb serve` on a free loopback port, for the CLI tests that need
# one (sourced after lib.sh; the test's EXIT trap kills a server left running through SRV_PID).
SRV_PID=""

# start_server ARGS...: starts `plumb serve ARGS --port 0` and sets PORT and SRV_PID (fails after 10 s)
start_server() {
    : >"$TMP/srv.out"
    "$PLUMB" serve "$@" --port 0 >"$TMP/srv.out" 2>"$TMP/srv.err" &
    SRV_PID=$!
    for _ in $(seq 200); do
        PORT=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$TMP/srv.out")
        [ -n "$PORT" ] && return 0
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$TMP/srv.err" >&2
    fail "the server did not start"
}

# stop_server: SIGTERM, then the exit status must be 0 within 10 s
stop_server() {
    kill -TERM "$SRV_PID"
    for _ in $(seq 200); do
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$SRV_PID" 2>/dev/null && fail "the server did not stop on SIGTERM"
    wait "$SRV_PID"
    local status=$?
    SRV_PID=""
    [ "$status" -eq 0 ] || fail "the server exited with $status after SIGTERM"
}
