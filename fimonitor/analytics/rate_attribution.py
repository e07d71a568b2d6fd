"""Duration and yield view of the active return: a Treasury-rate part and a residual.

Each day t, with start-of-day portfolio and benchmark durations D_p, D_b (years) and the
Treasury constant-maturity curve y(m) (``treasury_yields.csv``, linear in maturity, flat beyond
the shortest and longest tenor)::

    rate_t = −(D_p · [y_t(D_p) − y_t−1(D_p)] − D_b · [y_t(D_b) − y_t−1(D_b)])

Over a period the daily terms are Carino-linked like the attribution effects
(:mod:`fimonitor.analytics.linking`), and ``residual = active return − rate`` holds carry,
spread and selection. **An approximation**: first order in yield, a parallel-at-the-duration
Treasury move only (no convexity, no key-rate shape, no spread duration).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fimonitor.analytics.linking import carino_weights, window_mask
from fimonitor.data.curves import interpolate_rows

if TYPE_CHECKING:
    from fimonitor.analytics.attribution import DailyAttribution

RATE_COLUMNS: list[str] = [
    "period",
    "start",
    "end",
    "active_return",
    "rate",
    "residual",
    "avg_active_duration",
    "avg_portfolio_duration",
    "avg_benchmark_duration",
]


def daily_rate_effect(d: DailyAttribution, curve: pd.DataFrame) -> pd.Series:
    """Daily rate part of the active return: −(D_p·Δy(D_p) − D_b·Δy(D_b)).

    Parameters
    ----------
    d : DailyAttribution
        Supplies the start-of-day durations (years).
    curve : pd.DataFrame
        Date x maturity (years) Treasury yields as fractions
        (:func:`fimonitor.data.curves.read_treasury_curve`).

    Returns
    -------
    pd.Series
        Indexed by the return dates; NaN when a duration or the curve is missing.

    Notes
    -----
    ``Δy(D)`` is the change of the Treasury yield at maturity D (linear interpolation between
    tenors, flat beyond them) from the previous close to this one, both read at the
    start-of-day duration. The curve is carried forward over days without a row (bond-market
    holidays). An approximation: first-order in yield, Treasury curve moves only (no
    convexity, carry, spread or curve-shape mismatch within a fund).
    """
    dates = d.dates
    filled = curve.sort_index().ffill()
    prev = d.previous_dates()
    m = filled.columns.to_numpy(dtype=float)
    y_now = _as_of(filled, dates)
    y_prev = _as_of(filled, prev)
    dp = d.portfolio_duration.to_numpy(dtype=float)
    db = d.benchmark_duration.to_numpy(dtype=float)
    dyp = interpolate_rows(y_now, m, dp) - interpolate_rows(y_prev, m, dp)
    dyb = interpolate_rows(y_now, m, db) - interpolate_rows(y_prev, m, db)
    return pd.Series(-(dp * dyp - db * dyb), index=dates, name="rate")


def _as_of(curve: pd.DataFrame, dates: pd.DatetimeIndex) -> np.ndarray:
    pos = curve.index.searchsorted(dates, side="right") - 1
    out = np.full((len(dates), curve.shape[1]), np.nan)
    ok = pos >= 0
    out[ok] = curve.to_numpy(dtype=float)[pos[ok]]
    return out


def rate_attribution(
    d: DailyAttribution,
    curve: pd.DataFrame | None,
    ranges: list[tuple[str, pd.Timestamp, pd.Timestamp]],
    *,
    inception: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Split each range's active return into a Treasury-rate part and a residual.

    Returns
    -------
    pd.DataFrame
        :data:`RATE_COLUMNS`: ``active_return`` = R − B (compounded, arithmetic difference),
        ``rate`` = Σ_t (k_t/K)·rate_t (Carino-linked daily rate effects, see
        :func:`daily_rate_effect`), ``residual`` = active_return − rate (carry, spread,
        selection and everything the rate term misses), average start-of-day durations
        (years). ``curve=None`` leaves ``rate`` and ``residual`` blank.

    Notes
    -----
    An approximation: the rate part treats each side as a single zero-coupon position at its
    duration, repriced by the Treasury yield change at that maturity, to first order.
    """
    inc = d.inception if inception is None else pd.Timestamp(inception)
    rate_t = (
        daily_rate_effect(d, curve).to_numpy()
        if curve is not None
        else np.full(len(d.dates), np.nan)
    )
    dp = d.portfolio_duration.to_numpy(dtype=float)
    db = d.benchmark_duration.to_numpy(dtype=float)
    rows = []
    for label, start, end in ranges:
        mask = window_mask(d.dates, start, end, inc)
        if not mask.any():
            rows.append((label, start, end, *[np.nan] * 6))
            continue
        a, big_r, big_b = carino_weights(d.portfolio_return, d.benchmark_return, mask)
        rate = float(a @ rate_t[mask])
        active = big_r - big_b
        rows.append(
            (
                label,
                start,
                end,
                active,
                rate,
                active - rate,
                float(np.mean(dp[mask] - db[mask])),
                float(np.mean(dp[mask])),
                float(np.mean(db[mask])),
            )
        )
    return pd.DataFrame(rows, columns=RATE_COLUMNS)
