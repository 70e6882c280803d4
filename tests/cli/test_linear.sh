#!/usr/bin/env bash
# test_linear.sh -- `plumb train --model linear|logistic` and `plumb predict` on its models; the live parity run
# against scikit-learn.
source "$(dirname "$0")/lib.sh"

CREDIT="$SRC/examples/credit/credit_data.csv"
PYTHON=/usr/bin/python3 # Debian's, with python3-sklearn; the python3 on PATH may lack it

test_linear_help_lists_options() {
    run "$PLUMB" train --help
    expect_rc 0
    for opt in alpha l1-ratio class-weight clip-quantile min-category-weight no-standardize max-iter tol; do
        expect_out_has "--$opt"
    done
    expect_out_line "--alpha X +gbdt \(0.9\): huber's threshold, quantile's level; linear, logistic \(0.0001\): penalty strength"
    expect_out_has "logistic or linear (regression)"
}

test_logistic_train_predict_credit() {
    run "$PLUMB" train "$CREDIT" --target Status --positive-class bad --model logistic --alpha 0.001 \
        --clip-quantile 0.01 -o "$TMP/m.plumb"
    expect_rc 0
    expect_out_line "^trained logistic regression \(binary, 13 features, [0-9]+ coefficients, L2 alpha 0.001\) on 4454 rows: binary_logloss train 0\.[0-9]+, converged in [0-9]+ iterations$"
    expect_out_has "positive class: 'bad'"
    expect_out_line "^Income:missing +[-0-9.e]+ +[-0-9.e]+ +[0-9.e]+$"
    expect_out_line "^Home=owner +-"
    expect_out_has "model written to '$TMP/m.plumb'"
    run "$PLUMB" predict "$TMP/m.plumb" "$CREDIT" -o "$TMP/p.csv"
    expect_rc 0
    [ "$(head -n 1 "$TMP/p.csv")" = "p_bad" ] || fail "header"
    [ "$(wc -l <"$TMP/p.csv")" -eq 4455 ] || fail "one prediction per row"
    paste -d, <(tail -n +2 "$CREDIT" | cut -d, -f1) <(tail -n +2 "$TMP/p.csv") |
        awk -F, '{ s[$1] += $2; n[$1]++ } END { exit !(s["bad"] / n["bad"] > s["good"] / n["good"] + 0.2) }' ||
        fail "predictions do not separate bad from good"
    # standard input without the target, one thread: the same predictions
    cut -d, -f2- "$CREDIT" | "$PLUMB" predict --threads 1 "$TMP/m.plumb" >"$TMP/p2.csv" 2>"$TMP/err" ||
        fail "predict from stdin"
    cmp -s "$TMP/p.csv" "$TMP/p2.csv" || fail "stdin predictions differ"
}

test_linear_regression_credit_json() {
    run "$PLUMB" train "$CREDIT" --target Amount --model linear --alpha 0.01 --l1-ratio 0.5 --json -o "$TMP/r.plumb"
    expect_rc 0
    expect_out_has '"model": "linear"'
    expect_out_has '"task": "regression"'
    expect_out_has '"converged": true'
    expect_out_has '"name": "Price"'
    expect_out_has '"odds_ratio": null'
    run "$PLUMB" predict "$TMP/r.plumb" "$CREDIT"
    expect_rc 0
    # a credit's amount grows with the price of what it buys: the predictions correlate with the amounts
    paste -d, <(tail -n +2 "$CREDIT" | cut -d, -f13) <(echo "$out" | tail -n +2) |
        awk -F, '{ n++; sx += $1; sy += $2; sxx += $1 * $1; syy += $2 * $2; sxy += $1 * $2 }
            END { r = (n * sxy - sx * sy) / sqrt((n * sxx - sx * sx) * (n * syy - sy * sy)); exit !(r > 0.7) }' ||
        fail "predictions do not follow the amounts"
}

test_linear_class_weight_and_unseen_category() {
    run "$PLUMB" train "$CREDIT" --target Status --positive-class bad --model logistic --class-weight balanced \
        -o "$TMP/m.plumb" --quiet
    expect_rc 0
    # a home type and a job never seen in training, and a missing income: scored, not refused
    printf 'Seniority,Home,Time,Age,Marital,Records,Job,Expenses,Income,Assets,Debt,Amount,Price\n9,castle,60,30,married,no,astronaut,73,,0,0,800,846\n' >"$TMP/new.csv"
    run "$PLUMB" predict "$TMP/m.plumb" "$TMP/new.csv"
    expect_rc 0
    echo "$out" | tail -n 1 | grep -qE '^0\.[0-9]+' || fail "no probability for the unseen categories"
}

test_linear_usage_errors() {
    run "$PLUMB" train "$CREDIT" --target Status --model logistic --num-leaves 8
    expect_rc 2
    expect_err_has "plumb train: option '--num-leaves' does not apply to --model logistic"
    run "$PLUMB" train "$CREDIT" --target Status --l1-ratio 0.5
    expect_rc 2
    expect_err_has "plumb train: option '--l1-ratio' does not apply to --model gbdt"
    run "$PLUMB" train "$CREDIT" --target Status --model logistic --valid-fraction 0.2
    expect_rc 2
    expect_err_has "--valid and --valid-fraction are for early stopping of gradient boosting: --model logistic does not use validation data"
    run "$PLUMB" train "$CREDIT" --target Amount --model linear --class-weight balanced
    expect_rc 2
    expect_err_has "option '--class-weight' is for a binary target: use --model logistic"
    run "$PLUMB" train "$CREDIT" --target Status --model linear --task binary
    expect_rc 2
    expect_err_has "plumb train: --model linear is regression: use --model logistic for a binary target"
    run "$PLUMB" train "$CREDIT" --target Status --model logistic --l1-ratio 2
    expect_rc 2
    expect_err_has "option '--l1-ratio' expects a share in [0, 1], got 2"
    run "$PLUMB" train "$CREDIT" --target Status --model forest
    expect_rc 2
    expect_err_has "unknown model 'forest' (this plumb trains: gbdt, linear, logistic, tree)"
}

test_linear_data_errors() {
    run "$PLUMB" train "$CREDIT" --target Status --model linear -o "$TMP/m.plumb"
    expect_rc 1
    expect_err "plumb: target 'Status' is categorical: regression needs numbers"
    expect_no_file "$TMP/m.plumb"
    run "$PLUMB" train "$CREDIT" --target Status --model logistic --class-weight ugly=2 -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "plumb train: option '--class-weight': 'ugly=2' is not CLASS=WEIGHT with a positive weight for one of the classes of 'Status' ('bad', 'good'), each once"
    run "$PLUMB" train "$CREDIT" --target Status --model logistic -o "$TMP/m.plumb" --quiet
    expect_rc 0
    cut -d, -f1-3 "$CREDIT" >"$TMP/few.csv"
    run "$PLUMB" predict "$TMP/m.plumb" "$TMP/few.csv"
    expect_rc 1
    expect_err "plumb: column 'Time' needed by the model is missing"
}

# The parity script run now, against the scikit-learn installed here, and the parity test on its fresh output.
test_linear_parity_live() {
    if ! "$PYTHON" -c 'import sklearn, numpy, pandas' 2>/dev/null; then
        echo "SKIPPED: $PYTHON lacks sklearn, numpy or pandas (apt-get install python3-sklearn python3-pandas)"
        return 0
    fi
    run "$PYTHON" "$SRC/tests/parity/sklearn_linear.py" "$TMP/parity"
    expect_rc 0
    expect_out_has "wrote 19 cases"
    run env PLUMB_PARITY_DIR="$TMP/parity" "$BUILD/tests/test_linear" parity_golden
    expect_rc 0
    echo "$out"
}


test_eval_and_explain_know_the_positive_class() {
    # a logistic model and a tree trained to predict 'bad' are evaluated and explained as predicting 'bad'
    for kind in logistic tree; do
        run "$PLUMB" train "$CREDIT" --target Status --positive-class bad --model "$kind" -o "$TMP/m.plumb"
        expect_rc 0
        run "$PLUMB" eval "$TMP/m.plumb" "$CREDIT"
        expect_rc 0
        expect_out_has "positive class 'bad'"
        awk '$1 == "roc_auc" { exit !($2 > 0.75) }' "$TMP/out" || fail "$kind: AUC of 'bad' not above 0.75"
    done
    run "$PLUMB" explain "$TMP/m.plumb"
    expect_out_has "P(bad)"
}

"$@"
