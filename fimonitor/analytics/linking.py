"""Carino's logarithmic linking of daily attribution effects over a period.

D. Carino, "Combining Attribution Effects Over Time", Journal of Performance Measurement,
Summer 1999. With daily portfolio and benchmark returns r_t, b_t over a period::

    k_t = [ln(1 + r_t) − ln(1 + b_t)] / (r_t − b_t)      (1/(1 + r_t) when r_t = b_t)
    K   = [ln(1 + R) − ln(1 + B)] / (R − B),   R = Π(1 + r_t) − 1,  B = Π(1 + b_t) − 1

and a daily effect e_t links to Σ_t (k_t / K)·e_t. Because Σ_t k_t (r_t − b_t) =
ln((1 + R)/(1 + B)) = K (R − B), daily effects that add up to r_t − b_t link to effects that
add up to R − B exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def carino_factor(r: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """Carino's k = [ln(1 + r) − ln(1 + b)] / (r − b), computed stably (1/(1 + b) at r = b).

    Notes
    -----
    Written as ``log1p(x) / (x (1 + b))`` with ``x = (r − b)/(1 + b)`` so nearly equal returns
    lose no digits.
    """
    r = np.asarray(r, dtype=float)
    b = np.asarray(b, dtype=float)
    x = (r - b) / (1.0 + b)
    safe = np.where(x == 0, 1.0, x)
    ratio = np.where(x == 0, 1.0, np.log1p(x) / safe)
    return ratio / (1.0 + b)


def window_mask(
    dates: pd.DatetimeIndex, start, end, inception: pd.Timestamp | None = None
) -> np.ndarray:
    """Return the boolean mask of the dates in (start, end].

    All False when ``start`` precedes ``inception`` (a period longer than the history) or
    either bound is missing.
    """
    n = len(dates)
    if pd.isna(start) or pd.isna(end):
        return np.zeros(n, dtype=bool)
    if inception is not None and (pd.isna(inception) or pd.Timestamp(start) < inception):
        return np.zeros(n, dtype=bool)
    idx = pd.DatetimeIndex(dates)
    return np.asarray((idx > pd.Timestamp(start)) & (idx <= pd.Timestamp(end)))


def carino_weights(
    portfolio_r: pd.Series, benchmark_r: pd.Series, mask: np.ndarray
) -> tuple[np.ndarray, float, float]:
    """(k_t / K for the days in ``mask``, R, B): the linking coefficients of a period.

    Parameters
    ----------
    portfolio_r, benchmark_r : pd.Series
        Daily returns (fractions) on the same dates.
    mask : np.ndarray
        The period's days.
    """
    r = np.asarray(portfolio_r, dtype=float)[mask]
    b = np.asarray(benchmark_r, dtype=float)[mask]
    big_r, big_b = float(np.prod(1.0 + r) - 1.0), float(np.prod(1.0 + b) - 1.0)
    return carino_factor(r, b) / carino_factor(big_r, big_b), big_r, big_b
