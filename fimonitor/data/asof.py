"""The one as-of resolver: a requested valuation date -> the price date to use."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from fimonitor.data import calendar
from fimonitor.dates import parse_date
from fimonitor.errors import AsOfError

__all__ = ["AsOf", "resolve_as_of"]


@dataclass(frozen=True)
class AsOf:
    """A resolved as-of date and the note to show when the requested date was moved."""

    date: pd.Timestamp
    note: str = ""


def resolve_as_of(
    dates: pd.DatetimeIndex,
    as_of: str | pd.Timestamp | None = "latest",
    *,
    first_position: pd.Timestamp | None = None,
) -> AsOf:
    """Return the price date to value on.

    Parameters
    ----------
    dates : DatetimeIndex
        The price dates, sorted ascending.
    as_of : str, Timestamp or None
        ``"latest"`` or None (the last price date), or a date (``YYYY-MM-DD``).
    first_position : Timestamp, optional
        The first transaction date; an earlier as-of date is an error.

    Returns
    -------
    AsOf
        The requested date when it has prices; else the last price date before it, with a note
        saying why (``not an NYSE trading day`` or ``a date with no prices``).

    Raises
    ------
    AsOfError
        When the date cannot be read, is after the last price date, before the first position
        or before the first price date.
    """
    last = dates[-1]
    if as_of is None or (isinstance(as_of, str) and as_of.strip().lower() == "latest"):
        return AsOf(last)
    req = parse_date(as_of, "--as-of", error=AsOfError)
    if req > last:
        raise AsOfError(
            f"as-of {req.date()} is after the last price date {last.date()}", file="prices.csv"
        )
    if first_position is not None and req < first_position:
        raise AsOfError(
            f"as-of {req.date()} is before the first position {first_position.date()}",
            file="transactions.csv",
        )
    if req in dates:
        return AsOf(req)
    prior = dates[dates <= req]
    if prior.empty:
        raise AsOfError(f"as-of {req.date()} is before the first price date", file="prices.csv")
    resolved = prior[-1]
    why = (
        "not an NYSE trading day"
        if calendar.previous_session(req) != req
        else "a date with no prices"
    )
    return AsOf(resolved, f"as-of {req.date()} is {why}; using {resolved.date()}")
