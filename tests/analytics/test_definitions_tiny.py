"""Every docs/definitions.md definition on the tiny book, against numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fimonitor.analytics.exposures import compute_history, exposure_table, positions_on
from fimonitor.analytics.positions import cash_flow, flows_on, holdings

D = pd.Timestamp("2024-02-09")


@pytest.fixture
def hist(tiny_book):
    return compute_history(tiny_book)


def test_cash_follows_the_contract_formula(hist):
    # deposit 100,000; buys 40,000+10, 30,000+5, 16,000, 10,000; dividend +120; fee -25;
    # withdrawal -3,000; sale of 50 HYB at 90 less 3 fees (+4,497)
    expected = {
        "2024-01-29": 100000 - 40010 - 30005 - 16000 - 10000,
        "2024-02-01": 3985 + 120,
        "2024-02-05": 4105 - 25,
        "2024-02-06": 4080 - 3000,
        "2024-02-07": 1080 + 4497,
        "2024-02-09": 5577,
    }
    for day, cash in expected.items():
        assert hist.shares.loc[day, "CASH"] == pytest.approx(cash)


def test_shares_are_cumulative_up_to_and_including_the_date(hist):
    assert hist.shares.loc["2024-02-06", "HYB"] == 200
    assert hist.shares.loc["2024-02-07", "HYB"] == 150
    assert hist.shares.loc["2024-02-09", "TSY"] == 400
    assert hist.shares.loc[D, "BMK"] == 0  # benchmark ticker never held


def test_market_value_weights_and_active_weights(hist, tiny_book):
    mv = {"TSY": 400 * 102, "IGC": 600 * 51, "HYB": 150 * 88, "BILL": 100 * 100, "CASH": 5577}
    total = sum(mv.values())
    assert total == 100177
    assert hist.total_value.loc[D] == pytest.approx(total)
    for t, v in mv.items():
        assert hist.market_value.loc[D, t] == pytest.approx(v)
        assert hist.weights.loc[D, t] == pytest.approx(v / total)
    bench = {"TSY": 0.5, "IGC": 0.3, "BMK": 0.2}  # given in percent, normalised on load
    for t in ["TSY", "IGC", "HYB", "BILL", "BMK", "CASH"]:
        assert hist.active.loc[D, t] == pytest.approx(mv.get(t, 0) / total - bench.get(t, 0.0))
    assert hist.weights.loc[D].sum() == pytest.approx(1.0)


def test_duration_dv01_and_the_month_change(hist):
    # February durations: TSY 6.5, IGC 7.5, HYB 4, BILL 0.2; CASH 0
    num = 40800 * 6.5 + 30600 * 7.5 + 13200 * 4 + 10000 * 0.2
    assert hist.portfolio_duration.loc[D] == pytest.approx(num / 100177)
    assert hist.portfolio_dv01.loc[D] == pytest.approx(num * 1e-4)
    assert hist.dv01.loc[D, "TSY"] == pytest.approx(40800 * 6.5 * 1e-4)
    # benchmark: January 0.5*6 + 0.3*8 + 0.2*10 = 7.4; February 0.5*6.5 + 0.3*7.5 + 0.2*10 = 7.5
    assert hist.benchmark_duration.loc["2024-01-31"] == pytest.approx(7.4)
    assert hist.benchmark_duration.loc["2024-02-01"] == pytest.approx(7.5)
    assert hist.durations.loc["2024-01-31", "TSY"] == 6
    assert hist.durations.loc["2024-02-01", "TSY"] == 6.5
    assert hist.duration_gap.loc[D] == pytest.approx(num / 100177 - 7.5)


def test_cash_weight_counts_cash_and_proxies(hist):
    assert hist.cash_weight.loc[D] == pytest.approx((10000 + 5577) / 100177)


def test_positions_table_and_exposures(hist):
    pos = positions_on(hist, D).set_index("ticker")
    assert set(pos.index) == {"TSY", "IGC", "HYB", "BILL", "BMK", "CASH"}
    assert pos.loc["BMK", "shares"] == 0 and pos.loc["BMK", "benchmark_weight"] == 0.2
    assert pos.loc["HYB", "benchmark_weight"] == 0.0  # held outside the benchmark
    assert pos.loc["CASH", "price"] == 1.0 and pos.loc["CASH", "duration"] == 0.0
    assert pos.loc["TSY", "contribution_duration"] == pytest.approx(40800 / 100177 * 6.5)
    groups = exposure_table(pos.reset_index(), "group").set_index("group")
    assert groups.loc["treasury", "portfolio_weight"] == pytest.approx(40800 / 100177)
    assert groups.loc["treasury", "benchmark_weight"] == pytest.approx(0.7)
    assert groups.loc["cash", "portfolio_weight"] == pytest.approx(15577 / 100177)
    ratings = exposure_table(pos.reset_index(), "rating_bucket").set_index("rating_bucket")
    assert ratings.loc["AAA", "benchmark_weight"] == pytest.approx(0.7)
    assert ratings["active_weight"].sum() == pytest.approx(0.0)


def test_scaling_every_position_keeps_weights(tiny_book):
    """Metamorphic: doubling all shares and cash leaves weights unchanged."""
    from dataclasses import replace

    tx = tiny_book.transactions.copy()
    tx["shares"] = tx["shares"] * 2
    tx.loc[tx["action"].isin(["DEPOSIT", "WITHDRAWAL", "DIVIDEND", "FEE"]), "price"] *= 2
    tx["fees"] = tx["fees"] * 2
    doubled = replace(tiny_book, transactions=tx)
    a, b = compute_history(tiny_book), compute_history(doubled)
    np.testing.assert_allclose(a.weights.to_numpy(), b.weights.to_numpy())
    np.testing.assert_allclose(2 * a.total_value.to_numpy(), b.total_value.to_numpy())


def test_weekend_transactions_count_from_the_next_session():
    ledger = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-02-03", "2024-02-03"]),
            "ticker": ["CASH", "X"],
            "action": ["DEPOSIT", "BUY"],
            "shares": [np.nan, 10.0],
            "price": [1000.0, 10.0],
            "fees": [0.0, 1.0],
        }
    )
    dates = pd.DatetimeIndex(["2024-02-02", "2024-02-05"])
    sh = holdings(ledger, dates, ["X"])
    assert sh.loc["2024-02-02"].tolist() == [0.0, 0.0]
    assert sh.loc["2024-02-05"].tolist() == [10.0, 1000 - 100 - 1]
    assert flows_on(ledger, dates).tolist() == [0.0, 1000.0]
    assert cash_flow(ledger).tolist() == [1000.0, -101.0]


def test_stale_price_is_used_and_flagged(tmp_path):
    """A held ticker's close missing on the last 2 days: valued at its last close, flagged."""
    from conftest import TINY_DATES, TINY_PRICES, write_tiny_book

    from fimonitor.config import load_config
    from fimonitor.data.loaders import load_book
    from fimonitor.pipeline import build_pack

    rows = [
        f"{d},{t},{p},{p}"
        for t, ps in TINY_PRICES.items()
        for d, p in zip(TINY_DATES, ps, strict=True)
        if not (t == "IGC" and d >= "2024-02-08")
    ]
    data = write_tiny_book(
        tmp_path / "d", **{"prices.csv": "date,ticker,close,adj_close\n" + "\n".join(rows) + "\n"}
    )
    pack = build_pack(
        load_book(data), load_config(data / "monitor.yaml"), with_risk=False, with_rebalance=False
    )
    pos = pack.positions.set_index("ticker")
    assert pos.loc["IGC", "price"] == 50.0  # the 2024-02-07 close
    dq = pack.data_quality
    assert (
        dq.loc[dq["item"] == "stale price", "detail"]
        .str.startswith("IGC: last close 2024-02-07")
        .all()
    )
    assert pack.summary_value("stale_prices") == "IGC"
