#!/usr/bin/env bash
# test_train.sh -- `plumb train` and `plumb predict` from the command line: outputs, ids, streams, failures.
source "$(dirname "$0")/lib.sh"

CREDIT="$SRC/examples/credit/credit_data.csv"

# a small binary problem with an id column; y depends on x1 (and missing x2 means y=1 more often)
make_data() {
    /usr/bin/env awk 'BEGIN { srand(7); print "id,x1,x2,y";
        for (i = 1; i <= 400; i++) { x1 = rand(); x2 = (rand() < 0.1) ? "" : rand();
            y = (x1 + 0.3 * rand() > 0.65) ? 1 : 0; printf "c%03d,%.4f,%s,%d\n", i, x1, x2, y } }' >"$1"
}

test_train_help_lists_lightgbm_parameters() {
    run "$PLUMB" train --help
    expect_rc 0
    for opt in num-iterations learning-rate num-leaves max-depth min-data-in-leaf min-sum-hessian-in-leaf \
        lambda-l1 lambda-l2 min-gain-to-split max-bin feature-fraction bagging-fraction bagging-freq \
        early-stopping-rounds threads seed valid valid-fraction quiet; do
        expect_out_has "--$opt"
    done
    expect_out_line "--num-leaves N +most leaves per tree \(trees grow leaf-wise\) \(default: 31\)"
    expect_out_line "--learning-rate X +shrinkage applied to every tree \(default: 0.1\)"
}

test_train_predict_credit() {
    run "$PLUMB" train "$CREDIT" --target Status --positive-class bad --valid-fraction 0.2 -o "$TMP/m.plumb" --quiet
    expect_rc 0
    expect_out_line "^trained 100 trees \(binary, 13 features\) on [0-9]+ rows: binary_logloss train 0\.[0-9]+, valid 0\.[0-9]+"
    expect_out_has "model written to '$TMP/m.plumb'"
    run "$PLUMB" predict "$TMP/m.plumb" "$CREDIT" -o "$TMP/p.csv"
    expect_rc 0
    [ "$(head -n 1 "$TMP/p.csv")" = "p_bad" ] || fail "header"
    [ "$(wc -l <"$TMP/p.csv")" -eq 4455 ] || fail "one prediction per row"
    # probabilities of 'bad': higher on average for the bad clients
    paste -d, <(tail -n +2 "$CREDIT" | cut -d, -f1) <(tail -n +2 "$TMP/p.csv") |
        awk -F, '{ s[$1] += $2; n[$1]++ } END { exit !(s["bad"] / n["bad"] > s["good"] / n["good"] + 0.2) }' ||
        fail "predictions do not separate bad from good"
}

test_predict_streams_and_carries_id() {
    make_data "$TMP/d.csv"
    run "$PLUMB" train "$TMP/d.csv" --target y --id-col id --num-iterations 20 --min-data-in-leaf 5 -o "$TMP/m.plumb"
    expect_rc 0
    # without the target, from standard input to standard output
    cut -d, -f1-3 "$TMP/d.csv" >"$TMP/x.csv"
    "$PLUMB" predict "$TMP/m.plumb" <"$TMP/x.csv" >"$TMP/p.csv" 2>"$TMP/err" || fail "predict from stdin"
    [ "$(head -n 1 "$TMP/p.csv")" = "id,p_1" ] || fail "id column first"
    [ "$(sed -n 2p "$TMP/p.csv" | cut -d, -f1)" = "c001" ] || fail "ids in input order"
    [ "$(wc -l <"$TMP/p.csv")" -eq 401 ] || fail "row count"
    # the same predictions from a file, and from the file with its target column
    run "$PLUMB" predict "$TMP/m.plumb" "$TMP/d.csv"
    expect_rc 0
    [ "$out" = "$(cat "$TMP/p.csv")" ] || fail "file and stdin predictions differ"
    run "$PLUMB" predict --threads 1 "$TMP/m.plumb" "$TMP/d.csv"
    expect_rc 0
    [ "$out" = "$(cat "$TMP/p.csv")" ] || fail "one thread predicts otherwise"
}

test_predict_stream_batches() {
    make_data "$TMP/d.csv"
    "$PLUMB" train "$TMP/d.csv" --target y --id-col id --num-iterations 10 -o "$TMP/m.plumb" >/dev/null || fail "train"
    # about 13 MB: more than one 8 MiB batch, with a quoted header name and a line break inside a quoted id
    awk 'BEGIN { srand(3); print "\"id\",x1,x2";
        for (i = 1; i <= 600000; i++) {
            if (i == 300000) printf "\"two\nlines\",%.4f,%.4f\n", rand(), rand();
            else printf "r%07d,%.4f,%.4f\n", i, rand(), rand() } }' >"$TMP/big.csv"
    "$PLUMB" predict "$TMP/m.plumb" "$TMP/big.csv" -o "$TMP/file.csv" || fail "predict a file"
    "$PLUMB" predict "$TMP/m.plumb" <"$TMP/big.csv" >"$TMP/stream.csv" || fail "predict a stream"
    cmp -s "$TMP/file.csv" "$TMP/stream.csv" || fail "streamed predictions differ from the file's"
    [ "$(wc -l <"$TMP/stream.csv")" -eq 600002 ] || fail "rows (600000, one id with a line break, a header)"
    # an error deep in the stream names its line in the whole input
    sed '550001s/,0\./,x./' "$TMP/big.csv" >"$TMP/bad.csv"
    run "$PLUMB" predict "$TMP/m.plumb" - -o "$TMP/out.csv" <"$TMP/bad.csv"
    expect_rc 1
    expect_err_has "<stdin>:550001:10: bad number 'x."
    expect_no_file "$TMP/out.csv"
}

test_predict_missing_column() {
    make_data "$TMP/d.csv"
    "$PLUMB" train "$TMP/d.csv" --target y --num-iterations 5 -o "$TMP/m.plumb" >/dev/null || fail "train"
    cut -d, -f1,2,4 "$TMP/d.csv" >"$TMP/no_x2.csv"
    run "$PLUMB" predict "$TMP/m.plumb" "$TMP/no_x2.csv" -o "$TMP/p.csv"
    expect_rc 1
    expect_err "plumb: column 'x2' needed by the model is missing"
    expect_no_file "$TMP/p.csv"
}

test_predict_bad_value_leaves_no_output() {
    make_data "$TMP/d.csv"
    "$PLUMB" train "$TMP/d.csv" --target y --num-iterations 5 -o "$TMP/m.plumb" >/dev/null || fail "train"
    sed '3s/^c002,[0-9.]*/c002,abc/' "$TMP/d.csv" >"$TMP/bad.csv"
    run "$PLUMB" predict "$TMP/m.plumb" "$TMP/bad.csv" -o "$TMP/p.csv"
    expect_rc 1
    expect_err "$TMP/bad.csv:3:6: bad number 'abc' in column 'x1'"
    expect_no_file "$TMP/p.csv"
}

test_train_diverging_is_an_error() {
    # issue 12: a learning rate that makes training diverge wrote NaN leaves as null and predicted -nan, exit 0
    run "$PLUMB" train "$CREDIT" --target Status -q --learning-rate 1e308 --num-iterations 3 -o "$TMP/m.plumb"
    expect_rc 1
    expect_err "plumb: training diverged at iteration 1: a leaf value is not finite (try a lower learning rate)"
    expect_no_file "$TMP/m.plumb"
    run "$PLUMB" train "$CREDIT" --target Amount --objective poisson -q --learning-rate 50 --num-iterations 30 \
        -o "$TMP/m.plumb"
    expect_rc 1
    expect_err "plumb: training diverged at iteration 5: a gradient is not finite (try a lower learning rate)"
    expect_no_file "$TMP/m.plumb"
}

test_train_errors() {
    make_data "$TMP/d.csv"
    run "$PLUMB" train "$TMP/d.csv" -o "$TMP/m.plumb"
    expect_rc 2
    expect_err "$(printf "plumb train: no target: name the column to predict with --target (or give it the role target in --schema)\nsee 'plumb train --help'")"
    run "$PLUMB" train "$TMP/d.csv" --target y --num-leaves 1 -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "option '--num-leaves' expects an integer of at least 2, got '1'"
    run "$PLUMB" train "$TMP/d.csv" --target y --learning-rate 0 -o "$TMP/m.plumb"
    expect_rc 1
    expect_err "plumb: learning_rate must be positive"
    printf 'x,w,y\n1,1,0\n2,-1,1\n' >"$TMP/w.csv"
    run "$PLUMB" train "$TMP/w.csv" --target y --weight-col w -o "$TMP/m.plumb"
    expect_rc 1
    expect_err "plumb: weight 'w' is negative in data row 2"
    run "$PLUMB" train "$TMP/d.csv" --target nope -o "$TMP/m.plumb"
    expect_rc 1
    expect_err "$TMP/d.csv:1:1: target column 'nope' not found in header"
    expect_no_file "$TMP/m.plumb"
}

test_corrupted_model() {
    make_data "$TMP/d.csv"
    "$PLUMB" train "$TMP/d.csv" --target y --num-iterations 5 -o "$TMP/m.plumb" >/dev/null || fail "train"
    head -c 500 "$TMP/m.plumb" >"$TMP/cut.plumb"
    run "$PLUMB" predict "$TMP/cut.plumb" "$TMP/d.csv"
    expect_rc 1
    expect_err_has "$TMP/cut.plumb: truncated model file:"
    run "$PLUMB" predict "$TMP/d.csv" "$TMP/d.csv"
    expect_rc 1
    expect_err "$TMP/d.csv: not a plumb model file"
}

test_explain_and_contrib() {
    run "$PLUMB" train "$CREDIT" --target Status --positive-class bad --num-iterations 30 -o "$TMP/m.plumb" --quiet
    expect_rc 0
    run "$PLUMB" explain "$TMP/m.plumb" --top 3
    expect_rc 0
    expect_out_line "^gbdt model, objective binary: 30 trees over 13 features, [0-9]+ splits$"
    [ "$(grep -cE '^[A-Za-z]+ +[0-9.e+]+ +[0-9.]+% +[0-9]+$' "$TMP/out")" -eq 3 ] || fail "three importance rows"
    run "$PLUMB" explain "$TMP/m.plumb" --json
    expect_rc 0
    expect_out_has '"gain_share"'
    # contributions: one column per feature and the bias, and per row they add up to the log-odds
    run "$PLUMB" predict "$TMP/m.plumb" "$CREDIT" --contrib -o "$TMP/c.csv"
    expect_rc 0
    [ "$(head -n 1 "$TMP/c.csv")" = "Seniority,Home,Time,Age,Marital,Records,Job,Expenses,Income,Assets,Debt,Amount,Price,bias" ] ||
        fail "contribution header: $(head -n 1 "$TMP/c.csv")"
    "$PLUMB" predict "$TMP/m.plumb" "$CREDIT" -o "$TMP/p.csv" || fail "predict"
    paste -d, <(tail -n +2 "$TMP/c.csv") <(tail -n +2 "$TMP/p.csv") | awk -F, '{
        s = 0; for (i = 1; i < NF; i++) s += $i; p = 1 / (1 + exp(-s));
        if (p - $NF > 1e-9 || $NF - p > 1e-9) bad++ } END { exit bad > 0 }' || fail "contributions do not add up"
}

test_objectives_and_options() {
    run "$PLUMB" train "$CREDIT" --target Amount --objective poisson --num-iterations 10 -o "$TMP/m.plumb" --json
    expect_rc 0
    expect_out_has '"objective": "poisson"'
    expect_out_has '"metric": "poisson_deviance"'
    run "$PLUMB" train "$CREDIT" --target Amount --objective nope -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "unknown objective 'nope' (expected binary, l2, l1, huber, poisson, quantile or multiclass)"
    run "$PLUMB" train "$CREDIT" --target Amount --monotone Income -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "option '--monotone' expects COLUMN:+1 or COLUMN:-1, comma-separated, got 'Income'"
    run "$PLUMB" train "$CREDIT" --target Amount --metric auc -o "$TMP/m.plumb"
    expect_rc 1
    expect_err "plumb: metric 'auc' does not apply to a regression model"
    # multiclass: the most likely class, then one probability per class
    grep -v ',,' "$CREDIT" | grep -vE '^([^,]*,){5},' >"$TMP/c.csv"
    run "$PLUMB" train "$TMP/c.csv" --target Marital --num-iterations 5 -o "$TMP/mc.plumb"
    expect_rc 0
    run "$PLUMB" predict "$TMP/mc.plumb" "$TMP/c.csv" -o "$TMP/p.csv"
    expect_rc 0
    [ "$(head -n 1 "$TMP/p.csv")" = "prediction,p_divorced,p_married,p_separated,p_single,p_widow" ] ||
        fail "multiclass header: $(head -n 1 "$TMP/p.csv")"
    # continued training from a model: its trees first
    run "$PLUMB" train "$CREDIT" --target Status --num-iterations 5 --init-model "$TMP/mc.plumb" -o "$TMP/x.plumb"
    expect_rc 1
    expect_no_file "$TMP/x.plumb"
    run "$PLUMB" train "$CREDIT" --target Status --num-iterations 5 -o "$TMP/a.plumb" --quiet
    run "$PLUMB" train "$CREDIT" --target Status --num-iterations 7 --init-model "$TMP/a.plumb" -o "$TMP/b.plumb"
    expect_rc 0
    expect_out_line "^trained 12 trees"
    # calibration on held-out rows, kept in the model
    run "$PLUMB" train "$CREDIT" --target Status --calibrate isotonic -o "$TMP/c.plumb"
    expect_rc 2
    expect_err_has "plumb train: --calibrate fits on held-out rows: give --valid or --valid-fraction"
    run "$PLUMB" train "$CREDIT" --target Status --calibrate platt --valid-fraction 0.3 -o "$TMP/c.plumb" --quiet
    expect_rc 0
    grep -q '"calibration":{"method":"platt"' "$TMP/c.plumb" || fail "no calibration in the model file"
}


test_runs_without_openmp_settings() {
    # without OMP_WAIT_POLICY, GOMP_SPINCOUNT or GLIBC_TUNABLES the command re-executes itself with a short OpenMP
    # spin and malloc in huge pages: it must still behave exactly the same, and keep a user's own tunables
    run env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u GLIBC_TUNABLES "$PLUMB" --version
    expect_rc 0
    expect_out_line "^plumb [0-9]+\.[0-9]+\.[0-9]+$"
    run env GLIBC_TUNABLES=glibc.malloc.arena_max=1 "$PLUMB" --version
    expect_rc 0
    run env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u GLIBC_TUNABLES "$PLUMB" train "$CREDIT" --target Status --num-iterations 5 \
        -o "$TMP/m.plumb" --quiet
    expect_rc 0
    expect_out_line "^trained 5 trees"
}

"$@"
