"""The Sextant client: one object per server, one method per operation."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Union, cast

from ._base import JSON, _q
from ._data import mlflow_body, oip_inputs, plain
from ._http import Multipart
from ._reports import _Reports

PathLike = Union[str, "os.PathLike[str]"]


class Prediction(NamedTuple):
    """What :meth:`Client.predict` returns: the predictions, and the request id feedback refers to."""

    predictions: List[Any]
    request_id: str


class Inference(NamedTuple):
    """What :meth:`Client.infer` returns: output tensors by name, the request id and the version that answered."""

    outputs: Dict[str, List[Any]]
    request_id: str
    model_version: int
    response: JSON


class Client(_Reports):
    """A client of one Sextant server.

    ``base_url`` is the server's address (``http://localhost:8080``). ``token`` is a bearer token
    (``sextant tokens create``) for a server with authentication on; without one, ``actor`` names
    the caller in the audit trail of a server running without authentication. Every method raises
    :class:`SextantError` when the server refuses the call.
    """

    # -- server -------------------------------------------------------------------------------

    def health(self) -> JSON:
        """``/healthz``: whether the server and its database answer."""
        return self._get("/healthz")

    def create_token(self, name: str, role: str = "editor", *, expires_in_days: Optional[int] = None) -> JSON:
        """Creates a bearer token (admin); the secret is in ``token`` of the answer, shown only this once.

        ``role`` is ``viewer``, ``editor``, ``deployer``, ``approver`` or ``admin``.
        """
        body: JSON = {"name": name, "role": role}
        if expires_in_days is not None:
            body["expiresInDays"] = int(expires_in_days)
        return self._send("POST", "/api/v1/tokens", body)

    # -- registry: models ---------------------------------------------------------------------

    def create_model(
        self,
        name: str,
        task: str,
        *,
        description: str = "",
        owner: Optional[str] = None,
        tags: Optional[Mapping[str, str]] = None,
    ) -> JSON:
        """Creates a model. ``task`` is ``binary-classification``, ``multiclass-classification`` or ``regression``."""
        body: JSON = {"name": name, "task": task, "description": description, "tags": dict(tags or {})}
        if owner is not None:
            body["owner"] = owner
        return self._send("POST", "/api/v1/models", body)

    def get_model(self, name: str) -> JSON:
        """A model with its aliases and latest version number."""
        return self._get(f"/api/v1/models/{_q(name)}")

    def list_models(
        self,
        q: Optional[str] = None,
        *,
        tag: Optional[Union[str, Sequence[str]]] = None,
        owner: Optional[str] = None,
        task: Optional[str] = None,
    ) -> List[JSON]:
        """Every model matching a name substring, tags (``KEY`` or ``KEY=VALUE``, all must match), owner and task."""
        return self._pages("/api/v1/models", "models", {"q": q, "tag": tag, "owner": owner, "task": task})

    def update_model(
        self,
        name: str,
        *,
        description: Optional[str] = None,
        owner: Optional[str] = None,
        tags: Optional[Mapping[str, Optional[str]]] = None,
    ) -> JSON:
        """Changes description, owner or tags (tags merge in; a None value deletes a tag)."""
        body = {k: v for k, v in {"description": description, "owner": owner, "tags": tags}.items() if v is not None}
        return self._send("PATCH", f"/api/v1/models/{_q(name)}", body)

    def delete_model(self, name: str, *, reason: Optional[str] = None) -> None:
        """Deletes a model and its versions (refused while aliases or deployments point at it)."""
        self._http.request("DELETE", f"/api/v1/models/{_q(name)}", query={"reason": reason})

    # -- registry: versions -------------------------------------------------------------------

    def register(
        self,
        model: str,
        path: PathLike,
        format: str,
        alias: Optional[str] = None,
        *,
        signature: Optional[Mapping[str, Any]] = None,
        params: Optional[Mapping[str, Any]] = None,
        metrics: Optional[Mapping[str, float]] = None,
        tags: Optional[Mapping[str, str]] = None,
        lineage: Optional[Mapping[str, Any]] = None,
        description: Optional[str] = None,
        digest: Optional[str] = None,
        reason: Optional[str] = None,
    ) -> JSON:
        """Uploads the model file at ``path`` as a new version of ``model`` and returns the version.

        ``format`` is ``onnx``, ``xgboost-json``, ``sextant-linear`` or ``remote``. With ``alias``
        the alias moves to the new version; when the alias is protected, an approval request is made
        instead and the answer's ``warnings`` name it.
        The file is streamed, not read into memory; ``digest`` (sha256 hex) makes the server refuse
        a file that differs.
        """
        meta: JSON = {"format": format}
        for key, value in (
            ("alias", alias),
            ("signature", signature),
            ("params", params),
            ("metrics", metrics),
            ("tags", tags),
            ("lineage", lineage),
            ("description", description),
            ("digest", digest),
            ("reason", reason),
        ):
            if value is not None:
                meta[key] = plain(value)
        body = Multipart(meta, os.fspath(path))
        return cast(JSON, self._http.request(
            "POST", f"/api/v1/models/{_q(model)}/versions", data=body, content_type=body.content_type, length=body.length
        ).body)

    def get_version(self, model: str, ref: Union[int, str] = "latest") -> JSON:
        """A version by number, alias or ``latest``."""
        return self._get(f"/api/v1/models/{_q(model)}/versions/{_q(ref)}")

    def list_versions(self, model: str, *, status: Optional[str] = None) -> List[JSON]:
        """Every version of a model, newest first (``status``: active, deprecated or archived)."""
        return self._pages(f"/api/v1/models/{_q(model)}/versions", "versions", {"status": status})

    def update_version(
        self,
        model: str,
        version: int,
        *,
        description: Optional[str] = None,
        tags: Optional[Mapping[str, Optional[str]]] = None,
        status: Optional[str] = None,
    ) -> JSON:
        """Changes a version's description, tags or status; everything else about a version is immutable."""
        body = {k: v for k, v in {"description": description, "tags": tags, "status": status}.items() if v is not None}
        return self._send("PATCH", f"/api/v1/models/{_q(model)}/versions/{int(version)}", body)

    def download(self, model: str, ref: Union[int, str], path: PathLike) -> str:
        """Writes a version's artifact to ``path`` and returns its sha256 digest (checked by the server while streaming)."""
        with open(os.fspath(path), "wb") as f:
            headers, _ = self._http.download(f"/api/v1/models/{_q(model)}/versions/{_q(ref)}/artifact", f)
        return headers.get("x-sextant-digest", "")

    def resolve(self, ref: str) -> JSON:
        """The version ``NAME@ALIAS``, ``NAME@latest`` or ``NAME/VERSION`` names."""
        return self._get("/api/v1/resolve", ref=ref)

    # -- aliases ------------------------------------------------------------------------------

    def set_alias(self, model: str, alias: str, version: int, *, reason: Optional[str] = None) -> JSON:
        """Points ``alias`` at ``version``; deployments following it switch at once.

        Returns the alias, or, when the alias is protected, ``{"approval": {...}}`` with the
        pending request the move became (see :meth:`approvals`).
        """
        body: JSON = {"version": int(version)}
        if reason is not None:
            body["reason"] = reason
        return self._send("PUT", f"/api/v1/models/{_q(model)}/aliases/{_q(alias)}", body)

    def aliases(self, model: str) -> Dict[str, int]:
        """A model's aliases: alias -> version."""
        return {a["alias"]: a["version"] for a in self._get(f"/api/v1/models/{_q(model)}/aliases")["aliases"]}

    def delete_alias(self, model: str, alias: str, *, reason: Optional[str] = None) -> None:
        """Deletes an alias (refused while a deployment follows it)."""
        self._http.request("DELETE", f"/api/v1/models/{_q(model)}/aliases/{_q(alias)}", query={"reason": reason})

    def rollback(self, model: str, alias: str, *, reason: Optional[str] = None) -> JSON:
        """Moves ``alias`` back to the version it held before its last move."""
        body: JSON = {"alias": alias}
        if reason is not None:
            body["reason"] = reason
        return self._send("POST", f"/api/v1/models/{_q(model)}/rollback", body)

    def alias_history(self, model: str, alias: Optional[str] = None) -> List[JSON]:
        """Which version each alias held over time ("what served when")."""
        return self._items(f"/api/v1/models/{_q(model)}/history", "periods", alias=alias)

    # -- deployments --------------------------------------------------------------------------

    def create_deployment(
        self,
        name: str,
        model: str,
        *,
        alias: Optional[str] = None,
        versions: Optional[Sequence[Mapping[str, Any]]] = None,
        **options: Any,
    ) -> JSON:
        """Creates a deployment that follows ``alias`` or pins weighted ``versions`` (``[{"version": 1, "weight": 100}]``).

        Other options (``shadow``, ``batching``, ``slo``, ``stickyHeader``, ``logging``) are sent as
        the REST API names them.
        """
        body: JSON = {"name": name, "model": model, **options}
        if alias is not None:
            body["alias"] = alias
        if versions is not None:
            body["versions"] = [dict(v) for v in versions]
        return self._send("POST", "/api/v1/deployments", body)

    def get_deployment(self, name: str) -> JSON:
        """A deployment with its effective traffic split."""
        return self._get(f"/api/v1/deployments/{_q(name)}")

    def list_deployments(self) -> List[JSON]:
        """Every deployment."""
        return self._items("/api/v1/deployments", "deployments")

    def update_deployment(self, name: str, **changes: Any) -> JSON:
        """Changes a deployment (``alias``, ``versions``, ``shadow``, ``batching``, ``slo``, ``stickyHeader``, ``logging``)."""
        return self._send("PATCH", f"/api/v1/deployments/{_q(name)}", changes)

    def delete_deployment(self, name: str, *, reason: Optional[str] = None) -> None:
        """Deletes a deployment."""
        self._http.request("DELETE", f"/api/v1/deployments/{_q(name)}", query={"reason": reason})

    def canary(self, name: str, version: int, weight: float, *, reason: Optional[str] = None) -> JSON:
        """Sends ``weight`` percent of a deployment's traffic to ``version``."""
        body: JSON = {"version": int(version), "weight": weight}
        if reason is not None:
            body["reason"] = reason
        return self._send("POST", f"/api/v1/deployments/{_q(name)}/canary", body)

    def promote(self, name: str, *, reason: Optional[str] = None) -> JSON:
        """Makes the canary the primary (moves the followed alias; a protected one becomes an approval request)."""
        return self._send("POST", f"/api/v1/deployments/{_q(name)}/promote", {} if reason is None else {"reason": reason})

    def abort(self, name: str, *, reason: Optional[str] = None) -> JSON:
        """Removes the canary; all traffic returns to the primary."""
        return self._send("POST", f"/api/v1/deployments/{_q(name)}/abort", {} if reason is None else {"reason": reason})

    # -- inference ----------------------------------------------------------------------------

    def predict(self, deployment: str, rows: Any, *, request_id: Optional[str] = None) -> Prediction:
        """Scores ``rows`` through the deployment's traffic split with the MLflow scoring protocol.

        ``rows`` is a pandas DataFrame, a list of dicts (one per row), a list of lists (features
        in signature order) or a dict of columns. Returns the predictions, one per row, and the
        request id to send ground truth for with :meth:`feedback`.
        """
        headers = {"x-request-id": request_id} if request_id else None
        r = self._http.request(
            "POST", f"/v1/deployments/{_q(deployment)}/invocations", json_body=mlflow_body(rows), headers=headers
        )
        return Prediction(r.body["predictions"], r.request_id or "")

    def infer(
        self,
        deployment: str,
        inputs: Any,
        *,
        version: Optional[int] = None,
        request_id: Optional[str] = None,
        outputs: Optional[Sequence[str]] = None,
    ) -> Inference:
        """Scores ``inputs`` with the Open Inference Protocol (v2).

        ``inputs`` is a DataFrame, a dict of columns or a list of row dicts (one tensor per
        feature), a list of lists (one 2-D tensor in signature order), or a list of OIP tensors.
        ``version`` bypasses routing and asks one version.
        """
        body: JSON = {"inputs": oip_inputs(inputs)}
        if outputs:
            body["outputs"] = [{"name": n} for n in outputs]
        path = f"/v2/models/{_q(deployment)}" + (f"/versions/{int(version)}" if version is not None else "") + "/infer"
        headers = {"x-request-id": request_id} if request_id else None
        r = self._http.request("POST", path, json_body=body, headers=headers)
        named = {o["name"]: o["data"] for o in r.body["outputs"]}
        return Inference(named, r.request_id or r.body.get("id", ""), int(r.body["model_version"]), r.body)

    def model_metadata(self, deployment: str) -> JSON:
        """The OIP metadata of a deployment: its inputs, outputs and versions."""
        return self._get(f"/v2/models/{_q(deployment)}")


__all__ = ["Client", "Prediction", "Inference", "JSON"]
