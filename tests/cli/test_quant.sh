#!/usr/bin/env bash
# test_quant.sh -- `plumb quantize`: the report, the quantised model in predict and eval, bad input.
source "$(dirname "$0")/lib.sh"

MODELS="$DATA/models"

test_quantize_reports_sizes_error_and_metrics() {
    run "$PLUMB" quantize "$MODELS/gbdt_binary.plumb" -o "$TMP/q.plumb" --data "$MODELS/credit300.csv"
    expect_rc 0
    expect_out_line "^wrote $TMP/q.plumb: gbdt_q, 4-byte nodes, 1-byte bin codes, 16-bit leaves$"
    expect_out_line "^file size +81155 -> [0-9]+ bytes \([3-9]\.[0-9]+x smaller\)$"
    expect_out_line "^memory +[0-9]+ -> [0-9]+ bytes \([4-9]\.[0-9]+x smaller\)$"
    expect_out_line "^on $MODELS/credit300.csv \(300 rows\):$"
    expect_out_line "^roc_auc +0\.9470049 +0\.9470049 +0$"
    # the measured difference stays within the reported bound
    bound=$(sed -n 's/^raw score bound *\([^ ]*\).*/\1/p' "$TMP/out")
    max=$(sed -n 's/^raw score difference *max \([^,]*\),.*/\1/p' "$TMP/out")
    awk -v b="$bound" -v m="$max" 'BEGIN { exit !(m > 0 && m <= b) }' || fail "max $max beyond the bound $bound"
    # the quantised model predicts and evaluates like any model, within the bound of the original's predictions
    run "$PLUMB" predict "$TMP/q.plumb" "$MODELS/credit300.csv" -o "$TMP/q.csv"
    expect_rc 0
    "$PLUMB" predict "$MODELS/gbdt_binary.plumb" "$MODELS/credit300.csv" -o "$TMP/g.csv" || fail "predict gbdt"
    [ "$(head -n 1 "$TMP/q.csv")" = "p_bad" ] || fail "header"
    paste -d, <(tail -n +2 "$TMP/g.csv") <(tail -n +2 "$TMP/q.csv") |
        awk -F, -v b="$bound" '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d } END { exit !(m > 0 && m <= b / 4) }' ||
        fail "probabilities move more than a quarter of the raw bound (the sigmoid's slope)"
    run "$PLUMB" eval "$TMP/q.plumb" "$MODELS/credit300.csv"
    expect_rc 0
    expect_out_line "^roc_auc +0\.947"
    # the shipped fixture is this command's output (the provenance, creation time included, is the original's)
    cmp -s "$TMP/q.plumb" "$MODELS/gbdt_q.plumb" || fail "the fixture differs"
}

test_quantize_int8_leaves() {
    run "$PLUMB" quantize "$MODELS/gbdt_poisson.plumb" -o "$TMP/q8.plumb" --leaf-bits 8
    expect_rc 0
    expect_out_line "^wrote $TMP/q8.plumb: gbdt_q, 4-byte nodes, 1-byte bin codes, 8-bit leaves$"
    "$PLUMB" quantize "$MODELS/gbdt_poisson.plumb" -o "$TMP/q16.plumb" -q >/dev/null || fail "16 bits"
    [ "$(stat -c %s "$TMP/q8.plumb")" -lt "$(stat -c %s "$TMP/q16.plumb")" ] || fail "8-bit leaves are not smaller"
}

test_quantize_refuses_other_kinds() {
    run "$PLUMB" quantize "$MODELS/linear.plumb" -o "$TMP/q.plumb"
    expect_rc 1
    expect_err "plumb: a linear model cannot be quantised: only gbdt models can"
    expect_no_file "$TMP/q.plumb"
    run "$PLUMB" quantize "$MODELS/gbdt_q.plumb" -o "$TMP/q.plumb"
    expect_rc 1
    expect_err "plumb: a gbdt_q model cannot be quantised: only gbdt models can"
    run "$PLUMB" predict --contrib "$MODELS/gbdt_q.plumb" "$MODELS/credit300.csv"
    expect_rc 1
    expect_err "plumb: a gbdt_q model has no TreeSHAP contributions: only gbdt and compiled models have them"
    # explain says what the model is and where its importance is
    run "$PLUMB" explain "$MODELS/gbdt_q.plumb"
    expect_rc 0
    expect_out_line "^gbdt_q model \(binary, objective binary, [0-9]+ trees\) over [0-9]+ features:$"
    expect_out_line "^this kind keeps no importance: explain the model it was made from\.$"
}

test_quantize_usage_errors() {
    run "$PLUMB" quantize "$MODELS/gbdt_binary.plumb"
    expect_rc 2
    expect_err_has "missing option '--output FILE'"
    run "$PLUMB" quantize "$MODELS/gbdt_binary.plumb" -o "$TMP/q.plumb" --leaf-bits 12
    expect_rc 2
    expect_err_has "option '--leaf-bits' expects 8 or 16, got '12'"
    expect_no_file "$TMP/q.plumb"
}

test_quantize_bad_data_leaves_no_file() {
    run "$PLUMB" quantize "$MODELS/gbdt_binary.plumb" -o "$TMP/q.plumb" --data "$TMP/absent.csv"
    expect_rc 1
    expect_err_has "absent.csv"
    expect_no_file "$TMP/q.plumb"
}

test_quantize_damaged_model_files() {
    head -c 2000 "$MODELS/gbdt_q.plumb" >"$TMP/cut.plumb"
    run "$PLUMB" predict "$TMP/cut.plumb" "$MODELS/credit300.csv"
    expect_rc 1
    expect_err_has "$TMP/cut.plumb: truncated model file"
    # one character of the packed nodes changed: the checksum no longer matches
    sed '2s/"nodes":"\(.\)/"nodes":"_/' "$MODELS/gbdt_q.plumb" >"$TMP/bad.plumb"
    run "$PLUMB" predict "$TMP/bad.plumb" "$MODELS/credit300.csv"
    expect_rc 1
    expect_err_has "$TMP/bad.plumb: corrupted model file: checksum mismatch"
}

"$@"
