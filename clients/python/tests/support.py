"""What every test module shares: the server under test, an admin client and the fixtures."""

from __future__ import annotations

import json
import os
import sys
import uuid
from typing import Any, Dict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from sextant_client import Client  # noqa: E402

FIXTURES = os.environ.get("SEXTANT_FIXTURES") or os.path.join(HERE, "..", "..", "..", "test", "fixtures")
SERVING = os.path.join(FIXTURES, "serving")


def server_url() -> str:
    url = os.environ.get("SEXTANT_URL")
    if not url:
        raise RuntimeError("set SEXTANT_URL to a running Sextant server (and SEXTANT_TOKEN to an admin token when it has authentication on)")
    return url


def admin() -> Client:
    """A client with the admin token the server was started with (or none, without authentication)."""
    return Client(server_url(), os.environ.get("SEXTANT_TOKEN") or None)


def unique(prefix: str) -> str:
    """A model or deployment name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def serving_case(name: str) -> Dict[str, Any]:
    case: Dict[str, Any] = load_json("serving", "expected.json")["cases"][name]
    return case


def load_json(*parts: str) -> Any:
    with open(os.path.join(FIXTURES, *parts)) as f:
        return json.load(f)
