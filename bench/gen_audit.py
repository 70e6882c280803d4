#!/usr/bin/python3
"""bench/gen_audit.py ROWS OUT.csv -- the audit benchmark's table: ROWS applications over 3 years, 30 features
(24 numeric with some missing values, 4 categorical, 2 planted leaks), a time column, an id and a binary target.
Deterministic (seed 0)."""
import sys

import numpy as np
import pandas as pd

rows, out = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(0)
x = rng.normal(size=(rows, 24))
z = x[:, :6] @ np.array([0.8, -0.6, 0.5, 0.4, -0.3, 0.2]) + rng.logistic(size=rows) * 0.8 - 1.2
y = (z > 0).astype(int)
df = pd.DataFrame(x, columns=[f"n{i:02d}" for i in range(24)])
for j in range(0, 24, 5):
    df.loc[rng.uniform(size=rows) < 0.05, f"n{j:02d}"] = np.nan
for j, k in enumerate([3, 6, 12, 40]):
    df[f"c{j}"] = np.array([f"v{i}" for i in range(k)])[rng.integers(0, k, rows)]
df["collections"] = np.where(y == 1, rng.uniform(100, 1000, rows), 0.0)
df["verified"] = np.where((y == 0) & (np.arange(rows) < 0.7 * rows), 1.0, np.nan)
df.insert(0, "application_id", np.arange(rows) + 1000000)
df.insert(1, "date", pd.to_datetime("2021-01-01") + pd.to_timedelta(np.arange(rows) * (3 * 365) // rows, unit="D"))
df["status"] = np.where(y == 1, "bad", "good")
df.to_csv(out, index=False, date_format="%Y-%m-%d")
