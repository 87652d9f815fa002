"""HTTP for the client: JSON calls, streamed multipart uploads and Sextant's error shape, on urllib."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, BinaryIO, Dict, Iterator, Mapping, Optional, Tuple

from .errors import SextantError

_CHUNK = 1 << 16


class Response:
    """A successful answer: status, headers (lower-case names) and the decoded JSON body, if any."""

    def __init__(self, status: int, headers: Dict[str, str], body: Any) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def request_id(self) -> Optional[str]:
        return self.headers.get("x-request-id")


class Transport:
    """Sends requests to one Sextant server with the caller's bearer token or actor name."""

    def __init__(self, base_url: str, token: Optional[str], actor: Optional[str], timeout: float) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.actor = actor
        self.timeout = timeout
        # No proxy from the environment: a notebook's HTTP_PROXY is rarely meant for the cluster.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def url(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        url = self.base_url + path
        if query:
            pairs = []
            for k, v in query.items():
                if v is None:
                    continue
                for item in v if isinstance(v, (list, tuple)) else [v]:
                    pairs.append((k, "true" if item is True else "false" if item is False else str(item)))
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        return url

    def _headers(self, extra: Optional[Mapping[str, str]]) -> Dict[str, str]:
        headers = {"accept": "application/json", "user-agent": "sextant-client-python"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        elif self.actor:
            headers["x-sextant-actor"] = self.actor
        headers.update(extra or {})
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, Any]] = None,
        json_body: Any = None,
        data: Any = None,
        content_type: Optional[str] = None,
        length: Optional[int] = None,
        headers: Optional[Mapping[str, str]] = None,
        raw: bool = False,
    ) -> Response:
        """Sends one request; a non-2xx answer raises :class:`SextantError` with the server's code and request id."""
        extra = dict(headers or {})
        body = data
        if json_body is not None:
            body = json.dumps(json_body, allow_nan=False).encode("utf-8")
            extra["content-type"] = "application/json"
        elif content_type:
            extra["content-type"] = content_type
        if length is not None:
            extra["content-length"] = str(length)
        req = urllib.request.Request(self.url(path, query), data=body, method=method, headers=self._headers(extra))
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                resp_headers = {k.lower(): v for k, v in resp.headers.items()}
                if raw:
                    return Response(resp.status, resp_headers, resp)
                payload = resp.read()
                return Response(resp.status, resp_headers, _decode(payload, resp_headers))
        except urllib.error.HTTPError as err:
            raise _error(err) from None
        except urllib.error.URLError as err:
            raise SextantError("unavailable", f"cannot reach {self.base_url}: {err.reason}") from err
        except (TimeoutError, ConnectionError) as err:
            raise SextantError("unavailable", f"{self.base_url} did not answer: {err}") from err

    def download(self, path: str, target: BinaryIO) -> Tuple[Dict[str, str], int]:
        """Streams a binary answer into ``target``; returns its headers and the bytes written."""
        req = urllib.request.Request(self.url(path), method="GET", headers=self._headers({"accept": "application/octet-stream"}))
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                written = 0
                while True:
                    chunk = resp.read(_CHUNK)
                    if not chunk:
                        break
                    target.write(chunk)
                    written += len(chunk)
                return {k.lower(): v for k, v in resp.headers.items()}, written
        except urllib.error.HTTPError as err:
            raise _error(err) from None
        except urllib.error.URLError as err:
            raise SextantError("unavailable", f"cannot reach {self.base_url}: {err.reason}") from err


def _decode(payload: bytes, headers: Mapping[str, str]) -> Any:
    if not payload:
        return None
    if "json" in headers.get("content-type", ""):
        return json.loads(payload)
    return payload.decode("utf-8", errors="replace")


def _error(err: urllib.error.HTTPError) -> SextantError:
    headers = {k.lower(): v for k, v in (err.headers or {}).items()}
    raw = err.read() if err.fp is not None else b""
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        e = body["error"]
        return SextantError(
            str(e.get("code", "unknown")),
            str(e.get("message", "")),
            status=err.code,
            request_id=e.get("requestId") or headers.get("x-request-id"),
            details=e.get("details"),
        )
    text = raw.decode("utf-8", errors="replace").strip()[:500]
    return SextantError("unknown", text or (err.reason or f"HTTP {err.code}"), status=err.code, request_id=headers.get("x-request-id"))


class Multipart:
    """A multipart/form-data body streamed from a file: the JSON ``metadata`` part first, then ``file``."""

    def __init__(self, metadata: Mapping[str, Any], path: str) -> None:
        self.boundary = "sextant-" + uuid.uuid4().hex
        name = os.path.basename(path).replace('"', "_")
        self.path = path
        self.head = (
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="metadata"\r\n'
            "Content-Type: application/json\r\n\r\n"
            f"{json.dumps(metadata, allow_nan=False)}\r\n"
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode("utf-8")
        self.tail = f"\r\n--{self.boundary}--\r\n".encode("utf-8")
        self.length = len(self.head) + os.path.getsize(path) + len(self.tail)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        with open(self.path, "rb") as f:
            while True:
                chunk = f.read(_CHUNK)
                if not chunk:
                    break
                yield chunk
        yield self.tail
