#!/usr/bin/env bash
# test_eval.sh -- `plumb eval` from the command line: a model on labelled data, a predictions file, curves,
# intervals, and the exact error messages.
source "$(dirname "$0")/lib.sh"

CREDIT="$SRC/examples/credit/credit_data.csv"

# json FILE EXPR: evaluates a jq-like Python expression on the JSON in FILE (the variable j), prints the result
json() { /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# A small binary problem: x1 predicts y; the predictions file holds the label, a score and a weight.
make_preds() {
    awk 'BEGIN { srand(3); print "y,prediction,w,label_text";
        for (i = 1; i <= 300; i++) { y = (rand() < 0.4); s = 0.35 * y + 0.65 * rand(); s = int(s * 20) / 20;
            printf "%d,%.2f,%.1f,%s\n", y, s, 0.5 + int(rand() * 4) / 2, (y ? "yes" : "no") } }' >"$1"
}

test_eval_model_credit() {
    run "$PLUMB" train "$CREDIT" --target Status --positive-class bad --num-iterations 20 -o "$TMP/m.plumb" --quiet
    expect_rc 0
    run "$PLUMB" eval "$TMP/m.plumb" "$CREDIT"
    expect_rc 0
    expect_out_has "binary: 4454 rows, positive class 'bad' (weight 1254), threshold 0.5"
    expect_out_line "^roc_auc +0\.[0-9]{6}$"
    for m in pr_auc log_loss brier accuracy precision recall f1 f1_best f1_best_threshold ks gini; do
        expect_out_line "^$m +[0-9.]+$"
    done
    expect_out_line "^good +[0-9]+ +[0-9]+$"
    expect_out_line "^bad +[0-9]+ +[0-9]+$"
    # the model's log-loss on its training data is the training metric it reports
    "$PLUMB" eval "$TMP/m.plumb" "$CREDIT" --json >"$TMP/e.json" || fail "eval --json"
    [ "$(json "$TMP/e.json" 'j["positive_class"], j["rows"], j["confusion"][1][0] + j["confusion"][1][1]')" = \
        "bad 4454 1254.0" ] || fail "json fields"
    # the same numbers from the predictions file and the labels beside it
    "$PLUMB" predict "$TMP/m.plumb" "$CREDIT" -o "$TMP/p.csv" || fail "predict"
    run "$PLUMB" eval --pred "$TMP/p.csv" --data "$CREDIT" --target Status --positive-class bad --json
    expect_rc 0
    [ "$(json "$TMP/e.json" 'j["metrics"]')" = "$(printf '%s' "$out" | json /dev/stdin 'j["metrics"]')" ] ||
        fail "model and predictions file give different metrics"
    # asking for another positive class than the model's is a usage error
    run "$PLUMB" eval "$TMP/m.plumb" "$CREDIT" --positive-class good
    expect_rc 2
    expect_err "$(printf "plumb eval: the model predicts the probability of 'bad', not of 'good'\nsee 'plumb eval --help'")"
}

test_eval_pred_weights_and_text_labels() {
    make_preds "$TMP/p.csv"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target y --json
    expect_rc 0
    printf '%s' "$out" >"$TMP/plain.json"
    # text labels: 'yes' is the last category, so the default positive class: the same metrics
    run "$PLUMB" eval --pred "$TMP/p.csv" --target label_text --json
    expect_rc 0
    [ "$(json "$TMP/plain.json" 'j["metrics"]')" = "$(printf '%s' "$out" | json /dev/stdin 'j["metrics"]')" ] ||
        fail "text labels differ from 0/1 labels"
    # weights change the numbers, and the header says so
    run "$PLUMB" eval --pred "$TMP/p.csv" --target y --weight-col w
    expect_rc 0
    expect_out_line "^binary: 300 rows \(weight [0-9.]+\), positive class 1 \(weight [0-9.]+\), threshold 0\.5$"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target y --weight-col w --json
    [ "$(printf '%s' "$out" | json /dev/stdin 'j["metrics"]["roc_auc"]')" != \
        "$(json "$TMP/plain.json" 'j["metrics"]["roc_auc"]')" ] || fail "weights do not count"
    # the other class as positive
    run "$PLUMB" eval --pred "$TMP/p.csv" --target label_text --positive-class no --threshold 0.3
    expect_rc 0
    expect_out_has "positive class 'no'"
    expect_out_has "threshold 0.3"
}

test_eval_ci_is_deterministic() {
    make_preds "$TMP/p.csv"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target y --ci 0.9 --resamples 200 --seed 7 --threads 1
    expect_rc 0
    expect_out_line "^metric +value +90% interval \(200 bootstrap resamples\)$"
    expect_out_line "^roc_auc +0\.[0-9]{6} +\[0\.[0-9]{6}, 0\.[0-9]{6}\]$"
    local one="$out"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target y --ci 0.9 --resamples 200 --seed 7 --threads 2
    [ "$out" = "$one" ] || fail "the intervals depend on the thread count"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target y --ci 0.9 --resamples 200 --seed 8
    [ "$out" != "$one" ] || fail "the seed does not change the resamples"
}

test_eval_curves_file() {
    make_preds "$TMP/p.csv"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target y --curves "$TMP/c.json" --bins 5 --bin-strategy quantile
    expect_rc 0
    expect_out_has "curves written to '$TMP/c.json'"
    [ "$(json "$TMP/c.json" 'sorted(j), j["roc"]["fpr"][0], j["roc"]["tpr"][-1], j["calibration"]["strategy"]')" = \
        "['calibration', 'gain', 'pr', 'roc'] 0.0 1.0 quantile" ] || fail "curves content"
    [ "$(json "$TMP/c.json" 'len(j["pr"]["precision"]) == len(j["pr"]["thresholds"]) + 1, j["gain"]["gain"][-1]')" = \
        "True 1.0" ] || fail "pr and gain curves"
    # one class: an error, and no curves file
    awk -F, 'NR == 1 || $1 == 0' "$TMP/p.csv" >"$TMP/neg.csv"
    run "$PLUMB" eval --pred "$TMP/neg.csv" --target y --curves "$TMP/c2.json"
    expect_rc 1
    expect_err "$TMP/neg.csv: only one class present in the labels: ROC-AUC is undefined"
    expect_no_file "$TMP/c2.json"
}

test_eval_regression_and_multiclass() {
    printf 'y,prediction\n3,2.5\n-1,0\n4,4\n0,0.5\n' >"$TMP/r.csv"
    run "$PLUMB" eval --pred "$TMP/r.csv" --target y
    expect_rc 0
    expect_out_has "regression: 4 rows"
    expect_out_line "^mae +0\.500000$"
    expect_out_line "^rmse +0\.612372$"
    expect_out_line "^wape +0\.250000$"
    expect_out_line "^r2 +0\.911765$"
    printf 'y,p_a,p_b,p_c\nb,0.2,0.7,0.1\na,0.5,0.3,0.2\nc,0.1,0.1,0.8\nc,0.6,0.2,0.2\n' >"$TMP/m.csv"
    run "$PLUMB" eval --pred "$TMP/m.csv" --target y --score-col p_a,p_b,p_c
    expect_rc 0
    expect_out_has "multiclass: 4 rows"
    expect_out_line "^accuracy +0\.750000$"
    expect_out_line "^micro_f1 +0\.750000$"
    expect_out_line "^c +1 +0 +1$"
    run "$PLUMB" eval --pred "$TMP/m.csv" --target y --score-col p_a,p_b
    expect_rc 1
    expect_err "$TMP/m.csv: target 'y' has 3 classes but there are 2 score columns"
}

test_eval_errors() {
    make_preds "$TMP/p.csv"
    run "$PLUMB" eval --pred "$TMP/p.csv"
    expect_rc 2
    expect_err "$(printf "plumb eval: no labels: name the column of true labels with --target\nsee 'plumb eval --help'")"
    run "$PLUMB" eval "$TMP/p.csv"
    expect_rc 2
    expect_err_has "plumb eval: missing argument: usage: plumb eval"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target y --ci 95
    expect_rc 2
    expect_err_has "plumb eval: option '--ci' expects a level between 0 and 1, such as 0.95; got '95'"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target y --score-col score
    expect_rc 1
    expect_err "$TMP/p.csv: no column 'score' (name the score column with --score-col)"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target nope
    expect_rc 1
    expect_err "$TMP/p.csv:1:1: target column 'nope' not found in header"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target w --task binary
    expect_rc 1
    expect_err "$TMP/p.csv: target 'w' is 0.5 in data row 2: a binary target is 0 or 1"
    head -n 11 "$TMP/p.csv" >"$TMP/short.csv"
    run "$PLUMB" eval --pred "$TMP/short.csv" --data "$TMP/p.csv" --target y
    expect_rc 1
    expect_err "plumb: '$TMP/short.csv' has 10 rows but '$TMP/p.csv' has 300: they must match row by row"
    printf 'y,prediction\n1,0.5\n0,abc\n' >"$TMP/bad.csv"
    run "$PLUMB" eval --pred "$TMP/bad.csv" --target y
    expect_rc 1
    expect_err "$TMP/bad.csv:3:3: bad number 'abc' in column 'prediction'"
    printf 'y,prediction\n1,0.5\n0,\n' >"$TMP/miss.csv"
    run "$PLUMB" eval --pred "$TMP/miss.csv" --target y
    expect_rc 1
    expect_err "$TMP/miss.csv: score column 'prediction' is missing in data row 2"
    printf 'y,prediction\n1,0.5\n2,0.1\n' >"$TMP/two.csv"
    run "$PLUMB" eval --pred "$TMP/two.csv" --target y --task binary
    expect_rc 1
    expect_err "$TMP/two.csv: target 'y' is 2 in data row 2: a binary target is 0 or 1"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target label_text --positive-class maybe
    expect_rc 1
    expect_err "$TMP/p.csv: positive class 'maybe' is not a category of 'label_text' ('no', 'yes')"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target y --curves "$TMP/c.json" --task regression
    expect_rc 2
    expect_err_has "plumb eval: --curves needs a binary task, not regression"
    expect_no_file "$TMP/c.json"
}

# A three-class text target: x picks the class, with noise.
make_three() {
    awk 'BEGIN { srand(5); print "x,z,y";
        for (i = 1; i <= 150; i++) { x = rand(); c = (x < 0.33 ? "a" : x < 0.66 ? "b" : "c");
            if (rand() < 0.3) c = (rand() < 0.5 ? "a" : "c");
            printf "%.3f,%.3f,%s\n", x, rand(), c } }' >"$1"
}

# issue 12: a multiclass model wrote one score per class into a buffer of one per row (heap overflow), and was
# evaluated as a regression model
test_eval_multiclass_model() {
    make_three "$TMP/t.csv"
    "$PLUMB" train "$TMP/t.csv" --target y -q --num-iterations 5 -o "$TMP/mc.plumb" >"$TMP/train.txt" ||
        fail "train"
    run "$PLUMB" eval "$TMP/mc.plumb" "$TMP/t.csv"
    expect_rc 0
    expect_out_has "multiclass: 150 rows"
    # the log-loss on the training rows is the training metric train printed
    local ll
    ll=$(grep -oE "multi_logloss train [0-9.]+" "$TMP/train.txt" | awk '{print $3}')
    expect_out_line "^log_loss +$ll$"
    expect_out_line "^a +[0-9]+ +[0-9]+ +[0-9]+$"
    # the predictions file of the same model gives the same metrics
    "$PLUMB" predict "$TMP/mc.plumb" "$TMP/t.csv" -o "$TMP/p.csv" || fail "predict"
    paste -d, "$TMP/p.csv" <(cut -d, -f3 "$TMP/t.csv") >"$TMP/py.csv"
    "$PLUMB" eval "$TMP/mc.plumb" "$TMP/t.csv" --json >"$TMP/a.json" || fail "eval --json"
    "$PLUMB" eval --pred "$TMP/py.csv" --target y --score-col p_a,p_b,p_c --json >"$TMP/b.json" || fail "eval --pred"
    [ "$(json "$TMP/a.json" 'j["metrics"]')" = "$(json "$TMP/b.json" 'j["metrics"]')" ] ||
        fail "model and predictions file give different metrics"
}

# issue 12: cv trained a multiclass objective and pooled one score per row of its class probabilities
test_eval_cv_refuses_multiclass_objective() {
    run "$PLUMB" cv "$SRC/examples/credit/credit_data.csv" --target Status --objective multiclass -k 2 \
        --num-iterations 2 -q
    expect_rc 2
    expect_err_has "plumb cv: cross-validation covers binary and regression models, not a model with 2 outputs per row"
}

# issue 12: --bins and --resamples were unbounded (3 GB for --bins 100000000)
test_eval_bounds() {
    make_preds "$TMP/p.csv"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target y --curves "$TMP/c.json" --bins 100000000
    expect_rc 2
    expect_err "$(printf "plumb eval: option '--bins' expects at most 10000 bins, got '100000000'\nsee 'plumb eval --help'")"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target y --ci 0.9 --resamples 100000000
    expect_rc 2
    expect_err_has "plumb eval: option '--resamples' expects at most 100000 resamples, got '100000000'"
    expect_no_file "$TMP/c.json"
}

# issue 12: a model feature named by --weight-col was read as a float64 weight column, and the model refused it:
# "column 'Amount' is numeric here but numeric in the training data"
test_eval_weight_col_is_a_feature() {
    head -400 "$CREDIT" >"$TMP/c.csv"
    "$PLUMB" train "$TMP/c.csv" --target Status -q --num-iterations 3 -o "$TMP/m.plumb" >/dev/null || fail "train"
    run "$PLUMB" eval "$TMP/m.plumb" "$TMP/c.csv" --weight-col Amount
    expect_rc 0
    local total
    total=$(awk -F, 'NR > 1 { s += $13 } END { printf "%g", s }' "$TMP/c.csv")
    expect_out_has "binary: 399 rows (weight $total)"
}

# issue 23: the out-of-fold file of `cv --positive-class bad` was scored against the default class 'good' (AUC
# 0.17, no warning): the score column names its class and eval reads it back
test_eval_oof_knows_its_positive_class() {
    "$PLUMB" cv "$CREDIT" --target Status --positive-class bad -k 3 --num-iterations 10 --oof "$TMP/oof.csv" -q \
        --json >"$TMP/cv.json" || fail "cv"
    [ "$(head -n 1 "$TMP/oof.csv")" = "row,fold,Status,p_bad" ] || fail "oof header"
    run "$PLUMB" eval --pred "$TMP/oof.csv" --target Status --json
    expect_rc 0
    printf '%s' "$out" >"$TMP/e.json"
    [ "$(json "$TMP/e.json" 'j["positive_class"], j["metrics"]["roc_auc"] == json.load(open(sys.argv[1].replace("e.json", "cv.json")))["oof"]["metrics"]["roc_auc"]')" = "bad True" ] ||
        fail "eval of the oof file is not cv's out-of-fold AUC"
    # another positive class than the file's is a usage error
    run "$PLUMB" eval --pred "$TMP/oof.csv" --target Status --positive-class good
    expect_rc 2
    expect_err "$(printf "plumb eval: the scores in 'p_bad' are probabilities of 'bad', not of 'good'\nsee 'plumb eval --help'")"
    # scores taken as another class's than they are about: a loud warning
    run "$PLUMB" eval --pred "$TMP/oof.csv" --target Status --score-col p_bad
    expect_rc 0
    expect_err_has "plumb: warning: roc_auc 0.1"
    expect_err_has "is below 0.5: the scores rank the classes backwards -- are they probabilities of 'good'? (--positive-class)"
    # predict names the column too, and eval --pred --data reads it back
    "$PLUMB" train "$CREDIT" --target Status --positive-class bad --num-iterations 5 -q -o "$TMP/m.plumb" >/dev/null ||
        fail "train"
    "$PLUMB" predict "$TMP/m.plumb" "$CREDIT" -o "$TMP/p.csv" || fail "predict"
    [ "$(head -n 1 "$TMP/p.csv")" = "p_bad" ] || fail "predict header"
    run "$PLUMB" eval --pred "$TMP/p.csv" --data "$CREDIT" --target Status
    expect_rc 0
    expect_out_has "positive class 'bad'"
}

# issue 23: regression had no deviance or pinball loss; the pinball loss of a quantile model at its alpha is its
# training loss, the Poisson deviance is reported for counts
test_eval_regression_deviance_and_pinball() {
    awk 'BEGIN { srand(9); print "x,z,y"; for (i = 1; i <= 300; i++) { x = rand(); z = rand();
        printf "%.4f,%.4f,%d\n", x, z, int(4 * x + 3 * rand()) } }' >"$TMP/r.csv"
    "$PLUMB" train "$TMP/r.csv" --target y --objective quantile --alpha 0.8 --num-iterations 10 -o "$TMP/q.plumb" \
        >"$TMP/t.txt" || fail "train"
    local loss
    loss=$(grep -oE "quantile train [0-9.]+" "$TMP/t.txt" | awk '{print $3}')
    run "$PLUMB" eval "$TMP/q.plumb" "$TMP/r.csv" --alpha 0.8
    expect_rc 0
    expect_out_line "^pinball_loss +$loss$"
    expect_out_line "^poisson_deviance +[0-9.]+$"
    for m in mae rmse mape wape r2; do
        expect_out_line "^$m +-?[0-9.]+$"
    done
    run "$PLUMB" eval "$TMP/q.plumb" "$TMP/r.csv" --alpha 1.5
    expect_rc 2
    expect_err_has "plumb eval: option '--alpha' expects a quantile level between 0 and 1, such as 0.9; got '1.5'"
    # labels of 0 leave out the Gamma deviance; negative labels the Poisson deviance too
    printf 'y,prediction\n0,0.5\n2,1.5\n3,3.5\n' >"$TMP/p.csv"
    run "$PLUMB" eval --pred "$TMP/p.csv" --target y --task regression --json
    expect_rc 0
    printf '%s' "$out" >"$TMP/e.json"
    [ "$(json "$TMP/e.json" '"gamma_deviance" in j["metrics"], round(j["metrics"]["poisson_deviance"], 9)')" = \
        "False $(/usr/bin/python3 -c 'import math; print(round((2 * (0.5) + 2 * (2 * math.log(2 / 1.5) - 0.5) + 2 * (3 * math.log(3 / 3.5) + 0.5)) / 3, 9))')" ] ||
        fail "poisson deviance by hand"
}

# issue 23: the coverage and width of an interval from two quantile models
test_eval_interval_coverage() {
    printf 'y,prediction,lo,hi,w\n1,1.2,0,2,1\n3,2.5,2,2.8,3\n5,4,3,6,1\n' >"$TMP/iv.csv"
    run "$PLUMB" eval --pred "$TMP/iv.csv" --target y --task regression --interval lo,hi --weight-col w --json
    expect_rc 0
    printf '%s' "$out" >"$TMP/e.json"
    [ "$(json "$TMP/e.json" 'round(j["interval"]["coverage"], 12), round(j["interval"]["width"], 12)')" = "0.4 1.48" ] ||
        fail "coverage 2/5, width (2 + 3 * 0.8 + 3) / 5"
    printf 'y,prediction,lo,hi\n1,1.2,0,2\n3,2.5,2.9,2.8\n' >"$TMP/bad.csv"
    run "$PLUMB" eval --pred "$TMP/bad.csv" --target y --task regression --interval lo,hi
    expect_rc 1
    expect_err "$TMP/bad.csv: interval [lo, hi] is empty (lower above upper) in data row 2"
    run "$PLUMB" eval --pred "$TMP/iv.csv" --target y --interval lo
    expect_rc 2
    expect_err_has "plumb eval: option '--interval' expects two columns LO,HI, got 'lo'"
}

"$@"
