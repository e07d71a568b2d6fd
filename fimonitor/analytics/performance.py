"""Period returns of the book against its benchmark (1D … SI), vectorised.

Conventions: returns are simple returns as fractions (0.01 = 1 %); 252 trading days a year,
as in :mod:`fimonitor.analytics.risk`. The daily inputs are the book's time-weighted returns
(:func:`fimonitor.analytics.risk.time_weighted_returns`, external flows removed) and the
benchmark's daily returns (Σ benchmark weight in effect the day before × ``adj_close`` return).

Base dates (``start``; the close a period's return is measured from, ``end`` = the as-of date)::

    1D    the last close before the as-of date
    WTD   the last close before the Monday of the as-of week
    MTD   the last close before the first day of the as-of month
    QTD   the last close before the first day of the as-of quarter
    YTD   the last close before 1 January of the as-of year
    1Y    the last close on or before the same calendar date one year earlier
    3Y    the same, three years earlier (29 February -> 28 February of a non-leap year)
    SI    inception: the first close of the history (the base of its first daily return)

A period whose base date precedes inception is left blank (NaN): it is never shortened.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fimonitor.analytics.risk import TRADING_DAYS

#: Cumulative periods of :func:`period_returns`, in row order (annualised rows follow).
PERIODS: tuple[str, ...] = ("1D", "WTD", "MTD", "QTD", "YTD", "1Y", "3Y", "SI")
#: Annualised periods: (row name, the cumulative period it annualises).
ANNUALISED: tuple[tuple[str, str], ...] = (("3Y_ANN", "3Y"), ("SI_ANN", "SI"))
RETURN_COLUMNS: list[str] = [
    "period",
    "start",
    "end",
    "portfolio_return",
    "benchmark_return",
    "active_return",
]
DAILY_COLUMNS: list[str] = [
    "date",
    "portfolio_return",
    "benchmark_return",
    "active_return",
    "cumulative_portfolio",
    "cumulative_benchmark",
    "cumulative_active",
]


def _last_before(calendar_dates: pd.DatetimeIndex, date: pd.Timestamp, *, inclusive: bool):
    """Return the last calendar date < ``date`` (<= when ``inclusive``), or NaT."""
    pos = calendar_dates.searchsorted(date, side="right" if inclusive else "left") - 1
    return calendar_dates[pos] if pos >= 0 else pd.NaT


def inception_date(portfolio_r: pd.Series, calendar_dates: pd.DatetimeIndex) -> pd.Timestamp:
    """Return the base of the first daily return: the last calendar date before it."""
    if len(portfolio_r) == 0:
        return pd.NaT
    first = pd.Timestamp(portfolio_r.index[0])
    base = _last_before(pd.DatetimeIndex(calendar_dates).sort_values(), first, inclusive=False)
    return first if pd.isna(base) else base


def base_dates(
    as_of: str | pd.Timestamp, calendar_dates: pd.DatetimeIndex, inception: pd.Timestamp
) -> dict[str, pd.Timestamp]:
    """Return the base date of every period in :data:`PERIODS` (NaT if none).

    Parameters
    ----------
    as_of : str or pd.Timestamp
        The end date of every period.
    calendar_dates : pd.DatetimeIndex
        Trading days (closes); only dates on or before ``as_of`` are used.
    inception : pd.Timestamp
        The SI base date.
    """
    d = pd.Timestamp(as_of).normalize()
    cal = pd.DatetimeIndex(calendar_dates).sort_values()
    cal = cal[cal <= d]
    quarter_start = pd.Timestamp(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    return {
        "1D": _last_before(cal, d, inclusive=False),
        "WTD": _last_before(cal, d - pd.Timedelta(days=d.weekday()), inclusive=False),
        "MTD": _last_before(cal, d.replace(day=1), inclusive=False),
        "QTD": _last_before(cal, quarter_start, inclusive=False),
        "YTD": _last_before(cal, pd.Timestamp(d.year, 1, 1), inclusive=False),
        # DateOffset maps 29 February to 28 February of a non-leap year
        "1Y": _last_before(cal, d - pd.DateOffset(years=1), inclusive=True),
        "3Y": _last_before(cal, d - pd.DateOffset(years=3), inclusive=True),
        "SI": pd.Timestamp(inception) if pd.notna(inception) else pd.NaT,
    }


def _compound(r: np.ndarray, mask: np.ndarray) -> float:
    return float(np.prod(1.0 + r[mask]) - 1.0)


def _window(
    portfolio_r: pd.Series,
    benchmark_r: pd.Series,
    start: pd.Timestamp,
    end: pd.Timestamp,
    inception: pd.Timestamp,
) -> tuple[float, float, int]:
    """(portfolio, benchmark, n): compounded returns over the dates in (start, end]."""
    if pd.isna(start) or pd.isna(inception) or start < inception or start >= end:
        return np.nan, np.nan, 0
    idx = portfolio_r.index
    mask = np.asarray((idx > start) & (idx <= end))
    r = portfolio_r.to_numpy(dtype=float)
    b = benchmark_r.reindex(idx).to_numpy(dtype=float)
    return _compound(r, mask), _compound(b, mask), int(mask.sum())


def range_returns(
    portfolio_r: pd.Series,
    benchmark_r: pd.Series,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    *,
    inception: pd.Timestamp | None = None,
    label: str = "RANGE",
) -> pd.DataFrame:
    """Compounded returns over any range: the daily returns dated in (``start``, ``end``].

    Parameters
    ----------
    portfolio_r, benchmark_r : pd.Series
        Daily returns (fractions) indexed by date; the benchmark is aligned on the portfolio's
        dates.
    start : str or pd.Timestamp
        The base date (the close the return is measured from).
    end : str or pd.Timestamp
        The end date (inclusive).
    inception : pd.Timestamp, optional
        The first close of the history; a ``start`` before it gives a blank row (NaN). When
        omitted, ``start`` is not checked against the history.
    label : str
        The ``period`` value of the row.

    Returns
    -------
    pd.DataFrame
        One row with :data:`RETURN_COLUMNS`.

    Notes
    -----
    ``portfolio_return = Π(1 + r_t) − 1`` and ``benchmark_return = Π(1 + b_t) − 1`` over the
    dates t in (start, end]; ``active_return = portfolio_return − benchmark_return``
    (arithmetic, not geometric).
    """
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    inc = pd.Timestamp(inception) if inception is not None else s
    p, b, _ = _window(portfolio_r, benchmark_r, s, e, inc)
    return pd.DataFrame([(label, s, e, p, b, p - b)], columns=RETURN_COLUMNS)


def period_returns(
    portfolio_r: pd.Series,
    benchmark_r: pd.Series,
    as_of: str | pd.Timestamp,
    calendar_dates: pd.DatetimeIndex,
    *,
    inception: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Cumulative and annualised returns for 1D, WTD, MTD, QTD, YTD, 1Y, 3Y, SI (+ _ANN).

    Parameters
    ----------
    portfolio_r : pd.Series
        Daily time-weighted returns of the book (fractions), indexed by date.
    benchmark_r : pd.Series
        Daily benchmark returns (fractions), aligned on ``portfolio_r``'s dates.
    as_of : str or pd.Timestamp
        The end of every period.
    calendar_dates : pd.DatetimeIndex
        Trading days (closes) used to find the base dates; should reach back before the
        history so a blank period still shows its base date.
    inception : pd.Timestamp, optional
        The SI base (default: the last calendar date before the first daily return).

    Returns
    -------
    pd.DataFrame
        :data:`RETURN_COLUMNS`, rows :data:`PERIODS` then ``3Y_ANN, SI_ANN``; ``start`` is the
        base date, ``end`` the as-of date; NaN returns for a period longer than the history.

    Notes
    -----
    Over the daily returns dated in (start, end], n of them::

        portfolio_return = Π(1 + r_t) − 1,   benchmark_return = Π(1 + b_t) − 1
        active_return    = portfolio_return − benchmark_return   (arithmetic difference)
        <P>_ANN          = (1 + R_P)^(252 / n) − 1               (both sides, same n)
    """
    end = pd.Timestamp(as_of).normalize()
    cal = pd.DatetimeIndex(calendar_dates).sort_values()
    inc = inception_date(portfolio_r, cal) if inception is None else pd.Timestamp(inception)
    bases = base_dates(end, cal, inc)
    rows, counts = [], {}
    for period in PERIODS:
        p, b, n = _window(portfolio_r, benchmark_r, bases[period], end, inc)
        counts[period] = (p, b, n)
        rows.append((period, bases[period], end, p, b, p - b))
    for name, of in ANNUALISED:
        p, b, n = counts[of]
        if n > 0:
            pa = (1.0 + p) ** (TRADING_DAYS / n) - 1.0 if p > -1 else -1.0
            ba = (1.0 + b) ** (TRADING_DAYS / n) - 1.0 if b > -1 else -1.0
        else:
            pa = ba = np.nan
        rows.append((name, bases[of], end, pa, ba, pa - ba))
    return pd.DataFrame(rows, columns=RETURN_COLUMNS)


def daily_table(portfolio_r: pd.Series, benchmark_r: pd.Series) -> pd.DataFrame:
    """Daily returns and their cumulative values from inception.

    Returns
    -------
    pd.DataFrame
        :data:`DAILY_COLUMNS`, one row per daily return.

    Notes
    -----
    ``cumulative_portfolio_t = Π_{s<=t}(1 + r_s) − 1`` (likewise the benchmark);
    ``active_return = r − b`` and ``cumulative_active = cumulative_portfolio −
    cumulative_benchmark`` (arithmetic differences).
    """
    r = portfolio_r.to_numpy(dtype=float)
    b = benchmark_r.reindex(portfolio_r.index).to_numpy(dtype=float)
    cp = np.cumprod(1.0 + r) - 1.0
    cb = np.cumprod(1.0 + b) - 1.0
    return pd.DataFrame(
        {
            "date": pd.DatetimeIndex(portfolio_r.index),
            "portfolio_return": r,
            "benchmark_return": b,
            "active_return": r - b,
            "cumulative_portfolio": cp,
            "cumulative_benchmark": cb,
            "cumulative_active": cp - cb,
        }
    )
