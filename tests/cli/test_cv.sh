#!/usr/bin/env bash
# test_cv.sh -- `plumb cv`: every strategy on the credit data and on generated data, the out-of-fold file, and
# failures that leave no file behind.
source "$(dirname "$0")/lib.sh"

CREDIT="$SRC/examples/credit/credit_data.csv"
FAST="--num-iterations 15 --num-leaves 7"

json() { /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# rows with an id, a group (customer), a time (day) and a binary target that x predicts
make_data() {
    awk 'BEGIN { srand(5); print "id,customer,day,x,y";
        for (i = 1; i <= 240; i++) { x = rand(); printf "r%03d,c%02d,%d,%.4f,%d\n", i, int(rand() * 30), int((i - 1) / 3),
            x, (x + 0.4 * rand() > 0.7) } }' >"$1"
}

test_cv_help_has_model_options() {
    run "$PLUMB" cv --help
    expect_rc 0
    for opt in folds strategy gap no-shuffle oof ci threshold json model num-iterations learning-rate seed \
        target time-col group-col weight-col; do
        expect_out_has "--$opt"
    done
}

test_cv_credit_stratified_oof() {
    run "$PLUMB" cv "$CREDIT" --target Status --positive-class bad --folds 3 $FAST --oof "$TMP/oof.csv" --ci 0.9 \
        --resamples 100
    expect_rc 0
    expect_out_has "cv: gbdt, 3 folds (stratified), binary target 'Status', positive class 'bad', 4454 rows"
    expect_out_line "^metric +fold 1 +fold 2 +fold 3 +mean +std +out-of-fold +90% interval$"
    expect_out_line "^roc_auc( +0\.[0-9]{4}){5} +0\.[0-9]{6} +\[0\.[0-9]{6}, 0\.[0-9]{6}\]$"
    expect_out_has "out-of-fold predictions written to '$TMP/oof.csv'"
    [ "$(head -n 1 "$TMP/oof.csv")" = "row,fold,Status,p_bad" ] || fail "oof header"
    [ "$(wc -l <"$TMP/oof.csv")" -eq 4455 ] || fail "one out-of-fold prediction per row"
    # stratified: each fold holds a third of the 1254 bad rows, to one row
    awk -F, 'NR > 1 && $3 == "bad" { n[$2]++ } END { for (f = 1; f <= 3; f++) if (n[f] < 417 || n[f] > 419) exit 1 }' \
        "$TMP/oof.csv" || fail "folds are not stratified"
    # the pooled out-of-fold metric is eval's on the out-of-fold file
    oof_auc=$(echo "$out" | awk '$1 == "roc_auc" { print $(NF - 2) }')
    run "$PLUMB" eval --pred "$TMP/oof.csv" --target Status --positive-class bad
    expect_out_line "^roc_auc +$oof_auc$"
}

test_cv_regression_kfold_json() {
    run "$PLUMB" cv "$CREDIT" --target Amount --folds 4 $FAST --json --no-shuffle
    expect_rc 0
    printf '%s' "$out" >"$TMP/cv.json"
    [ "$(json "$TMP/cv.json" 'j["strategy"], j["task"], j["folds"], len(j["per_fold"]), sorted(j["mean"])')" = \
        "kfold regression 4 4 ['mae', 'mape', 'r2', 'rmse', 'wape']" ] || fail "json layout"
    # unshuffled k-fold: consecutive blocks of 1114, 1114, 1113, 1113 rows
    [ "$(json "$TMP/cv.json" '[f["test_rows"] for f in j["per_fold"]]')" = "[1114, 1114, 1113, 1113]" ] ||
        fail "fold sizes"
}

test_cv_group_and_time() {
    make_data "$TMP/d.csv"
    run "$PLUMB" cv "$TMP/d.csv" --target y --id-col id --strategy group --group-col customer --folds 4 \
        --min-data-in-leaf 5 $FAST --oof "$TMP/g.csv"
    expect_rc 0
    [ "$(head -n 1 "$TMP/g.csv")" = "id,fold,y,p_1" ] || fail "id column in the oof file"
    # a customer's rows are all in one fold
    join -t, <(tail -n +2 "$TMP/g.csv" | sort) <(tail -n +2 "$TMP/d.csv" | sort) |
        awk -F, '{ if (($5 in f) && f[$5] != $2) bad = 1; f[$5] = $2 } END { exit bad }' ||
        fail "a group straddles folds"
    run "$PLUMB" cv "$TMP/d.csv" --target y --strategy time --time-col day --gap 10 --folds 3 --min-data-in-leaf 5 \
        $FAST --oof "$TMP/t.csv" --json
    expect_rc 0
    printf '%s' "$out" >"$TMP/t.json"
    # test blocks of 60 rows (240 / 4) follow in time; the first 60 rows are never tested
    [ "$(json "$TMP/t.json" 'j["tested_rows"], j["gap"], [f["test_rows"] for f in j["per_fold"]]')" = \
        "180 10 [60, 60, 60]" ] || fail "time folds"
    [ "$(json "$TMP/t.json" '[f["train_rows"] for f in j["per_fold"]]')" = "[48, 108, 168]" ] ||
        fail "training windows end a gap (moved to a change of day) before their test block"
    [ "$(wc -l <"$TMP/t.csv")" -eq 181 ] || fail "only tested rows in the oof file"
    awk -F, 'NR > 1 { if ($1 + 0 <= 60 || $2 != int(($1 - 61) / 60) + 1) exit 1 }' "$TMP/t.csv" ||
        fail "rows in time order get folds 1, 2, 3"
}

test_cv_errors_leave_no_file() {
    make_data "$TMP/d.csv"
    run "$PLUMB" cv "$TMP/d.csv" --target y --strategy group
    expect_rc 2
    expect_err "$(printf "plumb cv: --strategy group needs --group-col\nsee 'plumb cv --help'")"
    run "$PLUMB" cv "$TMP/d.csv" --target y --strategy random
    expect_rc 2
    expect_err_has "plumb cv: unknown strategy 'random' (expected kfold, stratified, group or time)"
    run "$PLUMB" cv "$TMP/d.csv" --target x --strategy stratified
    expect_rc 2
    expect_err_has "plumb cv: stratified folds need a binary target: use --strategy kfold for regression"
    run "$PLUMB" cv "$TMP/d.csv" --target y --gap 3
    expect_rc 2
    expect_err_has "plumb cv: --gap goes with --strategy time"
    run "$PLUMB" cv "$TMP/d.csv" --target y --strategy group --group-col customer --folds 31 --oof "$TMP/o.csv"
    expect_rc 1
    expect_err "plumb: cannot have more folds (31) than groups (30)"
    expect_no_file "$TMP/o.csv"
    # training fails in the first fold: no out-of-fold file
    run "$PLUMB" cv "$TMP/d.csv" --target x --metric auc --oof "$TMP/o.csv"
    expect_rc 1
    expect_err "plumb: metric 'auc' does not apply to a regression model"
    expect_no_file "$TMP/o.csv"
    awk -F, 'NR == 50 { $3 = "" } { print }' OFS=, "$TMP/d.csv" >"$TMP/gap.csv"
    run "$PLUMB" cv "$TMP/gap.csv" --target y --strategy time --time-col day --oof "$TMP/o.csv"
    expect_rc 1
    expect_err "$TMP/gap.csv: time column 'day' is missing in data row 49"
    expect_no_file "$TMP/o.csv"
}

"$@"
