#!/usr/bin/python3
"""compare.py -- compares ONNX Runtime's scores of an exported model with plumb's predictions.

usage: tests/onnx/compare.py PLUMB_PRED.csv ORT_OUT.csv TOLERANCE
PLUMB_PRED.csv is `plumb predict`'s output: one column (binary: the positive class's probability; regression: the
value) or, for multiclass, "prediction" and one "p_<class>" column per class. ORT_OUT.csv is tests/onnx/ort_score.js's:
one column per class ([1 - p, p] for binary) or the prediction. Differences are absolute for probabilities and
relative to max(1, |plumb|) for regression values (ONNX Runtime returns float32, which holds 7 digits of 830.5).
Prints the largest difference; exit 0 when it is within TOLERANCE, 1 otherwise (naming the worst row), 2: usage.
"""
import csv
import sys


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    tol = float(argv[3])
    with open(argv[1], newline="") as f:
        rows = list(csv.reader(f))
    header, plumb = rows[0], rows[1:]
    with open(argv[2], newline="") as f:
        ort = [[float(v) for v in r] for r in csv.reader(f) if r]
    if len(ort) != len(plumb):
        print(f"{argv[2]}: {len(ort)} rows, plumb predicted {len(plumb)}", file=sys.stderr)
        return 1
    probs = [j for j, h in enumerate(header) if h.startswith("p_")]
    probs = probs if len(probs) > 1 else []
    worst, where = 0.0, None
    for i, (p, o) in enumerate(zip(plumb, ort)):
        if probs:  # multiclass: every class's probability
            pairs = [(float(p[j]), o[k], 1.0) for k, j in enumerate(probs)]
        elif len(o) == 2:  # binary: the positive class's probability, and the pair sums to 1
            v = float(p[0])
            pairs = [(v, o[1], 1.0), (1 - v, o[0], 1.0)]
        else:
            v = float(p[0])
            pairs = [(v, o[0], max(1.0, abs(v)))]
        for a, b, scale in pairs:
            d = abs(a - b) / scale
            if not d <= worst:
                worst, where = d, (i + 1, a, b)
    print(f"{len(plumb)} rows: largest difference {worst:.3g}")
    if worst > tol or worst != worst:
        print(f"data row {where[0]}: plumb {where[1]!r}, onnx runtime {where[2]!r}: differ by {worst:.3g} > {tol}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
