#!/usr/bin/env bash
# test_tune.sh -- `plumb tune`: a search on the credit data with held-out rows, the JSON summary and the report,
# determinism (the same seed, any thread count), resuming a killed search from its journal, and bad input that fails
# with a clear message and leaves no file behind.
source "$(dirname "$0")/lib.sh"

CREDIT="$SRC/examples/credit/credit_data.csv"
FAST="--num-iterations 60 --early-stopping-rounds 10 --folds 3"

json() { /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
# the trial numbers in a journal, in order
journal_numbers() { /usr/bin/python3 -c "import sqlite3,sys; print(' '.join(str(r[0]) for r in
    sqlite3.connect(sys.argv[1]).execute('SELECT number FROM trials ORDER BY number')))" "$1"; }
# the summary without the wall times, which differ from run to run
stable() { json "$1" '{k: v for k, v in j.items() if k != "seconds" and k != "resumed_trials"} | {"history": [
    {k: v for k, v in t.items() if k != "seconds"} for t in j["history"]]}'; }

# two model files that differ at most in their creation time
same_model() {
    cmp -s <(tail -n +2 "$1" | sed 's/"created":"[^"]*"//') <(tail -n +2 "$2" | sed 's/"created":"[^"]*"//')
}

split_credit() {
    "$PLUMB" split "$CREDIT" --target Status --strategy stratified --train "$TMP/train.csv" --test "$TMP/test.csv" \
        -q || fail "split"
}

test_tune_help() {
    run "$PLUMB" tune --help
    expect_rc 0
    for opt in output trials time-budget folds strategy metric space sampler startup prune journal test json report \
        model seed target threads; do
        expect_out_has "--$opt"
    done
}

test_tune_gbdt_credit_test_report() {
    split_credit
    run "$PLUMB" tune "$TMP/train.csv" --target Status --trials 8 $FAST -o "$TMP/m.plumb" --test "$TMP/test.csv" \
        --report "$TMP/r.html" --json -q
    expect_rc 0
    printf '%s' "$out" >"$TMP/s.json"
    [ "$(json "$TMP/s.json" 'j["model"], j["sampler"], j["metric"], j["trials"], j["folds"], j["rows"]')" = \
        "gbdt tpe roc_auc 8 3 3563" ] || fail "summary"
    [ "$(json "$TMP/s.json" 'len(j["history"]), sorted(j["importance"]) == sorted(["learning_rate", "num_leaves",
        "min_data_in_leaf", "feature_fraction", "lambda_l2", "bagging_freq", "bagging_fraction"])')" = "8 True" ] ||
        fail "history and importance"
    # the best CV score is the best complete trial's; the held-out score is a real AUC on 891 rows
    [ "$(json "$TMP/s.json" 'j["best_cv_score"] == max(t["score"] for t in j["history"] if t["state"] == "complete"),
        j["test"]["rows"], 0.7 < j["test"]["score"] < 0.95')" = "True 891 True" ] || fail "scores"
    # the saved model scores the test rows as the summary says
    run "$PLUMB" predict "$TMP/m.plumb" "$TMP/test.csv" -o "$TMP/p.csv" -q
    expect_rc 0
    run "$PLUMB" eval --pred "$TMP/p.csv" --data "$TMP/test.csv" --target Status --json
    printf '%s' "$out" >"$TMP/e.json"
    eval_auc=$(json "$TMP/e.json" 'round(j["metrics"]["roc_auc"], 9)')
    [ "$eval_auc" = "$(json "$TMP/s.json" 'round(j["test"]["score"], 9)')" ] || fail "test score differs from eval's"
    [ "$(json "$TMP/r.json" 'j["kind"], j["tune"]["trials"], len(j["tune"]["history"]["score"])')" = "tune 8 8" ] ||
        fail "report record"
    grep -qF "The search" "$TMP/r.html" || fail "report lacks the search section"
    grep -qF "held-out score (unbiased)" "$TMP/r.html" || fail "report lacks the held-out score"
}

test_tune_deterministic_any_threads() {
    split_credit
    for t in 1 2; do
        run "$PLUMB" tune "$TMP/train.csv" --target Status --trials 12 $FAST -o "$TMP/m$t.plumb" --json -q -t $t \
            --seed 3
        expect_rc 0
        printf '%s' "$out" >"$TMP/s$t.json"
    done
    [ "$(stable "$TMP/s1.json")" = "$(stable "$TMP/s2.json")" ] || fail "1 and 2 threads differ"
    same_model "$TMP/m1.plumb" "$TMP/m2.plumb" || fail "the models differ"
    run "$PLUMB" tune "$TMP/train.csv" --target Status --trials 12 $FAST -o "$TMP/m3.plumb" --json -q --seed 4
    printf '%s' "$out" >"$TMP/s3.json"
    [ "$(stable "$TMP/s1.json")" != "$(stable "$TMP/s3.json")" ] || fail "another seed, the same search"
}

test_tune_resume_after_kill() {
    split_credit
    args=("$TMP/train.csv" --target Status --trials 24 $FAST --json -q --seed 5)
    # the uninterrupted search
    run "$PLUMB" tune "${args[@]}" -o "$TMP/full.plumb" --journal "$TMP/full.db"
    expect_rc 0
    printf '%s' "$out" >"$TMP/full.json"
    # the same search killed (SIGKILL: no cleanup) once a few trials are in its journal, then run again
    "$PLUMB" tune "${args[@]}" -o "$TMP/k.plumb" --journal "$TMP/k.db" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do
        n=$(journal_numbers "$TMP/k.db" 2>/dev/null | wc -w)
        [ "${n:-0}" -ge 4 ] && break
        sleep 0.05
    done
    kill -9 $pid 2>/dev/null || fail "the search ended before it could be killed"
    wait $pid 2>/dev/null
    done_before=$(journal_numbers "$TMP/k.db" | wc -w)
    [ "$done_before" -ge 4 ] && [ "$done_before" -lt 24 ] || fail "killed after $done_before trials"
    expect_no_file "$TMP/k.plumb"
    run "$PLUMB" tune "${args[@]}" -o "$TMP/k.plumb" --journal "$TMP/k.db"
    expect_rc 0
    printf '%s' "$out" >"$TMP/k.json"
    # no trial lost or repeated, and the search is the uninterrupted one
    [ "$(journal_numbers "$TMP/k.db")" = "$(seq -s ' ' 0 23)" ] || fail "journal trials: $(journal_numbers "$TMP/k.db")"
    [ "$(json "$TMP/k.json" 'j["resumed_trials"]')" = "$done_before" ] || fail "resumed count"
    [ "$(stable "$TMP/k.json")" = "$(stable "$TMP/full.json")" ] || fail "the resumed search differs"
    same_model "$TMP/k.plumb" "$TMP/full.plumb" || fail "the resumed search's model differs"
    # a finished journal: running it again trains no trial and gives the same model
    run "$PLUMB" tune "${args[@]}" -o "$TMP/again.plumb" --journal "$TMP/k.db"
    expect_rc 0
    same_model "$TMP/again.plumb" "$TMP/full.plumb" || fail "rerun of a finished search"
    # another search cannot use this journal
    run "$PLUMB" tune "$TMP/train.csv" --target Status --trials 24 $FAST -q --seed 6 -o "$TMP/x.plumb" \
        --journal "$TMP/k.db"
    expect_rc 1
    expect_err_has "$TMP/k.db: journal of another search: it has 'seed: 5' where this search has 'seed: 6'"
    expect_no_file "$TMP/x.plumb"
}

test_tune_other_models_and_random() {
    split_credit
    run "$PLUMB" tune "$TMP/train.csv" --target Status --model tree --trials 6 --folds 3 -o "$TMP/t.plumb" --json -q \
        --sampler random --metric log_loss --prune none
    expect_rc 0
    printf '%s' "$out" >"$TMP/t.json"
    [ "$(json "$TMP/t.json" 'j["model"], j["sampler"], j["metric"], j["higher_is_better"], j["pruned"]')" = \
        "tree random log_loss False 0" ] || fail "tree summary"
    [ "$(json "$TMP/t.json" 'j["best_cv_score"] == min(t["score"] for t in j["history"])')" = "True" ] ||
        fail "log_loss is minimised"
    run "$PLUMB" tune "$TMP/train.csv" --target Status --model logistic --trials 6 --folds 3 -o "$TMP/l.plumb" -q \
        --test "$TMP/test.csv"
    expect_rc 0
    expect_out_line "^best trial [0-9]+: cv roc_auc 0\.[0-9]{6}"
    expect_out_line "^held-out test '.*test.csv' \(891 rows\): roc_auc 0\.[0-9]{6}  \(unbiased"
    # regression: rmse by default, k-fold
    run "$PLUMB" tune "$TMP/train.csv" --target Amount --trials 4 $FAST -o "$TMP/r.plumb" --json -q
    expect_rc 0
    printf '%s' "$out" >"$TMP/r.json"
    [ "$(json "$TMP/r.json" 'j["metric"], j["strategy"]')" = "rmse kfold" ] || fail "regression defaults"
}

test_tune_space_file() {
    split_credit
    cat >"$TMP/space.json" <<'JSON'
{
  "learning_rate": {"type": "float", "low": 0.05, "high": 0.2, "log": true},
  "num_leaves": {"type": "categorical", "choices": [4, 8]}
}
JSON
    run "$PLUMB" tune "$TMP/train.csv" --target Status --trials 5 $FAST --space "$TMP/space.json" -o "$TMP/m.plumb" \
        --json -q
    expect_rc 0
    printf '%s' "$out" >"$TMP/s.json"
    [ "$(json "$TMP/s.json" 'all(0.05 <= t["params"]["learning_rate"] <= 0.2 and t["params"]["num_leaves"] in (4, 8)
        for t in j["history"]), sorted(j["best_params"])')" = "True ['learning_rate', 'num_leaves']" ] ||
        fail "the space file is not what was searched"
}

test_tune_bad_input() {
    split_credit
    printf '{\n  "num_leaves": {"type": "int", "low": 1, "high": 8}\n}\n' >"$TMP/bad.json"
    run "$PLUMB" tune "$TMP/train.csv" --target Status --space "$TMP/bad.json" -o "$TMP/m.plumb" \
        --report "$TMP/r.html" --journal "$TMP/j.db"
    expect_rc 1
    expect_err "$TMP/bad.json:2:33: 'num_leaves': low 1 is outside the values a gbdt model takes: [2, 131072]"
    expect_no_file "$TMP/m.plumb"
    expect_no_file "$TMP/r.html"
    expect_no_file "$TMP/r.json"
    run "$PLUMB" tune "$TMP/train.csv" --target Status --sampler grid -o "$TMP/m.plumb"
    expect_rc 2
    expect_err_has "unknown sampler 'grid' (expected tpe or random)"
    run "$PLUMB" tune "$TMP/train.csv" --target Status
    expect_rc 2
    expect_err_has "no output: name the tuned model's file with -o"
    run "$PLUMB" tune "$TMP/train.csv" --target Status -o "$TMP/m.plumb" --learning-rate 0.1
    expect_rc 2
    run "$PLUMB" tune "$TMP/train.csv" --target Status -o "$TMP/m.plumb" --folds 1
    expect_rc 2
    run "$PLUMB" tune "$TMP/train.csv" --target Status -o "$TMP/m.plumb" --metric rmse
    expect_rc 2
    expect_err_has "unknown metric 'rmse' for a binary target"
    run "$PLUMB" tune "$TMP/train.csv" --target Nope -o "$TMP/m.plumb"
    expect_rc 1
    expect_err "$TMP/train.csv:1:1: target column 'Nope' not found in header"
    run "$PLUMB" tune "$TMP/train.csv" --target Status -o "$TMP/m.plumb" --trials 2 $FAST --test "$TMP/nope.csv" -q \
        --journal "$TMP/j.db"
    expect_rc 1
    expect_err "plumb: cannot open '$TMP/nope.csv': No such file or directory"
    expect_no_file "$TMP/m.plumb"
    expect_no_file "$TMP/j.db"
}

# a busy machine may finish only the first trial within the second: the budget is checked before each trial
test_tune_time_budget() {
    split_credit
    run "$PLUMB" tune "$TMP/train.csv" --target Status --trials 1000 $FAST --time-budget 1 -o "$TMP/m.plumb" --json
    expect_rc 0
    printf '%s' "$out" >"$TMP/s.json"
    [ "$(json "$TMP/s.json" '1 <= j["trials"] < 1000')" = "True" ] || fail "the budget did not stop the search"
    expect_err_has "time budget of 1 s used: stopping after"
}

"$@"
