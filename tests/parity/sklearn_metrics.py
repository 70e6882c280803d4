#!/usr/bin/python3
"""sklearn_metrics.py -- golden values for plumb's metrics, curves, calibrators and splits, computed by scikit-learn.

Writes one JSON file (default: golden_metrics.json beside this script) holding every case's inputs and what
scikit-learn returns for them; tests/unit/test_metrics.c (case parity_golden) recomputes each with plumb and
compares within 1e-9. The committed file is what this script wrote with Debian 12's python3-sklearn (1.2.1);
tests/cli/test_parity.sh runs it again live and compares plumb with the fresh output.

Cases: generated data (sizes 1 to 10,000; tied scores; float, integer and zero weights; one class; perfect and
constant scores; scores exactly at the threshold and at 0 and 1) and real predictions: cross-validated
probabilities of a HistGradientBoostingClassifier on the credit data (examples/credit/credit_data.csv) and
predictions of a HistGradientBoostingRegressor of its Amount column.

Where plumb deliberately differs from scikit-learn the expected value says so:
- average precision without positive labels: sklearn warns and returns 0; plumb fails (the recall is undefined),
  so the golden value is an error; likewise where sklearn returns NaN with a warning (ROC-AUC when one class has
  only zero weights, R2 of one row); log-loss of scores outside [0, 1], which sklearn clips silently;
- Platt scaling: sklearn stops BFGS at a gradient of 1e-5; the golden (a, b) is the optimum of sklearn's own
  objective minimised to a gradient below 1e-10 by scipy, and sklearn's (a, b) is kept beside it for reference.

Usage: /usr/bin/python3 tests/parity/sklearn_metrics.py [--out FILE]
"""
import argparse
import json
import math
import os
import sys
import warnings

# one thread: the credit models are small, and OpenMP's busy-waiting makes a loaded CI machine crawl
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import scipy.optimize
import sklearn
from sklearn import metrics as skm
from sklearn.calibration import _sigmoid_calibration, calibration_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics._ranking import _binary_clf_curve
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, TimeSeriesSplit

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

BINARY = ["roc_auc", "pr_auc", "log_loss", "brier", "accuracy", "precision", "recall", "f1", "f1_best",
          "f1_best_threshold", "ks", "gini"]


def floats(a):
    return [float(x) for x in np.asarray(a, dtype=float).ravel()]


def guarded(fn):
    """fn's value, or {"error": message} when scikit-learn raises or returns NaN (plumb fails in both cases)."""
    try:
        v = float(fn())
    except (ValueError, ZeroDivisionError) as e:
        return {"error": str(e)}
    return {"error": "undefined: scikit-learn returns NaN"} if math.isnan(v) else v


def binary_case(name, y, s, w=None, threshold=0.5, curves=True, bins=(5, 10)):
    y = np.asarray(y, dtype=float)
    s = np.asarray(s, dtype=float)
    w = None if w is None else np.asarray(w, dtype=float)
    pred = (s >= threshold).astype(float)
    both = len(np.unique(y[w != 0] if w is not None else y)) == 2
    has_pos = (y * (1.0 if w is None else w)).sum() > 0

    def auc():
        return skm.roc_auc_score(y, s, sample_weight=w)

    def probabilities():
        if s.min() < 0 or s.max() > 1:  # sklearn clips them into [eps, 1 - eps]; plumb refuses them
            raise ValueError("scores outside [0, 1]")
        return True

    def ap():
        if not has_pos:  # sklearn: 0 with a warning; plumb: an error
            raise ValueError("no positive labels: PR-AUC is undefined")
        return skm.average_precision_score(y, s, sample_weight=w)

    def best():
        fps, tps, thr = _binary_clf_curve(y, s, sample_weight=w)
        if tps[-1] <= 0:
            raise ValueError("no positive labels")
        f1 = 2 * tps / ((tps + fps) + tps[-1])
        i = len(f1) - 1 - int(np.argmax(f1[::-1]))  # the lowest threshold among equal F1
        return f1[i], thr[i]

    def ks():
        if not both:
            raise ValueError("only one class present")
        fpr, tpr, _ = skm.roc_curve(y, s, sample_weight=w, drop_intermediate=False)
        return np.max(np.abs(tpr - fpr))

    m = {
        "roc_auc": guarded(auc),
        "pr_auc": guarded(ap),
        "log_loss": guarded(lambda: probabilities() and skm.log_loss(y, s, sample_weight=w, labels=[0, 1])),
        "brier": guarded(lambda: skm.brier_score_loss(y, s, sample_weight=w)),
        "accuracy": guarded(lambda: skm.accuracy_score(y, pred, sample_weight=w)),
        "precision": guarded(lambda: skm.precision_score(y, pred, sample_weight=w, zero_division=0)),
        "recall": guarded(lambda: skm.recall_score(y, pred, sample_weight=w, zero_division=0)),
        "f1": guarded(lambda: skm.f1_score(y, pred, sample_weight=w, zero_division=0)),
        "f1_best": guarded(lambda: best()[0]),
        "f1_best_threshold": guarded(lambda: best()[1]),
        "ks": guarded(ks),
        "gini": guarded(lambda: 2 * auc() - 1),
    }
    case = {"name": name, "task": "binary", "label": floats(y), "score": floats(s),
            "weight": None if w is None else floats(w), "threshold": threshold, "metrics": m,
            "confusion": floats(skm.confusion_matrix(y, pred, labels=[0, 1], sample_weight=w))}
    if curves:
        if both:
            fpr, tpr, thr = skm.roc_curve(y, s, sample_weight=w)
            case["roc"] = {"fpr": floats(fpr), "tpr": floats(tpr), "thresholds": floats(thr)}
        if has_pos:
            p, r, thr = skm.precision_recall_curve(y, s, sample_weight=w)
            case["pr"] = {"precision": floats(p), "recall": floats(r), "thresholds": floats(thr)}
            fps, tps, thr = _binary_clf_curve(y, s, sample_weight=w)
            pop = (tps + fps) / (tps[-1] + fps[-1])
            case["gain"] = {"population": floats(pop), "gain": floats(tps / tps[-1]),
                            "lift": floats(tps / tps[-1] / pop), "thresholds": floats(thr)}
        if w is None and s.min() >= 0 and s.max() <= 1:
            case["calibration"] = []
            for n_bins in bins:
                for strategy in ("uniform", "quantile"):
                    pt, pp = calibration_curve(y, s, n_bins=n_bins, strategy=strategy)
                    case["calibration"].append({"n_bins": n_bins, "strategy": strategy, "prob_true": floats(pt),
                                                "prob_pred": floats(pp)})
    return case


def regression_case(name, y, p, w=None, alpha=0.5):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    w = None if w is None else np.asarray(w, dtype=float)
    ww = np.ones_like(y) if w is None else w

    def wape():
        den = np.sum(ww * np.abs(y))
        if den == 0:
            raise ValueError("every label is 0")
        return np.sum(ww * np.abs(y - p)) / den

    def r2():
        if len(y) < 2:  # sklearn: NaN with a warning; plumb: an error
            raise ValueError("fewer than 2 rows")
        return skm.r2_score(y, p, sample_weight=w)

    m = {
        "mae": guarded(lambda: skm.mean_absolute_error(y, p, sample_weight=w)),
        "rmse": guarded(lambda: skm.mean_squared_error(y, p, sample_weight=w, squared=False)),
        "mape": guarded(lambda: skm.mean_absolute_percentage_error(y, p, sample_weight=w)),
        "wape": guarded(wape),
        "r2": guarded(r2),
        # outside their domain (labels < 0 or <= 0, predictions <= 0) sklearn raises and plumb fails
        "poisson_deviance": guarded(lambda: skm.mean_poisson_deviance(y, p, sample_weight=w)),
        "gamma_deviance": guarded(lambda: skm.mean_gamma_deviance(y, p, sample_weight=w)),
        "pinball_loss": guarded(lambda: skm.mean_pinball_loss(y, p, sample_weight=w, alpha=alpha)),
    }
    return {"name": name, "task": "regression", "label": floats(y), "score": floats(p),
            "weight": None if w is None else floats(w), "alpha": alpha, "metrics": m}


def multiclass_case(name, y, P, w=None):
    y = np.asarray(y, dtype=float)
    P = np.asarray(P, dtype=float)
    k = P.shape[1]
    w = None if w is None else np.asarray(w, dtype=float)
    pred = np.argmax(P, axis=1)
    m = {
        "accuracy": guarded(lambda: skm.accuracy_score(y, pred, sample_weight=w)),
        "macro_f1": guarded(lambda: skm.f1_score(y, pred, average="macro", sample_weight=w, zero_division=0)),
        "micro_f1": guarded(lambda: skm.f1_score(y, pred, average="micro", sample_weight=w, zero_division=0)),
        "log_loss": guarded(lambda: skm.log_loss(y, P, sample_weight=w, labels=list(range(k)))),
    }
    return {"name": name, "task": "multiclass", "n_classes": k, "label": floats(y), "score": floats(P),
            "weight": None if w is None else floats(w), "metrics": m,
            "confusion": floats(skm.confusion_matrix(y, pred, labels=list(range(k)), sample_weight=w))}


def isotonic_case(name, s, y, w, queries):
    s, y = np.asarray(s, dtype=float), np.asarray(y, dtype=float)
    w = None if w is None else np.asarray(w, dtype=float)
    iso = IsotonicRegression(out_of_bounds="clip").fit(s, y, sample_weight=w)
    q = np.asarray(queries, dtype=float)
    return {"name": name, "method": "isotonic", "score": floats(s), "label": floats(y),
            "weight": None if w is None else floats(w), "queries": floats(q), "expected": floats(iso.predict(q)),
            "x": floats(iso.X_thresholds_), "y": floats(iso.y_thresholds_)}


def platt_case(name, s, y, w, queries):
    s, y = np.asarray(s, dtype=float), np.asarray(y, dtype=float)
    w = None if w is None else np.asarray(w, dtype=float)
    a_sk, b_sk = _sigmoid_calibration(s, y, w)
    # sklearn's own objective (Platt's smoothed targets), minimised to a tight tolerance from sklearn's answer
    neg = y <= 0
    prior0 = float(np.sum(neg)) if w is None else w[neg].sum()
    prior1 = (len(y) - prior0) if w is None else w[~neg].sum()
    t = np.where(y > 0, (prior1 + 1) / (prior1 + 2), 1 / (prior0 + 2))
    ww = np.ones_like(s) if w is None else w

    def f(ab):
        z = ab[0] * s + ab[1]
        return np.sum(ww * (np.logaddexp(0, z) - (1 - t) * z))

    def g(ab):
        z = ab[0] * s + ab[1]
        d = ww * (t - 1 / (1 + np.exp(z)))
        return np.array([np.dot(d, s), np.sum(d)])

    def h(ab):
        z = ab[0] * s + ab[1]
        p = 1 / (1 + np.exp(z))
        v = ww * p * (1 - p)
        return np.array([[np.dot(v, s * s), np.dot(v, s)], [np.dot(v, s), np.sum(v)]])

    res = scipy.optimize.minimize(f, [a_sk, b_sk], jac=g, hess=h, method="trust-exact", options={"gtol": 1e-11})
    a, b = res.x
    assert np.max(np.abs(g(res.x))) < 1e-8 * ww.sum(), "platt optimum not reached"
    q = np.asarray(queries, dtype=float)
    return {"name": name, "method": "platt", "score": floats(s), "label": floats(y),
            "weight": None if w is None else floats(w), "queries": floats(q), "a": float(a), "b": float(b),
            "sklearn_a": float(a_sk), "sklearn_b": float(b_sk), "expected": floats(1 / (1 + np.exp(a * q + b)))}


def folds_of(splitter, n, *args):
    """Per fold, the role of every row: 0 unused, 1 train, 2 test (plumb_fold_role)."""
    out = []
    for train, test in splitter.split(np.zeros((n, 1)), *args):
        role = np.zeros(n, dtype=int)
        role[train] = 1
        role[test] = 2
        out.append([int(r) for r in role])
    return out


def read_credit():
    import pandas as pd
    df = pd.read_csv(os.path.join(ROOT, "examples", "credit", "credit_data.csv"))
    for c in ["Home", "Marital", "Records", "Job"]:
        df[c] = df[c].astype("category").cat.codes.replace(-1, np.nan)
    return df


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "golden_metrics.json"))
    args = ap.parse_args()
    rng = np.random.default_rng(20240601)
    cases = []

    # ---- binary
    cases.append(binary_case("sklearn_doc", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]))
    for n in (2, 7, 50, 333):
        y = (rng.random(n) < 0.4).astype(float)
        y[0], y[-1] = 0, 1
        cases.append(binary_case(f"random_{n}", y, rng.random(n)))
    y = (rng.random(400) < 0.3).astype(float)
    s = np.round(np.clip(0.3 * y + rng.random(400) * 0.7, 0, 1), 1)  # heavy ties
    cases.append(binary_case("ties", y, s))
    cases.append(binary_case("ties_threshold_0.3", y, s, threshold=0.3))
    w = np.round(rng.exponential(1.0, 400), 3)
    w[rng.random(400) < 0.1] = 0  # zero weights, dropped from the curves
    cases.append(binary_case("ties_float_weights", y, s, w))
    cases.append(binary_case("ties_integer_weights", y, s, rng.integers(0, 4, 400).astype(float)))
    cases.append(binary_case("at_threshold", [0, 1, 0, 1, 1, 0], [0.5, 0.5, 0.2, 0.9, 0.49999999999, 0.50000000001]))
    cases.append(binary_case("extremes", [0, 1, 1, 0, 1, 0], [0.0, 1.0, 0.0, 1.0, 1e-20, 1 - 1e-17]))
    cases.append(binary_case("perfect", [0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.7, 0.9]))
    cases.append(binary_case("reversed", [1, 1, 0, 0], [0.1, 0.2, 0.7, 0.9]))
    cases.append(binary_case("constant_score", [0, 1, 1, 0, 1], [0.3] * 5))
    cases.append(binary_case("negative_scores", [0, 1, 1, 0, 1, 0, 1], [-2.5, 3.0, -0.0, 0.0, 1.5, -7.25, 3.0],
                             threshold=0.0))
    cases.append(binary_case("only_negatives", [0, 0, 0], [0.2, 0.6, 0.4]))
    cases.append(binary_case("only_positives", [1, 1, 1, 1], [0.2, 0.6, 0.4, 0.6]))
    cases.append(binary_case("one_row", [1], [0.7]))
    cases.append(binary_case("zero_weight_class", [0, 1, 0, 1], [0.2, 0.6, 0.4, 0.3], [1, 0, 2, 0]))
    n = 10000
    y = (rng.random(n) < 0.2).astype(float)
    s = np.round(1 / (1 + np.exp(-(1.5 * y - 1 + rng.normal(0, 1, n)))), 4)
    cases.append(binary_case("large", y, s, np.round(rng.uniform(0.5, 2, n), 2), curves=False))

    # ---- real predictions: credit data
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.model_selection import cross_val_predict
    df = read_credit()
    yc = (df["Status"] == "bad").astype(float).to_numpy()
    X = df.drop(columns=["Status"]).to_numpy(dtype=float)
    cat = [df.columns.get_loc(c) - 1 for c in ["Home", "Marital", "Records", "Job"]]
    clf = HistGradientBoostingClassifier(max_iter=60, categorical_features=cat, random_state=0)
    pc = cross_val_predict(clf, X, yc, cv=StratifiedKFold(5, shuffle=True, random_state=0), method="predict_proba")
    pc = np.round(pc[:, 1], 12)
    cases.append(binary_case("credit_hgb", yc, pc))
    cases.append(binary_case("credit_hgb_weighted", yc, pc, np.where(yc == 1, 2.5, 1.0), curves=False))
    ya = df["Amount"].to_numpy(dtype=float)
    Xa = df.drop(columns=["Status", "Amount"]).to_numpy(dtype=float)
    reg = HistGradientBoostingRegressor(max_iter=60, random_state=0)
    pa = np.round(cross_val_predict(reg, Xa, ya, cv=KFold(5, shuffle=True, random_state=0)), 9)
    cases.append(regression_case("credit_amount_hgb", ya, pa))

    # ---- regression
    for n in (2, 9, 500):
        y = rng.normal(10, 5, n)
        cases.append(regression_case(f"random_{n}", y, y + rng.normal(0, 2, n)))
    y = np.round(rng.normal(0, 3, 300), 1)
    y[:20] = 0  # MAPE's epsilon
    cases.append(regression_case("zeros_weights", y, y + rng.normal(0, 1, 300), np.round(rng.uniform(0, 3, 300), 2)))
    cases.append(regression_case("constant_target_perfect", [4, 4, 4], [4, 4, 4]))
    cases.append(regression_case("constant_target", [4, 4, 4], [4, 5, 4]))
    cases.append(regression_case("all_zero_target", [0, 0, 0], [1, -1, 0.5]))
    cases.append(regression_case("one_row", [3.0], [2.0]))
    # counts (Poisson deviance, zeros included), positive amounts (Gamma), quantile predictions (pinball); a
    # stream of their own, so that the cases after them keep their data
    dev_rng = np.random.default_rng(23)
    mu = np.exp(dev_rng.normal(0.5, 0.8, 400))
    ycount = dev_rng.poisson(mu).astype(float)
    cases.append(regression_case("poisson_counts", ycount, np.round(mu * np.exp(dev_rng.normal(0, 0.3, 400)), 6),
                                 np.round(dev_rng.uniform(0, 2, 400), 2)))
    yamt = np.round(dev_rng.gamma(2.0, 50.0, 300), 3)
    cases.append(regression_case("gamma_amounts", yamt, np.round(yamt * np.exp(dev_rng.normal(0, 0.4, 300)), 3)))
    y = dev_rng.normal(0, 1, 500)
    cases.append(regression_case("quantile_0.9", y, np.full(500, 1.2816) + dev_rng.normal(0, 0.3, 500), alpha=0.9))
    cases.append(regression_case("quantile_0.1_weighted", y, np.full(500, -1.2816), np.round(dev_rng.uniform(0, 3, 500), 2),
                                 alpha=0.1))

    # ---- multiclass
    for k, n in ((3, 60), (4, 500)):
        y = rng.integers(0, k, n).astype(float)
        P = rng.dirichlet(np.ones(k), n)
        P[np.arange(n), y.astype(int)] += 0.3 * rng.random(n)
        P /= P.sum(axis=1, keepdims=True)
        cases.append(multiclass_case(f"random_k{k}", y, P))
        cases.append(multiclass_case(f"weighted_k{k}", y, P, np.round(rng.uniform(0, 2, n), 2)))
    # class 3 in neither labels nor predictions (left out of macro F1); a tie in the argmax; unnormalised rows
    cases.append(multiclass_case("absent_class_ties", [0, 1, 2, 2, 1, 0],
                                 [[0.5, 0.5, 0, 0], [0.1, 0.6, 0.3, 0], [0.2, 0.2, 0.6, 0], [0.3, 0.3, 0.3, 0.1],
                                  [0.9, 0.05, 0.05, 0], [0.2, 0.7, 0.2, 0.1]]))

    # ---- calibration
    cal = []
    s = rng.random(300)
    y = (rng.random(300) < s).astype(float)
    q = np.r_[-0.5, 0, s[:20], np.linspace(0, 1, 21), 1.5]
    cal.append(isotonic_case("isotonic_random", s, y, None, q))
    cal.append(isotonic_case("isotonic_weighted", s, y, np.round(rng.uniform(0, 2, 300), 2), q))
    st = np.round(s, 1)
    cal.append(isotonic_case("isotonic_ties", st, y, None, q))
    sn = np.r_[0.5, 0.5 + 4e-16, 0.5 + 9e-16, 0.5 + 3e-15, 0.7, 0.2]  # runs closer than 1e-15 merge
    cal.append(isotonic_case("isotonic_near_duplicates", sn, [1, 0, 1, 0, 1, 0], None, np.r_[sn, 0.6]))
    cal.append(isotonic_case("isotonic_one_point", [0.3, 0.3], [0, 1], None, [0.1, 0.3, 0.9]))
    cal.append(isotonic_case("isotonic_real_valued", s, np.sin(6 * s) + rng.normal(0, 0.1, 300), None, q))
    cal.append(platt_case("platt_random", s, y, None, q))
    cal.append(platt_case("platt_weighted", s, y, np.round(rng.uniform(0, 2, 300), 2), q))
    cal.append(platt_case("platt_separable", [0.1, 0.2, 0.3, 0.7, 0.8, 0.9], [0, 0, 0, 1, 1, 1], None, q))
    zc = np.log(pc / (1 - pc + 1e-12) + 1e-12)  # credit log-odds
    cal.append(platt_case("platt_credit_logodds", zc, yc, None, np.linspace(-4, 4, 17)))
    cal.append(isotonic_case("isotonic_credit", pc, yc, None, np.linspace(0, 1, 41)))

    # ---- splits (unshuffled, so the rows are sklearn's)
    splits = []
    splits.append({"name": "kfold_23_5", "strategy": "kfold", "n": 23, "folds": 5,
                   "roles": folds_of(KFold(5), 23)})
    lab = rng.integers(0, 3, 40)
    lab[lab == 2] = rng.integers(0, 3, int(np.sum(lab == 2)))  # unequal classes
    splits.append({"name": "stratified_40_4", "strategy": "stratified", "n": 40, "folds": 4, "labels": lab.tolist(),
                   "roles": folds_of(StratifiedKFold(4), 40, lab)})
    yb = (np.arange(4454) % 7 < 2).astype(int)
    splits.append({"name": "stratified_binary_31_3", "strategy": "stratified", "n": 31, "folds": 3,
                   "labels": yb[:31].tolist(), "roles": folds_of(StratifiedKFold(3), 31, yb[:31])})
    sizes = [9, 1, 7, 4, 12, 2, 5, 3, 15, 6]  # distinct sizes: sklearn's order is then unambiguous
    grp = rng.permutation(np.repeat(np.arange(10) * 3 + 100, sizes))
    splits.append({"name": "group_64_3", "strategy": "group", "n": len(grp), "folds": 3, "groups": grp.tolist(),
                   "roles": folds_of(GroupKFold(3), len(grp), None, grp)})
    for gap in (0, 3):
        splits.append({"name": f"time_50_4_gap{gap}", "strategy": "time", "n": 50, "folds": 4, "gap": gap,
                       "times": list(range(1000, 1050)), "roles": folds_of(TimeSeriesSplit(4, gap=gap), 50)})

    out = {"generator": "tests/parity/sklearn_metrics.py", "sklearn": sklearn.__version__, "numpy": np.__version__,
           "cases": cases, "calibration": cal, "splits": splits}
    with open(args.out + ".tmp", "w") as f:
        json.dump(out, f, separators=(",", ":"), allow_nan=False)
    os.replace(args.out + ".tmp", args.out)
    print(f"{args.out}: {len(cases)} metric cases, {len(cal)} calibrations, {len(splits)} splits "
          f"(scikit-learn {sklearn.__version__})")


if __name__ == "__main__":
    sys.exit(main())
