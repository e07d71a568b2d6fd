"""Tax-aware mode: least-tax lots, short/long split, harvesting, the wash-sale guard."""

from __future__ import annotations

import pandas as pd
import pytest

from fimonitor.policy import tax as taxlib
from fimonitor.policy.portfolio import parse_portfolio
from fimonitor.policy.rebalancer import rebalance

AS_OF = pd.Timestamp("2026-04-30")
TAX = {
    "enabled": True,
    "short_term_days": 365,
    "wash_sale_days": 30,
    "harvest_loss_pct": 10,
    "substitutes": {"XLE": "VDE"},
}


def tax_port(holdings, targets, cash=0.0, recent_sales=(), prices=None, **policy):
    policy.setdefault("concentration", [])
    policy.setdefault("tax", TAX)
    return parse_portfolio(
        {
            "cash": cash,
            "targets": targets,
            "holdings": holdings,
            "recent_sales": list(recent_sales),
            "prices": prices or {},
            "policy": policy,
        }
    )


def test_least_tax_order_and_split():
    lots = pd.DataFrame(
        {
            "ticker": ["A"] * 4,
            "lot": [1, 2, 3, 4],
            "date": pd.to_datetime(["2024-01-02", "2026-02-02", "2025-12-01", "2024-06-03"]),
            "shares": [10.0, 10.0, 10.0, 10.0],
            "cost": [50.0, 90.0, 120.0, 70.0],
        }
    )
    cl = taxlib.classify_lots(lots, {"A": 100.0}, AS_OF, 365)
    assert list(cl["term"]) == ["long", "short", "short", "long"]
    order = taxlib.least_tax_order(cl)
    # the loss lot (3) first, then long-term gains smallest first (4: +30, 1: +50), short last
    assert list(order["lot"]) == [3, 4, 1, 2]
    sold = taxlib.take_lots(order, 2_500.0, whole=True)  # 25 shares: lot 3, lot 4, 5 of lot 1
    assert list(sold["shares"]) == [10, 10, 5]
    g = taxlib.realised_gains(sold)
    assert g["short_term"] == pytest.approx(10 * (100 - 120))
    assert g["long_term"] == pytest.approx(10 * 30 + 5 * 50)
    assert g["total"] == pytest.approx(-200 + 550)


def test_exactly_365_days_is_short_term():
    lots = pd.DataFrame(
        {
            "ticker": ["A", "A"],
            "lot": [1, 2],
            "date": pd.to_datetime(["2025-04-30", "2025-04-29"]),
            "shares": [1.0, 1.0],
            "cost": [1.0, 1.0],
        }
    )
    assert list(taxlib.classify_lots(lots, {"A": 2.0}, AS_OF, 365)["term"]) == ["short", "long"]


def test_tax_aware_sell_takes_losses_then_long_term():
    # SPY 60 % vs 50 % target, threshold 5 -> sell 10 % of 20,000 = 2,000 = 20 shares at 100
    p = tax_port(
        {
            "SPY": {
                "price": 100.0,
                "lots": [
                    {"date": "2024-01-02", "shares": 60, "cost": 40.0},  # long-term gain
                    {"date": "2026-03-02", "shares": 50, "cost": 90.0},  # short-term gain
                    {"date": "2026-01-05", "shares": 10, "cost": 130.0},
                ],
            },  # short-term loss
            "BND": {"shares": 80, "price": 100.0},
        },
        {"SPY": 50, "BND": 50},
        method="threshold",
    )
    r = rebalance(p, {}, as_of=AS_OF)
    sell = r.orders[r.orders["side"] == "SELL"].iloc[0]
    assert sell["shares"] == 20
    # 10 loss shares (-300) then 10 long-term shares (+600): least tax, not the short-term lot
    assert r.realised["short_term"] == pytest.approx(-300)
    assert r.realised["long_term"] == pytest.approx(600)
    assert sell["pnl"] == pytest.approx(300)
    assert list(r.lots_sold["lot"]) == [3, 1]


def test_harvested_loss_with_substitute_bought():
    # XLE lot bought at 70, now 60: down 14.3 % > 10 % -> sold, proceeds buy VDE at 150
    p = tax_port(
        {
            "XLE": {"price": 60.0, "lots": [{"date": "2025-03-03", "shares": 100, "cost": 70.0}]},
            "SPY": {"shares": 60, "price": 100.0},
        },
        {"XLE": 50, "SPY": 50},
        prices={"VDE": 150.0},
        method="threshold",
    )
    r = rebalance(p, {}, as_of=AS_OF)
    sell = r.orders[(r.orders["ticker"] == "XLE") & (r.orders["side"] == "SELL")].iloc[0]
    buy = r.orders[(r.orders["ticker"] == "VDE") & (r.orders["side"] == "BUY")].iloc[0]
    assert sell["shares"] == 100 and sell["pnl"] == pytest.approx(-1_000)
    assert "harvest" in sell["reason"]
    assert buy["shares"] == 40 and buy["notional"] == 6_000  # 6,000 / 150
    assert r.realised["long_term"] == pytest.approx(-1_000)
    # exposure kept: the XLE row (now VDE) still holds 6,000 of 12,000
    assert r.rows.set_index("row").loc["XLE", "post_weight"] == pytest.approx(0.5)


def test_wash_sale_blocks_buy_and_uses_substitute():
    # XLE 20 % vs 50 %: a buy is due, but XLE was sold at a loss 10 days ago -> VDE instead
    sales = [{"date": "2026-04-20", "ticker": "XLE", "shares": 5, "price": 60.0, "cost": 70.0}]
    p = tax_port(
        {"XLE": {"shares": 20, "price": 50.0}, "SPY": {"shares": 40, "price": 100.0}},
        {"XLE": 50, "SPY": 50},
        cash=3_000,
        recent_sales=sales,
        prices={"VDE": 100.0},
        method="threshold",
    )
    r = rebalance(p, {}, as_of=AS_OF)
    assert "XLE" not in set(r.orders.loc[r.orders["side"] == "BUY", "ticker"])
    vde = r.orders[r.orders["ticker"] == "VDE"].iloc[0]
    assert vde["side"] == "BUY" and "instead of XLE" in vde["reason"]
    # no substitute: the buy is blocked and an alert says why
    p2 = tax_port(
        {"XLE": {"shares": 20, "price": 50.0}, "SPY": {"shares": 40, "price": 100.0}},
        {"XLE": 50, "SPY": 50},
        cash=3_000,
        recent_sales=sales,
        method="threshold",
        tax={**TAX, "substitutes": {}},
    )
    r2 = rebalance(p2, {}, as_of=AS_OF)
    assert r2.orders.empty
    alert = r2.alerts[r2.alerts["type"] == "wash_sale"].iloc[0]
    assert alert["ticker"] == "XLE" and "2026-04-20" in alert["message"]
    # a loss sale 31 days ago, or a sale at a gain, blocks nothing
    for s in ({**sales[0], "date": "2026-03-30"}, {**sales[0], "price": 80.0}):
        p3 = tax_port(
            {"XLE": {"shares": 20, "price": 50.0}, "SPY": {"shares": 40, "price": 100.0}},
            {"XLE": 50, "SPY": 50},
            cash=3_000,
            recent_sales=[s],
            method="threshold",
            tax={**TAX, "substitutes": {}},
        )
        r3 = rebalance(p3, {}, as_of=AS_OF)
        assert "XLE" in set(r3.orders["ticker"])


def test_no_harvest_of_a_ticker_bought_within_the_window():
    p = tax_port(
        {
            "XLE": {
                "price": 60.0,
                "lots": [
                    {"date": "2025-03-03", "shares": 100, "cost": 70.0},
                    {"date": "2026-04-10", "shares": 10, "cost": 61.0},
                ],
            },  # bought 20 days ago
            "SPY": {"shares": 66, "price": 100.0},
        },
        {"XLE": 50, "SPY": 50},
        prices={"VDE": 150.0},
        method="threshold",
    )
    r = rebalance(p, {}, as_of=AS_OF)
    assert r.orders.empty
    skipped = r.alerts[r.alerts["type"] == "harvest_skipped"]
    assert "bought within 30 days" in skipped.iloc[0]["message"]


def test_tax_disabled_never_harvests():
    p = tax_port(
        {
            "XLE": {"price": 60.0, "lots": [{"date": "2025-03-03", "shares": 100, "cost": 70.0}]},
            "SPY": {"shares": 60, "price": 100.0},
        },
        {"XLE": 50, "SPY": 50},
        prices={"VDE": 150.0},
        method="threshold",
        tax={**TAX, "enabled": False},
    )
    assert rebalance(p, {}, as_of=AS_OF).orders.empty
