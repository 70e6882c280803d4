#!/usr/bin/python3
"""sklearn_tree.py -- golden values for plumb's CART tree from scikit-learn's DecisionTreeClassifier/Regressor.

Usage: /usr/bin/python3 tests/parity/sklearn_tree.py [OUTDIR]   (default: tests/data/tree)

Writes OUTDIR/tree_cls.csv and OUTDIR/tree_reg.csv (generated data, continuous features), and
OUTDIR/tree_golden.json: for every case (data, parameters) the training score of scikit-learn's tree (accuracy,
or mean squared error for regression; weighted when the data has weights), its number of leaves, and, when the
tree is unique, its predictions on the training rows and its cost-complexity pruning path.

Unique: scikit-learn breaks ties between equally good splits of different features by visiting the features in an
order drawn from random_state, so the script fits every case with SEEDS seeds; the tree counts as unique when all
of them make the same splits (features, thresholds, shape), predict the same on every training row and give the
same pruning path; it has the same fit when their predictions on the training rows agree though their splits
differ (ties that split the rows alike: then plumb's predictions are compared too). plumb visits features in column
order, so where the seeds disagree only the score range over the seeds is a fair target. The credit data
(examples/credit/credit_data.csv) is used with its numeric columns and the rows where none is missing (scikit-learn
1.2 has no missing-value support); plumb's test drops the same rows.
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

SEEDS = 10
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CREDIT = os.path.join(ROOT, "examples", "credit", "credit_data.csv")
CREDIT_NUMERIC = ["Seniority", "Time", "Age", "Expenses", "Income", "Assets", "Debt", "Amount", "Price"]


def write_csv(path, columns, data):
    with open(path, "w") as f:
        f.write(",".join(columns) + "\n")
        for row in zip(*data):
            f.write(",".join(row) + "\n")


def generated(outdir):
    """Two small data sets with continuous features (4 decimals: exact enough in float32, no repeated values)."""
    rng = np.random.RandomState(20240501)
    n = 400
    x = [np.round(rng.uniform(0, 10, n), 4), np.round(rng.uniform(0, 10, n), 4), np.round(rng.normal(0, 3, n), 4),
         np.round(rng.uniform(-5, 5, n), 4), np.round(rng.uniform(0, 1, n), 4)]
    w = np.round(rng.uniform(0.5, 2.0, n), 3)
    y = (x[0] + 0.6 * x[1] * np.sin(x[2]) + rng.normal(0, 1.5, n) > 5).astype(int)
    cols = ["x1", "x2", "x3", "x4", "x5", "w", "y"]
    write_csv(os.path.join(outdir, "tree_cls.csv"), cols,
              [["%.4f" % v for v in c] for c in x] + [["%.3f" % v for v in w], ["%d" % v for v in y]])
    cls = (np.column_stack(x).astype(np.float32), y, w)

    xr = [np.round(rng.uniform(0, 10, n), 4), np.round(rng.normal(5, 2, n), 4), np.round(rng.uniform(-3, 3, n), 4),
          np.round(rng.uniform(0, 1, n), 4)]
    wr = np.round(rng.uniform(0.5, 2.0, n), 3)
    yr = np.round(np.sin(xr[0]) * 3 + xr[1] ** 2 / 5 + np.where(xr[2] > 0, 2.0, -1.0) + rng.normal(0, 0.5, n), 4)
    cols = ["a", "b", "c", "d", "w", "y"]
    write_csv(os.path.join(outdir, "tree_reg.csv"), cols,
              [["%.4f" % v for v in c] for c in xr] + [["%.3f" % v for v in wr], ["%.4f" % v for v in yr]])
    reg = (np.column_stack(xr).astype(np.float32), yr.astype(np.float64), wr)
    return cls, reg


def credit():
    import pandas as pd
    df = pd.read_csv(CREDIT)
    df = df.dropna(subset=CREDIT_NUMERIC).reset_index(drop=True)
    X = df[CREDIT_NUMERIC].to_numpy(dtype=np.float32)
    y = (df["Status"] == "bad").astype(int).to_numpy()
    reg_cols = [c for c in CREDIT_NUMERIC if c != "Amount"]
    Xr = df[reg_cols].to_numpy(dtype=np.float32)
    yr = df["Amount"].to_numpy(dtype=np.float64)
    return (X, y, None), (Xr, yr, None), len(df)


def fit_case(case, data):
    X, y, w = data
    weighted = case.get("weighted", False)
    sw = w if weighted else None
    kw = dict(max_depth=case.get("max_depth"), min_samples_split=case.get("min_samples_split", 2),
              min_samples_leaf=case.get("min_samples_leaf", 1),
              min_impurity_decrease=case.get("min_impurity_decrease", 0.0), ccp_alpha=case.get("ccp_alpha", 0.0))
    regression = case["task"] == "regression"
    preds, scores, leaves, paths, shapes = [], [], [], [], []
    for seed in range(SEEDS):
        if regression:
            est = DecisionTreeRegressor(criterion="squared_error", random_state=seed, **kw)
        else:
            cw = case.get("class_weight")
            if isinstance(cw, list):
                cw = {0: cw[0], 1: cw[1]}
            est = DecisionTreeClassifier(criterion=case.get("criterion", "gini"), class_weight=cw, random_state=seed,
                                         **kw)
        est.fit(X, y, sample_weight=sw)
        if regression:
            p = est.predict(X)
            scores.append(float(np.average((p - y) ** 2, weights=sw)))
        else:
            p = est.predict_proba(X)[:, 1]
            scores.append(float(np.average(est.predict(X) == y, weights=sw)))
        preds.append(p)
        leaves.append(int(est.get_n_leaves()))
        t = est.tree_
        shapes.append((t.feature.tolist(), t.threshold.tolist(), t.children_left.tolist()))
        if case.get("path"):
            path = est.cost_complexity_pruning_path(X, y, sample_weight=sw)
            paths.append((path.ccp_alphas, path.impurities))
    # the same tree predicts the same up to the order of its sums (samples are permuted by the partitions)
    same_fit = all(np.allclose(preds[0], p, rtol=1e-12, atol=1e-12) for p in preds)
    unique = same_fit and all(shape == shapes[0] for shape in shapes)  # the same splits, not only the same fit
    if case.get("path"):
        unique = unique and all(len(a) == len(paths[0][0]) and np.allclose(a, paths[0][0], rtol=1e-9, atol=1e-15)
                                for a, _ in paths)
    out = dict(case)
    out.update(train_score=scores[0], score_min=min(scores), score_max=max(scores), n_leaves=leaves[0],
               same_fit=bool(same_fit), unique=bool(unique))
    out["pred_sum"] = float(np.sum(preds[0]))
    if same_fit and case["data"] != "credit":  # the credit cases keep the file small: sums only
        out["pred"] = [float(v) for v in preds[0]]
    if unique:
        if case.get("path"):
            out["ccp_alphas"] = [float(v) for v in paths[0][0]]
            out["impurities"] = [float(v) for v in paths[0][1]]
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "data", "tree")
    os.makedirs(outdir, exist_ok=True)
    cls, reg = generated(outdir)
    ccls, creg, credit_rows = credit()
    B = dict(data="tree_cls.csv", target="y", task="binary")
    R = dict(data="tree_reg.csv", target="y", task="regression")
    C = dict(data="credit", target="Status", task="binary")
    CR = dict(data="credit", target="Amount", task="regression")
    cases = [
        dict(B, name="cls_stump", max_depth=1),
        dict(B, name="cls_depth3", max_depth=3),
        dict(B, name="cls_depth6_leaf5", max_depth=6, min_samples_leaf=5, path=True),
        dict(B, name="cls_entropy_depth4", criterion="entropy", max_depth=4),
        dict(B, name="cls_full", path=True),
        dict(B, name="cls_split20", min_samples_split=20, path=True),
        dict(B, name="cls_min_impurity", min_impurity_decrease=0.005),
        dict(B, name="cls_ccp", min_samples_leaf=3, ccp_alpha=0.004),
        dict(B, name="cls_weighted_depth4", max_depth=4, weighted=True),
        dict(B, name="cls_weighted_leaf5", min_samples_leaf=5, weighted=True, path=True),
        dict(B, name="cls_balanced_depth4", max_depth=4, class_weight="balanced"),
        dict(B, name="cls_weights13_depth5", max_depth=5, class_weight=[1.0, 3.0]),
        dict(R, name="reg_depth3", max_depth=3),
        dict(R, name="reg_depth6_leaf5", max_depth=6, min_samples_leaf=5, path=True),
        dict(R, name="reg_full_leaf3", min_samples_leaf=3, path=True),
        dict(R, name="reg_ccp", min_samples_leaf=2, ccp_alpha=0.02),
        dict(R, name="reg_weighted_depth5", max_depth=5, weighted=True),
        dict(R, name="reg_min_impurity", min_impurity_decrease=0.01),
    ]
    cases += [dict(C, name="credit_depth%d" % d, max_depth=d) for d in range(1, 9)]
    cases += [dict(C, name="credit_full"), dict(C, name="credit_leaf10_ccp", min_samples_leaf=10, ccp_alpha=0.001),
              dict(CR, name="credit_amount_depth4", max_depth=4),
              dict(CR, name="credit_amount_leaf20", min_samples_leaf=20)]
    data = {"tree_cls.csv": cls, "tree_reg.csv": reg}
    results = []
    for case in cases:
        d = data[case["data"]] if case["data"] != "credit" else (ccls if case["task"] == "binary" else creg)
        results.append(fit_case(case, d))
    golden = dict(sklearn_version=sklearn.__version__, seeds=SEEDS, credit_rows=credit_rows,
                  credit_numeric=CREDIT_NUMERIC, cases=results)
    with open(os.path.join(outdir, "tree_golden.json"), "w") as f:  # one case a line
        cases_json = ",\n".join(json.dumps(r) for r in golden.pop("cases"))
        f.write(json.dumps(golden)[:-1] + ', "cases": [\n' + cases_json + "\n]}\n")
    for r in results:
        print("%-24s score %.6f [%.6f, %.6f] leaves %4d %s" % (r["name"], r["train_score"], r["score_min"],
                                                               r["score_max"], r["n_leaves"],
                                                               "unique" if r["unique"] else
                                                               "ties, same fit" if r["same_fit"] else "ties"))


if __name__ == "__main__":
    main()
