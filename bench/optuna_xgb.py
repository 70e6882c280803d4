#!/usr/bin/python3
"""optuna_xgb.py -- Optuna's TPE driving XGBoost: the peer of `plumb tune` in bench/run-tune.

usage: /usr/bin/python3 bench/optuna_xgb.py TRAIN.csv TEST.csv FOLDS.csv --seed S --trials N [--nthread N]

The search mirrors plumb tune's default gbdt search where the two libraries have the same knob:
  plumb                     XGBoost                      range
  learning_rate             eta                          0.01 .. 0.3, log
  num_leaves                max_leaves (lossguide)       4 .. 128, log, int
  min_data_in_leaf          min_child_weight             0.5 .. 50, log (a hessian sum: XGBoost has no row count)
  feature_fraction          colsample_bytree             0.4 .. 1
  lambda_l2                 reg_lambda                   0.001 .. 30, log
  bagging_freq in {0, 1}    bagging in {0, 1}            categorical
  bagging_fraction          subsample (when bagging)     0.4 .. 1
Each trial cross-validates on the folds plumb used (FOLDS.csv: `plumb cv --oof` with the same --seed, whose
`fold` column is the fold of each row), with 1000 rounds and early stopping after 50 rounds without a better AUC
on the fold's held-out rows, as plumb tune does; the trial's score is the mean fold AUC. Optuna's MedianPruner
(5 startup trials, warm-up of 1 fold) prunes from the running fold means, as plumb's median rule does. The best
parameters are refit on all training rows with the mean best iteration of the best trial's folds, and that model
is scored on TEST.csv. Categorical columns are pandas categories (XGBoost's enable_categorical, hist).
Prints "key value" lines: test_auc, best_cv, seconds (search + refit, after the imports), cpu_seconds (the
process's CPU time over the same span, all threads), pruned.
"""
import argparse
import sys
import time

import numpy as np
import optuna
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score


def load(path, target, cats=None):
    df = pd.read_csv(path)
    y = (df[target] == "good").astype(np.float32).to_numpy() if df[target].dtype == object else df[target].to_numpy()
    x = df.drop(columns=[target])
    for c in x.columns:
        if x[c].dtype == object:
            x[c] = pd.Categorical(x[c], categories=None if cats is None else cats[c])
    return x, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("folds")
    ap.add_argument("--target", default="Status")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--nthread", type=int, default=2)
    a = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    t0, c0 = time.perf_counter(), time.process_time()
    x, y = load(a.train, a.target)
    cats = {c: x[c].cat.categories for c in x.columns if str(x[c].dtype) == "category"}
    xt, yt = load(a.test, a.target, cats)
    fold = pd.read_csv(a.folds)["fold"].to_numpy()
    k = int(fold.max())
    dfold = []
    for f in range(1, k + 1):
        tr, te = fold != f, fold == f
        dfold.append((xgb.DMatrix(x[tr], y[tr], enable_categorical=True),
                      xgb.DMatrix(x[te], y[te], enable_categorical=True), y[te]))
    best_iters = {}

    def objective(trial):
        p = {
            "objective": "binary:logistic", "eval_metric": "auc", "tree_method": "hist", "grow_policy": "lossguide",
            "max_depth": 0, "nthread": a.nthread, "seed": a.seed, "verbosity": 0,
            "eta": trial.suggest_float("eta", 0.01, 0.3, log=True),
            "max_leaves": trial.suggest_int("max_leaves", 4, 128, log=True),
            "min_child_weight": trial.suggest_float("min_child_weight", 0.5, 50, log=True),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.4, 1.0),
            "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 30, log=True),
        }
        if trial.suggest_categorical("bagging", [0, 1]):
            p["subsample"] = trial.suggest_float("subsample", 0.4, 1.0)
        scores, iters = [], []
        for f, (dtr, dte, yte) in enumerate(dfold):
            b = xgb.train(p, dtr, num_boost_round=1000, evals=[(dte, "valid")], early_stopping_rounds=50,
                          verbose_eval=False)
            pred = b.predict(dte, iteration_range=(0, b.best_iteration + 1))
            scores.append(roc_auc_score(yte, pred))
            iters.append(b.best_iteration + 1)
            trial.report(float(np.mean(scores)), f)
            if f + 1 < len(dfold) and trial.should_prune():
                raise optuna.TrialPruned()
        best_iters[trial.number] = (p, float(np.mean(iters)))
        return float(np.mean(scores))

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=a.seed),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1))
    study.optimize(objective, n_trials=a.trials)
    p, it = best_iters[study.best_trial.number]
    final = xgb.train(p, xgb.DMatrix(x, y, enable_categorical=True), num_boost_round=max(1, round(it)))
    auc = roc_auc_score(yt, final.predict(xgb.DMatrix(xt, enable_categorical=True)))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    print(f"test_auc {auc:.6f}\nbest_cv {study.best_value:.6f}\nseconds {seconds:.3f}\ncpu_seconds {cpu:.3f}\n"
          f"pruned {pruned}")


if __name__ == "__main__":
    sys.exit(main())
