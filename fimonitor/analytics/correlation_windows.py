"""Correlation windows in bounded memory: each window kept in condensed float32 form.

The numbers are those of :mod:`fimonitor.analytics.correlation` (Pearson's r with pairwise
deletion, :func:`~fimonitor.analytics.correlation.correlation`; the two-sided t-test p-value,
:func:`~fimonitor.analytics.correlation.p_values`). What differs is the shape they are kept in:
instead of two float64 ``k x k`` DataFrames per window (400 MB at 5,000 tickers, five windows
held at once), a window is a :class:`CorrelationWindow` holding the condensed upper triangles
(:mod:`fimonitor.analytics.condensed`) of r and p as float32 (100 MB at 5,000 tickers), the
common-row counts only where a ticker has a gap, and its strongest pairs at full precision.
The matrix is computed a block of rows at a time (about 500,000 float64 entries), upper triangle
only, so no full ``k x k`` float64 array ever exists.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from fimonitor.analytics import condensed as cd
from fimonitor.analytics.correlation import (
    MIN_ROWS,
    TOP_PAIRS,
    WINDOWS,
    MaskedSums,
    daily_returns,
    standardised,
    t_test_p,
)

__all__ = [
    "CorrelationWindow",
    "PValueTable",
    "compact_correlation",
    "compact_correlation_windows",
]

log = logging.getLogger(__name__)

_BLOCK_VALUES = 500_000  # matrix entries computed at a time (4 MB of float64)
_TABLE_MIN_PAIRS = 200_000  # fewer pairs than this: every p-value from stdtr directly


@dataclass(frozen=True, eq=False)
class CorrelationWindow:
    """One window's correlations, p-values and row counts in condensed form.

    Attributes
    ----------
    tickers : tuple of str
        The matrix order (``k`` tickers).
    n_observations : int
        Return rows of the window.
    r : np.ndarray
        ``k (k − 1) / 2`` little-endian float32 correlations (condensed upper triangle).
    p : np.ndarray
        Same layout: two-sided p-values of the t-test of r = 0.
    counts : np.ndarray or None
        Same layout: rows both tickers have (uint16 up to 65,535 rows), or None when no
        ticker has a gap (every pair then has ``n_observations`` rows).
    defined : np.ndarray
        One bool per ticker: its own correlation is defined (at least 3 rows, not constant),
        i.e. the matrix diagonal is 1 (else NaN).
    top : pd.DataFrame
        ``pair_rank, ticker_1, ticker_2, correlation, p_value``: the strongest pairs by
        ``|r|`` (ties in matrix order), values at float64 precision.
    """

    tickers: tuple[str, ...]
    n_observations: int
    r: np.ndarray
    p: np.ndarray
    counts: np.ndarray | None
    defined: np.ndarray
    top: pd.DataFrame

    @property
    def nbytes(self) -> int:
        """Bytes held by the condensed arrays."""
        extra = 0 if self.counts is None else self.counts.nbytes
        return self.r.nbytes + self.p.nbytes + extra + self.defined.nbytes

    def _square(self, values: np.ndarray, diagonal: np.ndarray) -> pd.DataFrame:
        k = len(self.tickers)
        a = cd.expand(values, k).astype(float)
        a[np.diag_indices(k)] = diagonal
        idx = pd.Index(list(self.tickers), dtype=object, name="ticker")
        return pd.DataFrame(a, index=idx, columns=idx.rename("ticker"))

    def matrix(self) -> pd.DataFrame:
        """Return the ticker x ticker correlations (float64 of the float32 values; small k only).

        The diagonal is 1 where :attr:`defined`, else NaN, as
        :func:`~fimonitor.analytics.correlation.correlation`.
        """
        return self._square(self.r, np.where(self.defined, 1.0, np.nan))

    def p_matrix(self) -> pd.DataFrame:
        """Return the ticker x ticker p-values (NaN diagonal; small k only)."""
        return self._square(self.p, np.full(len(self.tickers), np.nan))

    def count_matrix(self) -> pd.DataFrame | int:
        """Return the rows behind each pair: an int when no ticker has a gap, else a matrix."""
        if self.counts is None:
            return self.n_observations
        return self._square(self.counts, np.full(len(self.tickers), np.nan))


class PValueTable:
    """Two-sided p-values of Pearson's r for one row count, fast: :func:`t_test_p` tabulated.

    Parameters
    ----------
    n : int
        Rows behind the correlations (``n − 2`` degrees of freedom, ``n >= 3``).

    Notes
    -----
    For a fixed ``ν = n − 2`` the p-value is a smooth function of ``|r|``:
    ``p(r) = 2·F_t(−|t|; ν)``, ``t = r·√(ν/(1 − r²))``, with derivative
    ``p'(r) = −2·c_ν·√ν·(1 − r²)^((ν − 2)/2)``, ``c_ν = Γ((ν+1)/2) / (√(νπ)·Γ(ν/2))``
    (the t density at 0). ``log p`` and its exact derivative ``p'/p`` are evaluated with
    ``scipy.special.stdtr`` on a grid of ``|r|`` in [0, 0.99] (step 1/8192, about 8,100
    nodes: 2 ms), and a value in between is the cubic Hermite interpolant of ``log p`` (four
    coefficients per interval: a few multiplications and one ``exp`` instead of an incomplete
    beta function, 6 to 10 times faster). Measured against :func:`t_test_p` on 2 M random
    and 100,001 evenly spaced ``r`` for ``n`` from 3 to 25,000: relative error below 4e-9
    (1/30 of a float32 step), so the stored float32 p-values are the exact ones or one
    float32 step away. Where ``log p`` falls below ``log(1e−60)`` at an interval's end the
    p-value is 0 (below float32's smallest value, 1.4e−45). ``|r| > 0.99`` and NaN go
    through :func:`t_test_p` itself.
    """

    R_MAX = 0.99
    STEP = 1.0 / 8192
    LOG_FLOOR = float(np.log(1e-60))

    def __init__(self, n: int) -> None:
        self.n = int(n)
        nu = float(n) - 2.0
        m = int(np.ceil(self.R_MAX / self.STEP)) + 1
        r = np.arange(m + 1) * self.STEP
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            logp = np.log(t_test_p(r, n))
            log_c = (
                special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(nu * np.pi)
            )
            slope = -np.exp(
                np.log(2.0) + log_c + 0.5 * np.log(nu) + (nu - 2) / 2 * np.log1p(-r * r) - logp
            )
            f0, f1 = logp[:-1], logp[1:]
            d0, d1 = slope[:-1] * self.STEP, slope[1:] * self.STEP
            floor = ~((f0 >= self.LOG_FLOOR) & (f1 >= self.LOG_FLOOR))
            self._a0 = np.where(floor, -np.inf, f0)
            self._a1 = np.where(floor, 0.0, d0)
            self._a2 = np.where(floor, 0.0, 3 * (f1 - f0) - 2 * d0 - d1)
            self._a3 = np.where(floor, 0.0, 2 * (f0 - f1) + d0 + d1)

    def __call__(self, r: np.ndarray) -> np.ndarray:
        """Return the p-values of correlations ``r`` (float64, same shape)."""
        r = np.asarray(r, dtype=float)
        a = np.abs(r)
        inside = a <= self.R_MAX  # False for NaN
        u = np.where(inside, a, 0.0) * (1.0 / self.STEP)
        i = u.astype(np.intp)
        s = u - i
        v = self._a0[i] + s * (self._a1[i] + s * (self._a2[i] + s * self._a3[i]))
        p = np.exp(v)
        rest = ~inside
        if rest.any():
            p[rest] = t_test_p(r[rest], self.n)
        return p


def _p_values(vals: np.ndarray, nn: np.ndarray | float, rows: int, table) -> np.ndarray:
    """p-values of a block: the table for pairs with all ``rows``, :func:`t_test_p` else."""
    if table is None:
        return t_test_p(vals, nn)
    if np.isscalar(nn):
        return table(vals)
    p = np.empty(vals.shape)
    common = nn == rows
    p[common] = table(vals[common])
    p[~common] = t_test_p(vals[~common], nn[~common])
    return p


def _block(
    x: np.ndarray,
    z: np.ndarray,
    bad: np.ndarray,
    gap: np.ndarray,
    masked: MaskedSums | None,
    i0,
    i1,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows ``i0:i1``, columns ``i0:`` of the correlation and count matrices."""
    c = z[i0:i1] @ z[i0:].T
    c[bad[i0:i1], :] = np.nan
    c[:, bad[i0:]] = np.nan
    n = None
    if masked is not None:
        rows, cols = np.arange(i0, i1), np.arange(i0, x.shape[1])
        n = np.full(c.shape, x.shape[0], dtype=float)
        gap_cols = cols[gap[i0:]]
        if gap_cols.size:  # every block row against the gap columns (a = the gap ticker)
            cg, ng = masked.corr(gap_cols, rows)
            c[:, gap_cols - i0], n[:, gap_cols - i0] = cg.T, ng.T
        gap_rows = rows[gap[i0:i1]]
        if gap_rows.size:
            cg, ng = masked.corr(gap_rows, cols)
            c[gap_rows - i0], n[gap_rows - i0] = cg, ng
    np.clip(c, -1.0, 1.0, out=c)
    return c, n


def compact_correlation(
    returns: pd.DataFrame, n_top: int = TOP_PAIRS, block_values: int = _BLOCK_VALUES
) -> CorrelationWindow:
    """Correlations, p-values and row counts of the columns of ``returns``, condensed.

    Parameters
    ----------
    returns : pd.DataFrame
        Date x ticker daily returns (NaN where missing).
    n_top : int
        Strongest pairs kept at full precision in :attr:`CorrelationWindow.top`.
    block_values : int
        Matrix entries computed at a time (memory bound: about 8 float64 arrays of that size).

    Returns
    -------
    CorrelationWindow
        The numbers of :func:`~fimonitor.analytics.correlation.correlation` (pairwise
        deletion; NaN with fewer than 3 common rows or a constant ticker; clipped to
        [−1, 1]) and :func:`~fimonitor.analytics.correlation.p_values`, stored as float32.

    Notes
    -----
    Gap-free tickers are standardised once; a block of ``b`` rows takes one matrix product
    with the columns from its first row on (the upper triangle: half the work of the full
    matrix). Pairs involving a ticker with a gap use masked sums over the common rows (cost
    proportional to the number of such tickers). Each block's upper-triangle entries are
    written into the condensed vectors, its p-values computed there (float64, then stored as
    float32; from :class:`PValueTable` for pairs with all rows when there are at least
    200,000 pairs, else directly from :func:`~fimonitor.analytics.correlation.t_test_p`), and
    its strongest pairs kept as candidates of :attr:`CorrelationWindow.top` (their p-values
    from ``t_test_p``, at full precision).
    """
    x = returns.to_numpy(dtype=float)
    rows, k = x.shape
    tickers = tuple(str(t) for t in returns.columns)
    size = cd.n_pairs(k)
    full = np.isfinite(x).all(axis=0)
    gap = ~full
    compute = rows >= MIN_ROWS or gap.any()
    # standardised before the outputs exist: its temporaries are gone when they are filled
    z, bad = standardised(x, full) if compute else (None, None)
    r_out = np.full(size, np.nan, dtype=cd.FLOAT32_LE)
    p_out = np.full(size, np.nan, dtype=cd.FLOAT32_LE)
    count_type = np.uint16 if rows <= np.iinfo(np.uint16).max else np.uint32
    counts = np.zeros(size, dtype=count_type) if gap.any() else None
    defined = np.zeros(k, dtype=bool)
    cand_pos: list[np.ndarray] = []
    cand_r: list[np.ndarray] = []
    cand_p: list[np.ndarray] = []
    if compute:
        if rows < MIN_ROWS:
            bad[:] = True
        masked = MaskedSums(x) if gap.any() else None
        table = PValueTable(rows) if size >= _TABLE_MIN_PAIRS and rows >= MIN_ROWS else None
        starts = cd.row_starts(k)
        step = max(1, block_values // max(k, 1))
        for i0 in range(0, k, step):  # blocks of rows: a handful at any size
            i1 = min(k, i0 + step)
            c, n = _block(x, z, bad, gap, masked, i0, i1)
            b = i1 - i0
            defined[i0:i1] = np.isfinite(c[np.arange(b), np.arange(b)])
            vals = cd.upper_rows(c, 0)
            nn = float(rows) if n is None else cd.upper_rows(n, 0)
            pv = _p_values(vals, nn, rows, table)
            lo = int(starts[i0])
            r_out[lo : lo + vals.size] = vals
            p_out[lo : lo + vals.size] = pv
            if counts is not None:
                counts[lo : lo + vals.size] = nn
            strength = np.abs(vals)
            strength[np.isnan(strength)] = -1.0
            keep = np.flatnonzero(strength >= 0)
            if keep.size > n_top > 0:
                cut = np.partition(strength, strength.size - n_top)[strength.size - n_top]
                keep = np.flatnonzero(strength >= max(cut, 0.0))
            cand_pos.append(lo + keep)
            cand_r.append(vals[keep])
            cand_p.append(t_test_p(vals[keep], nn if np.isscalar(nn) else nn[keep]))
    if cand_pos:
        top = cd.top_pairs(
            np.concatenate(cand_r),
            tickers,
            n_top,
            np.concatenate(cand_p),
            positions=np.concatenate(cand_pos),
        )
    else:
        top = cd.top_pairs(np.empty(0), tickers, 0, positions=np.empty(0, np.int64))
    return CorrelationWindow(tickers, rows, r_out, p_out, counts, defined, top)


def compact_correlation_windows(
    adj_close: pd.DataFrame,
    return_dates: pd.Index,
    windows: Mapping[str, int] | None = None,
    n_top: int = TOP_PAIRS,
) -> dict[str, CorrelationWindow]:
    """:func:`~fimonitor.analytics.correlation.correlation_windows`, one window at a time.

    Parameters
    ----------
    adj_close : pd.DataFrame
        Total-return prices, date x ticker, whole history up to the as-of date.
    return_dates : pd.Index
        The return rows the risk metrics use (ascending, ending on the as-of date).
    windows : mapping, optional
        Name -> number of returns (default :data:`~fimonitor.analytics.correlation.WINDOWS`).
    n_top : int
        Strongest pairs kept per window.

    Returns
    -------
    dict of str to CorrelationWindow
        A window longer than ``return_dates`` is left out (logged), never computed on fewer
        rows. Only one window's float64 work arrays exist at a time.
    """
    windows = WINDOWS if windows is None else windows
    dates = pd.DatetimeIndex(return_dates).sort_values()
    longest = max(windows.values(), default=0)
    rets = daily_returns(adj_close, dates[-longest:] if longest else dates)
    out: dict[str, CorrelationWindow] = {}
    for name, n in windows.items():  # a handful of windows
        if len(dates) < n:
            log.info("correlation window %s needs %d returns, only %d exist", name, n, len(dates))
            continue
        out[name] = compact_correlation(rets.iloc[-n:], n_top)
    return out
