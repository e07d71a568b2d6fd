"""Condensed correlation windows against the full-matrix definitions, scipy and pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fimonitor.analytics import condensed as cd
from fimonitor.analytics.correlation import (
    correlation,
    correlation_windows,
    p_values,
    rolling_correlation,
    t_test_p,
)
from fimonitor.analytics.correlation_windows import (
    PValueTable,
    compact_correlation,
    compact_correlation_windows,
)


def _hand_frame(rows: int = 40, k: int = 9, seed: int = 4) -> pd.DataFrame:
    """Correlated returns with gaps, a constant column and a column with two rows."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.01, (rows, k)) + rng.normal(0, 0.01, (rows, 1))
    df = pd.DataFrame(x, columns=[f"T{i}" for i in range(k)])
    df.iloc[3:8, 2] = np.nan  # a gap
    df.iloc[10, 5] = np.nan  # one missing row
    df["T6"] = 0.0002  # constant: no correlation
    df.iloc[:-2, 7] = np.nan  # two rows only: fewer than 3
    return df


@pytest.mark.parametrize("block_values", [1, 20, 50, 10**6])
def test_compact_window_equals_the_full_matrix_definitions(block_values) -> None:
    df = _hand_frame()
    corr, n = correlation(df)
    pv = p_values(corr, n).to_numpy(copy=True)
    np.fill_diagonal(pv, np.nan)
    w = compact_correlation(df, n_top=5, block_values=block_values)
    assert w.tickers == tuple(df.columns) and w.n_observations == len(df)
    assert w.r.dtype == np.dtype("<f4") and w.r.size == cd.n_pairs(df.shape[1])
    np.testing.assert_allclose(w.matrix().to_numpy(), corr.to_numpy(), rtol=0, atol=6e-8)
    np.testing.assert_array_equal(np.isnan(w.matrix().to_numpy()), np.isnan(corr.to_numpy()))
    np.testing.assert_allclose(w.p_matrix().to_numpy(), pv, rtol=1.2e-7, atol=0)
    counts = n.to_numpy(float).copy()
    np.fill_diagonal(counts, np.nan)
    np.testing.assert_array_equal(w.count_matrix().to_numpy(), counts)
    assert w.defined.tolist() == [True] * 6 + [False, False, True]
    # the top pairs: full precision, ranked as the plain sort of the float64 matrix
    want = cd.top_pairs(cd.upper_rows(corr.to_numpy(), 0), list(df.columns), 5)
    pd.testing.assert_frame_equal(
        w.top[want.columns[:4]], want[want.columns[:4]], check_exact=False, rtol=1e-12
    )
    i = corr.index.get_indexer(w.top["ticker_1"])
    j = corr.columns.get_indexer(w.top["ticker_2"])
    np.testing.assert_allclose(w.top["p_value"], p_values(corr, n).to_numpy()[i, j], rtol=1e-12)


def test_p_values_against_scipy_pearsonr() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(25, 4))
    x[:, 1] += 2 * x[:, 0]  # a strong pair
    x[:, 3] = -x[:, 2] + 0.05 * rng.normal(size=25)  # a very strong negative pair
    w = compact_correlation(pd.DataFrame(x, columns=list("ABCD")))
    for a in range(4):
        for b in range(a + 1, 4):
            res = stats.pearsonr(x[:, a], x[:, b])
            r = w.matrix().iloc[a, b]
            assert r == pytest.approx(res.statistic, abs=6e-8)
            assert w.p_matrix().iloc[a, b] == pytest.approx(res.pvalue, rel=1e-6)
            assert t_test_p(res.statistic, 25) == pytest.approx(res.pvalue, rel=1e-12)
    assert t_test_p(1.0, 10) == 0.0 and np.isnan(t_test_p(0.5, 2)) and np.isnan(t_test_p(np.nan, 9))


@pytest.mark.parametrize("n", [3, 5, 21, 63, 252, 756, 5000])
def test_p_value_table_matches_stdtr(n) -> None:
    rng = np.random.default_rng(n)
    r = np.concatenate([rng.uniform(-1, 1, 200_000), np.linspace(0, 1, 20_001), [np.nan]])
    got, want = PValueTable(n)(r), t_test_p(r, n)
    ok = want > 1e-44  # float32's smallest values; below, both round to 0 or a subnormal
    np.testing.assert_allclose(got[ok], want[ok], rtol=4e-9, atol=0)
    assert (got[~ok & ~np.isnan(want)] <= 1.5e-44).all()
    assert np.isnan(got[-1]) and got[r == 1.0][0] == 0.0


def test_table_path_for_large_windows() -> None:
    """700 tickers (244,650 pairs) use the p-value table; numbers still equal the definitions."""
    rng = np.random.default_rng(9)
    x = rng.normal(size=(30, 700)) + 0.7 * rng.normal(size=(30, 1))
    df = pd.DataFrame(x, columns=[f"T{i:03d}" for i in range(700)])
    df.iloc[:4, 10] = np.nan  # one ticker with a gap: its pairs go through stdtr directly
    corr, n = correlation(df)
    w = compact_correlation(df)
    pv = cd.upper_rows(p_values(corr, n).to_numpy(), 0)
    np.testing.assert_allclose(w.r, cd.upper_rows(corr.to_numpy(), 0), rtol=0, atol=6e-8)
    np.testing.assert_allclose(w.p, pv, rtol=1.2e-7, atol=1.5e-44)
    assert w.counts is not None and w.counts.max() == 30 and w.counts.min() == 26


def test_compact_windows_follow_the_window_definitions() -> None:
    rng = np.random.default_rng(1)
    dates = pd.bdate_range("2024-01-01", periods=90)
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.01, (90, 5)), axis=0)),
        index=dates,
        columns=list("ABCDE"),
    )
    prices.iloc[40:43, 1] = np.nan
    windows = {"1M": 21, "3M": 63, "1Y": 252}
    full = correlation_windows(prices, dates[1:], windows)
    compact = compact_correlation_windows(prices, dates[1:], windows)
    assert list(compact) == list(full) == ["1M", "3M"]  # 1Y: too few returns
    for name, (corr, _) in full.items():
        np.testing.assert_allclose(compact[name].matrix(), corr, rtol=0, atol=6e-8)
        assert compact[name].n_observations == windows[name]


def test_too_few_rows_gives_nan_everywhere() -> None:
    df = pd.DataFrame(np.arange(6.0).reshape(2, 3) ** 2, columns=list("ABC"))
    w = compact_correlation(df)
    assert np.isnan(w.r).all() and np.isnan(w.p).all() and w.top.empty
    assert not w.defined.any()


def test_rolling_matches_pandas_on_gaps_and_a_constant_series() -> None:
    rng = np.random.default_rng(6)
    idx = pd.bdate_range("2025-01-01", periods=80)
    rets = pd.DataFrame(
        rng.normal(0, 0.01, (80, 6)) + rng.normal(0, 0.005, (80, 1)),
        index=idx,
        columns=list("ABCDEF"),
    )
    rets.iloc[10:13, 1] = np.nan  # a gap
    rets.iloc[30:55, 2] = 0.001  # constant for a while
    rets["D"] = 0.0004  # constant throughout
    rets["E"] += 5.0  # a large level: cancellation without centring
    port = rets[["A", "B", "F"]].mean(axis=1) + rng.normal(0, 0.001, 80)
    port.iloc[40] = np.nan
    for window in (5, 20, 60):
        got = rolling_correlation(rets, port, window)
        want = rets.rolling(window, min_periods=window).corr(port)
        want = want.where(np.isfinite(want)).clip(-1.0, 1.0)
        np.testing.assert_array_equal(got.isna().to_numpy(), want.isna().to_numpy())
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=0, atol=1e-10)
        assert got["D"].isna().all() and got.index.name == "date"
        inside = got["C"].iloc[30 + window - 1 : 55]
        assert inside.isna().all()  # constant within the window
