"""The bundled demo book in data/ is consistent, real and reproducible."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / "data"


def _builder():
    spec = importlib.util.spec_from_file_location("build_demo_book", DATA / "build_demo_book.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def files():
    prices = pd.read_csv(DATA / "prices.csv", parse_dates=["date"])
    return {
        "prices": prices,
        "close": prices.pivot(index="date", columns="ticker", values="close"),
        "adj": prices.pivot(index="date", columns="ticker", values="adj_close"),
        "sec_field": pd.read_csv(DATA / "security_master.csv").set_index("ticker")["price_field"],
        "div": pd.read_csv(DATA / "dividends.csv", parse_dates=["date"]),
        "sec": pd.read_csv(DATA / "security_master.csv").set_index("ticker"),
        "bench": pd.read_csv(DATA / "benchmark_weights.csv"),
        "tx": pd.read_csv(DATA / "transactions.csv", parse_dates=["date"]),
    }


# ----------------------------------------------------------------------------- prices
def test_prices_match_recorded_digest_and_window(files):
    """prices.csv is byte-identical to the source rows of 2018-01-02..2026-04-30 (PROVENANCE)."""
    text = (DATA / "PROVENANCE.md").read_text()
    m = re.search(r"prices\.csv` sha256 `([0-9a-f]{64})`", text)
    assert m, "PROVENANCE.md must record the sha256 of prices.csv"
    assert hashlib.sha256((DATA / "prices.csv").read_bytes()).hexdigest() == m.group(1)
    p = files["prices"]
    assert p["date"].min() == pd.Timestamp("2018-01-02")
    assert p["date"].max() == pd.Timestamp("2026-04-30")
    assert p["ticker"].nunique() == 44
    assert not p.duplicated(["date", "ticker"]).any()


def test_prices_spot_checks_against_published_facts(files):
    close, adj = files["close"], files["adj"]
    # SPY close on 2019-12-31 was 321.86
    assert close.at[pd.Timestamp("2019-12-31"), "SPY"] == pytest.approx(321.86, abs=1e-9)
    # 2022 total returns: TLT -31.2 %, AGG -13.0 %, SPY -18.2 %
    y0, y1 = pd.Timestamp("2021-12-31"), pd.Timestamp("2022-12-30")
    for t, tr in (("TLT", -0.312), ("AGG", -0.130), ("SPY", -0.182)):
        assert adj.at[y1, t] / adj.at[y0, t] - 1 == pytest.approx(tr, abs=0.002)
    # blanks stay blank: no unadjusted close for MBB/SHV/AAPL, TLH only from 2024-07-23
    assert close[["MBB", "SHV", "AAPL"]].isna().all().all()
    assert close["TLH"].first_valid_index() == pd.Timestamp("2024-07-23")
    # the default as-of has a real valuation price (its price_field) for every fund held
    held = files["tx"].loc[files["tx"]["action"] == "BUY", "ticker"].unique()
    last = pd.Timestamp("2026-04-30")
    for t in held:
        panel = adj if files["sec_field"][t] == "adj_close" else close
        assert panel.at[last, t] > 0, t


# ----------------------------------------------------------------------------- master/bench
def test_security_master_covers_prices(files):
    sec = files["sec"]
    assert set(sec.index) == set(files["prices"]["ticker"])
    assert list(sec.columns) == [
        "name",
        "group",
        "sector",
        "rating_bucket",
        "is_cash_proxy",
        "price_field",
    ]
    assert set(sec.index[sec["is_cash_proxy"]]) == {"BIL", "SGOV", "SHV"}
    no_close = files["close"].columns[files["close"].isna().all()]
    assert set(sec.index[sec["price_field"] == "adj_close"]) == set(no_close)
    assert sec["name"].str.len().gt(3).all()
    allowed = {
        "cash",
        "treasury",
        "tips",
        "ig_credit",
        "hy_credit",
        "mbs",
        "em",
        "muni",
        "international",
        "aggregate",
        "equity",
    }
    assert set(sec["group"]) <= allowed
    assert (sec.loc[sec["group"] == "equity", "rating_bucket"] == "NR").all()


def test_benchmark_sums_to_one_and_is_an_aggregate_mix(files):
    every = files["bench"]
    sums = every.groupby(["benchmark", "effective_date"])["weight"].sum()
    assert sums.to_numpy() == pytest.approx(1.0, abs=1e-12)
    b = every[every["benchmark"] == "US_AGG_PROXY"]
    groups = b.assign(g=b["ticker"].map(files["sec"]["group"])).groupby("g")["weight"].sum()
    assert groups["treasury"] == pytest.approx(0.45)
    assert groups["mbs"] == pytest.approx(0.27)
    assert groups["ig_credit"] == pytest.approx(0.25)


def test_treasury_benchmark_is_the_treasury_sleeve_in_the_same_proportions(files):
    every = files["bench"]
    agg = every[every["benchmark"] == "US_AGG_PROXY"].set_index("ticker")["weight"]
    tre = every[every["benchmark"] == "US_TREASURY_PROXY"].set_index("ticker")["weight"]
    sleeve = agg[tre.index]
    assert set(tre.index) == {"SGOV", "SHY", "IEI", "IEF", "TLT", "GOVT"}
    assert tre.to_numpy() == pytest.approx((sleeve / sleeve.sum()).to_numpy(), abs=1e-11)


# ----------------------------------------------------------------------------- the ledger
def _positions_after_each_row(tx: pd.DataFrame) -> pd.Series:
    signed = np.where(
        tx["action"] == "BUY", tx["shares"], np.where(tx["action"] == "SELL", -tx["shares"], 0.0)
    )
    return pd.Series(signed, index=tx.index).groupby(tx["ticker"]).cumsum()


def test_ledger_tickers_and_prices_are_real(files):
    tx, close, adj, sec = files["tx"], files["close"], files["adj"], files["sec"]
    assert set(tx["action"]) == {"BUY", "SELL", "DEPOSIT", "WITHDRAWAL", "DIVIDEND", "FEE"}
    assert set(tx.loc[tx["ticker"] != "CASH", "ticker"]) <= set(sec.index)
    trades = tx[tx["action"].isin(["BUY", "SELL"])]
    # ticker by ticker: the real price of the ticker's price_field that day (adj_close for MBB)
    for t, g in trades.groupby("ticker"):
        field = sec.at[t, "price_field"]
        panel = adj if field == "adj_close" else close
        real = panel.loc[g["date"], t].to_numpy()
        assert np.array_equal(g["price"].to_numpy(), real), (t, field)  # exact
    assert sec.at["MBB", "price_field"] == "adj_close"
    mbb = trades[trades["ticker"] == "MBB"]
    assert len(mbb) > 5
    assert np.array_equal(mbb["price"].to_numpy(), adj.loc[mbb["date"], "MBB"].to_numpy())
    assert (trades["shares"] == trades["shares"].round()).all()  # whole shares
    fees = (trades["shares"] * trades["price"] * 1e-4 + 5).round(2)
    assert np.allclose(trades["fees"], fees, atol=1e-9)
    # MBB (the benchmark's MBS sleeve) is held; SHV/TLH and equities never are
    held = set(trades["ticker"])
    assert "MBB" in held
    assert not held & {"SHV", "TLH"}
    assert not (sec.loc[list(held), "group"] == "equity").any()
    assert 12 <= len(held) <= 18


def test_dividends_equal_shares_held_times_distribution(files):
    tx, div, sec = files["tx"], files["div"], files["sec"]
    pos = _positions_after_each_row(tx)
    # shares held at the end of each date, per ticker
    end_of_day = (
        tx.assign(pos=pos)
        .groupby(["date", "ticker"])["pos"]
        .last()
        .unstack()
        .sort_index()
        .ffill()
        .fillna(0.0)
    )
    rows = tx[tx["action"] == "DIVIDEND"]
    # adj_close-valued funds (MBB) have their distributions in the price: no DIVIDEND rows
    assert (sec.loc[rows["ticker"], "price_field"] == "close").all()
    assert not (rows["ticker"] == "MBB").any()
    merged = rows.merge(div, on=["date", "ticker"], how="left", validate="one_to_one")
    assert merged["dividend"].notna().all(), "every DIVIDEND row is a real distribution"
    held = [end_of_day.at[d, t] for d, t in zip(merged["date"], merged["ticker"], strict=True)]
    expected = np.array(held) * merged["dividend"].to_numpy()
    # booked in cents: within half a cent of shares x distribution
    assert np.abs(merged["price"].to_numpy() - expected).max() <= 0.005 + 1e-9
    # completeness: every distribution of a held fund in the book's life is booked
    life = div[(div["date"] > tx["date"].min()) & (div["date"] <= tx["date"].max())]
    on_close = sec.index[sec["price_field"] == "close"]
    life = life[life["ticker"].isin(end_of_day.columns) & life["ticker"].isin(on_close)]
    shares_then = np.array(
        [
            end_of_day.loc[:d, t].iloc[-1] if t in end_of_day else 0.0
            for d, t in zip(life["date"], life["ticker"], strict=True)
        ]
    )
    due = life[shares_then > 0]
    booked = set(zip(rows["date"], rows["ticker"], strict=True))
    assert set(zip(due["date"], due["ticker"], strict=True)) == booked


def test_cash_never_negative_and_no_oversell(files):
    tx = files["tx"]
    pos = _positions_after_each_row(tx)
    assert (pos[tx["action"] == "SELL"] >= 0).all()
    amount = tx["shares"].fillna(0) * tx["price"]
    flow = np.select(
        [
            tx["action"] == "BUY",
            tx["action"] == "SELL",
            tx["action"] == "DEPOSIT",
            tx["action"] == "DIVIDEND",
            tx["action"].isin(["WITHDRAWAL", "FEE"]),
        ],
        [-(amount + tx["fees"]), amount - tx["fees"], tx["price"], tx["price"], -tx["price"]],
    )
    cash = pd.Series(flow).cumsum()
    assert cash.min() >= -1e-6
    # deposits = 10m on the first day, two withdrawals, quarterly fees
    assert tx.loc[tx["action"] == "DEPOSIT", "price"].tolist() == [10_000_000.0]
    assert (tx["action"] == "WITHDRAWAL").sum() == 2
    assert (tx["action"] == "FEE").sum() >= 9


def test_transactions_are_what_the_builder_regenerates():
    b = _builder()
    fresh = b.build_transactions(DATA).to_csv(index=False, lineterminator="\n")
    assert fresh == (DATA / "transactions.csv").read_text()
    assert (
        b.build_security_master(DATA).to_csv(index=False, lineterminator="\n")
        == (DATA / "security_master.csv").read_text()
    )
    assert (
        b.build_benchmark().to_csv(index=False, lineterminator="\n")
        == (DATA / "benchmark_weights.csv").read_text()
    )


# ----------------------------------------------------------------------------- the alert story
def test_alert_story_comes_and_goes():
    """With data/monitor.yaml the 26-week window shows alerts that start, clear and stay open."""
    from fimonitor.analytics.exposures import compute_history
    from fimonitor.config import load_config
    from fimonitor.data.loaders import load_book
    from fimonitor.rules.engine import evaluate

    book = load_book(DATA)
    hist = compute_history(book)
    alerts = evaluate(hist, load_config(DATA / "monitor.yaml").rules)
    last = pd.Timestamp("2026-04-30")
    win = alerts[alerts["date"] > last - pd.Timedelta(weeks=26)]
    today = alerts[alerts["date"] == last]

    def seen(frame, rule, sev, ticker=None):
        f = frame[(frame["rule"] == rule) & (frame["severity"] == sev)]
        return len(f if ticker is None else f[f["ticker"] == ticker]) > 0

    # cured inside the window
    assert seen(win, "min_cash_weight", "BREACH") and not seen(today, "min_cash_weight", "WARN")
    assert seen(win, "group_max_weight", "BREACH", "hy_credit")
    assert seen(win, "duration_gap", "BREACH")
    assert seen(win, "max_single_name_weight", "WARN", "TLT")
    # still open on the as-of date
    assert seen(today, "duration_gap", "WARN")
    assert seen(today, "group_max_weight", "WARN", "hy_credit")
    assert seen(today, "active_weight", "BREACH", "TLT")
    assert seen(today, "active_weight", "BREACH", "JNK")
    assert not seen(today, "group_max_weight", "BREACH", "hy_credit")
    assert not seen(today, "max_single_name_weight", "WARN", "TLT")  # trimmed under 20 %
    # and the history before the window has its own episodes
    before = alerts[alerts["date"] <= last - pd.Timedelta(weeks=26)]
    assert seen(before, "max_single_name_weight", "WARN", "GOVT")
    assert seen(before, "min_cash_weight", "BREACH")
    assert seen(before, "active_weight", "BREACH", "TIP")


def test_mbb_is_held_near_its_benchmark_weight_and_nothing_breaches_forever():
    """MBB sits at 22-25 %: never an active-weight or single-name BREACH; no permanent BREACH."""
    from fimonitor.analytics.exposures import compute_history
    from fimonitor.config import load_config
    from fimonitor.data.loaders import load_book
    from fimonitor.rules.engine import evaluate

    book = load_book(DATA)
    hist = compute_history(book)
    alerts = evaluate(hist, load_config(DATA / "monitor.yaml").rules)
    w = hist.weights["MBB"]
    assert book.benchmark_weights(hist.dates[-1])["MBB"] == pytest.approx(0.27)
    assert w.notna().all() and len(w) == len(hist.dates)
    assert 0.22 <= w.min() and w.max() < 0.25
    mbb = alerts[alerts["ticker"] == "MBB"]
    assert not (mbb["severity"] == "BREACH").any()
    # the MBB active WARN (HY tilt funded out of MBS) comes and goes
    act = mbb[mbb["rule"] == "active_weight"]
    assert len(act) > 0 and act["date"].max() < pd.Timestamp("2026-03-01")
    # no rule/ticker is in BREACH on every evaluated date
    breach = alerts[alerts["severity"] == "BREACH"]
    days = breach.groupby(["rule", breach["ticker"].fillna("")])["date"].nunique()
    assert days.max() < len(hist.dates) / 2
