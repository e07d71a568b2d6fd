"""Conversions between DataFrames and database rows, and the compact correlation format.

Correlation matrices are stored as their *condensed upper triangle*: the entries above the
diagonal, row by row (``(0,1), (0,2), …, (0,n-1), (1,2), …``), as little-endian float32 bytes
(``n (n - 1) / 2`` values, 4 bytes each), beside the ticker order. A 5,000-ticker matrix takes
50 MB instead of 12.5 M rows. Reading it back restores the symmetric matrix with a unit
diagonal; values carry float32 precision (relative error below 6e-8, absolute below 6e-8 for
|r| <= 1), and NaN (a pair without enough common returns) round-trips as NaN.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fimonitor.errors import InputError

__all__ = [
    "FLOAT32_LE",
    "condense",
    "condensed",
    "expand",
    "frame_rows",
    "to_json",
    "top_pairs",
]

FLOAT32_LE = "<f4"


def _upper_mask(n: int) -> np.ndarray:
    return np.triu(np.ones((n, n), dtype=bool), k=1)


def condensed(matrix: pd.DataFrame | np.ndarray) -> np.ndarray:
    """Return the entries above the diagonal of a square matrix, row by row, as float32.

    Parameters
    ----------
    matrix : DataFrame or ndarray, shape (n, n)
        Symmetric; only the entries above the diagonal are read.

    Returns
    -------
    np.ndarray
        ``n (n - 1) / 2`` little-endian float32 values.
    """
    values = np.asarray(matrix)
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise InputError(f"a correlation matrix must be square, got shape {values.shape}")
    return values[_upper_mask(values.shape[0])].astype(FLOAT32_LE, copy=False)


def condense(matrix: pd.DataFrame | np.ndarray) -> bytes:
    """:func:`condensed` as bytes (``n (n - 1) / 2 * 4`` of them): the stored form."""
    return condensed(matrix).tobytes()


def expand(blob: bytes, n: int, *, diagonal: float = 1.0) -> np.ndarray:
    """Inverse of :func:`condense`: the symmetric ``(n, n)`` float32 matrix.

    Parameters
    ----------
    blob : bytes
        ``n (n - 1) / 2`` little-endian float32 values.
    n : int
        Number of tickers.
    diagonal : float
        Value put on the diagonal (1 for correlations, NaN for p-values).
    """
    flat = np.frombuffer(blob, dtype=FLOAT32_LE).astype(np.float32)
    if flat.size != n * (n - 1) // 2:
        raise InputError(f"a stored matrix of {n} tickers holds {flat.size} values")
    out = np.empty((n, n), dtype=np.float32)
    mask = _upper_mask(n)
    out[mask] = flat
    out.T[mask] = flat
    np.fill_diagonal(out, diagonal)
    return out


def top_pairs(
    matrix: np.ndarray,
    tickers: Sequence[str],
    n_top: int,
    p_values: np.ndarray | None = None,
    packed: np.ndarray | None = None,
) -> pd.DataFrame:
    """Return the ``n_top`` pairs with the largest absolute correlation (NaN pairs left out).

    Parameters
    ----------
    matrix : ndarray, shape (n, n)
        The correlations (their values are reported at this precision).
    tickers : sequence of str
        The matrix order.
    n_top : int
        How many pairs.
    p_values : ndarray, optional
        Same layout; reported beside each pair.
    packed : ndarray, optional
        ``condensed(matrix)`` when the caller has it already (ranking uses it).

    Returns
    -------
    pd.DataFrame
        ``pair_rank, ticker_1, ticker_2, correlation, p_value``; ``ticker_1`` comes first in
        the matrix order; ties keep the matrix order.

    Notes
    -----
    Exact and O(pairs): the ``n_top``-th largest |r| of a strided subsample cannot exceed the
    ``n_top``-th largest of all pairs, so every pair of the true top set is among the
    candidates at or above that threshold; only the candidates are sorted.
    """
    cols = ["pair_rank", "ticker_1", "ticker_2", "correlation", "p_value"]
    n = matrix.shape[0]
    if n < 2 or n_top <= 0:
        return pd.DataFrame(columns=cols)
    flat = condensed(matrix) if packed is None else packed
    strength = np.abs(flat)
    strength[np.isnan(strength)] = -np.inf
    k = min(n_top, int(np.isfinite(strength).sum()))
    if k == 0:
        return pd.DataFrame(columns=cols)
    stride = max(1, strength.size // max(100_000, 20 * k))
    sample = strength[::stride]
    threshold = -np.inf
    if sample.size > k:
        threshold = np.partition(sample, sample.size - k)[sample.size - k]
    candidates = np.flatnonzero(strength >= threshold)
    order = np.lexsort((candidates, -strength[candidates]))[:k]
    pick = candidates[order]
    # condensed index -> (row, column): row i starts at i n - i (i + 1) / 2
    rows = np.arange(n - 1)
    row_start = rows * n - rows * (rows + 1) // 2
    i = np.searchsorted(row_start, pick, side="right") - 1
    j = pick - row_start[i] + i + 1
    names = np.asarray([str(t) for t in tickers], dtype=object)
    return pd.DataFrame(
        {
            "pair_rank": np.arange(1, k + 1),
            "ticker_1": names[i],
            "ticker_2": names[j],
            "correlation": np.asarray(matrix, dtype=float)[i, j],
            "p_value": (
                np.asarray(p_values, dtype=float)[i, j] if p_values is not None else np.nan
            ),
        }
    )


def to_json(obj: Any) -> str:
    """Canonical JSON (sorted keys; NaN -> null; dates ISO; numpy -> Python)."""

    def default(o: Any) -> Any:
        if isinstance(o, pd.Timestamp | dt.datetime):
            return o.isoformat() if (o.hour, o.minute, o.second) != (0, 0, 0) else str(o.date())
        if isinstance(o, dt.date):
            return o.isoformat()
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, pd.DataFrame):
            return frame_records(o)
        if isinstance(o, pd.Series):
            return {str(k): scalar(v) for k, v in o.items()}
        return str(o)

    def clean(o: Any) -> Any:
        if isinstance(o, Mapping):
            return {str(k): clean(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [clean(v) for v in o]
        if isinstance(o, float | np.floating) and math.isnan(o):
            return None
        return o

    return json.dumps(clean(obj), default=default, sort_keys=True, allow_nan=False)


def scalar(value: Any) -> Any:
    """Return a plain Python value: NaN/NaT/NA -> None, numpy -> Python, Timestamp -> date."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def frame_records(df: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Rows of a frame as plain dicts (for JSON)."""
    if df is None or len(df) == 0:
        return []
    return [{str(k): scalar(v) for k, v in row.items()} for row in df.to_dict("records")]


#: Column kinds for :func:`frame_rows`.
KINDS = ("float", "int", "str", "key", "date", "bool")


def _column(values: pd.Series, kind: str, what: str) -> pd.Series:
    if kind == "float":
        return pd.to_numeric(values, errors="coerce").astype(float)
    if kind == "int":
        return pd.to_numeric(values, errors="coerce").round().astype("Int64")
    if kind in ("str", "key"):
        text = values.astype("string").astype(object).where(values.notna(), None)
        return text.where(text.notna(), "") if kind == "key" else text
    if kind == "date":
        out = pd.to_datetime(values, errors="coerce", format="ISO8601")
        bad = out.isna() & values.notna()
        if bad.any():
            raise InputError(f"{what}: not a date: {values[bad].iloc[0]!r}")
        return out.dt.date.astype(object).where(out.notna(), None)
    if kind == "bool":
        lowered = values.astype("string").str.strip().str.lower()
        return lowered.isin(["true", "1", "1.0", "yes", "y"]).fillna(False).astype(bool)
    raise ValueError(f"unknown column kind {kind!r}")


def frame_rows(
    df: pd.DataFrame | None,
    spec: Sequence[tuple[str, str, str, bool]],
    constants: Mapping[str, Any],
    what: str,
) -> list[dict[str, Any]]:
    """Rows for a Core ``executemany`` insert, built column by column (no per-row Python work).

    Parameters
    ----------
    df : DataFrame or None
        The frame to store (None or empty -> no rows).
    spec : sequence of (db_column, frame_column, kind, required)
        ``kind`` in :data:`KINDS`: ``key`` is text with blanks as ``''``; a missing optional
        column is stored as NULL (``key``: ``''``; ``bool``: False).
    constants : mapping
        Values shared by every row (``portfolio_id``, ``as_of``…).
    what : str
        Name of the frame for error messages.
    """
    if df is None or len(df) == 0:
        return []
    missing = [src for _, src, _, required in spec if required and src not in df.columns]
    if missing:
        raise InputError(
            f"{what} is missing column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, df.columns))}"
        )
    n = len(df)
    columns: dict[str, list] = {}
    for col, src, kind, required in spec:
        if src in df.columns:
            values = _column(df[src].reset_index(drop=True), kind, f"{what}.{src}")
            if required and kind in ("str", "date") and values.isna().any():
                row = int(np.flatnonzero(values.isna().to_numpy())[0]) + 1
                raise InputError(f"{what}: row {row}: {src} is blank")
            columns[col] = _pylist(values)
        else:
            columns[col] = ["" if kind == "key" else (False if kind == "bool" else None)] * n
    for col, value in constants.items():
        columns[col] = [value] * n
    keys = list(columns)
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _pylist(values: pd.Series) -> list:
    """Plain Python values (float, int, str, bool, date or None) of a converted column."""
    if values.dtype == float:
        arr = values.to_numpy()
        out = arr.astype(object)
        out[np.isnan(arr)] = None
        return out.tolist()
    return values.to_numpy(dtype=object, na_value=None).tolist()
