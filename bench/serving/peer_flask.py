#!/usr/bin/python3
"""The peer a team would run today: Flask + scikit-learn behind gunicorn, serving a logistic
regression at /invocations (MLflow scoring bodies: dataframe_split or instances).

Two styles, chosen by SEXTANT_PEER_STYLE:
  mlflow (default)  as MLflow's scoring server does: the body becomes a pandas DataFrame with the
                    signature's columns, and the model (fitted on named columns) checks them
  numpy             the leanest hand-written server: the rows go straight into a numpy array

  /usr/bin/python3 bench/serving/peer_flask.py export DIR   # trains, writes model.pkl and model.json
  SEXTANT_PEER_MODEL=DIR/model.pkl gunicorn -w 2 -b 127.0.0.1:PORT --chdir bench/serving peer_flask:app
"""
import json
import os
import pickle
import sys

import numpy as np

FEATURES = [f"x{i}" for i in range(20)]


def export(out_dir):
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    import pandas as pd

    X, y = make_classification(n_samples=5000, n_features=20, n_informative=10, random_state=1)
    model = LogisticRegression(max_iter=1000).fit(pd.DataFrame(X, columns=FEATURES), y)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "model.pkl"), "wb") as f:
        pickle.dump(model, f)
    doc = {"format": "sextant-linear", "formatVersion": 1, "features": FEATURES, "link": "logistic", "classes": [0, 1],
           "coefficients": model.coef_.tolist(), "intercept": model.intercept_.tolist()}
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(doc, f)
    with open(os.path.join(out_dir, "rows.json"), "w") as f:
        json.dump(X[:64].round(6).tolist(), f)


if len(sys.argv) > 2 and sys.argv[1] == "export":
    export(sys.argv[2])
    sys.exit(0)

from flask import Flask, jsonify, request  # noqa: E402

app = Flask(__name__)
with open(os.environ["SEXTANT_PEER_MODEL"], "rb") as f:
    MODEL = pickle.load(f)
STYLE = os.environ.get("SEXTANT_PEER_STYLE", "mlflow")
if STYLE == "mlflow":
    import pandas as pd

    def frame(rows):
        return pd.DataFrame(rows, columns=FEATURES)
else:
    # Fitted on named columns; a bare array would otherwise cost a warning per request.
    del MODEL.feature_names_in_

    def frame(rows):
        return np.asarray(rows, dtype=float)


@app.post("/invocations")
def invocations():
    body = request.get_json()
    if "dataframe_split" in body:
        rows = body["dataframe_split"]["data"]
    else:
        rows = body["instances"]
    proba = MODEL.predict_proba(frame(rows))
    labels = (proba[:, 1] > 0.5).astype(int)
    return jsonify({"predictions": [{"label": int(l), "probabilities": p.tolist()} for l, p in zip(labels, proba)]})
