"""DCA (docs/definitions.md, DCA): the schedule against exchange_calendars, and the run by hand."""

from __future__ import annotations

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest

from fimonitor.errors import InputError
from fimonitor.policy.dca import CureInputs, run_dca, schedule
from fimonitor.policy.portfolio import parse_portfolio


@pytest.fixture(scope="module")
def xnys():
    return xcals.get_calendar("XNYS", start="2023-06-01", end="2027-06-30")


def naive_weekly(cal, start, end):
    """Each Monday -> itself or the next session, one day at a time (independent of the code)."""
    out = []
    day = pd.Timestamp(start)
    while day <= pd.Timestamp(end):
        if day.weekday() == 0:
            d = day
            while not cal.is_session(d):
                d += pd.Timedelta(days=1)
            if d <= pd.Timestamp(end):
                out.append(d)
        day += pd.Timedelta(days=1)
    return out


def naive_monthly(cal, start, end):
    s = cal.sessions_in_range(pd.Timestamp(start), pd.Timestamp(end))
    s = pd.DatetimeIndex(s).tz_localize(None) if s.tz is not None else pd.DatetimeIndex(s)
    firsts = pd.Series(s, index=s).groupby(s.to_period("M")).min()
    month_first = [cal.date_to_session(p.start_time, direction="next") for p in firsts.index]
    return [d for d, f in zip(firsts, month_first, strict=True) if d == f]


def test_weekly_schedule_matches_exchange_calendars_2024_2026(xnys):
    got = schedule("weekly", "2024-01-01", "2026-12-31")
    assert list(got) == naive_weekly(xnys, "2024-01-01", "2026-12-31")
    assert len(got) == 157
    assert all(xnys.is_session(d) for d in got)


@pytest.mark.parametrize("holiday", ["2026-01-19", "2026-09-07", "2024-02-19", "2025-05-26"])
def test_monday_holidays_shift_to_tuesday(holiday):
    got = set(schedule("weekly", "2024-01-01", "2026-12-31"))
    assert pd.Timestamp(holiday) not in got
    assert pd.Timestamp(holiday) + pd.Timedelta(days=1) in got


def test_monthly_schedule_first_trading_day(xnys):
    got = schedule("monthly", "2024-01-01", "2026-12-31")
    assert list(got) == naive_monthly(xnys, "2024-01-01", "2026-12-31")
    assert len(got) == 36
    assert pd.Timestamp("2026-01-02") in set(got)  # Jan 1 is a holiday
    # a start after the month's first session skips that month
    assert schedule("monthly", "2026-01-05", "2026-03-31")[0] == pd.Timestamp("2026-02-02")


def test_schedule_errors():
    with pytest.raises(InputError, match="frequency 'daily'"):
        schedule("daily", "2026-01-01", "2026-02-01")
    with pytest.raises(InputError, match="before start"):
        schedule("weekly", "2026-02-01", "2026-01-01")


def dca_port(cash=10_000.0, fractional=True, min_inv=1.0, holdings=None, reserve=0.0):
    return parse_portfolio(
        {
            "cash": cash,
            "cash_reserve": reserve,
            "min_investment_per_stock": min_inv,
            "targets": {"A": 50, "B": 30, "C": 20},
            "holdings": holdings or {},
            "policy": {"fractional_shares": fractional},
        }
    )


PRICES = pd.DataFrame(
    {"A": [100.0, 110.0, 90.0], "B": [50.0, 40.0, 50.0], "C": [400.0, 420.0, 380.0]},
    index=pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-20"]),
)


def test_run_by_weights_fractional_matches_hand_calculation():
    r = run_dca(dca_port(), 1_000, PRICES.index, PRICES)
    expected = (np.array([500, 300, 200])[None, :] / PRICES.to_numpy()).ravel()
    assert np.allclose(r.orders["shares"], np.floor(expected * 1e6) / 1e6)
    assert r.invested == pytest.approx(3_000, abs=1e-3)
    assert r.cash_end == pytest.approx(10_000 - r.invested)
    s = r.summary.set_index("ticker")
    assert s.loc["A", "avg_price"] == pytest.approx(1_500 / (5 + 500 / 110 + 500 / 90), rel=1e-6)


def test_run_whole_shares_and_minimum_skips():
    # whole shares: A 500/100 = 5, B 300/50 = 6, C 200/400 -> 0 shares -> skipped
    r = run_dca(dca_port(fractional=False), 1_000, PRICES.index[:1], PRICES)
    assert r.orders.set_index("ticker")["shares"].to_dict() == {"A": 5.0, "B": 6.0}
    assert r.skipped == 1
    # min 350 per stock skips B (300) too
    r = run_dca(dca_port(fractional=False, min_inv=350), 1_000, PRICES.index[:1], PRICES)
    assert list(r.orders["ticker"]) == ["A"]


def test_capital_check_never_spends_cash_it_does_not_have():
    r = run_dca(dca_port(cash=1_500, reserve=100), 1_000, PRICES.index, PRICES)
    assert r.cash_end >= 100 - 1e-9
    per_date = r.orders.groupby("date")["notional"].sum()
    assert per_date.iloc[0] == pytest.approx(1_000, abs=1e-3)
    assert per_date.iloc[1] == pytest.approx(400, abs=1e-3)  # only 400 above the reserve
    assert len(per_date) == 2  # nothing left for the third date
    assert any("capital_insufficient" in n for n in r.notes)
    # with deposits, every date invests the full amount
    r = run_dca(dca_port(cash=0), 1_000, PRICES.index, PRICES, deposit=True)
    assert r.invested == pytest.approx(3_000, abs=1e-3) and r.deposited == 3_000


def test_underweight_first_fills_largest_shortfall():
    # holdings A 0, B 1,000, C 1,000; V + X = 3,000: A short 1,500, B short -100, C short -400
    hold = {"B": {"shares": 20, "price": 50.0}, "C": {"shares": 2.5, "price": 400.0}}
    r = run_dca(dca_port(holdings=hold), 1_000, PRICES.index[:1], PRICES, mode="underweight-first")
    assert r.orders.set_index("ticker")["notional"].to_dict() == pytest.approx({"A": 1_000.0})


def test_cure_breaches_min_cash_then_group_then_weights():
    groups = {"A": "equity", "B": "treasury", "C": "treasury"}
    # cash 10,000, min cash 80 % of total 10,000 -> only 2,000 may leave cash over the run
    cure = CureInputs(groups=groups, min_cash_weight=0.80)
    flat = PRICES.iloc[[0, 0, 0]].set_axis(PRICES.index)  # constant prices: total stays 10,000
    r = run_dca(dca_port(), 1_000, flat.index, flat, mode="cure-breaches", cure=cure)
    assert r.invested <= 2_000 + 1e-6 and r.invested > 1_900
    # treasury group 0 % vs 50 % target, tolerance 5 pts -> the first 1,000 go to treasuries
    hold = {"A": {"shares": 50, "price": 100.0}}
    cure = CureInputs(groups=groups, group_tolerance=0.05)
    r = run_dca(
        dca_port(holdings=hold), 1_000, PRICES.index[:1], PRICES, mode="cure-breaches", cure=cure
    )
    got = r.orders.set_index("ticker")["notional"]
    assert "A" not in got.index and got.sum() == pytest.approx(1_000, abs=1e-3)


def test_cure_breaches_duration_band_buys_longest():
    groups = {"A": "x", "B": "x", "C": "x"}
    dur = pd.DataFrame({"A": [0.0], "B": [2.0], "C": [10.0]}, index=pd.to_datetime(["2026-01-01"]))
    # target duration 0.3*2 + 0.2*10 = 2.6 y; portfolio (A only) 0 y -> money to C (longest):
    # closing the gap to 2.35 y needs 2.35 * 11,000 / 10 = 2,585 > 1,000, so all of it
    hold = {"A": {"shares": 100, "price": 100.0}}
    cure = CureInputs(groups=groups, durations=dur, duration_band=0.25, group_tolerance=1.0)
    r = run_dca(
        dca_port(holdings=hold), 1_000, PRICES.index[:1], PRICES, mode="cure-breaches", cure=cure
    )
    assert r.orders.set_index("ticker")["notional"].to_dict() == pytest.approx({"C": 1_000.0})
