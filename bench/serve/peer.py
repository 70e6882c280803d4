#!/usr/bin/python3
"""peer.py -- the peer of `plumb serve` in the serving benchmark: FastAPI + uvicorn + XGBoost, one row per request.

usage: /usr/bin/python3 bench/serve/peer.py --model MODEL [--name higgs] [--host 127.0.0.1] [--port 8081]
       [--workers 1] [--redis redis://127.0.0.1:6379 --table features --entity-key id]

The usual Python serving stack the issue measures (Debian's python3-fastapi, python3-uvicorn, python3-xgboost,
python3-redis): an XGBoost booster (a model file from bench/xgb_gbdt.py train, the benchmark's 500 trees) loaded
once with nthread 1, behind the same JSON route as plumb serve's, so one wrk script (rows.lua) drives both:

    POST /v1/models/NAME:predict   {"instances": [{"feature": value, ...}]}  ->  {"predictions": [p], ...}

Without --redis every feature comes in the request (a feature the row lacks is missing: NaN). With --redis, each
instance names its entity by --entity-key, the handler fetches the hash TABLE:KEY with HGETALL (redis.asyncio,
no cache: the per-request lookup the issue's figures are about), and the request's values override the stored
ones; an unknown entity is a 404. The handler reads the body with request.json() rather than a pydantic model,
the faster of the two common ways, so the peer is not slowed by validation plumb does not count either.
GET /v2/health/ready answers 200 once the model is loaded, for the runner to wait on.
"""
import argparse
import math

import numpy as np
import uvicorn
import xgboost as xgb
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="XGBoost model file (bench/xgb_gbdt.py train --model)")
    p.add_argument("--name", default="higgs", help="the model's name in the route (higgs)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (1)")
    p.add_argument("--redis", help="redis://HOST:PORT: fetch each instance's stored features from Redis")
    p.add_argument("--table", default="features", help="Redis hashes are TABLE:KEY (features)")
    p.add_argument("--entity-key", default="id", help="the instance field naming the entity (id)")
    return p.parse_args()


def to_float(v):
    if v is None:
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def create_app(args):
    booster = xgb.Booster(model_file=args.model)
    booster.set_param({"nthread": 1})
    features = booster.feature_names
    if not features:
        raise SystemExit(f"{args.model}: the model has no feature names (train it from a DataFrame)")
    index = {f: i for i, f in enumerate(features)}
    store = None
    if args.redis:
        import redis.asyncio as aioredis

        store = aioredis.from_url(args.redis, decode_responses=True)
    app = FastAPI()

    def error(status, message):
        return JSONResponse({"error": message}, status_code=status)

    @app.get("/v2/health/ready")
    async def ready():
        return {"ready": True}

    @app.post("/v1/models/{name}:predict")
    async def predict(name: str, request: Request):
        if name != args.name:
            return error(404, f"no model '{name}'")
        try:
            body = await request.json()
            instances = body["instances"]
        except Exception:
            return error(400, "expected {\"instances\": [{...}, ...]}")
        if not isinstance(instances, list) or not instances:
            return error(400, "'instances' must be a non-empty list")
        x = np.full((len(instances), len(features)), np.nan, dtype=np.float32)
        for r, inst in enumerate(instances):
            if not isinstance(inst, dict):
                return error(400, f"instance {r} is not an object")
            if store is not None:
                key = inst.get(args.entity_key)
                if key is None:
                    return error(400, f"instance {r} has no '{args.entity_key}'")
                stored = await store.hgetall(f"{args.table}:{key}")
                if not stored:
                    return error(404, f"no entity '{key}'")
                for f, v in stored.items():
                    i = index.get(f)
                    if i is not None:
                        x[r, i] = to_float(v)
            for f, v in inst.items():
                i = index.get(f)
                if i is not None:
                    x[r, i] = to_float(v)
        pred = booster.inplace_predict(x)
        return {"model_name": name, "predictions": [float(p) for p in np.ravel(pred)]}

    return app


def main():
    args = parse_args()
    if args.workers == 1:
        uvicorn.run(create_app(args), host=args.host, port=args.port, log_level="warning", access_log=False)
    else:
        run_workers(args)


def run_workers(args):
    # uvicorn's multi-process mode imports the app by name: expose a factory that reads the same arguments
    import os
    import sys

    os.environ["PEER_ARGS"] = "\x1f".join(sys.argv[1:])
    uvicorn.run("peer:factory", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="warning", access_log=False, app_dir=os.path.dirname(os.path.abspath(__file__)))


def factory():
    import os
    import sys

    sys.argv[1:] = os.environ["PEER_ARGS"].split("\x1f")
    return create_app(parse_args())


if __name__ == "__main__":
    main()
