"""_frame.py -- numpy arrays and pandas DataFrames as plumb frames, through plumb_frame_from_arrays.

Each column is described to the library as it lies in memory (pointer, dtype, stride, missing mask) and the
library decides: float32 feature columns (a Fortran-ordered float32 matrix, or a DataFrame's float32 block),
float64 targets and weights, bool columns and int64 datetimes in seconds are used in place (borrowed; the Frame
keeps the arrays alive); anything else is converted by the library in one copy, in parallel over columns. Python
itself copies only what the library cannot read: object columns are factorised (pandas.factorize) into codes and
their distinct values, and pandas' nullable arrays pass their data and mask.
"""
import ctypes

import numpy as np

from . import _lib

TYPE_AUTO, TYPE_NUMERIC, TYPE_CATEGORICAL, TYPE_DATETIME, TYPE_BOOL, TYPE_STRING = range(6)
ROLE_FEATURE, ROLE_TARGET, ROLE_ID, ROLE_TIME, ROLE_WEIGHT, ROLE_GROUP, ROLE_IGNORE = range(7)
TYPE_NAMES = ["auto", "numeric", "categorical", "datetime", "bool", "string"]
ROLE_NAMES = ["feature", "target", "id", "time", "weight", "group", "ignore"]
(F32, F64, I8, I16, I32, I64, U8, U16, U32, U64, BOOL, STRING) = range(12)
_DTYPES = {np.dtype(np.float32): F32, np.dtype(np.float64): F64, np.dtype(np.int8): I8, np.dtype(np.int16): I16,
           np.dtype(np.int32): I32, np.dtype(np.int64): I64, np.dtype(np.uint8): U8, np.dtype(np.uint16): U16,
           np.dtype(np.uint32): U32, np.dtype(np.uint64): U64, np.dtype(np.bool_): BOOL}


class Frame:
    """A plumb frame (owned) and the Python objects whose memory it may borrow."""

    def __init__(self, ptr, keep=()):
        self._ptr = ptr
        self._keep = list(keep)

    @property
    def ptr(self):
        return self._ptr

    def __del__(self):
        if getattr(self, "_ptr", None):
            _lib.frame_free(self._ptr)
            self._ptr = None

    @property
    def n_rows(self):
        return _lib.frame_n_rows(self._ptr)

    def columns(self):
        """[(name, type name, role name, categories or None)] of the frame's schema."""
        return schema_columns(_lib.frame_schema(self._ptr))

    def column(self, name):
        """A copy of column name's data as the frame stores it: float32/float64 (NaN missing), int32 codes
        (-1 missing), int64 datetimes in seconds, or uint8 bools (255 missing)."""
        j = _lib.frame_find(self._ptr, str(name).encode())
        if j < 0:
            raise KeyError(name)
        n = self.n_rows
        for f, ct in ((_lib.frame_f32, np.float32), (_lib.frame_f64, np.float64), (_lib.frame_codes, np.int32),
                      (_lib.frame_i64, np.int64), (_lib.frame_u8, np.uint8)):
            p = f(self._ptr, j)
            if p:
                return np.ctypeslib.as_array((np.ctypeslib.as_ctypes_type(ct) * n).from_address(p)).copy()
        raise KeyError(name)

    def borrows(self, name):
        """Whether column name's data is memory Python owns (used in place, not copied). For tests."""
        j = _lib.frame_find(self._ptr, name.encode())
        ptrs = [f(self._ptr, j) for f in (_lib.frame_f32, _lib.frame_f64, _lib.frame_codes, _lib.frame_i64,
                                          _lib.frame_u8)]
        p = next(p for p in ptrs if p)
        for a in self._keep:
            if isinstance(a, np.ndarray) and a.size:
                lo = a.__array_interface__["data"][0]
                if lo <= p < lo + a.nbytes:
                    return True
        return False


def schema_columns(schema):
    out = []
    info = _lib.ColumnInfo()
    for i in range(_lib.schema_n_columns(schema)):
        _lib.schema_column(schema, i, ctypes.byref(info))
        cats = None
        if info.n_categories >= 0:
            cats = [info.categories[k].decode("utf-8", "replace") for k in range(info.n_categories)]
        out.append((info.name.decode("utf-8", "replace"), TYPE_NAMES[info.type], ROLE_NAMES[info.role], cats))
    return out


class _Builder:
    def __init__(self, n_rows):
        self.n_rows = n_rows
        self.cols = []
        self.keep = []

    def _array(self, col, arr):
        """Points col at a 1-D numpy array (any stride that is a whole number of elements, else one copy)."""
        if arr.strides[0] % arr.itemsize or arr.strides[0] < 0:
            arr = np.ascontiguousarray(arr)
        self.keep.append(arr)
        col.data = arr.ctypes.data if arr.size else None
        col.stride = arr.strides[0] // arr.itemsize if arr.size > 1 else 1

    def add(self, name, values, role=ROLE_FEATURE, type=TYPE_AUTO):
        """Adds one column from a 1-D numpy array or pandas Series."""
        col = _lib.ArrayColumn()
        col.name = str(name).encode("utf-8")
        self.keep.append(col.name)
        col.role = role
        col.type = type
        _fill(self, col, values, type)
        self.cols.append(col)

    def build(self, borrow=True, max_categories=1000, n_threads=0):
        arr = (_lib.ArrayColumn * len(self.cols))(*self.cols)
        opts = _lib.ArrayOptions()
        _lib.array_options_init(ctypes.byref(opts))
        opts.borrow = borrow
        opts.max_categories = max_categories
        opts.n_threads = n_threads
        out = _lib.P()
        err = _lib.Error()
        st = _lib.frame_from_arrays(arr, len(self.cols), self.n_rows, ctypes.byref(opts), ctypes.byref(out),
                                    ctypes.byref(err))
        _lib.check(st, err)
        return Frame(out.value, self.keep if borrow else ())


def _categories(b, col, codes, uniques):
    names = [str(u) for u in uniques]
    if len(set(names)) != len(names):  # 1 and "1" in one object column: keep them apart
        names = [f"{type(u).__name__}:{u}" for u in uniques]
    cats = (ctypes.c_char_p * max(len(names), 1))(*[n.encode("utf-8", "surrogatepass") for n in names])
    b.keep.append(cats)
    col.categories = ctypes.cast(cats, ctypes.POINTER(ctypes.c_char_p))
    col.n_categories = len(names)
    codes = np.asarray(codes)
    col.dtype = _DTYPES[codes.dtype]
    b._array(col, codes)
    if col.type == TYPE_AUTO:
        col.type = TYPE_CATEGORICAL


def _fill(b, col, values, type):
    import pandas as pd

    if isinstance(values, pd.api.extensions.ExtensionArray):
        values = pd.Series(values)
    if isinstance(values, pd.Series):
        dtype = values.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            _categories(b, col, np.asarray(values.cat.codes), list(values.cat.categories))
            return
        if isinstance(dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
            dtype = values.dtype
        ext = isinstance(dtype, pd.api.extensions.ExtensionDtype)
        arr_obj = values.array
        if ext and hasattr(arr_obj, "_data") and hasattr(arr_obj, "_mask"):  # nullable Int64, Float64, boolean
            data, mask = np.asarray(arr_obj._data), np.asarray(arr_obj._mask)
            if data.dtype in _DTYPES and mask.dtype == np.bool_:
                col.dtype = _DTYPES[data.dtype]
                b._array(col, data)
                mask = np.ascontiguousarray(mask).view(np.uint8)
                b.keep.append(mask)
                col.missing = mask.ctypes.data if mask.size else None
                return
        if ext or dtype == object:
            if type in (TYPE_NUMERIC, TYPE_BOOL):  # numbers held as objects: let pandas read them
                arr = pd.to_numeric(values, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
                col.dtype = F64
                b._array(col, arr)
                return
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            _categories(b, col, codes, list(uniques))
            return
        values = values.to_numpy()
    if getattr(values, "names", None) is not None:  # class codes with their category names (sklearn.py)
        _categories(b, col, np.asarray(values), values.names)
        return
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"column '{col.name.decode()}' is not one-dimensional")
    if arr.dtype.kind == "M":
        arr = arr.astype("datetime64[ns]").view(np.int64)
        col.dtype = I64
        col.datetime_per_second = 1_000_000_000
        if col.type == TYPE_AUTO:
            col.type = TYPE_DATETIME
    elif arr.dtype.kind == "m":
        arr = arr.astype("timedelta64[ns]").astype(np.float64) / 1e9
        col.dtype = F64
    elif arr.dtype.kind in "OUS":
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
        _categories(b, col, codes, list(uniques))
        return
    elif arr.dtype in _DTYPES:
        col.dtype = _DTYPES[arr.dtype]
    elif arr.dtype.kind == "f":  # float16, longdouble
        arr = arr.astype(np.float64)
        col.dtype = F64
    else:
        raise ValueError(f"column '{col.name.decode()}': cannot use dtype {arr.dtype}")
    b._array(col, arr)


def from_matrix(X, names, extra=(), borrow=True, n_threads=0):
    """A frame from a 2-D numeric numpy array whose columns are called names, plus extra columns given as
    (name, 1-D array, role, type)."""
    n = X.shape[0]
    b = _Builder(n)
    for j, name in enumerate(names):
        b.add(name, X[:, j], ROLE_FEATURE, TYPE_NUMERIC if X.dtype.kind in "fiu" else TYPE_AUTO)
    for name, v, role, type in extra:
        b.add(name, v, role, type)
    b.keep.append(X)
    return b.build(borrow=borrow, n_threads=n_threads)


def from_dataframe(df, extra=(), types=None, roles=None, borrow=True, n_threads=0, max_categories=1000, names=None):
    """A frame from a pandas DataFrame (column names kept), plus extra columns (name, values, role, type).
    types/roles: column name -> type/role number, for columns that must be read as a model expects."""
    b = _Builder(len(df))
    types = types or {}
    roles = roles or {}
    names = [str(c) for c in df.columns] if names is None else list(names)
    if len(names) != df.shape[1]:
        raise ValueError(f"{len(names)} names for {df.shape[1]} columns")
    for j, name in enumerate(names):
        b.add(name, df.iloc[:, j], roles.get(name, ROLE_FEATURE), types.get(name, TYPE_AUTO))
    for name, v, role, type in extra:
        b.add(name, v, role, type)
    b.keep.append(df)
    return b.build(borrow=borrow, max_categories=max_categories, n_threads=n_threads)


def to_frame(X, target=None, **kw):
    """A frame from a DataFrame, a dict of columns or a 2-D array (columns x0, x1, ...); target names the target
    column of a DataFrame."""
    import pandas as pd

    if isinstance(X, Frame):
        return X
    if isinstance(X, dict):
        X = pd.DataFrame(X)
    if isinstance(X, pd.DataFrame):
        roles = dict(kw.pop("roles", None) or {})
        if target is not None:
            roles[str(target)] = ROLE_TARGET
        return from_dataframe(X, roles=roles, **kw)
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-D array, got {X.ndim} dimensions")
    return from_matrix(X, [f"x{j}" for j in range(X.shape[1])], **kw)
