#!/usr/bin/python3
"""check.py -- validates an ONNX model exported by `plumb export` and writes its input columns.

usage: tests/onnx/check.py MODEL.onnx INPUTS.json
Runs onnx.checker.check_model with full_check (type and shape inference over the whole graph, Debian's
python3-onnx), checks the producer and the opsets, and writes the "plumb.inputs" metadata to INPUTS.json for
tests/onnx/ort_score.js. Exit 0: valid; 1: invalid (the checker's message on stderr); 2: usage.
"""
import json
import sys

import onnx


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    model = onnx.load(argv[1])
    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as e:
        print(f"{argv[1]}: onnx.checker: {e}", file=sys.stderr)
        return 1
    opsets = {o.domain: o.version for o in model.opset_import}
    if model.producer_name != "plumb" or opsets.get("ai.onnx.ml") != 3 or opsets.get("") != 15:
        print(f"{argv[1]}: unexpected producer {model.producer_name!r} or opsets {opsets}", file=sys.stderr)
        return 1
    meta = {p.key: p.value for p in model.metadata_props}
    if "plumb.inputs" not in meta:
        print(f"{argv[1]}: no plumb.inputs metadata", file=sys.stderr)
        return 1
    with open(argv[2], "w") as f:
        f.write(meta["plumb.inputs"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
