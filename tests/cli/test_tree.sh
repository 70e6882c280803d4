#!/usr/bin/env bash
# test_tree.sh -- `plumb train --model tree` and `plumb predict` with a tree model; the live scikit-learn parity run.
source "$(dirname "$0")/lib.sh"

CREDIT="$SRC/examples/credit/credit_data.csv"

test_tree_help_lists_options() {
    run "$PLUMB" train --help
    expect_rc 0
    for opt in criterion min-samples-split min-samples-leaf min-impurity-decrease ccp-alpha class-weight max-depth; do
        expect_out_has "--$opt"
    done
    expect_out_line "--model KIND +the kind of model: gbdt \(gradient-boosted trees\), logistic or linear \(regression\), tree \(one CART tree\)"
    expect_out_line "--ccp-alpha X +tree: minimal cost-complexity pruning strength; 0: no pruning \(default: 0\)"
}

test_tree_train_predict_credit() {
    run "$PLUMB" train "$CREDIT" --target Status --positive-class bad --model tree --max-depth 4 -o "$TMP/t.plumb"
    expect_rc 0
    # 13 features: the numeric and the categorical columns (gbdt reads 9)
    expect_out_line "^trained a tree \(binary, 13 features, 16 leaves, depth 4\) on 4454 rows: accuracy train 0\.7[0-9]+$"
    expect_out_has "model written to '$TMP/t.plumb'"
    run "$PLUMB" predict "$TMP/t.plumb" "$CREDIT" -o "$TMP/p.csv"
    expect_rc 0
    [ "$(head -n 1 "$TMP/p.csv")" = "p_bad" ] || fail "header"
    [ "$(wc -l <"$TMP/p.csv")" -eq 4455 ] || fail "one prediction per row"
    # 16 leaves: at most 16 distinct probabilities, all in [0, 1], higher for the bad clients
    [ "$(tail -n +2 "$TMP/p.csv" | sort -u | wc -l)" -le 16 ] || fail "more values than leaves"
    tail -n +2 "$TMP/p.csv" | awk '{ if ($1 < 0 || $1 > 1) exit 1 }' || fail "a probability outside [0, 1]"
    paste -d, <(tail -n +2 "$CREDIT" | cut -d, -f1) <(tail -n +2 "$TMP/p.csv") |
        awk -F, '{ s[$1] += $2; n[$1]++ } END { exit !(s["bad"] / n["bad"] > s["good"] / n["good"] + 0.2) }' ||
        fail "predictions do not separate bad from good"
    # scoring data without the target, from standard input, gives the same predictions
    cut -d, -f2- "$CREDIT" | "$PLUMB" predict "$TMP/t.plumb" >"$TMP/s.csv" || fail "predict from stdin"
    cmp -s "$TMP/p.csv" "$TMP/s.csv" || fail "stdin predictions differ"
}

test_tree_regression_and_json() {
    run "$PLUMB" train "$CREDIT" --target Amount --model tree --max-depth 3 --min-samples-leaf 20 --json \
        -o "$TMP/r.plumb"
    expect_rc 0
    expect_out_has '"model": "tree"'
    expect_out_has '"task": "regression"'
    expect_out_has '"n_leaves": 8'
    expect_out_has '"depth": 3'
    expect_out_has '"criterion": "squared_error"'
    expect_out_has '"metric": "l2"'
    run "$PLUMB" predict "$TMP/r.plumb" "$CREDIT"
    expect_rc 0
    [ "$(printf '%s\n' "$out" | tail -n +2 | sort -u | wc -l)" -le 8 ] || fail "more values than leaves"
}

test_tree_pruning_and_class_weight() {
    run "$PLUMB" train "$CREDIT" --target Status --model tree -o "$TMP/full.plumb"
    expect_rc 0
    full=$(printf '%s' "$out" | sed -n 's/.* \([0-9]*\) leaves.*/\1/p')
    run "$PLUMB" train "$CREDIT" --target Status --model tree --ccp-alpha 0.002 --class-weight balanced \
        --criterion entropy -o "$TMP/pruned.plumb"
    expect_rc 0
    pruned=$(printf '%s' "$out" | sed -n 's/.* \([0-9]*\) leaves.*/\1/p')
    [ "$pruned" -lt "$full" ] && [ "$pruned" -ge 2 ] || fail "pruning: $pruned leaves of $full"
    run "$PLUMB" train "$CREDIT" --target Status --model tree --class-weight 1:3 --max-depth 2 -o "$TMP/w.plumb"
    expect_rc 0
}

test_tree_usage_errors() {
    local cases=(
        "--num-leaves 5|plumb train: option '--num-leaves' does not apply to --model tree"
        "--criterion gain|plumb train: unknown criterion 'gain' (expected gini, entropy or squared_error)"
        "--class-weight 1:x|plumb train: option '--class-weight' expects 'balanced', CLASS=W per class (e.g. bad=3,good=1) or NEG:POS weights, got '1:x'"
        "--max-depth 0|plumb train: option '--max-depth' expects -1 (no limit) or at least 1, got 0"
        "--ccp-alpha -1|plumb train: option '--ccp-alpha' expects a number >= 0, got -1"
        "--min-samples-leaf 0|plumb train: option '--min-samples-leaf' expects an integer of at least 1, got '0'"
        "--valid-fraction 0.2|plumb train: --valid and --valid-fraction do not apply to --model tree (score held-out data with plumb predict)"
    )
    for c in "${cases[@]}"; do
        # shellcheck disable=SC2086
        run "$PLUMB" train "$CREDIT" --target Status --model tree ${c%%|*} -o "$TMP/x.plumb"
        expect_rc 2
        [ "$(head -n 1 "$TMP/err")" = "${c#*|}" ] || fail "message for ${c%%|*}: $(head -n 1 "$TMP/err")"
        expect_no_file "$TMP/x.plumb"
    done
    run "$PLUMB" train "$CREDIT" --target Status --ccp-alpha 0.1 -o "$TMP/x.plumb"
    expect_rc 2
    expect_err_has "plumb train: option '--ccp-alpha' does not apply to --model gbdt"
    run "$PLUMB" train "$CREDIT" --target Status --model forest -o "$TMP/x.plumb"
    expect_rc 2
    expect_err_has "plumb train: unknown model 'forest' (this plumb trains: gbdt, linear, logistic, tree)"
    # a data error: entropy for a numeric target
    run "$PLUMB" train "$CREDIT" --target Amount --model tree --criterion entropy -o "$TMP/x.plumb"
    expect_rc 1
    expect_err "plumb: criterion 'entropy' is for a binary target: a regression tree uses squared_error"
    expect_no_file "$TMP/x.plumb"
}

# scikit-learn's output regenerated now (when /usr/bin/python3 has scikit-learn), and plumb checked against it
test_tree_parity_live() {
    if ! /usr/bin/python3 -c "import sklearn, pandas" 2>/dev/null; then
        echo "skipped: /usr/bin/python3 lacks scikit-learn or pandas"
        return 0
    fi
    run /usr/bin/python3 "$SRC/tests/parity/sklearn_tree.py" "$TMP/golden"
    expect_rc 0
    for t in parity_generated_binary parity_generated_regression parity_credit; do
        run env PLUMB_TREE_GOLDEN="$TMP/golden" "$BUILD/tests/test_tree" "$t"
        [ "$rc" -eq 0 ] || fail "$t against the live scikit-learn output"
    done
}

"$@"
