"""Four-eyes approvals of protected aliases, through the client's approvals methods."""

from __future__ import annotations

import os
import unittest

from support import SERVING, admin, server_url, unique

from sextant_client import Client, SextantError

LINEAR = os.path.join(SERVING, "breast-cancer-linear.json")


@unittest.skipUnless(os.environ.get("SEXTANT_TOKEN"), "needs a server with authentication on and its admin token in SEXTANT_TOKEN")
class ApprovalsTest(unittest.TestCase):
    def test_a_protected_alias_moves_only_on_another_approvers_word(self) -> None:
        root = admin()
        model = unique("guarded")

        def token(role: str) -> "tuple[Client, str]":
            name = unique(role)
            return Client(server_url(), root.create_token(name, role)["token"]), f"token:{name}"

        author, author_id = token("approver")
        requester, requester_id = token("approver")
        reviewer, reviewer_id = token("approver")
        root.create_model(model, "binary-classification")
        root.register(model, LINEAR, "sextant-linear", alias="champion")
        self.assertEqual(author.register(model, LINEAR, "sextant-linear")["author"], author_id)
        protection = root.protect_alias(model, "champion", approvals=1)
        self.assertEqual((protection["alias"], protection["approvals"]), ("champion", 1))
        self.assertEqual([p["alias"] for p in root.protections(model)], ["champion"])

        moved = requester.set_alias(model, "champion", 2, reason="the linear twin")
        request = moved["approval"]
        self.assertEqual((request["status"], request["version"], request["requestedBy"]), ("pending", 2, requester_id))
        self.assertEqual(root.aliases(model), {"champion": 1})
        self.assertIn(request["id"], [a["id"] for a in root.approvals(model=model, status="pending")])

        for who in (requester, author):
            with self.assertRaises(SextantError) as caught:
                who.approve(request["id"])
            self.assertEqual((caught.exception.code, caught.exception.status), ("permission_denied", 403))
            self.assertTrue(caught.exception.request_id)
        reviewer.approve(request["id"], reason="checked the drift report")
        decided = root.approval(request["id"])
        self.assertEqual(decided["status"], "approved")
        self.assertEqual([v["approver"] for v in decided["approvals"]], [reviewer_id])
        self.assertEqual(root.aliases(model), {"champion": 2})

        back = requester.set_alias(model, "champion", 1)["approval"]
        reviewer.reject(back["id"], reason="not now")
        self.assertEqual(root.approval(back["id"])["status"], "rejected")
        self.assertEqual(root.aliases(model), {"champion": 2})
        self.assertEqual([a["id"] for a in root.approvals(model=model, status="rejected")], [back["id"]])

        registered = root.register(model, LINEAR, "sextant-linear", alias="champion")
        self.assertEqual(registered["aliases"], [])
        self.assertRegex(" ".join(registered["warnings"]), r"approval \S+ requested")
        self.assertEqual(root.aliases(model), {"champion": 2})

        root.unprotect_alias(model, "champion")
        self.assertEqual(root.protections(model), [])
        self.assertEqual(requester.set_alias(model, "champion", 1)["version"], 1)


if __name__ == "__main__":
    unittest.main()
