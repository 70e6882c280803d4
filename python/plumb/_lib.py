"""_lib.py -- loads libplumb with ctypes and declares the C API the package uses (include/plumb/plumb.h).

The library is found through PLUMB_LIBRARY_DIR, then an installed prefix (the dynamic loader's search path and
the usual prefixes), then the build tree of the repository this file sits in (../../build). Structs mirror the
header field by field; tests/test_lib.py compiles a C program that prints each struct's size and offsets and
checks them against these declarations, so a header change that is not mirrored here fails the tests.

Every fallible call goes through check(): a status below zero becomes a PlumbError carrying the library's
message, file, line and column.
"""
import ctypes
import ctypes.util
import logging
import os
from ctypes import (POINTER, Structure, c_bool, c_char, c_char_p, c_double, c_int, c_int32, c_int64, c_size_t,
                    c_uint8, c_uint64, c_void_p)

# ---- statuses and errors ------------------------------------------------------------------------------------------

OK, ENOMEM, EIO, EINVAL, EPARSE, ESCHEMA, EFORMAT = 0, -1, -2, -3, -4, -5, -6
_STATUS_NAMES = {ENOMEM: "PLUMB_ENOMEM", EIO: "PLUMB_EIO", EINVAL: "PLUMB_EINVAL", EPARSE: "PLUMB_EPARSE",
                 ESCHEMA: "PLUMB_ESCHEMA", EFORMAT: "PLUMB_EFORMAT"}
PATH_MAX, MESSAGE_MAX = 1024, 512


class PlumbError(Exception):
    """An error reported by libplumb: str() is the library's "path:line:column: message"; the parts are attributes
    (status, status_name, path, line, column, message)."""

    def __init__(self, text, status=EINVAL, path="", line=0, column=0, message=None):
        super().__init__(text)
        self.status = status
        self.status_name = _STATUS_NAMES.get(status, "unknown status")
        self.path = path
        self.line = line
        self.column = column
        self.message = text if message is None else message


class PlumbValueError(PlumbError, ValueError):
    """Bad arguments or data (PLUMB_EINVAL, PLUMB_EPARSE, PLUMB_ESCHEMA, PLUMB_EFORMAT): also a ValueError, as
    scikit-learn and numpy raise for bad input."""


class PlumbIOError(PlumbError, OSError):
    """A file could not be read or written (PLUMB_EIO)."""


class PlumbMemoryError(PlumbError, MemoryError):
    """The library ran out of memory (PLUMB_ENOMEM)."""


class Error(Structure):
    _fields_ = [("code", c_int), ("path", c_char * PATH_MAX), ("line", c_int64), ("column", c_int64),
                ("message", c_char * MESSAGE_MAX)]


# ---- the structs of plumb.h used here ------------------------------------------------------------------------------

class ArrayColumn(Structure):
    _fields_ = [("name", c_char_p), ("type", c_int), ("role", c_int), ("dtype", c_int), ("data", c_void_p),
                ("stride", c_int64), ("missing", c_void_p), ("categories", POINTER(c_char_p)),
                ("n_categories", c_int64), ("datetime_per_second", c_int64)]


class ArrayOptions(Structure):
    _fields_ = [("borrow", c_bool), ("max_categories", c_int64), ("n_threads", c_int)]


class ColumnInfo(Structure):
    _fields_ = [("name", c_char_p), ("type", c_int), ("role", c_int), ("n_categories", c_int64),
                ("categories", POINTER(c_char_p)), ("available_at", c_char_p), ("available_after_days", c_double),
                ("note", c_char_p)]


class ReadOptions(Structure):
    _fields_ = [("delimiter", c_char), ("missing_tokens", POINTER(c_char_p)), ("n_missing_tokens", c_size_t),
                ("schema", c_void_p), ("target", c_char_p), ("id_col", c_char_p), ("time_col", c_char_p),
                ("weight_col", c_char_p), ("group_col", c_char_p), ("categorical", POINTER(c_char_p)),
                ("n_categorical", c_size_t), ("max_categories", c_int64), ("n_threads", c_int),
                ("display_name", c_char_p), ("schema_subset", c_int)]


class GbdtParams(Structure):
    _fields_ = [("task", c_int), ("objective", c_int), ("alpha", c_double), ("metric", c_char_p),
                ("positive_class", c_char_p), ("num_iterations", c_int64), ("learning_rate", c_double),
                ("num_leaves", c_int32), ("max_depth", c_int32), ("min_data_in_leaf", c_int64),
                ("min_sum_hessian_in_leaf", c_double), ("lambda_l1", c_double), ("lambda_l2", c_double),
                ("min_gain_to_split", c_double), ("max_bin", c_int32), ("feature_fraction", c_double),
                ("bagging_fraction", c_double), ("bagging_freq", c_int32), ("early_stopping_rounds", c_int64),
                ("cat_smooth", c_double), ("cat_l2", c_double), ("min_data_per_group", c_int64),
                ("max_cat_threshold", c_int32), ("max_cat_to_onehot", c_int32), ("poisson_max_delta_step", c_double),
                ("monotone", c_void_p), ("n_monotone", c_int), ("init_model", c_void_p), ("n_threads", c_int),
                ("seed", c_uint64), ("progress", c_void_p), ("progress_user", c_void_p)]


class TreeParams(Structure):
    _fields_ = [("task", c_int), ("positive_class", c_char_p), ("criterion", c_int), ("max_depth", c_int32),
                ("min_samples_split", c_int64), ("min_samples_leaf", c_int64), ("min_impurity_decrease", c_double),
                ("ccp_alpha", c_double), ("class_weight_balanced", c_int), ("class_weight", c_double * 2),
                ("n_threads", c_int)]


class LinearParams(Structure):
    _fields_ = [("task", c_int), ("positive_class", c_char_p), ("alpha", c_double), ("l1_ratio", c_double),
                ("class_weight", c_char_p), ("standardize", c_int), ("clip_quantile", c_double),
                ("min_category_weight", c_double), ("max_iter", c_int64), ("tol", c_double), ("n_threads", c_int)]


class ModelInfo(Structure):
    _fields_ = [("kind", c_char_p), ("task", c_int), ("objective", c_char_p), ("n_outputs", c_int64),
                ("n_features", c_int64), ("n_trees", c_int64), ("n_iterations", c_int64),
                ("best_iteration", c_int64), ("metric", c_char_p), ("train_metric", c_double),
                ("valid_metric", c_double), ("train_rows", c_int64), ("plumb_version", c_char_p),
                ("data_sha256", c_char_p), ("created", c_char_p)]


class PredictOptions(Structure):
    _fields_ = [("threads", c_int), ("raw", c_bool), ("uncalibrated", c_bool)]


class Importance(Structure):
    _fields_ = [("gain", c_double), ("splits", c_int64)]


class Coefficient(Structure):
    _fields_ = [("name", c_char_p), ("column", c_char_p), ("value", c_double), ("standardized", c_double),
                ("odds_ratio", c_double), ("odds_ratio_std", c_double), ("center", c_double), ("scale", c_double)]


class LinearInfo(Structure):
    _fields_ = [("alpha", c_double), ("l1_ratio", c_double), ("n_inputs", c_int64), ("n_coefficients", c_int64),
                ("n_nonzero", c_int64), ("n_iterations", c_int64), ("converged", c_int), ("objective", c_double),
                ("positive_class", c_char_p)]


class Finding(Structure):
    _fields_ = [("severity", c_int), ("check", c_char_p), ("column", c_char_p), ("title", c_char_p),
                ("evidence", c_char_p), ("action", c_char_p), ("value", c_double), ("threshold", c_double)]


class AuditOptions(Structure):
    _fields_ = [("positive_class", c_char_p), ("test", c_void_p), ("model", c_void_p),
                ("outcome_window_days", c_double), ("as_of_days", c_double), ("n_folds", c_int32), ("seed", c_uint64),
                ("num_iterations", c_int64), ("single_power_critical", c_double), ("single_power_warning", c_double),
                ("too_good", c_double), ("gain_share", c_double), ("missing_power", c_double),
                ("id_power", c_double), ("split_gap", c_double), ("label_noise", c_double), ("n_threads", c_int)]


class MetricData(Structure):
    _fields_ = [("n_rows", c_int64), ("label", c_void_p), ("score", c_void_p), ("weight", c_void_p),
                ("n_classes", c_int64), ("threshold", c_double), ("alpha", c_double)]


class EvaluationOptions(Structure):
    _fields_ = [("task", c_int), ("ci_level", c_double), ("n_resamples", c_int64), ("seed", c_uint64),
                ("pinball", c_bool), ("source", c_char_p)]


METRIC_COUNT = 24


class Evaluation(Structure):
    _fields_ = [("task", c_int), ("probabilities", c_bool), ("n_metrics", c_size_t), ("metrics", c_int * METRIC_COUNT),
                ("values", c_double * METRIC_COUNT), ("ci_level", c_double), ("n_resamples", c_int64),
                ("lo", c_double * METRIC_COUNT), ("hi", c_double * METRIC_COUNT), ("confusion", POINTER(c_double)),
                ("n_classes", c_int64), ("n_rows", c_double), ("weight_sum", c_double), ("positives", c_double)]


class RunOptions(Structure):
    _fields_ = [("data_path", c_char_p), ("target", c_char_p), ("positive_class", c_char_p),
                ("negative_class", c_char_p), ("model_kind", c_char_p), ("strategy", c_char_p),
                ("fold_model", c_void_p), ("seed", c_uint64)]


# ---- finding and loading the library -------------------------------------------------------------------------------

def _candidates():
    names = ("libplumb.so.0", "libplumb.so", "libplumb.dylib")
    env = os.environ.get("PLUMB_LIBRARY_DIR")
    if env:
        for n in names:
            yield os.path.join(env, n)
        return  # an explicit directory is the only place looked at, so a wrong one is an error, not a fallback
    found = ctypes.util.find_library("plumb")
    if found:
        yield found
    for prefix in (os.environ.get("PLUMB_PREFIX"), "/usr/local", "/usr", os.path.expanduser("~/.local")):
        if prefix:
            for lib in ("lib", "lib64", "lib/x86_64-linux-gnu"):
                for n in names:
                    yield os.path.join(prefix, lib, n)
    here = os.path.dirname(os.path.abspath(__file__))
    for n in names:
        yield os.path.join(here, "..", "..", "build", n)


def _load():
    tried = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            tried.append(path)
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append(f"{path} ({e})")
    raise ImportError("cannot find libplumb: set PLUMB_LIBRARY_DIR to the folder holding libplumb.so; tried "
                      + ", ".join(tried))


lib, library_path = _load()


def _fn(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


P = c_void_p
E = POINTER(Error)
version = _fn("plumb_version", c_char_p)
error_format = _fn("plumb_error_format", c_char_p, E, ctypes.c_char_p, c_size_t)
LOG_FN = ctypes.CFUNCTYPE(None, c_int, c_char_p, c_void_p)
set_log = _fn("plumb_set_log", None, LOG_FN, c_void_p)

schema_n_columns = _fn("plumb_schema_n_columns", c_int64, P)
schema_column = _fn("plumb_schema_column", None, P, c_int64, POINTER(ColumnInfo))
array_options_init = _fn("plumb_array_options_init", None, POINTER(ArrayOptions))
frame_from_arrays = _fn("plumb_frame_from_arrays", c_int, POINTER(ArrayColumn), c_int64, c_int64,
                        POINTER(ArrayOptions), POINTER(P), E)
read_options_init = _fn("plumb_read_options_init", None, POINTER(ReadOptions))
frame_read_csv = _fn("plumb_frame_read_csv", c_int, c_char_p, POINTER(ReadOptions), POINTER(P), E)
frame_free = _fn("plumb_frame_free", None, P)
frame_n_rows = _fn("plumb_frame_n_rows", c_int64, P)
frame_n_columns = _fn("plumb_frame_n_columns", c_int64, P)
frame_find = _fn("plumb_frame_find", c_int64, P, c_char_p)
frame_schema = _fn("plumb_frame_schema", P, P)
frame_f32 = _fn("plumb_frame_f32", P, P, c_int64)
frame_f64 = _fn("plumb_frame_f64", P, P, c_int64)
frame_codes = _fn("plumb_frame_codes", P, P, c_int64)
frame_i64 = _fn("plumb_frame_i64", P, P, c_int64)
frame_u8 = _fn("plumb_frame_u8", P, P, c_int64)
frame_labels = _fn("plumb_frame_labels", c_int, P, c_int64, c_char_p, POINTER(c_int), POINTER(c_char_p),
                   POINTER(c_int64), P, E)

gbdt_params_init = _fn("plumb_gbdt_params_init", None, POINTER(GbdtParams))
gbdt_train = _fn("plumb_gbdt_train", c_int, P, P, POINTER(GbdtParams), POINTER(P), E)
tree_params_init = _fn("plumb_tree_params_init", None, POINTER(TreeParams))
tree_train = _fn("plumb_tree_train", c_int, P, POINTER(TreeParams), POINTER(P), E)
linear_params_init = _fn("plumb_linear_params_init", None, POINTER(LinearParams))
linear_train = _fn("plumb_linear_train", c_int, P, POINTER(LinearParams), POINTER(P), E)
model_free = _fn("plumb_model_free", None, P)
model_save = _fn("plumb_model_save", c_int, P, c_char_p, E)
model_save_buffer = _fn("plumb_model_save_buffer", c_int, P, POINTER(c_void_p), POINTER(c_size_t), E)
model_load = _fn("plumb_model_load", c_int, c_char_p, POINTER(P), E)
model_load_buffer = _fn("plumb_model_load_buffer", c_int, c_char_p, c_size_t, c_char_p, POINTER(P), E)
model_schema = _fn("plumb_model_schema", P, P)
model_describe = _fn("plumb_model_describe", None, P, POINTER(ModelInfo))
model_predict = _fn("plumb_model_predict", c_int, P, P, POINTER(PredictOptions), P, E)
model_feature_name = _fn("plumb_model_feature_name", c_char_p, P, c_int64)
model_importance = _fn("plumb_model_importance", c_int, P, POINTER(Importance), E)
model_contrib = _fn("plumb_model_contrib", c_int, P, P, POINTER(PredictOptions), P, E)
model_coefficients = _fn("plumb_model_coefficients", c_int, P, POINTER(POINTER(Coefficient)), POINTER(c_int64), E)
linear_describe = _fn("plumb_linear_describe", c_int, P, POINTER(LinearInfo), E)
model_positive_class = _fn("plumb_model_positive_class", c_char_p, P)
model_rules = _fn("plumb_model_rules", c_int, P, POINTER(c_void_p), E)

audit_options_init = _fn("plumb_audit_options_init", None, POINTER(AuditOptions))
audit_run = _fn("plumb_audit_run", c_int, P, POINTER(AuditOptions), POINTER(P), E)
audit_n_findings = _fn("plumb_audit_n_findings", c_int64, P)
audit_finding = _fn("plumb_audit_finding", POINTER(Finding), P, c_int64)
audit_suspect_rows = _fn("plumb_audit_suspect_rows", POINTER(c_int64), P, POINTER(c_int64))
audit_json = _fn("plumb_audit_json", c_void_p, P)
audit_free = _fn("plumb_audit_free", None, P)
severity_name = _fn("plumb_severity_name", c_char_p, c_int)

metric_name = _fn("plumb_metric_name", c_char_p, c_int)
metric_data_init = _fn("plumb_metric_data_init", None, POINTER(MetricData))
evaluation_options_init = _fn("plumb_evaluation_options_init", None, POINTER(EvaluationOptions))
evaluation_compute = _fn("plumb_evaluation_compute", c_int, POINTER(MetricData), POINTER(EvaluationOptions),
                         POINTER(Evaluation), E)
evaluation_free = _fn("plumb_evaluation_free", None, POINTER(Evaluation))

run_options_init = _fn("plumb_run_options_init", None, POINTER(RunOptions))
run_train = _fn("plumb_run_train", c_int, POINTER(RunOptions), P, P, P, POINTER(P), E)
run_eval = _fn("plumb_run_eval", c_int, POINTER(RunOptions), POINTER(MetricData), POINTER(Evaluation), P, P,
               POINTER(P), E)
run_audit = _fn("plumb_run_audit", c_int, POINTER(RunOptions), c_int64, P, POINTER(P), E)
run_json = _fn("plumb_run_json", c_void_p, P)
run_free = _fn("plumb_run_free", None, P)
report_write = _fn("plumb_report_write", c_int, c_char_p, c_size_t, c_char_p, E)

_libc = ctypes.CDLL(None)
_free = _libc.free
_free.argtypes = [c_void_p]
_free.restype = None


def take_string(ptr):
    """The malloc'd C string at ptr as str, freed; None for NULL."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        _free(ptr)


def take_bytes(ptr, size):
    try:
        return ctypes.string_at(ptr, size)
    finally:
        _free(ptr)


def check(status, err):
    """Raises the PlumbError that err describes when status is an error."""
    if status >= 0:
        return
    buf = ctypes.create_string_buffer(PATH_MAX + MESSAGE_MAX + 48)
    text = error_format(ctypes.byref(err), buf, len(buf)).decode("utf-8", "replace")
    cls = {ENOMEM: PlumbMemoryError, EIO: PlumbIOError}.get(status, PlumbValueError)
    raise cls(text, status=status, path=err.path.decode("utf-8", "replace"), line=err.line, column=err.column,
              message=err.message.decode("utf-8", "replace"))


def s(x):
    """str to bytes for a char * argument (None stays NULL)."""
    return None if x is None else str(x).encode("utf-8")


# ---- the library's log goes to the logging module ----------------------------------------------------------------

_logger = logging.getLogger("plumb")
_LEVELS = {0: logging.DEBUG, 1: logging.INFO, 2: logging.WARNING}


@LOG_FN
def _log(level, message, user):
    try:
        _logger.log(_LEVELS.get(level, logging.WARNING), message.decode("utf-8", "replace"))
    except Exception:  # a log line must never raise into C
        pass


set_log(_log, None)
