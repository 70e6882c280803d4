#!/usr/bin/python3
"""python_gbdt.py -- the Python package's benchmark (issue 20): PlumbGBMClassifier against the C library under it
and against xgboost.XGBClassifier, on one pandas DataFrame, in one process.

usage: PLUMB_LIBRARY_DIR=build /usr/bin/python3 bench/python_gbdt.py [--rounds N] [--iterations N] TRAIN.csv

Reads TRAIN.csv with pandas (float64, pandas' default; the label column "label"), then per round times:
  frame_f64   plumb.to_frame of the 28 float64 feature columns (the library converts them to float32: one copy)
  frame_f32   the same after df.astype(float32) (used in place: no copy)
  py_fit      PlumbGBMClassifier(...).fit(X, y), and c_fit: the time spent inside it in plumb_gbdt_train
  py_predict  predict_proba(X), and c_predict: the time inside it in plumb_model_predict
  xgb_fit, xgb_predict   XGBClassifier(tree_method="hist") with the nearest settings on the same DataFrame
The Python layer's overhead is (py - c) / c with both clocks read in the same call, so the load of a shared
machine, which moves whole runs by tens of percent, cancels out. Medians over the rounds are printed last as
"key value" lines. Settings: n_estimators iterations, num_leaves 255 (XGBoost: max_leaves 255, grow_policy
lossguide, max_depth 0), learning_rate 0.1, max_bin 255, 2 threads, min_child_weight 1e-3, reg_lambda 1.
"""
import argparse
import statistics
import sys
import time

import numpy as np
import pandas as pd

import plumb
from plumb import _lib


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("csv")
    a = ap.parse_args()
    t = time.perf_counter()
    df = pd.read_csv(a.csv)
    print(f"read_csv_seconds {time.perf_counter() - t:.3f}", flush=True)
    y = df.pop("label").to_numpy()
    X = df
    X32 = X.astype(np.float32)
    n, k = X.shape
    print(f"rows {n}\ncolumns {k}\nlibrary {plumb.library_path}\nversion {plumb.__version__}", flush=True)
    params = dict(n_estimators=a.iterations, num_leaves=255, learning_rate=0.1, max_bin=255, min_child_weight=1e-3,
                  reg_lambda=1.0, n_jobs=a.threads)
    res = {key: [] for key in ("frame_f64", "frame_f32", "c_fit", "py_fit", "c_predict", "py_predict", "xgb_fit",
                               "xgb_predict")}
    try:
        import xgboost
    except ImportError:
        xgboost = None
    inside = {}

    def timed(name, fn):
        def call(*args):
            t0 = time.perf_counter()
            try:
                return fn(*args)
            finally:
                inside[name] = inside.get(name, 0.0) + time.perf_counter() - t0
        return call

    _lib.gbdt_train = timed("fit", _lib.gbdt_train)
    _lib.model_predict = timed("predict", _lib.model_predict)
    for r in range(a.rounds):
        t = time.perf_counter()
        fr = plumb.to_frame(X, n_threads=a.threads)
        res["frame_f64"].append(time.perf_counter() - t)
        del fr
        t = time.perf_counter()
        fr = plumb.to_frame(X32, n_threads=a.threads)
        res["frame_f32"].append(time.perf_counter() - t)
        del fr
        inside.clear()
        t = time.perf_counter()
        est = plumb.PlumbGBMClassifier(**params).fit(X, y)
        res["py_fit"].append(time.perf_counter() - t)
        res["c_fit"].append(inside["fit"])
        t = time.perf_counter()
        proba = est.predict_proba(X)
        res["py_predict"].append(time.perf_counter() - t)
        res["c_predict"].append(inside["predict"])
        del proba, est
        if xgboost is not None:
            xgbc = xgboost.XGBClassifier(n_estimators=a.iterations, tree_method="hist", grow_policy="lossguide",
                                         max_leaves=255, max_depth=0, learning_rate=0.1, max_bin=255,
                                         min_child_weight=1e-3, reg_lambda=1.0, n_jobs=a.threads)
            t = time.perf_counter()
            xgbc.fit(X, y)
            res["xgb_fit"].append(time.perf_counter() - t)
            t = time.perf_counter()
            xp = xgbc.predict_proba(X)
            res["xgb_predict"].append(time.perf_counter() - t)
            del xgbc, xp
        line = " ".join(f"{key}={v[-1]:.3f}" for key, v in res.items() if v)
        print(f"round {r + 1}: {line}", flush=True)
    med = {key: statistics.median(v) for key, v in res.items() if v}
    for key, v in med.items():
        print(f"{key}_seconds {v:.4f}  (min {min(res[key]):.4f} max {max(res[key]):.4f})")
    fit_over = [(p - c) / c for p, c in zip(res["py_fit"], res["c_fit"])]
    pred_over = [(p - c) / c for p, c in zip(res["py_predict"], res["c_predict"])]
    print(f"fit_overhead {statistics.median(fit_over):.4f}  (per round: {' '.join(f'{x:.4f}' for x in fit_over)})")
    print(f"predict_overhead {statistics.median(pred_over):.4f}  "
          f"(per round: {' '.join(f'{x:.4f}' for x in pred_over)})")
    print(f"frame_f64_per_1m_x_28 {med['frame_f64'] * 1e6 / n * 28 / k:.4f}")
    print(f"frame_f32_per_1m_x_28 {med['frame_f32'] * 1e6 / n * 28 / k:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
