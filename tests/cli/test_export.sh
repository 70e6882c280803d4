#!/usr/bin/env bash
# test_export.sh -- `plumb export --format onnx`: every exportable kind checked by onnx.checker and scored by ONNX
# Runtime (npm onnxruntime-node, from node) to plumb's predictions within 1e-5, on the credit data and on a harder
# copy of it (missing values, unseen categories, numbers exactly on the split thresholds: tests/onnx/perturb.py);
# refusals and bad input.
source "$(dirname "$0")/lib.sh"

MODELS="$DATA/models"
ONNX_TOOLS="$SRC/tests/onnx"
PY=/usr/bin/python3
TOL=1e-5

# ONNX Runtime: PLUMB_ORT_DIR, scripts/bootstrap's /opt/plumb/npm, or an npm install into the build tree (CI).
need_ort() {
    for d in "${PLUMB_ORT_DIR:-}" /opt/plumb/npm "$BUILD/npm"; do
        if [ -n "$d" ] && [ -f "$d/node_modules/onnxruntime-node/package.json" ]; then
            export PLUMB_ORT_DIR="$d"
            return 0
        fi
    done
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        echo "SKIP: node or npm is not installed (scripts/bootstrap installs them):" \
            "ONNX Runtime did not score the export"
        exit 0
    fi
    mkdir -p "$BUILD/npm"
    # the tests run side by side (ctest -j): one installs, the others wait on the lock and find it installed
    (
        flock 9
        [ -f "$BUILD/npm/node_modules/onnxruntime-node/package.json" ] ||
            npm install --prefix "$BUILD/npm" --ignore-scripts --no-audit --no-fund onnxruntime-node@1.31.1 \
                >"$TMP/npm.log" 2>&1
    ) 9>"$BUILD/npm/.lock" || { cat "$TMP/npm.log" >&2; fail "npm install onnxruntime-node"; }
    export PLUMB_ORT_DIR="$BUILD/npm"
}

# roundtrip MODEL DATA: exports MODEL, checks it, and compares ONNX Runtime's scores with plumb's on DATA and on
# its perturbed copy.
roundtrip() {
    local model=$1 data=$2 name
    name=$(basename "$model" .plumb)
    need_ort
    run "$PLUMB" export "$model" --format onnx -o "$TMP/$name.onnx"
    expect_rc 0
    expect_err_has "exported "
    run "$PY" "$ONNX_TOOLS/check.py" "$TMP/$name.onnx" "$TMP/$name.json"
    expect_rc 0
    "$PY" "$ONNX_TOOLS/perturb.py" "$TMP/$name.onnx" "$TMP/$name.json" "$data" "$TMP/$name.hard.csv" ||
        fail "perturb $data"
    for d in "$data" "$TMP/$name.hard.csv"; do
        "$PLUMB" predict "$model" "$d" -o "$TMP/plumb.csv" || fail "plumb predict $d"
        run node "$ONNX_TOOLS/ort_score.js" "$TMP/$name.onnx" "$d" "$TMP/$name.json" "$TMP/ort.csv"
        expect_rc 0
        run "$PY" "$ONNX_TOOLS/compare.py" "$TMP/plumb.csv" "$TMP/ort.csv" "$TOL"
        expect_rc 0
    done
}

test_export_gbdt_binary() { roundtrip "$MODELS/gbdt_binary.plumb" "$MODELS/credit300.csv"; }
test_export_gbdt_multiclass() { roundtrip "$MODELS/gbdt_multiclass.plumb" "$MODELS/credit300.csv"; }
test_export_gbdt_poisson() { roundtrip "$MODELS/gbdt_poisson.plumb" "$MODELS/credit300.csv"; }
test_export_tree_binary() { roundtrip "$MODELS/tree_binary.plumb" "$MODELS/credit300.csv"; }
test_export_tree_regression() { roundtrip "$MODELS/tree_regression.plumb" "$MODELS/credit300.csv"; }
test_export_linear() { roundtrip "$MODELS/linear.plumb" "$MODELS/credit300.csv"; }
test_export_logistic() { roundtrip "$MODELS/logistic.plumb" "$MODELS/credit300.csv"; }

# credit300 with a bool column (true/false, some missing) and more categorical set splits than the defaults make
bool_data() {
    awk -F, -v OFS=, 'NR == 1 { print $0, "Flag"; next }
        { f = ($7 == "yes") ? "true" : "false"; if (NR % 5 == 0) f = (f == "true") ? "false" : "true"
          if (NR % 11 == 0) f = ""; print $0, f }' "$MODELS/credit300.csv" >"$TMP/bool.csv"
}

test_export_gbdt_regression_set_splits_and_bools() {
    bool_data
    "$PLUMB" train "$TMP/bool.csv" --target Amount --objective l2 --num-iterations 40 --min-data-per-group 5 \
        --max-cat-to-onehot 1 --min-data-in-leaf 5 -o "$TMP/gbdt_l2.plumb" -q >/dev/null || fail "train"
    roundtrip "$TMP/gbdt_l2.plumb" "$TMP/bool.csv"
}

test_export_gbdt_binary_bools() {
    bool_data
    "$PLUMB" train "$TMP/bool.csv" --target Status --num-iterations 30 --min-data-per-group 5 --max-cat-to-onehot 1 \
        -o "$TMP/gbdt_b.plumb" -q >/dev/null || fail "train"
    roundtrip "$TMP/gbdt_b.plumb" "$TMP/bool.csv"
}

test_export_logistic_bools() {
    bool_data
    "$PLUMB" train "$TMP/bool.csv" --target Status --model logistic -o "$TMP/logistic_b.plumb" -q >/dev/null ||
        fail "train"
    roundtrip "$TMP/logistic_b.plumb" "$TMP/bool.csv"
}

test_export_imported_lightgbm_categorical() {
    "$PLUMB" import "$DATA/import/lgb_binary.txt" --from lightgbm -o "$TMP/lgb.plumb" -q || fail "import"
    roundtrip "$TMP/lgb.plumb" "$DATA/import/lgb_binary.csv"
}

test_export_imported_xgboost_multiclass() {
    "$PLUMB" import "$DATA/import/xgb_multiclass.json" --from xgboost -o "$TMP/xgb.plumb" -q || fail "import"
    roundtrip "$TMP/xgb.plumb" "$DATA/import/xgb_multiclass.csv"
}

test_export_buffer_equals_file() {
    # the file is deterministic: two exports are the same bytes
    "$PLUMB" export "$MODELS/gbdt_binary.plumb" -o "$TMP/a.onnx" -q || fail "export a"
    "$PLUMB" export "$MODELS/gbdt_binary.plumb" -o "$TMP/b.onnx" -q || fail "export b"
    cmp -s "$TMP/a.onnx" "$TMP/b.onnx" || fail "two exports differ"
}

test_export_refuses_calibrated() {
    run "$PLUMB" export "$MODELS/gbdt_calibrated.plumb" -o "$TMP/c.onnx"
    expect_rc 1
    expect_err "$MODELS/gbdt_calibrated.plumb: a calibrated model cannot be exported to ONNX: its calibration map has\
 no ONNX operator; export the model trained without --calibrate"
    expect_no_file "$TMP/c.onnx"
}

test_export_refuses_quantised() {
    run "$PLUMB" export "$MODELS/gbdt_q.plumb" -o "$TMP/q.onnx"
    expect_rc 1
    expect_err "$MODELS/gbdt_q.plumb: a gbdt_q model cannot be exported to ONNX: its thresholds are bin indices and\
 its leaves integers; export the gbdt model it was quantised from"
    expect_no_file "$TMP/q.onnx"
}

test_export_truncated_model() {
    head -c 300 "$MODELS/gbdt_binary.plumb" >"$TMP/t.plumb"
    run "$PLUMB" export "$TMP/t.plumb" -o "$TMP/t.onnx"
    expect_rc 1
    expect_err "$TMP/t.plumb: truncated model file: 215 of 81069 bytes"
    expect_no_file "$TMP/t.onnx"
}

test_export_usage() {
    run "$PLUMB" export "$MODELS/gbdt_binary.plumb" --format pmml -o "$TMP/x.onnx"
    expect_rc 2
    expect_err_has "plumb export: unknown format 'pmml' (plumb exports onnx)"
    run "$PLUMB" export "$MODELS/gbdt_binary.plumb"
    expect_rc 2
    expect_err_has "plumb export: missing option '--output FILE'"
    expect_no_file "$TMP/x.onnx"
}

"$@"
