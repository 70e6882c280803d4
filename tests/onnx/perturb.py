#!/usr/bin/python3
"""perturb.py -- a harder copy of a CSV file for the ONNX export tests: missing values, unseen categories, and
numbers placed exactly on the model's split thresholds.

usage: tests/onnx/perturb.py MODEL.onnx INPUTS.json IN.csv OUT.csv [SEED]
Reads the tree ensemble's BRANCH_LEQ thresholds from MODEL.onnx (none for a linear model) and rewrites IN.csv's
rows, seeded: a numeric cell becomes one of its feature's thresholds or a float32 neighbour of one (as the shortest
text that reads back as that float32), empty, "NA", or stays; a categorical cell becomes empty, "NA", an unseen
category, or stays. The header
and the other columns are kept, so `plumb predict` and tests/onnx/ort_score.js read OUT.csv alike.
"""
import csv
import json
import random
import sys

import numpy as np
import onnx


def float32_text(v):
    """The shortest decimal that reads back as float32 v."""
    f = np.float32(v)
    for digits in range(6, 12):
        s = f"{float(f):.{digits}g}"
        if np.float32(float(s)) == f:
            return s
    return repr(float(f))


def thresholds(model, n_x):
    """Per X column: the split thresholds on it (the ensemble reads X's columns first)."""
    out = [set() for _ in range(n_x)]
    for node in model.graph.node:
        if not node.op_type.startswith("TreeEnsemble"):
            continue
        a = {x.name: x for x in node.attribute}
        for f, mode, v in zip(a["nodes_featureids"].ints, a["nodes_modes"].strings, a["nodes_values"].floats):
            if mode == b"BRANCH_LEQ" and f < n_x and np.isfinite(v):
                out[f].add(float(v))
    return [sorted(t) for t in out]


def main(argv):
    if len(argv) not in (5, 6):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    model = onnx.load(argv[1])
    spec = json.load(open(argv[2]))
    rng = random.Random(int(argv[5]) if len(argv) == 6 else 14)
    with open(argv[3], newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    xs = [header.index(c) for c in spec["X"]]
    cs = [header.index(c) for c in spec["C"]]
    thr = thresholds(model, len(xs))
    bools = set(spec["bool"])
    for row in body:
        for k, j in enumerate(xs):
            r = rng.random()
            if r < 0.25 and thr[k] and spec["X"][k] not in bools:  # a bool column reads true/false only
                # the threshold itself or its float32 neighbours: a threshold off by one ulp shows
                t = np.float32(rng.choice(thr[k]))
                up, down = np.nextafter(t, np.float32(np.inf)), np.nextafter(t, np.float32(-np.inf))
                row[j] = float32_text(rng.choice([t, up, down]))
            elif r < 0.32:
                row[j] = ""
            elif r < 0.36:
                row[j] = "NA"
        for j in cs:
            r = rng.random()
            if r < 0.07:
                row[j] = ""
            elif r < 0.10:
                row[j] = "NA"
            elif r < 0.16:
                row[j] = "never_seen"
    with open(argv[4], "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(body)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
