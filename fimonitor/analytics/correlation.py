"""Correlations of daily returns: windows, rolling values and significance.

All returns are simple daily returns ``P_t / P_{t−1} − 1`` of ``adj_close`` (fractions).
The windows are taken on the *same return rows* as the risk metrics: the caller passes the
dates of the portfolio's daily returns (``risk.time_weighted_returns``), and the window of
``n`` returns is the last ``n`` of those dates. Each return on a date uses the price of the
previous row of the price panel, so a window of 252 returns needs 253 prices.

Definitions::

    corr_ij      Pearson's r of the returns of i and j over the rows where both exist
                 (NaN with fewer than 3 such rows or when either is constant there)
    p_value_ij   two-sided p-value of the t-test of r = 0: t = r·√((n − 2)/(1 − r²)),
                 p = 2·(1 − F_t(|t|; n − 2)), n = rows both have (scipy's t distribution);
                 0 when |r| = 1
    rolling      Pearson's r of each holding's returns with the portfolio's over the trailing
                 20 or 60 rows (all present)

The compact (condensed float32) form of the windows and their strongest pairs are in
:mod:`fimonitor.analytics.correlation_windows` and :mod:`fimonitor.analytics.condensed`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy import special

log = logging.getLogger(__name__)

#: Window name -> number of daily returns.
WINDOWS: dict[str, int] = {"1m": 21, "3m": 63, "6m": 126, "1y": 252, "3y": 756}
ROLLING_WINDOWS: tuple[int, ...] = (20, 60)
MIN_ROWS = 3
#: Strongest pairs kept (at full precision) with each window's condensed matrix.
TOP_PAIRS = 50
#: A spread this small relative to the values' size is a constant series (no correlation).
REL_TINY = 1e-10


def daily_returns(adj_close: pd.DataFrame, dates: pd.Index | None = None) -> pd.DataFrame:
    """Compute simple daily returns of each ticker, on the rows ``dates``.

    Parameters
    ----------
    adj_close : pd.DataFrame
        Total-return prices, date x ticker (NaN where missing), the *whole* history up to the
        as-of date (not cut to the window: the first return needs the price before it).
    dates : pd.Index, optional
        Return dates to keep (e.g. the portfolio's return dates); all rows but the first when
        omitted.

    Returns
    -------
    pd.DataFrame
        ``P_t / P_{t−1} − 1`` where ``t−1`` is the previous row of ``adj_close`` (no filling
        across gaps), restricted to ``dates`` (NaN for a date the prices do not have).
    """
    prices = adj_close.sort_index()
    if dates is not None and len(dates):  # only the rows the dates need (and the one before)
        first = prices.index.searchsorted(pd.DatetimeIndex(dates).min())
        prices = prices.iloc[max(int(first) - 1, 0) :]
    prices = prices.astype(float)
    rets = prices / prices.shift(1) - 1.0
    if dates is None:
        return rets.iloc[1:]
    return rets.reindex(pd.DatetimeIndex(dates))


def standardised(x: np.ndarray, full: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardise the gap-free columns of ``x`` for one product: ``(z, bad)``.

    Parameters
    ----------
    x : np.ndarray
        Rows x tickers returns (NaN = gap).
    full : np.ndarray
        One bool per ticker: the column has no gap (only those are standardised).

    Returns
    -------
    tuple
        ``z``: tickers x rows, each gap-free column centred and divided by its norm (0 for the
        other columns and for constant ones), so ``z[i] @ z[j]`` is Pearson's r of i and j;
        ``bad``: True for a gap-free column that is constant (a spread at most
        :data:`REL_TINY` of its size, e.g. cash): it has no correlation.
    """
    z = np.zeros((x.shape[1], x.shape[0]))
    bad = np.zeros(x.shape[1], dtype=bool)
    if full.any():
        xf = x if full.all() else x[:, full]  # no copy: the sums keep x's memory order
        zf = xf - xf.mean(axis=0)
        norm = np.sqrt(np.einsum("ij,ij->j", zf, zf))
        scale = np.sqrt(np.einsum("ij,ij->j", xf, xf))
        bad_f = norm <= REL_TINY * scale
        zf /= np.where(bad_f, 1.0, norm)  # in place: one rows x tickers array less at a time
        z[full] = zf.T
        bad[full] = bad_f
    return z, bad


class MaskedSums:
    """Pairwise-complete correlation of columns with gaps, from masked sums.

    Columns are pre-centred by their own mean over their present rows (a shift changes no
    correlation; it keeps the one-pass sums accurate) and set to 0 where missing; the sums of a
    pair over the rows both have are then matrix products with the presence masks.

    Parameters
    ----------
    x : np.ndarray
        Rows x tickers returns (NaN = gap).
    """

    def __init__(self, x: np.ndarray) -> None:
        m = np.isfinite(x)
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(np.where(m, x, np.nan), axis=0)
        self.f = m.astype(float)
        self.x0 = np.where(m, x - np.nan_to_num(mean), 0.0)
        self.x2 = self.x0 * self.x0

    def corr(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(corr, n)`` of columns ``a`` (result rows) with columns ``b``.

        ``n`` is the rows each pair shares; ``corr`` is NaN with fewer than :data:`MIN_ROWS`
        of them or when either column is constant there.
        """
        fa, fb = self.f[:, a], self.f[:, b]
        a0, b0 = self.x0[:, a], self.x0[:, b]
        n = fa.T @ fb
        sa = a0.T @ fb  # Σ a over the rows a and b share
        sb = fa.T @ b0
        saa = self.x2[:, a].T @ fb
        sbb = fa.T @ self.x2[:, b]
        with np.errstate(invalid="ignore", divide="ignore"):
            va = saa - sa**2 / n
            vb = sbb - sb**2 / n
            c = (a0.T @ b0 - sa * sb / n) / np.sqrt(va * vb)
        c[(va <= REL_TINY * saa) | (vb <= REL_TINY * sbb) | (n < MIN_ROWS)] = np.nan
        return c, n


def _dense_corr(x: np.ndarray) -> np.ndarray:
    """Correlation of gap-free columns: one product of the standardised columns."""
    z, bad = standardised(x, np.ones(x.shape[1], dtype=bool))
    c = z @ z.T
    c[bad, :] = np.nan
    c[:, bad] = np.nan
    return c


def correlation(returns: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | int]:
    """Pairwise Pearson correlation and the number of rows behind each value.

    Parameters
    ----------
    returns : pd.DataFrame
        Date x ticker daily returns (NaN where missing).

    Returns
    -------
    tuple
        ``(corr, n)``. ``corr`` is ticker x ticker; each pair uses the rows both tickers have
        (pairwise deletion, as pandas ``DataFrame.corr``). Tickers without a gap are done in
        one matrix product of their standardised returns (``np.corrcoef``; the fast path);
        only the pairs that involve a ticker with a gap use masked matrix products (cost
        proportional to the number of such tickers). ``n`` is the number of rows (an int)
        when nothing is missing, else the ticker x ticker frame of common-row counts.
        ``corr`` is NaN where a pair shares fewer than :data:`MIN_ROWS` rows or a ticker is
        constant on them; its diagonal is 1 where defined.
    """
    x = returns.to_numpy(float)
    tickers = returns.columns
    rows, k = x.shape
    full = np.isfinite(x).all(axis=0)
    counts: pd.DataFrame | int = rows
    c = np.full((k, k), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if full.all():
            if rows >= MIN_ROWS:
                c = _dense_corr(x)
        else:
            if full.any() and rows >= MIN_ROWS:
                c[np.ix_(full, full)] = _dense_corr(x[:, full])
            gap = ~full
            cg, ng = MaskedSums(x).corr(np.flatnonzero(gap), np.arange(k))
            c[gap, :] = cg
            c[:, gap] = cg.T
            n = np.full((k, k), rows, dtype=np.int64)
            n[gap, :] = ng
            n[:, gap] = ng.T
            counts = pd.DataFrame(n, index=tickers, columns=tickers)
    np.clip(c, -1.0, 1.0, out=c)
    diag = np.diag_indices(k)
    c[diag] = np.where(np.isnan(c[diag]), np.nan, 1.0)
    corr = pd.DataFrame(c, index=tickers, columns=tickers)
    corr.index.name = corr.columns.name = "ticker"
    return corr, counts


def correlation_windows(
    adj_close: pd.DataFrame,
    return_dates: pd.Index,
    windows: dict[str, int] | None = None,
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame | int]]:
    """Correlation matrices over the last ``n`` return dates, for each window.

    Parameters
    ----------
    adj_close : pd.DataFrame
        Total-return prices, date x ticker, whole history up to the as-of date.
    return_dates : pd.Index
        The return rows the risk metrics use (ascending, ending on the as-of date); pass the
        full history of them so that the longer windows exist.
    windows : dict, optional
        Name -> number of returns (default :data:`WINDOWS`).

    Returns
    -------
    dict of str to tuple
        Name -> ``(corr, n)`` of :func:`correlation` (ticker x ticker correlations and the rows
        behind them, for :func:`p_values`). A window longer than ``return_dates`` is left out
        (logged), never computed on fewer rows.
    """
    windows = WINDOWS if windows is None else windows
    dates = pd.DatetimeIndex(return_dates).sort_values()
    longest = max(windows.values(), default=0)
    rets = daily_returns(adj_close, dates[-longest:] if longest else dates)
    out: dict[str, tuple[pd.DataFrame, pd.DataFrame | int]] = {}
    for name, n in windows.items():  # a handful of windows
        if len(dates) < n:
            log.info("correlation window %s needs %d returns, only %d exist", name, n, len(dates))
            continue
        out[name] = correlation(rets.iloc[-n:])
    return out


def p_values(corr: pd.DataFrame, n: pd.DataFrame | int) -> pd.DataFrame:
    """Two-sided p-values of Pearson's r (t-test with ``n − 2`` degrees of freedom).

    Parameters
    ----------
    corr : pd.DataFrame
        Correlations (ticker x ticker).
    n : pd.DataFrame or int
        Rows behind each correlation (from :func:`correlation`) or one count for all.

    Returns
    -------
    pd.DataFrame
        Same shape; NaN where ``corr`` is NaN or ``n < 3``; 0 where ``|r| = 1``.
    """
    r = corr.to_numpy(float)
    p = t_test_p(r, np.broadcast_to(np.asarray(n, float), r.shape))
    return pd.DataFrame(p, index=corr.index, columns=corr.columns)


def t_test_p(r: np.ndarray, n: np.ndarray | float) -> np.ndarray:
    """Two-sided p-values of Pearson's r, element-wise (the formula of :func:`p_values`).

    Parameters
    ----------
    r : np.ndarray
        Correlations (any shape; e.g. a condensed vector).
    n : np.ndarray or float
        Rows behind each correlation (broadcast against ``r``).

    Returns
    -------
    np.ndarray
        float64 ``2·F_t(−|t|; n − 2)`` with ``t = r·√((n − 2)/(1 − r²))`` (Student's t
        distribution function ``scipy.special.stdtr``, the one ``scipy.stats.t.sf`` uses);
        NaN where ``r`` is NaN or ``n < 3``; 0 where ``|r| = 1``.
    """
    r = np.asarray(r, dtype=float)
    dof = np.asarray(n, dtype=float) - 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        t = r * np.sqrt(dof / (1.0 - r * r))
        p = 2.0 * special.stdtr(np.where(dof > 0, dof, np.nan), -np.abs(t))
    p = np.where(np.abs(r) >= 1.0, 0.0, p)
    return np.where(np.isnan(r) | (dof <= 0), np.nan, p)


def rolling_correlation(returns: pd.DataFrame, portfolio: pd.Series, window: int) -> pd.DataFrame:
    """Compute the rolling correlation of each ticker's returns with the portfolio's.

    Parameters
    ----------
    returns : pd.DataFrame
        Date x ticker daily returns.
    portfolio : pd.Series
        Portfolio daily returns, indexed by date (aligned on ``returns.index``).
    window : int
        Rows in each window (20 or 60); a window needs all of them.

    Returns
    -------
    pd.DataFrame
        Date x ticker Pearson's r over the trailing ``window`` rows; NaN before the first full
        window, where either series misses a row of the window, and where either is constant
        in the window; clipped to [−1, 1].

    Notes
    -----
    Vectorised over dates and tickers from rolling moments (pandas ``rolling().corr``
    semantics): with ``x`` a ticker's returns and ``y`` the portfolio's, both centred by
    their mean over all rows (a shift changes no correlation and keeps the differences of
    cumulative sums accurate) and set to 0 where either is missing, each window's sums
    ``Σ1, Σx, Σy, Σx², Σy², Σxy`` are differences of cumulative sums, and
    ``r = (Σxy − ΣxΣy/w) / √((Σx² − (Σx)²/w)(Σy² − (Σy)²/w))``. A spread at most 1e-10 of
    ``Σx²`` (or ``Σy²``) is a constant series.
    """
    x = returns.to_numpy(dtype=float)
    y = pd.Series(portfolio, dtype=float).reindex(returns.index).to_numpy()
    rows, k = x.shape
    out = np.full((rows, k), np.nan)
    if rows >= window > 0 and k:
        ok = np.isfinite(x) & np.isfinite(y)[:, None]
        with np.errstate(invalid="ignore"):
            x0 = np.where(ok, x - np.nanmean(np.where(ok, x, np.nan), axis=0), 0.0)
            y0 = np.where(ok, (y - np.nanmean(y))[:, None], 0.0)

        def window_sums(v: np.ndarray) -> np.ndarray:
            c = np.cumsum(v, axis=0)
            c[window:] -= c[:-window].copy()
            return c[window - 1 :]

        n = window_sums(ok.astype(float))
        sx, sy = window_sums(x0), window_sums(y0)
        sxx, syy, sxy = window_sums(x0 * x0), window_sums(y0 * y0), window_sums(x0 * y0)
        vx = sxx - sx * sx / window
        vy = syy - sy * sy / window
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (sxy - sx * sy / window) / np.sqrt(vx * vy)
        bad = (n < window - 0.5) | (vx <= REL_TINY * sxx) | (vy <= REL_TINY * syy)
        r[bad | ~np.isfinite(r)] = np.nan
        out[window - 1 :] = np.clip(r, -1.0, 1.0)
    frame = pd.DataFrame(out, index=returns.index, columns=returns.columns)
    frame.index.name = "date"
    return frame
