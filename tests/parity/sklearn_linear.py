#!/usr/bin/python3
"""sklearn_linear.py -- golden coefficients of linear and logistic regression from scikit-learn, for plumb's parity
test (tests/unit/test_linear.c, case parity_golden).

usage: /usr/bin/python3 tests/parity/sklearn_linear.py [OUT_DIR]     (default: the directory of this script)

Writes OUT_DIR/gen_regression.csv and OUT_DIR/gen_binary.csv (generated data, the same on every run: numpy's
PCG64 with fixed seeds) and OUT_DIR/sklearn_linear.json: per case the data file, target, weight column, the columns
used, plumb's parameters (alpha, l1_ratio, class_weight, positive_class) and scikit-learn's fitted coefficients on
the standardised design, intercept first, with the design column names as plumb makes them, and the objective
value of scikit-learn's solution under plumb's convention (docs/linear.md):

    (1 / sum w) sum_i w_i loss_i + alpha * (l1_ratio * |b|_1 + (1 - l1_ratio) / 2 * |b|_2^2)

The design is built here as plumb builds it: numeric columns read as float32 (as plumb stores them), optionally
clipped to their weighted [q, 1-q] quantiles, missing values imputed with the weighted median (plumb's quantile
definition: the smallest v whose cumulative weight reaches q W, the midpoint to the next value when it reaches it
exactly) plus a "NAME:missing" column, then standardised with the sample-weighted mean and the population standard
deviation (sklearn's StandardScaler with sample_weight) unless the case says not to; bool columns 0/1 with the more
frequent value for a missing one (plus an indicator); categorical columns one-hot in sorted order with all zeros
for a missing value, categories below the case's min_category_weight dropped. The mapping of the penalty to
scikit-learn (W = sum of the weights, sample weight x class weight):
    Ridge(alpha = alpha W), LinearRegression (alpha 0), Lasso / ElasticNet(alpha, l1_ratio),
    LogisticRegression(C = 1 / (alpha W)) with penalty l2 or None (newton-cholesky), l1 / elasticnet (saga).
Solvers run to tight tolerances (tol 1e-12 for coordinate descent and newton-cholesky, 1e-10 for saga) so that the
golden values are the optimum to far better than the test's 1e-4. lbfgs is not used: scikit-learn 1.2 stops it on
scipy's relative decrease of the objective (about 2e-9) whatever tol says, which leaves coefficient errors near
1e-4 on some of these cases.
"""
import json
import os
import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CREDIT = "examples/credit/credit_data.csv"  # relative to the repository root


def f32_text(v):
    """The shortest decimal that reads back as the same float32 (numpy's repr)."""
    return "" if np.isnan(v) else np.format_float_positional(np.float32(v), unique=True, trim="-")


def write_generated(out_dir):
    """Two generated data sets with numeric features of different scales and offsets, 5% missing values in x2, a
    bool column (3% missing) and a weight column. Returns their file names."""
    rng = np.random.default_rng(20240605)
    n, p = 600, 6
    scale = np.array([1.0, 3.0, 0.5, 10.0, 1.0, 2.0])
    offset = np.array([0.0, 5.0, -1.0, 100.0, 0.0, 2.0])
    # correlated features: a common factor
    z = rng.standard_normal((n, p)) + 0.5 * rng.standard_normal((n, 1))
    x = (z * scale + offset).astype(np.float32)
    x[rng.random(n) < 0.05, 2] = np.nan
    flag = rng.random(n) < 0.35
    flag_missing = rng.random(n) < 0.03
    w = np.round(rng.uniform(0.5, 2.0, n), 3)
    beta = np.array([1.0, -0.5, 0.25, 0.0, 0.8, 0.0])
    zz = np.nan_to_num((x.astype(np.float64) - offset) / scale)
    y_reg = 3.0 + zz @ beta - 0.6 * flag + 0.5 * rng.standard_normal(n)
    logit = -0.4 + zz @ (beta * 1.2) + 0.7 * flag
    y_bin = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    names = ["x%d" % j for j in range(p)]
    files = {}
    for kind, y in (("regression", y_reg), ("binary", y_bin)):
        path = os.path.join(out_dir, "gen_%s.csv" % kind)
        with open(path, "w") as f:
            f.write(",".join(names + ["flag", "w", "y"]) + "\n")
            for i in range(n):
                cells = [f32_text(v) for v in x[i]]
                cells.append("" if flag_missing[i] else "true" if flag[i] else "false")
                cells.append(repr(float(w[i])))
                cells.append(repr(float(y[i])) if kind == "regression" else str(int(y[i])))
                f.write(",".join(cells) + "\n")
        files[kind] = "gen_%s.csv" % kind
    return files


def wquantile(v, w, q):
    """plumb's weighted quantile: the smallest v with F(v) >= q W (F: the weight of the values <= v), or the
    midpoint to the next larger value when F(v) = q W exactly."""
    o = np.argsort(v, kind="stable")
    v, w = v[o], w[o]
    cum = np.cumsum(w)
    t = q * cum[-1]
    k = min(int(np.searchsorted(cum, t, side="left")), len(v) - 1)
    last = int(np.searchsorted(v, v[k], side="right")) - 1  # F at a value counts every copy of it
    if cum[last] == t and last + 1 < len(v):
        return v[k] + (v[last + 1] - v[k]) / 2
    return v[k]


def as_bool(s):
    """A true/false column as 1.0/0.0 with NaN where missing (pandas reads it as bool or object)."""
    return s.map(lambda v: np.nan if v is None or (isinstance(v, float) and np.isnan(v)) else
                 1.0 if v in (True, "true", "True") else 0.0).to_numpy(np.float64)


def design(df, case, sw):
    """plumb's design of the case's columns of df with sample weights sw: (matrix without the intercept, names)."""
    cols, names = [], []
    w1 = np.ones(len(df)) if sw is None else sw
    for c in case["columns"]:
        s = df[c]
        if c in case.get("bools", []):
            v = as_bool(s)
            miss = np.isnan(v)
            fill = 1.0 if w1[v == 1].sum() > w1[v == 0].sum() else 0.0
            cols.append(np.where(miss, fill, v))
            names.append(c)
            if miss.any():
                cols.append(miss.astype(np.float64))
                names.append(c + ":missing")
            continue
        if s.dtype == object:
            cats = sorted(s.dropna().unique(), key=lambda v: v.encode())
            for cat in cats:
                hit = (s == cat).to_numpy()
                cw = w1[hit].sum()
                if cw > 0 and cw >= case["min_category_weight"]:
                    cols.append(hit.astype(np.float64))
                    names.append("%s=%s" % (c, cat))
            continue
        v = s.to_numpy(np.float64).astype(np.float32).astype(np.float64)
        miss = np.isnan(v)
        keep = ~miss & (w1 > 0)
        if case["clip_quantile"] > 0:
            lo = wquantile(v[keep], w1[keep], case["clip_quantile"])
            hi = wquantile(v[keep], w1[keep], 1 - case["clip_quantile"])
            v = np.where(miss, v, np.clip(v, lo, hi))
        med = wquantile(v[keep], w1[keep], 0.5)
        v = np.where(miss, med, v)
        if case["standardize"]:
            v = StandardScaler().fit(v.reshape(-1, 1), sample_weight=sw).transform(v.reshape(-1, 1))[:, 0]
        cols.append(v)
        names.append(c)
        if miss.any():
            cols.append(miss.astype(np.float64))
            names.append(c + ":missing")
    return np.column_stack(cols), names


def objective(x, y, w, b0, b, logistic, alpha, l1_ratio):
    f = b0 + x @ b
    if logistic:
        loss = np.logaddexp(0, f) - y * f
    else:
        loss = (y - f) ** 2 / 2
    return float(np.sum(w * loss) / np.sum(w) + alpha * (l1_ratio * np.abs(b).sum() +
                                                          (1 - l1_ratio) / 2 * (b * b).sum()))


def fit(case, df):
    y_col, logistic = case["target"], case["task"] == "binary"
    sw = df[case["weight"]].to_numpy(np.float64) if case["weight"] else None
    x, names = design(df, case, sw)
    if logistic:
        y = (df[y_col] == case["positive_class"]).to_numpy(np.float64) if case["positive_class"] else \
            df[y_col].to_numpy(np.float64)
    else:
        y = df[y_col].to_numpy(np.float64)
    n = len(y)
    sw1 = np.ones(n) if sw is None else sw
    cw = {0: 1.0, 1: 1.0}
    if case["class_weight"] == "balanced":
        counts = np.bincount(y.astype(int), minlength=2)
        cw = {c: n / (2.0 * counts[c]) for c in (0, 1)}
    elif case["class_weight"]:
        for item in case["class_weight"].split(","):
            k, v = item.split("=")
            cw[int(k)] = float(v)
    w = sw1 * np.where(y == 1, cw[1], cw[0]) if logistic else sw1
    W = w.sum()
    alpha, l1 = case["alpha"], case["l1_ratio"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        if not logistic:
            if alpha == 0:
                m = LinearRegression()
            elif l1 == 0:
                m = Ridge(alpha=alpha * W, tol=1e-12, solver="cholesky")
            elif l1 == 1:
                m = Lasso(alpha=alpha, tol=1e-12, max_iter=1000000)
            else:
                m = ElasticNet(alpha=alpha, l1_ratio=l1, tol=1e-12, max_iter=1000000)
            m.fit(x, y, sample_weight=w)
        else:
            if alpha == 0:
                m = LogisticRegression(penalty=None, solver="newton-cholesky", tol=1e-12, max_iter=1000)
            elif l1 == 0:
                m = LogisticRegression(C=1 / (alpha * W), solver="newton-cholesky", tol=1e-12, max_iter=1000)
            elif l1 == 1:
                m = LogisticRegression(C=1 / (alpha * W), penalty="l1", solver="saga", tol=1e-10,
                                       max_iter=1000000)
            else:
                m = LogisticRegression(C=1 / (alpha * W), penalty="elasticnet", l1_ratio=l1, solver="saga",
                                       tol=1e-10, max_iter=1000000)
            # class weights go in as sample weights (sklearn multiplies them in the same way)
            m.fit(x, y, sample_weight=w)
    b = np.ravel(m.coef_)
    b0 = float(np.ravel(m.intercept_)[0]) if np.ndim(m.intercept_) else float(m.intercept_)
    out = dict(case)
    out["names"] = ["(intercept)"] + names
    out["coef"] = [b0] + [float(v) for v in b]
    out["objective"] = objective(x, y, w, b0, b, logistic, alpha, l1)
    out["estimator"] = repr(m)
    return out


def main():
    out_dir = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else HERE
    os.makedirs(out_dir, exist_ok=True)
    gen = write_generated(out_dir)
    xs = ["x%d" % j for j in range(6)]
    credit_num = ["Seniority", "Time", "Age", "Expenses", "Income", "Assets", "Debt", "Amount", "Price"]
    credit_all = ["Seniority", "Home", "Time", "Age", "Marital", "Records", "Job", "Expenses", "Income", "Assets",
                  "Debt", "Amount", "Price"]

    def case(name, data, task, alpha, l1_ratio=0.0, weight=None, class_weight=None, columns=xs, target="y",
             positive_class=None, bools=(), standardize=True, clip_quantile=0.0, min_category_weight=0.0):
        return dict(name=name, data=data, task=task, target=target, weight=weight, columns=columns, alpha=alpha,
                    l1_ratio=l1_ratio, class_weight=class_weight, positive_class=positive_class, bools=list(bools),
                    standardize=standardize, clip_quantile=clip_quantile, min_category_weight=min_category_weight)

    reg, binf = gen["regression"], gen["binary"]
    cases = [
        case("ridge", reg, "regression", 0.1),
        case("ridge_weighted", reg, "regression", 0.05, weight="w"),
        case("ols_weighted", reg, "regression", 0.0, weight="w"),
        case("lasso_weighted", reg, "regression", 0.05, 1.0, weight="w"),
        case("enet", reg, "regression", 0.1, 0.5),
        case("logistic_l2", binf, "binary", 0.01),
        case("logistic_l2_weighted", binf, "binary", 0.005, weight="w"),
        case("logistic_none", binf, "binary", 0.0),
        case("logistic_balanced", binf, "binary", 0.01, class_weight="balanced"),
        case("logistic_class_weight", binf, "binary", 0.01, weight="w", class_weight="1=3"),
        case("logistic_l1", binf, "binary", 0.02, 1.0),
        case("logistic_enet_weighted", binf, "binary", 0.02, 0.5, weight="w"),
        case("ridge_raw_bool_weighted", reg, "regression", 0.02, weight="w", columns=xs + ["flag"], bools=["flag"],
             standardize=False),
        case("logistic_bool_clip_weighted", binf, "binary", 0.005, weight="w", columns=xs + ["flag"],
             bools=["flag"], clip_quantile=0.05),
        case("credit_logistic_enet_rare", CREDIT, "binary", 2e-3, 0.5, columns=credit_all, target="Status",
             positive_class="bad", class_weight="balanced", clip_quantile=0.01, min_category_weight=30),
        case("credit_logistic_l2", CREDIT, "binary", 1e-3, columns=credit_all, target="Status",
             positive_class="bad"),
        case("credit_logistic_l1", CREDIT, "binary", 2e-3, 1.0, columns=credit_num, target="Status",
             positive_class="bad"),
        case("credit_ridge", CREDIT, "regression", 1e-2, columns=[c for c in credit_num if c != "Amount"],
             target="Amount"),
        case("credit_lasso", CREDIT, "regression", 5.0, 1.0, columns=[c for c in credit_num if c != "Amount"],
             target="Amount"),
    ]
    frames = {}
    results = []
    for c in cases:
        path = os.path.join(ROOT, c["data"]) if c["data"] == CREDIT else os.path.join(out_dir, c["data"])
        if path not in frames:
            frames[path] = pd.read_csv(path, keep_default_na=True)
        results.append(fit(c, frames[path]))
    import sklearn
    with open(os.path.join(out_dir, "sklearn_linear.json"), "w") as f:
        json.dump({"sklearn": sklearn.__version__, "cases": results}, f, indent=1)
        f.write("\n")
    print("wrote %d cases to %s" % (len(results), os.path.join(out_dir, "sklearn_linear.json")))


if __name__ == "__main__":
    main()
