"""NYSE trading calendar (exchange_calendars XNYS) and as-of date resolution."""

from __future__ import annotations

import functools

import exchange_calendars as xcals
import pandas as pd

# exchange_calendars' default range moves with today's date; pin a wide one.
_CAL_START = "1995-01-03"
_CAL_END = "2035-12-31"


@functools.lru_cache(maxsize=1)
def nyse() -> xcals.ExchangeCalendar:
    """Return the XNYS calendar over a fixed, wide range (cached)."""
    return xcals.get_calendar("XNYS", start=_CAL_START, end=_CAL_END)


def sessions(start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DatetimeIndex:
    """NYSE sessions between ``start`` and ``end`` inclusive, tz-naive midnight timestamps."""
    idx = nyse().sessions_in_range(pd.Timestamp(start), pd.Timestamp(end))
    return pd.DatetimeIndex(idx).tz_localize(None) if idx.tz is not None else pd.DatetimeIndex(idx)


def previous_session(date: str | pd.Timestamp) -> pd.Timestamp:
    """``date`` if it is a session, else the last session before it."""
    return pd.Timestamp(nyse().date_to_session(pd.Timestamp(date), direction="previous"))


def next_session(date: str | pd.Timestamp) -> pd.Timestamp:
    """``date`` if it is a session, else the first session after it."""
    return pd.Timestamp(nyse().date_to_session(pd.Timestamp(date), direction="next"))


def is_session(date: str | pd.Timestamp) -> bool:
    """Tell whether ``date`` is an NYSE trading session."""
    return bool(nyse().is_session(pd.Timestamp(date)))
