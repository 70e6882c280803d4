#!/usr/bin/env bash
# test_import.sh -- `plumb import`: XGBoost and LightGBM models predict what their own library predicted (golden
# files from tests/parity/import_goldens.py, to 1e-6), and every broken file gets a clear error, exit 1, no output.
source "$(dirname "$0")/lib.sh"

GOLD="$DATA/import"

# same_numbers GOT WANT: the last columns of GOT (a CSV with a header) equal WANT's rows (no header) to 1e-6
same_numbers() {
    tail -n +2 "$1" >"$TMP/got"
    [ "$(wc -l <"$TMP/got")" -eq "$(wc -l <"$2")" ] || fail "$1: $(wc -l <"$TMP/got") rows, expected $(wc -l <"$2")"
    awk -F, 'NR == FNR { n = NF; for (j = 1; j <= NF; j++) w[FNR, j] = $j; next }
        { for (j = 1; j <= n; j++) { d = $(NF - n + j) - w[FNR, j]; if (d < 0) d = -d; if (d > m) m = d } }
        END { if (m > 1e-6) { printf "max difference %.3g\n", m; exit 1 } }' "$2" "$TMP/got" ||
        fail "$1 differs from $2"
}

# parity LIB TASK: import the golden model, predict its data, compare with the library's own predictions
parity() {
    local ext=json
    [ "$1" = lightgbm ] && ext=txt
    local name="${1:0:3}_$2"
    [ "$1" = lightgbm ] && name="lgb_$2"
    run "$PLUMB" import "$GOLD/$name.$ext" --from "$1" -o "$TMP/m.plumb"
    expect_rc 0
    run "$PLUMB" predict "$TMP/m.plumb" "$GOLD/$name.csv" -o "$TMP/p.csv"
    expect_rc 0
    same_numbers "$TMP/p.csv" "$GOLD/$name.pred.csv"
}

test_import_xgboost_binary() { parity xgboost binary; }
test_import_xgboost_regression() { parity xgboost regression; }
test_import_xgboost_multiclass() { parity xgboost multiclass; }
test_import_lightgbm_binary() { parity lightgbm binary; }
test_import_lightgbm_regression() { parity lightgbm regression; }
test_import_lightgbm_multiclass() { parity lightgbm multiclass; }
# values on the thresholds: x <= 0.1 (a double) for the floats around 0.1, zero_as_missing, missing type None
test_import_lightgbm_edges() { parity lightgbm edges; }

# TreeSHAP of the imported model is XGBoost's own pred_contribs (node counts carry XGBoost's cover)
test_import_xgboost_contrib() {
    "$PLUMB" import -q "$GOLD/xgb_binary.json" --from xgboost -o "$TMP/m.plumb" || fail "import"
    run "$PLUMB" predict --contrib "$TMP/m.plumb" "$GOLD/xgb_binary.csv" -o "$TMP/c.csv"
    expect_rc 0
    same_numbers "$TMP/c.csv" "$GOLD/xgb_binary.contrib.csv"
}

# the imported model is an ordinary one: eval reads the target 'label', explain shows importance
test_import_eval_explain() {
    "$PLUMB" import -q "$GOLD/xgb_multiclass.json" --from xgboost -o "$TMP/m.plumb" || fail "import"
    run "$PLUMB" eval "$TMP/m.plumb" "$GOLD/xgb_multiclass.csv"
    expect_rc 0
    expect_out_line '^accuracy +0\.9'
    run "$PLUMB" explain "$TMP/m.plumb"
    expect_rc 0
    expect_out_has "f0"
}

# past ten classes the class names are zero-padded (class k is the k-th in the dictionary's bytewise order), and
# the target is not called 'label' when a feature is (live: Debian's XGBoost trains the model here)
test_import_many_classes_and_label_feature() {
    /usr/bin/python3 - "$TMP" <<'PY' || fail "xgboost"
import sys, numpy as np, xgboost as xgb
d = sys.argv[1]
rng = np.random.default_rng(0)
x = rng.normal(size=(240, 2)).astype(np.float32)
y = np.digitize(x[:, 0] + 0.3 * x[:, 1], np.linspace(-1.5, 1.5, 11)).astype(float)
m = xgb.DMatrix(x, label=y, feature_names=["label", "b"])
bst = xgb.train({"objective": "multi:softprob", "num_class": 12, "max_depth": 3, "nthread": 1}, m, 3)
bst.save_model(f"{d}/m.json")
with open(f"{d}/d.csv", "w") as f:
    f.write("label,b,label_\n")
    for r, c in zip(x, y):
        f.write(f"{float(r[0])!r},{float(r[1])!r},{int(c):02d}\n")
np.savetxt(f"{d}/want.csv", bst.predict(m), delimiter=",", fmt="%.17g")
PY
    run "$PLUMB" import "$TMP/m.json" --from xgboost -o "$TMP/m.plumb"
    expect_rc 0
    run "$PLUMB" predict "$TMP/m.plumb" "$TMP/d.csv" -o "$TMP/p.csv"
    expect_rc 0
    [ "$(head -1 "$TMP/p.csv")" = "prediction,p_00,p_01,p_02,p_03,p_04,p_05,p_06,p_07,p_08,p_09,p_10,p_11" ] ||
        fail "header: $(head -1 "$TMP/p.csv")"
    same_numbers "$TMP/p.csv" "$TMP/want.csv"
    run "$PLUMB" eval "$TMP/m.plumb" "$TMP/d.csv"
    expect_rc 0
    expect_out_line '^accuracy '
}

# bad MSG LIB FILE: importing FILE fails with exactly MSG, exit 1, and leaves no model behind
bad() {
    run "$PLUMB" import "$3" --from "$2" -o "$TMP/out.plumb"
    expect_rc 1
    expect_err "$1"
    expect_no_file "$TMP/out.plumb"
}

# xgb_edit PYTHON: the binary golden model edited by a Python statement on d (the parsed JSON), to $TMP/x.json
xgb_edit() {
    /usr/bin/python3 -c "import json,sys; d = json.load(open(sys.argv[1])); t = d['learner']['gradient_booster']['model']['trees']; $1; json.dump(d, open(sys.argv[2], 'w'))" \
        "$GOLD/xgb_binary.json" "$TMP/x.json" || fail "edit: $1"
}

test_import_xgboost_truncated() {
    head -c 5000 "$GOLD/xgb_binary.json" >"$TMP/x.json"
    bad "$TMP/x.json:1:5000: not an xgboost JSON model: ']' expected near end of file" xgboost "$TMP/x.json"
}

test_import_xgboost_unknown_version() {
    xgb_edit "d['version'] = [9, 0, 0]"
    bad "$TMP/x.json: xgboost model: unknown version 9 (plumb reads versions 1 to 3)" xgboost "$TMP/x.json"
}

test_import_xgboost_child_out_of_range() {
    xgb_edit "t[3]['left_children'][0] = 400"
    bad "$TMP/x.json: xgboost model: tree 3: node 0 has children 400 and 2, out of range (23 nodes)" xgboost "$TMP/x.json"
}

# a child that points back up makes a cycle: scoring would never end
test_import_xgboost_cycle() {
    xgb_edit "t[0]['right_children'][2] = 1"
    bad "$TMP/x.json: tree 0: node 1 is reached twice" xgboost "$TMP/x.json"
}

test_import_xgboost_feature_out_of_range() {
    xgb_edit "t[1]['split_indices'][0] = 6"
    bad "$TMP/x.json: tree 1: node 0 splits on feature 6 of a model with 6 features" xgboost "$TMP/x.json"
}

test_import_xgboost_tree_count() {
    xgb_edit "m = d['learner']['gradient_booster']['model']; m['trees'].pop(); m['tree_info'].pop()"
    bad "$TMP/x.json: xgboost model: num_trees 12, but 11 trees and 11 tree_info entries: truncated or inconsistent" xgboost "$TMP/x.json"
}

# a multiclass model must give each class as many trees
test_import_xgboost_trees_per_class() {
    /usr/bin/python3 -c "import json,sys; d = json.load(open(sys.argv[1])); m = d['learner']['gradient_booster']['model']; m['tree_info'][4] = 0; json.dump(d, open(sys.argv[2], 'w'))" \
        "$GOLD/xgb_multiclass.json" "$TMP/x.json" || fail "edit"
    bad "$TMP/x.json: class 0 has more than its share of the 36 trees (12 per class)" xgboost "$TMP/x.json"
}

test_import_xgboost_objective() {
    xgb_edit "d['learner']['objective']['name'] = 'rank:pairwise'"
    bad "$TMP/x.json: xgboost model: objective 'rank:pairwise' is not one plumb imports (binary:logistic, reg:logistic, reg:squarederror, multi:softprob, multi:softmax)" xgboost "$TMP/x.json"
}

# lgb_edit SED [FILE]: a golden LightGBM model (binary by default) edited by a sed script, to $TMP/l.txt
lgb_edit() { sed "$1" "$GOLD/${2:-lgb_binary}.txt" >"$TMP/l.txt" || fail "edit: $1"; }

test_import_lightgbm_truncated() {
    head -n 100 "$GOLD/lgb_binary.txt" >"$TMP/l.txt"
    bad "$TMP/l.txt:100: lightgbm model: no 'end of trees': the file is truncated" lightgbm "$TMP/l.txt"
    # cut inside a tree's line: its numbers run short
    head -c 3000 "$GOLD/lgb_binary.txt" >"$TMP/l.txt"
    echo "end of trees" >>"$TMP/l.txt"
    run "$PLUMB" import "$TMP/l.txt" --from lightgbm -o "$TMP/out.plumb"
    expect_rc 1
    expect_err_has "$TMP/l.txt:"
    expect_no_file "$TMP/out.plumb"
}

test_import_lightgbm_unknown_version() {
    lgb_edit 's/^version=v4$/version=v9/'
    bad "$TMP/l.txt:2: lightgbm model: unknown version 'v9' (plumb reads v2 to v4)" lightgbm "$TMP/l.txt"
}

test_import_lightgbm_child_out_of_range() {
    lgb_edit '78s/^left_child=2 /left_child=40 /'
    bad "$TMP/l.txt:78: lightgbm model: tree 3: node 0 has child 40, out of range (14 nodes, 15 leaves)" lightgbm "$TMP/l.txt"
}

test_import_lightgbm_feature_out_of_range() {
    lgb_edit '74s/^split_feature=0 /split_feature=6 /'
    bad "$TMP/l.txt:74: lightgbm model: tree 3: node 0 splits on feature 6 of a model with 6 features" lightgbm "$TMP/l.txt"
}

# node 4 of tree 3 is a categorical split on bitset 0 of the tree's 2
test_import_lightgbm_bitset_out_of_range() {
    lgb_edit '76s/^\(threshold=[^ ]* [^ ]* [^ ]* [^ ]* \)0 /\12 /'
    bad "$TMP/l.txt:76: lightgbm model: tree 3: node 4 has category bitset 2 of 2" lightgbm "$TMP/l.txt"
    lgb_edit '86s/^cat_boundaries=0 1 2$/cat_boundaries=0 1 9/'
    bad "$TMP/l.txt:87: lightgbm model: tree 3: 'cat_threshold' has 2 values where 9 are expected" lightgbm "$TMP/l.txt"
}

test_import_lightgbm_tree_count() {
    # the last of 36 trees of a 3-class model gone
    lgb_edit '/^Tree=35$/,/^end of trees$/{/^end of trees$/!d}' lgb_multiclass
    bad "$TMP/l.txt:10: lightgbm model: tree_sizes lists 36 trees, the file has 35" lightgbm "$TMP/l.txt"
    sed -i 's/^\(tree_sizes=.*\) [0-9]*$/\1/' "$TMP/l.txt"
    bad "$TMP/l.txt: 35 trees cannot be shared equally by 3 classes" lightgbm "$TMP/l.txt"
}

# zero_as_missing (missing type Zero) sends 0 and NaN to the default side: exact when 0 is on that side of the
# threshold anyway, refused when not (node 2 of tree 3: default left, threshold -0.875)
test_import_lightgbm_zero_as_missing() {
    lgb_edit '77s/^decision_type=8 10 10 /decision_type=8 6 10 /'
    run "$PLUMB" import "$TMP/l.txt" --from lightgbm -o "$TMP/ok.plumb"
    expect_rc 0
    lgb_edit '77s/^decision_type=8 10 10 /decision_type=8 10 6 /'
    bad "$TMP/l.txt:77: lightgbm model: tree 3: node 2 sends zero (zero_as_missing) against its threshold -0.875, which plumb cannot express" lightgbm "$TMP/l.txt"
}

# what plumb cannot express exactly is refused, not approximated
test_import_xgboost_unsupported() {
    xgb_edit "t[2]['split_type'][0] = 1"
    bad "$TMP/x.json: xgboost model: tree 2: node 0 is a categorical split, which plumb does not import from xgboost" xgboost "$TMP/x.json"
    xgb_edit "d['learner']['gradient_booster']['name'] = 'dart'"
    bad "$TMP/x.json: xgboost model: booster 'dart': plumb imports gbtree models only" xgboost "$TMP/x.json"
    xgb_edit "d['learner']['learner_model_param']['base_score'] = '1.5E0'"
    bad "$TMP/x.json: xgboost model: base_score 1.5 is not a probability" xgboost "$TMP/x.json"
}

test_import_usage() {
    run "$PLUMB" import "$GOLD/xgb_binary.json" -o "$TMP/out.plumb"
    expect_rc 2
    expect_err_has "--from is required"
    run "$PLUMB" import "$GOLD/xgb_binary.json" --from catboost -o "$TMP/out.plumb"
    expect_rc 2
    expect_err_has "unknown model format 'catboost' (xgboost or lightgbm)"
    run "$PLUMB" import "$TMP/none.json" --from xgboost -o "$TMP/out.plumb"
    expect_rc 1
    expect_err "plumb: cannot open '$TMP/none.json': No such file or directory"
    expect_no_file "$TMP/out.plumb"
    # a LightGBM file read as XGBoost's: not JSON
    printf 'tree\nversion=v4\n' >"$TMP/l.txt"
    bad "$TMP/l.txt:1:4: not an xgboost JSON model: '[' or '{' expected near 'tree'" xgboost "$TMP/l.txt"
}

"$@"
