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

# issue 12 item 17: options that were silently ignored
test_train_refuses_ignored_options() {
    run "$PLUMB" train "$CREDIT" --target Status --early-stopping-rounds 5 -q -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "plumb train: --early-stopping-rounds watches validation data: give --valid or --valid-fraction"
    run "$PLUMB" train "$CREDIT" --target Status --monotone Income:1,Income:-1 -q -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "plumb train: option '--monotone' names 'Income' twice"
    run "$PLUMB" train "$CREDIT" --target Status --allow-feature Incme -q -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "plumb train: option '--allow-feature' names 'Incme', which is no column of the data"
    run "$PLUMB" train "$CREDIT" --target Home --positive-class owner -q -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "plumb train: --positive-class is for a binary target: 'Home' has 6 classes"
    run "$PLUMB" train "$CREDIT" --target Home --task multiclass --positive-class owner -q -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "plumb train: --positive-class is for a binary target, not --task multiclass"
    run "$PLUMB" train "$CREDIT" --target Status --time-col Home -q -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "plumb train: --time-col 'Home' is read as text, not as dates or numbers"
    expect_no_file "$TMP/m.plumb"
}

test_train_refuses_one_valued_numeric_target() {
    printf 'y,x\n1,1\n1,2\n1,3\n,4\n1,5\n' >"$TMP/d.csv"
    run "$PLUMB" train "$TMP/d.csv" --target y -q -o "$TMP/m.plumb"
    expect_rc 1
    expect_err "plumb: target 'y' has one value (1) in all 5 rows: there is nothing to learn (give --task regression to fit the constant)"
    expect_no_file "$TMP/m.plumb"
}

test_explain_top_for_tree_and_logistic() {
    run "$PLUMB" train "$CREDIT" --target Status --positive-class bad --model logistic -q -o "$TMP/l.plumb"
    expect_rc 0
    run "$PLUMB" explain "$TMP/l.plumb"
    expect_rc 0
    expect_out_has "positive class: 'bad' (probabilities are P(bad))"
    run "$PLUMB" explain "$TMP/l.plumb" --top 3 --json
    expect_rc 0
    [ "$(grep -c '"standardized"' "$TMP/out")" -eq 3 ] || fail "logistic --top 3 shows not 3 coefficients"
    # the three largest |per std| of all coefficients, largest first
    "$PLUMB" explain "$TMP/l.plumb" --json | sed -n 's/^ *"standardized": \(.*\),$/\1/p' |
        awk '{ print ($1 < 0 ? -$1 : $1) }' | sort -gr | head -n 3 >"$TMP/want"
    sed -n 's/^ *"standardized": \(.*\),$/\1/p' "$TMP/out" | awk '{ print ($1 < 0 ? -$1 : $1) }' >"$TMP/got"
    cmp -s "$TMP/want" "$TMP/got" || fail "logistic --top 3 is not the 3 largest |per std|"
    run "$PLUMB" train "$CREDIT" --target Status --model tree --max-depth 3 -q -o "$TMP/t.plumb"
    expect_rc 0
    run "$PLUMB" explain "$TMP/t.plumb" --top 2
    expect_rc 0
    [ "$(grep -c '^if ' "$TMP/out")" -eq 2 ] || fail "tree --top 2 shows not 2 rules"
    expect_out_has "(2061 rows)"
    expect_out_has "(730 rows)"
    expect_out_has "positive class: 'good'"
}

# issue 23 item 2: early stopping in cv, per fold on its held-out rows
test_cv_early_stopping_per_fold() {
    run "$PLUMB" cv "$CREDIT" --target Status --positive-class bad --num-iterations 300 -k 3 -q --json
    expect_rc 0
    grep -q '"best_iteration"' "$TMP/out" && fail "best iterations without early stopping"
    run "$PLUMB" cv "$CREDIT" --target Status --positive-class bad --num-iterations 300 --early-stopping-rounds 10 \
        -k 3 -q --json
    expect_rc 0
    [ "$(grep -c '"best_iteration"' "$TMP/out")" -eq 3 ] || fail "no best iteration per fold"
    sed -n 's/^ *"best_iteration": \([0-9]*\).*/\1/p' "$TMP/out" | awk '$1 < 1 || $1 >= 300 { bad++ } END { exit bad > 0 }' ||
        fail "early stopping did not stop a fold"
    run "$PLUMB" cv "$CREDIT" --target Status --num-iterations 300 --early-stopping-rounds 10 -k 3 -q
    expect_rc 0
    expect_out_line "^best iteration +[0-9]+ +[0-9]+ +[0-9]+$"
}

# issue 23 item 3: with a time column, --valid-fraction holds out the latest rows
test_train_valid_fraction_by_time() {
    /usr/bin/env awk 'BEGIN { srand(3); print "t,x,y"; for (i = 1; i <= 300; i++) {
        x = rand(); printf "%d,%.4f,%d\n", (i * 7919) % 300, x, (x + 0.3 * rand() > 0.6) } }' >"$TMP/d.csv"
    run "$PLUMB" train "$TMP/d.csv" --target y --time-col t --valid-fraction 0.2 --num-iterations 5 \
        --min-data-in-leaf 5 -o "$TMP/m.plumb"
    expect_rc 0
    expect_err_has "validation: the latest 60 rows by 't' (from 240 on; --valid-split random to draw them at random)"
    run "$PLUMB" train "$TMP/d.csv" --target y --time-col t --valid-fraction 0.2 --valid-split random \
        --num-iterations 5 --min-data-in-leaf 5 -o "$TMP/m.plumb"
    expect_rc 0
    grep -q "validation: the latest" "$TMP/err" && fail "--valid-split random still splits by time"
    run "$PLUMB" train "$TMP/d.csv" --target y --valid-fraction 0.2 --valid-split time -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "plumb train: --valid-split time needs --time-col"
}

# issue 23 item 9: a schema that declares the target needs no --target; train says which class is positive
test_train_target_from_schema_and_positive_class() {
    "$PLUMB" inspect "$CREDIT" --target Status --write-schema "$TMP/s.json" >/dev/null || fail "inspect"
    run "$PLUMB" train "$CREDIT" --schema "$TMP/s.json" -q -o "$TMP/m.plumb"
    expect_rc 0
    expect_out_has "positive class: 'good' (probabilities are P(good); change with --positive-class)"
    run "$PLUMB" train "$CREDIT" --target Status --positive-class bad -q --json -o "$TMP/m.plumb"
    expect_rc 0
    expect_out_has '"positive_class": "bad"'
    run "$PLUMB" explain "$TMP/m.plumb"
    expect_rc 0
    expect_out_has "positive class: 'bad' (probabilities are P(bad))"
    run "$PLUMB" cv "$CREDIT" --schema "$TMP/s.json" -k 3 --num-iterations 10 -q
    expect_rc 0
    expect_out_has "binary target 'Status'"
    run "$PLUMB" cv "$CREDIT" -k 3
    expect_rc 2
    expect_err_has "plumb cv: no target: name the column to predict with --target (or give it the role target in --schema)"
}

# issue 11: --init-model is read once (a FIFO can be read only once; it used to be loaded four times)
test_train_init_model_read_once() {
    run "$PLUMB" train "$CREDIT" --target Status --num-iterations 5 -q -o "$TMP/init.plumb"
    expect_rc 0
    mkfifo "$TMP/fifo"
    cat "$TMP/init.plumb" >"$TMP/fifo" &
    local writer=$!
    run timeout 60 "$PLUMB" train "$CREDIT" --target Status --init-model "$TMP/fifo" --num-iterations 5 -q \
        -o "$TMP/m.plumb"
    kill "$writer" 2>/dev/null || true
    expect_rc 0
    expect_out_has "trained 10 trees"
}

# issue 23 item 9: conventions
test_options_lightgbm_spellings_and_typos() {
    run "$PLUMB" train "$CREDIT" --target Status --num_leaves 7 --learning_rate=0.3 --num-iterations 3 -q --json \
        -o "$TMP/m.plumb"
    expect_rc 0
    expect_out_has '"n_trees": 3'
    run "$PLUMB" train "$CREDIT" --target Status --num-leavs 7 -o "$TMP/typo.plumb"
    expect_rc 2
    expect_err "$(printf "plumb train: unknown option '--num-leavs' (did you mean --num-leaves?)\nsee 'plumb train --help'")"
    run "$PLUMB" cv "$CREDIT" --target Status --fold 3
    expect_rc 2
    expect_err_has "unknown option '--fold' (did you mean --folds?)"
    run "$PLUMB" train "$CREDIT" --target Status --bogus 7 -o "$TMP/typo.plumb"
    expect_rc 2
    expect_err_has "plumb train: unknown option '--bogus'"
    grep -q "did you mean" "$TMP/err" && fail "a suggestion for a name near no option"
    expect_no_file "$TMP/typo.plumb"
}

test_metric_vocabulary() {
    run "$PLUMB" train "$CREDIT" --target Status --metric bogus --valid-fraction 0.2 -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "plumb train: unknown metric 'bogus' (expected LightGBM's binary_logloss, auc,"
    run "$PLUMB" train "$CREDIT" --target Status --metric roc_auc --valid-fraction 0.2 -q --json -o "$TMP/m.plumb"
    expect_rc 0
    expect_out_has '"metric": "auc"'
    run "$PLUMB" train "$CREDIT" --target Status --metric log_loss --valid-fraction 0.2 -q --json -o "$TMP/m.plumb"
    expect_rc 0
    expect_out_has '"metric": "binary_logloss"'
}

test_tree_class_weight_by_name() {
    run "$PLUMB" train "$CREDIT" --target Status --model tree --max-depth 3 --class-weight bad=3,good=1 -q \
        -o "$TMP/a.plumb"
    expect_rc 0
    run "$PLUMB" train "$CREDIT" --target Status --model tree --max-depth 3 --class-weight 3:1 -q -o "$TMP/b.plumb"
    expect_rc 0
    run "$PLUMB" train "$CREDIT" --target Status --model tree --max-depth 3 -q -o "$TMP/c.plumb"
    expect_rc 0
    "$PLUMB" predict "$TMP/a.plumb" "$CREDIT" >"$TMP/a.csv" && "$PLUMB" predict "$TMP/b.plumb" "$CREDIT" >"$TMP/b.csv" &&
        "$PLUMB" predict "$TMP/c.plumb" "$CREDIT" >"$TMP/c.csv" || fail "predict"
    cmp -s "$TMP/a.csv" "$TMP/b.csv" || fail "bad=3,good=1 differs from NEG:POS 3:1 (positive class good)"
    cmp -s "$TMP/a.csv" "$TMP/c.csv" && fail "class weights changed nothing"
    run "$PLUMB" train "$CREDIT" --target Status --model tree --class-weight bd=3 -q -o "$TMP/d.plumb"
    expect_rc 2
    expect_err_has "option '--class-weight': 'bd=3' is not CLASS=WEIGHT with a positive weight for one of the classes of 'Status' ('bad', 'good'), each once"
}

# issue 23 item 3: plumb split writes train and test files, rows byte for byte
test_split_writes_train_and_test() {
    run "$PLUMB" split "$CREDIT" --target Status --strategy stratified --train "$TMP/tr.csv" --test "$TMP/te.csv"
    expect_rc 0
    expect_out_has "split 4454 rows (stratified): 3563 to '$TMP/tr.csv', 891 to '$TMP/te.csv'"
    [ "$(head -n 1 "$TMP/tr.csv")" = "$(head -n 1 "$CREDIT")" ] || fail "train header"
    [ "$(head -n 1 "$TMP/te.csv")" = "$(head -n 1 "$CREDIT")" ] || fail "test header"
    cmp -s <(tail -n +2 "$CREDIT" | sort) <(tail -n +2 -q "$TMP/tr.csv" "$TMP/te.csv" | sort) ||
        fail "train and test are not the input's rows"
    # stratified: the share of 'bad' in the test file is the file's (1254 of 4454) within one row
    awk -F, 'NR > 1 && $1 == "bad" { b++ } END { exit !(b >= 250 && b <= 252) }' "$TMP/te.csv" || fail "not stratified"
    printf 't,x,y\n1,"a\nb",1\n\n2,c,0\n3,d,1\n4,e,0\n5,f,1\n6,1.50,0\n' >"$TMP/q.csv"
    run "$PLUMB" split "$TMP/q.csv" --strategy time --time-col t --test-size 0.34 --gap 1 -q --train "$TMP/a.csv" \
        --test "$TMP/b.csv"
    expect_rc 0
    [ "$(cat "$TMP/a.csv")" = "$(printf 't,x,y\n1,"a\nb",1\n2,c,0\n3,d,1')" ] || fail "time split: train"
    [ "$(cat "$TMP/b.csv")" = "$(printf 't,x,y\n5,f,1\n6,1.50,0')" ] || fail "time split: test"
    run "$PLUMB" split "$CREDIT" --strategy group --train "$TMP/a.csv" --test "$TMP/b.csv"
    expect_rc 2
    expect_err_has "plumb split: --strategy group needs --group-col"
    run "$PLUMB" split "$CREDIT" --train "$TMP/a.csv" --test "$CREDIT"
    expect_rc 2
    expect_err_has "plumb split: --train, --test and the input must be three different files"
}

# issue 23 item 4: --calibrate judges the calibration on rows its map did not see
test_calibrate_reports_cross_fitted() {
    run "$PLUMB" train "$CREDIT" --target Status --positive-class bad --valid-fraction 0.2 --calibrate platt -q \
        --json -o "$TMP/m.plumb"
    expect_rc 0
    expect_out_has '"method": "platt"'
    expect_out_has '"cross_fit_folds": 5'
    # the uncalibrated log-loss on the validation rows is the model's own validation metric
    local valid unc
    valid=$(sed -n 's/^  "valid_metric": \(.*\),$/\1/p' "$TMP/out")
    unc=$(sed -n '/"uncalibrated"/,/}/s/^ *"log_loss": \(.*\),$/\1/p' "$TMP/out")
    awk -v v="$valid" -v u="$unc" 'BEGIN { d = v - u; exit !(d < 1e-9 && d > -1e-9) }' ||
        fail "uncalibrated log-loss $unc is not the validation metric $valid"
    run "$PLUMB" train "$CREDIT" --target Status --positive-class bad --valid-fraction 0.2 --calibrate isotonic -q \
        -o "$TMP/m.plumb"
    expect_rc 0
    expect_out_line "^calibrated: isotonic, fitted on the [0-9]+ validation rows and kept in the model; on rows its map did not see$"
    expect_out_line "^\(5-fold cross-fit over the validation rows\): log_loss 0\.[0-9]+ -> 0\.[0-9]+, brier 0\.[0-9]+ -> 0\.[0-9]+$"
}

# issue 23 item 8: `make demo` shows the demo's summary last, after everything else it prints
test_demo_summary_last() {
    (cd "$TMP" && sh "$SRC/scripts/demo" "$BUILD" --rows 2000 >"$TMP/demo.out" 2>"$TMP/demo.err") || fail "scripts/demo"
    grep -qx -- "-* plumb demo credit" "$TMP/demo.out" || fail "no rule before the summary"
    [ "$(tail -n 1 "$TMP/demo.out")" = "site:   out/site/index.html (plumb site out -o out/site)" ] || fail "site line not last"
    # the summary (what plumb demo prints) comes after the rule, whole
    (cd "$TMP" && "$PLUMB" demo credit -o out/credit --rows 2000 >"$TMP/direct.out" 2>/dev/null) || fail "plumb demo"
    sed -n '/^-* plumb demo credit$/,$p' "$TMP/demo.out" | sed '1d;$d' >"$TMP/after"
    cmp -s "$TMP/after" "$TMP/direct.out" || fail "the summary is not printed whole after the rule"
}

# issue 23 item 6: the Poisson training metric is the mean Poisson deviance, the number plumb eval prints for the
# same predictions (it was a log-likelihood without log(y!), e.g. "poisson train -21.45"); early stopping keeps the
# iteration of least validation deviance (deviance = 2 NLL + a constant per dataset: the same iteration as before)
test_poisson_metric_is_eval_deviance() {
    local chicago="$SRC/examples/chicago/chicago_ridership.csv"
    awk 'NR == 1 || NR % 5 != 0' "$chicago" >"$TMP/tr.csv"
    awk 'NR == 1 || NR % 5 == 0' "$chicago" >"$TMP/va.csv"
    run "$PLUMB" train "$TMP/tr.csv" --target ridership --objective poisson --valid "$TMP/va.csv" \
        --early-stopping-rounds 5 --num-iterations 500 --learning-rate 0.3 -q --json -o "$TMP/m.plumb"
    expect_rc 0
    cp "$TMP/out" "$TMP/train.json"
    expect_out_has '"metric": "poisson_deviance"'
    "$PLUMB" eval "$TMP/m.plumb" "$TMP/tr.csv" --json >"$TMP/etr.json" || fail "eval train"
    "$PLUMB" eval "$TMP/m.plumb" "$TMP/va.csv" --json >"$TMP/eva.json" || fail "eval valid"
    /usr/bin/python3 - "$TMP/train.json" "$TMP/etr.json" "$TMP/eva.json" "$TMP/m.plumb" <<'PY' || fail "deviances"
import json, sys
t, etr, eva = (json.load(open(p)) for p in sys.argv[1:4])
with open(sys.argv[4]) as f:
    f.readline()  # the model file's header line
    curve = json.load(f)["metrics"]["valid"]
for got, want in ((t["train_metric"], etr["metrics"]["poisson_deviance"]),
                  (t["valid_metric"], eva["metrics"]["poisson_deviance"])):
    assert abs(got - want) <= 1e-9, (got, want)
best = min(range(len(curve)), key=lambda i: (curve[i], i)) + 1
assert t["best_iteration"] == best < t["n_iterations"] == best + 5 == len(curve), (t, curve)
assert t["valid_metric"] == curve[best - 1] and min(curve) >= 0
PY
    run "$PLUMB" train "$TMP/tr.csv" --target ridership --objective poisson --num-iterations 10 -o "$TMP/m.plumb"
    expect_rc 0
    expect_out_has "poisson_deviance train"
    run "$PLUMB" train "$TMP/tr.csv" --target ridership --metric poisson_deviance --num-iterations 10 -q --json \
        -o "$TMP/m.plumb"
    expect_rc 0
    expect_out_has '"metric": "poisson_deviance"'
    printf 'y,x\n1,1\n-2,2\n3,3\n' >"$TMP/neg.csv"
    run "$PLUMB" train "$TMP/neg.csv" --target y --metric poisson --valid "$TMP/neg.csv" -q -o "$TMP/n.plumb"
    expect_rc 1
    expect_err_has "the poisson_deviance metric needs targets >= 0: -2 in data row 2"
}

# issue 23 item 9: -q is quiet for every command: no progress or notes on standard error, errors still there
test_quiet_every_command() {
    local cmds cmd
    cmds=$("$PLUMB" --help | sed -n '/^commands:/,/^  help /p' | awk 'NR > 1 && $1 != "help" { print $1 }')
    [ "$(echo "$cmds" | wc -l)" -ge 12 ] || fail "commands not listed: $cmds"
    for cmd in $cmds; do
        "$PLUMB" "$cmd" --help | grep -q -- "-q, --quiet  *no progress lines or notes on standard error" ||
            fail "plumb $cmd has no -q"
    done
    # notes that -q silences: what was written where, a lowered thread count
    run "$PLUMB" inspect "$CREDIT" --target Status --write-schema "$TMP/s.json" -t 100000
    expect_rc 0
    expect_err_has "schema written to '$TMP/s.json'"
    expect_err_has "plumb: --threads 100000 is more than 4 per core"
    run "$PLUMB" inspect "$CREDIT" --target Status --write-schema "$TMP/s.json" -t 100000 -q
    expect_rc 0
    [ -z "$err" ] || fail "inspect -q printed on standard error"
    expect_out_has "Status"
    run "$PLUMB" train "$CREDIT" --schema "$TMP/s.json" --num-iterations 3 --report "$TMP/r.html" -q -o "$TMP/m.plumb"
    expect_rc 0
    run "$PLUMB" report "$TMP/r.json" -o "$TMP/r2.html" -q
    expect_rc 0
    [ -z "$err$out" ] || fail "report -q printed"
    run "$PLUMB" site "$TMP" -o "$TMP/site" -q
    expect_rc 0
    [ -z "$err$out" ] || fail "site -q printed"
    [ -s "$TMP/site/index.html" ] || fail "site -q wrote no site"
    local c
    for c in "predict $TMP/m.plumb $CREDIT -o $TMP/p.csv -t 100000" "explain $TMP/m.plumb" \
        "eval $TMP/m.plumb $CREDIT -t 100000" "synth credit -n 50 -o $TMP/t.csv -t 100000"; do
        run $PLUMB $c -q
        expect_rc 0
        [ -z "$err" ] || fail "plumb $c -q printed on standard error"
    done
    # errors are still printed
    run "$PLUMB" inspect "$TMP/none.csv" -q
    expect_rc 1
    expect_err_has "none.csv"
}

# issue 23 item 9: one default --seed, 0, in every command that has one (synth and demo defaulted to 1)
test_one_default_seed() {
    local cmd
    for cmd in train cv eval split audit synth demo; do
        "$PLUMB" "$cmd" --help | grep -qE -- "--seed N .*\(default: 0\)$" || fail "plumb $cmd: --seed default is not 0"
    done
    "$PLUMB" synth credit -n 300 -o "$TMP/a.csv" && "$PLUMB" synth credit -n 300 --seed 0 -o "$TMP/b.csv" &&
        "$PLUMB" synth credit -n 300 --seed 1 -o "$TMP/c.csv" || fail "synth"
    cmp -s "$TMP/a.csv" "$TMP/b.csv" || fail "synth without --seed is not --seed 0"
    cmp -s "$TMP/a.csv" "$TMP/c.csv" && fail "the seed changes nothing"
    (cd "$TMP" && "$PLUMB" demo credit --rows 2000 -o d0 >a.out 2>/dev/null &&
        "$PLUMB" demo credit --rows 2000 --seed 0 -o d1 >b.out 2>/dev/null) || fail "demo"
    sed 's/d[01]/d/' "$TMP/a.out" >"$TMP/a2" && sed 's/d[01]/d/' "$TMP/b.out" >"$TMP/b2"
    cmp -s "$TMP/a2" "$TMP/b2" || fail "demo without --seed is not --seed 0"
}

# issue 23 item 9: audit's -k is --folds (as in cv); its --json prints the JSON on standard output instead of the text
# (it took a file name, unlike every other command's --json); a schema's target needs no --target
test_audit_k_json_and_schema_target() {
    "$PLUMB" inspect "$CREDIT" --target Status --write-schema "$TMP/s.json" -q >/dev/null || fail "inspect"
    run "$PLUMB" audit "$CREDIT" --schema "$TMP/s.json" -k 2 --json
    expect_rc 0
    cp "$TMP/out" "$TMP/k.json"
    /usr/bin/python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); assert j["target"] == "Status" and "findings" in j' \
        "$TMP/k.json" || fail "audit --json is not the audit as JSON"
    run "$PLUMB" audit "$CREDIT" --target Status --folds 2 --json
    expect_rc 0
    cmp -s "$TMP/out" "$TMP/k.json" || fail "-k 2 differs from --folds 2"
    run "$PLUMB" audit "$CREDIT" --target Status --folds 3 --json
    cmp -s "$TMP/out" "$TMP/k.json" && fail "--folds changes nothing"
    run "$PLUMB" audit "$CREDIT" --target Status -k 2 --json "$TMP/f.json"
    expect_rc 2
    expect_err "$(printf "plumb audit: unexpected argument '%s' (option '--json' takes no value)\nsee 'plumb audit --help'" "$TMP/f.json")"
    expect_no_file "$TMP/f.json"
    run "$PLUMB" audit "$CREDIT"
    expect_rc 2
    expect_err_has "plumb audit: no target: name the column to audit with --target (or give it the role target in --schema)"
}

test_unknown_metric_is_usage_error() {
    local cmd
    for cmd in train cv; do
        run "$PLUMB" "$cmd" "$TMP/none.csv" --target Status --metric bogus
        expect_rc 2
        expect_err_has "plumb $cmd: unknown metric 'bogus'"
    done
}

# issue 23 item 9: one --class-weight syntax and one message: logistic regression's bad CLASS=W was a data error
# (exit 1) worded otherwise than the tree's usage error
test_class_weight_logistic_like_tree() {
    local model
    for model in tree logistic; do
        run "$PLUMB" train "$CREDIT" --target Status --model "$model" --class-weight bd=3 -q -o "$TMP/m.plumb"
        expect_rc 2
        expect_err_has "plumb train: option '--class-weight': 'bd=3' is not CLASS=WEIGHT with a positive weight for one of the classes of 'Status' ('bad', 'good'), each once"
    done
    run "$PLUMB" train "$CREDIT" --target Status --model logistic --class-weight 1:3 -q -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "plumb train: option '--class-weight' expects 'balanced' or CLASS=W per class (e.g. bad=3,good=1), got '1:3'"
    expect_no_file "$TMP/m.plumb"
    "$PLUMB" train "$CREDIT" --target Status --model logistic --class-weight bad=3,good=1 -q -o "$TMP/a.plumb" >/dev/null &&
        "$PLUMB" train "$CREDIT" --target Status --model logistic -q -o "$TMP/b.plumb" >/dev/null || fail "train"
    "$PLUMB" predict "$TMP/a.plumb" "$CREDIT" >"$TMP/a.csv" && "$PLUMB" predict "$TMP/b.plumb" "$CREDIT" >"$TMP/b.csv" ||
        fail "predict"
    if cmp -s "$TMP/a.csv" "$TMP/b.csv"; then fail "logistic class weights changed nothing"; fi
}

# the library's warnings reach the user (the CLI routes plumb_set_log to stderr), even under -q
test_library_warnings_reach_stderr() {
    { head -n 1 "$CREDIT"; grep '^good' "$CREDIT" | head -n 60; grep '^bad' "$CREDIT" | head -n 3; } >"$TMP/few.csv"
    run "$PLUMB" cv "$TMP/few.csv" --target Status -k 5 --num-iterations 5 -q
    expect_rc 0
    expect_err "plumb: warning: the smallest class has 3 rows, fewer than the 5 folds: some folds lack it"
}

# a date cut is printed as a date, not as seconds since the epoch
test_time_validation_cut_is_a_date() {
    run "$PLUMB" train "$SRC/examples/chicago/chicago_ridership.csv" --target ridership --time-col date \
        --valid-fraction 0.2 --num-iterations 5 -o "$TMP/m.plumb"
    expect_rc 0
    expect_err_has "validation: the latest 1140 rows by 'date' (from 2013-"
}

"$@"
