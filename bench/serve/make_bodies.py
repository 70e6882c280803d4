#!/usr/bin/python3
"""make_bodies.py CSV N PROTO -- N one-row request bodies (v1 instances or v2 tensors) from the first N rows of a
CSV, one a line, every column but the target (status) sent; numbers as numbers, text as strings."""
import csv
import json
import sys

path, n, proto = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path) as f:
    rows = [r for _, r in zip(range(n), csv.DictReader(f))]


def value(v):
    try:
        return float(v)
    except ValueError:
        return None if v == "" else v


for r in rows:
    row = {k: value(v) for k, v in r.items() if k != "status"}
    if proto == "v1":
        print(json.dumps({"instances": [row]}))
    else:
        inputs = [{"name": k, "shape": [1], "datatype": "BYTES" if isinstance(v, str) else "FP64", "data": [v]}
                  for k, v in row.items() if v is not None]
        print(json.dumps({"inputs": inputs}))
