#!/usr/bin/python3
"""Peer of bench/explain: XGBoost's own TreeSHAP (pred_contribs) on one row at a time, CPU seconds per call.

Usage: /usr/bin/python3 peer_xgboost.py MODEL.json ROWS.json ITERATIONS   (prints one JSON line)
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb

model, rows_file, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3])
booster = xgb.Booster()
booster.load_model(model)
booster.set_param({"nthread": 1})
rows = np.array([[np.nan if v is None else v for v in r] for r in json.load(open(rows_file))], dtype=np.float32)
mats = [xgb.DMatrix(rows[i:i + 1], nthread=1) for i in range(len(rows))]


def cpu_per_call(fn):
    for m in mats[:5]:
        fn(m)
    start = time.process_time()
    for i in range(iterations):
        fn(mats[i % len(mats)])
    return (time.process_time() - start) / iterations


print(json.dumps({
    "xgboost": xgb.__version__,
    "contribs_ms": cpu_per_call(lambda m: booster.predict(m, pred_contribs=True)) * 1000,
    "predict_ms": cpu_per_call(lambda m: booster.predict(m)) * 1000,
}))
