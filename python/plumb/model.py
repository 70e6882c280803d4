"""model.py -- plumb.Model: a trained libplumb model (any kind) held by Python.

A Model owns its plumb_model and frees it when collected. It pickles as its model file (plumb_model_save_buffer),
so a pickled model is the same bytes `plumb train` would have written, checksum included.
"""
import ctypes
import os

import numpy as np

from . import _frame, _lib

TASKS = ["auto", "binary", "regression", "multiclass"]


class Model:
    """A trained plumb model. Load one with Model.load(path) or Model.from_bytes(data); estimators make them."""

    def __init__(self, ptr):
        self._ptr = ptr

    def __del__(self):
        if getattr(self, "_ptr", None):
            _lib.model_free(self._ptr)
            self._ptr = None

    # ---- files and bytes ----
    @classmethod
    def load(cls, path):
        out, err = _lib.P(), _lib.Error()
        _lib.check(_lib.model_load(os.fsencode(path), ctypes.byref(out), ctypes.byref(err)), err)
        return cls(out.value)

    @classmethod
    def from_bytes(cls, data, name="<bytes>"):
        data = bytes(data)
        out, err = _lib.P(), _lib.Error()
        _lib.check(_lib.model_load_buffer(data, len(data), _lib.s(name), ctypes.byref(out), ctypes.byref(err)), err)
        return cls(out.value)

    def save(self, path):
        err = _lib.Error()
        _lib.check(_lib.model_save(self._ptr, os.fsencode(path), ctypes.byref(err)), err)

    def to_bytes(self):
        data, size, err = ctypes.c_void_p(), ctypes.c_size_t(), _lib.Error()
        _lib.check(_lib.model_save_buffer(self._ptr, ctypes.byref(data), ctypes.byref(size), ctypes.byref(err)), err)
        return _lib.take_bytes(data, size.value)

    def __getstate__(self):
        return {"model": self.to_bytes()}

    def __setstate__(self, state):
        self._ptr = None
        self._ptr = Model.from_bytes(state["model"], "<pickle>")._detach()

    def _detach(self):
        p, self._ptr = self._ptr, None
        return p

    # ---- what it is ----
    @property
    def info(self):
        """plumb_model_describe as a dict: kind, task, objective, n_outputs, n_features, n_trees, ..."""
        i = _lib.ModelInfo()
        _lib.model_describe(self._ptr, ctypes.byref(i))
        d = {}
        for name, _ in _lib.ModelInfo._fields_:
            v = getattr(i, name)
            d[name] = v.decode() if isinstance(v, bytes) else v
        d["task"] = TASKS[i.task] if 0 <= i.task < len(TASKS) else "unknown"
        return d

    @property
    def kind(self):
        return self.info["kind"]

    @property
    def task(self):
        return self.info["task"]

    @property
    def n_outputs(self):
        return self.info["n_outputs"]

    @property
    def feature_names(self):
        return [_lib.model_feature_name(self._ptr, f).decode() for f in range(self.info["n_features"])]

    @property
    def schema(self):
        """[(name, type, role, categories)] of the training data's columns."""
        return _frame.schema_columns(_lib.model_schema(self._ptr))

    @property
    def positive_class(self):
        v = _lib.model_positive_class(self._ptr)
        return v.decode() if v else None

    def __repr__(self):
        i = self.info
        return (f"<plumb.Model {i['kind']} {i['task']}: {i['n_features']} features, {i['n_trees']} trees, "
                f"trained on {i['train_rows']} rows>")

    # ---- scoring ----
    def _types(self):
        """Column name -> type number of the model's schema, so data is read as the model was trained on."""
        return {name: _frame.TYPE_NAMES.index(t) for name, t, role, _ in self.schema
                if role != "target" and t in ("numeric", "categorical", "bool", "datetime")}

    def frame(self, X, names=None, n_threads=0):
        """X as a frame read the way this model reads data: a DataFrame by column names, a 2-D array as the model's
        features in order (or names)."""
        import pandas as pd

        if isinstance(X, _frame.Frame):
            return X
        if isinstance(X, dict):
            X = pd.DataFrame(X)
        if isinstance(X, pd.DataFrame):
            return _frame.from_dataframe(X, types=self._types(), n_threads=n_threads, names=names)
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"expected a 2-D array, got {X.ndim} dimensions")
        names = names if names is not None else self.feature_names
        if X.shape[1] != len(names):
            raise ValueError(f"X has {X.shape[1]} columns but the model reads {len(names)} features")
        return _frame.from_matrix(X, names, n_threads=n_threads)

    def predict(self, X, raw=False, uncalibrated=False, threads=0, names=None):
        """Predictions for every row of X: probabilities of the positive class (binary), values (regression), one
        column per class (multiclass), or raw scores. Returns an array of n_rows (n_rows x n_outputs)."""
        fr = self.frame(X, names, threads)
        k = self.n_outputs
        out = np.empty((fr.n_rows, k), dtype=np.float64)
        opts = _lib.PredictOptions(threads, raw, uncalibrated)
        err = _lib.Error()
        _lib.check(_lib.model_predict(self._ptr, fr.ptr, ctypes.byref(opts), out.ctypes.data, ctypes.byref(err)), err)
        return out[:, 0] if k == 1 else out

    def explain(self, X, threads=0, names=None):
        """TreeSHAP contributions: n_rows x (n_features + 1) (the bias last), n_rows x n_outputs x (n_features + 1)
        for multiclass; each row sums to the raw score."""
        fr = self.frame(X, names, threads)
        k, nf = self.n_outputs, self.info["n_features"]
        out = np.empty((fr.n_rows, k, nf + 1), dtype=np.float64)
        opts = _lib.PredictOptions(threads, False, False)
        err = _lib.Error()
        _lib.check(_lib.model_contrib(self._ptr, fr.ptr, ctypes.byref(opts), out.ctypes.data, ctypes.byref(err)), err)
        return out[:, 0, :] if k == 1 else out

    def importance(self):
        """Gain and split count per model feature (gradient-boosted models), as a DataFrame."""
        import pandas as pd

        nf = self.info["n_features"]
        imp = (_lib.Importance * max(nf, 1))()
        err = _lib.Error()
        _lib.check(_lib.model_importance(self._ptr, imp, ctypes.byref(err)), err)
        return pd.DataFrame({"feature": self.feature_names, "gain": [imp[f].gain for f in range(nf)],
                             "splits": [imp[f].splits for f in range(nf)]})

    def coefficients(self):
        """The coefficients of a linear model as a DataFrame (name, column, value, standardized, odds_ratio, ...)."""
        import pandas as pd

        out, n, err = ctypes.POINTER(_lib.Coefficient)(), ctypes.c_int64(), _lib.Error()
        _lib.check(_lib.model_coefficients(self._ptr, ctypes.byref(out), ctypes.byref(n), ctypes.byref(err)), err)
        rows = []
        for i in range(n.value):
            c = out[i]
            rows.append({"name": c.name.decode(), "column": c.column.decode() if c.column else None,
                         "value": c.value, "standardized": c.standardized, "odds_ratio": c.odds_ratio,
                         "center": c.center, "scale": c.scale})
        return pd.DataFrame(rows)

    def linear_info(self):
        """plumb_linear_describe as a dict (linear models): alpha, l1_ratio, n_iterations, converged, ..."""
        i, err = _lib.LinearInfo(), _lib.Error()
        _lib.check(_lib.linear_describe(self._ptr, ctypes.byref(i), ctypes.byref(err)), err)
        return {n: (getattr(i, n).decode() if isinstance(getattr(i, n), bytes) else getattr(i, n))
                for n, _ in _lib.LinearInfo._fields_}

    def rules(self):
        """A tree model as readable rules, one line per leaf."""
        text, err = ctypes.c_void_p(), _lib.Error()
        _lib.check(_lib.model_rules(self._ptr, ctypes.byref(text), ctypes.byref(err)), err)
        return _lib.take_string(text)


def train(kind, frame, params, valid=None):
    """Trains a model of kind "gbdt", "tree" or "linear" on frame (a _frame.Frame with a target column) with the
    filled params struct; returns a Model."""
    out, err = _lib.P(), _lib.Error()
    if kind == "gbdt":
        st = _lib.gbdt_train(frame.ptr, valid.ptr if valid is not None else None, ctypes.byref(params),
                             ctypes.byref(out), ctypes.byref(err))
    elif kind == "tree":
        st = _lib.tree_train(frame.ptr, ctypes.byref(params), ctypes.byref(out), ctypes.byref(err))
    else:
        st = _lib.linear_train(frame.ptr, ctypes.byref(params), ctypes.byref(out), ctypes.byref(err))
    _lib.check(st, err)
    return Model(out.value)
