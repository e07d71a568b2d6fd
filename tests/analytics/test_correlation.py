"""Correlation windows, p-values, rolling values and the compact form, against pandas/scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import squareform

from fimonitor.analytics import condensed as cd
from fimonitor.analytics.correlation import (
    WINDOWS,
    correlation,
    correlation_windows,
    daily_returns,
    p_values,
    rolling_correlation,
)
from fimonitor.errors import InputError


def _prices(rows: int = 900, k: int = 6, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 0.01, (rows, 1))
    rets = 0.6 * common + rng.normal(0, 0.01, (rows, k))
    idx = pd.bdate_range("2022-01-03", periods=rows, name="date")
    cols = pd.Index([f"T{i}" for i in range(k)], name="ticker")
    return pd.DataFrame(100 * np.cumprod(1 + rets, axis=0), index=idx, columns=cols)


def test_fast_path_matches_pandas_and_corrcoef() -> None:
    rets = daily_returns(_prices())
    corr, n = correlation(rets)
    pd.testing.assert_frame_equal(corr, rets.corr(), check_names=False, atol=1e-12, rtol=0)
    np.testing.assert_allclose(corr.to_numpy(), np.corrcoef(rets.to_numpy(), rowvar=False))
    assert n == len(rets)
    assert (np.diag(corr) == 1.0).all()
    flat = rets.assign(T1=0.0003)  # a constant but non-zero series (a cash fund)
    c2, _ = correlation(flat)
    assert c2["T1"].isna().all() and c2.drop(index="T1", columns="T1").notna().all().all()


def test_gaps_fall_back_to_pairwise_rows() -> None:
    rets = daily_returns(_prices()).copy()
    rets.iloc[:300, 0] = np.nan  # a late starter
    rets.iloc[::7, 2] = np.nan  # scattered holes
    rets.iloc[:, 3] = 0.0  # constant (cash-like)
    rets.iloc[:, 5] = 0.0007  # constant and non-zero, with a gap
    rets.iloc[5, 5] = np.nan
    rets.iloc[:-2, 4] = np.nan  # only two rows: below the minimum
    corr, n = correlation(rets)
    want = rets.corr(min_periods=3)
    pd.testing.assert_frame_equal(corr, want, check_names=False, atol=1e-10, rtol=0)
    assert n.loc["T0", "T2"] == int((rets["T0"].notna() & rets["T2"].notna()).sum())
    assert corr[["T3", "T4", "T5"]].isna().all().all()


def test_p_values_match_pearsonr() -> None:
    rets = daily_returns(_prices(rows=120)).copy()
    rets.iloc[:40, 1] = np.nan
    corr, n = correlation(rets)
    p = p_values(corr, n)
    for a, b in (("T0", "T1"), ("T0", "T2"), ("T1", "T5")):
        both = rets[[a, b]].dropna()
        ref = stats.pearsonr(both[a], both[b])
        assert corr.loc[a, b] == pytest.approx(ref.statistic, abs=1e-12)
        assert p.loc[a, b] == pytest.approx(ref.pvalue, rel=1e-9)
    assert (np.diag(p) == 0.0).all()
    # a hand value: r = 0.5, n = 27 -> t = 0.5·√(25/0.75) = 2.8868, p = 2·sf(t, 25)
    one = p_values(pd.DataFrame([[0.5]]), 27).iloc[0, 0]
    assert one == pytest.approx(2 * stats.t.sf(0.5 * np.sqrt(25 / 0.75), 25))
    assert np.isnan(p_values(pd.DataFrame([[0.5]]), 2).iloc[0, 0])


def test_windows_use_the_risk_metric_return_rows() -> None:
    prices = _prices()
    return_dates = prices.index[1:]  # every date with a return
    got = correlation_windows(prices, return_dates)
    assert set(got) == set(WINDOWS)
    full = prices.pct_change(fill_method=None)
    for name, n in WINDOWS.items():
        want = full.loc[return_dates[-n:]].corr()  # exactly n returns, the first one included
        corr, rows = got[name]
        assert rows == n
        pd.testing.assert_frame_equal(corr, want, check_names=False, atol=1e-12, rtol=0)
    # the 0.1 pipeline sliced prices from the first return date: one return short
    start = return_dates[-252]
    old = full.loc[start:].iloc[1:]
    assert len(old) == 251 and not np.allclose(old.corr(), got["1y"][0])


def test_windows_longer_than_history_are_left_out() -> None:
    prices = _prices(rows=300)
    got = correlation_windows(prices, prices.index[1:])
    assert set(got) == {"1m", "3m", "6m", "1y"}


def test_rolling_matches_corrcoef() -> None:
    rets = daily_returns(_prices(rows=200))
    port = rets.mean(axis=1)
    for w in (20, 60):
        roll = rolling_correlation(rets, port, w)
        assert roll.iloc[: w - 1].isna().all().all()
        for t in (w - 1, 120, len(rets) - 1):
            sl = slice(t - w + 1, t + 1)
            for tick in ("T0", "T3"):
                want = np.corrcoef(rets[tick].iloc[sl], port.iloc[sl])[0, 1]
                assert roll[tick].iloc[t] == pytest.approx(want, abs=1e-10)


def test_condensed_round_trip() -> None:
    """A correlation matrix through the one codec (:mod:`fimonitor.analytics.condensed`)."""
    corr, _ = correlation(daily_returns(_prices()))
    corr.iloc[0, 1] = corr.iloc[1, 0] = np.nan
    tickers, blob = list(corr.index), cd.condense(corr)
    k = len(tickers)
    assert len(blob) == 4 * k * (k - 1) // 2
    vals = np.frombuffer(blob, dtype="<f4")
    np.testing.assert_allclose(
        vals[1:], squareform(np.nan_to_num(corr.to_numpy()) - np.eye(k), checks=False)[1:]
    )
    back = cd.expand(blob, k).astype(float)
    assert np.isnan(back[0, 1])
    np.testing.assert_allclose(back, corr.to_numpy(), atol=6e-8)
    with pytest.raises(InputError, match="upper triangle"):
        cd.expand(blob, k - 1)


def test_top_pairs_by_hand() -> None:
    idx = pd.Index(["A", "B", "C", "D"])
    corr = pd.DataFrame(
        [
            [1.0, 0.2, -0.9, 0.5],
            [0.2, 1.0, 0.5, np.nan],
            [-0.9, 0.5, 1.0, 0.1],
            [0.5, np.nan, 0.1, 1.0],
        ],
        index=idx,
        columns=idx,
    )
    values = cd.upper_rows(corr.to_numpy(), 0)

    def top_pairs(n, p=None):
        return cd.top_pairs(values, list(idx), n, p)

    got = top_pairs(3)[["ticker_1", "ticker_2", "correlation"]]
    assert got.to_dict("records") == [
        {"ticker_1": "A", "ticker_2": "C", "correlation": -0.9},
        {"ticker_1": "A", "ticker_2": "D", "correlation": 0.5},
        {"ticker_1": "B", "ticker_2": "C", "correlation": 0.5},
    ]
    assert len(top_pairs(10)) == 5  # the NaN pair is left out
    pv = p_values(corr, 30)
    withp = top_pairs(2, cd.upper_rows(pv.to_numpy(), 0))
    assert withp["p_value"].tolist() == [pv.loc["A", "C"], pv.loc["A", "D"]]
    counts = pd.DataFrame(np.full((4, 4), 30), index=idx, columns=idx)
    counts.loc["A", "D"] = counts.loc["D", "A"] = 10
    by_pair = cd.upper_rows(p_values(corr, counts).to_numpy(), 0)
    assert top_pairs(2, by_pair)["p_value"].iloc[1] == p_values(corr, 10).loc["A", "D"]
    assert top_pairs(0).empty
