"""Every performance table of the pack: period returns, attribution, rate split, daily series.

One entry point, :func:`performance_tables`, over :mod:`~fimonitor.analytics.performance`,
:mod:`~fimonitor.analytics.attribution` and :mod:`~fimonitor.analytics.rate_attribution`
(definitions in those modules and in ``docs/performance.md``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from fimonitor.analytics.attribution import (
    ATTRIBUTION_PERIODS,
    attribution,
    daily_attribution,
    truncate,
)
from fimonitor.analytics.exposures import History
from fimonitor.analytics.performance import DAILY_COLUMNS, base_dates, daily_table, period_returns
from fimonitor.analytics.rate_attribution import rate_attribution
from fimonitor.data.book import Book
from fimonitor.data.curves import YIELDS_FILE, read_treasury_curve

__all__ = ["performance_tables"]

log = logging.getLogger(__name__)


def performance_tables(
    book: Book, history: History, as_of: str | pd.Timestamp, config=None
) -> dict[str, pd.DataFrame]:
    """Every performance table of the pack as of ``as_of``.

    Parameters
    ----------
    book : Book
    history : History
        From the first transaction to (at least) ``as_of``.
    as_of : str or pd.Timestamp
        A history date.
    config : MonitorConfig, optional
        Accepted for the pipeline's uniform call; nothing in it is used yet.

    Returns
    -------
    dict of str to pd.DataFrame
        ``performance`` (:data:`RETURN_COLUMNS`; :func:`period_returns`), ``attribution``
        (:data:`ATTRIBUTION_COLUMNS`, periods MTD, QTD, YTD, 1Y), ``rate_attribution``
        (:data:`RATE_COLUMNS`, same periods) and ``daily`` (:data:`DAILY_COLUMNS`, from
        inception to ``as_of``).
    """
    end = pd.Timestamp(as_of).normalize()
    d_all = daily_attribution(book, history)
    d = truncate(d_all, end)
    calendar_dates = book.dates[book.dates <= end]
    inc = history.dates[0]
    bases = base_dates(end, calendar_dates, inc)
    ranges = [(p, bases[p], end) for p in ATTRIBUTION_PERIODS]
    curve_path = Path(book.data_dir) / YIELDS_FILE
    if curve_path.is_file():
        curve = read_treasury_curve(curve_path)
    else:
        log.warning("%s not found: rate attribution left blank", curve_path)
        curve = None
    return {
        "performance": period_returns(
            d.portfolio_return, d.benchmark_return, end, calendar_dates, inception=inc
        ),
        "attribution": attribution(d, ranges, inception=inc),
        "rate_attribution": rate_attribution(d, curve, ranges, inception=inc),
        "daily": daily_table(d.portfolio_return, d.benchmark_return)[DAILY_COLUMNS],
    }
