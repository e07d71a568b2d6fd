"""Data-quality checks on loaded panels (no file reading here).

:func:`stale_tickers` finds tickers whose newest price is older than the valuation date; the
pack's data-quality notes and ``prices update`` report both use it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fimonitor.data import calendar

__all__ = ["sessions_between", "stale_tickers"]


def sessions_between(start: pd.Series, end: str | pd.Timestamp) -> pd.Series:
    """NYSE sessions in ``(start, end]`` for each start date (Int64; <NA> where start is NaT).

    Staleness is counted in exchange sessions, never in the dates a file happens to hold.
    """
    end = pd.Timestamp(end).normalize()
    start = pd.Series(pd.to_datetime(start))
    valid = start.dropna()
    out = pd.Series(pd.NA, index=start.index, dtype="Int64")
    if valid.empty:
        return out
    sess = calendar.sessions(min(valid.min(), end), end).to_numpy()
    counts = len(sess) - np.searchsorted(sess, valid.to_numpy(), side="right")
    out.loc[valid.index] = counts
    return out


def stale_tickers(
    close: pd.DataFrame, tickers: Sequence[str], as_of: str | pd.Timestamp
) -> pd.DataFrame:
    """Tickers whose newest price is older than ``as_of``.

    Parameters
    ----------
    close : pd.DataFrame
        Prices, index dates x columns tickers (NaN where missing), e.g. ``Book.close``.
    tickers : sequence of str
        The tickers to check (e.g. the holdings on ``as_of``; ``CASH`` is skipped).
    as_of : date-like
        The valuation date (a trading day).

    Returns
    -------
    pd.DataFrame
        One row per stale ticker, in ``tickers`` order: ``ticker`` (str),
        ``last_price_date`` (datetime64; NaT when the ticker has no price on or before
        ``as_of``) and ``days_stale`` (Int64, calendar days from ``last_price_date`` to
        ``as_of``; <NA> when there is no price). Empty when every price is current.

    Notes
    -----
    ``last_price_date`` = the last date ``<= as_of`` with a non-NaN price;
    stale when ``last_price_date < as_of``.
    """
    as_of = pd.Timestamp(as_of).normalize()
    names = [t for t in dict.fromkeys(tickers) if str(t).upper() != "CASH"]
    panel = close.reindex(columns=names)
    panel = panel[pd.DatetimeIndex(panel.index) <= as_of]
    has = panel.notna()
    dates = pd.DataFrame(
        np.where(has.to_numpy(), panel.index.to_numpy()[:, None], np.datetime64("NaT")),
        index=panel.index,
        columns=names,
    )
    last = pd.to_datetime(dates.max(axis=0)) if len(panel) else pd.Series(pd.NaT, index=names)
    last = pd.Series(pd.DatetimeIndex(last).astype("datetime64[ns]"), index=names)
    days = (as_of - last).dt.days.astype("Int64")
    out = pd.DataFrame(
        {
            "ticker": names,
            "last_price_date": last.values,
            "days_stale": days.values,
            "sessions_stale": sessions_between(last, as_of).values,
        }
    )
    stale = out["last_price_date"].isna() | (out["last_price_date"] < as_of)
    return out[stale].reset_index(drop=True)
