"""tools.py -- the rest of plumb from Python: audit, evaluation, TreeSHAP, reports, CSV reading.

Each function is a thin layer over one public call of libplumb (plumb_audit_run, plumb_evaluation_compute,
plumb_model_contrib, plumb_run_* and plumb_report_write), so the numbers are the ones the CLI prints.
"""
import ctypes
import html as _html
import json
import math
import os
import tempfile

import numpy as np

from . import _frame, _lib
from .model import Model


def read_csv(path, target=None, max_categories=1000, n_threads=0):
    """Reads a CSV file with libplumb's reader (types inferred as `plumb` does) into a Frame."""
    o = _lib.ReadOptions()
    _lib.read_options_init(ctypes.byref(o))
    o.target = _lib.s(target)
    o.max_categories = max_categories
    o.n_threads = n_threads
    out, err = _lib.P(), _lib.Error()
    _lib.check(_lib.frame_read_csv(os.fsencode(path), ctypes.byref(o), ctypes.byref(out), ctypes.byref(err)), err)
    return _frame.Frame(out.value)


class Report:
    """A run record (docs/report.md) and its self-contained HTML page; a notebook shows it inline."""

    def __init__(self, record_json, name="report"):
        self.json_text = record_json
        self.name = name
        self._html = None

    @property
    def record(self):
        return json.loads(self.json_text)

    @property
    def html(self):
        if self._html is None:
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "report.html")
                self._write(path)
                with open(path, encoding="utf-8") as f:
                    self._html = f.read()
        return self._html

    def _write(self, path):
        data = self.json_text.encode("utf-8")
        err = _lib.Error()
        _lib.check(_lib.report_write(data, len(data), os.fsencode(path), ctypes.byref(err)), err)

    def save(self, path):
        """Writes the page to path (and the record as JSON beside it, as `--report` does)."""
        self._write(path)

    def _repr_html_(self):
        # in a frame of its own, so the page's CSS cannot restyle the notebook around it
        return (f'<iframe srcdoc="{_html.escape(self.html, quote=True)}" style="width:100%;height:720px;'
                f'border:1px solid #ddd" title="{_html.escape(self.name)}"></iframe>')

    def __repr__(self):
        r = self.record
        return f"<plumb.Report {r.get('kind')}: {r.get('title', '')}>"


def _run_options(data_name, target=None, positive=None, negative=None):
    o = _lib.RunOptions()
    _lib.run_options_init(ctypes.byref(o))
    keep = [_lib.s(data_name), _lib.s(target), _lib.s(positive), _lib.s(negative)]
    o.data_path, o.target, o.positive_class, o.negative_class = keep
    return o, keep


def _take_run(run, name):
    try:
        text = _lib.take_string(_lib.run_json(run))
    finally:
        _lib.run_free(run)
    if text is None:
        raise MemoryError("out of memory")
    return Report(text, name)


_SEVERITY = ["info", "warning", "critical"]


def audit(data, target, test=None, model=None, time=None, id=None, positive_class=None, n_folds=5, seed=0,
          num_iterations=80, outcome_window_days=0.0, n_threads=0, data_name="data"):
    """Audits a training table (a DataFrame with the target column) for leakage and bad labels, as `plumb audit`.
    Returns the findings as a DataFrame (most severe first: severity, check, column, title, evidence, action,
    value, threshold); .attrs holds "suspect_rows" (row positions whose labels look wrong) and "report" (a Report)."""
    import pandas as pd

    roles = {}
    if time is not None:
        roles[str(time)] = _frame.ROLE_TIME
    if id is not None:
        roles[str(id)] = _frame.ROLE_ID
    fr = _frame.to_frame(data, target=target, roles=roles, n_threads=n_threads)
    test_fr = _frame.to_frame(test, target=target, roles=roles, n_threads=n_threads) if test is not None else None
    o = _lib.AuditOptions()
    _lib.audit_options_init(ctypes.byref(o))
    pc = _lib.s(positive_class)
    o.positive_class = pc
    o.test = test_fr.ptr if test_fr is not None else None
    o.model = model._ptr if isinstance(model, Model) else model.booster_._ptr if model is not None else None
    o.n_folds = n_folds
    o.seed = seed
    o.num_iterations = num_iterations
    o.outcome_window_days = outcome_window_days
    o.n_threads = n_threads
    out, err = _lib.P(), _lib.Error()
    _lib.check(_lib.audit_run(fr.ptr, ctypes.byref(o), ctypes.byref(out), ctypes.byref(err)), err)
    a = out.value
    try:
        rows = []
        for i in range(_lib.audit_n_findings(a)):
            f = _lib.audit_finding(a, i).contents
            dec = (lambda b: b.decode("utf-8", "replace") if b else None)
            rows.append({"severity": _SEVERITY[f.severity], "check": dec(f.check), "column": dec(f.column),
                         "title": dec(f.title), "evidence": dec(f.evidence), "action": dec(f.action),
                         "value": f.value, "threshold": f.threshold})
        n = ctypes.c_int64()
        sp = _lib.audit_suspect_rows(a, ctypes.byref(n))
        suspects = np.array([sp[i] for i in range(n.value)], dtype=np.int64)
        ro, keep = _run_options(data_name, target)
        run, err2 = _lib.P(), _lib.Error()
        _lib.check(_lib.run_audit(ctypes.byref(ro), fr.n_rows, a, ctypes.byref(run), ctypes.byref(err2)), err2)
        rep = _take_run(run.value, "audit")
    finally:
        _lib.audit_free(a)
    df = pd.DataFrame(rows, columns=["severity", "check", "column", "title", "evidence", "action", "value",
                                     "threshold"])
    df.attrs["suspect_rows"] = suspects
    df.attrs["report"] = rep
    return df


_TASKS = {"binary": 1, "regression": 2, "multiclass": 3}


def eval(y_true, y_score, task=None, sample_weight=None, threshold=0.5, ci_level=0.0, n_resamples=1000, seed=0,
         positive_class=None, data_name="scores"):
    """Every metric `plumb eval` reports for scores against labels, as a DataFrame (metric, value, and lo/hi when
    ci_level > 0: bootstrap intervals). task: "binary" (labels 0/1, or two values with positive_class; the
    default when y_score is one column and y_true has two values), "regression", or "multiclass" (y_score one
    column per class; labels 0..k-1). .attrs: "confusion" (array), "report" (a Report)."""
    import pandas as pd

    y_true = np.asarray(y_true)
    y_score = np.ascontiguousarray(y_score, dtype=np.float64)
    if task is None:
        task = "multiclass" if y_score.ndim == 2 and y_score.shape[1] > 2 else (
            "binary" if len(np.unique(y_true)) <= 2 else "regression")
    if task not in _TASKS:
        raise ValueError(f"unknown task {task!r}: binary, regression or multiclass")
    positive = negative = None
    if task == "binary":
        if y_score.ndim == 2:
            y_score = np.ascontiguousarray(y_score[:, -1])
        values = np.unique(y_true)
        if y_true.dtype.kind in "fiub" and set(values.tolist()) <= {0, 1}:
            label = y_true.astype(np.float64)
        else:
            positive = values[-1] if positive_class is None else positive_class
            if positive not in values.tolist():
                raise ValueError(f"positive class {positive!r} is not among the labels")
            others = [v for v in values.tolist() if v != positive]
            negative = others[0] if len(others) == 1 else None
            label = (y_true == positive).astype(np.float64)
    else:
        label = y_true.astype(np.float64)
    label = np.ascontiguousarray(label)
    w = None if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=np.float64)
    d = _lib.MetricData()
    _lib.metric_data_init(ctypes.byref(d))
    d.n_rows = len(label)
    d.label = label.ctypes.data
    d.score = y_score.ctypes.data
    d.weight = w.ctypes.data if w is not None else None
    d.n_classes = y_score.shape[1] if task == "multiclass" else 0
    d.threshold = threshold
    o = _lib.EvaluationOptions()
    _lib.evaluation_options_init(ctypes.byref(o))
    o.task = _TASKS[task]
    o.ci_level = ci_level
    o.n_resamples = n_resamples
    o.seed = seed
    src = _lib.s(data_name)
    o.source = src
    ev, err = _lib.Evaluation(), _lib.Error()
    try:
        _lib.check(_lib.evaluation_compute(ctypes.byref(d), ctypes.byref(o), ctypes.byref(ev), ctypes.byref(err)), err)
        rows = []
        for i in range(ev.n_metrics):
            r = {"metric": _lib.metric_name(ev.metrics[i]).decode(), "value": ev.values[i]}
            if ev.ci_level > 0:
                r["lo"], r["hi"] = ev.lo[i], ev.hi[i]
            rows.append(r)
        k = ev.n_classes if ev.confusion else 0
        confusion = np.array([ev.confusion[i] for i in range(k * k)]).reshape(k, k) if k else None
        ro, keep = _run_options(data_name, None, None if positive is None else str(positive),
                                None if negative is None else str(negative))
        run, err2 = _lib.P(), _lib.Error()
        _lib.check(_lib.run_eval(ctypes.byref(ro), ctypes.byref(d), ctypes.byref(ev), None, None, ctypes.byref(run),
                                 ctypes.byref(err2)), err2)
        rep = _take_run(run.value, "eval")
    finally:
        _lib.evaluation_free(ctypes.byref(ev))
    df = pd.DataFrame(rows).set_index("metric")
    df.attrs["confusion"] = confusion
    df.attrs["report"] = rep
    return df


def _model_and_frame(model, X, y=None):
    """The plumb.Model behind model (a Model or a fitted estimator) and X as its frame, with y as the target."""
    if isinstance(model, Model):
        return model, (model.frame(X) if y is None else None)
    m = model.booster_
    Xv = model._validate_X(X, reset=False)
    if y is None:
        return m, model._frame(Xv)
    y_col, ttype = model._encode_y(y, fit=False)
    t, _ = model._columns(len(y_col))
    return m, model._frame(Xv, [(t, y_col, _frame.ROLE_TARGET, ttype)])


def explain(model, X):
    """TreeSHAP contributions of a gradient-boosted model (a Model or a fitted estimator) for every row of X: an
    array n_rows x (n_features + 1), the bias last (n_rows x n_classes x (n_features + 1) for multiclass); a row
    sums to the raw score. Columns follow the model's features (Model.feature_names)."""
    m, fr = _model_and_frame(model, X)
    return m.explain(fr)


def report(model, X, y=None, X_valid=None, y_valid=None, data_name="data"):
    """The train report of a model: data, settings, importance (mean |TreeSHAP|), learning curve, and the
    evaluation on (X_valid, y_valid) when given. model is a fitted estimator (then y, y_valid are its labels) or
    a plumb.Model (then X, X_valid are DataFrames holding its target column). Returns a Report."""
    if isinstance(model, Model):
        m, fr = model, _frame.to_frame(X, target=_target_of(model), types=model._types())
        vf = (_frame.to_frame(X_valid, target=_target_of(model), types=model._types())
              if X_valid is not None else None)
    else:
        m, fr = _model_and_frame(model, X, y)
        vf = _model_and_frame(model, X_valid, y_valid)[1] if X_valid is not None else None
    ro, keep = _run_options(data_name)
    run, err = _lib.P(), _lib.Error()
    _lib.check(_lib.run_train(ctypes.byref(ro), m._ptr, fr.ptr, vf.ptr if vf is not None else None,
                              ctypes.byref(run), ctypes.byref(err)), err)
    return _take_run(run.value, "train")


def _target_of(model):
    for name, _, role, _ in model.schema:
        if role == "target":
            return name
    raise ValueError("the model's schema names no target")


del math
