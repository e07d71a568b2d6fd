"""Target weights of a backtest: the benchmark's, effective on the start date."""

from __future__ import annotations

import pandas as pd

from fimonitor.analytics.positions import values_as_of
from fimonitor.backtest.engine import prepare_prices
from fimonitor.data.book import Book
from fimonitor.errors import InputError

__all__ = ["benchmark_targets"]


def benchmark_targets(
    book: Book, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> tuple[pd.Series, pd.Timestamp, str]:
    """Benchmark weights in effect at the (resolved) start date, and a note saying which.

    Parameters
    ----------
    book : Book
        The loaded inputs (``benchmark`` and ``adj_close`` are read).
    start, end : Timestamp or None
        The requested window; a None start is the first date on which every target ticker
        has a price.

    Returns
    -------
    weights : pandas.Series
        Ticker -> benchmark weight (> 0) effective on the start date, as stored.
    start : pandas.Timestamp
        The first price date of the backtest.
    note : str
        ``"targets: benchmark weights effective YYYY-MM-DD"`` (plus a remark when the
        earliest weights post-date the start).

    Notes
    -----
    The start depends on the tickers (all must have a price) and the weights on the start, so
    both are re-resolved until they agree (at most 5 rounds).
    """
    bench = book.benchmark
    if bench.empty:
        raise InputError("benchmark_weights.csv has no weights", file="benchmark_weights.csv")

    def weights_at(day: pd.Timestamp) -> tuple[pd.Series, pd.Timestamp]:
        day = max(pd.Timestamp(day), bench.index[0])  # before the first weights: the earliest
        row = values_as_of(bench, pd.DatetimeIndex([day])).iloc[0]
        return row[row > 0], bench.index[bench.index <= day][-1]

    day = start if start is not None else book.dates[0]
    w, eff_date = weights_at(day)
    for _ in range(5):
        px, _ = prepare_prices(book.adj_close, list(w.index), start, end)
        w2, eff2 = weights_at(px.index[0])
        if set(w2.index) == set(w.index) and eff2 == eff_date:
            w, eff_date = w2, eff2
            break
        w, eff_date = w2, eff2
    note = f"targets: benchmark weights effective {eff_date:%Y-%m-%d}"
    if eff_date > px.index[0]:
        note += " (the earliest; the backtest starts before them)"
    return w, px.index[0], note
