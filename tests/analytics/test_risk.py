"""Risk metrics (docs/definitions.md): hand cases, an independent calculation, and empyrical."""

from __future__ import annotations

import math

import empyrical
import numpy as np
import pandas as pd
import pytest

from fimonitor.analytics.risk import (
    METRICS,
    correlation_matrix,
    effective_n,
    risk_metrics,
    rolling_risk,
    time_weighted_returns,
)


def _returns(seed: int = 7, n: int = 300) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2022-01-03", periods=n)
    b = pd.Series(rng.normal(0.0002, 0.004, n), index=idx)
    r = pd.Series(0.8 * b.to_numpy() + rng.normal(0.0001, 0.002, n), index=idx)
    return r, b


def _as_dict(df: pd.DataFrame) -> dict[str, float]:
    assert list(df.columns) == ["metric", "value"]
    return dict(zip(df["metric"], df["value"], strict=True))


def _naive(r: list[float], b: list[float], rf: float) -> dict[str, float]:
    """Textbook formulas written with plain Python loops (independent of the module)."""
    n = len(r)
    mean_r = sum(r) / n
    mean_b = sum(b) / n
    sd = math.sqrt(sum((x - mean_r) ** 2 for x in r) / (n - 1))
    growth = 1.0
    peak = 1.0
    mdd = 0.0
    for x in r:
        growth *= 1 + x
        peak = max(peak, growth)
        mdd = min(mdd, growth / peak - 1)
    ann_ret = growth ** (252 / n) - 1
    down = math.sqrt(sum(min(x, 0.0) ** 2 for x in r) / n) * math.sqrt(252)
    srt = sorted(r)

    def q(p: float) -> float:  # numpy "linear": position p*(n-1)
        pos = p * (n - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, n - 1)
        return srt[lo] + (srt[hi] - srt[lo]) * (pos - lo)

    q05 = q(0.05)
    tail = [x for x in r if x <= q05]
    cov = sum((x - mean_r) * (y - mean_b) for x, y in zip(r, b, strict=True)) / (n - 1)
    var_b = sum((y - mean_b) ** 2 for y in b) / (n - 1)
    beta = cov / var_b
    act = [x - y for x, y in zip(r, b, strict=True)]
    mean_a = sum(act) / n
    te = math.sqrt(sum((a - mean_a) ** 2 for a in act) / (n - 1)) * math.sqrt(252)
    return {
        "annual_return": ann_ret,
        "volatility": sd * math.sqrt(252),
        "sharpe": (mean_r - rf) / sd * math.sqrt(252),
        "sortino": mean_r * 252 / down,
        "max_drawdown": mdd,
        "calmar": ann_ret / abs(mdd),
        "var_95": -q05,
        "var_99": -q(0.01),
        "cvar_95": -sum(tail) / len(tail),
        "beta": beta,
        "alpha": (mean_r - beta * mean_b) * 252,
        "tracking_error": te,
        "information_ratio": mean_a * 252 / te,
    }


def test_metrics_equal_independent_calculation() -> None:
    r, b = _returns()
    w = pd.Series({"A": 50.0, "B": 30.0, "C": 20.0})
    got = _as_dict(risk_metrics(r, b, rf=0.0001, weights=w))
    assert list(got) == list(METRICS)
    want = _naive(r.tolist(), b.tolist(), 0.0001)
    for k, v in want.items():
        assert got[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k
    assert got["effective_n"] == pytest.approx(1 / (0.5**2 + 0.3**2 + 0.2**2))


def test_metrics_agree_with_empyrical() -> None:
    r, b = _returns(seed=11, n=500)
    got = _as_dict(risk_metrics(r, b, rf=0.0))
    assert got["annual_return"] == pytest.approx(empyrical.annual_return(r), rel=1e-10)
    assert got["volatility"] == pytest.approx(empyrical.annual_volatility(r), rel=1e-10)
    assert got["sharpe"] == pytest.approx(empyrical.sharpe_ratio(r), rel=1e-10)
    assert got["sortino"] == pytest.approx(empyrical.sortino_ratio(r), rel=1e-10)
    assert got["max_drawdown"] == pytest.approx(empyrical.max_drawdown(r), rel=1e-10)
    assert got["calmar"] == pytest.approx(empyrical.calmar_ratio(r), rel=1e-10)
    assert got["var_95"] == pytest.approx(-empyrical.value_at_risk(r, cutoff=0.05), rel=1e-10)
    assert got["var_99"] == pytest.approx(-empyrical.value_at_risk(r, cutoff=0.01), rel=1e-10)
    assert got["beta"] == pytest.approx(empyrical.beta(r, b), rel=1e-10)
    # empyrical compounds the mean daily alpha: (1 + mean(r - beta b))^252 - 1
    emp_alpha = empyrical.alpha(r, b)
    assert (1 + got["alpha"] / 252) ** 252 - 1 == pytest.approx(emp_alpha, rel=1e-10)
    # empyrical's excess_sharpe is the daily information ratio
    assert got["information_ratio"] == pytest.approx(
        empyrical.excess_sharpe(r, b) * math.sqrt(252), rel=1e-10
    )


def test_sharpe_with_constant_rf_matches_empyrical() -> None:
    r, _ = _returns(seed=3)
    got = _as_dict(risk_metrics(r, rf=0.0002))
    assert got["sharpe"] == pytest.approx(empyrical.sharpe_ratio(r, risk_free=0.0002), rel=1e-10)


def test_hand_case() -> None:
    r = pd.Series([0.10, -0.20, 0.05], index=pd.bdate_range("2024-01-01", periods=3))
    got = _as_dict(risk_metrics(r))
    # wealth 1, 1.1, 0.88, 0.924 -> worst drawdown 0.88/1.1 - 1 = -0.2
    assert got["max_drawdown"] == pytest.approx(-0.2)
    assert got["annual_return"] == pytest.approx(0.924 ** (252 / 3) - 1)
    # quantile 5 % of [-0.2, 0.05, 0.1], linear: -0.2 + 0.1*(0.25) = -0.175
    assert got["var_95"] == pytest.approx(0.175)
    assert got["cvar_95"] == pytest.approx(0.2)
    assert math.isnan(got["beta"]) and math.isnan(got["effective_n"])


def test_metamorphic_order_and_benchmark_alignment() -> None:
    r, b = _returns(seed=5)
    base = _as_dict(risk_metrics(r, b))
    shuffled = _as_dict(risk_metrics(r.sample(frac=1, random_state=1).sort_index(), b.iloc[::-1]))
    for k in METRICS:
        assert shuffled[k] == pytest.approx(base[k], nan_ok=True), k
    # a benchmark with extra dates uses only the common dates
    extra = pd.concat([b, pd.Series([0.5], index=[pd.Timestamp("2030-01-01")])])
    assert _as_dict(risk_metrics(r, extra))["beta"] == pytest.approx(base["beta"])
    # r identical to b: beta 1, tracking error 0 -> information ratio undefined
    same = _as_dict(risk_metrics(b, b))
    assert same["beta"] == pytest.approx(1.0)
    assert same["tracking_error"] == 0.0 and math.isnan(same["information_ratio"])


def test_effective_n_percent_and_fraction_equal() -> None:
    assert effective_n(pd.Series([25, 25, 50])) == pytest.approx(
        effective_n(pd.Series([0.25, 0.25, 0.5]))
    )
    assert effective_n(pd.Series([0.0, 1.0])) == pytest.approx(1.0)


def test_time_weighted_returns_removes_flows() -> None:
    idx = pd.bdate_range("2024-01-01", periods=4)
    value = pd.Series([100.0, 110.0, 165.0, 0.0], index=idx)
    flows = pd.Series([50.0], index=[idx[2]])
    r = time_weighted_returns(value, flows)
    # day 2: (165 - 50)/110 - 1; day 3: 0/165 - 1 = -1
    assert r.tolist() == pytest.approx([0.1, 115 / 110 - 1, -1.0])
    assert list(r.index) == list(idx[1:])
    # a day after a non-positive value is dropped
    value2 = pd.Series([100.0, 0.0, 10.0, 11.0], index=idx)
    r2 = time_weighted_returns(value2, pd.Series([10.0], index=[idx[2]]))
    assert list(r2.index) == [idx[1], idx[3]]
    assert r2.tolist() == pytest.approx([-1.0, 0.1])


def test_twr_equals_value_ratio_without_flows() -> None:
    rng = np.random.default_rng(2)
    idx = pd.bdate_range("2024-01-01", periods=50)
    v = pd.Series(1000 * np.cumprod(1 + rng.normal(0, 0.01, 50)), index=idx)
    r = time_weighted_returns(v, pd.Series(dtype=float))
    assert float(np.prod(1 + r)) == pytest.approx(v.iloc[-1] / v.iloc[0])


def test_rolling_risk_matches_window_calculation() -> None:
    r, b = _returns(seed=9, n=100)
    rr = rolling_risk(r, b, window=60)
    assert list(rr.columns) == ["volatility", "tracking_error"]
    assert rr.index.name == "date"
    assert rr["volatility"].iloc[:59].isna().all()
    last_r = r.iloc[-60:].to_numpy()
    last_a = (r - b).iloc[-60:].to_numpy()
    assert rr["volatility"].iloc[-1] == pytest.approx(np.std(last_r, ddof=1) * np.sqrt(252))
    assert rr["tracking_error"].iloc[-1] == pytest.approx(np.std(last_a, ddof=1) * np.sqrt(252))
    assert rolling_risk(r, None)["tracking_error"].isna().all()


def test_correlation_matrix() -> None:
    rng = np.random.default_rng(4)
    idx = pd.bdate_range("2024-01-01", periods=80)
    a = 100 * np.cumprod(1 + rng.normal(0, 0.01, 80))
    prices = pd.DataFrame(
        {"A": a, "B": 2 * a, "C": 100 * np.cumprod(1 + rng.normal(0, 0.01, 80)), "CASH": 1.0},
        index=idx,
    )
    c = correlation_matrix(prices)
    assert c.loc["A", "B"] == pytest.approx(1.0)
    ra = prices["A"].pct_change().iloc[1:]
    rc = prices["C"].pct_change().iloc[1:]
    assert c.loc["A", "C"] == pytest.approx(np.corrcoef(ra, rc)[0, 1])
    assert np.isnan(c.loc["CASH", "A"])
