#!/usr/bin/python3
"""The peer for bench/monitoring: numpy + scipy running the same default tests as Sextant's drift
report (Wasserstein normed for numeric, Jensen-Shannon on category shares without zero filling
for categorical, as
Evidently picks them for references over 1,000 rows). Prints the seconds it took as JSON.

  /usr/bin/python3 bench/monitoring/peer_drift.py ref.csv cur.csv
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

ref = pd.read_csv(sys.argv[1])
cur = pd.read_csv(sys.argv[2])
t0 = time.perf_counter()
drifted = 0
for col in ref.columns:
    r = ref[col].dropna()
    c = cur[col].dropna()
    if r.dtype.kind in "if" and pd.concat([r, c]).nunique() > 5:
        value = stats.wasserstein_distance(r.values, c.values) / max(np.std(r.values), 0.001)
    else:
        keys = list(set(r.unique()) | set(c.unique()))
        rv = r.value_counts()
        cv = c.value_counts()
        rp = np.array([rv.get(k, 0) / len(r) for k in keys])
        cp = np.array([cv.get(k, 0) / len(c) for k in keys])
        value = distance.jensenshannon(rp, cp)
    drifted += value >= 0.1
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds": elapsed, "drifted": int(drifted), "columns": len(ref.columns)}))
