"""Drift and fairness reports, checked against the scipy and numpy fixtures."""

from __future__ import annotations

import math
import os
import time
import unittest
from typing import Any, Dict, List

from support import FIXTURES, SERVING, admin, load_json, serving_case, unique

from sextant_client import SextantError

DRIFT = {c["name"]: c for c in load_json("stats", "drift-cases.json")["cases"]}
FAIRNESS = {c["name"]: c for c in load_json("fairness", "expected.json")["cases"]}
FAIRNESS_KEYS = ["privileged", "demographicParityDifference", "demographicParityRatio", "equalizedOddsDifference", "disparateImpact", "fourFifthsRule"]


def same(test: unittest.TestCase, got: Any, want: Any, where: str) -> None:
    if isinstance(want, dict):
        test.assertEqual(sorted(got), sorted(want), where)
        for k in want:
            same(test, got[k], want[k], f"{where}.{k}")
    elif isinstance(want, float):
        test.assertTrue(math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {got} != {want}")
    else:
        test.assertEqual(got, want, where)


def colour(n: int) -> List[str]:
    return ["red" if i % 3 else "blue" for i in range(n)]


class DriftTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = admin()

    def feature(self, report: Dict[str, Any], name: str) -> Dict[str, Any]:
        return next(f for f in report["features"] if f["feature"] == name)

    def test_two_datasets_as_lists_match_scipy(self) -> None:
        c = DRIFT["normal unequal"]
        reference = [{"x": v, "colour": k} for v, k in zip(c["reference"], colour(len(c["reference"])))]
        current = [{"x": v, "colour": k} for v, k in zip(c["current"], colour(len(c["current"])))]
        report = self.client.drift(reference, current)
        x = self.feature(report, "x")
        self.assertEqual((x["kind"], x["test"], x["threshold"]), ("num", "ks", 0.05))
        self.assertAlmostEqual(x["statistic"], c["ks"][0], delta=1e-12)
        self.assertAlmostEqual(x["pValue"], c["ks"][1], delta=1e-6)
        self.assertEqual(self.feature(report, "colour")["kind"], "cat")
        self.assertEqual((report["referenceRows"], report["currentRows"]), (len(c["reference"]), len(c["current"])))
        self.assertEqual(report["drifted"], report["driftedShare"] >= 0.5)

    def test_dataframes_with_missing_values_and_a_chosen_test(self) -> None:
        import numpy as np
        import pandas as pd

        c = DRIFT["normal unequal"]
        # Missing values are dropped before testing, as Evidently does: the result is scipy's on the values.
        reference = pd.DataFrame({"x": c["reference"] + [np.nan] * 7})
        current = pd.DataFrame({"x": np.array(c["current"])})
        x = self.feature(self.client.drift(reference, current), "x")
        self.assertEqual(x["test"], "ks")
        self.assertAlmostEqual(x["statistic"], c["ks"][0], delta=1e-12)
        self.assertAlmostEqual(x["pValue"], c["ks"][1], delta=1e-6)
        shifted = DRIFT["shifted 1000 vs 800"]
        psi = self.client.drift({"x": shifted["reference"]}, {"x": shifted["current"]}, tests={"x": "psi"})
        self.assertEqual(self.feature(psi, "x")["test"], "psi")
        self.assertTrue(math.isclose(self.feature(psi, "x")["statistic"], shifted["psi"], rel_tol=1e-9))
        self.assertTrue(psi["drifted"])

    def test_bad_input_names_the_field(self) -> None:
        with self.assertRaises(SextantError) as caught:
            self.client.drift({"x": [1, 2]}, {"x": [1, 2]}, tests={"x": "magic"})
        self.assertEqual(caught.exception.code, "invalid_argument")
        self.assertIn("body.tests.x", [f["field"] for f in caught.exception.details["fields"]])
        with self.assertRaises(ValueError):
            self.client.drift({"x": [1, 2], "y": [1]}, {"x": [1]})

    def test_a_deployments_window_against_its_reference(self) -> None:
        case = serving_case("breast-cancer-logistic")
        model = unique("bcdrift")
        self.client.create_model(model, "binary-classification")
        self.client.register(model, os.path.join(SERVING, "breast-cancer-linear.json"), "sextant-linear", alias="champion")
        rows = [dict(zip(case["features"], r)) for r in case["rows"]]
        info = self.client.upload_reference(model, 1, rows)
        self.assertEqual((info["rows"], info["columns"]), (len(rows), case["features"]))
        self.client.create_deployment(model, model, alias="champion")
        # Shifted inputs: every feature is doubled.
        shifted = [{k: v * 2 for k, v in r.items()} for r in rows]
        self.client.predict(model, shifted)
        deadline = time.monotonic() + 60
        report: Dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                report = self.client.deployment_drift(model)
            except SextantError as e:
                # not_found until the first logged prediction is stored
                self.assertEqual(e.code, "not_found", str(e))
            if report.get("currentRows", 0) >= len(rows):
                break
            time.sleep(0.2)
        self.assertEqual(report["currentRows"], len(rows), "the scored rows never reached the prediction log")
        self.assertEqual(report["referenceRows"], len(rows))
        self.assertTrue(report["drifted"])
        self.assertIn("checks", self.client.data_quality(model))


class FairnessTest(unittest.TestCase):
    def test_a_version_scores_a_labelled_dataset_and_the_report_equals_numpy(self) -> None:
        import pandas as pd

        client = admin()
        c = FAIRNESS["credit-version"]
        model = unique("credit")
        client.create_model(model, "binary-classification")
        client.register(model, os.path.join(FIXTURES, "fairness", c["model"]), "sextant-linear")
        from_file = client.fairness(model, 1, os.path.join(FIXTURES, "fairness", c["file"]), label=c["label"], sensitive=c["sensitive"])
        for key in FAIRNESS_KEYS + ["groups"]:
            same(self, from_file[key], c[key], key)
        frame = pd.read_csv(os.path.join(FIXTURES, "fairness", c["file"]))
        from_frame = client.fairness(model, 1, frame, label=c["label"], sensitive=c["sensitive"], privileged="male", cutoff=0.5)
        for key in FAIRNESS_KEYS:
            same(self, from_frame[key], c[key], key)
        self.assertEqual([r["id"] for r in client.fairness_reports(model, 1)], [from_frame["id"], from_file["id"]])


if __name__ == "__main__":
    unittest.main()
