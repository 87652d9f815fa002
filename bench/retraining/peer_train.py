#!/usr/bin/python3
"""Peer for bench/retraining: scikit-learn fitting the same CSV the built-in trainers fit.

Prints one JSON line: seconds per fit (median of runs) and held-out accuracy for
StandardScaler + LogisticRegression(C=1, lbfgs) and HistGradientBoostingClassifier
(100 iterations, depth 3, learning rate 0.1, 256 bins), the equivalents of Sextant's
logistic and gbt trainers."""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

train_path, test_path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
train = np.loadtxt(train_path, delimiter=",", skiprows=1)
test = np.loadtxt(test_path, delimiter=",", skiprows=1)
X, y = train[:, :-1], train[:, -1]
Xt, yt = test[:, :-1], test[:, -1]
out = {}
for name, make in {
    "logistic": lambda: make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=500)),
    "gbt": lambda: HistGradientBoostingClassifier(max_iter=100, max_depth=3, learning_rate=0.1, max_bins=255, early_stopping=False),
}.items():
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        model = make().fit(X, y)
        times.append(time.perf_counter() - t)
    out[name] = {"seconds": float(np.median(times)), "accuracy": float((model.predict(Xt) == yt).mean())}
print(json.dumps(out))
