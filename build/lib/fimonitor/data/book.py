"""The Book: every input loaded once, validated once, frozen.

Panels are wide (date x ticker) and read-only, so a stray in-place write fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

CASH = "CASH"


def set_read_only(frame: pd.DataFrame) -> pd.DataFrame:
    """Mark the frame's numeric blocks read-only (cvxportfolio's trick); returns the frame."""
    for arr in (frame.to_numpy(copy=False),):
        try:
            arr.flags.writeable = False
        except (ValueError, AttributeError):  # mixed dtypes -> a copy; nothing to protect
            pass
    return frame


@dataclass(frozen=True)
class Book:
    """All inputs of one data folder.

    securities    index ticker; name, group, sector, rating_bucket, is_cash_proxy (bool),
                  price_field ('close' | 'adj_close'); CASH is added as a row (group 'cash',
                  cash proxy, rating 'AAA').
    close         date x ticker valuation prices (currency per share); for tickers whose
                  price_field is 'adj_close' this is adj_close. NaN where the file has no value.
    adj_close     date x ticker total-return prices (for returns).
    durations     month-start date x ticker, years, as given (not forward-filled).
    benchmark     effective_date x ticker weights (fractions; each row sums to 1).
    transactions  date,ticker,action,shares,price,fees plus ``row`` (file row) sorted by date
                  (stable: same-day rows keep file order).
    dates         all price dates (sorted).
    files         input name -> path.
    notes         data-quality notes raised while loading (severity, item, detail).
    """

    data_dir: Path
    securities: pd.DataFrame
    close: pd.DataFrame
    adj_close: pd.DataFrame
    durations: pd.DataFrame
    benchmark: pd.DataFrame
    transactions: pd.DataFrame
    files: dict[str, Path]
    notes: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)

    @property
    def dates(self) -> pd.DatetimeIndex:
        return self.close.index

    def benchmark_weights(self, date: str | pd.Timestamp) -> pd.Series:
        """Benchmark weights (fractions) in effect on ``date``; empty before the first one."""
        eff = self.benchmark.loc[: pd.Timestamp(date)]
        if eff.empty:
            return pd.Series(dtype=float)
        row = eff.iloc[-1]
        return row[row > 0]

    @property
    def first_transaction_date(self) -> pd.Timestamp | None:
        if self.transactions.empty:
            return None
        return pd.Timestamp(self.transactions["date"].iloc[0])
