#!/usr/bin/python3
"""The peer for bench/monitoring/drift-size.js: numpy + scipy + pandas reading two CSV files and
running the default tests Sextant (and Evidently) choose for references over 1,000 rows:
Wasserstein normed for numeric columns with more than 5 values, Jensen-Shannon on category shares
(no zero filling) otherwise. One run, file reading included, as `sextant drift` does. Prints the
seconds, the drifted column count and the peak RSS as JSON.

  /usr/bin/python3 bench/monitoring/peer_drift_files.py ref.csv cur.csv
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

t0 = time.perf_counter()
ref = pd.read_csv(sys.argv[1])
cur = pd.read_csv(sys.argv[2])
drifted = 0
for col in ref.columns:
    r = ref[col].replace([np.inf, -np.inf], np.nan).dropna()
    c = cur[col].replace([np.inf, -np.inf], np.nan).dropna()
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
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "drifted": int(drifted), "columns": len(ref.columns), "peakRssMb": peak_kb / 1024}))
