"""The one as-of resolver: a requested valuation date -> the price date to use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fimonitor.data import calendar
from fimonitor.data.book import Book
from fimonitor.dates import parse_date
from fimonitor.errors import AsOfError, fmt_date

__all__ = ["AsOf", "last_valid_dates", "latest_priced", "resolve_as_of", "resolve_book_as_of"]


@dataclass(frozen=True)
class AsOf:
    """A resolved as-of date and the note to show when the requested date was moved."""

    date: pd.Timestamp
    note: str = ""


def last_valid_dates(frame: pd.DataFrame) -> pd.Series:
    """The last index label of each column holding a value (NaT where a column has none).

    The same as ``frame.apply(lambda s: s.last_valid_index())`` in one pass over the array
    (no per-column Python call): the last row where the column is not NaN.
    """
    present = frame.notna().to_numpy()
    if not present.shape[0]:
        return pd.Series(pd.NaT, index=frame.columns, dtype="datetime64[ns]")
    last_row = present.shape[0] - 1 - np.argmax(present[::-1], axis=0)
    out = pd.Series(frame.index[last_row], index=frame.columns)
    return out.where(present.any(axis=0))


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
        When the date cannot be read, is after the last price date (a weekend or holiday right
        after it resolves to it), before the first position
        or before the first price date.
    """
    last = dates[-1]
    if as_of is None or (isinstance(as_of, str) and as_of.strip().lower() == "latest"):
        return AsOf(last)
    req = parse_date(as_of, "--as-of", error=AsOfError)
    near = last < req <= last + pd.Timedelta(days=10)
    if near and len(calendar.sessions(last + pd.Timedelta(days=1), req)) == 0:
        # a weekend or holiday right after the last price: no session was missed
        return AsOf(last, f"as-of {req.date()} is not an NYSE trading day; using {last.date()}")
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
    return AsOf(resolved, f"as-of {fmt_date(req)} is {why}; using {fmt_date(resolved)}")


def latest_priced(
    close: pd.DataFrame, needed: list[str], max_stale_sessions: int
) -> pd.Timestamp | None:
    """The last price date on which every ``needed`` ticker is priced or only a little stale.

    A ticker is "a little stale" when its last price is at most ``max_stale_sessions`` NYSE
    sessions old. Returns None when ``needed`` is empty or a needed ticker has no price.

    Notes
    -----
    With ``m`` the earliest of the needed tickers' last price dates, a date ``d`` qualifies when
    the NYSE sessions in ``(m, d]`` number at most ``max_stale_sessions``; the result is the
    last price date ``d`` that qualifies. A stray row of one ticker dated after the others
    therefore cannot move ``latest``.
    """
    cols = [t for t in dict.fromkeys(needed) if t in close.columns]
    if not cols or close.empty:
        return None
    last = last_valid_dates(close[cols])
    if last.isna().any():
        return None
    m = pd.Timestamp(last.min())
    ahead = calendar.sessions(m, m + pd.Timedelta(days=7 * (max_stale_sessions // 5 + 2)))
    limit = ahead[ahead > m][:max_stale_sessions]
    end = limit[-1] if len(limit) else m
    dates = pd.DatetimeIndex(close.index)
    return pd.Timestamp(dates[dates <= end][-1])


def resolve_book_as_of(
    book: Book, as_of: str | pd.Timestamp | None = "latest", *, max_stale_sessions: int = 5
) -> AsOf:
    """:func:`resolve_as_of` on a book; ``latest`` is the last date the book can be valued on.

    ``latest`` is :func:`latest_priced` over the tickers held at the end of the ledger and the
    tickers of the latest benchmark weights (CASH excluded); a date given explicitly is
    resolved as by :func:`resolve_as_of`.
    """
    ledger = getattr(book, "transactions", None)
    if ledger is None:  # a stand-in with only dates (tests, notebooks)
        return resolve_as_of(book.dates, as_of, first_position=book.first_transaction_date)
    if ledger.empty:
        raise AsOfError(
            "has no data rows: the book needs at least one transaction to be valued",
            file=book.files.get("transactions", "transactions.csv"),
        )
    if as_of is None or (isinstance(as_of, str) and as_of.strip().lower() == "latest"):
        signed = ledger["shares"].fillna(0.0).where(ledger["action"] != "SELL", -ledger["shares"])
        trades = ledger["action"].isin(["BUY", "SELL"])
        held = signed[trades].groupby(ledger.loc[trades, "ticker"]).sum()
        bench = book.benchmark.iloc[-1] if len(book.benchmark) else pd.Series(dtype=float)
        needed = [*held.index[held.abs() > 1e-9], *bench.index[bench > 0]]
        needed = [t for t in needed if str(t).upper() != "CASH"]
        day = latest_priced(book.close, needed, max_stale_sessions)
        if day is not None and day < book.dates[-1]:
            return AsOf(
                day,
                f"latest is {fmt_date(day)}: the last date on which every held and benchmark "
                f"ticker is priced (prices.csv runs to {fmt_date(book.dates[-1])})",
            )
    return resolve_as_of(book.dates, as_of, first_position=book.first_transaction_date)
