"""The one exception the client raises for a failed call."""

from __future__ import annotations

from typing import Any, Optional


class SextantError(Exception):
    """A call Sextant refused or could not answer.

    ``code`` is Sextant's error code (``invalid_argument``, ``not_found``, ``already_exists``,
    ``permission_denied``, ``conflict``, ``failed_precondition``, ``resource_exhausted``,
    ``unavailable``, ...), ``request_id`` the id of the request in Sextant's logs and audit
    trail, ``status`` the HTTP status (``None`` when the server could not be reached) and
    ``details`` whatever structured detail the server sent (for example the fields a 400 names).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.request_id = request_id
        self.details = details

    def __str__(self) -> str:
        where = [f"HTTP {self.status}"] if self.status is not None else []
        if self.request_id:
            where.append(f"request {self.request_id}")
        return f"{self.code}: {self.message}" + (f" ({', '.join(where)})" if where else "")

    def __repr__(self) -> str:
        return f"SextantError(code={self.code!r}, message={self.message!r}, status={self.status!r}, request_id={self.request_id!r})"
