#!/bin/bash
# plumb audit from the command line: findings, exit status 3 on critical ones, the JSON file, errors.
. "$(dirname "$0")/lib.sh"

CREDIT="$SRC/examples/credit/credit_data.csv"

test_audit_finds_planted_leaks() {
    "$PLUMB" synth credit --rows 6000 --seed 4 -o "$TMP/t.csv" --schema-out "$TMP/s.json" || fail "synth"
    local opts=(--schema "$TMP/s.json" --target status --positive-class bad --outcome-window 365)
    "$PLUMB" audit "$TMP/t.csv" "${opts[@]}" --json >"$TMP/f.json"
    [ $? -eq 3 ] || fail "audit --json"
    run "$PLUMB" audit "$TMP/t.csv" "${opts[@]}"
    expect_rc 3
    expect_out_line "^audit of '.*t.csv': 6000 rows, [0-9]+ findings \([0-9]+ critical"
    expect_out_line "^critical +'verification_flag' looks filled in after the fact"
    expect_out_line "^critical +[0-9]+ rows \([0-9.]+%\) are too recent for their label to be final"
    expect_out_has "'collections_amount'"
    expect_out_has "          action:   "
    grep -q '"check": "label_noise"' "$TMP/f.json" || fail "no label audit in the JSON file"
    grep -q '"suspect_rows": \[' "$TMP/f.json" || fail "no suspect rows in the JSON file"
}

test_audit_text_time_column_is_a_usage_error() {
    run "$PLUMB" audit "$CREDIT" --target Status --time-col Home -q
    expect_rc 2
    expect_err_has "plumb audit: --time-col 'Home' is read as text, not as dates or numbers"
}

test_audit_clean_data_exits_zero() {
    run "$PLUMB" audit "$CREDIT" --target Status --positive-class bad --quiet
    expect_rc 0
    expect_out_line "^audit of '.*credit_data.csv': 4454 rows, [0-9]+ findings? \(0 critical"
}

test_audit_errors() {
    run "$PLUMB" audit "$CREDIT"
    expect_rc 2
    expect_err "$(printf "plumb audit: no target: name the column to audit with --target (or give it the role target in --schema)\nsee 'plumb audit --help'")"
    run "$PLUMB" audit "$CREDIT" --target Status --outcome-window 0
    expect_rc 2
    expect_err_has "option '--outcome-window' expects a number of days > 0"
    run "$PLUMB" audit "$CREDIT" --target Home --json
    expect_rc 1
    expect_err "plumb: target 'Home' is missing in data row 30"
    [ -s "$TMP/out" ] && fail "partial JSON on standard output"
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

# issue 12 items 1 and 14: a model of another task (multiclass: one score per class, which overflowed the score
# buffer), of another target, or of the other class is refused with a clear error instead of being scored
test_audit_model_must_fit_the_data() {
    head -n 1200 "$CREDIT" >"$TMP/train.csv"
    "$PLUMB" train "$TMP/train.csv" --target Status --objective multiclass -q --num-iterations 3 -o "$TMP/mc.plumb" \
        >/dev/null || fail "train multiclass"
    run "$PLUMB" audit "$CREDIT" --target Status --model "$TMP/mc.plumb" --test "$TMP/train.csv" -q
    expect_rc 1
    expect_err "plumb: the model is a multiclass model of 'Status', the audit's target is binary: give a binary model of 'Status'"
    "$PLUMB" train "$TMP/train.csv" --target Amount --model linear -q -o "$TMP/lin.plumb" >/dev/null || fail "train linear"
    run "$PLUMB" audit "$CREDIT" --target Status --model "$TMP/lin.plumb" --test "$TMP/train.csv" -q
    expect_rc 1
    expect_err "plumb: the model predicts 'Amount', not the audited target 'Status': give a model trained on 'Status'"
    "$PLUMB" train "$TMP/train.csv" --target Status -q --num-iterations 5 -o "$TMP/b.plumb" >/dev/null || fail "train"
    run "$PLUMB" audit "$CREDIT" --target Status --positive-class bad --model "$TMP/b.plumb" -q
    expect_rc 1
    expect_err "plumb: the model predicts the probability of 'good', the audit's positive class is 'bad': give --positive-class good, or a model trained with --positive-class bad"
    run "$PLUMB" audit "$CREDIT" --target Status --model "$TMP/b.plumb" -q
    expect_rc 0
}

# a test set without a time column is not "out-of-time": the gap is titled by what was measured
test_audit_test_gap_without_time_is_not_out_of_time() {
    head -n 3001 "$CREDIT" >"$TMP/train.csv"
    { head -n 1 "$CREDIT"; tail -n +3002 "$CREDIT" | awk -F, 'BEGIN { OFS = "," } NR % 3 == 0 { $1 = ($1 == "good" ? "bad" : "good") } { print }'; } >"$TMP/test.csv"
    run "$PLUMB" audit "$TMP/train.csv" --target Status --positive-class bad --test "$TMP/test.csv" -q
    expect_out_line "^(warning|critical) +test AUC [0-9.]+ against [0-9.]+ in validation"
    grep -q "out-of-time" "$TMP/out" && fail "a finding is titled out-of-time without a time column"
    true
}

# issue 22: a daily series with lagged columns gets few, actionable findings: the random-vs-time gap first, the
# identical columns, the lag structure once as info; no per-column "alone predicts", no raw row-order figure
test_audit_time_series_findings() {
    "$PLUMB" audit "$SRC/examples/chicago/chicago_ridership.csv" --target ridership --time-col date --json \
        >"$TMP/c.json" || fail "audit --json"
    run "$PLUMB" audit "$SRC/examples/chicago/chicago_ridership.csv" --target ridership --time-col date -q
    expect_rc 0
    expect_out_line "^audit of '.*chicago_ridership.csv': 5698 rows, 3 findings \(0 critical, 2 warnings, 1 info\)"
    [ "$(sed -n 3p "$TMP/out")" = "warning   random-split validation overstates the model: R^2 0.830 against 0.759 on time splits" ] ||
        fail "the random-vs-time gap is not the first finding"
    expect_out_line "^warning +1 group of identical columns"
    expect_out_line "^info +20 features predict the target about as well as its own past \(lag structure\)"
    grep -q "alone predicts" "$TMP/out" && fail "lagged columns reported one by one"
    grep -q "'WhiteSox_Away' = 'WhiteSox_Home' = 'Cubs_Away' = 'Cubs_Home'" "$TMP/c.json" || fail "identical columns not named"
    grep -qE '"row_order": (-[0-9]{3,}|[0-9]{3,})' "$TMP/c.json" && fail "raw row-order figure"
    true
}

# --threshold CHECK=X changes what fires and is recorded in the JSON; unknown checks and bad numbers are usage errors
test_audit_thresholds() {
    "$PLUMB" audit "$CREDIT" --target Status --positive-class bad --threshold too_good=0.7,label_noise=0.5 --json \
        >"$TMP/t.json"
    [ $? -eq 3 ] || fail "audit --json"
    run "$PLUMB" audit "$CREDIT" --target Status --positive-class bad -q --threshold too_good=0.7,label_noise=0.5
    expect_rc 3
    expect_out_line "^critical +the cross-validated AUC of [0-9.]+ is too good to be true"
    grep -q '"too_good": 0.7,' "$TMP/t.json" || fail "threshold not recorded"
    grep -q '"label_noise": 0.5' "$TMP/t.json" || fail "threshold not recorded"
    run "$PLUMB" audit "$CREDIT" --target Status --threshold bogus=1
    expect_rc 2
    expect_err "$(printf "plumb audit: option '--threshold' expects CHECK=X with a known check and a number >= 0, not 'bogus=1'\nsee 'plumb audit --help'")"
    run "$PLUMB" audit "$CREDIT" --target Status --threshold too_good=0.7,id_leak=
    expect_rc 2
    expect_err_has "not 'id_leak='"
}

"$@"
