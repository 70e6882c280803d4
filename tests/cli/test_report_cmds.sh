#!/bin/bash
# --report on train, cv, eval and audit, plumb demo credit (fast mode) and plumb site: the files appear, the JSON
# record beside each report holds the same numbers the command prints, and an error leaves no partial report.
. "$(dirname "$0")/lib.sh"

CREDIT="$SRC/examples/credit/credit_data.csv"
PY=/usr/bin/python3

# json_get FILE EXPR: prints the Python expression EXPR evaluated on the JSON file as d.
json_get() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

need_python() { "$PY" -c "import json" 2>/dev/null || { echo "SKIP: no $PY"; exit 0; }; }

test_report_train() {
    need_python
    run "$PLUMB" train "$CREDIT" --target Status --positive-class bad --valid-fraction 0.25 --num-iterations 40 -q \
        -o "$TMP/m.plumb" --report "$TMP/train.html"
    expect_rc 0
    [ -s "$TMP/train.html" ] || fail "no train.html"
    [ "$(json_get "$TMP/train.json" 'd["plumb_run"], d["kind"], d["data"]["positive_class"]')" = "1 train bad" ] ||
        fail "bad record header"
    [ "$(json_get "$TMP/train.json" 'len(d["learning_curve"]["valid"]), d["model"]["n_trees"]')" = "40 40" ] ||
        fail "learning curve"
    [ "$(json_get "$TMP/train.json" 'len(d["importance"]), round(sum(f["gain_share"] for f in d["importance"]), 9), all(f["shap_mean_abs"] >= 0 for f in d["importance"])')" = "13 1.0 True" ] ||
        fail "importance"
    [ "$(json_get "$TMP/train.json" 'd["evaluations"][0]["name"], 0.5 < d["evaluations"][0]["metrics"]["roc_auc"] < 1, sorted(d["evaluations"][0]["curves"])')" = "validation True ['calibration', 'gain', 'pr', 'roc', 'score_hist']" ] ||
        fail "validation evaluation"
}

test_report_eval_matches_eval_json() {
    need_python
    "$PLUMB" train "$CREDIT" --target Status --positive-class bad --num-iterations 20 -q -o "$TMP/m.plumb" || fail "train"
    run "$PLUMB" eval "$TMP/m.plumb" "$CREDIT" --json --report "$TMP/eval.html"
    expect_rc 0
    echo "$out" > "$TMP/eval_stdout.json"
    [ -s "$TMP/eval.html" ] || fail "no eval.html"
    a=$(json_get "$TMP/eval_stdout.json" 'repr(d["metrics"]["roc_auc"]), repr(d["metrics"]["brier"])')
    b=$(json_get "$TMP/eval.json" 'repr(d["evaluations"][0]["metrics"]["roc_auc"]), repr(d["evaluations"][0]["metrics"]["brier"])')
    [ "$a" = "$b" ] || fail "report metrics $b differ from eval --json $a"
    # the confusion matrix and the histogram count every row once
    [ "$(json_get "$TMP/eval.json" 'sum(d["evaluations"][0]["confusion"].values()), sum(d["evaluations"][0]["curves"]["score_hist"]["positive"]) + sum(d["evaluations"][0]["curves"]["score_hist"]["negative"])')" = "4454.0 4454.0" ] ||
        fail "confusion or histogram does not count 4454 rows"
    # the ROC curve is thinned but keeps its ends
    [ "$(json_get "$TMP/eval.json" '(len(d["evaluations"][0]["curves"]["roc"]["fpr"]) <= 256, d["evaluations"][0]["curves"]["roc"]["fpr"][0], d["evaluations"][0]["curves"]["roc"]["tpr"][-1])')" = "(True, 0.0, 1.0)" ] ||
        fail "roc curve"
}

test_report_cv_matches_cv_json() {
    need_python
    run "$PLUMB" cv "$CREDIT" --target Status --positive-class bad -k 3 --num-iterations 20 -q --json \
        --report "$TMP/cv.html"
    expect_rc 0
    echo "$out" > "$TMP/cv_stdout.json"
    [ -s "$TMP/cv.html" ] || fail "no cv.html"
    a=$(json_get "$TMP/cv_stdout.json" '[f["metrics"]["roc_auc"] for f in d["per_fold"]], d["oof"]["metrics"]["roc_auc"]')
    b=$(json_get "$TMP/cv.json" 'd["folds"]["metrics"]["roc_auc"], d["evaluations"][0]["metrics"]["roc_auc"]')
    [ "$a" = "$b" ] || fail "report folds $b differ from cv --json $a"
    [ "$(json_get "$TMP/cv.json" 'd["kind"], d["folds"]["strategy"], d["evaluations"][0]["name"]')" = "cv stratified out-of-fold" ] ||
        fail "cv record"
    # issue 23 item 8: the settings of the folds' models, and the negative class by its name
    [ "$(json_get "$TMP/cv.json" 'd["model"]["settings"]["num_iterations"], d["model"]["settings"]["negative_class"]')" = \
        "20 good" ] || fail "cv settings: $(json_get "$TMP/cv.json" 'd["model"]')"
    grep -qF 'ranks a random bad case above a random good one' "$TMP/cv.html" || fail "cv: negative class not named"
}

# regression: a positive regression target adds the Poisson and Gamma deviances to the out-of-fold metrics, and the
# record read the fold values with that longer metric count, past the end of the folds' array
test_report_cv_regression_folds_match_cv_json() {
    need_python
    run "$PLUMB" cv "$CREDIT" --target Amount -k 3 --num-iterations 10 -q --json --report "$TMP/cv.html"
    expect_rc 0
    echo "$out" > "$TMP/cv_stdout.json"
    a=$(json_get "$TMP/cv_stdout.json" '{m: [f["metrics"][m] for f in d["per_fold"]] for m in d["mean"]}, sorted(d["oof"]["metrics"])')
    b=$(json_get "$TMP/cv.json" 'd["folds"]["metrics"], sorted(d["evaluations"][0]["metrics"])')
    [ "$a" = "$b" ] || fail "report folds $b differ from cv --json $a"
}

test_report_audit() {
    need_python
    "$PLUMB" synth credit --rows 3000 --seed 2 -o "$TMP/t.csv" --schema-out "$TMP/s.json" || fail "synth"
    run "$PLUMB" audit "$TMP/t.csv" --schema "$TMP/s.json" --target status --positive-class bad -q \
        --report "$TMP/audit.html" --json
    expect_rc 3
    [ -s "$TMP/audit.html" ] || fail "no audit.html"
    a=$(json_get "$TMP/out" '[f["title"] for f in d["findings"]]')
    b=$(json_get "$TMP/audit.json" '[f["title"] for f in d["audit"]["findings"]]')
    [ "$a" = "$b" ] || fail "the record's audit differs from --json"
    [ "$(json_get "$TMP/audit.json" 'd["kind"], d["data"]["rows"]')" = "audit 3000" ] || fail "audit record"
}

test_report_no_partial_file_on_error() {
    "$PLUMB" train "$CREDIT" --target Status --num-iterations 5 -q -o "$TMP/m.plumb" || fail "train"
    printf 'Status,Income\ngood,abc\n' > "$TMP/bad.csv"
    run "$PLUMB" eval "$TMP/m.plumb" "$TMP/bad.csv" --report "$TMP/r.html"
    expect_rc 1
    expect_no_file "$TMP/r.html"
    expect_no_file "$TMP/r.json"
    run "$PLUMB" train "$CREDIT" --target Status --num-iterations 5 -q -o "$TMP/m2.plumb" \
        --report "$TMP/no/such/dir/r.html"
    expect_rc 2
    expect_no_file "$TMP/m2.plumb"
    expect_no_file "$TMP/no/such/dir/r.json"
    run "$PLUMB" cv "$CREDIT" --target Nope --report "$TMP/c.html"
    expect_rc 1
    expect_no_file "$TMP/c.html"
    expect_no_file "$TMP/c.json"
}

# issue 23 item 7: a regression report shows predicted against actual, residuals against the prediction and over
# time, and the error by segment; the numbers behind the segments add up to the evaluation's own.
test_report_regression() {
    need_python
    local chicago="$SRC/examples/chicago/chicago_ridership.csv"
    mkdir -p "$TMP/in"
    run "$PLUMB" train "$chicago" --target ridership --time-col date --valid-fraction 0.2 --num-iterations 30 -q \
        -o "$TMP/m.plumb" --report "$TMP/in/train.html"
    expect_rc 0
    local r="$TMP/in/train.json"
    [ "$(json_get "$r" 'len((g:=d["evaluations"][0]["regression"])["points"]["predicted"]), len(g["points"]["actual"]), len(g["points"]["time"]), g["time_name"], g["time_unit"], [s["by"] for s in g["segments"]]')" = \
        "300 300 300 date year ['decile of the prediction', 'year of date']" ] ||
        fail "regression record: $(json_get "$r" 'd["evaluations"][0].get("regression", {}).keys()')"
    # the validation rows are the latest fifth: from 2013 on, and every one in a decile and in a year
    [ "$(json_get "$r" '(g:=d["evaluations"][0]["regression"]) and [sum(s["rows"]) == d["evaluations"][0]["rows"] for s in g["segments"]], g["segments"][1]["labels"][0], min(g["points"]["time"]) >= 2013')" = \
        "[True, True] 2013 True" ] || fail "segments do not cover the validation rows"
    # the mean absolute error of the groups, weighted by their rows, is the evaluation's MAE
    [ "$(json_get "$r" '(s:=(e:=d["evaluations"][0])["regression"]["segments"][0]) and abs(sum(a*b for a, b in zip(s["rows"], s["mae"])) / sum(s["rows"]) - e["metrics"]["mae"]) < 1e-9')" = "True" ] ||
        fail "decile errors do not add up to the MAE"
    for title in "Predicted against actual: gbdt, validation" "Residuals against the prediction: gbdt, validation" \
        "Residuals over time: gbdt, validation" "Error by decile of the prediction: gbdt, validation" \
        "Error by year of date: gbdt, validation"; do
        grep -qF "<title id=\"chart-" "$TMP/in/train.html" && grep -qF ">$title</title>" "$TMP/in/train.html" ||
            fail "no chart '$title'"
    done
    grep -qF '>date (year)</text>' "$TMP/in/train.html" || fail "time axis not labelled"
    # eval on later days: the rows' dates come from the data file
    "$PLUMB" eval "$TMP/m.plumb" "$chicago" --report "$TMP/eval.html" >/dev/null || fail "eval"
    [ "$(json_get "$TMP/eval.json" '(g:=d["evaluations"][0]["regression"])["time_name"], len(g["points"]["time"]), [s["by"] for s in g["segments"]]')" = \
        "date 300 ['decile of the prediction', 'year of date']" ] || fail "eval: no regression over time"
    # the site's card shows R² and a predicted-against-actual chart
    run "$PLUMB" site "$TMP/in" -o "$TMP/site"
    expect_rc 0
    grep -qE 'class="metric">0\.[0-9]{3}<small>R², validation</small>' "$TMP/site/index.html" || fail "no R² on the card"
    grep -qF '<title id="roc0-t">Predicted against actual</title>' "$TMP/site/index.html" || fail "no card chart"
}

# issue 23 item 8: the report states the settings the model was trained with, read from the model, and calls the
# negative class by its name.
test_report_settings() {
    need_python
    run "$PLUMB" train "$CREDIT" --target Status --positive-class bad --valid-fraction 0.25 --num-iterations 40 \
        --learning-rate 0.05 --num-leaves 15 --monotone Income:-1,Assets:-1 -q -o "$TMP/m.plumb" \
        --report "$TMP/train.html"
    expect_rc 0
    [ "$(json_get "$TMP/train.json" '(s:=d["model"]["settings"])["objective"], s["num_iterations"], s["learning_rate"], s["num_leaves"], sorted(s["monotone"].items()), s["calibration"], s["positive_class"], s["negative_class"]')" = \
        "binary 40 0.05 15 [('Assets', -1), ('Income', -1)] none bad good" ] ||
        fail "settings: $(json_get "$TMP/train.json" 'd["model"].get("settings")')"
    grep -qF 'learning rate <span class="key">learning_rate</span></td><td>0.05</td>' "$TMP/train.html" ||
        fail "no learning rate in the page"
    grep -qE '<td>(Assets|Income) decreasing, (Assets|Income) decreasing</td>' "$TMP/train.html" ||
        fail "no monotone constraints in the page"
    grep -qF 'probability calibration <span class="key">calibration</span></td><td>none</td>' "$TMP/train.html" ||
        fail "calibration not stated"
    grep -qF 'ranks a random bad case above a random good one' "$TMP/train.html" || fail "negative class not named"
    grep -qF '<dt>negative class</dt><dd>good</dd>' "$TMP/train.html" || fail "no negative class fact"
    grep -q '>other<' "$TMP/train.html" && fail "the negative class is called other"
    # eval with the model names it too; a tree states its class weights, a logistic model its penalty
    run "$PLUMB" eval "$TMP/m.plumb" "$CREDIT" --report "$TMP/eval.html"
    expect_rc 0
    grep -qF 'ranks a random bad case above a random good one' "$TMP/eval.html" || fail "eval: negative class"
    # eval of a predictions file, without the model: the class comes from the data
    "$PLUMB" predict "$TMP/m.plumb" "$CREDIT" -o "$TMP/p.csv" 2>/dev/null || fail "predict"
    "$PLUMB" eval --pred "$TMP/p.csv" --data "$CREDIT" --target Status --report "$TMP/pe.html" >/dev/null || fail "eval --pred"
    [ "$(json_get "$TMP/pe.json" 'd["data"]["negative_class"]')" = "good" ] || fail "eval --pred: no negative class"
    grep -qF 'ranks a random bad case above a random good one' "$TMP/pe.html" || fail "eval --pred: negative class"
    "$PLUMB" train "$CREDIT" --target Status --positive-class bad --model tree --max-depth 4 --class-weight bad=3,good=1 \
        -q -o "$TMP/t.plumb" --report "$TMP/tree.html" >/dev/null || fail "train tree"
    [ "$(json_get "$TMP/tree.json" '(s:=d["model"]["settings"])["max_depth"], s["class_weight"], s["criterion"]')" = \
        "4 [1.0, 3.0] gini" ] || fail "tree settings: $(json_get "$TMP/tree.json" 'd["model"].get("settings")')"
    "$PLUMB" train "$CREDIT" --target Status --positive-class bad --model logistic --class-weight balanced -q \
        -o "$TMP/l.plumb" --report "$TMP/logistic.html" >/dev/null || fail "train logistic"
    [ "$(json_get "$TMP/logistic.json" '(s:=d["model"]["settings"])["objective"], s["class_weight"], s["l1_ratio"]')" = \
        "logistic balanced 0.0" ] || fail "logistic settings: $(json_get "$TMP/logistic.json" 'd["model"].get("settings")')"
}

# issue 23 items 4 and 8: a model calibrated on its validation rows is charted on cross-fitted probabilities (the
# rows' own map would look perfect), before and after calibration, with the numbers train prints.
test_report_calibration_cross_fitted() {
    need_python
    run "$PLUMB" train "$CREDIT" --target Status --positive-class bad --valid-fraction 0.25 --num-iterations 40 \
        --calibrate isotonic --seed 3 -o "$TMP/m.plumb" --report "$TMP/train.html"
    expect_rc 0
    local printed
    printed=$(printf '%s\n' "$out" | sed -n 's/.*: log_loss \([0-9.]*\) -> \([0-9.]*\),.*/\1 \2/p')
    [ -n "$printed" ] || fail "train printed no judgement of the calibration: $out"
    [ "$(json_get "$TMP/train.json" '" ".join("%.6f" % e["metrics"]["log_loss"] for e in d["evaluations"])')" = "$printed" ] ||
        fail "report log-loss $(json_get "$TMP/train.json" '[e["metrics"]["log_loss"] for e in d["evaluations"]]') differs from the printed $printed"
    [ "$(json_get "$TMP/train.json" '[e["name"] for e in d["evaluations"]], d["model"]["settings"]["calibration"]')" = \
        "['validation, before calibration', 'validation, calibrated (isotonic, cross-fitted)'] isotonic" ] ||
        fail "evaluations: $(json_get "$TMP/train.json" '[e["name"] for e in d["evaluations"]]')"
    grep -qF '>gbdt, validation, calibrated (isotonic, cross-fitted)</text>' "$TMP/train.html" ||
        fail "no cross-fitted series in the legends"
}

test_demo_credit_fast() {
    need_python
    run "$PLUMB" demo credit --rows 4000 --seed 3 -o "$TMP/demo"
    expect_rc 0
    expect_out_line "^credit-scoring case study: 4000 applications"
    expect_out_line "^naive model +0\.[0-9]{3} +0\.[0-9]{3}$"
    expect_out_line "^clean model +0\.[0-9]{3} +0\.[0-9]{3}$"
    expect_out_has "critical  'collections_amount' alone predicts the target"
    expect_out_has "report: $TMP/demo/report.html"
    # regression: ids of frames taken from one file were all reported as shared between train and test
    grep -q "share an id" "$TMP/out" && fail "spurious id overlap"
    [ -s "$TMP/demo/report.html" ] || fail "no report.html"
    for f in naive.plumb clean.plumb credit_warehouse.csv credit_decision.csv schema_clean.json truth.json; do
        [ -s "$TMP/demo/$f" ] || fail "no $f"
    done
    r="$TMP/demo/report.json"
    [ "$(json_get "$r" 'd["kind"], len(d["evaluations"]), sorted(d["narrative"]), len(d["audit"]["findings"]) > 0')" = \
        "case_study 4 ['approach', 'decision', 'problem', 'rationale', 'results', 'risks', 'validation'] True" ] ||
        fail "case study record"
    # the story: the naive model wins offline and loses out of time
    [ "$(json_get "$r" '(d["comparison"][0]["offline"] > 0.95, d["comparison"][0]["offline"] > d["comparison"][1]["offline"], d["comparison"][1]["out_of_time"] > d["comparison"][0]["out_of_time"] + 0.03)')" = \
        "(True, True, True)" ] || fail "comparison: $(json_get "$r" 'd["comparison"]')"
    grep -q '"refusal": "feature' "$r" || fail "no refusal of a late-known feature"
    # issue 23: the story claims nothing that does not exist (plumb has no monitoring yet)
    grep -qi 'monitor' "$r" "$TMP/demo/report.html" && fail "the case study claims monitoring"
    grep -q '"available_after_days": 30' "$TMP/demo/schema_clean.json" || fail "clean schema"
}

test_demo_errors() {
    run "$PLUMB" demo nope
    expect_rc 2
    expect_err_has "plumb demo: unknown case study 'nope' (expected credit or realtime)"
    run "$PLUMB" demo credit --rows 100
    expect_rc 2
    expect_err_has "option '--rows' expects an integer of at least 2000, got '100'"
}

test_site_index_and_pages() {
    mkdir -p "$TMP/in/credit"
    "$PLUMB" train "$CREDIT" --target Status --positive-class bad --valid-fraction 0.25 --num-iterations 10 -q \
        -o "$TMP/m.plumb" --report "$TMP/in/credit/train.html" || fail "train"
    "$PLUMB" eval "$TMP/m.plumb" "$CREDIT" --report "$TMP/in/eval.html" >/dev/null || fail "eval"
    printf '{"plumb_schema": 1, "columns": []}\n' > "$TMP/in/schema.json" # JSON that is not a run record
    printf '# About me\n\nI build **models that hold up**.\n\n| a | b |\n|---|---|\n\n<script>alert(1)</script>\n' \
        > "$TMP/in/about.md"
    run "$PLUMB" site "$TMP/in" -o "$TMP/site"
    expect_rc 0
    expect_out_has "site written to '$TMP/site/index.html': 2 reports, 1 page"
    grep -q '<a class="card" href="reports/credit-train.html"' "$TMP/site/index.html" || fail "no card for train"
    grep -q '<a class="card" href="reports/eval.html"' "$TMP/site/index.html" || fail "no card for eval"
    grep -q '<a href="about.html">About me</a>' "$TMP/site/index.html" || fail "no link to the page"
    grep -q '<polyline' "$TMP/site/index.html" || fail "no ROC chart"
    cmp -s "$TMP/in/eval.html" "$TMP/site/reports/eval.html" || fail "report not copied"
    [ -s "$TMP/site/reports/credit-train.json" ] || fail "record not copied"
    grep -q '<h1>About me</h1>' "$TMP/site/about.html" || fail "heading not rendered"
    grep -q '<strong>models that hold up</strong>' "$TMP/site/about.html" || fail "markdown not rendered"
    grep -q '<script' "$TMP/site/about.html" && fail "raw HTML passed through"
    true
}

test_site_errors() {
    mkdir -p "$TMP/empty"
    run "$PLUMB" site "$TMP/empty" -o "$TMP/site"
    expect_rc 1
    expect_err "plumb: '$TMP/empty' holds no report (x.html with its run record x.json) and no *.md page"
    run "$PLUMB" site "$TMP/none" -o "$TMP/site"
    expect_rc 1
    expect_err_has "cannot open folder '$TMP/none'"
}

# 65 calendar years are more than the 64 year labels a chart takes: tenths of the time range instead (a heap
# overflow wrote a 65th label before)
test_report_regression_many_years() {
    /usr/bin/python3 - "$TMP" <<'PYEOF'
import random, sys
random.seed(1)
with open(sys.argv[1] + "/d.csv", "w") as d, open(sys.argv[1] + "/p.csv", "w") as p:
    d.write("date,y\n")
    p.write("prediction\n")
    for i in range(300):
        date = "1950-08-01" if i == 0 else "2014-06-01" if i == 299 else "%d-%02d-01" % (1950 + i * 65 // 300, 1 + i % 12)
        y = random.random() * 10
        d.write("%s,%.3f\n" % (date, y))
        p.write("%.3f\n" % (y + random.random()))
PYEOF
    run "$PLUMB" eval --pred "$TMP/p.csv" --data "$TMP/d.csv" --target y --report "$TMP/r.html" -q
    expect_rc 0
    grep -q '"by": "tenth of date"' "$TMP/r.json" || fail "no tenths of the time range"
    if grep -q '"by": "year of date"' "$TMP/r.json"; then fail "65 year labels"; fi
}

# the validation evaluation of a train report is weighted by the weight column, as eval's
test_report_train_validation_is_weighted() {
    local credit="$SRC/examples/credit/credit_data.csv"
    awk -F, 'BEGIN { OFS = "," } NR == 1 { print $0, "w"; next } { print $0, (NR % 3 == 0 ? 4 : 1) }' "$credit" \
        >"$TMP/cw.csv"
    head -n 3001 "$TMP/cw.csv" >"$TMP/train.csv"
    { head -n 1 "$TMP/cw.csv"; tail -n +3002 "$TMP/cw.csv"; } >"$TMP/valid.csv"
    run "$PLUMB" train "$TMP/train.csv" --target Status --weight-col w --valid "$TMP/valid.csv" -q \
        --report "$TMP/t.html" -o "$TMP/m.plumb"
    expect_rc 0
    local rec ev
    rec=$(grep -m 1 '"roc_auc"' "$TMP/t.json" | tr -d ' ,')
    ev=$("$PLUMB" eval "$TMP/m.plumb" "$TMP/valid.csv" --weight-col w --json | grep -m 1 '"roc_auc"' | tr -d ' ,')
    [ -n "$rec" ] && [ "$rec" = "$ev" ] || fail "report's validation $rec, eval's weighted $ev"
}

"$@"
