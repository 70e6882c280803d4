#!/usr/bin/python3
"""sklearn_logistic.py -- scikit-learn's side of the logistic-regression benchmark, for bench/run-linear to set
beside plumb (bench/bench_linear.c).

usage: /usr/bin/python3 bench/sklearn_logistic.py fit [--rows N] [--C X] [--tol X] [--max-iter N] [--coef FILE]
                                                      TRAIN.csv
       /usr/bin/python3 bench/sklearn_logistic.py objective [--rows N] [--C X] COEF_FILE TRAIN.csv

fit reads TRAIN.csv with pandas (float32 columns, as plumb stores them, then float64 for scikit-learn; reading is
timed apart), builds plumb's design (the preprocessing plumb's model carries, timed apart as prep_seconds): each
column's missing values imputed with its median plus a 0/1 missing-indicator column, the value columns
standardised (mean, population standard deviation); then times LogisticRegression(solver='lbfgs', C, tol,
max_iter).fit alone. C defaults to 1 and tol to 1e-4 (scikit-learn's defaults); max_iter to 1000 so that lbfgs
stops on its tolerance, not on the iteration limit (its default 100). Prints "key value" lines: read_seconds,
prep_seconds, train_rows, train_seconds, train_cpu_seconds (user + system over fit(), of every thread: numpy's
BLAS may use several, set OPENBLAS_NUM_THREADS), n_iter, objective (plumb's normalised form, docs/linear.md:
mean log-loss + |b|^2 / (2 C rows), which is scikit-learn's objective divided by C times the rows),
train_logloss. --coef writes the coefficients, "name value" a line, intercept first, in plumb's order and names.

objective evaluates plumb's convention for the coefficients in COEF_FILE (as bench_linear --coef writes them) on
the same design: a cross-check that both programs measure the same objective on the same data.
"""
import argparse
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def design(path, rows):
    """plumb's design of TRAIN.csv: (X float64, y, names, read_seconds, prep_seconds)."""
    t0 = time.perf_counter()
    df = pd.read_csv(path, dtype=np.float32, nrows=rows if rows > 0 else None)
    read = time.perf_counter() - t0
    t0 = time.perf_counter()
    y = df.pop("label").to_numpy(np.float64)
    cols, names = [], []
    for c in df.columns:
        v = df[c].to_numpy(np.float64)
        miss = np.isnan(v)
        if miss.any():
            v = np.where(miss, np.median(v[~miss]), v)
        cols.append((v - v.mean()) / v.std())
        names.append(c)
        if miss.any():
            cols.append(miss.astype(np.float64))
            names.append(c + ":missing")
    x = np.column_stack(cols)
    return x, y, names, read, time.perf_counter() - t0


def objective(x, y, b0, b, C):
    f = b0 + x @ b
    loss = np.logaddexp(0, f) - y * f
    return float(loss.mean() + (b @ b) / (2 * C * len(y))), float(loss.mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["fit", "objective"])
    ap.add_argument("--rows", type=int, default=0)
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--max-iter", type=int, default=1000)
    ap.add_argument("--coef")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    x, y, names, read, prep = design(a.paths[-1], a.rows)
    print("read_seconds %.6f" % read)
    print("prep_seconds %.6f" % prep)
    print("train_rows %d" % len(y))
    if a.mode == "objective":
        coef = {}
        with open(a.paths[0]) as f:
            for line in f:
                k, v = line.split()
                coef[k] = float(v)
        b = np.array([coef[n] for n in names])
        obj, ll = objective(x, y, coef["(intercept)"], b, a.C)
        print("objective %.17g" % obj)
        print("train_logloss %.17g" % ll)
        return
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    m = LogisticRegression(solver="lbfgs", C=a.C, tol=a.tol, max_iter=a.max_iter)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        t0, c0 = time.perf_counter(), cpu_seconds()
        m.fit(x, y)
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    obj, ll = objective(x, y, m.intercept_[0], m.coef_[0], a.C)
    print("train_seconds %.6f" % elapsed)
    print("train_cpu_seconds %.6f" % cpu)
    print("n_iter %d" % m.n_iter_[0])
    print("converged %d" % (not any(issubclass(w.category, ConvergenceWarning) for w in caught)))
    print("objective %.17g" % obj)
    print("train_logloss %.17g" % ll)
    if a.coef:
        with open(a.coef, "w") as f:
            f.write("(intercept) %.17g\n" % m.intercept_[0])
            for n, v in zip(names, m.coef_[0]):
                f.write("%s %.17g\n" % (n, v))


if __name__ == "__main__":
    sys.exit(main())
