"""The date x ticker price panel equals pandas' pivot (gaps, unsorted rows, many tickers)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fimonitor.data import loaders


def test_panel_equals_pivot_on_unsorted_rows_with_gaps():
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2024-01-01", periods=40)
    tickers = [f"T{i:03d}" for i in range(25)]
    grid = pd.MultiIndex.from_product([dates, tickers], names=["date", "ticker"]).to_frame(
        index=False
    )
    grid["close"] = rng.uniform(10, 100, len(grid))
    long = grid.sample(frac=0.7, random_state=1)  # gaps, rows in random order
    got = loaders._panels(long, ["close"])["close"]
    ref = long.pivot(index="date", columns="ticker", values="close").sort_index()
    pd.testing.assert_frame_equal(got, ref, check_freq=False, check_names=True)
    assert got.index.name == "date" and got.columns.name == "ticker"
    assert got.isna().sum().sum() == len(dates) * len(tickers) - len(long)
