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
    # same memory layout as pivot's, so downstream sums run in the same order (a ticker-major
    # grid changed asset_metrics.csv in the last digits, ~1e-13)
    layout = [f._mgr.blocks[0].values.flags.f_contiguous for f in (got, ref)]
    assert layout[0] == layout[1]
    assert got.isna().sum().sum() == len(dates) * len(tickers) - len(long)


def test_last_valid_dates_equals_last_valid_index_per_column():
    from fimonitor.data.asof import last_valid_dates

    rng = np.random.default_rng(5)
    idx = pd.bdate_range("2024-01-01", periods=30)
    values = rng.uniform(1, 2, (30, 12))
    values[rng.uniform(size=values.shape) < 0.6] = np.nan
    values[:, 3] = np.nan  # a column with no value
    values[:, 4] = 1.0  # a full column
    frame = pd.DataFrame(values, index=idx, columns=[f"T{i}" for i in range(12)])
    expected = frame.apply(lambda s: s.last_valid_index())
    pd.testing.assert_series_equal(last_valid_dates(frame), expected)
    assert last_valid_dates(frame.iloc[:0]).isna().all()
