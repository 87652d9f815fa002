"""What every group of client methods stands on: the transport and JSON helpers."""

from __future__ import annotations

import urllib.parse
from typing import Any, Dict, List, Mapping, Optional, Union, cast

from ._http import Transport

JSON = Dict[str, Any]


def _q(segment: Union[str, int]) -> str:
    return urllib.parse.quote(str(segment), safe="")


class _Base:
    """The connection to one server and the JSON helpers the method groups share."""

    def __init__(self, base_url: str, token: Optional[str] = None, *, actor: Optional[str] = None, timeout: float = 60.0) -> None:
        self._http = Transport(base_url, token, actor, timeout)

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def _get(self, path: str, **query: Any) -> JSON:
        return cast(JSON, self._http.request("GET", path, query=query).body)

    def _items(self, path: str, key: str, **query: Any) -> List[JSON]:
        return cast(List[JSON], self._get(path, **query)[key])

    def _send(self, method: str, path: str, body: Any = None, **query: Any) -> JSON:
        json_body = body if body is not None else ({} if method == "POST" else None)
        return cast(JSON, self._http.request(method, path, query=query, json_body=json_body).body)

    def _pages(self, path: str, key: str, query: Mapping[str, Any]) -> List[JSON]:
        items: List[JSON] = []
        token: Optional[str] = None
        while True:
            page = self._get(path, **{**query, "pageToken": token})
            items.extend(page[key])
            token = page.get("nextPageToken")
            if not token:
                return items

