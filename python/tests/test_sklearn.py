"""The scikit-learn estimators: sklearn's own estimator checks, pipelines, searches, pickling, early stopping,
pandas input with categories, and the same model as the C library trains from the CSV file."""
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_classifiers_classes, parametrize_with_checks

import plumb
from plumb import _frame, _lib
from plumb.model import train

ESTIMATORS = [plumb.PlumbGBMClassifier(), plumb.PlumbGBMRegressor(), plumb.PlumbLogisticRegression(),
              plumb.PlumbLinearRegression(), plumb.PlumbDecisionTreeClassifier(), plumb.PlumbDecisionTreeRegressor()]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_check(estimator, check):
    # two checks are marked expected to fail, each with its reason in the estimator's _more_tags
    check(estimator)


def test_classes_check_passes_when_splits_are_possible():
    check_classifiers_classes("PlumbGBMClassifier", plumb.PlumbGBMClassifier(min_child_samples=5))


def _binary(n=600, seed=0):
    rs = np.random.RandomState(seed)
    X = rs.randn(n, 5)
    y = np.where(X[:, 0] + 0.5 * X[:, 1] - X[:, 2] * X[:, 3] + 0.3 * rs.randn(n) > 0, "bad", "good")
    return X, y


def test_pipeline_grid_search_and_cross_validation():
    X, y = _binary()
    pipe = Pipeline([("scale", StandardScaler()), ("gbm", plumb.PlumbGBMClassifier(n_estimators=30))])
    scores = cross_val_score(pipe, X, y, cv=3, scoring="roc_auc")
    assert scores.shape == (3,) and scores.min() > 0.8
    grid = GridSearchCV(plumb.PlumbGBMClassifier(n_estimators=20),
                        {"num_leaves": [4, 15], "learning_rate": [0.05, 0.2]}, cv=3, scoring="roc_auc")
    grid.fit(X, y)
    assert set(grid.best_params_) == {"num_leaves", "learning_rate"} and grid.best_score_ > 0.8
    assert list(grid.classes_) == ["bad", "good"]
    assert cross_val_score(plumb.PlumbLogisticRegression(), X, y, cv=3).mean() > 0.6


def test_pickle_keeps_the_model_file():
    X, y = _binary()
    for est in (plumb.PlumbGBMClassifier(n_estimators=15), plumb.PlumbLogisticRegression(),
                plumb.PlumbDecisionTreeClassifier(max_depth=4)):
        est.fit(X, y)
        back = pickle.loads(pickle.dumps(est))
        np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))
        assert back.booster_.to_bytes() == est.booster_.to_bytes()


def test_fitted_attributes_and_pandas_names():
    X, y = _binary()
    df = pd.DataFrame(X, columns=["a", "b", "c", "d", "e"])
    est = plumb.PlumbGBMClassifier(n_estimators=20).fit(df, y)
    assert list(est.feature_names_in_) == ["a", "b", "c", "d", "e"] and est.n_features_in_ == 5
    imp = est.feature_importances_
    assert imp.shape == (5,) and imp[0] > imp[4]
    gain = est.set_params(importance_type="gain").feature_importances_
    assert gain[0] > 0 and not np.array_equal(gain, imp)
    assert est.booster_.feature_names == ["a", "b", "c", "d", "e"]
    assert est.get_params()["n_estimators"] == 20


def test_early_stopping_with_eval_set():
    X, y = _binary(2000)
    est = plumb.PlumbGBMClassifier(n_estimators=500, learning_rate=0.3, early_stopping_rounds=10)
    est.fit(X[:1500], y[:1500], eval_set=[(X[1500:], y[1500:])])
    info = est.booster_.info
    assert info["best_iteration"] < 500 and info["n_iterations"] < 500
    assert est.best_iteration_ == info["best_iteration"] and np.isfinite(info["valid_metric"])


def test_sample_weight_changes_the_model_and_zero_weight_drops_rows():
    X, y = _binary()
    w = np.where(y == "bad", 5.0, 1.0)
    a = plumb.PlumbGBMClassifier(n_estimators=20).fit(X, y)
    b = plumb.PlumbGBMClassifier(n_estimators=20).fit(X, y, sample_weight=w)
    assert b.predict_proba(X)[:, 0].mean() > a.predict_proba(X)[:, 0].mean()
    w0 = np.ones(len(y))
    w0[:100] = 0
    c = plumb.PlumbGBMClassifier(n_estimators=20).fit(X, y, sample_weight=w0)
    d = plumb.PlumbGBMClassifier(n_estimators=20).fit(X[100:], y[100:])
    np.testing.assert_array_equal(c.predict_proba(X), d.predict_proba(X))


def test_categorical_dataframe_same_model_as_the_library_from_csv(credit, credit_csv):
    """The estimator on pandas data trains the model the C library trains on the CSV file: same predictions."""
    X, y = credit.drop(columns="Status"), credit["Status"]
    est = plumb.PlumbGBMClassifier(n_estimators=30, random_state=3).fit(X, y)
    p = _lib.GbdtParams()
    _lib.gbdt_params_init(p)
    p.num_iterations = 30
    p.seed = 3
    p.positive_class = b"good"  # classes_ = [bad, good]: the estimator's positive class is good
    m = train("gbdt", plumb.read_csv(credit_csv, target="Status"), p)
    np.testing.assert_array_equal(est.predict_proba(X)[:, 1], m.predict(X))
    assert list(est.classes_) == ["bad", "good"]
    assert roc_auc_score(y == "good", est.predict_proba(X)[:, 1]) > 0.85


def test_multiclass_and_regression():
    from sklearn.datasets import load_iris, make_regression

    X, y = load_iris(return_X_y=True)
    for est in (plumb.PlumbGBMClassifier(n_estimators=30, min_child_samples=5), plumb.PlumbLogisticRegression(),
                plumb.PlumbDecisionTreeClassifier()):
        est.fit(X, y)
        proba = est.predict_proba(X)
        assert proba.shape == (150, 3)
        np.testing.assert_allclose(proba.sum(axis=1), 1)
        assert est.score(X, y) > 0.9
    Xr, yr = make_regression(n_samples=300, n_features=4, noise=1.0, random_state=0)
    lin = plumb.PlumbLinearRegression().fit(Xr, yr)
    assert lin.score(Xr, yr) > 0.99
    from sklearn.linear_model import LinearRegression

    np.testing.assert_allclose(lin.coef_, LinearRegression().fit(Xr, yr).coef_, rtol=1e-6)
    assert plumb.PlumbGBMRegressor(n_estimators=50).fit(Xr, yr).score(Xr, yr) > 0.9


def test_predict_errors_name_the_column():
    X, y = _binary()
    df = pd.DataFrame(X, columns=list("abcde"))
    est = plumb.PlumbGBMClassifier(n_estimators=5).fit(df, y)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df.rename(columns={"a": "z"}))
    m = est.booster_
    with pytest.raises(plumb.PlumbError) as e:
        m.predict(df.drop(columns="a"))
    assert "'a'" in str(e.value)


def test_scoring_data_is_read_as_the_model_was_trained():
    """An object column with many distinct values at scoring stays the categorical it was in training."""
    rs = np.random.RandomState(0)
    df = pd.DataFrame({"c": rs.choice(["a", "b", "c"], 400), "x": rs.rand(400)})
    y = (df["c"] == "a") ^ (df["x"] > 0.7)
    est = plumb.PlumbGBMClassifier(n_estimators=10, min_child_samples=5).fit(df, y)
    new = pd.DataFrame({"c": ["a", "b"] + [f"new{i}" for i in range(1500)], "x": 0.5})
    p = est.predict_proba(new)[:, 1]
    assert p.shape == (1502,) and p[0] > 0.5 > p[1]
