"""bench/monitor_scipy.py -- the peer of bench_monitor (bench/run-monitor): the same per-feature drift tests with
scipy on the same data, timed apart from reading. For each feature: scipy.stats.ks_2samp and
scipy.stats.wasserstein_distance of the new column against the reference rows, and PSI on 20 quantile bins of the
reference (numpy). Prints wall and CPU seconds of the tests (reading excluded) and the features it calls drifted by
the same rules as plumb (KS p < 0.05 / features up to 1,000 rows, else Wasserstein / std > 0.1).

usage: /usr/bin/python3 bench/monitor_scipy.py REF.csv NEW.csv TARGET
"""
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats

ref = pd.read_csv(sys.argv[1]).drop(columns=[sys.argv[3]])
new = pd.read_csv(sys.argv[2], dtype=np.float32).drop(columns=[sys.argv[3]])
t0, c0 = time.perf_counter(), time.process_time()
drifted = []
for name in ref.columns:
    r = ref[name].to_numpy(np.float64)
    c = new[name].to_numpy(np.float64)
    r, c = r[~np.isnan(r)], c[~np.isnan(c)]
    ks = stats.ks_2samp(r, c)
    w = stats.wasserstein_distance(r, c) / (r.std(ddof=1) or 1.0)
    cuts = np.unique(np.quantile(r, np.arange(1, 20) / 20))
    pr = np.bincount(np.searchsorted(cuts, r, side="right"), minlength=len(cuts) + 1) / len(r)
    pc = np.bincount(np.searchsorted(cuts, c, side="right"), minlength=len(cuts) + 1) / len(c)
    pr, pc = np.maximum(pr, 0.5 / len(r)), np.maximum(pc, 0.5 / len(c))
    psi = float(np.sum((pc - pr) * np.log(pc / pr)))
    if (len(c) <= 1000 and ks.pvalue < 0.05 / len(ref.columns)) or (len(c) > 1000 and w > 0.1):
        drifted.append(name)
print("scipy tests %.3f s wall, %.3f s cpu, %d features, drifted: %s" %
      (time.perf_counter() - t0, time.process_time() - c0, len(ref.columns), ",".join(drifted) or "none"))
