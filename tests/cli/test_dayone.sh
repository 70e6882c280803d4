#!/usr/bin/env bash
# test_dayone.sh -- options that used to be silently ignored or misread: each is now a usage error, a data error
# with a clear message, or does what it says (issues 12 and 23).
source "$(dirname "$0")/lib.sh"

CREDIT="$SRC/examples/credit/credit_data.csv"

test_calibrate_refuses_one_class() {
    { head -n 1 "$CREDIT"; grep '^good' "$CREDIT" | head -n 1; } >"$TMP/v1.csv"
    run "$PLUMB" train "$CREDIT" --target Status --valid "$TMP/v1.csv" --calibrate isotonic -q -o "$TMP/m.plumb"
    expect_rc 1
    expect_err "plumb: cannot calibrate on 1 row, all of the positive class ('good'): calibration needs rows of both classes"
    expect_no_file "$TMP/m.plumb"
    { head -n 1 "$CREDIT"; grep '^good' "$CREDIT" | head -n 5; } >"$TMP/v5.csv"
    run "$PLUMB" train "$CREDIT" --target Status --positive-class bad --valid "$TMP/v5.csv" --calibrate platt -q \
        -o "$TMP/m.plumb"
    expect_rc 1
    expect_err "plumb: cannot calibrate on 5 rows, all of the negative class: calibration needs rows of both classes"
}

# isotonic calibration never says 0 or 1, and on the credit case study (train on three rows in four, calibrate on
# 20% of them, score the fourth) it does not make the held-out log-loss worse (sklearn's isotonic: 0.427 -> 0.461)
test_isotonic_calibration_held_out_log_loss() {
    awk -F, 'NR == 1 || (NR - 2) % 4 != 3' "$CREDIT" >"$TMP/train.csv"
    awk -F, 'NR == 1 || (NR - 2) % 4 == 3' "$CREDIT" >"$TMP/test.csv"
    local common=(--target Status --positive-class bad --monotone Income:-1,Assets:-1,Seniority:-1
        --valid-fraction 0.2 --learning-rate 0.05 --num-iterations 300 --num-leaves 15 --early-stopping-rounds 30 -q)
    run "$PLUMB" train "$TMP/train.csv" "${common[@]}" -o "$TMP/raw.plumb"
    expect_rc 0
    run "$PLUMB" train "$TMP/train.csv" "${common[@]}" --calibrate isotonic -o "$TMP/iso.plumb"
    expect_rc 0
    "$PLUMB" predict "$TMP/iso.plumb" "$TMP/test.csv" -o "$TMP/p.csv" || fail "predict"
    tail -n +2 "$TMP/p.csv" | awk '$1 <= 0 || $1 >= 1 { bad++ } END { exit bad > 0 }' ||
        fail "isotonic calibration predicts exactly 0 or 1"
    local raw iso
    raw=$("$PLUMB" eval "$TMP/raw.plumb" "$TMP/test.csv" --json | sed -n 's/^ *"log_loss": \([0-9.e-]*\),*$/\1/p' | head -n 1)
    iso=$("$PLUMB" eval "$TMP/iso.plumb" "$TMP/test.csv" --json | sed -n 's/^ *"log_loss": \([0-9.e-]*\),*$/\1/p' | head -n 1)
    [ -n "$raw" ] && [ -n "$iso" ] || fail "no log_loss in eval --json"
    awk -v r="$raw" -v i="$iso" 'BEGIN { exit !(i <= r) }' || fail "calibrated log-loss $iso worse than uncalibrated $raw"
}

"$@"
