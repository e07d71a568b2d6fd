"""Whole-share rounding of POST_CONS: every constraint holds after rounding (property tests on
random books), value is kept less costs, cash never negative, min trade and turnover honoured.
Constraint checks here are written out again, independently of rounding.violations."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.rebalance import frame, random_frame
from hypothesis import given, settings
from hypothesis import strategies as st

from fimonitor.rebalance.optimizer import Limits, solve_constrained
from fimonitor.rebalance.rounding import round_shares, settle, solve_whole_shares
from fimonitor.rebalance.scenarios import book_from_positions

TOL = 1e-9


def check_independently(book, shares, lim: Limits, cost_rate: float, min_trade: float):
    """Recompute the post-trade portfolio from share counts and assert every constraint."""
    nc = book.traded
    s = shares.copy()
    trade = (s - book.shares) * book.prices
    trade[~nc] = 0.0
    cost = cost_rate * np.abs(trade).sum()
    cash = book.shares[~nc][0] - trade.sum() - cost
    assert s[~nc][0] == pytest.approx(cash, abs=1e-6)
    mv = np.where(nc, s * book.prices, cash)
    total = mv.sum()
    assert total == pytest.approx(book.value - cost, rel=1e-12)  # value kept less costs
    w = mv / total
    assert np.all(s[nc] == np.floor(s[nc])) and np.all(s[nc] >= 0)  # whole, no shorts
    assert cash >= -1e-9  # cash never negative
    if lim.max_single_name_weight is not None:
        assert w[book.capped].max() <= lim.max_single_name_weight + TOL
    if lim.min_cash_weight is not None:
        assert w[book.cash_set].sum() >= lim.min_cash_weight - TOL
    if lim.duration_band is not None:
        gap = w @ book.duration - book.benchmark @ book.duration
        assert abs(gap) <= lim.duration_band + TOL
    for g, cap in lim.group_caps.items():
        assert w[book.groups == g].sum() <= cap + TOL
    if lim.max_turnover is not None:
        assert np.abs(trade).sum() / book.value <= lim.max_turnover + TOL
    size = np.abs(trade)
    assert np.all((size == 0) | (size >= min_trade - 1e-9))


def solve_and_round(book, lim, cost_rate=0.0, min_trade=0.0):
    res, r, _ = solve_whole_shares(book, lim, cost_rate=cost_rate, min_trade_notional=min_trade)
    return res, r


def test_hand_book_rounding():
    rows = [
        ("A", "treasury", False, 100, 100.0, 0.5, 6.0),
        ("B", "ig_credit", False, 0, 50.0, 0.3, 8.0),
        ("C", "hy_credit", False, 200, 30.0, 0.2, 4.0),
        ("T", "cash", True, 0, 100.0, 0.0, 0.2),
    ]
    book = book_from_positions(frame(rows, cash=4000.0))
    lim = Limits(
        max_single_name_weight=0.45,
        min_cash_weight=0.05,
        duration_band=0.25,
        group_caps={"hy_credit": 0.1},
    )
    res, r = solve_and_round(book, lim)
    assert r.status == "ok"
    check_independently(book, r.settled.shares, lim, 0.0, 0.0)
    # close to the continuous optimum: within one share of each target
    target = res.weights * res.value_post / book.prices
    assert np.all(np.abs(r.settled.shares - target)[book.traded] <= 1.0 + 1e-9)


def test_settle_accounting_by_hand():
    rows = [("A", "treasury", False, 10, 100.0, 1.0, 5.0)]
    book = book_from_positions(frame(rows, cash=500.0))
    st_ = settle(book, np.array([14.0, 0.0]), cost_rate=0.001)
    # buy 4 × 100 = 400, cost 0.4; cash 500 - 400 - 0.4 = 99.6; value 1499.6
    assert st_.shares[1] == pytest.approx(99.6)
    assert st_.value_post == pytest.approx(1499.6)
    assert st_.weights[0] == pytest.approx(1400 / 1499.6)
    assert st_.turnover == pytest.approx(400 / 1500)


limits_st = st.builds(
    Limits,
    max_single_name_weight=st.sampled_from([None, 0.15, 0.3]),
    min_cash_weight=st.sampled_from([None, 0.02, 0.05]),
    duration_band=st.sampled_from([None, 0.1, 0.25, 0.5]),
    group_caps=st.sampled_from([{}, {"hy_credit": 0.1}, {"hy_credit": 0.05, "mbs": 0.2}]),
    max_turnover=st.sampled_from([None, 0.3, 0.8]),
)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(3, 25),
    seed=st.integers(0, 100_000),
    lim=limits_st,
    bps=st.sampled_from([0.0, 10.0]),
    min_trade=st.sampled_from([0.0, 3000.0]),
)
def test_rounded_portfolio_keeps_every_constraint(n, seed, lim, bps, min_trade):
    book = book_from_positions(random_frame(n, seed))
    res, r = solve_and_round(book, lim, bps / 1e4, min_trade)
    if r is None:
        assert res.status == "infeasible"
        return
    if r.status == "ok":
        check_independently(book, r.settled.shares, lim, bps / 1e4, min_trade)
    else:  # reported, never silently broken
        assert r.status == "infeasible"
        assert "rounding" in r.message or "do not hold" in r.message


def test_rounding_succeeds_on_most_random_books():
    lim = Limits(
        max_single_name_weight=0.3,
        min_cash_weight=0.02,
        duration_band=0.25,
        group_caps={"hy_credit": 0.1},
        max_turnover=0.8,
    )
    ok = total = 0
    for seed in range(40):
        book = book_from_positions(random_frame(8 + seed % 15, seed))
        _, r = solve_and_round(book, lim, 10 / 1e4, 1000.0)
        if r is None:
            continue
        total += 1
        ok += r.status == "ok"
        if r.status == "ok":
            check_independently(book, r.settled.shares, lim, 10 / 1e4, 1000.0)
    assert total >= 30
    assert ok == total


def test_min_trade_notional_after_rounding():
    book = book_from_positions(random_frame(20, 11))
    lim = Limits(min_cash_weight=0.02, duration_band=0.25)
    _, r0 = solve_and_round(book, lim)
    small = np.abs(r0.settled.trade)
    m = float(np.quantile(small[small > 0], 0.5))  # half the trades are below this
    _, r = solve_and_round(book, lim, min_trade=m)
    assert r.status == "ok"
    size = np.abs(r.settled.trade)
    assert np.all((size == 0) | (size >= m))
    assert (size > 0).sum() < (small > 0).sum()
    check_independently(book, r.settled.shares, lim, 0.0, m)


def test_fractional_mode_is_exact_continuous():
    book = book_from_positions(random_frame(10, 4))
    lim = Limits(max_single_name_weight=0.3, min_cash_weight=0.05)
    res = solve_constrained(book, lim)
    r = round_shares(book, res.weights, res.value_post, lim, whole_shares=False)
    assert r.status == "ok" and r.method == "fractional"
    np.testing.assert_allclose(r.settled.weights, res.weights, atol=1e-9)
