#!/usr/bin/python3
"""pandas_read.py -- times pandas.read_csv on one file, the peer that bench/run sets beside plumb's bench_csv.

usage: /usr/bin/python3 bench/pandas_read.py [--warmup N] [--runs N] FILE

Calls pandas.read_csv(FILE) with its defaults (the C engine, one thread) in this process, first --warmup times
(default 0), then --runs times (default 3), and prints one line per call with its wall time; importing pandas is
not timed. Then, from the last frame:
its size (df.memory_usage().sum(); the float columns are float64 and the integer ones int64), the process's peak
resident set (ru_maxrss, taken before the checksum) and a checksum computed like bench_csv's (each value rounded
to float32, summed in double), so bench/run can show that both read the same numbers. The output has the same
"key value" lines as bench_csv.

Run it with Debian's /usr/bin/python3 (python3-pandas): the python3 first on PATH may be another interpreter
without pandas.
"""
import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd


def main():
    parser = argparse.ArgumentParser(description="time pandas.read_csv on FILE")
    parser.add_argument("--warmup", type=int, default=0,
                        help="reads of FILE before the measured ones, printed as 'warmup' (default 0)")
    parser.add_argument("--runs", type=int, default=3, help="reads of FILE, each timed and printed (default 3)")
    parser.add_argument("file")
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")

    print(f"pandas {pd.__version__} numpy {np.__version__} python {sys.version.split()[0]}")
    df = None
    for run in range(1 - args.warmup, args.runs + 1):
        df = None  # free the previous frame before timing the next read, as bench_csv does
        t0 = time.perf_counter()
        df = pd.read_csv(args.file)
        t1 = time.perf_counter()
        if run < 1:
            print(f"warmup {run + args.warmup} seconds {t1 - t0:.6f}", flush=True)
        else:
            print(f"run {run} seconds {t1 - t0:.6f}", flush=True)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rows, cols = df.shape
    frame_bytes = int(df.memory_usage().sum())
    dtypes = ",".join(sorted({str(t) for t in df.dtypes}))
    total = 0.0
    for name in df.columns:
        x = df[name].to_numpy(dtype=np.float32).astype(np.float64)
        total += float(np.add.reduce(x))
    print(f"rows {rows}")
    print(f"columns {cols}")
    print(f"dtypes {dtypes}")
    print(f"frame_bytes {frame_bytes}")
    print(f"raw_f32_bytes {rows * cols * 4}")
    print(f"memory_ratio {frame_bytes / (rows * cols * 4):.6f}")
    print(f"peak_rss_bytes {peak}")
    print(f"checksum {total:.17g}")


if __name__ == "__main__":
    main()
