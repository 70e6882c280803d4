#!/usr/bin/python3
"""gbdt_work.py -- the work a trained plumb model implies, for reading a profile of plumb_gbdt_train.

usage: /usr/bin/python3 bench/gbdt_work.py MODEL [ROWS [TREES]]

Reads a plumb model file (a header line, then JSON with per-tree node_count, left/right children and leaf_count,
written by plumb_model_save) and prints, per tree on average and over all trees:
- hist_rows: rows whose bins go into a histogram: the root's rows plus, for every split, the rows of the smaller
  child (the larger child's histogram is the parent's minus the smaller's). Children too small to split again
  (fewer than 2 * min_data_in_leaf rows) are counted too, so this is an upper bound.
- partition_rows: rows moved by partitioning: every split scans its node's rows.
- mean_leaf_depth: the depth of a training row's leaf, averaged over rows: the number of node visits per row
  when the tree's outputs are added to the training scores by walking the tree (train.c add_tree).
With ROWS (the number of training rows), also these per training row; with TREES, only the first TREES trees
(a model trained with more iterations starts with the trees of a shorter run, as training is deterministic). Output lines are "key value".
"""
import json
import sys


def main():
    if len(sys.argv) not in (2, 3, 4):
        sys.exit(__doc__.split("\n\n")[1])
    with open(sys.argv[1], "rb") as f:
        f.readline()  # header: length and checksum of the body
        model = json.loads(f.read())
    trees = model["trees"]
    if len(sys.argv) == 4:
        trees = trees[: int(sys.argv[3])]
    hist = part = depth_rows = rows_total = 0
    for t in trees:
        nl = t["n_leaves"]
        if nl == 1:
            continue
        node_count, left, right, leaf_count = t["node_count"], t["left"], t["right"], t["leaf_count"]

        def count(child):
            return node_count[child] if child >= 0 else leaf_count[~child]

        hist += node_count[0]
        part += sum(node_count)
        for k in range(nl - 1):
            hist += min(count(left[k]), count(right[k]))
        # depth of every leaf, from the root down
        stack = [(0, 0)]
        while stack:
            node, d = stack.pop()
            for child in (left[node], right[node]):
                if child >= 0:
                    stack.append((child, d + 1))
                else:
                    depth_rows += (d + 1) * leaf_count[~child]
                    rows_total += leaf_count[~child]
    n = len(trees)
    print(f"trees {n}")
    print(f"hist_rows_per_tree {hist / n:.0f}")
    print(f"partition_rows_per_tree {part / n:.0f}")
    print(f"mean_leaf_depth {depth_rows / rows_total:.2f}")
    print(f"hist_rows_total {hist}")
    print(f"partition_rows_total {part}")
    if len(sys.argv) >= 3:
        rows = int(sys.argv[2])
        print(f"hist_rows_per_training_row_per_tree {hist / n / rows:.2f}")
        print(f"partition_rows_per_training_row_per_tree {part / n / rows:.2f}")


if __name__ == "__main__":
    main()
