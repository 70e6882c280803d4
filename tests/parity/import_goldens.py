#!/usr/bin/python3
"""import_goldens.py -- the golden files of `plumb import`: small XGBoost and LightGBM models and their own
predictions, written once and committed under tests/data/import/ (tests/cli/test_import.sh compares plumb's
predictions of the imported models with them, to 1e-6).

XGBoost comes from Debian's python3-xgboost; LightGBM is driven through its C API (ctypes) from a shared library
built from a LightGBM snapshot, never committed: pass its path as --lightgbm (skip it to write XGBoost's only).

Data: float32 values (plumb reads numbers as float32, so both libraries see exactly what plumb sees), with missing
values, and for LightGBM integer-coded categorical columns. Every file is small (a few tens of kB).

usage: tests/parity/import_goldens.py [--lightgbm PATH/lib_lightgbm.so] [--fuzz-seeds] [OUT_DIR]
"""
import argparse
import ctypes
import json
import os
import sys

import numpy as np

ROWS = 300
FEATURES = 6


def data(seed, n_cat=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(ROWS, FEATURES)).astype(np.float32)
    x[:, 1] = np.round(x[:, 1] * 4) / 4  # ties on thresholds: x == threshold must go the library's way
    for j in range(n_cat):
        x[:, FEATURES - 1 - j] = rng.integers(0, 8 + 4 * j, size=ROWS).astype(np.float32)
    missing = rng.random(size=x.shape) < 0.1
    missing[:, 2] = False  # LightGBM's missing type None: a feature that had no missing value in training
    x[missing] = np.nan
    return x


def scored(x):
    """The rows scored: the training rows, with missing values where training had none (LightGBM reads them as 0)."""
    x = x.copy()
    x[: ROWS // 10, 2] = np.nan
    return x


def labels(x, task, seed):
    rng = np.random.default_rng(seed + 1)
    z = np.nan_to_num(x[:, 0]) - 0.7 * np.nan_to_num(x[:, 1]) + 0.5 * np.sin(np.nan_to_num(x[:, 2]) * 2)
    z = z + 0.8 * (np.nan_to_num(x[:, FEATURES - 1]) % 3 - 1) + rng.normal(scale=0.3, size=len(z))
    if task == "binary":
        return (z > 0).astype(np.float64)
    if task == "multiclass":
        return np.digitize(z, [-0.6, 0.6]).astype(np.float64)
    return z.astype(np.float64)


def write_csv(path, x, y, extra=None, n_cat=0):
    """Numbers as Python prints them (float32 values round-trip); categories (the last n_cat columns) as integers."""
    names = [f"f{j}" for j in range(x.shape[1])]
    with open(path, "w") as f:
        f.write(",".join(names + ["label"]) + "\n")
        for i in range(x.shape[0]):
            cells = ["" if np.isnan(v) else str(int(v)) if j >= FEATURES - n_cat else repr(float(v))
                     for j, v in enumerate(x[i])]
            f.write(",".join(cells + [repr(float(y[i])) if extra is None else extra(y[i])]) + "\n")


def write_pred(path, p):
    p = np.asarray(p, dtype=np.float64).reshape(ROWS, -1)
    with open(path, "w") as f:
        for row in p:
            f.write(",".join(f"{v:.17g}" for v in row) + "\n")


def label_text(task):
    return (lambda v: str(int(v))) if task != "regression" else None


# ---- XGBoost ------------------------------------------------------------------------------------------------
XGB_CASES = {
    "binary": {"objective": "binary:logistic", "base_score": 0.3},
    "regression": {"objective": "reg:squarederror"},
    "multiclass": {"objective": "multi:softprob", "num_class": 3},
}


def xgboost_goldens(out):
    import xgboost as xgb

    for seed, (task, params) in enumerate(XGB_CASES.items()):
        x = data(10 + seed)
        y = labels(x, task, 10 + seed)
        d = xgb.DMatrix(x, label=y, missing=np.nan)
        p = dict(params, max_depth=4, eta=0.3, seed=0, nthread=1, tree_method="hist")
        bst = xgb.train(p, d, num_boost_round=12)
        x = scored(x)
        d = xgb.DMatrix(x, label=y, missing=np.nan)
        name = f"xgb_{task}"
        bst.save_model(os.path.join(out, name + ".json"))
        write_csv(os.path.join(out, name + ".csv"), x, y, label_text(task))
        write_pred(os.path.join(out, name + ".pred.csv"), bst.predict(d))
        if task == "binary":  # TreeSHAP: XGBoost weighs paths by cover as plumb does
            write_pred(os.path.join(out, name + ".contrib.csv"), bst.predict(d, pred_contribs=True))


# ---- LightGBM (C API) -----------------------------------------------------------------------------------------
LGB_CASES = {
    "binary": ("objective=binary", 1),
    "regression": ("objective=regression", 0),
    "multiclass": ("objective=multiclass num_class=3", 1),
}


class Lgbm:
    def __init__(self, path):
        self.lib = ctypes.cdll.LoadLibrary(path)
        self.lib.LGBM_GetLastError.restype = ctypes.c_char_p

    def __call__(self, fn, *args):
        if getattr(self.lib, fn)(*args) != 0:
            raise RuntimeError(f"{fn}: {self.lib.LGBM_GetLastError().decode()}")

    def train(self, x, y, params, rounds):
        ds = ctypes.c_void_p()
        x64 = np.ascontiguousarray(x, dtype=np.float64)
        self("LGBM_DatasetCreateFromMat", x64.ctypes.data_as(ctypes.c_void_p), 1, ctypes.c_int32(x.shape[0]),
             ctypes.c_int32(x.shape[1]), 1, ctypes.c_char_p(params.encode()), None, ctypes.byref(ds))
        names = (ctypes.c_char_p * x.shape[1])(*[f"f{j}".encode() for j in range(x.shape[1])])
        self("LGBM_DatasetSetFeatureNames", ds, names, ctypes.c_int(x.shape[1]))
        y32 = np.ascontiguousarray(y, dtype=np.float32)
        self("LGBM_DatasetSetField", ds, ctypes.c_char_p(b"label"), y32.ctypes.data_as(ctypes.c_void_p),
             ctypes.c_int(len(y32)), 0)
        bst = ctypes.c_void_p()
        self("LGBM_BoosterCreate", ds, ctypes.c_char_p(params.encode()), ctypes.byref(bst))
        done = ctypes.c_int()
        for _ in range(rounds):
            self("LGBM_BoosterUpdateOneIter", bst, ctypes.byref(done))
        return bst, ds

    def save(self, bst, path):
        self("LGBM_BoosterSaveModel", bst, 0, -1, 0, ctypes.c_char_p(path.encode()))

    def predict(self, path, x, n_out):
        bst = ctypes.c_void_p()
        iters = ctypes.c_int()
        self("LGBM_BoosterCreateFromModelfile", ctypes.c_char_p(path.encode()), ctypes.byref(iters), ctypes.byref(bst))
        x64 = np.ascontiguousarray(x, dtype=np.float64)
        out = np.zeros(x.shape[0] * n_out, dtype=np.float64)
        n = ctypes.c_int64()
        self("LGBM_BoosterPredictForMat", bst, x64.ctypes.data_as(ctypes.c_void_p), 1, ctypes.c_int32(x.shape[0]),
             ctypes.c_int32(x.shape[1]), 1, 0, 0, -1, ctypes.c_char_p(b""), ctypes.byref(n),
             out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)))
        self("LGBM_BoosterFree", bst)
        return out


# A model written by hand, to put values exactly on its thresholds: "x <= 0.1" (a double) for the float32 values
# around 0.1 (0.1f is above 0.1, so it goes right), a zero_as_missing split (0, +-1e-36 and NaN take the default
# side) and a missing type None split (NaN is read as 0). LightGBM's own predictions are the golden ones.
EDGES_MODEL = """tree
version=v4
num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=2
objective=regression
feature_names=f0 f1 f2
feature_infos=[-1:1] [-1:1] [-1:1]
tree_sizes=1

Tree=0
num_leaves=4
num_cat=0
split_feature=0 1 2
split_gain=1 1 1
threshold=0.10000000000000001 0.5 -0.25
decision_type=8 6 0
left_child=1 -1 -3
right_child=2 -2 -4
leaf_value=1 2 4 8
leaf_weight=1 1 1 1
leaf_count=1 1 1 1
internal_value=0 0 0
internal_weight=1 1 1
internal_count=4 2 2
is_linear=0
shrinkage=1


end of trees

pandas_categorical:null
"""


def lightgbm_edges(out, lgb):
    f0 = [np.float32(0.1), np.nextafter(np.float32(0.1), np.float32(-1)), np.nextafter(np.float32(0.1), np.float32(1)),
          np.nan, 0.0]
    f1 = [0.0, np.nan, 1e-36, -1e-36, 0.5, 0.6, -3.0]
    f2 = [np.nan, -0.25, -0.3, 0.0]
    x = np.array([[a, b, c] for a in f0 for b in f1 for c in f2], dtype=np.float32)
    path = os.path.join(out, "lgb_edges.txt")
    with open(path, "w") as f:
        f.write(EDGES_MODEL)
    pred = lgb.predict(path, x, 1)
    names = ["f0", "f1", "f2"]
    with open(os.path.join(out, "lgb_edges.csv"), "w") as f:
        f.write(",".join(names) + "\n")
        for row in x:
            f.write(",".join("" if np.isnan(v) else repr(float(v)) for v in row) + "\n")
    with open(os.path.join(out, "lgb_edges.pred.csv"), "w") as f:
        for v in pred:
            f.write(f"{v:.17g}\n")


def lightgbm_goldens(out, lib):
    lgb = Lgbm(lib)
    lightgbm_edges(out, lgb)
    for seed, (task, (objective, n_cat)) in enumerate(LGB_CASES.items()):
        x = data(20 + seed, n_cat)
        y = labels(x, task, 20 + seed)
        cats = ",".join(str(FEATURES - 1 - j) for j in range(n_cat))
        params = (f"{objective} num_leaves=15 learning_rate=0.2 min_data_in_leaf=5 min_data_per_group=5 "
                  f"cat_smooth=1 verbose=-1 num_threads=1 seed=0 deterministic=true"
                  + (f" categorical_feature={cats}" if cats else ""))
        bst, ds = lgb.train(x, y, params, 12)
        name = f"lgb_{task}"
        path = os.path.join(out, name + ".txt")
        lgb.save(bst, path)
        lgb("LGBM_BoosterFree", bst)
        lgb("LGBM_DatasetFree", ds)
        n_out = 3 if task == "multiclass" else 1
        x = scored(x)
        write_csv(os.path.join(out, name + ".csv"), x, y, label_text(task), n_cat)
        write_pred(os.path.join(out, name + ".pred.csv"), lgb.predict(path, x, n_out))


def fuzz_seeds(lib):
    """Tiny models (2 iterations, 4 leaves) as the fuzz targets' seed corpora (tests/fuzz/corpus_import_*)."""
    import xgboost as xgb

    root = os.path.join(os.path.dirname(__file__), "..", "fuzz")
    x = data(30, 1)[:60]
    for task, params in XGB_CASES.items():
        bst = xgb.train(dict(params, max_depth=2, nthread=1), xgb.DMatrix(x, label=labels(x, task, 30)), 2)
        bst.save_model(os.path.join(root, "corpus_import_xgboost", task + ".json"))
    if not lib:
        return
    lgb = Lgbm(lib)
    for task, (objective, n_cat) in LGB_CASES.items():
        params = f"{objective} num_leaves=4 min_data_in_leaf=5 min_data_per_group=5 verbose=-1 num_threads=1 " \
                 f"categorical_feature={FEATURES - 1}"
        bst, ds = lgb.train(x, labels(x, task, 30), params, 2)
        lgb.save(bst, os.path.join(root, "corpus_import_lightgbm", task + ".txt"))
        lgb("LGBM_BoosterFree", bst)
        lgb("LGBM_DatasetFree", ds)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lightgbm", help="path of lib_lightgbm.so")
    ap.add_argument("--fuzz-seeds", action="store_true", help="write the fuzz targets' seed corpora instead")
    ap.add_argument("out", nargs="?", default=os.path.join(os.path.dirname(__file__), "..", "data", "import"))
    a = ap.parse_args()
    if a.fuzz_seeds:
        fuzz_seeds(a.lightgbm)
        return 0
    os.makedirs(a.out, exist_ok=True)
    xgboost_goldens(a.out)
    if a.lightgbm:
        lightgbm_goldens(a.out, a.lightgbm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
