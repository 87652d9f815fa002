"""The client needs nothing beyond the standard library, and a token is sent as a bearer."""

from __future__ import annotations

import os
import subprocess
import sys
import unittest

from support import SERVING, admin, serving_case, server_url, unique

from sextant_client import Client, SextantError

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# pandas and numpy made unimportable: the client must import and score plain lists without them.
WITHOUT_PANDAS = """
import sys
sys.modules["pandas"] = None
sys.modules["numpy"] = None
from sextant_client import Client
c = Client(sys.argv[1], sys.argv[2] or None)
predictions, request_id = c.predict(sys.argv[3], [[float(v) for v in sys.argv[4].split(",")]])
print(predictions[0]["label"], request_id)
"""


class PlainPythonTest(unittest.TestCase):
    def test_without_pandas_or_numpy(self) -> None:
        client = admin()
        case = serving_case("breast-cancer-logistic")
        model = unique("plain")
        client.create_model(model, "binary-classification")
        client.register(model, os.path.join(SERVING, "breast-cancer-linear.json"), "sextant-linear", alias="champion")
        client.create_deployment(model, model, alias="champion")
        row = ",".join(str(v) for v in case["rows"][0])
        env = {**os.environ, "PYTHONPATH": PACKAGE_ROOT}
        out = subprocess.run(
            [sys.executable, "-c", WITHOUT_PANDAS, server_url(), os.environ.get("SEXTANT_TOKEN", ""), model, row],
            env=env, capture_output=True, text=True, check=False,
        )
        self.assertEqual(out.returncode, 0, out.stderr)
        label, request_id = out.stdout.split()
        self.assertEqual(int(label), case["label"][0])
        self.assertTrue(request_id)


@unittest.skipUnless(os.environ.get("SEXTANT_TOKEN"), "needs a server with authentication on and its admin token in SEXTANT_TOKEN")
class TokenTest(unittest.TestCase):
    def test_roles_are_enforced_on_the_bearer_token(self) -> None:
        client = admin()
        name = unique("viewer")
        viewer = Client(server_url(), client.create_token(name, "viewer")["token"])
        self.assertIsInstance(viewer.list_models(), list)
        with self.assertRaises(SextantError) as caught:
            viewer.create_model(unique("nope"), "regression")
        self.assertEqual((caught.exception.code, caught.exception.status), ("permission_denied", 403))
        self.assertIn("editor", caught.exception.message)
        with self.assertRaises(SextantError) as caught:
            Client(server_url(), "sxt_not_a_token").list_models()
        self.assertEqual(caught.exception.code, "unauthenticated")

    def test_a_grant_gives_a_role_on_one_model(self) -> None:
        client = admin()
        model, other = unique("granted"), unique("other")
        client.create_model(model, "binary-classification")
        client.create_model(other, "binary-classification")
        name = unique("author")
        author = Client(server_url(), client.create_token(name, "viewer")["token"])
        grant = client.grant(model, f"token:{name}", "editor")
        self.assertEqual((grant["model"], grant["principal"], grant["role"]), (model, f"token:{name}", "editor"))
        self.assertEqual([g["principal"] for g in client.grants(model)], [f"token:{name}"])
        linear = os.path.join(SERVING, "breast-cancer-linear.json")
        self.assertEqual(author.register(model, linear, "sextant-linear")["author"], f"token:{name}")
        with self.assertRaises(SextantError) as caught:
            author.register(other, linear, "sextant-linear")
        self.assertEqual(caught.exception.code, "permission_denied")
        client.revoke(model, f"token:{name}")
        self.assertEqual(client.grants(model), [])
        with self.assertRaises(SextantError) as caught:
            author.register(model, linear, "sextant-linear")
        self.assertEqual(caught.exception.code, "permission_denied")


if __name__ == "__main__":
    unittest.main()
