#!/usr/bin/env bash
# test_distill.sh -- `plumb distill`: the ladder table, the chosen student as a working model, the report and JSON,
# every kind of teacher, bad input with no output left behind.
source "$(dirname "$0")/lib.sh"

MODELS="$DATA/models"
CREDIT="$SRC/examples/credit/credit_data.csv"

test_distill_ladder_table_and_student() {
    run "$PLUMB" distill "$MODELS/gbdt_binary.plumb" "$MODELS/credit300.csv" -o "$TMP/s.plumb" \
        --ladder 4x20,linear --num-leaves 8 --num-iterations 30 -t 2
    expect_rc 0
    expect_out_line "^trained on [0-9]+ rows of $MODELS/credit300.csv, measured on [0-9]+ held-out rows \(0.2 of th"
    expect_out_line "^  model +bytes +roc_auc +agreement +raw rmse +us/row +us/row batch +train s$"
    expect_out_line "^  teacher +81155 +0\.[0-9]{4} +1\.0000 +0 "
    expect_out_line "^  gbdt 4x20 +[0-9]+ +0\.[0-9]{4} +0\.[0-9]{4} "
    expect_out_line "^  logistic +[0-9]+ +0\.[0-9]{4} +0\.[0-9]{4} "
    expect_out_line "^\* gbdt 8x30 +[0-9]+ +0\.[0-9]{4} +0\.[0-9]{4} "
    expect_out_line "^wrote $TMP/s.plumb: the gbdt 8x30 student \(\*\)$"
    # the chosen student is an ordinary binary model of the teacher's target: predict, eval
    run "$PLUMB" predict "$TMP/s.plumb" "$MODELS/credit300.csv" -o "$TMP/p.csv"
    expect_rc 0
    [ "$(head -n 1 "$TMP/p.csv")" = "p_bad" ] || fail "the student does not predict P(bad)"
    awk -F, 'NR > 1 && ($1 <= 0 || $1 >= 1) { exit 1 }' "$TMP/p.csv" || fail "not probabilities"
    run "$PLUMB" eval "$TMP/s.plumb" "$MODELS/credit300.csv"
    expect_rc 0
    expect_out_line "^roc_auc +0\.[89]"
}

# On the credit table, a teacher trained on 80% of the rows and a student of 15 leaves x 100 trees judged on the
# other 20%: the student's AUC within 0.01 of the teacher's and 90% agreement (measured: teacher 0.8127, student
# 0.8284, agreement 0.934).
test_distill_student_close_to_teacher_on_credit() {
    "$PLUMB" split "$CREDIT" --train "$TMP/train.csv" --test "$TMP/test.csv" --strategy stratified \
        --target Status -q || fail "split"
    "$PLUMB" train "$TMP/train.csv" --target Status -o "$TMP/t.plumb" -q -t 2 --num-iterations 300 \
        --num-leaves 63 --learning-rate 0.03 >/dev/null || fail "train"
    run "$PLUMB" distill "$TMP/t.plumb" "$TMP/train.csv" --valid "$TMP/test.csv" -o "$TMP/s.plumb" \
        --num-leaves 15 --num-iterations 100 --ladder none --json -t 2
    expect_rc 0
    python3 - "$TMP/out" <<'EOF' || fail "the student is not close to the teacher"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["metric"] == "roc_auc" and r["valid_rows"] == 891, r
t, s = r["models"]
assert t["teacher"] and not t["chosen"] and s["chosen"] and s["name"] == "gbdt 15x100", r
assert t["metric"] > 0.80 and s["metric"] > t["metric"] - 0.01, (t["metric"], s["metric"])
assert s["agreement"] > 0.90 and s["raw_rmse"] < 1.0, s
assert s["bytes"] < t["bytes"] / 5 and s["us_row"] < t["us_row"], (s, t)
EOF
}

test_distill_report() {
    run "$PLUMB" distill "$MODELS/gbdt_binary.plumb" "$MODELS/credit300.csv" -o "$TMP/s.plumb" \
        --ladder 4x20,linear --report "$TMP/r.html" -t 2
    expect_rc 0
    expect_err_has "wrote $TMP/r.html"
    [ -s "$TMP/r.html" ] && [ -s "$TMP/r.json" ] || fail "no report"
    grep -q '"kind": "distill"' "$TMP/r.json" || fail "the record is not of kind distill"
    grep -q 'Students against the teacher' "$TMP/r.html" || fail "no table of students"
    grep -q '<strong>gbdt 31x100</strong> (chosen)' "$TMP/r.html" || fail "the chosen student is not marked"
    [ "$(grep -c '<svg' "$TMP/r.html")" -eq 3 ] || fail "expected 3 charts"
    grep -q 'The chosen student, gbdt 31x100, scores ROC AUC' "$TMP/r.html" || fail "no summary"
    # the record renders again the same way through plumb report
    run "$PLUMB" report "$TMP/r.json" -o "$TMP/again.html"
    expect_rc 0
    cmp -s "$TMP/r.html" "$TMP/again.html" || fail "plumb report renders the record differently"
}

test_distill_every_kind_of_teacher() {
    for t in gbdt_multiclass gbdt_poisson gbdt_q gbdt_calibrated linear logistic tree_binary tree_regression; do
        run "$PLUMB" distill "$MODELS/$t.plumb" "$MODELS/credit300.csv" -o "$TMP/$t.plumb" --ladder none \
            --num-leaves 8 --num-iterations 20 -t 2
        expect_rc 0
        expect_out_line "^wrote $TMP/$t.plumb: the gbdt 8x20 student \(\*\)$"
        # the same columns of predictions as the teacher's (p_bad; one per class; the value)
        "$PLUMB" predict "$TMP/$t.plumb" "$MODELS/credit300.csv" -o "$TMP/$t.csv" || fail "predict $t"
        "$PLUMB" predict "$MODELS/$t.plumb" "$MODELS/credit300.csv" -o "$TMP/teacher.csv" || fail "predict $t"
        [ "$(head -n 1 "$TMP/$t.csv")" = "$(head -n 1 "$TMP/teacher.csv")" ] || fail "$t: other outputs"
    done
    run "$PLUMB" distill "$MODELS/linear.plumb" "$MODELS/credit300.csv" -o "$TMP/l.plumb" --model linear \
        --ladder none
    expect_rc 0
    expect_out_line "^\* linear "
    run "$PLUMB" distill "$MODELS/tree_binary.plumb" "$MODELS/credit300.csv" -o "$TMP/l2.plumb" --model logistic \
        --ladder 4x20 --labels-weight 0.3
    expect_rc 2
    expect_err_has "--labels-weight with a binary teacher needs a gbdt student: a logistic student fits the teacher's"
    expect_no_file "$TMP/l2.plumb"
    # with --labels-weight the default ladder leaves out the logistic student
    run "$PLUMB" distill "$MODELS/tree_binary.plumb" "$MODELS/credit300.csv" -o "$TMP/l3.plumb" --labels-weight 0.3 \
        --ladder 4x20,linear
    expect_rc 0
    ! grep -q logistic "$TMP/out" || fail "a logistic student with --labels-weight"
}

# most of a small student's file is its bin edges: fewer bins, a smaller file
test_distill_max_bin() {
    "$PLUMB" distill "$MODELS/gbdt_binary.plumb" "$MODELS/credit300.csv" -o "$TMP/a.plumb" --ladder none \
        --num-leaves 4 --num-iterations 10 -q >/dev/null || fail "255 bins"
    "$PLUMB" distill "$MODELS/gbdt_binary.plumb" "$MODELS/credit300.csv" -o "$TMP/b.plumb" --ladder none \
        --num-leaves 4 --num-iterations 10 --max-bin 8 -q >/dev/null || fail "8 bins"
    [ "$(stat -c %s "$TMP/b.plumb")" -lt "$(stat -c %s "$TMP/a.plumb")" ] || fail "fewer bins, no smaller file"
    run "$PLUMB" distill "$MODELS/gbdt_binary.plumb" "$MODELS/credit300.csv" -o "$TMP/c.plumb" --max-bin 70000
    expect_rc 1
    expect_err "plumb: max_bin must be between 2 and 65535"
    expect_no_file "$TMP/c.plumb"
}

test_distill_usage_errors() {
    S="$MODELS/gbdt_binary.plumb"
    D="$MODELS/credit300.csv"
    run "$PLUMB" distill "$S" "$D"
    expect_rc 2
    expect_err_has "missing option '--output FILE'"
    run "$PLUMB" distill "$S" "$D" -o "$TMP/s.plumb" --labels-weight 1
    expect_rc 2
    expect_err_has "option '--labels-weight' expects a share in [0, 1), got '1'"
    run "$PLUMB" distill "$S" "$D" -o "$TMP/s.plumb" --ladder 31x100,3y4
    expect_rc 2
    expect_err_has "option '--ladder' expects LEAVESxITERATIONS (e.g. 31x100) or linear, got '3y4'"
    run "$PLUMB" distill "$S" "$D" -o "$TMP/s.plumb" --model forest
    expect_rc 2
    expect_err_has "option '--model' expects gbdt, logistic or linear, got 'forest'"
    run "$PLUMB" distill "$S" "$D" -o "$TMP/s.plumb" --model logistic --num-leaves 8
    expect_rc 2
    expect_err_has "--num-leaves and --num-iterations size a gbdt student, not --model logistic"
    run "$PLUMB" distill "$S" "$D" -o "$TMP/s.plumb" --model linear
    expect_rc 2
    expect_err_has "a binary teacher's linear student is --model logistic"
    run "$PLUMB" distill "$MODELS/gbdt_multiclass.plumb" "$D" -o "$TMP/s.plumb" --model logistic
    expect_rc 2
    expect_err_has "a multiclass teacher needs a gbdt student: linear models are binary or regression"
    run "$PLUMB" distill "$S" "$D" -o "$TMP/s.plumb" --valid "$D" --valid-fraction 0.3
    expect_rc 2
    expect_err_has "give --valid or --valid-fraction, not both"
    run "$PLUMB" distill "$S" "$D" -o "$D"
    expect_rc 2
    expect_no_file "$TMP/s.plumb"
}

test_distill_bad_input_leaves_no_file() {
    # a teacher that is not a model file
    run "$PLUMB" distill "$MODELS/credit300.csv" "$MODELS/credit300.csv" -o "$TMP/s.plumb"
    expect_rc 1
    expect_err "$MODELS/credit300.csv: not a plumb model file"
    expect_no_file "$TMP/s.plumb"
    # data without the teacher's columns
    cut -d, -f1-3 "$MODELS/credit300.csv" >"$TMP/few.csv"
    run "$PLUMB" distill "$MODELS/gbdt_binary.plumb" "$TMP/few.csv" -o "$TMP/s.plumb" --report "$TMP/r.html"
    expect_rc 1
    expect_err "$TMP/few.csv: no column 'Time', which the teacher reads"
    expect_no_file "$TMP/s.plumb"
    expect_no_file "$TMP/r.html"
    # a bad value in the data: file:line:column
    awk -F, -v OFS=, 'NR == 5 { $2 = "abc" } 1' "$MODELS/credit300.csv" >"$TMP/bad.csv"
    run "$PLUMB" distill "$MODELS/gbdt_binary.plumb" "$TMP/bad.csv" -o "$TMP/s.plumb"
    expect_rc 1
    expect_err "$TMP/bad.csv:5:6: bad number 'abc' in column 'Seniority'"
    expect_no_file "$TMP/s.plumb"
    # --labels-weight on data without the target column
    cut -d, -f2- "$MODELS/credit300.csv" >"$TMP/nolabel.csv"
    run "$PLUMB" distill "$MODELS/gbdt_binary.plumb" "$TMP/nolabel.csv" -o "$TMP/s.plumb" --labels-weight 0.5
    expect_rc 1
    expect_err "plumb: labels_weight needs the target column 'Status' in the data"
    expect_no_file "$TMP/s.plumb"
    # without labels and without the weight, the student learns from the teacher alone; the table has no metric
    run "$PLUMB" distill "$MODELS/gbdt_binary.plumb" "$TMP/nolabel.csv" -o "$TMP/s.plumb" --ladder none
    expect_rc 0
    expect_out_line "^  model +bytes +- +agreement "
    expect_out_line "^\* gbdt 31x100 +[0-9]+ +- +0\.[0-9]{4} "
}

"$@"
