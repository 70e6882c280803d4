"""numpy and pandas data as plumb frames: every dtype, missing values, names, and what is borrowed."""
import numpy as np
import pandas as pd
import pytest

import plumb
from plumb import _frame


def test_pandas_dtypes_become_typed_columns():
    df = pd.DataFrame({
        "f64": [1.5, np.nan, -2.0, 4.0],
        "f32": np.array([1, 2, np.nan, 4], dtype=np.float32),
        "i64": [1, 2, 3, 4],
        "nullable": pd.array([1, None, 3, pd.NA], dtype="Int64"),
        "flag": [True, False, True, False],
        "maybe": pd.array([True, None, False, True], dtype="boolean"),
        "cat": pd.Categorical(["b", "a", None, "b"], categories=["b", "a"]),
        "obj": ["x", None, np.nan, "y"],
        "na": pd.array(["u", pd.NA, "v", "u"], dtype="string"),
        "when": pd.to_datetime(["2021-01-02", None, "1969-12-31 23:59:59.5", "2021-01-05"]),
    })
    fr = plumb.to_frame(df)
    types = {name: t for name, t, role, cats in fr.columns()}
    assert types == {"f64": "numeric", "f32": "numeric", "i64": "numeric", "nullable": "numeric", "flag": "bool",
                     "maybe": "bool", "cat": "categorical", "obj": "categorical", "na": "categorical",
                     "when": "datetime"}
    cats = {name: c for name, t, role, c in fr.columns()}
    assert cats["cat"] == ["a", "b"] and cats["obj"] == ["x", "y"] and cats["na"] == ["u", "v"]
    np.testing.assert_array_equal(fr.column("f64"), np.array([1.5, np.nan, -2, 4], dtype=np.float32))
    np.testing.assert_array_equal(fr.column("nullable"), np.array([1, np.nan, 3, np.nan], dtype=np.float32))
    np.testing.assert_array_equal(fr.column("flag"), [1, 0, 1, 0])
    np.testing.assert_array_equal(fr.column("maybe"), [1, 255, 0, 1])
    np.testing.assert_array_equal(fr.column("cat"), [1, 0, -1, 1])  # codes of the sorted dictionary
    np.testing.assert_array_equal(fr.column("obj"), [0, -1, -1, 1])
    np.testing.assert_array_equal(fr.column("na"), [0, -1, 1, 0])
    # seconds since 1970, floored; NaT is missing
    np.testing.assert_array_equal(fr.column("when"), [1609545600, np.iinfo(np.int64).min, -1, 1609804800])


def test_same_frame_as_the_csv_reader(credit, credit_csv):
    from_csv = plumb.read_csv(credit_csv, target="Status")
    from_df = plumb.to_frame(credit, target="Status")
    assert from_csv.columns() == from_df.columns()
    for name, t, role, cats in from_csv.columns():
        np.testing.assert_array_equal(from_csv.column(name), from_df.column(name))


def test_float32_fortran_matrix_is_borrowed_c_order_copied():
    X = np.asfortranarray(np.random.RandomState(0).rand(1000, 3).astype(np.float32))
    fr = _frame.from_matrix(X, ["a", "b", "c"])
    assert all(fr.borrows(n) for n in "abc")
    np.testing.assert_array_equal(fr.column("b"), X[:, 1])
    Xc = np.ascontiguousarray(X)
    fc = _frame.from_matrix(Xc, ["a", "b", "c"])
    assert not fc.borrows("b")
    np.testing.assert_array_equal(fc.column("b"), X[:, 1])
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    fd = plumb.to_frame(df)
    assert all(fd.borrows(n) for n in "abc")  # a float32 DataFrame block: no copy


def test_frame_outlives_the_python_objects():
    df = pd.DataFrame({"a": np.arange(10, dtype=np.float32)})
    fr = plumb.to_frame(df)
    del df
    import gc

    gc.collect()
    np.testing.assert_array_equal(fr.column("a"), np.arange(10, dtype=np.float32))


def test_bad_columns_raise_with_the_column_name():
    with pytest.raises(plumb.PlumbValueError, match="duplicate column name 'a'"):
        plumb.to_frame(pd.DataFrame([[1.0, 2.0]], columns=["a", "a"]))
    with pytest.raises(ValueError, match="cannot use dtype"):
        plumb.to_frame(pd.DataFrame({"c": np.array([1 + 2j])}))
