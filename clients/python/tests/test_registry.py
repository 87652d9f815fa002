"""Registry, uploads, aliases and errors against a running server."""

from __future__ import annotations

import hashlib
import os
import tempfile
import unittest

from support import SERVING, admin, unique

from sextant_client import SextantError

ONNX = os.path.join(SERVING, "breast-cancer-logreg.onnx")
LINEAR = os.path.join(SERVING, "breast-cancer-linear.json")


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class RegistryTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = admin()
        self.model = unique("bc")
        self.client.create_model(self.model, "binary-classification", description="breast cancer", tags={"team": "py"})

    def test_register_uploads_the_file_and_moves_the_alias(self) -> None:
        v1 = self.client.register(self.model, ONNX, "onnx", alias="champion", metrics={"accuracy": 0.97}, tags={"run": "1"})
        self.assertEqual(v1["version"], 1)
        self.assertEqual(v1["format"], "onnx")
        self.assertEqual(v1["digest"], sha256(ONNX))
        self.assertEqual(v1["size"], os.path.getsize(ONNX))
        self.assertEqual(v1["aliases"], ["champion"])
        self.assertEqual(v1["metrics"], {"accuracy": 0.97})
        v2 = self.client.register(self.model, LINEAR, "sextant-linear", digest=sha256(LINEAR), description="linear twin")
        self.assertEqual(v2["version"], 2)
        self.assertEqual(self.client.get_version(self.model)["version"], 2)
        self.assertEqual(self.client.get_version(self.model, "champion")["version"], 1)
        self.assertEqual([v["version"] for v in self.client.list_versions(self.model)], [2, 1])
        self.assertEqual(self.client.resolve(f"{self.model}@champion")["digest"], sha256(ONNX))
        with tempfile.TemporaryDirectory() as d:
            target = os.path.join(d, "model.onnx")
            digest = self.client.download(self.model, 1, target)
            self.assertEqual(digest, sha256(ONNX))
            self.assertEqual(sha256(target), sha256(ONNX))

    def test_a_wrong_digest_is_refused_with_the_servers_code(self) -> None:
        with self.assertRaises(SextantError) as caught:
            self.client.register(self.model, LINEAR, "sextant-linear", digest="0" * 64)
        self.assertEqual((caught.exception.status or 0) // 100, 4)
        self.assertTrue(caught.exception.request_id)
        self.assertEqual(self.client.list_versions(self.model), [])

    def test_models_are_listed_updated_and_deleted(self) -> None:
        names = [m["name"] for m in self.client.list_models(self.model)]
        self.assertEqual(names, [self.model])
        self.assertEqual([m["name"] for m in self.client.list_models(self.model, tag="team=py")], [self.model])
        updated = self.client.update_model(self.model, description="new", tags={"team": None, "stage": "dev"})
        self.assertEqual(updated["description"], "new")
        self.assertEqual(updated["tags"], {"stage": "dev"})
        self.client.delete_model(self.model, reason="test over")
        with self.assertRaises(SextantError) as caught:
            self.client.get_model(self.model)
        self.assertEqual(caught.exception.code, "not_found")

    def test_aliases_move_roll_back_and_keep_their_history(self) -> None:
        self.client.register(self.model, ONNX, "onnx", alias="champion")
        self.client.register(self.model, LINEAR, "sextant-linear")
        moved = self.client.set_alias(self.model, "champion", 2, reason="linear is simpler")
        self.assertEqual((moved["version"], moved["previousVersion"]), (2, 1))
        self.assertEqual(self.client.aliases(self.model), {"champion": 2})
        back = self.client.rollback(self.model, "champion", reason="undo")
        self.assertEqual(back["version"], 1)
        history = self.client.alias_history(self.model, "champion")
        self.assertEqual([p["version"] for p in history], [1, 2, 1])
        self.assertEqual(history[1]["reason"], "linear is simpler")
        self.client.set_alias(self.model, "challenger", 2)
        self.client.delete_alias(self.model, "challenger")
        self.assertEqual(self.client.aliases(self.model), {"champion": 1})
        self.assertEqual(self.client.update_version(self.model, 2, status="deprecated")["status"], "deprecated")


class ErrorTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = admin()

    def test_errors_carry_code_status_request_id_and_details(self) -> None:
        name = unique("dup")
        self.client.create_model(name, "regression")
        with self.assertRaises(SextantError) as caught:
            self.client.create_model(name, "regression")
        e = caught.exception
        self.assertEqual((e.code, e.status), ("already_exists", 409))
        self.assertRegex(e.request_id or "", r"\S")
        self.assertIn(e.request_id or "", str(e))
        with self.assertRaises(SextantError) as caught:
            self.client.create_model("Not A Name", "regression")
        self.assertEqual(caught.exception.code, "invalid_argument")
        self.assertIn("body.name", [f["field"] for f in caught.exception.details["fields"]])

    def test_the_request_id_is_the_one_in_the_servers_log(self) -> None:
        with self.assertRaises(SextantError) as caught:
            self.client.predict(unique("ghost"), [[1.0]], request_id="py-ghost-1")
        self.assertEqual((caught.exception.code, caught.exception.request_id), ("not_found", "py-ghost-1"))

    def test_an_unreachable_server_is_unavailable(self) -> None:
        from sextant_client import Client

        with self.assertRaises(SextantError) as caught:
            Client("http://127.0.0.1:9", timeout=5).list_models()
        self.assertEqual((caught.exception.code, caught.exception.status), ("unavailable", None))


if __name__ == "__main__":
    unittest.main()
