"""The Python worked example of docs/python.md: python3 examples/credit/example.py [OUT_DIR] from the repository root."""
import os
import sys

import pandas as pd
import numpy as np
from sklearn.model_selection import GridSearchCV, train_test_split
import plumb

OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/plumb-python-example"
os.makedirs(OUT, exist_ok=True)

df = pd.read_csv("examples/credit/credit_data.csv")
df["Home"] = df["Home"].astype("category")           # a categorical dtype; Job, Marital, Records stay strings
X, y = df.drop(columns="Status"), df["Status"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
X_fit, X_val, y_fit, y_val = train_test_split(X_train, y_train, test_size=0.2, random_state=0, stratify=y_train)

# 1. a LightGBM-style estimator, early stopping on a validation set
gbm = plumb.PlumbGBMClassifier(n_estimators=1000, learning_rate=0.05, num_leaves=15, early_stopping_rounds=30)
gbm.fit(X_fit, y_fit, eval_set=[(X_val, y_val)])
print(gbm.classes_, "best iteration", gbm.best_iteration_)
p = gbm.predict_proba(X_test)[:, 1]                  # P(good)
print(plumb.eval(y_test, p, positive_class="good", ci_level=0.95, seed=1).round(4).head(4))

# 2. a grid search, as with any scikit-learn estimator
grid = GridSearchCV(plumb.PlumbGBMClassifier(n_estimators=100), {"num_leaves": [7, 31], "learning_rate": [0.05, 0.1]},
                    cv=3, scoring="roc_auc").fit(X_train, y_train)
print("grid:", grid.best_params_, round(grid.best_score_, 4))

# 3. importance, TreeSHAP
imp = pd.Series(gbm.set_params(importance_type="gain").feature_importances_, index=gbm.feature_names_in_)
print(imp.sort_values(ascending=False).head(3).round(1))
shap = plumb.explain(gbm, X_test.head(1))
print(dict(zip(gbm.booster_.feature_names + ["bias"], shap[0].round(3))))

# 4. the audit on the training table, with a leak planted
leaky = df.assign(Collections=np.where(df["Status"] == "bad", df["Amount"] * 0.3, 0.0))
findings = plumb.audit(leaky, target="Status", seed=1)
print(findings[["severity", "check", "column", "title"]].head(3).to_string(index=False))

# 5. the model file, and the train report (notebooks show Report objects inline)
gbm.booster_.save(os.path.join(OUT, "credit.plumb"))
m = plumb.Model.load(os.path.join(OUT, "credit.plumb"))
print(m, np.array_equal(m.predict(X_test), p))
rep = plumb.report(gbm, X_fit, y_fit, X_test, y_test, data_name="credit_data.csv")
rep.save(os.path.join(OUT, "train.html"))
print(rep)
