"""Turning rows a notebook holds (lists, dicts, pandas DataFrames, numpy values) into request bodies.

pandas and numpy are never imported here: a DataFrame or an array passed in means its library is
already loaded, so it is recognised through ``sys.modules``, and a user without them pays nothing.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import sys
from typing import Any, Dict, List, Mapping, Sequence, Tuple, Union

#: A value of one cell as JSON carries it.
Cell = Union[int, float, str, bool, None]
#: A dataset as columns: feature name -> one value per row.
Columns = Dict[str, List[Cell]]

_MLFLOW_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


def is_dataframe(value: Any) -> bool:
    """Whether ``value`` is a pandas DataFrame (pandas already imported by the caller)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


def _is_ndarray(value: Any) -> bool:
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def plain(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as Python values and NaN, NA and NaT as None (JSON has no NaN)."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if _is_ndarray(value):
        return plain(value.tolist())
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        if value is pandas.NA or value is pandas.NaT:
            return None
        if isinstance(value, pandas.Timestamp):
            return value.isoformat()
    item = getattr(value, "item", None)
    if callable(item):  # a numpy scalar
        return plain(item())
    return value


def to_columns(data: Any, what: str = "data") -> Columns:
    """A DataFrame, a dict of columns or a list of row dicts as columns (a row without a key gets None)."""
    if is_dataframe(data):
        return {str(k): plain(list(v)) for k, v in data.to_dict(orient="list").items()}
    if isinstance(data, Mapping):
        cols = {str(k): plain(list(v)) if not isinstance(v, (str, bytes)) else [v] for k, v in data.items()}
        lengths = {len(c) for c in cols.values()}
        if len(lengths) > 1:
            raise ValueError(f"{what}: every column must have the same number of values, got lengths {sorted(lengths)}")
        return cols
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        rows = list(data)
        if not all(isinstance(r, Mapping) for r in rows):
            raise TypeError(f"{what}: give a pandas DataFrame, a dict of columns or a list of dicts (one per row)")
        names: Dict[str, None] = {}
        for r in rows:
            for k in r:
                names.setdefault(str(k), None)
        return {k: [plain(r.get(k)) for r in rows] for k in names}
    raise TypeError(f"{what}: give a pandas DataFrame, a dict of columns or a list of dicts (one per row), not {type(data).__name__}")


def mlflow_body(rows: Any) -> Dict[str, Any]:
    """The MLflow scoring body for ``rows``.

    A DataFrame becomes ``dataframe_split``, a list of dicts ``dataframe_records``, a list of
    lists (or a 2-D array) ``instances``, and a dict of columns ``inputs``. A dict that already
    holds one of those keys is sent as it is.
    """
    if is_dataframe(rows):
        split = rows.to_dict(orient="split")
        return {"dataframe_split": {"columns": [str(c) for c in split["columns"]], "data": plain(split["data"])}}
    if _is_ndarray(rows):
        return {"instances": plain(rows)}
    if isinstance(rows, Mapping):
        if any(k in rows for k in _MLFLOW_KEYS):
            return dict(plain(rows))
        return {"inputs": to_columns(rows, "rows")}
    if isinstance(rows, Sequence) and not isinstance(rows, (str, bytes)):
        items = list(rows)
        if not items:
            raise ValueError("rows: give at least one row")
        if all(isinstance(r, Mapping) for r in items):
            return {"dataframe_records": plain(items)}
        return {"instances": plain(items)}
    raise TypeError(f"rows: give a pandas DataFrame, a list of dicts, a list of lists or a dict of columns, not {type(rows).__name__}")


def _datatype(values: List[Cell]) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "BOOL"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "INT64"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "FP64"
    return "BYTES"


def oip_inputs(inputs: Any) -> List[Dict[str, Any]]:
    """OIP v2 input tensors for ``inputs``.

    A DataFrame, a dict of columns or a list of row dicts gives one ``[n]`` tensor per feature,
    typed from its values; a list of lists (or a 2-D array) gives one ``[n, width]`` tensor, read
    in signature order. A list of tensor dicts (with ``name``, ``datatype``, ``shape``, ``data``)
    is sent as it is.
    """
    if isinstance(inputs, Sequence) and not isinstance(inputs, (str, bytes)) and inputs and all(
        isinstance(t, Mapping) and "datatype" in t and "data" in t for t in inputs
    ):
        return [dict(plain(t)) for t in inputs]
    if _is_ndarray(inputs) or (
        isinstance(inputs, Sequence) and not isinstance(inputs, (str, bytes)) and inputs and all(
            isinstance(r, (list, tuple)) for r in inputs
        )
    ):
        matrix = plain(inputs)
        width = len(matrix[0]) if matrix else 0
        flat = [v for row in matrix for v in row]
        return [{"name": "input", "datatype": _datatype(flat), "shape": [len(matrix), width], "data": flat}]
    cols = to_columns(inputs, "inputs")
    return [{"name": k, "datatype": _datatype(v), "shape": [len(v)], "data": v} for k, v in cols.items()]


def dataset_body(data: Any) -> Tuple[bytes, str]:
    """A dataset as an upload body and its content type.

    A path (ending in .csv, .jsonl or .ndjson) is sent as the file holds it; a DataFrame, a dict
    of columns or a list of row dicts as JSON lines (missing values as null).
    """
    if isinstance(data, (str, os.PathLike)):
        path = str(os.fspath(data))
        lower = path.lower()
        if lower.endswith(".csv"):
            kind = "text/csv"
        elif lower.endswith((".jsonl", ".ndjson")):
            kind = "application/x-ndjson"
        else:
            raise ValueError(f"{path}: give a .csv, .jsonl or .ndjson file")
        with open(path, "rb") as f:
            return f.read(), kind
    cols = to_columns(data, "data")
    names = list(cols)
    n = len(cols[names[0]]) if names else 0
    lines = [json.dumps({k: cols[k][i] for k in names}, allow_nan=False) for i in range(n)]
    return ("\n".join(lines) + "\n").encode("utf-8"), "application/x-ndjson"

