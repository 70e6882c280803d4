#!/usr/bin/python3
"""peer_fastapi.py CSV PORT TREES -- the issue's peer: FastAPI + uvicorn serving an XGBoost model of TREES trees
(depth 6, hist) trained on CSV, the same data as plumb's benchmark model, answering the same v1 requests at
/v1/models/m:predict with one uvicorn worker. Written for speed, as a careful peer would: categories are coded
as numbers once at training (ordinal codes), a request becomes one numpy row by dictionary lookups, and the
booster scores it in place (no DataFrame per request)."""
import sys

import numpy as np
import pandas as pd
import uvicorn
import xgboost as xgb
from fastapi import FastAPI, Request

path, port, trees = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
df = pd.read_csv(path)
y = (df.pop("status") == "good").astype(int)
df = df.drop(columns=["application_id", "application_date"])
codes = {c: {v: float(i) for i, v in enumerate(sorted(df[c].dropna().unique()))}
         for c in df.columns if df[c].dtype == object}
for c, m in codes.items():
    df[c] = df[c].map(m)
columns = list(df.columns)
booster = xgb.XGBClassifier(n_estimators=trees, max_depth=6, tree_method="hist", n_jobs=2).fit(df, y).get_booster()
booster.set_param({"nthread": 1})
app = FastAPI()


def row(instance):
    out = np.full(len(columns), np.nan, dtype=np.float32)
    for j, c in enumerate(columns):
        v = instance.get(c)
        if v is not None:
            out[j] = codes[c].get(v, np.nan) if c in codes else v
    return out


@app.post("/v1/models/m:predict")
async def predict(request: Request):
    body = await request.json()
    x = np.stack([row(i) for i in body["instances"]])
    return {"predictions": booster.inplace_predict(x).tolist()}


print(f"listening on http://127.0.0.1:{port}", flush=True)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
