"""Extended risk metrics: plain-loop definitions, hand cases, and empyrical where it agrees."""

from __future__ import annotations

import math

import empyrical
import numpy as np
import pandas as pd
import pytest

from fimonitor.analytics.risk import (
    EXTRA_METRICS,
    METRICS,
    compounded_returns,
    concentration,
    drawdown_duration,
    effective_n,
    extended_risk_metrics,
    risk_level,
    risk_metrics,
)


def _returns(seed: int = 3, n: int = 300) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2023-01-02", periods=n)
    b = pd.Series(rng.normal(0.0002, 0.004, n), index=idx)
    r = pd.Series(0.9 * b.to_numpy() + rng.normal(0.0001, 0.002, n), index=idx)
    return r, b


def _naive_duration(r: list[float]) -> int:
    """Peak-to-recovery episodes walked day by day (independent of the module)."""
    wealth, peak, peak_day, longest = 1.0, 1.0, 0, 0
    for day, x in enumerate(r, start=1):
        wealth *= 1 + x
        if wealth >= peak:  # recovered (or a new high): the episode, if any, ends today
            if day - 1 > peak_day:  # yesterday was under water
                longest = max(longest, day - peak_day)
            peak, peak_day = wealth, day
    if peak_day < len(r):  # still under water at the end
        longest = max(longest, len(r) - peak_day)
    return longest


def _naive_tail(x: list[float], p: float) -> tuple[float, float]:
    s = sorted(x)
    pos = p * (len(s) - 1)
    lo = math.floor(pos)
    q = s[lo] + (s[min(lo + 1, len(s) - 1)] - s[lo]) * (pos - lo)
    tail = [v for v in x if v <= q]
    return -q, -sum(tail) / len(tail)


def test_extended_metrics_against_plain_python() -> None:
    r, b = _returns()
    w = pd.Series({"A": 0.30, "B": 0.25, "C": 0.2, "D": 0.1, "E": 0.08, "F": 0.07, "G": 0.0})
    rf = 0.0001
    got = extended_risk_metrics(r, b, rf=rf, weights=w)
    assert list(got["metric"]) == [*METRICS, *EXTRA_METRICS]
    d = dict(zip(got["metric"], got["value"], strict=True))
    # the existing rows are untouched
    base = risk_metrics(r, b, rf=rf, weights=w)
    assert list(got["value"].iloc[: len(METRICS)]) == list(base["value"])

    x = r.tolist()
    assert d["cvar_99"] == pytest.approx(_naive_tail(x, 0.01)[1], rel=1e-12)
    month = []
    for t in range(20, len(x)):
        g = 1.0
        for v in x[t - 20 : t + 1]:
            g *= 1 + v
        month.append(g - 1)
    assert len(month) == len(x) - 20
    for p, var_key, cvar_key in (
        (0.05, "var_95_1m", "cvar_95_1m"),
        (0.01, "var_99_1m", "cvar_99_1m"),
    ):
        var, cvar = _naive_tail(month, p)
        assert d[var_key] == pytest.approx(var, rel=1e-9)
        assert d[cvar_key] == pytest.approx(cvar, rel=1e-9)
    rf_annual = (1 + rf) ** 252 - 1
    assert d["treynor"] == pytest.approx((d["annual_return"] - rf_annual) / d["beta"], rel=1e-12)
    assert d["max_drawdown_duration"] == _naive_duration(x)
    wealth = np.cumprod(1 + np.array(x))
    assert d["current_drawdown"] == pytest.approx(wealth[-1] / max(1.0, wealth.max()) - 1)
    assert d["hhi"] == pytest.approx(0.3**2 + 0.25**2 + 0.2**2 + 0.1**2 + 0.08**2 + 0.07**2)
    assert d["hhi"] == pytest.approx(1 / effective_n(w))
    assert d["top5_weight"] == pytest.approx(0.93)
    assert d["risk_level"] == risk_level(d["volatility"])


def test_against_empyrical() -> None:
    r, b = _returns(11, 500)
    d = dict(extended_risk_metrics(r, b).to_numpy())
    assert d["cvar_99"] == pytest.approx(-empyrical.conditional_value_at_risk(r, 0.01), rel=1e-12)
    month = pd.Series(compounded_returns(r.to_numpy()))
    assert d["var_95_1m"] == pytest.approx(-empyrical.value_at_risk(month, 0.05), rel=1e-12)
    assert d["var_99_1m"] == pytest.approx(-empyrical.value_at_risk(month, 0.01), rel=1e-12)
    assert d["cvar_95_1m"] == pytest.approx(
        -empyrical.conditional_value_at_risk(month, 0.05), rel=1e-12
    )
    beta = empyrical.beta(r, b)
    ann = empyrical.annual_return(r, period="daily")
    assert d["treynor"] == pytest.approx(ann / beta, rel=1e-9)
    # empyrical's running drawdown on the last day = current_drawdown
    wealth = empyrical.cum_returns(r, starting_value=1.0)
    assert d["current_drawdown"] == pytest.approx(
        wealth.iloc[-1] / max(1.0, wealth.max()) - 1, rel=1e-12
    )


def test_drawdown_duration_by_hand() -> None:
    # V: 1, 1.1 (peak, day 1), .99, 1.045, 1.1 (recovered day 4: 3 days), 1.21, 1.089 (open: 1 day)
    r = [0.1, -0.1, 1.045 / 0.99 - 1, 1.1 / 1.045 - 1, 0.1, -0.1]
    assert drawdown_duration(np.array(r)) == 3
    assert _naive_duration(r) == 3
    # an unrecovered drawdown from day 0 to the end counts to the last day
    assert drawdown_duration(np.array([-0.01, -0.01, 0.005, 0.001])) == 4
    assert drawdown_duration(np.array([0.01, 0.0, 0.02])) == 0
    rng = np.random.default_rng(5)
    for _ in range(50):
        x = rng.normal(0.0, 0.01, rng.integers(1, 80))
        assert drawdown_duration(x) == _naive_duration(x.tolist())


def test_compounded_returns_by_hand() -> None:
    got = compounded_returns(np.array([0.1, -0.1, 0.2]), days=2)
    np.testing.assert_allclose(got, [1.1 * 0.9 - 1, 0.9 * 1.2 - 1])
    assert compounded_returns(np.array([0.1]), days=2).size == 0


@pytest.mark.parametrize(
    ("vol", "level"),
    [
        (0.0, "Very Low"),
        (0.0199, "Very Low"),
        (0.02, "Low"),
        (0.0499, "Low"),
        (0.05, "Moderate"),
        (0.15, "High"),
        (0.20, "Very High"),
        (float("nan"), ""),
    ],
)
def test_risk_level_bounds(vol: float, level: str) -> None:
    assert risk_level(vol) == level


def test_risk_level_custom_thresholds() -> None:
    assert risk_level(0.03, (0.01, 0.02, 0.04, 0.08)) == "Moderate"
    r, _ = _returns()
    d = dict(extended_risk_metrics(r, risk_levels=(0.0, 0.0, 0.0, 0.0)).to_numpy())
    assert d["risk_level"] == "Very High"


def test_concentration_by_hand() -> None:
    hhi, top5 = concentration(pd.Series({"A": 50, "B": 30, "C": 20}))
    assert hhi == pytest.approx(0.25 + 0.09 + 0.04)
    assert top5 == pytest.approx(1.0)
    assert all(math.isnan(v) for v in concentration(pd.Series({"A": 0.0})))


def test_without_benchmark_or_weights() -> None:
    r, _ = _returns()
    d = dict(extended_risk_metrics(r).to_numpy())
    assert math.isnan(d["treynor"]) and math.isnan(d["hhi"]) and math.isnan(d["top5_weight"])
    short = dict(extended_risk_metrics(r.iloc[:10]).to_numpy())
    assert math.isnan(short["var_95_1m"]) and not math.isnan(short["cvar_99"])


def test_config_risk_levels() -> None:
    from fimonitor.config import parse_config
    from fimonitor.errors import ConfigError

    assert parse_config({}).risk_levels == (0.02, 0.05, 0.10, 0.20)
    cfg = parse_config({"risk_levels": {"very_low": 1.5, "low": 3, "moderate": 0.08, "high": 15}})
    assert cfg.risk_levels == pytest.approx((0.015, 0.03, 0.08, 0.15))
    with pytest.raises(ConfigError, match="risk_levels must increase"):
        parse_config({"risk_levels": {"very_low": 5, "low": 3, "moderate": 8, "high": 15}})
    with pytest.raises(ConfigError, match="unknown key 'extreme' in risk_levels"):
        parse_config(
            {"risk_levels": {"very_low": 1, "low": 3, "moderate": 8, "high": 15, "extreme": 30}}
        )
    with pytest.raises(ConfigError, match=r"risk_levels\.high is missing"):
        parse_config({"risk_levels": {"very_low": 1, "low": 3, "moderate": 8}})
