"""Positions -> portfolio figures: weighted duration, DV01 and cash weight.

The one place these are computed, for one date (1-D arrays) or every date at once (2-D,
dates x tickers): the history panels, the rules on a holdings frame, the rebalance scenarios
and DCA's duration band all call it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BP", "cash_weight", "dv01", "weighted_duration"]

BP = 1e-4  # one basis point, as a fraction


def weighted_duration(weights: np.ndarray, durations: np.ndarray) -> np.ndarray | float:
    """Σ_i w_i · D_i over tickers (the last axis), in years.

    Parameters
    ----------
    weights : array_like
        Weights (fractions), 1-D (tickers) or 2-D (dates x tickers).
    durations : array_like
        Durations in years, same shape; NaN where unknown.

    Returns
    -------
    float or numpy.ndarray
        One value per date; NaN where a ticker with a non-zero weight has no duration or a
        weight is NaN.

    Notes
    -----
    A zero weight contributes nothing even when its duration is unknown:
    ``Σ_i [w_i ≠ 0] · w_i · D_i``.
    """
    w = np.asarray(weights, dtype=float)
    d = np.asarray(durations, dtype=float)
    bad = np.isnan(w).any(axis=-1) | ((w != 0) & np.isnan(d)).any(axis=-1)
    if w.ndim == 1:  # one date: a dot product of the held entries
        return np.nan if bad else float(np.where(w == 0, 0.0, w) @ np.where(w == 0, 0.0, d))
    out = np.nansum(np.where(w == 0, 0.0, w * d), axis=-1)
    return np.where(bad, np.nan, out)


def dv01(market_value: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """Per-ticker DV01 = market value · duration · 1 bp, in currency per basis point.

    A zero market value gives 0 even when the duration is unknown.
    """
    mv = np.asarray(market_value, dtype=float)
    return np.where(mv == 0, 0.0, mv * np.asarray(durations, dtype=float)) * BP


def cash_weight(weights: pd.DataFrame | pd.Series, cash_like: np.ndarray) -> pd.Series | float:
    """Σ of the weights of CASH and the cash proxies (``cash_like`` marks them), a fraction.

    Parameters
    ----------
    weights : DataFrame (dates x tickers) or Series (tickers)
        Weights, fractions.
    cash_like : boolean array
        True for CASH and every ``is_cash_proxy`` ticker, in the order of the tickers.

    Returns
    -------
    Series (per date, NaN where any weight is NaN) or float.
    """
    mask = np.asarray(cash_like, dtype=bool)
    if isinstance(weights, pd.Series):
        return float(weights.iloc[mask].sum())
    w = weights.to_numpy(dtype=float)
    out = pd.Series(w[:, mask].sum(axis=1), index=weights.index, name="cash_weight")
    out[np.isnan(w).any(axis=1)] = np.nan
    return out
