#!/usr/bin/python3
"""The planted strengths of `plumb synth credit`, measured live with XGBoost and scikit-learn.

usage: synth_credit.py PLUMB [--seed S] [--rows N] [--check GOLDEN] [--write-golden GOLDEN [--seeds 1,2,3]]
Generates the table (warehouse view, and the decision view of the same applications) with the plumb binary, then:
  naive_random   XGBoost on every column but the ids, date and target, random 80/20 split: the leaks make it
                 look excellent (bar: AUC > 0.95)
  clean_oot      XGBoost on the clean columns, trained on the older matured applications and tested on the later
                 matured ones (out of time, final labels): a realistic credit model (bar: AUC 0.70-0.85)
  clean_random   the clean columns on the random split, for reference
  naive_oot      the naive model out of time on the warehouse data (the leaks are still in the stored history)
  naive_decision the naive model scoring the same out-of-time applications as production saw them (decision
                 view: no review flag, no collections, ids in application order): the founding story's drop
  alone_COL      XGBoost on one column, random split: each leak alone (client_id, verification_flag,
                 collections_amount) against the strongest honest columns (income, seniority)
  flip_precision, flip_recall  a confident-learning pass (out-of-fold probabilities of a 5-fold naive model;
                 rows labelled good whose P(bad) exceeds the mean P(bad) of the rows labelled bad) against the
                 truth's flipped rows: what the audit's label check can reach on this data
Prints one JSON line per seed; exits 1 when a bar is missed. --check also compares every figure with the committed
golden run of the same seed (tests/parity/synth_credit_golden.json, written by --write-golden): a difference above
0.03 means the generator's strengths moved, and the golden file and docs/synth.md need a look.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split

CATS = ["marital", "home", "job", "prior_arrears", "purpose", "verification_flag"]
LEAKS = ["client_id", "verification_flag", "collections_amount"]
NOT_FEATURES = ["application_id", "application_date", "status"]


def generate(plumb, tmp, seed, rows, view):
    table, truth = os.path.join(tmp, view + ".csv"), os.path.join(tmp, view + ".json")
    subprocess.run([plumb, "synth", "credit", "--seed", str(seed), "--rows", str(rows), "--view", view, "-o", table,
                    "--truth", truth], check=True)
    with open(truth) as f:
        return pd.read_csv(table, parse_dates=["application_date"]), json.load(f)


def design(df, columns):
    """One-hot categoricals (missing as its own level), numbers as they are (NaN = missing)."""
    x = df[columns].copy()
    cats = [c for c in columns if c in CATS]
    x = pd.get_dummies(x, columns=cats, dummy_na=True).astype(float)
    return x


def fit(xtr, ytr, rounds=300):
    params = dict(tree_method="hist", max_depth=4, learning_rate=0.05, subsample=0.8, colsample_bytree=0.8,
                  min_child_weight=5, reg_lambda=1.0, objective="binary:logistic", nthread=1, seed=0, verbosity=0)
    return xgb.train(params, xgb.DMatrix(xtr, label=ytr), num_boost_round=rounds)


def predict(model, x, columns):
    return model.predict(xgb.DMatrix(x.reindex(columns=columns, fill_value=0.0)))


def measure(plumb, seed, rows):
    with tempfile.TemporaryDirectory() as tmp:
        df, truth = generate(plumb, tmp, seed, rows, "warehouse")
        dec, _ = generate(plumb, tmp, seed, rows, "decision")
    y = (df["status"] == "bad").astype(int).values
    roles = {c["name"]: c["role"] for c in truth["columns"]}
    clean = [c for c in df.columns if roles[c] == "clean"]
    naive = [c for c in df.columns if c not in NOT_FEATURES]
    assert set(naive) - set(clean) == set(LEAKS), "the truth's roles and the script disagree"
    res = {"seed": seed, "rows": rows, "clean_signal_auc": round(truth["clean_signal_auc"], 4),
           "bad_rate": round(float(y.mean()), 4)}

    # random split
    idx_tr, idx_te = train_test_split(np.arange(len(df)), test_size=0.2, random_state=0, stratify=y)
    for name, cols in (("naive_random", naive), ("clean_random", clean)):
        x = design(df, cols)
        m = fit(x.iloc[idx_tr], y[idx_tr])
        res[name] = round(roc_auc_score(y[idx_te], predict(m, x.iloc[idx_te], x.columns)), 4)

    # single columns on the random split: each leak alone against the strongest honest columns
    for c in LEAKS + ["income", "seniority"]:
        x = design(df, [c])
        m = fit(x.iloc[idx_tr], y[idx_tr], rounds=100)
        res["alone_" + c] = round(roc_auc_score(y[idx_te], predict(m, x.iloc[idx_te], x.columns)), 4)

    # out of time, on matured rows only (final labels): older two thirds train, the rest test
    matured = np.arange(truth["first_immature_row"])
    cut = int(len(matured) * 2 / 3)
    tr, te = matured[:cut], matured[cut:]
    for name, cols in (("clean_oot", clean), ("naive_oot", naive)):
        x = design(df, cols)
        m = fit(x.iloc[tr], y[tr])
        res[name] = round(roc_auc_score(y[te], predict(m, x.iloc[te], x.columns)), 4)
        if name == "naive_oot":
            xd = design(dec, cols)
            res["naive_decision"] = round(roc_auc_score(y[te], predict(m, xd.iloc[te], x.columns)), 4)

    # label audit reach: confident learning with out-of-fold probabilities of the naive model
    x = design(df, naive)
    oof = np.zeros(len(df))
    for a, b in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
        oof[b] = predict(fit(x.iloc[a], y[a]), x.iloc[b], x.columns)
    threshold = oof[y == 1].mean()
    suspect = set(np.where((y == 0) & (oof > threshold))[0].tolist())
    flipped = set(truth["flipped_rows"])
    hit = len(suspect & flipped)
    res["flip_precision"] = round(hit / max(1, len(suspect)), 3)
    res["flip_recall"] = round(hit / max(1, len(flipped)), 3)
    return res


def bars(res):
    """The bars the issue sets, as (name, passed)."""
    return [("naive_random > 0.95", res["naive_random"] > 0.95),
            ("0.70 <= clean_oot <= 0.85", 0.70 <= res["clean_oot"] <= 0.85),
            ("naive_decision < naive_random - 0.1", res["naive_decision"] < res["naive_random"] - 0.1),
            ("flip precision and recall >= 0.6", res["flip_precision"] >= 0.6 and res["flip_recall"] >= 0.6),
            ("every leak alone beats every honest column alone",
             min(res["alone_" + c] for c in LEAKS) > max(res["alone_income"], res["alone_seniority"]) + 0.1)]


def main():
    args = sys.argv[1:]
    opt = lambda name, default: args[args.index(name) + 1] if name in args else default
    plumb = args[0]
    rows = int(opt("--rows", 20000))
    if "--write-golden" in args:
        seeds = [int(s) for s in opt("--seeds", "1,2,3").split(",")]
        runs = [measure(plumb, s, rows) for s in seeds]
        with open(opt("--write-golden", None), "w") as f:
            f.write("[\n" + ",\n".join("  " + json.dumps(r) for r in runs) + "\n]\n")
        print("\n".join(json.dumps(r) for r in runs))
        return 0 if all(ok for r in runs for _, ok in bars(r)) else 1
    res = measure(plumb, int(opt("--seed", 1)), rows)
    print(json.dumps(res))
    failed = [name for name, ok in bars(res) if not ok]
    if "--check" in args:
        with open(opt("--check", None)) as f:
            golden = [g for g in json.load(f) if g["seed"] == res["seed"] and g["rows"] == res["rows"]]
        if not golden:
            failed.append("no golden run for this seed and size")
        for key, want in (golden[0].items() if golden else []):
            if key not in ("seed", "rows") and abs(res[key] - want) > 0.03:
                failed.append("%s %.4f differs from the golden %.4f" % (key, res[key], want))
    for name in failed:
        print("FAIL: " + name, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
