#!/usr/bin/python3
"""xgb_row.py -- XGBoost's side of the single-row benchmark, for bench/run-row to set beside plumb's scorer.

usage: /usr/bin/python3 bench/xgb_row.py [--rows N] [--reps N] MODEL TEST.csv

Loads MODEL (trained by xgb_gbdt.py train with the benchmark's settings; bench/run-row trains and caches it),
sets the booster's nthread to 1, reads the first --rows rows (10000) of TEST.csv with pandas as float32 (the
values plumb's reader stores), and makes one C-contiguous 1 x n_features array per row before any timing, so
that slicing is not timed. Each row is scored with Booster.inplace_predict(row) -- XGBoost's path for one row
without a DMatrix -- once as a warm-up, whose predictions must equal inplace_predict's on all the rows at once
(exit 1 otherwise); then --reps repetitions (5), each timed as bench/rowtime.h describes for the C programs:
a per-call pass (time.perf_counter_ns around each call: median and nearest-rank p99) and a batch pass (one
reading around the loop: the mean). The time is XGBoost's as a Python caller sees it: the interpreter's call
and argument checks are in it, as they are for anyone scoring from Python.

Output lines are "key value" for scripts: xgb_rep K median_us X p99_us Y mean_us Z per repetition, then
xgb_median_us, xgb_p99_us, xgb_mean_us (medians over the repetitions), timer_overhead_ns, test_auc_rows.
"""
import argparse
import math
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score


def timer_overhead_ns():
    now = time.perf_counter_ns
    d = []
    for _ in range(10000):
        t0 = now()
        d.append(now() - t0)
    return float(np.median(d))


def rep(booster, rows):
    """One repetition: per-call pass, then batch pass. Returns (median_us, p99_us, mean_us)."""
    now = time.perf_counter_ns
    predict = booster.inplace_predict
    dt = []
    for r in rows:
        t0 = now()
        predict(r)
        dt.append(now() - t0)
    t0 = now()
    for r in rows:
        predict(r)
    t1 = now()
    dt.sort()
    rank = math.ceil(0.99 * len(dt))  # nearest rank, 1-based
    return float(np.median(dt)) / 1e3, dt[rank - 1] / 1e3, (t1 - t0) / len(rows) / 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10000, help="test rows scored one at a time (10000)")
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions after a warm-up (5)")
    parser.add_argument("model")
    parser.add_argument("test")
    args = parser.parse_args()
    if args.rows < 1 or args.reps < 1:
        parser.error("--rows and --reps must be at least 1")

    print(f"xgboost {xgb.__version__} numpy {np.__version__} python {sys.version.split()[0]}")
    booster = xgb.Booster(model_file=args.model)
    booster.set_param({"nthread": 1})
    print("xgboost_threads 1")
    print(f"iterations {booster.num_boosted_rounds()}")
    test = pd.read_csv(args.test, dtype=np.float32, nrows=args.rows)
    features = [c for c in test.columns if c != "label"]
    x = np.ascontiguousarray(test[features].to_numpy(np.float32))
    y = test["label"].to_numpy(np.float64)
    rows = [np.ascontiguousarray(x[i: i + 1]) for i in range(len(x))]
    print(f"rows {len(rows)}")
    print(f"features {x.shape[1]}")

    batch = booster.inplace_predict(x)
    single = np.array([booster.inplace_predict(r)[0] for r in rows], dtype=batch.dtype)
    if not np.array_equal(single, batch):
        sys.exit(f"xgb_row.py: single-row predictions differ from the batch's in "
                 f"{int(np.sum(single != batch))} of {len(rows)} rows")
    print("xgb_equals_batch 1")
    print(f"test_auc_rows {roc_auc_score(y, batch):.6f}")
    print(f"timer_overhead_ns {timer_overhead_ns():.1f}")

    results = []
    for k in range(args.reps):
        m, p, a = rep(booster, rows)
        results.append((m, p, a))
        print(f"xgb_rep {k + 1} median_us {m:.4f} p99_us {p:.4f} mean_us {a:.4f}", flush=True)
    for i, key in enumerate(("median_us", "p99_us", "mean_us")):
        print(f"xgb_{key} {float(np.median([r[i] for r in results])):.4f}")


if __name__ == "__main__":
    main()
