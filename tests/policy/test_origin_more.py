"""Origin rules: the 001 worked examples, the portfolio keys, the quarter review, properties."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fimonitor.config import parse_config
from fimonitor.errors import ConfigError
from fimonitor.policy.portfolio import parse_portfolio
from fimonitor.policy.rebalancer import rebalance
from fimonitor.policy.review import quarter_review

AS_OF = pd.Timestamp("2026-04-30")


def orders(r):
    return {(o.ticker, o.side): round(o.notional, 6) for o in r.orders.itertuples()}


# --------------------------------------------------------------------------- 001
def test_001_problem_example_tech_35_pct_of_12000():
    # March 31, total 12,000: Technology 4,200 (35 %), Healthcare 1,440 (12 %), Bonds 960
    # (8 %); the rest (5,400, 45 %) in one holding with the remaining 55 % target. Calendar:
    # SELL 1,800 of Technology, BUY 360 Healthcare, BUY 240 Bonds (and 1,200 of the rest)
    p = parse_portfolio(
        {
            "targets": {"technology": 20, "healthcare": 15, "bonds": 10, "OTHER": 55},
            "categories": {"technology": ["XLK"], "healthcare": ["XLV"], "bonds": ["TLT"]},
            "holdings": {
                t: {"shares": v, "price": 1.0}
                for t, v in {"XLK": 4200, "XLV": 1440, "TLT": 960, "OTHER": 5400}.items()
            },
            "policy": {"method": "calendar", "fractional_shares": True},
        }
    )
    r = rebalance(p, {}, as_of=AS_OF)
    assert orders(r) == {
        ("XLK", "SELL"): 1800,
        ("XLV", "BUY"): 360,
        ("TLT", "BUY"): 240,
        ("OTHER", "BUY"): 1200,
    }


def test_001_session_sell_8_xlk_at_185_pnl_40():
    # SELL 8 XLK @ 185 with average cost 180: value 1,480, P&L +40 (+2.78 % of 1,440)
    # Technology 32.5 % vs 20 %: 12.5 % of TV = 1,480 -> TV = 11,840; XLK = 3,848
    p = parse_portfolio(
        {
            "targets": {"technology": 20, "OTHER": 80},
            "categories": {"technology": ["XLK"]},
            "holdings": {
                "XLK": {"shares": 3848 / 185, "price": 185.0, "avg_cost": 180.0},
                "OTHER": {"shares": 11840 - 3848, "price": 1.0},
            },
            "policy": {"method": "threshold", "drift_threshold": 5, "fractional_shares": True},
        }
    )
    r = rebalance(p, {}, as_of=AS_OF)
    s = r.orders.set_index(["ticker", "side"]).loc[("XLK", "SELL")]
    assert s["shares"] == pytest.approx(8.0) and s["notional"] == pytest.approx(1480)
    assert s["pnl"] == pytest.approx(40.0) and s["pnl"] / s["cost_basis"] == pytest.approx(
        40 / 1440
    )


# --------------------------------------------------------------------------- keys
BASE = {"targets": {"A": 50, "B": 50}, "categories": {"grp": ["B"]}}


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"scores": {"A": 120}}, "between 0 and 100"),
        ({"exit_triggers": {"A": [{"name": "x", "hit": "yes"}]}}, "hit must be true or false"),
        ({"exit_triggers": {"A": [{"name": "x", "when": 1}]}}, "unknown key 'when'"),
        ({"reversion": {"below": 0.5}}, "unknown key 'below'"),
        ({"risk_management": {"group_caps": {"nope": 10}}}, "not a category"),
        ({"risk_management": {"max_leveraged_total": 15}}, "unknown key"),
        ({"default_fund": ""}, "non-empty string"),
        ({"last_rebalance": "2026-13-01"}, "last_rebalance"),
        ({"notify": {"url": "json://x"}}, "unknown key 'url'"),
        ({"scores": {"tiers": {"strong": 80}}}, "must increase"),
        ({"bogus": 1}, "unknown key 'bogus'"),
    ],
)
def test_bad_origin_keys(extra, match):
    raw = {**BASE, "targets": {"A": 50, "grp": 50}, **extra}
    with pytest.raises(ConfigError, match=match):
        parse_portfolio(raw, file="p.yaml")


def test_scores_csv_last_and_previous_dates(tmp_path):
    (tmp_path / "scores.csv").write_text(
        "date,ticker,score\n2026-01-30,A,70\n2026-01-30,B,55\n2026-04-30,A,40\n2026-04-30,B,56\n"
    )
    raw = {"targets": {"A": 50, "B": 50}, "scores": {"file": "scores.csv", "tiers": {}}}
    p = parse_portfolio(raw, file=tmp_path / "p.yaml")
    assert dict(p.origin.scores) == {"A": 40.0, "B": 56.0}
    assert dict(p.origin.previous_scores) == {"A": 70.0, "B": 55.0}
    p2 = parse_portfolio({**raw, "scores": "scores.csv"}, file=tmp_path / "p.yaml")
    assert dict(p2.origin.scores) == dict(p.origin.scores)


def test_notify_in_portfolio_and_monitor_yaml():
    p = parse_portfolio({"targets": {"A": 100}, "notify": "json://127.0.0.1:9/x"})
    assert p.origin.notify.urls == ("json://127.0.0.1:9/x",)
    cfg = parse_config({"notify": {"urls": ["json://127.0.0.1:9/x"], "on": "always"}})
    assert cfg.notify == {"urls": ["json://127.0.0.1:9/x"], "on": "always"}
    with pytest.raises(ConfigError, match="unknown key"):
        parse_config({"notifications": []})


# --------------------------------------------------------------------------- review
def test_quarter_review_returns_contributions_classes():
    # A: 10 sh 100 -> 130 (+30 %, winner); B: 20 sh 50 -> 44 (-12 %, laggard);
    # C: 5 sh 200 -> 210 (+5 %, in line); cash 1,000. Start value 1,000+1,000+1,000+1,000
    # = 4,000: contributions 0.25 x 30 % = 7.5 %, 0.25 x -12 % = -3 %, 0.25 x 5 % = 1.25 %
    p = parse_portfolio(
        {
            "cash": 1000,
            "targets": {"A": 40, "B": 30, "C": 30},
            "holdings": {"A": {"shares": 10}, "B": {"shares": 20}, "C": {"shares": 5}},
        }
    )
    hist = pd.DataFrame(
        {"A": [90.0, 100.0, 120.0], "B": [55.0, 50.0, 45.0], "C": [190.0, 200.0, 205.0]},
        index=pd.to_datetime(["2026-01-29", "2026-01-30", "2026-03-02"]),
    )
    rv, total = quarter_review(
        p, {"A": 130.0, "B": 44.0, "C": 210.0}, hist, AS_OF.replace(month=1, day=31)
    )  # a Saturday: the last close on or before it (Jan 30)
    rv = rv.set_index("ticker")
    assert rv["return"].to_dict() == pytest.approx({"A": 0.30, "B": -0.12, "C": 0.05})
    assert rv["contribution"].to_dict() == pytest.approx({"A": 0.075, "B": -0.03, "C": 0.0125})
    assert list(rv["class"]) == ["winner", "laggard", "in_line"]
    assert total == pytest.approx(0.0575)
    # independent check: portfolio value then and now (cash unchanged)
    then, now = 4000.0, 10 * 130 + 20 * 44 + 5 * 210 + 1000
    assert total == pytest.approx(now / then - 1)


# --------------------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None)
@given(
    shares=st.lists(st.integers(0, 300), min_size=4, max_size=4),
    prices=st.lists(st.floats(1.0, 400.0), min_size=4, max_size=4),
    scores=st.lists(st.floats(0, 100), min_size=4, max_size=4),
    prev=st.lists(st.floats(0, 100), min_size=4, max_size=4),
    hits=st.lists(st.integers(0, 2), min_size=4, max_size=4),
    cash=st.floats(0, 20_000),
    reserve=st.floats(0, 5_000),
    cap=st.sampled_from([None, 20, 35]),
    frac=st.booleans(),
    method=st.sampled_from(["threshold", "calendar", "tiered"]),
)
def test_properties_origin_rules(
    shares, prices, scores, prev, hits, cash, reserve, cap, frac, method
):
    tk = ["A", "B", "C", "D"]
    if sum(s * p for s, p in zip(shares, prices, strict=True)) + cash <= 0:
        return
    raw = {
        "cash": cash,
        "cash_reserve": reserve,
        "targets": {"A": 30, "B": 30, "grp": 40},
        "categories": {"grp": ["C", "D"]},
        "holdings": {
            t: {"shares": s, "price": p} for t, s, p in zip(tk, shares, prices, strict=True)
        },
        "prices": {"QQQ": 100.0},
        "scores": dict(zip(tk, scores, strict=True)),
        "previous_scores": dict(zip(tk, prev, strict=True)),
        "exit_triggers": {
            t: [{"name": f"t{i}", "hit": i < h} for i in range(2)]
            for t, h in zip(tk, hits, strict=True)
        },
        "reversion": {"below_fraction_of_target": 0.5},
        "default_fund": "QQQ",
        "risk_management": {"group_caps": {"grp": 30}}
        | ({"max_single_position": cap} if cap else {}),
        "policy": {
            "method": method,
            "fractional_shares": frac,
            "concentration": [{"above": 50, "trim_to": 40}],
        },
    }
    r = rebalance(parse_portfolio(raw), {}, as_of=AS_OF)
    o = r.orders
    # cash never below the reserve when buying; never below what it was otherwise
    if (o["side"] == "BUY").any():
        assert r.cash_after >= reserve - 1e-6
    assert r.cash_after >= min(reserve, cash) - 1e-6
    # no order reverses another: a ticker is bought or sold, never both
    assert not (o.groupby("ticker")["side"].nunique() > 1).any()
    # never more sold than held; whole shares unless fractional
    held = dict(zip(tk, shares, strict=True))
    for x in o.itertuples():
        if x.side == "SELL":
            assert x.shares <= held[x.ticker] + 1e-9
    if not frac:
        assert (o["shares"] == o["shares"].round()).all()
    # value conserved
    rows = r.rows
    assert rows["post_value"].sum() + r.cash_after == pytest.approx(r.total_value, rel=1e-9)
