"""POST_MIN (least trade that cures): hand-solved books, an independent LP on random books,
whole-share property tests, the real rule engine after trading, infeasible diagnosis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers.rebalance import frame, random_frame, scenario_positions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from fimonitor.config import parse_config
from fimonitor.errors import ConfigError
from fimonitor.rebalance.least_trade import least_trade
from fimonitor.rebalance.rounding import failing, violations
from fimonitor.rebalance.scenarios import (
    book_from_positions,
    limits_from_config,
    run_rebalances,
)
from fimonitor.rules.engine import counts, evaluate_positions

AS_OF = pd.Timestamp("2025-01-02")


def cfg(rules: dict | None = None, **rebalance):
    return parse_config({"rules": rules or {}, "rebalance": rebalance})


def solve(pos: pd.DataFrame, config, **kw):
    book = book_from_positions(pos)
    r = config.rebalance
    args = {
        "cure": r.cure,
        "cost_rate": r.cost_bps / 1e4,
        "min_trade_notional": r.min_trade_notional,
        "whole_shares": r.whole_shares,
        **kw,
    }
    return book, least_trade(book, limits_from_config(config), config.rules, **args)


def trades(book, res) -> dict[str, float]:
    """Signed share trades by ticker (non-zero only)."""
    ds = res.settled.shares - book.shares
    return {
        str(t): float(d) for t, d, tr in zip(book.tickers, ds, book.traded, strict=True) if tr and d
    }


def engine_counts(pos, book, res, config) -> tuple[int, int]:
    after = scenario_positions(pos, book, res.settled)
    return counts(evaluate_positions(after, config.rules, AS_OF))


ACTIVE = {"active_weight": {"warn": 0.03, "breach": 0.05}}


# --- hand-solved books (price 1, so shares = currency; V = 1,000) ---------------------------


def one_breach_book():
    # benchmark A 50 %, B 45 %, CASH 5 %; held A 56 % (+6 % BREACH), B 44 %, cash 0 (-5 %: at
    # the limit, no alert). Least trade: sell exactly 10 A (A -> 55 %), proceeds to cash.
    rows = [("A", "x", False, 560, 1.0, 0.50, 5.0), ("B", "x", False, 440, 1.0, 0.45, 5.0)]
    return frame(rows, 0.0).assign(benchmark_weight=[0.50, 0.45, 0.05])


def test_one_breach_by_hand():
    pos = one_breach_book()
    config = cfg(ACTIVE)
    book, res = solve(pos, config)
    assert res.status == "optimal"
    assert trades(book, res) == {"A": -10.0}
    assert res.settled.turnover == pytest.approx(0.01, abs=1e-12)
    assert res.continuous_turnover == pytest.approx(0.01, rel=1e-9)
    assert res.rounding_cost == pytest.approx(0.0, abs=1e-9)
    a = int(np.flatnonzero(book.tickers == "A")[0])
    assert res.reasons[a] == "cures BREACH active_weight A 6.00 % > 5 %"
    assert engine_counts(pos, book, res, config)[0] == 0


def test_cure_warn_trades_more_than_cure_breach():
    # warn 3 %: A <= 53 % (sell 30); the cash WARN (-5 %) is cured by the same sale (-2 %)
    pos = one_breach_book()
    config = cfg(ACTIVE, cure="warn")
    book, res = solve(pos, config)
    assert res.status == "optimal"
    assert trades(book, res) == {"A": -30.0}
    assert engine_counts(pos, book, res, config) == (0, 0)
    _, res_b = solve(pos, cfg(ACTIVE))
    assert res_b.settled.turnover < res.settled.turnover


def test_two_interacting_breaches_one_sale_cures_both():
    # bench A 50 %, B 48 %, CASH 2 %; held A 57 % (+7 % BREACH), B 43 % (-5 %, at the limit),
    # cash 0 (min cash 2 % BREACH). Selling 20 A cures both: A 55 %, cash 2 %.
    pos = frame(
        [("A", "x", False, 570, 1.0, 0.50, 5.0), ("B", "x", False, 430, 1.0, 0.48, 5.0)], 0.0
    ).assign(benchmark_weight=[0.50, 0.48, 0.02])
    rules = {**ACTIVE, "min_cash_weight": {"warn": 0.03, "breach": 0.02}}
    config = cfg(rules)
    book, res = solve(pos, config)
    assert res.status == "optimal"
    assert trades(book, res) == {"A": -20.0}
    assert res.settled.weights[book.cash_index] == pytest.approx(0.02, abs=1e-12)
    assert engine_counts(pos, book, res, config)[0] == 0


def test_switch_when_cash_cannot_absorb():
    # bench A 50 %, B 50 %; held A 56 %, B 44 %: both +-6 % BREACH, and CASH (bench 0) may not
    # exceed 5 %. Selling 10 A and buying 10 B is the least (2 % turnover).
    pos = frame([("A", "x", False, 560, 1.0, 0.5, 5.0), ("B", "x", False, 440, 1.0, 0.5, 5.0)], 0.0)
    book, res = solve(pos, cfg(ACTIVE))
    assert trades(book, res) == {"A": -10.0, "B": 10.0}
    assert res.settled.turnover == pytest.approx(0.02)


def test_group_cap_by_hand():
    # hy (A, B) at 40 % with a 30 % cap; active limit 5 %: A may fall to 15 %, B (at -5 %)
    # cannot be sold, cash may hold only 5 %: sell 100 A, buy 50 C -> 15 % turnover.
    pos = frame(
        [
            ("A", "hy", False, 250, 1.0, 0.2, 4.0),
            ("B", "hy", False, 150, 1.0, 0.2, 4.0),
            ("C", "ig", False, 600, 1.0, 0.6, 6.0),
        ],
        0.0,
    )
    config = cfg(ACTIVE, group_caps={"hy": 0.30})
    book, res = solve(pos, config)
    assert res.status == "optimal"
    assert trades(book, res) == {"A": -100.0, "C": 50.0}
    assert res.settled.turnover == pytest.approx(0.15)
    c = int(np.flatnonzero(book.tickers == "C")[0])
    assert res.reasons[c] == "keeps active_weight CASH 5 %"


@pytest.mark.parametrize(
    ("config", "sold"),
    [
        # rebalance band 0.25 y: D = 6.8 -> 6.25 by selling 55 of A (duration 10) into cash
        (cfg(duration_band=0.25), 55.0),
        # rule duration_gap breach 0.5 y: D -> 6.5, sell 30 A
        (cfg({"duration_gap": {"warn": 0.25, "breach": 0.5}}), 30.0),
        # cure warn: within 0.25 y again
        (cfg({"duration_gap": {"warn": 0.25, "breach": 0.5}}, cure="warn"), 55.0),
    ],
)
def test_duration_by_hand(config, sold):
    # bench A 50 % (10 y), B 50 % (2 y): D_b = 6; held A 60 %, B 40 %: D = 6.8 (gap 0.8 y).
    # Selling A into cash lowers D by 10 y per unit weight; a switch A -> B only by 8 y per unit
    # at twice the turnover; selling B (2 y) barely helps.
    pos = frame(
        [("A", "x", False, 600, 1.0, 0.5, 10.0), ("B", "x", False, 400, 1.0, 0.5, 2.0)], 0.0
    )
    book, res = solve(pos, config)
    assert res.status == "optimal"
    assert trades(book, res) == {"A": -sold}
    assert engine_counts(pos, book, res, config)[0] == 0


def test_min_trade_notional_changes_the_answer():
    pos = one_breach_book()
    book, res = solve(pos, cfg(ACTIVE, min_trade_notional=25))
    assert trades(book, res) == {"A": -25.0}
    assert res.continuous_turnover == pytest.approx(0.01)
    assert res.rounding_cost == pytest.approx(0.015)
    # fractional shares, same threshold: still 25 (the MILP runs without integrality)
    book, res = solve(pos, cfg(ACTIVE, min_trade_notional=25, whole_shares=False))
    assert trades(book, res) == pytest.approx({"A": -25.0})


def test_whole_shares_round_to_the_next_share():
    # price 4: A must fall to <= 550 of value -> sell ceil(10 / 4) = 3 shares (12)
    pos = frame(
        [("A", "x", False, 560 / 4, 4.0, 0.5, 5.0), ("B", "x", False, 440, 1.0, 0.45, 5.0)], 0.0
    ).assign(benchmark_weight=[0.50, 0.45, 0.05])
    book, res = solve(pos, cfg(ACTIVE))
    assert trades(book, res) == {"A": -3.0}  # 3 shares x 4 = 12 >= 10
    assert res.rounding_cost == pytest.approx(0.002)
    book, res = solve(pos, cfg(ACTIVE, whole_shares=False))
    assert trades(book, res) == pytest.approx({"A": -2.5}, rel=1e-6)


def test_costs_are_paid_from_cash_and_limits_still_hold():
    pos = one_breach_book()
    config = cfg(ACTIVE, cost_bps=50, whole_shares=False)
    book, res = solve(pos, config)
    st_ = res.settled
    assert st_.cost == pytest.approx(0.005 * np.abs(st_.trade).sum())
    assert st_.value_post == pytest.approx(1000.0 - st_.cost)
    a = int(np.flatnonzero(book.tickers == "A")[0])
    assert st_.weights[a] <= 0.55 + 1e-12
    # A at 55 % of the post-cost value: 560 - s = 0.55 (1000 - 0.005 s)
    assert -st_.trade[a] == pytest.approx((560 - 550) / (1 - 0.55 * 0.005), rel=1e-6)


def test_no_alert_no_trade():
    pos = frame([("A", "x", False, 500, 1.0, 0.5, 5.0), ("B", "x", False, 500, 1.0, 0.5, 5.0)], 0.0)
    book, res = solve(pos, cfg(ACTIVE, duration_band=0.25))
    assert res.status == "optimal" and trades(book, res) == {}
    assert res.settled.turnover == 0.0


def test_infeasible_names_the_conflicting_limits():
    # A's benchmark is 40 %: active 5 % needs A >= 35 %, single-name breach 25 % needs <= 25 %
    pos = frame([("A", "x", False, 400, 1.0, 0.4, 5.0), ("B", "x", False, 600, 1.0, 0.6, 5.0)], 0.0)
    rules = {**ACTIVE, "max_single_name_weight": {"warn": 0.2, "breach": 0.25}}
    _, res = solve(pos, cfg(rules))
    assert res.status == "infeasible" and res.settled is None
    assert set(res.conflicts) == {"rule:max_single_name_weight", "rule:active_weight"}
    assert "rule:max_single_name_weight" in res.diagnosis
    # in the scenarios: POST_MIN keeps PRE, has no orders, and says why
    out = run_rebalances(pos, cfg(rules), AS_OF)
    row = out.summary.set_index("scenario").loc["POST_MIN"]
    assert row["status"] == "infeasible" and "rule:active_weight" in row["diagnosis"]
    assert (out.orders["scenario"] == "POST_MIN").sum() == 0


def test_infeasible_turnover_cap_is_named():
    pos = one_breach_book()
    _, res = solve(pos, cfg(ACTIVE, max_turnover=0.005))
    assert res.status == "infeasible"
    assert "max_turnover" in res.conflicts


def test_cure_key_is_validated():
    expected = r"rebalance\.cure must be one of breach, warn, got 'all'"
    with pytest.raises(ConfigError, match=expected):
        cfg(cure="all")
    assert cfg().rebalance.cure == "breach"


# --- independent LP on random books --------------------------------------------------------


def reference_lp(pos: pd.DataFrame, config) -> float:
    """min Σ|h_i - x_i| over post-trade weights h (fractions of V, zero costs), written
    directly in weights: h >= 0, Σh = 1, each rule at its breach level, each rebalance limit."""
    p = pos.reset_index(drop=True)
    x = (p["shares"] * p["price"]).to_numpy(float)
    x = x / x.sum()
    b = p["benchmark_weight"].to_numpy(float)
    d = p["duration"].to_numpy(float)
    is_cash = (p["ticker"] == "CASH").to_numpy()
    proxy = p["is_cash_proxy"].to_numpy(bool) | is_cash
    groups = p["group"].to_numpy(str)
    n = len(p)
    rules, reb = config.rules, config.rebalance
    # variables [h (n), tau (n)]; tau_i >= |h_i - x_i| for non-cash tickers
    rows, rhs = [], []

    def le(coef_h, bound):
        rows.append(np.concatenate([coef_h, np.zeros(n)]))
        rhs.append(bound)

    for i in range(n):
        e = np.eye(n)[i]
        if not is_cash[i]:
            rows.append(np.concatenate([e, -e]))
            rhs.append(x[i])
            rows.append(np.concatenate([-e, -e]))
            rhs.append(-x[i])
        if not proxy[i]:
            le(e, min(rules.max_single_name_weight.breach, reb.max_single_name_weight))
        le(e, b[i] + rules.active_weight.breach)
        le(-e, -(b[i] - rules.active_weight.breach))
    le(-proxy.astype(float), -max(rules.min_cash_weight.breach, reb.min_cash_weight))
    band = min(rules.duration_gap.breach, reb.duration_band)
    le(d, b @ d + band)
    le(-d, -(b @ d - band))
    for g, t in rules.group_max_weight.items():
        le((groups == g).astype(float), min(t.breach, reb.group_caps.get(g, np.inf)))
    c = np.concatenate([np.zeros(n), np.where(is_cash, 0.0, 1.0)])
    res = linprog(
        c,
        A_ub=np.array(rows),
        b_ub=np.array(rhs),
        A_eq=np.concatenate([np.ones(n), np.zeros(n)])[None, :],
        b_eq=[1.0],
        bounds=[(0, None)] * n + [(0, None)] * n,
        method="highs-ipm",
    )
    return res.fun if res.status == 0 else np.nan


def random_config(**rebalance):
    """Contract rules with caps wide enough that most random benchmarks can be met."""
    return parse_config(
        {
            "rules": {
                "max_single_name_weight": {"warn": 0.30, "breach": 0.40},
                "min_cash_weight": {"warn": 0.03, "breach": 0.02},
                "duration_gap": {"warn": 0.5, "breach": 1.0},
                "active_weight": {"warn": 0.03, "breach": 0.05},
                "group_max_weight": {"hy_credit": {"warn": 0.25, "breach": 0.28}},
            },
            "rebalance": {
                "max_single_name_weight": 0.40,
                "min_cash_weight": 0.02,
                "duration_band": 0.5,
                "group_caps": {"hy_credit": 0.25},
                **rebalance,
            },
        }
    )


@pytest.mark.parametrize("seed", range(20))
def test_continuous_optimum_matches_an_independent_lp(seed):
    pos = random_frame(8 + seed % 5, seed)
    config = random_config()
    ref = reference_lp(pos, config)
    book, res = solve(pos, config, whole_shares=False)
    if np.isnan(ref):
        assert res.status == "infeasible"
        return
    assert res.status == "optimal"
    assert res.continuous_turnover == pytest.approx(ref, rel=1e-6, abs=1e-9)
    assert res.settled.turnover == pytest.approx(ref, rel=1e-6, abs=1e-8)
    assert engine_counts(pos, book, res, config)[0] == 0


def test_random_books_are_mostly_feasible():
    # the comparison above must not pass vacuously
    ok = sum(
        not np.isnan(reference_lp(random_frame(8 + s % 5, s), random_config())) for s in range(20)
    )
    assert ok >= 15


# --- whole shares: property tests ------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(3, 15),
    seed=st.integers(0, 10_000),
    bps=st.sampled_from([0.0, 10.0]),
    min_trade=st.sampled_from([0.0, 2_000.0]),
    cure=st.sampled_from(["breach", "warn"]),
)
def test_whole_share_result_keeps_every_limit(n, seed, bps, min_trade, cure):
    pos = random_frame(n, seed)
    config = random_config(cost_bps=bps, min_trade_notional=min_trade, cure=cure)
    book, res = solve(pos, config)
    if res.status != "optimal":
        assert res.status == "infeasible" and res.diagnosis.startswith("infeasible")
        return
    s = res.settled
    nc = book.traded
    assert np.all(s.shares[nc] == np.round(s.shares[nc]))
    assert s.shares[book.cash_index] >= 0
    assert s.value_post == pytest.approx(book.value - s.cost, rel=1e-12)
    size = np.abs(s.trade[nc])
    assert np.all((size == 0) | (size >= min_trade - 1e-9))
    lim = limits_from_config(config)
    assert not failing(violations(book, s, lim, min_trade_notional=min_trade))
    n_b, n_w = engine_counts(pos, book, res, config)
    assert n_b == 0 and (cure == "breach" or n_w == 0)
    assert res.rounding_cost >= -1e-9
    assert all(r for r, t in zip(res.reasons, s.trade, strict=True) if t)


# --- the scenarios and the demo book --------------------------------------------------------


def test_post_min_in_every_rebalance_table():
    pos = one_breach_book()
    out = run_rebalances(pos, cfg(ACTIVE), AS_OF)
    assert list(out.summary["scenario"]) == ["PRE", "POST_MIN", "POST_BM", "POST_CONS"]
    assert list(out.comparison["scenario"].unique()) == list(out.summary["scenario"])
    assert list(out.summary.columns[-2:]) == ["continuous_turnover", "rounding_cost"]
    o = out.orders[out.orders["scenario"] == "POST_MIN"]
    assert list(o["ticker"]) == ["A"] and list(o["side"]) == ["SELL"]
    assert out.orders["scenario"].iloc[0] == "POST_MIN"
    row = out.summary.set_index("scenario").loc["POST_MIN"]
    assert row["n_breach"] == 0 and row["turnover"] == pytest.approx(0.01)
    assert row["diagnosis"].startswith("least trade: 1 order, turnover 1.00 %")
    assert "vs POST_CONS" in row["diagnosis"]


@pytest.mark.slow
def test_demo_book_least_trade():
    from pathlib import Path

    from fimonitor.analytics.exposures import compute_history, positions_on
    from fimonitor.config import load_config
    from fimonitor.data.loaders import load_book

    data = Path(__file__).resolve().parents[2] / "data"
    h = compute_history(load_book(data))
    as_of = h.dates[-1]
    pos = positions_on(h, as_of)
    config = load_config(data / "monitor.yaml")
    out = run_rebalances(pos, config, as_of)
    s = out.summary.set_index("scenario")
    ref = reference_lp(pos, config)
    assert s.loc["POST_MIN", "continuous_turnover"] == pytest.approx(ref, rel=1e-6)
    assert s.loc["PRE", "n_breach"] > 0
    assert s.loc["POST_MIN", "n_breach"] == 0
    assert s.loc["POST_MIN", "turnover"] < 0.25 * s.loc["POST_CONS", "turnover"]
    reasons = out.orders.loc[out.orders["scenario"] == "POST_MIN", "reason"]
    assert reasons.str.startswith("cures BREACH active_weight").sum() >= 1
