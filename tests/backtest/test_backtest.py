"""Backtest of rebalancing policies (docs/definitions.md) against a direct day-by-day simulation."""

from __future__ import annotations

import io
import math
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import empyrical
import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from fimonitor.backtest.engine import (
    BACKTEST_SUMMARY_COLUMNS,
    contribution_dates,
    normalise_targets,
    prepare_prices,
    run_backtest,
)
from fimonitor.backtest.policies import POLICY_NAMES, tiered_weights
from fimonitor.cli import main
from fimonitor.errors import DataGapError, InputError

os.environ.setdefault("MPLBACKEND", "Agg")


def _prices(
    seed: int = 0, n_days: int = 700, n: int = 4, start: str = "2021-01-04"
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n_days)
    vol = np.linspace(0.004, 0.02, n)
    rets = rng.normal(0.0003, vol, (n_days, n))
    return pd.DataFrame(
        50 * np.cumprod(1 + rets, axis=0), index=dates, columns=[f"T{i}" for i in range(n)]
    )


def _naive(
    prices: pd.DataFrame,
    w: np.ndarray,
    policy: str,
    *,
    capital: float = 100_000.0,
    bps: float = 0.0,
    flows: np.ndarray | None = None,
) -> tuple[np.ndarray, list, list]:
    """Day-by-day loop, written independently of the engine."""
    P = prices.to_numpy()
    dates = list(prices.index)
    c = bps / 10_000
    T = len(P)
    flows = np.zeros(T) if flows is None else flows
    h = capital * w / P[0]
    values = [float(h @ P[0])]
    traded_all, cost_all = [], []
    for t in range(1, T):
        h = h + flows[t] * w / P[t]
        x = h * P[t]
        V = x.sum()
        d0, d1 = dates[t - 1], dates[t]
        if policy == "calendar_monthly":
            go = (d0.year, d0.month) != (d1.year, d1.month)
        elif policy == "calendar_quarterly":
            go = (d0.year, (d0.month - 1) // 3) != (d1.year, (d1.month - 1) // 3)
        elif policy == "calendar_annual":
            go = d0.year != d1.year
        elif policy == "threshold_5":
            go = max(abs(x / V - w)) > 0.05
        else:
            go = False
        if go:
            if c > 0:
                vp = brentq(
                    lambda y, x=x, V=V: y + c * np.abs(y * w - x).sum() - V, 0.0, V, xtol=1e-12
                )
            else:
                vp = V
            traded = float(np.abs(vp * w - x).sum())
            traded_all.append(traded)
            cost_all.append(c * traded)
            h = vp * w / P[t]
        values.append(float(h @ P[t]))
    return np.array(values), traded_all, cost_all


W4 = np.array([0.4, 0.3, 0.2, 0.1])


@pytest.mark.parametrize(
    "policy",
    ["buy_and_hold", "calendar_monthly", "calendar_quarterly", "calendar_annual", "threshold_5"],
)
def test_policies_equal_direct_simulation_without_costs(policy: str) -> None:
    px = _prices()
    res = run_backtest(px, pd.Series(W4, index=px.columns))
    want, traded, _ = _naive(px, W4, policy)
    np.testing.assert_allclose(res.equity[policy].to_numpy(), want, rtol=1e-11)
    row = res.summary.set_index("policy").loc[policy]
    assert row["n_rebalances"] == len(traded)
    assert row["costs"] == 0.0
    assert row["final_value"] == pytest.approx(want[-1], rel=1e-11)


@pytest.mark.parametrize("policy", ["calendar_monthly", "calendar_annual", "threshold_5"])
def test_costs_equal_traded_notional_times_bps(policy: str) -> None:
    px = _prices(seed=3)
    w = pd.Series(W4, index=px.columns)
    free = run_backtest(px, w)
    res = run_backtest(px, w, cost_bps=25)
    want, traded, costs = _naive(px, W4, policy, bps=25)
    np.testing.assert_allclose(res.equity[policy].to_numpy(), want, rtol=1e-10)
    ev = res.runs[policy].events
    np.testing.assert_allclose(ev["traded_notional"], traded, rtol=1e-8)
    np.testing.assert_allclose(ev["cost"], 0.0025 * ev["traded_notional"], rtol=1e-12)
    # each rebalance lowers the value by exactly its cost, paid from the portfolio
    np.testing.assert_allclose(ev["value_before"] - ev["value_after"], ev["cost"], rtol=1e-9)
    row = res.summary.set_index("policy").loc[policy]
    assert row["costs"] == pytest.approx(sum(costs), rel=1e-8)
    assert row["final_value"] < free.summary.set_index("policy").loc[policy, "final_value"]


def test_hand_case_one_rebalance_with_costs() -> None:
    # two assets 50/50, A doubles on Jan 29, B flat; monthly rebalance on Feb 1.
    dates = pd.DatetimeIndex(["2024-01-26", "2024-01-29", "2024-02-01", "2024-02-02"])
    px = pd.DataFrame({"A": [10.0, 20.0, 20.0, 22.0], "B": [10.0, 10.0, 10.0, 10.0]}, index=dates)
    res = run_backtest(
        px,
        pd.Series({"A": 0.5, "B": 0.5}),
        capital=1000,
        cost_bps=100,
        policies=[p for p in _policies() if p.name == "calendar_monthly"],
    )
    # before: A 1000, B 500, V = 1500. V' = 1500 - 0.01 * (|V'/2 - 1000| + |V'/2 - 500|)
    # with 500 <= V'/2 <= 1000 the traded notional is 500 -> V' = 1495
    ev = res.runs["calendar_monthly"].events
    assert ev["traded_notional"].tolist() == pytest.approx([500.0])
    assert ev["cost"].tolist() == pytest.approx([5.0])
    # after: 747.5 in each -> A 37.375 shares; on Feb 2 A +10 %: 747.5*1.1 + 747.5
    assert res.equity["calendar_monthly"].tolist() == pytest.approx(
        [1000.0, 1500.0, 1495.0, 747.5 * 1.1 + 747.5]
    )


def _policies():
    from fimonitor.backtest.policies import POLICIES

    return POLICIES


def test_tiered_weights_bands() -> None:
    # policy rebalancer example (README): target 30, weight 37.5 -> 32.5 (middle of the band)
    cur = np.array([0.375, 0.20, 0.425])
    tgt = np.array([0.30, 0.25, 0.45])
    new = tiered_weights(cur, tgt)
    assert new[0] == pytest.approx(0.325)
    # proceeds 0.05 go to the largest shortfall first (0.05 for the second), never past target
    assert new[1] == pytest.approx(0.25)
    assert new[2] == pytest.approx(0.425)
    assert new.sum() == pytest.approx(1.0)
    # a drift above 10 points goes all the way to target
    new = tiered_weights(np.array([0.45, 0.25, 0.30]), np.array([0.30, 0.30, 0.40]))
    assert new[0] == pytest.approx(0.30) and new.sum() == pytest.approx(1.0)
    assert (new <= np.array([0.30, 0.30, 0.40]) + 1e-15).all()
    # an underweight beyond the band is funded by over-target holdings
    new = tiered_weights(np.array([0.18, 0.42, 0.40]), np.array([0.25, 0.38, 0.37]))
    assert new[0] == pytest.approx(0.225)
    assert new.sum() == pytest.approx(1.0)
    assert new[1] >= 0.38 - 1e-12 and new[2] >= 0.37 - 1e-12


def test_tiered_policy_keeps_drift_in_band_after_each_event() -> None:
    px = _prices(seed=5, n_days=1200)
    w = pd.Series(W4, index=px.columns)
    run = run_backtest(px, w).runs["tiered"]
    assert len(run.events) > 0
    hold = run.holdings.loc[run.events["date"]]
    weights = (hold * px.loc[run.events["date"]]).div(run.events["value_after"].to_numpy(), axis=0)
    assert (weights.sub(W4).abs() <= 0.05 + 1e-12).all().all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)


def test_summary_metrics_follow_section_9_and_empyrical() -> None:
    px = _prices(seed=8)
    res = run_backtest(px, pd.Series(W4, index=px.columns), rf=0.0)
    assert list(res.summary.columns) == BACKTEST_SUMMARY_COLUMNS
    assert res.summary["policy"].tolist() == list(POLICY_NAMES)
    n = len(px) - 1
    for _, row in res.summary.iterrows():
        v = res.equity[row["policy"]]
        r = v.pct_change().dropna()
        assert row["annual_return"] == pytest.approx((v.iloc[-1] / v.iloc[0]) ** (252 / n) - 1)
        assert row["annual_return"] == pytest.approx(empyrical.annual_return(r), rel=1e-9)
        assert row["volatility"] == pytest.approx(empyrical.annual_volatility(r), rel=1e-9)
        assert row["sharpe"] == pytest.approx(empyrical.sharpe_ratio(r), rel=1e-9)
        assert row["max_drawdown"] == pytest.approx(empyrical.max_drawdown(r), rel=1e-9)
        traded = res.runs[row["policy"]].events["traded_notional"].sum()
        assert row["turnover"] == pytest.approx(traded / v.mean() / (n / 252))


def test_contributions_invested_at_targets_and_twr() -> None:
    px = _prices(seed=2, n_days=300)
    w = pd.Series(W4, index=px.columns)
    res = run_backtest(px, w, contribution=1000, frequency="monthly")
    cdates = res.contributions.index
    flows = np.zeros(len(px))
    flows[px.index.get_indexer(cdates)] = 1000.0
    for policy in ("buy_and_hold", "calendar_monthly", "threshold_5"):
        want, _, _ = _naive(px, W4, policy, flows=flows)
        np.testing.assert_allclose(res.equity[policy].to_numpy(), want, rtol=1e-11)
    v = res.equity["buy_and_hold"]
    twr = (v - pd.Series(flows, index=px.index)) / v.shift(1) - 1
    growth = float(np.prod(1 + twr.iloc[1:]))
    row = res.summary.set_index("policy").loc["buy_and_hold"]
    assert row["annual_return"] == pytest.approx(growth ** (252 / (len(px) - 1)) - 1)
    # the money-weighted ratio final/first would be much larger: contributions are removed
    assert (v.iloc[-1] / v.iloc[0]) > 1.1 * growth


def test_contribution_dates_match_exchange_calendars() -> None:
    cal = xcals.get_calendar("XNYS", start="2023-12-01", end="2024-12-31")
    sess = pd.DatetimeIndex(cal.sessions_in_range("2024-01-02", "2024-12-31"))
    dates = sess.tz_localize(None) if sess.tz is not None else sess
    weekly = contribution_dates(dates, "weekly")
    # each Monday, or the next session when the Monday is a holiday (e.g. 2024-01-15 MLK day)
    mondays = pd.date_range("2024-01-08", "2024-12-31", freq="W-MON")
    want = [
        cal.date_to_session(m, direction="next").tz_localize(None)
        if cal.date_to_session(m, direction="next").tz is not None
        else cal.date_to_session(m, direction="next")
        for m in mondays
    ]
    assert list(weekly) == want
    assert pd.Timestamp("2024-01-16") in weekly and pd.Timestamp("2024-01-15") not in weekly
    monthly = contribution_dates(dates, "monthly")
    assert list(monthly[:3]) == [
        pd.Timestamp(d) for d in ("2024-02-01", "2024-03-01", "2024-04-01")
    ]
    assert pd.Timestamp("2024-09-03") in monthly  # Sept 2 2024 is Labor Day


def test_capital_scaling_and_percent_targets() -> None:
    px = _prices(seed=4)
    a = run_backtest(px, normalise_targets({"T0": 40, "T1": 30, "T2": 20, "T3": 10}), cost_bps=10)
    b = run_backtest(
        px,
        normalise_targets({"T0": 0.4, "T1": 0.3, "T2": 0.2, "T3": 0.1}),
        capital=200_000,
        cost_bps=10,
    )
    np.testing.assert_allclose(b.equity.to_numpy(), 2 * a.equity.to_numpy(), rtol=1e-10)
    pd.testing.assert_series_equal(a.summary["n_rebalances"], b.summary["n_rebalances"])
    with pytest.raises(InputError, match="sum to 90"):
        normalise_targets({"T0": 50, "T1": 40})


def test_prepare_prices_starts_when_all_have_prices() -> None:
    px = _prices(n_days=20)
    px.iloc[:5, 1] = np.nan
    px.iloc[10, 2] = np.nan
    out, notes = prepare_prices(px, ["T0", "T1", "T2"])
    assert out.index[0] == px.index[5]
    assert out.iloc[5 - 5 + 5]["T2"] == px.iloc[9, 2]  # gap filled forward
    assert notes and "T2 (1 day)" in notes[0]
    with pytest.raises(DataGapError, match="ticker XX"):
        prepare_prices(px, ["T0", "XX"])


def test_large_backtest_is_fast() -> None:
    import time

    px = _prices(seed=1, n_days=2520, n=20)
    w = pd.Series(1 / 20, index=px.columns)
    run_backtest(px, w, cost_bps=5)  # warm-up
    t0 = time.perf_counter()
    run_backtest(px, w, cost_bps=5)
    assert time.perf_counter() - t0 < 1.0


# --------------------------------------------------------------------------- the command
def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_command_writes_outputs(tiny_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "bt"
    code, text, err = _run(
        "backtest", "--data", str(tiny_dir), "--out", str(out), "--cost-bps", "10"
    )
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == [
        "backtest_equity.csv",
        "backtest_equity.png",
        "backtest_summary.csv",
    ]
    summary = pd.read_csv(out / "backtest_summary.csv")
    assert list(summary.columns) == BACKTEST_SUMMARY_COLUMNS
    assert summary["policy"].tolist() == list(POLICY_NAMES)
    eq = pd.read_csv(out / "backtest_equity.csv")
    assert list(eq.columns) == ["date", *POLICY_NAMES]
    assert eq["date"].iloc[0] == "2024-01-29" and len(eq) == 10
    assert eq.iloc[0, 1:].tolist() == [100000.0] * 6
    assert "calendar_monthly" in text and "benchmark weights" in text
    # tiny book benchmark: TSY 50, IGC 30, BMK 20; a month change on 2024-02-01
    row = summary.set_index("policy").loc["calendar_monthly"]
    assert row["n_rebalances"] == 1 and row["costs"] > 0
    # the buy-and-hold value by hand
    p0 = {"TSY": 100.0, "IGC": 50.0, "BMK": 20.0}
    p9 = {"TSY": 102.0, "IGC": 51.0, "BMK": 21.0}
    w = {"TSY": 0.5, "IGC": 0.3, "BMK": 0.2}
    bh = sum(100_000 * w[t] / p0[t] * p9[t] for t in w)
    assert summary.set_index("policy").loc["buy_and_hold", "final_value"] == pytest.approx(bh)


def test_command_targets_yaml_and_errors(tiny_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("cash: 0\ntargets: {TSY: 60, HYB: 40}\n")
    code, _, err = _run(
        "backtest",
        "--data",
        str(tiny_dir),
        "--targets",
        str(tmp_path / "p.yaml"),
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 0, err
    s = pd.read_csv(tmp_path / "o" / "backtest_summary.csv").set_index("policy")
    want = 100_000 * (0.6 * 102 / 100 + 0.4 * 88 / 80)
    assert s.loc["buy_and_hold", "final_value"] == pytest.approx(want)
    # a category's target goes to its first ticker; fractions equal percentages
    (tmp_path / "cat.yaml").write_text(
        "targets: {TSY: 0.6, credit: 0.4}\ncategories: {credit: [HYB, IGC]}\n"
    )
    code, text, err = _run(
        "backtest",
        "--data",
        str(tiny_dir),
        "--targets",
        str(tmp_path / "cat.yaml"),
        "--out",
        str(tmp_path / "oc"),
    )
    assert code == 0, err
    assert "category credit -> HYB" in text
    s2 = pd.read_csv(tmp_path / "oc" / "backtest_summary.csv").set_index("policy")
    pd.testing.assert_frame_equal(s2, s)
    (tmp_path / "bad.yaml").write_text("targets: {TSY: 60, HYB: 30}\n")
    code, _, err = _run(
        "backtest",
        "--data",
        str(tiny_dir),
        "--targets",
        str(tmp_path / "bad.yaml"),
        "--out",
        str(tmp_path / "o2"),
    )
    assert code == 2 and "bad.yaml: targets sum to 90" in err
    assert not (tmp_path / "o2").exists() or not any((tmp_path / "o2").iterdir())
    (tmp_path / "unk.yaml").write_text("targets: {TSY: 60, NOPE: 40}\n")
    code, _, err = _run(
        "backtest",
        "--data",
        str(tiny_dir),
        "--targets",
        str(tmp_path / "unk.yaml"),
        "--out",
        str(tmp_path / "o3"),
    )
    assert code == 2 and "ticker NOPE" in err
    code, _, err = _run("backtest", "--data", str(tiny_dir), "--start", "2024-02-30")
    assert code == 2 and "--start '2024-02-30' is not a date" in err
    code, _, err = _run("backtest", "--data", str(tiny_dir), "--contribution", "100")
    assert code == 2 and "--frequency" in err


def test_command_rerun_replaces_files_and_leaves_no_temp(tiny_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "bt"
    out.mkdir()
    (out / "keep.txt").write_text("user file")
    for bps in ("0", "50"):
        code, _, err = _run(
            "backtest", "--data", str(tiny_dir), "--out", str(out), "--cost-bps", bps
        )
        assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == [
        "backtest_equity.csv",
        "backtest_equity.png",
        "backtest_summary.csv",
        "keep.txt",
    ]
    s = pd.read_csv(out / "backtest_summary.csv").set_index("policy")
    assert s.loc["calendar_monthly", "costs"] > 0
    assert not math.isnan(s.loc["buy_and_hold", "volatility"])


# --------------------------------------------------------------------------- rules replay
def test_rules_replay_counts_match_panels(tiny_book, tiny_config) -> None:
    from fimonitor.analytics.exposures import compute_history
    from fimonitor.backtest.rules_replay import COLUMNS, replay_rules

    h = compute_history(tiny_book)
    table = replay_rules(h, tiny_config.rules, widths=(0.5, 1.0, 2.0))
    assert list(table.columns) == COLUMNS
    t = table.set_index(["rule", "group", "width"])
    # min_cash_weight (warn 0.20, breach 0.10) straight from the cash-weight panel
    cash = h.cash_weight
    for m in (0.5, 1.0, 2.0):
        row = t.loc[("min_cash_weight", "", m)]
        below = cash[cash < 0.20 * m - 1e-12]
        assert row["alert_days"] == len(below)
        assert row["breach_days"] == int((cash < 0.10 * m - 1e-12).sum())
        assert row["days"] == len(h.dates)
        if len(below):
            assert row["cure_turnover_mean"] == pytest.approx(float((0.20 * m - below).mean()))
    # max_single_name_weight: any non-cash, non-proxy holding above warn
    single = [
        c
        for c in h.weights.columns
        if c != "CASH" and not bool(h.securities.loc[c, "is_cash_proxy"])
    ]
    w = h.weights[single]
    for m in (0.5, 1.0, 2.0):
        row = t.loc[("max_single_name_weight", "", m)]
        assert row["alert_days"] == int((w > 0.35 * m + 1e-12).any(axis=1).sum())
        excess = (w - 0.35 * m).clip(lower=0).sum(axis=1)
        fired = excess[excess > 1e-12]
        if len(fired):
            assert row["cure_turnover_max"] == pytest.approx(float(fired.max()))
    # wider limits never fire more often on max-type rules
    for rule in ("max_single_name_weight", "active_weight", "duration_gap"):
        days = [t.loc[(rule, "", m), "alert_days"] for m in (0.5, 1.0, 2.0)]
        assert days == sorted(days, reverse=True)
    assert t.loc[("group_max_weight", "hy_credit", 1.0), "warn"] == pytest.approx(0.15)


def test_rules_replay_command(tiny_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "rr"
    code, text, err = _run(
        "backtest", "--rules", "--data", str(tiny_dir), "--out", str(out), "--widths", "0.5,1"
    )
    assert code == 0, err
    table = pd.read_csv(out / "rules_replay.csv")
    assert sorted(table["width"].unique()) == [0.5, 1.0]
    assert "min_cash_weight" in text and "Rules replay 2024-01-29" in text
    code, _, err = _run(
        "backtest", "--rules", "--data", str(tiny_dir), "--widths", "a,b", "--out", str(out)
    )
    assert code == 2 and "--widths" in err
