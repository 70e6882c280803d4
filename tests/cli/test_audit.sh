#!/bin/bash
# plumb audit from the command line: findings, exit status 3 on critical ones, the JSON file, errors.
. "$(dirname "$0")/lib.sh"

CREDIT="$SRC/examples/credit/credit_data.csv"

test_audit_finds_planted_leaks() {
    "$PLUMB" synth credit --rows 6000 --seed 4 -o "$TMP/t.csv" --schema-out "$TMP/s.json" || fail "synth"
    run "$PLUMB" audit "$TMP/t.csv" --schema "$TMP/s.json" --target status --positive-class bad --outcome-window 365 \
        --json "$TMP/f.json"
    expect_rc 3
    expect_out_line "^audit of '.*t.csv': 6000 rows, [0-9]+ findings \([0-9]+ critical"
    expect_out_line "^critical +'verification_flag' looks filled in after the fact"
    expect_out_line "^critical +[0-9]+ rows \([0-9.]+%\) are too recent for their label to be final"
    expect_out_has "'collections_amount'"
    expect_out_has "          action:   "
    grep -q '"check": "label_noise"' "$TMP/f.json" || fail "no label audit in the JSON file"
    grep -q '"suspect_rows": \[' "$TMP/f.json" || fail "no suspect rows in the JSON file"
}

test_audit_clean_data_exits_zero() {
    run "$PLUMB" audit "$CREDIT" --target Status --positive-class bad --quiet
    expect_rc 0
    expect_out_line "^audit of '.*credit_data.csv': 4454 rows, [0-9]+ findings? \(0 critical"
}

test_audit_errors() {
    run "$PLUMB" audit "$CREDIT"
    expect_rc 2
    expect_err "$(printf "plumb audit: no target: name the column to audit with --target\nsee 'plumb audit --help'")"
    run "$PLUMB" audit "$CREDIT" --target Status --outcome-window 0
    expect_rc 2
    expect_err_has "option '--outcome-window' expects a number of days > 0"
    run "$PLUMB" audit "$CREDIT" --target Home --json "$TMP/f.json"
    expect_rc 1
    expect_err "plumb: target 'Home' is missing in data row 30"
    expect_no_file "$TMP/f.json"
    grep -v ',,' "$CREDIT" | grep -vE '^([^,]*,){5},' >"$TMP/c.csv"
    run "$PLUMB" audit "$TMP/c.csv" --target Marital
    expect_rc 1
    expect_err "plumb: target 'Marital' has 5 categories: a binary model needs exactly 2 (regression needs numbers)"
    run "$PLUMB" audit "$CREDIT" --target Status --positive-class maybe
    expect_rc 1
    expect_err "plumb: positive class 'maybe' is not a category of 'Status' ('bad', 'good')"
}

test_train_refuses_late_features() {
    printf 'day,flag,flag_at,x,y\n' >"$TMP/d.csv"
    for i in $(seq 10 39); do
        printf '2024-01-%02d,%d,2024-02-%02d,%d,%d\n' $((i % 28 + 1)) $((i % 2)) $((i % 28 + 1)) "$i" $((i % 2)) >>"$TMP/d.csv"
    done
    printf '{"plumb_schema": 1, "columns": [{"name": "flag", "available_at": "flag_at"}, {"name": "flag_at", "type": "datetime", "role": "ignore"}]}\n' >"$TMP/s.json"
    run "$PLUMB" train "$TMP/d.csv" --target y --time-col day --schema "$TMP/s.json" -o "$TMP/m.plumb"
    expect_rc 1
    expect_err_has "plumb: feature 'flag' becomes known after the moment of prediction in 30 of 30 rows (first: data row 1"
    expect_no_file "$TMP/m.plumb"
    run "$PLUMB" train "$TMP/d.csv" --target y --time-col day --schema "$TMP/s.json" --allow-feature flag \
        -o "$TMP/m.plumb" --min-data-in-leaf 2 --quiet
    expect_rc 0
}

"$@"
