#!/usr/bin/env bash
# test_inspect.sh -- `plumb inspect` and the command's general behaviour: exit codes, help, messages.
source "$(dirname "$0")/lib.sh"

test_version() {
    run "$PLUMB" --version
    expect_rc 0
    [ "$out" = "plumb 0.1.0" ] || fail "version line"
}

test_unknown_option_is_usage_error() {
    run "$PLUMB" inspect --frobnicate x.csv
    expect_rc 2
    expect_err "$(printf "plumb inspect: unknown option '--frobnicate'\nsee 'plumb inspect --help'")"
}

test_credit_data() {
    run "$PLUMB" inspect "$SRC/examples/credit/credit_data.csv"
    expect_rc 0
    expect_out_has "4454 rows, 14 columns"
    expect_out_line "^ +1  Status +categorical  feature +0 \(0.0%\) +2  good 3200 \(71.8%\), bad 1254 \(28.2%\)$"
    expect_out_line "^ +10  Income +numeric +feature +381 \(8.6%\) +351  min 6  mean 141.688  max 959$"
}

test_table_shows_control_characters_as_question_marks() {
    run "$PLUMB" inspect "$DATA/good.csv"
    expect_rc 0
    expect_out_line "^ +7  note +categorical .* multi\?line 1 \(33.3%\)"
    [ "$(echo "$out" | wc -l)" -eq 10 ] || fail "a line break in a category broke the table"
}

"$@"
