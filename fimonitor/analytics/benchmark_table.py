"""The benchmark comparison of the pack (``benchmarks.csv``), one row per benchmark.

For each benchmark ``k`` of
``benchmark_weights.csv`` on the as-of date ``d`` (``r`` the portfolio's daily time-weighted
returns and ``b_k`` the benchmark's daily returns over the risk look-back window, the same
rows as ``risk_metrics.csv``)::

    duration           Σ_i b_ki D_i(d)                       years (CASH 0)
    duration_gap       portfolio duration − duration          years
    return_1y          Π(1 + b_k) − 1 over the look-back rows  fraction
    excess_return_1y   Π(1 + r) − 1 − return_1y               fraction
    tracking_error, information_ratio, beta, alpha
                       :func:`fimonitor.analytics.risk.risk_metrics` of ``r`` against ``b_k``

``b_k`` on date ``t`` is Σ_i b_ki(t−1) × (adj_close_i(t) / adj_close_i(t−1) − 1), the weights
in effect the day before (as the primary benchmark's return in the pipeline).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fimonitor.analytics import risk
from fimonitor.analytics.exposures import History
from fimonitor.analytics.positions import values_as_of
from fimonitor.analytics.summary import weighted_duration
from fimonitor.data.book import CASH, Book

__all__ = ["BENCHMARK_COLUMNS", "benchmark_return_series", "benchmark_table"]

BENCHMARK_COLUMNS = [
    "benchmark",
    "is_primary",
    "duration",
    "duration_gap",
    "return_1y",
    "excess_return_1y",
    "tracking_error",
    "information_ratio",
    "beta",
    "alpha",
]


def benchmark_return_series(
    book: Book, weights: pd.DataFrame, dates: pd.DatetimeIndex, all_dates: pd.DatetimeIndex
) -> pd.Series:
    """Daily return of a benchmark: Σ weight (in effect the day before) × adj_close return.

    Parameters
    ----------
    book : Book
    weights : pd.DataFrame
        Effective-date x ticker benchmark weights (fractions), as in ``book.benchmarks``.
    dates : pd.DatetimeIndex
        Return dates wanted.
    all_dates : pd.DatetimeIndex
        The price dates the weights are stepped onto (the day before = the previous of these).

    Returns
    -------
    pd.Series
        ``benchmark_return`` (fractions) on ``dates``; NaN where no ticker has a return.
    """
    cols = [c for c in weights.columns if c in book.adj_close.columns]
    stepped = values_as_of(weights[cols], all_dates, before=0.0).fillna(0.0)
    rets = book.adj_close[cols].pct_change(fill_method=None).reindex(all_dates)
    b = (rets * stepped.shift(1)).sum(axis=1, min_count=1)
    return b.reindex(dates).rename("benchmark_return")


def benchmark_table(
    book: Book,
    h: History,
    as_of: pd.Timestamp,
    r: pd.Series,
    primary: str,
    rf: float = 0.0,
) -> pd.DataFrame:
    """One row per benchmark of the book: :data:`BENCHMARK_COLUMNS` (module docstring).

    Parameters
    ----------
    book : Book
        ``book.benchmarks`` (name -> weights) and ``book.durations``.
    h : History
        For the portfolio duration on ``as_of`` and the price dates.
    as_of : pd.Timestamp
    r : pd.Series
        Portfolio daily returns over the risk look-back window (the risk metrics' rows).
    primary : str
        Name of the primary benchmark (``is_primary`` True).
    rf : float
        Daily risk-free rate (fraction), passed to :func:`risk.risk_metrics`.

    Returns
    -------
    pd.DataFrame
        Durations in years, returns and alpha as fractions (alpha annualised), tracking error
        annualised; file order of ``benchmark_weights.csv``.
    """
    rows = []
    port_dur = float(h.portfolio_duration.loc[as_of])
    port_growth = float(np.prod(1.0 + r.to_numpy())) - 1.0 if len(r) else np.nan
    for name, weights in book.benchmarks.items():  # a handful of benchmarks
        w = values_as_of(weights, pd.DatetimeIndex([as_of]), before=0.0).fillna(0.0).iloc[0]
        cols = list(w.index)
        dur = values_as_of(book.durations.reindex(columns=cols), pd.DatetimeIndex([as_of]))
        dur = dur.iloc[0].where(w.index != CASH, 0.0)
        duration = float(weighted_duration(w.to_numpy(), dur.to_numpy()))
        b = benchmark_return_series(book, weights, r.index, h.dates)
        m = risk.risk_metrics(r, b, rf=rf).set_index("metric")["value"]
        ret = float(np.prod(1.0 + b.dropna().to_numpy())) - 1.0 if len(b.dropna()) else np.nan
        rows.append(
            {
                "benchmark": name,
                "is_primary": name == primary,
                "duration": duration,
                "duration_gap": port_dur - duration,
                "return_1y": ret,
                "excess_return_1y": port_growth - ret,
                "tracking_error": float(m["tracking_error"]),
                "information_ratio": float(m["information_ratio"]),
                "beta": float(m["beta"]),
                "alpha": float(m["alpha"]),
            }
        )
    return pd.DataFrame(rows, columns=BENCHMARK_COLUMNS)
