"""run_rebalances on the tiny hand-made book: the three scenarios, rule re-evaluation with the
monitor's engine, orders that reproduce the comparison weights, costs, infeasible and
inaccurate outcomes."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

from fimonitor.analytics.exposures import compute_history, positions_on
from fimonitor.rebalance import optimizer
from fimonitor.rebalance.scenarios import (
    SCENARIO_ORDER_COLUMNS,
    SCENARIO_SUMMARY_COLUMNS,
    run_rebalances,
)
from fimonitor.results import COMPARISON_COLUMNS
from fimonitor.rules.engine import counts, evaluate_positions

REASONS = {
    "to_benchmark",
    "cap:max_single_name_weight",
    "band:duration",
    "floor:min_cash",
    "turnover",
    "residual",
}


@pytest.fixture
def tiny_positions(tiny_book):
    h = compute_history(tiny_book)
    as_of = h.dates[-1]
    return positions_on(h, as_of), as_of


def with_rebalance(cfg, **kw):
    if "group_caps" in kw:
        kw["group_caps"] = MappingProxyType(kw["group_caps"])
    return replace(cfg, rebalance=replace(cfg.rebalance, **kw))


def post_state(pos: pd.DataFrame, orders: pd.DataFrame, scenario: str, cost: float):
    """Shares and weights rebuilt from the orders alone (independent of the optimiser)."""
    sh = pos.set_index("ticker")["shares"].astype(float).copy()
    price = pos.set_index("ticker")["price"].astype(float).copy()
    price["CASH"] = 1.0
    o = orders[orders["scenario"] == scenario]
    sign = np.where(o["side"] == "BUY", 1.0, -1.0)
    for t, n, s in zip(o["ticker"], o["shares"], sign, strict=True):
        sh[t] += s * n
    sh["CASH"] -= (sign * o["notional"].to_numpy()).sum() + cost
    mv = sh * price
    return sh, mv / mv.sum(), mv.sum()


def test_three_scenarios_on_the_tiny_book(tiny_positions, tiny_config):
    pos, as_of = tiny_positions
    out = run_rebalances(pos, tiny_config, as_of)
    assert list(out.orders.columns) == SCENARIO_ORDER_COLUMNS
    assert list(out.comparison.columns) == COMPARISON_COLUMNS
    assert list(out.summary.columns) == SCENARIO_SUMMARY_COLUMNS
    assert list(out.summary["scenario"]) == ["PRE", "POST_MIN", "POST_BM", "POST_CONS"]
    assert len(out.comparison) == 4 * len(pos)
    assert out.status == "optimal"
    value = float(pos["market_value"].sum())
    comp = out.comparison.pivot(index="ticker", columns="scenario", values="weight")
    pre_w = pos.set_index("ticker")["weight"]
    np.testing.assert_allclose(comp["PRE"].reindex(pre_w.index), pre_w, atol=1e-12)
    bmw = pos.set_index("ticker")["benchmark_weight"]
    for scen in ("POST_BM", "POST_CONS"):
        sh, w, total = post_state(pos, out.orders, scen, 0.0)
        assert total == pytest.approx(value)
        np.testing.assert_allclose(comp[scen].reindex(w.index), w, atol=1e-12)
        assert (sh.drop("CASH") == np.floor(sh.drop("CASH"))).all()
        assert sh["CASH"] >= 0
    # POST_BM within one share of the benchmark
    sh, _, total = post_state(pos, out.orders, "POST_BM", 0.0)
    px = pos.set_index("ticker")["price"]
    nc = [t for t in sh.index if t != "CASH"]
    assert (abs(sh[nc] - bmw[nc] * total / px[nc]) <= 1).all()
    # POST_CONS keeps every rebalance: limit (tiny rules: 45 %, 5 %, ±0.25 y, hy 10 %)
    _, w, _ = post_state(pos, out.orders, "POST_CONS", 0.0)
    p = pos.set_index("ticker")
    single = ~p["is_cash_proxy"] & (p.index != "CASH")
    assert w[single].max() <= 0.45 + 1e-12
    assert w[p["is_cash_proxy"] | (p.index == "CASH")].sum() >= 0.05 - 1e-12
    dur = p["duration"].fillna(0.0)
    assert abs((w * dur).sum() - (bmw * dur).sum()) <= 0.25 + 1e-12
    assert w[p["group"] == "hy_credit"].sum() <= 0.10 + 1e-12
    row = out.summary.set_index("scenario").loc["POST_CONS"]
    assert row["duration_gap"] == pytest.approx((w * dur).sum() - (bmw * dur).sum())
    cons = out.orders[out.orders["scenario"] == "POST_CONS"]
    assert row["turnover"] == pytest.approx(cons["notional"].sum() / value)
    cons_reasons = out.orders.loc[out.orders["scenario"] != "POST_MIN", "reason"]
    assert set(cons_reasons) <= REASONS | {"group_cap:hy_credit"}
    assert (out.orders.loc[out.orders["scenario"] == "POST_BM", "reason"] == "to_benchmark").all()
    assert len(out.binding) >= 1 and out.binding["text"].str.contains("points").all()


def test_rule_counts_come_from_the_monitor_engine(tiny_positions, tiny_config):
    pos, as_of = tiny_positions
    out = run_rebalances(pos, tiny_config, as_of)
    pre = out.summary.set_index("scenario").loc["PRE"]
    assert (pre["n_breach"], pre["n_warn"]) == counts(
        evaluate_positions(pos, tiny_config.rules, as_of)
    )
    assert pre["turnover"] == 0.0


def test_costs_are_paid_from_cash(tiny_positions, tiny_config):
    pos, as_of = tiny_positions
    cfg = with_rebalance(tiny_config, cost_bps=20.0)
    out = run_rebalances(pos, cfg, as_of)
    value = float(pos["market_value"].sum())
    s = out.summary.set_index("scenario")
    for scen in ("POST_BM", "POST_CONS"):
        notional = out.orders.loc[out.orders["scenario"] == scen, "notional"].sum()
        assert s.loc[scen, "est_cost"] == pytest.approx(20e-4 * notional)
        sh, w, total = post_state(pos, out.orders, scen, s.loc[scen, "est_cost"])
        assert total == pytest.approx(value - s.loc[scen, "est_cost"])
        assert sh["CASH"] >= 0
        comp = out.comparison[out.comparison["scenario"] == scen].set_index("ticker")["weight"]
        np.testing.assert_allclose(comp.reindex(w.index), w, atol=1e-12)


def test_infeasible_constraints_keep_pre_and_name_the_conflict(tiny_positions, tiny_config):
    pos, as_of = tiny_positions
    # four non-cash names capped at 10 % cannot reach the benchmark duration (7.5 y) ± 0.25
    cfg = with_rebalance(tiny_config, max_single_name_weight=0.1, duration_band=0.25)
    out = run_rebalances(pos, cfg, as_of)
    assert out.status == "infeasible"
    row = out.summary.set_index("scenario").loc["POST_CONS"]
    assert row["status"] == "infeasible" and row["turnover"] == 0.0
    assert "max_single_name_weight, duration_band" in out.diagnosis
    assert row["diagnosis"] == out.diagnosis
    assert (out.orders["scenario"] == "POST_CONS").sum() == 0
    comp = out.comparison.pivot(index="ticker", columns="scenario", values="weight")
    np.testing.assert_allclose(comp["POST_CONS"], comp["PRE"], atol=1e-15)
    assert out.binding.empty


def test_turnover_and_min_trade_are_honoured(tiny_positions, tiny_config):
    pos, as_of = tiny_positions
    cfg = with_rebalance(tiny_config, max_turnover=0.4, min_trade_notional=3000.0)
    out = run_rebalances(pos, cfg, as_of)
    assert out.status == "optimal"
    row = out.summary.set_index("scenario").loc["POST_CONS"]
    assert row["turnover"] <= 0.4 + 1e-12
    cons = out.orders[out.orders["scenario"] == "POST_CONS"]
    assert (cons["notional"] >= 3000.0).all()
    assert "max_turnover" in set(out.binding["constraint"])


def test_inaccurate_solve_is_reported_not_optimal(tiny_positions, tiny_config, monkeypatch):
    pos, as_of = tiny_positions
    monkeypatch.setattr(optimizer, "RESIDUAL_TOL", -1.0)
    out = run_rebalances(pos, tiny_config, as_of)
    assert out.status == "inaccurate"
    assert "residual" in out.diagnosis
    assert (out.orders["scenario"] == "POST_CONS").sum() == 0


def test_demo_book_post_cons_keeps_every_limit():
    from conftest import DATA

    from fimonitor.config import load_config
    from fimonitor.data.loaders import load_book

    book = load_book(DATA)
    cfg = load_config(DATA / "monitor.yaml")
    h = compute_history(book)
    as_of = h.dates[-1]
    pos = positions_on(h, as_of)
    out = run_rebalances(pos, cfg, as_of)
    assert out.status == "optimal", out.diagnosis
    r = cfg.rebalance
    sh, w, total = post_state(pos, out.orders, "POST_CONS", 0.0)
    assert total == pytest.approx(float(pos["market_value"].sum()))
    assert (sh.drop("CASH") == np.floor(sh.drop("CASH"))).all() and sh["CASH"] >= 0
    p = pos.set_index("ticker")
    cash_set = p["is_cash_proxy"] | (p.index == "CASH")
    assert w[~cash_set].max() <= r.max_single_name_weight + 1e-12
    assert w[cash_set].sum() >= r.min_cash_weight - 1e-12
    dur = p["duration"].fillna(0.0)
    bmw = p["benchmark_weight"]
    assert abs((w * dur).sum() - (bmw * dur).sum()) <= r.duration_band + 1e-12
    for g, cap in r.group_caps.items():
        assert w[p["group"] == g].sum() <= cap + 1e-12
    bm_sh, _, bm_total = post_state(pos, out.orders, "POST_BM", 0.0)
    nc = [t for t in bm_sh.index if t != "CASH"]
    assert (abs(bm_sh[nc] - bmw[nc] * bm_total / p.loc[nc, "price"]) <= 1).all()
