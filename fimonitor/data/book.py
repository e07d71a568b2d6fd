"""The Book: every input loaded once, validated once, frozen.

The Book's frames are read-only: every numpy array under them is marked
``writeable=False`` and each frame refuses whole-column assignment, deletion and
``inplace=`` operations, so ``book.close.iloc[0, 0] = -1.0``,
``book.close.values[0, 0] = -1`` and ``book.close["TLT"] = 0`` raise instead of
changing what later stages see. Anything derived from a Book frame (``.copy()``,
``.ffill()``, ``.loc[...]``, arithmetic) is an ordinary, writable DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
import pandas as pd

CASH = "CASH"

__all__ = ["CASH", "Book", "FrozenFrame", "freeze"]


class FrozenFrame(pd.DataFrame):
    """A DataFrame that cannot be changed in place; derived frames are plain DataFrames.

    The arrays underneath are ``writeable=False`` (so cell writes through ``iloc``/``loc``,
    ``.values`` and ``.to_numpy()`` raise ``ValueError``); the methods that would swap a
    column or the whole data of *this* object raise ``TypeError``.
    """

    _metadata: ClassVar[list[str]] = []

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("a Book frame is read-only; work on a .copy()")

    __setitem__ = _refuse
    __delitem__ = _refuse
    insert = _refuse
    pop = _refuse
    _update_inplace = _refuse

    def __setattr__(self, name: str, value: Any) -> None:
        # pandas swaps ``_mgr`` for every in-place change (including a copy-on-write copy
        # made by ``iloc``): refusing the swap keeps this object's data as it was
        if name in ("index", "columns", "_mgr") and "_mgr" in self.__dict__:
            self._refuse()
        super().__setattr__(name, value)


def freeze(frame: pd.DataFrame) -> FrozenFrame:
    """A read-only copy of ``frame`` (see :class:`FrozenFrame`).

    Parameters
    ----------
    frame : pd.DataFrame
        Any frame; it is copied once, and the numpy arrays of the copy are marked
        ``writeable=False`` (a frame whose numpy blocks are all read-only already is
        wrapped without a copy) (extension arrays such as pandas strings are left as they are:
        the frame-level guards still refuse writes to them).

    Returns
    -------
    FrozenFrame
        Same index, columns, dtypes and values.
    """
    if isinstance(frame, FrozenFrame):
        return frame
    blocks = frame._mgr.blocks
    if blocks and all(
        isinstance(b.values, np.ndarray) and not b.values.flags.writeable for b in blocks
    ):  # already read-only (e.g. a broadcast all-NaN panel): nothing can write; no copy
        return FrozenFrame(frame, copy=False)
    data = frame.copy(deep=True)
    # pandas has no public handle on a frame's blocks; the copy owns them, nothing else does
    for block in data._mgr.blocks:
        if isinstance(block.values, np.ndarray):
            block.values.flags.writeable = False
    out = FrozenFrame(data, copy=False)
    del data
    return out


@dataclass(frozen=True)
class Book:
    """All inputs of one data folder; every frame is read-only (:class:`FrozenFrame`).

    securities    index ticker; name, group, sector, rating_bucket, is_cash_proxy (bool),
                  price_field ('close' | 'adj_close'); CASH is added as a row (group 'cash',
                  cash proxy, rating 'cash': no input rates it).
    close         date x ticker valuation prices (currency per share); for tickers whose
                  price_field is 'adj_close' this is adj_close. NaN where the file has no value.
    adj_close     date x ticker total-return prices (for returns).
    durations     month-start date x ticker, years, as given (not forward-filled).
    benchmark     effective_date x ticker weights (fractions; each row sums to 1) of the
                  primary benchmark (``benchmarks['benchmark']`` or else the first named).
    transactions  date,ticker,action,shares,price,fees plus ``row`` (file row) sorted by date
                  (stable: same-day rows keep file order).
    dates         all price dates (sorted).
    files         input name -> path.
    notes         data-quality notes raised while loading (severity, item, detail).
    open, high, low, volume
                  date x ticker panels from the optional prices.csv columns, same index and
                  columns as ``close`` (raw file values, never adjusted); NaN where blank and
                  all NaN when the file has no such column (never None when loaded).
    convexity     month-start date x ticker, same index and columns as ``durations``, from
                  the optional duration_monthly.csv column; NaN where blank or absent. Step
                  it to days exactly like ``durations`` (a month's value holds from its
                  first day, forward-filled).
    benchmarks    name -> effective_date x ticker weights of every benchmark in
                  benchmark_weights.csv (its optional ``benchmark`` column; one named
                  ``benchmark`` without it), file order; read-only mapping.
    benchmark_name
                  the name of ``benchmark`` in ``benchmarks`` (the configured primary).
    key_rates     ``month`` (``YYYY-MM``), ``ticker``, ``tenor``, ``krd`` (years) rows of the
                  optional key_rate_durations_monthly.csv; None when the file is absent.
    empirical_durations
                  month-start date x ticker like ``durations``, from the optional
                  ``empirical_duration`` column of duration_monthly.csv; None when that
                  column is absent or blank.
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
    open: pd.DataFrame | None = None
    high: pd.DataFrame | None = None
    low: pd.DataFrame | None = None
    volume: pd.DataFrame | None = None
    convexity: pd.DataFrame | None = None
    benchmarks: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    benchmark_name: str | None = None
    key_rates: pd.DataFrame | None = None
    empirical_durations: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, pd.DataFrame):
                object.__setattr__(self, f.name, freeze(value))
        bench = {k: freeze(v) for k, v in dict(self.benchmarks).items()}
        primary = next((k for k, v in bench.items() if v.equals(self.benchmark)), None)
        if self.benchmark_name is not None and self.benchmark_name in bench:
            primary = self.benchmark_name
        if primary is not None:
            bench[primary] = self.benchmark  # the same object as book.benchmark
        else:
            primary = "benchmark"
            bench = {"benchmark": self.benchmark, **bench}
        object.__setattr__(self, "benchmarks", MappingProxyType(bench))
        object.__setattr__(self, "benchmark_name", primary)

    @property
    def dates(self) -> pd.DatetimeIndex:
        """All price dates (sorted)."""
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
        """Date of the first ledger row; None for an empty ledger."""
        if self.transactions.empty:
            return None
        return pd.Timestamp(self.transactions["date"].iloc[0])
