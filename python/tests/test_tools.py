"""audit, eval, explain and report from Python: the library's numbers, checked against scikit-learn and against
their own invariants."""
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, log_loss, mean_absolute_error, r2_score, roc_auc_score

import plumb


def test_eval_matches_scikit_learn():
    rs = np.random.RandomState(1)
    y = rs.randint(0, 2, 500)
    p = np.clip(0.3 * y + 0.7 * rs.rand(500), 0, 1)
    ev = plumb.eval(y, p)
    assert abs(ev.loc["roc_auc", "value"] - roc_auc_score(y, p)) < 1e-12
    assert abs(ev.loc["pr_auc", "value"] - average_precision_score(y, p)) < 1e-12
    assert abs(ev.loc["log_loss", "value"] - log_loss(y, p)) < 1e-12
    assert ev.attrs["confusion"].shape == (2, 2) and ev.attrs["confusion"].sum() == 500
    labels = np.where(y == 1, "bad", "good")
    ev2 = plumb.eval(labels, 1 - p, positive_class="good", ci_level=0.9, n_resamples=200)
    assert abs(ev2.loc["roc_auc", "value"] - roc_auc_score(y == 0, 1 - p)) < 1e-12
    assert (ev2["lo"] <= ev2["value"]).all() and (ev2["value"] <= ev2["hi"]).all()
    yr = rs.randn(300)
    pr = yr + 0.1 * rs.randn(300)
    er = plumb.eval(yr, pr, task="regression")
    assert abs(er.loc["mae", "value"] - mean_absolute_error(yr, pr)) < 1e-12
    assert abs(er.loc["r2", "value"] - r2_score(yr, pr)) < 1e-12
    assert "<svg" in ev.attrs["report"].html


def test_eval_errors_are_the_librarys():
    with pytest.raises(plumb.PlumbValueError, match="only one class"):
        plumb.eval(np.zeros(10), np.linspace(0, 1, 10), task="binary")


def test_explain_sums_to_the_raw_score(credit):
    X, y = credit.drop(columns="Status"), credit["Status"]
    est = plumb.PlumbGBMClassifier(n_estimators=20).fit(X, y)
    shap = plumb.explain(est, X.head(200))
    assert shap.shape == (200, len(est.booster_.feature_names) + 1)
    raw = est.booster_.predict(X.head(200), raw=True)
    np.testing.assert_allclose(shap.sum(axis=1), raw, rtol=1e-9, atol=1e-9)
    with pytest.raises(plumb.PlumbValueError, match="linear"):
        plumb.explain(plumb.PlumbLogisticRegression().fit(X.select_dtypes("number").fillna(0), y),
                      X.select_dtypes("number").fillna(0))


def test_audit_finds_a_planted_leak(credit):
    df = credit.copy()
    df["leak"] = (df["Status"] == "bad").astype(float) + np.random.RandomState(0).rand(len(df)) * 0.1
    findings = plumb.audit(df.head(1500), target="Status", num_iterations=20, n_folds=3)
    assert list(findings.columns) == ["severity", "check", "column", "title", "evidence", "action", "value",
                                      "threshold"]
    leak = findings[findings["column"] == "leak"]
    assert len(leak) and leak["severity"].iloc[0] == "critical"
    assert findings["severity"].iloc[0] == "critical"  # most severe first
    rep = findings.attrs["report"]
    assert rep.record["kind"] == "audit" and "leak" in rep.html


def test_report_of_an_estimator_and_of_a_model(credit, tmp_path):
    train, valid = credit.iloc[:3000], credit.iloc[3000:]
    est = plumb.PlumbGBMClassifier(n_estimators=20).fit(train.drop(columns="Status"), train["Status"])
    rep = plumb.report(est, train.drop(columns="Status"), train["Status"], valid.drop(columns="Status"),
                       valid["Status"], data_name="credit.csv")
    rec = rep.record
    assert rec["kind"] == "train" and rec["evaluations"]
    html = rep._repr_html_()
    assert html.startswith("<iframe srcdoc=") and "&lt;svg" in html
    rep.save(str(tmp_path / "train.html"))
    assert (tmp_path / "train.html").exists() and (tmp_path / "train.json").exists()
    path = tmp_path / "m.plumb"
    est.booster_.save(str(path))
    m = plumb.Model.load(str(path))
    assert repr(m).startswith("<plumb.Model gbdt binary")
    np.testing.assert_array_equal(m.predict(valid), est.predict_proba(valid.drop(columns="Status"))[:, 1])
    rep2 = plumb.report(m, train.assign(__target__=train["Status"] == "good").drop(columns="Status"))
    assert rep2.record["kind"] == "train"


def test_model_predict_from_numpy_and_pickle(credit):
    import pickle

    num = credit[["Seniority", "Time", "Age", "Expenses", "Income"]].astype(np.float32)
    y = (credit["Status"] == "bad").astype(int)
    est = plumb.PlumbGBMClassifier(n_estimators=10).fit(num, y)
    m = est.booster_
    p_df = m.predict(num)
    p_np = m.predict(np.asfortranarray(num.to_numpy()))
    np.testing.assert_array_equal(p_df, p_np)
    m2 = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(m2.predict(num), p_df)
    assert isinstance(pd.DataFrame(m.importance()), pd.DataFrame)
