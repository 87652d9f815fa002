"""Deployments, both inference protocols, from lists and DataFrames, and feedback."""

from __future__ import annotations

import os
import time
import unittest
from typing import Any, List

from support import SERVING, admin, serving_case, unique

from sextant_client import Client, SextantError

CASE = serving_case("breast-cancer-logistic")
FEATURES: List[str] = CASE["features"]
ROWS: List[List[float]] = CASE["rows"]


class InferenceTest(unittest.TestCase):
    client: Client
    model: str
    deployment: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.client = admin()
        cls.model = unique("bc")
        cls.client.create_model(cls.model, "binary-classification")
        # sextant-linear scores in double precision, so answers equal sklearn's to 1e-9.
        cls.client.register(cls.model, os.path.join(SERVING, "breast-cancer-linear.json"), "sextant-linear", alias="champion")
        cls.client.register(cls.model, os.path.join(SERVING, "breast-cancer-logreg.onnx"), "onnx")
        cls.deployment = cls.client.create_deployment(cls.model, cls.model, alias="champion")["name"]

    def assert_probabilities(self, predictions: List[Any], rows: range, tolerance: float = 1e-9) -> None:
        self.assertEqual(len(predictions), len(rows))
        for p, i in zip(predictions, rows):
            self.assertEqual(p["label"], CASE["label"][i])
            self.assertAlmostEqual(p["probabilities"][1], CASE["probabilities"][i][1], delta=tolerance)

    def test_deployments_are_listed_and_split_traffic(self) -> None:
        d = self.client.get_deployment(self.deployment)
        self.assertEqual((d["alias"], d["routes"]), ("champion", [{"version": 1, "weight": 100, "role": "primary"}]))
        self.assertIn(self.deployment, [x["name"] for x in self.client.list_deployments()])
        meta = self.client.model_metadata(self.deployment)
        self.assertEqual([i["name"] for i in meta["inputs"]], FEATURES)

    def test_predict_takes_lists_records_and_columns(self) -> None:
        as_lists = self.client.predict(self.deployment, ROWS[:5])
        self.assert_probabilities(as_lists.predictions, range(5))
        records = [dict(zip(FEATURES, r)) for r in ROWS[5:9]]
        self.assert_probabilities(self.client.predict(self.deployment, records).predictions, range(5, 9))
        columns = {f: [r[j] for r in ROWS[9:12]] for j, f in enumerate(FEATURES)}
        predictions, request_id = self.client.predict(self.deployment, columns)
        self.assert_probabilities(predictions, range(9, 12))
        self.assertNotEqual(request_id, as_lists.request_id)

    def test_predict_takes_a_dataframe(self) -> None:
        import pandas as pd

        frame = pd.DataFrame(ROWS, columns=FEATURES)
        predictions, request_id = self.client.predict(self.deployment, frame)
        self.assert_probabilities(predictions, range(len(ROWS)))
        self.assertTrue(request_id)
        # numpy values, as a notebook holds them
        self.assert_probabilities(self.client.predict(self.deployment, frame.to_numpy()[:3]).predictions, range(3))
        self.assert_probabilities(self.client.predict(self.deployment, frame.iloc[3:5].to_dict("records")).predictions, range(3, 5))

    def test_infer_speaks_open_inference_protocol(self) -> None:
        import pandas as pd

        r = self.client.infer(self.deployment, pd.DataFrame(ROWS[:4], columns=FEATURES))
        self.assertEqual(r.model_version, 1)
        self.assertEqual(r.outputs["label"], CASE["label"][:4])
        self.assertTrue(r.request_id)
        onnx = self.client.infer(self.deployment, ROWS[:4], version=2)
        self.assertEqual(onnx.model_version, 2)
        self.assertEqual(onnx.outputs["label"], CASE["label"][:4])
        # ONNX scores in float32
        for got, want in zip(onnx.outputs["probabilities"][1::2], CASE["probabilities"][:4]):
            self.assertAlmostEqual(got, want[1], delta=1e-5)

    def test_feedback_joins_labels_to_logged_predictions(self) -> None:
        predictions, request_id = self.client.predict(self.deployment, ROWS[:3], request_id=unique("py-req"))
        self.assertEqual(len(predictions), 3)
        result = self.client.feedback(self.deployment, [(request_id, CASE["label"][:3])])
        self.assertEqual(result["accepted"], 1)
        again = self.client.feedback(self.deployment, [{"requestId": request_id, "label": CASE["label"][:3]}])
        self.assertEqual((again["accepted"], again["duplicates"]), (0, 1))
        # The prediction log is written in the background: wait for this request to be stored.
        deadline = time.monotonic() + 60
        logged: List[Any] = []
        while time.monotonic() < deadline:
            logged = [p for p in self.client.predictions(self.deployment, withLabels="true") if p["requestId"] == request_id]
            if logged:
                break
            time.sleep(0.2)
        self.assertEqual(len(logged), 1, f"request {request_id} was never logged with its label")
        self.assertEqual(logged[0]["label"], CASE["label"][:3])
        quality = self.client.quality(self.deployment)
        self.assertGreaterEqual(quality["rows"], 3)

    def test_canary_promote_and_abort(self) -> None:
        name = unique("canary")
        self.client.create_deployment(name, self.model, versions=[{"version": 1, "weight": 100}])
        d = self.client.canary(name, 2, 25, reason="try onnx")
        self.assertEqual(d["canary"], {"version": 2, "weight": 25})
        self.assertIsNone(self.client.abort(name)["canary"])
        self.client.delete_deployment(name)
        with self.assertRaises(SextantError) as caught:
            self.client.get_deployment(name)
        self.assertEqual(caught.exception.code, "not_found")

    def test_bad_rows_are_invalid_argument(self) -> None:
        with self.assertRaises(SextantError) as caught:
            self.client.predict(self.deployment, [[1.0, 2.0]])
        self.assertEqual((caught.exception.code, caught.exception.status), ("invalid_argument", 400))
        self.assertTrue(caught.exception.request_id)


if __name__ == "__main__":
    unittest.main()
