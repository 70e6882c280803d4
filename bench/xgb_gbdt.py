#!/usr/bin/python3
"""xgb_gbdt.py -- XGBoost's side of the gradient-boosting benchmark, for bench/run-gbdt to set beside plumb.

usage: /usr/bin/python3 bench/xgb_gbdt.py train [options] TRAIN.csv TEST.csv
       /usr/bin/python3 bench/xgb_gbdt.py score [--nthread N] [--runs N] MODEL TEST.csv
       /usr/bin/python3 bench/xgb_gbdt.py auc TEST.csv PREDICTIONS

train reads both files with pandas (float32 columns, so that the frames are no larger than plumb's; reading is
timed apart), builds the DMatrix of each (timed apart: "dmatrix_*_seconds"), drops the DataFrames, then times
xgb.train alone and one predict of the test DMatrix, and reports the test AUC (sklearn.metrics.roc_auc_score)
and log-loss. The parameters are plumb's as closely as XGBoost has them: tree_method=hist,
grow_policy=lossguide, max_leaves=255, max_depth=0, eta=0.1, max_bin=255, 500 rounds, nthread=2,
objective=binary:logistic, min_child_weight=0.001 (XGBoost's min_child_weight is the least sum of hessians in a
child, the same quantity as plumb's min_sum_hessian_in_leaf), reg_lambda=1 (plumb run with --lambda-l2 1).
XGBoost has no twin of plumb's min_data_in_leaf (20). XGBoost 1.7 bins the data (quantile sketch, gradient
index) inside xgb.train on a plain DMatrix, so that is part of its training time, as binning is of plumb's.

score loads MODEL, reads TEST.csv, sets the booster's nthread, and predicts --runs times (default 5) after one
warm-up, each time on a DMatrix built just before (untimed): XGBoost caches the predictions of a DMatrix it
has seen, so a second predict on the same one would measure the cache. Prints each time and the median.

auc computes roc_auc_score of PREDICTIONS (little-endian float64, one per test row, as bench_gbdt writes them)
against TEST.csv's labels: a cross-check of bench_gbdt's own AUC.

Memory: peak_rss_bytes is ru_maxrss over the whole process (the interpreter, numpy, pandas and xgboost, the
CSV reads). For training alone the peak is reset just before xgb.train (writing 5 to /proc/self/clear_refs)
and read after it (VmHWM): train_peak_rss_bytes includes the two DMatrix objects and the interpreter with its
modules; -1 when the reset is not allowed. Output lines are "key value" for scripts.
"""
import argparse
import gc
import resource
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score


def status_bytes(key):
    """The value of a 'Key:  N kB' line of /proc/self/status in bytes; -1 when unavailable."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return -1


def max_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def reset_peak():
    """Resets the peak resident set to the current one; False when not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def read_csv(path, what):
    t0 = time.perf_counter()
    df = pd.read_csv(path, dtype=np.float32)
    print(f"read_{what}_seconds {time.perf_counter() - t0:.6f}", flush=True)
    return df


def quality(y, p):
    q = np.clip(p.astype(np.float64), 1e-15, 1 - 1e-15)
    loss = -np.mean(np.where(y != 0, np.log(q), np.log1p(-q)))
    print(f"test_auc {roc_auc_score(y, p):.6f}")
    print(f"test_logloss {loss:.6f}")


def cmd_train(args):
    print(f"xgboost {xgb.__version__} numpy {np.__version__} pandas {pd.__version__} "
          f"python {sys.version.split()[0]}")
    train = read_csv(args.train, "train")
    test = read_csv(args.test, "test")
    if args.rows and args.rows < len(train):
        train = train.iloc[: args.rows]
    features = [c for c in train.columns if c != "label"]
    print(f"train_rows {len(train)}")
    print(f"test_rows {len(test)}")

    t0 = time.perf_counter()
    dtrain = xgb.DMatrix(train[features], label=train["label"], nthread=args.nthread)
    t1 = time.perf_counter()
    dtest = xgb.DMatrix(test[features], nthread=args.nthread)
    t2 = time.perf_counter()
    print(f"dmatrix_train_seconds {t1 - t0:.6f}")
    print(f"dmatrix_test_seconds {t2 - t1:.6f}")
    y_test = test["label"].to_numpy(np.float64)
    del train, test
    gc.collect()

    params = {
        "tree_method": "hist",
        "grow_policy": "lossguide",
        "max_leaves": args.leaves,
        "max_depth": 0,
        "eta": args.eta,
        "max_bin": args.max_bin,
        "nthread": args.nthread,
        "objective": "binary:logistic",
        "min_child_weight": args.min_child_weight,
        "reg_lambda": args.reg_lambda,
        "verbosity": 1,
    }
    print("params " + " ".join(f"{k}={v}" for k, v in params.items()) + f" rounds={args.rounds}")

    peak_reading = max_rss_bytes()
    reset = reset_peak()
    print(f"rss_before_train_bytes {status_bytes('VmRSS')}")
    c0, t0 = cpu_seconds(), time.perf_counter()
    booster = xgb.train(params, dtrain, num_boost_round=args.rounds)
    t1, c1 = time.perf_counter(), cpu_seconds()
    print(f"train_seconds {t1 - t0:.6f}")
    print(f"train_cpu_seconds {c1 - c0:.6f}")
    print(f"train_peak_rss_bytes {status_bytes('VmHWM') if reset else -1}")
    print(f"trees {booster.num_boosted_rounds()}")

    t0 = time.perf_counter()
    pred = booster.predict(dtest)
    print(f"predict_threads {args.nthread}")
    print(f"predict_seconds {time.perf_counter() - t0:.6f}")
    quality(y_test, pred)
    if args.predictions:
        pred.astype("<f8").tofile(args.predictions)
    if args.model:
        booster.save_model(args.model)
    print(f"peak_rss_bytes {max(peak_reading, max_rss_bytes())}")


def cmd_score(args):
    print(f"xgboost {xgb.__version__}")
    print(f"threads {args.nthread}")
    booster = xgb.Booster(model_file=args.model)
    booster.set_param({"nthread": args.nthread})
    test = read_csv(args.test, "test")
    features = [c for c in test.columns if c != "label"]
    x = np.ascontiguousarray(test[features].to_numpy(np.float32))
    y = test["label"].to_numpy(np.float64)
    del test
    times = []
    for run in range(args.runs + 1):
        dtest = xgb.DMatrix(x, feature_names=features, nthread=args.nthread)  # fresh: no prediction cache
        t0 = time.perf_counter()
        pred = booster.predict(dtest)
        dt = time.perf_counter() - t0
        if run == 0:
            print(f"warmup seconds {dt:.6f}", flush=True)
        else:
            times.append(dt)
            print(f"run {run} seconds {dt:.6f}", flush=True)
        del dtest
    median = float(np.median(times))
    print(f"rows {len(y)}")
    print(f"score_seconds {median:.6f}")
    print(f"rows_per_second {len(y) / median:.0f}")
    quality(y, pred)


def cmd_auc(args):
    y = pd.read_csv(args.test, usecols=["label"])["label"].to_numpy(np.float64)
    p = np.fromfile(args.predictions, dtype="<f8")
    if len(p) != len(y):
        sys.exit(f"xgb_gbdt.py: '{args.predictions}' has {len(p)} predictions for {len(y)} test rows")
    print(f"sklearn_auc {roc_auc_score(y, p):.6f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train and time XGBoost, report test AUC and memory")
    t.add_argument("--rows", type=int, default=0, help="train on the first N rows only (default all)")
    t.add_argument("--rounds", type=int, default=500)
    t.add_argument("--leaves", type=int, default=255, help="max_leaves (255)")
    t.add_argument("--eta", type=float, default=0.1)
    t.add_argument("--max-bin", type=int, default=255)
    t.add_argument("--nthread", type=int, default=2)
    t.add_argument("--reg-lambda", type=float, default=1.0)
    t.add_argument("--min-child-weight", type=float, default=1e-3)
    t.add_argument("--predictions", help="write test predictions as little-endian float64")
    t.add_argument("--model", help="save the model (XGBoost's format, by the file's extension)")
    t.add_argument("train")
    t.add_argument("test")
    s = sub.add_parser("score", help="time predictions of a saved model on the test rows")
    s.add_argument("--nthread", type=int, default=1)
    s.add_argument("--runs", type=int, default=5)
    s.add_argument("model")
    s.add_argument("test")
    a = sub.add_parser("auc", help="sklearn's AUC of a predictions file")
    a.add_argument("test")
    a.add_argument("predictions")
    args = parser.parse_args()
    if args.cmd == "score" and args.runs < 1:
        parser.error("--runs must be at least 1")
    {"train": cmd_train, "score": cmd_score, "auc": cmd_auc}[args.cmd](args)


if __name__ == "__main__":
    main()
