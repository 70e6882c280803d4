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

"$@"
