"""Client methods for monitoring, drift and fairness reports, and approvals."""

from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Optional, Tuple, Union, cast

from ._base import JSON, _Base, _q
from ._data import dataset_body, plain, to_columns


class _Reports(_Base):
    # -- monitoring ---------------------------------------------------------------------------

    def feedback(self, deployment: str, labels: Iterable[Union[Tuple[str, Any], Mapping[str, Any]]]) -> JSON:
        """Sends ground truth: ``[(request_id, label), ...]`` (a list of labels, in row order, for a multi-row request).

        Late, out-of-order and repeated labels are all accepted. Returns the counts of accepted,
        duplicate and updated labels and the request ids not logged yet.
        """
        items = []
        for item in labels:
            if isinstance(item, Mapping):
                items.append({"requestId": str(item["requestId"]), "label": plain(item["label"])})
            else:
                request_id, label = item
                items.append({"requestId": str(request_id), "label": plain(label)})
        if not items:
            raise ValueError("labels: give at least one (request_id, label) pair")
        return self._send("POST", f"/api/v1/deployments/{_q(deployment)}/feedback", items)

    def predictions(self, deployment: str, **query: Any) -> List[JSON]:
        """Logged predictions, newest first, with their labels (``since``, ``until``, ``version``, ``role``, ``withLabels``, ``pageSize``)."""
        return self._items(f"/api/v1/deployments/{_q(deployment)}/predictions", "predictions", **query)

    def quality(self, deployment: str, *, since: Optional[str] = None, until: Optional[str] = None) -> JSON:
        """Quality metrics of a window from logged predictions and their labels (and CBPE estimates without them)."""
        return self._get(f"/api/v1/deployments/{_q(deployment)}/quality", since=since, until=until)

    def upload_reference(self, model: str, version: int, data: Any) -> JSON:
        """Stores a version's reference data (its training sample): a DataFrame, rows, columns, or a .csv/.jsonl path."""
        payload, kind = dataset_body(data)
        return cast(JSON, self._http.request(
            "PUT", f"/api/v1/models/{_q(model)}/versions/{int(version)}/reference", data=payload, content_type=kind
        ).body)

    def drift(
        self,
        reference: Any,
        current: Any,
        *,
        tests: Optional[Mapping[str, str]] = None,
        thresholds: Optional[Mapping[str, float]] = None,
        drift_share: float = 0.5,
    ) -> JSON:
        """Compares two datasets feature by feature, as ``sextant drift`` does (Evidently's tests and defaults).

        ``reference`` and ``current`` are DataFrames, dicts of columns or lists of row dicts.
        ``tests`` picks a feature's test (``ks``, ``chisquare``, ``z``, ``wasserstein``, ``psi``,
        ...). Returns each feature's test, statistic, p-value and verdict, the drifted share, and
        whether the dataset drifted. Nothing is stored.
        """
        body: JSON = {"reference": to_columns(reference, "reference"), "current": to_columns(current, "current"), "driftShare": drift_share}
        if tests:
            body["tests"] = dict(tests)
        if thresholds:
            body["thresholds"] = dict(thresholds)
        return self._send("POST", "/api/v1/drift", body)

    def deployment_drift(
        self, deployment: str, *, since: Optional[str] = None, until: Optional[str] = None, version: Optional[int] = None
    ) -> JSON:
        """Drift of the inputs a deployment logged in a window against its serving version's reference data."""
        return self._get(f"/api/v1/deployments/{_q(deployment)}/drift", since=since, until=until, version=version)

    def data_quality(
        self, deployment: str, *, since: Optional[str] = None, until: Optional[str] = None, version: Optional[int] = None
    ) -> JSON:
        """Data-quality checks of a window against the reference (missing values, ranges, new categories)."""
        return self._get(f"/api/v1/deployments/{_q(deployment)}/data-quality", since=since, until=until, version=version)

    def fairness(
        self,
        model: str,
        version: int,
        data: Any,
        *,
        label: str,
        sensitive: str,
        privileged: Optional[str] = None,
        cutoff: Optional[float] = None,
    ) -> JSON:
        """Scores a labelled dataset with a version and reports group fairness by ``sensitive``; the report is stored.

        ``data`` is a DataFrame, rows, columns, or a .csv/.jsonl path. The report holds per-group
        rates, demographic parity, equalized odds and disparate impact against ``privileged``.
        """
        payload, kind = dataset_body(data)
        query = {"label": label, "sensitive": sensitive, "privileged": privileged, "cutoff": cutoff}
        return cast(JSON, self._http.request(
            "POST", f"/api/v1/models/{_q(model)}/versions/{int(version)}/fairness", query=query, data=payload, content_type=kind
        ).body)

    def fairness_reports(self, model: str, version: int) -> List[JSON]:
        """A version's stored fairness reports, newest first."""
        return self._items(f"/api/v1/models/{_q(model)}/versions/{int(version)}/fairness", "reports")

    # -- grants -------------------------------------------------------------------------------

    def grant(self, model: str, principal: str, role: str) -> JSON:
        """Gives ``principal`` (``token:NAME``) ``role`` on ``model``, or on every model with ``"*"`` (admin)."""
        return self._send("PUT", f"/api/v1/models/{_q(model)}/grants/{_q(principal)}", {"role": role})

    def revoke(self, model: str, principal: str) -> None:
        """Takes back a principal's grant on a model."""
        self._http.request("DELETE", f"/api/v1/models/{_q(model)}/grants/{_q(principal)}")

    def grants(self, model: Optional[str] = None) -> List[JSON]:
        """The grants on one model, or every grant."""
        return self._items(f"/api/v1/models/{_q(model)}/grants" if model else "/api/v1/grants", "grants")

    # -- approvals ----------------------------------------------------------------------------

    def protect_alias(self, model: str, alias: str, *, approvals: int = 1, ttl_seconds: Optional[int] = None) -> JSON:
        """Protects an alias (admin): every move of it becomes an approval request needing ``approvals`` distinct approvers."""
        body: JSON = {"approvals": int(approvals)}
        if ttl_seconds is not None:
            body["ttlSeconds"] = int(ttl_seconds)
        return self._send("PUT", f"/api/v1/models/{_q(model)}/aliases/{_q(alias)}/protection", body)

    def unprotect_alias(self, model: str, alias: str) -> None:
        """Lifts an alias's protection (admin); requests already open stay open."""
        self._http.request("DELETE", f"/api/v1/models/{_q(model)}/aliases/{_q(alias)}/protection")

    def protections(self, model: str) -> List[JSON]:
        """The protected aliases of a model."""
        return self._items(f"/api/v1/models/{_q(model)}/protections", "protections")

    def approvals(self, *, model: Optional[str] = None, status: Optional[str] = None) -> List[JSON]:
        """Approval requests (moves of protected aliases), by model and status (pending, approved, rejected, expired)."""
        return self._items("/api/v1/approvals", "approvals", model=model, status=status)

    def approval(self, approval_id: str) -> JSON:
        """One approval request with its approvers and rule evaluation."""
        return self._get(f"/api/v1/approvals/{_q(approval_id)}")

    def approve(self, approval_id: str, *, reason: Optional[str] = None) -> JSON:
        """Approves a request; the last approval needed makes the move happen."""
        return self._send("POST", f"/api/v1/approvals/{_q(approval_id)}/approve", {} if reason is None else {"reason": reason})

    def reject(self, approval_id: str, *, reason: Optional[str] = None) -> JSON:
        """Rejects a request; nothing moves."""
        return self._send("POST", f"/api/v1/approvals/{_q(approval_id)}/reject", {} if reason is None else {"reason": reason})

