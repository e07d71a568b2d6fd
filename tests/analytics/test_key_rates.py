"""Key-rate DV01, rate scenarios and the key_rate_dv01 rule: hand cases and full repricing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fimonitor.analytics.duration_model import (
    NOMINAL_TENORS,
    ladder_values,
    model_durations,
    month_end_curves,
)
from fimonitor.analytics.duration_tables import specs_from_frame
from fimonitor.analytics.key_rates import (
    active_key_rate_dv01_history,
    key_rate_dv01,
    key_rate_dv01_alerts,
    rate_scenarios,
    scenario_shifts,
)
from fimonitor.data.curves import read_curve
from fimonitor.errors import InputError

DATA = Path(__file__).resolve().parents[2] / "data"
TENORS = ["2y", "5y", "10y", "30y"]


def _krd_rows(table: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(t, k, v) for t, vals in table.items() for k, v in zip(TENORS, vals, strict=True)],
        columns=["ticker", "tenor", "krd"],
    )


KRD = _krd_rows({"A": [1.0, 2.0, 0.0, 0.0], "B": [0.5, 1.0, 3.0, 4.0], "C": [0.0, 0.0, 1.0, 9.0]})
POS = pd.Series({"A": 600.0, "B": 300.0, "CASH": 100.0})  # MV 1,000
BENCH = pd.Series({"A": 0.5, "C": 0.5})


def test_key_rate_dv01_by_hand():
    out = key_rate_dv01(POS, KRD, BENCH, 1000.0).set_index(["ticker", "tenor"])
    assert list(out.index.get_level_values(0).unique()) == [
        "A", "B", "CASH", "PORTFOLIO", "BENCHMARK", "ACTIVE",
    ]  # fmt: skip
    assert out.loc[("A", "5y"), "krd_dv01"] == pytest.approx(600 * 2.0 * 1e-4)
    assert out.loc[("CASH", "10y"), "krd"] == 0.0
    # portfolio 10y: 0.3 * 3.0 = 0.9 y; DV01 = 300 * 3 * 1e-4
    assert out.loc[("PORTFOLIO", "10y"), "krd"] == pytest.approx(0.9)
    assert out.loc[("PORTFOLIO", "10y"), "krd_dv01"] == pytest.approx(0.09)
    # benchmark 30y: 0.5 * 9 = 4.5 y scaled to 1,000: 0.45 per bp
    assert out.loc[("BENCHMARK", "30y"), "krd_dv01"] == pytest.approx(0.45)
    assert out.loc[("ACTIVE", "30y"), "krd_dv01"] == pytest.approx(300 * 4 * 1e-4 - 0.45)
    assert out.loc[("ACTIVE", "2y"), "krd"] == pytest.approx(0.6 + 0.15 - 0.5)


def test_portfolio_key_rate_dv01_adds_up_to_dv01():
    """Σ_k PORTFOLIO krd_dv01 = Σ_i MV_i D_i 1e-4 (the pack's DV01) when Σ_k KRD = D."""
    out = key_rate_dv01(POS, KRD, BENCH, 1000.0)
    port = out[out["ticker"] == "PORTFOLIO"]["krd_dv01"].sum()
    assert port == pytest.approx((600 * 3.0 + 300 * 8.5) * 1e-4)
    scaled = key_rate_dv01(POS * 7, KRD, BENCH, 7000.0)  # metamorphic: scale the book
    np.testing.assert_allclose(scaled["krd_dv01"], out["krd_dv01"] * 7)


def test_scenario_shifts():
    s = scenario_shifts() / 1e-4
    np.testing.assert_allclose(s.loc["parallel_up_100"], 100.0)
    np.testing.assert_allclose(s.loc["steepener"], [-50, -50 + 300 / 28, -50 + 800 / 28, 50])
    np.testing.assert_allclose(s.loc["flattener"], -s.loc["steepener"])


def test_rate_scenarios_by_hand():
    conv = pd.Series({"A": 10.0, "B": 60.0, "C": 100.0})
    out = rate_scenarios(POS, KRD, conv, BENCH, 1000.0).set_index("scenario")
    dy = 0.01  # parallel: -D dy + ½ C dy²
    a = -3.0 * dy + 0.5 * 10 * dy**2
    b = -8.5 * dy + 0.5 * 60 * dy**2
    c = -10.0 * dy + 0.5 * 100 * dy**2
    assert out.loc["parallel_up_100", "portfolio_pnl"] == pytest.approx(600 * a + 300 * b)
    assert out.loc["parallel_up_100", "benchmark_pnl"] == pytest.approx(1000 * (0.5 * a + 0.5 * c))
    # steepener for A: Δy = (-50, -50 + 300/28) bp on (2y, 5y): first = 1*Δy2 + 2*Δy5
    d2, d5 = -0.005, (-50 + 300 / 28) * 1e-4
    first = 1.0 * d2 + 2.0 * d5
    ra = -first + 0.5 * 10 * (first / 3.0) ** 2
    st = out.loc["steepener"]
    assert st["active_pnl"] == pytest.approx(st["portfolio_pnl"] - st["benchmark_pnl"])
    only_a = rate_scenarios(POS[["A"]], KRD, conv, BENCH, 600.0).set_index("scenario")
    assert only_a.loc["steepener", "portfolio_pnl"] == pytest.approx(600 * ra)


def test_scenarios_match_full_repricing_of_model_ladders():
    """A book of model ladders on the 2026-04 curve: the KRD + convexity P&L is within the
    convexity error of repricing every bond (bp-exact cash flows, shifted curve)."""
    table = pd.read_csv(DATA / "duration_model.csv", dtype=str, keep_default_na=False)
    specs = specs_from_frame(table)
    names = ["SHY", "GOVT", "TLT", "LQD", "HYG", "MBB"]
    nominal = read_curve(DATA / "treasury_yields.csv", ("DGS",), required=True)
    nominal = nominal[[c for c in nominal.columns if c in NOMINAL_TENORS]]
    month = pd.PeriodIndex(["2026-04"], freq="M")
    sub = {n: specs[n] for n in names}
    model = model_durations(sub, nominal, months=month)
    krd = model.melt(["month", "ticker"], [f"krd_{t}" for t in TENORS], "tenor", "krd")
    krd["tenor"] = krd["tenor"].str.removeprefix("krd_")
    conv = model.set_index("ticker")["convexity"]
    mv = pd.Series([1e6, 2e6, 1.5e6, 1e6, 0.5e6, 2e6], index=names)
    bench = pd.Series(1 / len(names), index=names)
    shifts = scenario_shifts()
    approx = rate_scenarios(mv, krd, conv, bench, mv.sum(), shifts).set_index("scenario")

    cv = month_end_curves(nominal, NOMINAL_TENORS).loc[month]
    nodes = np.array([NOMINAL_TENORS[c] for c in cv.columns])
    full = pd.DataFrame(
        {
            n: ladder_values(sub[n], cv.to_numpy(), nodes, 0.0, shifts.to_numpy())[0] - 1
            for n in names
        },
        index=shifts.index,
    )
    full_port = full @ mv
    conv_term = (0.5 * conv * 0.01**2 * mv).sum()  # size of the convexity term at 100 bp
    first_only = -(mv * model.set_index("ticker")["duration"] * 0.01).sum()
    for s in ("parallel_up_100", "parallel_down_100"):
        err = abs(approx.loc[s, "portfolio_pnl"] - full_port[s])
        assert err < 0.1 * conv_term  # third-order remainder, far below the convexity term
        assert abs(first_only * np.sign(shifts.loc[s, "2y"]) - full_port[s]) > 5 * err
    for s in ("steepener", "flattener"):
        assert abs(approx.loc[s, "portfolio_pnl"] - full_port[s]) < 0.25 * conv_term


def test_key_rate_rule_alerts():
    dates = pd.to_datetime(["2026-04-29", "2026-04-30"])
    active = pd.DataFrame(
        {"2y": [100.0, -600.0], "5y": [500.0, 0.0], "10y": [-1200.0, 1000.0], "30y": [0.0, 0.0]},
        index=dates,
    )
    out = key_rate_dv01_alerts(active, warn=500.0, breach=1000.0)
    assert list(out.columns) == ["date", "rule", "ticker", "value", "limit", "severity"]
    got = [
        (d.day, t, v, lim, sev)
        for d, t, v, lim, sev in out.drop(columns="rule").itertuples(index=False)
    ]
    # exactly at a limit gives nothing (5y 500 on the 29th is not a WARN; 10y 1000 not a BREACH)
    assert got == [
        (29, "10y", 1200.0, 1000.0, "BREACH"),
        (30, "2y", 600.0, 500.0, "WARN"),
        (30, "10y", 1000.0, 500.0, "WARN"),
    ]
    assert (out["rule"] == "key_rate_dv01").all()
    assert key_rate_dv01_alerts(active, warn=None, breach=None).empty
    with pytest.raises(InputError, match=r"warn 2\.0 must not exceed breach 1\.0"):
        key_rate_dv01_alerts(active, warn=2.0, breach=1.0)


def test_bad_inputs():
    with pytest.raises(InputError, match="tenor '7y'"):
        key_rate_dv01(
            POS, pd.DataFrame({"ticker": ["A"], "tenor": ["7y"], "krd": [1.0]}), BENCH, 1.0
        )
    with pytest.raises(InputError, match="market_value"):
        key_rate_dv01(POS, KRD, BENCH, 0.0)


def test_active_history_matches_the_one_day_table():
    """Two months of KRDs, three dates; each date equals key_rate_dv01's ACTIVE rows."""
    krd_m = pd.concat(
        [
            KRD.assign(month="2026-03"),
            KRD.assign(month="2026-04", krd=KRD["krd"] * 1.1),
        ]
    )
    dates = pd.to_datetime(["2026-03-31", "2026-04-01", "2026-04-02"])
    w = pd.DataFrame([[0.6, 0.3, 0.1], [0.5, 0.4, 0.1], [0.6, 0.3, 0.1]], dates, ["A", "B", "CASH"])
    b = pd.DataFrame([[0.5, 0.0, 0.5]] * 3, dates, ["A", "B", "C"])
    v = pd.Series([1000.0, 2000.0, 1500.0], dates)
    hist = active_key_rate_dv01_history(w, b, v, krd_m)
    for d in dates:
        month = d.strftime("%Y-%m")
        one = key_rate_dv01(
            w.loc[d] * v[d], krd_m[krd_m["month"] == month], b.loc[d], v[d]
        ).set_index(["ticker", "tenor"])
        for t in TENORS:
            assert hist.loc[d, t] == pytest.approx(one.loc[("ACTIVE", t), "krd_dv01"], abs=1e-12)
