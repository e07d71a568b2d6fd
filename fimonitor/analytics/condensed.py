"""The compact form of symmetric ticker x ticker matrices (correlations, p-values, row counts).

A symmetric ``k x k`` matrix is kept as its *condensed upper triangle*: the entries above the
diagonal, row by row (``(0,1), (0,2), …, (0,k−1), (1,2), …``; scipy ``squareform`` order),
``k (k − 1) / 2`` values. Correlations and p-values are little-endian float32 (4 bytes a pair:
a 5,000-ticker matrix takes 50 MB instead of 200 MB as float64 or 12.5 M database rows);
float32 keeps about 7 significant digits (absolute error below 6e-8 for |r| <= 1), NaN stays
NaN. This is the one codec of the package: the analytics build it, the history database
(:mod:`fimonitor.store`) stores its bytes as they are and expands them when read.

The pair at position ``m`` of the condensed vector is ``(i, j)`` with row ``i`` starting at
``s_i = i k − i (i + 1) / 2`` and ``j = m − s_i + i + 1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fimonitor.errors import InputError

__all__ = [
    "FLOAT32_LE",
    "condense",
    "condensed_values",
    "expand",
    "from_bytes",
    "n_pairs",
    "pair_positions",
    "row_starts",
    "top_pairs",
    "upper_rows",
]

#: dtype name of the stored values (little-endian float32).
FLOAT32_LE = "<f4"
TOP_PAIR_COLUMNS = ["pair_rank", "ticker_1", "ticker_2", "correlation", "p_value"]


def n_pairs(k: int) -> int:
    """Return the number of entries above the diagonal of a ``k x k`` matrix: ``k (k − 1) / 2``."""
    return k * (k - 1) // 2


def row_starts(k: int) -> np.ndarray:
    """Return the condensed position of each row's first pair: ``s_i = i k − i (i + 1) / 2``.

    Parameters
    ----------
    k : int
        Matrix size.

    Returns
    -------
    np.ndarray
        ``k`` int64 offsets (the last row holds no pair; its offset is ``n_pairs(k)``).
    """
    i = np.arange(k, dtype=np.int64)
    return i * k - i * (i + 1) // 2


def pair_positions(pos: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the ``(i, j)`` (``i < j``) of condensed positions ``pos`` of a ``k x k`` matrix.

    Parameters
    ----------
    pos : np.ndarray
        Positions in the condensed vector (``0 <= pos < n_pairs(k)``).
    k : int
        Matrix size.

    Returns
    -------
    tuple of np.ndarray
        Row and column indices.
    """
    pos = np.asarray(pos, dtype=np.int64)
    starts = row_starts(k)[: max(k - 1, 0)]  # rows holding pairs
    i = np.searchsorted(starts, pos, side="right") - 1
    return i, pos - starts[i] + i + 1


def upper_rows(block: np.ndarray, first_row: int) -> np.ndarray:
    """Return the condensed values of the rows ``first_row …`` of a matrix, from a row block.

    Parameters
    ----------
    block : np.ndarray, shape (b, k)
        Rows ``first_row … first_row + b − 1`` of a ``k x k`` matrix (all columns).
    first_row : int
        Index of the block's first row.

    Returns
    -------
    np.ndarray
        The entries right of the diagonal, row by row: a contiguous slice of the condensed
        vector starting at ``row_starts(k)[first_row]``.
    """
    b, k = block.shape
    rows = np.arange(first_row, first_row + b)
    return block[rows[:, None] < np.arange(k)[None, :]]


def condensed_values(matrix: pd.DataFrame | np.ndarray) -> np.ndarray:
    """Return the entries above the diagonal of a square matrix, row by row, as float32.

    Parameters
    ----------
    matrix : DataFrame or ndarray, shape (k, k)
        Symmetric; only the entries above the diagonal are read.

    Returns
    -------
    np.ndarray
        ``k (k − 1) / 2`` little-endian float32 values.
    """
    values = np.asarray(matrix)
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise InputError(f"a correlation matrix must be square, got shape {values.shape}")
    return upper_rows(values, 0).astype(FLOAT32_LE, copy=False)


def condense(matrix: pd.DataFrame | np.ndarray) -> bytes:
    """Return :func:`condensed_values` as bytes (``k (k − 1) / 2 · 4`` of them): the stored form."""
    return condensed_values(matrix).tobytes()


def from_bytes(blob: bytes, k: int) -> np.ndarray:
    """Read ``k (k − 1) / 2`` little-endian float32 values (a read-only float32 array)."""
    flat = np.frombuffer(blob, dtype=FLOAT32_LE)
    if flat.size != n_pairs(k):
        raise InputError(
            f"a stored matrix of {k} tickers holds {flat.size} values "
            f"(its upper triangle has {n_pairs(k)})"
        )
    return flat


def expand(values: bytes | np.ndarray, k: int, *, diagonal: float = 1.0) -> np.ndarray:
    """Inverse of :func:`condense`: the symmetric ``(k, k)`` float32 matrix.

    Parameters
    ----------
    values : bytes or np.ndarray
        ``k (k − 1) / 2`` values: little-endian float32 bytes, or a condensed array.
    k : int
        Number of tickers.
    diagonal : float
        Value put on the diagonal (1 for correlations, NaN for p-values).

    Returns
    -------
    np.ndarray
        float32, symmetric.
    """
    if isinstance(values, bytes | bytearray | memoryview):
        flat = from_bytes(bytes(values), k)
    else:
        flat = np.asarray(values)
        if flat.size != n_pairs(k):
            raise InputError(f"a stored matrix of {k} tickers holds {flat.size} values")
    out = np.empty((k, k), dtype=np.float32)
    mask = np.arange(k)[:, None] < np.arange(k)[None, :]
    out[mask] = flat
    out.T[mask] = flat  # the transposed view: the lower triangle
    np.fill_diagonal(out, diagonal)
    return out


def top_pairs(
    values: np.ndarray,
    tickers: Sequence[str],
    n_top: int,
    p_values: np.ndarray | None = None,
    positions: np.ndarray | None = None,
) -> pd.DataFrame:
    """Return the ``n_top`` pairs with the largest absolute correlation (NaN pairs left out).

    Parameters
    ----------
    values : np.ndarray
        Condensed correlations (any float dtype; reported at that precision).
    tickers : sequence of str
        The matrix order (``k`` names, ``len(values) = k (k − 1) / 2``).
    n_top : int
        How many pairs.
    p_values : np.ndarray, optional
        Condensed p-values, reported beside each pair (NaN when omitted).
    positions : np.ndarray, optional
        When given, ``values`` (and ``p_values``) are only the entries at these condensed
        positions (candidates gathered block by block), not the whole vector.

    Returns
    -------
    pd.DataFrame
        ``pair_rank, ticker_1, ticker_2, correlation, p_value``; ``ticker_1`` comes first in
        the matrix order; sorted by ``|correlation|`` descending, ties in condensed (matrix,
        row by row) order.

    Notes
    -----
    Exact and O(pairs): the ``n_top``-th largest ``|r|`` of a strided subsample cannot exceed
    the ``n_top``-th largest of all pairs, so every pair of the true top set is among the
    candidates at or above that threshold; only the candidates are sorted.
    """
    k = len(tickers)
    flat = np.asarray(values)
    where = np.arange(flat.size) if positions is None else np.asarray(positions, np.int64)
    if positions is None and flat.size != n_pairs(k):
        raise InputError(f"{flat.size} condensed values do not fit {k} tickers")
    if k < 2 or n_top <= 0:
        return pd.DataFrame(columns=TOP_PAIR_COLUMNS)
    strength = np.abs(flat.astype(float))
    strength[np.isnan(strength)] = -np.inf
    n = min(n_top, int(np.isfinite(strength).sum()))
    if n == 0:
        return pd.DataFrame(columns=TOP_PAIR_COLUMNS)
    stride = max(1, strength.size // max(100_000, 20 * n))
    sample = strength[::stride]
    threshold = -np.inf
    if sample.size > n:
        threshold = np.partition(sample, sample.size - n)[sample.size - n]
    candidates = np.flatnonzero(strength >= threshold)
    pick = candidates[np.lexsort((where[candidates], -strength[candidates]))[:n]]
    i, j = pair_positions(where[pick], k)
    names = np.asarray([str(t) for t in tickers], dtype=object)
    return pd.DataFrame(
        {
            "pair_rank": np.arange(1, n + 1),
            "ticker_1": names[i],
            "ticker_2": names[j],
            "correlation": flat[pick].astype(float),
            "p_value": (
                np.asarray(p_values)[pick].astype(float) if p_values is not None else np.nan
            ),
        }
    )
