#!/usr/bin/env bash
# test_compile.sh -- `plumb compile`: the .so in predict, eval, explain and serve; --check; bad .so files; compiler
# errors. Each case compiles with the system's C compiler into its temporary directory.
source "$(dirname "$0")/lib.sh"

MODELS="$DATA/models"
PY=/usr/bin/python3
SRV_PID=""
trap '[ -n "$SRV_PID" ] && kill -9 "$SRV_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

compile() { # MODEL SO: compiles, or fails the test
    "$PLUMB" compile -q "$1" -o "$2" >/dev/null || fail "plumb compile $1"
}

test_compile_predicts_evaluates_and_explains_as_the_model() {
    run "$PLUMB" compile "$MODELS/gbdt_multiclass.plumb" -o "$TMP/m.so" --emit-c "$TMP/m.c"
    expect_rc 0
    expect_out_line "^wrote $TMP/m.so: [0-9]+ trees, [0-9]+ split nodes as code \([0-9]+ bytes of C\), [0-9]+ bytes with"
    expect_out_line "^compiled in [0-9.]+ s; model checksum [0-9a-f]{64}$"
    grep -q "plumb_compiled_model" "$TMP/m.c" || fail "the C source lacks the entry"
    for m in gbdt_binary gbdt_calibrated gbdt_multiclass gbdt_poisson; do
        compile "$MODELS/$m.plumb" "$TMP/$m.so"
        "$PLUMB" predict "$TMP/$m.so" "$MODELS/credit300.csv" -o "$TMP/$m.csv" || fail "predict $m.so"
        cmp -s "$TMP/$m.csv" <("$PLUMB" predict "$MODELS/$m.plumb" "$MODELS/credit300.csv") ||
            fail "$m.so predicts otherwise than $m.plumb"
        tail -n +2 "$TMP/$m.csv" | cmp -s - <(tail -n +2 "$MODELS/$m.pred.csv") || fail "$m.pred.csv differs"
    done
    run "$PLUMB" eval "$TMP/gbdt_binary.so" "$MODELS/credit300.csv"
    expect_rc 0
    expect_out_line "^roc_auc +0\.947005$"
    "$PLUMB" predict --contrib "$TMP/gbdt_binary.so" "$MODELS/credit300.csv" -o "$TMP/c1.csv" || fail "contrib .so"
    "$PLUMB" predict --contrib "$MODELS/gbdt_binary.plumb" "$MODELS/credit300.csv" -o "$TMP/c2.csv" || fail "contrib"
    cmp -s "$TMP/c1.csv" "$TMP/c2.csv" || fail "contributions differ"
    "$PLUMB" explain "$MODELS/gbdt_binary.plumb" >"$TMP/e2.txt" || fail "explain"
    run "$PLUMB" explain "$TMP/gbdt_binary.so"
    expect_rc 0
    expect_out_line "^compiled model, objective binary: 30 trees over 13 features, 900 splits$"
    cmp -s <(tail -n +2 "$TMP/out") <(tail -n +2 "$TMP/e2.txt") || fail "explain differs"
}

test_compile_check_pairs_a_so_with_its_model() {
    compile "$MODELS/gbdt_binary.plumb" "$TMP/b.so"
    run "$PLUMB" compile "$MODELS/gbdt_binary.plumb" --check "$TMP/b.so"
    expect_rc 0
    expect_out_has "$TMP/b.so was compiled from $MODELS/gbdt_binary.plumb"
    run "$PLUMB" compile "$MODELS/gbdt_poisson.plumb" --check "$TMP/b.so"
    expect_rc 1
    expect_err_has "$TMP/b.so: compiled for another model (checksum "
    run "$PLUMB" compile "$MODELS/gbdt_binary.plumb" --check "$MODELS/gbdt_binary.plumb"
    expect_rc 1
    expect_err_has "gbdt_binary.plumb: not a compiled model: a gbdt model file"
}

test_compile_serves_the_so() {
    compile "$MODELS/gbdt_binary.plumb" "$TMP/credit.so"
    "$PLUMB" serve "$TMP/credit.so" --name credit --port 0 >"$TMP/srv.out" 2>"$TMP/srv.err" &
    SRV_PID=$!
    PORT=""
    for _ in $(seq 200); do
        PORT=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$TMP/srv.out")
        [ -n "$PORT" ] && break
        sleep 0.05
    done
    [ -n "$PORT" ] || fail "the server did not start: $(cat "$TMP/srv.err")"
    $PY - "$MODELS/credit300.csv" >"$TMP/req.json" <<'EOF'
import csv, json, sys
def val(v):
    try:
        return float(v)
    except ValueError:
        return None if v == "" else v
rows = list(csv.DictReader(open(sys.argv[1])))
print(json.dumps({"instances": [{k: val(v) for k, v in r.items() if k != "Status"} for r in rows]}))
EOF
    code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST --data-binary @"$TMP/req.json" \
        -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/v1/models/credit:predict")
    [ "$code" = 200 ] || fail "HTTP $code: $(cat "$TMP/body")"
    $PY -c "import json,sys; print('\n'.join(repr(p) for p in json.load(open(sys.argv[1]))['predictions']))" \
        "$TMP/body" >"$TMP/got"
    tail -n +2 "$MODELS/gbdt_binary.pred.csv" | $PY -c "import sys; [print(repr(float(l))) for l in sys.stdin]" \
        >"$TMP/want"
    cmp -s "$TMP/got" "$TMP/want" || fail "served predictions differ from gbdt_binary.pred.csv"
    kill -TERM "$SRV_PID"
    wait "$SRV_PID" || fail "the server exited with $? after SIGTERM"
    SRV_PID=""
}

# the trailer's size: the embedded model's length (8 bytes) and the magic (16)
TRAILER=24

test_compile_bad_so_files_are_refused() {
    compile "$MODELS/gbdt_binary.plumb" "$TMP/a.so"
    compile "$MODELS/gbdt_poisson.plumb" "$TMP/b.so"
    "$PLUMB" compile -q "$MODELS/gbdt_binary.plumb" -o "$TMP/x.so" --emit-c "$TMP/a.c" >/dev/null || fail "emit"
    size=$(stat -c %s "$TMP/a.so")
    ma=$(stat -c %s "$MODELS/gbdt_binary.plumb")
    mb=$(stat -c %s "$MODELS/gbdt_poisson.plumb")
    elf_a=$((size - ma - TRAILER))
    elf_b=$(($(stat -c %s "$TMP/b.so") - mb - TRAILER))
    # truncated
    head -c $((size - 100)) "$TMP/a.so" >"$TMP/t.so"
    run "$PLUMB" predict "$TMP/t.so" "$MODELS/credit300.csv"
    expect_rc 1
    expect_err "$TMP/t.so: truncated compiled model: the embedded model at its end is missing"
    head -c "$elf_a" "$TMP/a.so" >"$TMP/t.so"
    run "$PLUMB" predict "$TMP/t.so" "$MODELS/credit300.csv"
    expect_rc 1
    expect_err_has "$TMP/t.so: truncated compiled model"
    # not ours: a shared object of something else
    echo 'int f(void) { return 1; }' >"$TMP/f.c"
    cc -shared -fPIC -o "$TMP/f.so" "$TMP/f.c" || fail "cc"
    run "$PLUMB" predict "$TMP/f.so" "$MODELS/credit300.csv"
    expect_rc 1
    expect_err "$TMP/f.so: not a compiled plumb model: no embedded model at its end (not made by plumb compile, or truncated)"
    # an unknown ABI version: the generated C with version 7, a's model and trailer appended
    sed 's/\.abi_version = 1,/.abi_version = 7,/' "$TMP/a.c" >"$TMP/v7.c"
    cc -shared -fPIC -o "$TMP/v7.so" "$TMP/v7.c" || fail "cc v7"
    tail -c $((ma + TRAILER)) "$TMP/a.so" >>"$TMP/v7.so"
    run "$PLUMB" predict "$TMP/v7.so" "$MODELS/credit300.csv"
    expect_rc 1
    expect_err "$TMP/v7.so: compiled model of ABI version 7: this plumb reads version 1 (compile the model again)"
    # the code of one model with another's model: checksum mismatch
    { head -c "$elf_a" "$TMP/a.so" && tail -c $((mb + TRAILER)) "$TMP/b.so"; } >"$TMP/mix.so"
    run "$PLUMB" predict "$TMP/mix.so" "$MODELS/credit300.csv"
    expect_rc 1
    expect_err_has "$TMP/mix.so: checksum mismatch: the code was compiled from model "
    [ "$elf_b" -gt 0 ] || fail "b.so layout"
}

test_compile_compiler_errors_leave_no_output() {
    run "$PLUMB" compile "$MODELS/gbdt_binary.plumb" -o "$TMP/n.so" --cc /nonexistent/cc
    expect_rc 1
    expect_err_has "cannot run the C compiler '/nonexistent/cc': No such file or directory (install gcc or clang, or set CC)"
    expect_no_file "$TMP/n.so"
    CC=false run "$PLUMB" compile "$MODELS/gbdt_binary.plumb" -o "$TMP/n.so"
    expect_rc 1
    expect_err_has "the C compiler 'false' failed (exit status 1)"
    expect_no_file "$TMP/n.so"
    run "$PLUMB" compile "$MODELS/gbdt_binary.plumb" -o "$TMP/n.so" --cflags "-O2 -fno-such-flag"
    expect_rc 1
    expect_err_has "-fno-such-flag"
    expect_no_file "$TMP/n.so"
    run "$PLUMB" compile "$MODELS/linear.plumb" -o "$TMP/n.so"
    expect_rc 1
    expect_err "$MODELS/linear.plumb: a linear model cannot be compiled: only gbdt models can"
    expect_no_file "$TMP/n.so"
}

test_compile_usage_errors() {
    run "$PLUMB" compile "$MODELS/gbdt_binary.plumb"
    expect_rc 2
    expect_err_has "missing option '--output FILE'"
    run "$PLUMB" compile "$MODELS/gbdt_binary.plumb" --check x.so -o y.so
    expect_rc 2
    expect_err_has "option '--check' takes no '--output' or '--emit-c'"
}

"$@"
