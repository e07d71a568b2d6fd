"""Brinson–Fachler attribution, Carino linking and the rate split, against hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, TINY_SECURITIES, write_tiny_book

from fimonitor.analytics.attribution import (
    ATTRIBUTION_COLUMNS,
    attribution,
    brinson_fachler,
    daily_attribution,
    daily_effects,
    from_panels,
    ticker_pnl,
)
from fimonitor.analytics.exposures import compute_history
from fimonitor.analytics.linking import carino_factor
from fimonitor.analytics.performance import base_dates
from fimonitor.analytics.performance_tables import performance_tables
from fimonitor.analytics.rate_attribution import RATE_COLUMNS, rate_attribution
from fimonitor.analytics.risk import time_weighted_returns
from fimonitor.data.curves import interpolate_rows, read_treasury_curve
from fimonitor.data.loaders import load_book

# ---------------------------------------------------------------- hand-made two-group book
# Portfolio: TSY (treasury) and IGC (ig_credit); benchmark: BT (treasury) 50 %, BC (ig_credit)
# 50 %. Three closes, two daily returns; IGC pays a dividend of 20 on day 2.
HAND_DATES = ["2024-01-02", "2024-01-03", "2024-01-04"]
HAND_PRICES = {
    "TSY": [100.0, 101.0, 99.99],  # +1 %, -1 %
    "IGC": [50.0, 51.0, 51.51],  # +2 %, +1 % (+ dividend)
    "BT": [100.0, 100.5, 101.505],  # +0.5 %, +1 %
    "BC": [100.0, 102.0, 100.98],  # +2 %, -1 %
}
HAND_SECURITIES = """ticker,name,group,sector,rating_bucket,is_cash_proxy
TSY,Treasury Fund,treasury,Treasury,AAA,false
IGC,IG Credit Fund,ig_credit,IG corporate,A,false
BT,Benchmark Treasury,treasury,Treasury,AAA,false
BC,Benchmark Credit,ig_credit,IG corporate,A,false
"""
HAND_TRANSACTIONS = """date,ticker,action,shares,price,fees
2024-01-02,,DEPOSIT,,10000,
2024-01-02,TSY,BUY,60,100,0
2024-01-02,IGC,BUY,80,50,0
2024-01-04,IGC,DIVIDEND,,20,
"""
HAND_DURATIONS = """month,ticker,duration
2024-01,TSY,6
2024-01,IGC,7
2024-01,BT,5
2024-01,BC,8
"""


@pytest.fixture
def hand_book(tmp_path):
    rows = [
        f"{d},{t},{p},{p}"
        for t, ps in HAND_PRICES.items()
        for d, p in zip(HAND_DATES, ps, strict=True)
    ]
    folder = write_tiny_book(
        tmp_path / "hand",
        **{
            "security_master.csv": HAND_SECURITIES,
            "prices.csv": "date,ticker,close,adj_close\n" + "\n".join(rows) + "\n",
            "duration_monthly.csv": HAND_DURATIONS,
            "benchmark_weights.csv": "ticker,weight\nBT,0.5\nBC,0.5\n",
            "transactions.csv": HAND_TRANSACTIONS,
        },
    )
    book = load_book(folder)
    return book, compute_history(book)


def _carino(r, b):
    # log1p: ln(1 + x) for small x without cancellation
    return (math.log1p(r) - math.log1p(b)) / (r - b)


def test_hand_book_daily_effects(hand_book):
    book, h = hand_book
    d = daily_attribution(book, h)
    assert list(d.dates.strftime("%Y-%m-%d")) == HAND_DATES[1:]
    assert list(d.groups) == ["cash", "ig_credit", "treasury"]
    eff = daily_effects(d)
    g = {name: i for i, name in enumerate(d.groups)}
    # day 1: w = (TSY 0.6, IGC 0.4), r_T = 1 %, r_I = 2 %; W = 0.5/0.5, B_T = 0.5 %, B_I = 2 %
    r1, b1 = 0.6 * 0.01 + 0.4 * 0.02, 0.5 * 0.005 + 0.5 * 0.02  # 1.4 %, 1.25 %
    # day 2: start values TSY 6060, IGC 4080 (V 10140); r_T = -1 %, r_I = (40.8 + 20) / 4080
    wt2, wi2 = 6060 / 10140, 4080 / 10140
    rt2, ri2 = -0.01, (80 * 0.51 + 20) / 4080
    r2, b2 = wt2 * rt2 + wi2 * ri2, 0.5 * 0.01 + 0.5 * -0.01  # b2 = 0
    assert d.portfolio_return.to_numpy() == pytest.approx([r1, r2], abs=1e-15)
    assert d.benchmark_return.to_numpy() == pytest.approx([b1, b2], abs=1e-15)
    expected = {
        # (allocation, selection, interaction) per day for treasury, then ig_credit
        ("treasury", 0): (0.1 * (0.005 - b1), 0.5 * (0.01 - 0.005), 0.1 * (0.01 - 0.005)),
        ("ig_credit", 0): (-0.1 * (0.02 - b1), 0.5 * (0.02 - 0.02), -0.1 * (0.02 - 0.02)),
        ("treasury", 1): (
            (wt2 - 0.5) * (0.01 - b2),
            0.5 * (rt2 - 0.01),
            (wt2 - 0.5) * (rt2 - 0.01),
        ),
        ("ig_credit", 1): (
            (wi2 - 0.5) * (-0.01 - b2),
            0.5 * (ri2 + 0.01),
            (wi2 - 0.5) * (ri2 + 0.01),
        ),
    }
    for (group, day), (a, s, i) in expected.items():
        col = g[group]
        assert eff["allocation"][day, col] == pytest.approx(a, abs=1e-15)
        assert eff["selection"][day, col] == pytest.approx(s, abs=1e-15)
        assert eff["interaction"][day, col] == pytest.approx(i, abs=1e-15)
    # the cash group holds nothing and is in no benchmark: every effect is 0
    for k in ("allocation", "selection", "interaction"):
        assert np.all(eff[k][:, g["cash"]] == 0)

    # Carino-linked two-day effects, by hand
    big_r, big_b = (1 + r1) * (1 + r2) - 1, (1 + b1) * (1 + b2) - 1
    k = _carino(big_r, big_b)
    k1, k2 = _carino(r1, b1), math.log1p(r2) / r2  # b2 = 0
    table = attribution(d, [("SI", pd.Timestamp(HAND_DATES[0]), pd.Timestamp(HAND_DATES[2]))])
    assert list(table.columns) == ATTRIBUTION_COLUMNS
    assert list(table["group"]) == ["ig_credit", "treasury"]  # cash: nothing to show
    t = table.set_index("group")
    for group in ("treasury", "ig_credit"):
        for n, effect in enumerate(("allocation", "selection", "interaction")):
            day1, day2 = expected[(group, 0)][n], expected[(group, 1)][n]
            assert t.loc[group, effect] == pytest.approx((k1 * day1 + k2 * day2) / k, abs=1e-15)
    assert t["total"].sum() == pytest.approx(big_r - big_b, abs=1e-15)
    assert t.loc["treasury", "portfolio_weight"] == pytest.approx((0.6 + wt2) / 2)
    assert t.loc["treasury", "benchmark_weight"] == pytest.approx(0.5)
    assert t.loc["ig_credit", "portfolio_return"] == pytest.approx(1.02 * (1 + ri2) - 1)
    assert t.loc["ig_credit", "benchmark_return"] == pytest.approx(1.02 * 0.99 - 1)


def test_single_day_equals_textbook_brinson_fachler(hand_book):
    book, h = hand_book
    d = daily_attribution(book, h)
    eff = daily_effects(d)
    for day in range(2):
        wp = d.portfolio_weight.iloc[day].to_numpy()
        wb = d.benchmark_weight.iloc[day].to_numpy()
        held = (wp != 0) & (wb != 0)
        rp = d.portfolio_contribution.iloc[day].to_numpy()[held] / wp[held]
        rb = d.benchmark_contribution.iloc[day].to_numpy()[held] / wb[held]
        a, s, i = brinson_fachler(wp[held], rp, wb[held], rb)
        np.testing.assert_allclose(eff["allocation"][day, held], a, atol=1e-16)
        np.testing.assert_allclose(eff["selection"][day, held], s, atol=1e-16)
        np.testing.assert_allclose(eff["interaction"][day, held], i, atol=1e-16)
        # one day: linking is the identity (k_t / K = 1)
        date = d.dates[day]
        prev = pd.Timestamp(HAND_DATES[day])
        one = attribution(d, [("1D", prev, date)]).set_index("group")
        groups = d.groups[held]
        np.testing.assert_allclose(one.loc[groups, "allocation"], a, atol=1e-16)


def test_unheld_and_off_benchmark_groups(tiny_book):
    """HYB (hy_credit) is held, not in the benchmark; BMK (treasury) is in the benchmark only."""
    h = compute_history(tiny_book)
    d = daily_attribution(tiny_book, h)
    eff = daily_effects(d)
    hy = list(d.groups).index("hy_credit")
    b = d.benchmark_return.to_numpy()
    assert np.all(eff["allocation"][:, hy] == 0)
    assert np.all(eff["interaction"][:, hy] == 0)
    wp = d.portfolio_weight["hy_credit"].to_numpy()
    rp = d.portfolio_contribution["hy_credit"].to_numpy() / wp
    np.testing.assert_allclose(eff["selection"][:, hy], wp * (rp - b), atol=1e-16)
    np.testing.assert_allclose(eff["benchmark_return"][:, hy], b)


def test_pnl_conventions_on_tiny_book(tiny_book):
    h = compute_history(tiny_book)
    pnl = ticker_pnl(tiny_book, h)
    # FEE of 25 on 2024-02-05 is CASH's PnL; the withdrawal on 02-06 is not PnL
    assert pnl.loc["2024-02-05", "CASH"] == pytest.approx(-25.0)
    assert pnl.loc["2024-02-06", "CASH"] == pytest.approx(0.0)
    # the partial sale of 50 HYB at 90 with fees 3 on 02-07: ΔMV + proceeds - fees
    mv = h.market_value["HYB"]
    assert pnl.loc["2024-02-07", "HYB"] == pytest.approx(
        mv.loc["2024-02-07"] - mv.loc["2024-02-06"] + 50 * 90 - 3
    )
    # the IGC dividend of 120 on 02-01 is IGC's
    igc = h.market_value["IGC"]
    assert pnl.loc["2024-02-01", "IGC"] == pytest.approx(
        igc.loc["2024-02-01"] - igc.loc["2024-01-31"] + 120
    )
    # Σ PnL / V_{t-1} is the time-weighted return
    r = time_weighted_returns(h.total_value, h.flows)
    v_prev = h.total_value.shift(1)
    np.testing.assert_allclose((pnl.sum(axis=1) / v_prev).loc[r.index], r, atol=1e-15)


def _random_book(folder, seed: int):
    """A random 60-day book on the tiny securities: random walk prices, random ledger."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2024-03-01", periods=60)
    tickers = ["TSY", "IGC", "HYB", "BILL", "BMK"]
    px = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, (60, 5)), axis=0))
    rows = [
        f"{d:%Y-%m-%d},{t},{px[i, j]:.4f},{px[i, j]:.4f}"
        for i, d in enumerate(dates)
        for j, t in enumerate(tickers)
    ]
    held = dict.fromkeys(tickers[:4], 0)
    ledger = [f"{dates[0]:%Y-%m-%d},,DEPOSIT,,100000,"]
    for j, t in enumerate(tickers[:4]):
        n = int(rng.integers(100, 400))
        held[t] += n
        ledger.append(f"{dates[0]:%Y-%m-%d},{t},BUY,{n},{px[0, j]:.4f},{rng.uniform(0, 5):.2f}")
    for i in sorted(rng.choice(np.arange(1, 60), 25, replace=False)):
        j = int(rng.integers(0, 4))
        t, day = tickers[j], f"{dates[i]:%Y-%m-%d}"
        kind = rng.choice(["BUY", "SELL", "DIVIDEND", "FEE", "DEPOSIT", "WITHDRAWAL"])
        fill = px[i, j] * (1 + rng.normal(0, 0.002))  # fills differ from the close
        if kind == "BUY":
            n = int(rng.integers(1, 50))
            held[t] += n
            ledger.append(f"{day},{t},BUY,{n},{fill:.4f},{rng.uniform(0, 5):.2f}")
        elif kind == "SELL" and held[t] > 1:
            n = int(rng.integers(1, held[t]))
            held[t] -= n
            ledger.append(f"{day},{t},SELL,{n},{fill:.4f},{rng.uniform(0, 5):.2f}")
        elif kind == "DIVIDEND":
            ledger.append(f"{day},{t},DIVIDEND,,{rng.uniform(10, 200):.2f},")
        elif kind == "FEE":
            ledger.append(f"{day},CASH,FEE,,{rng.uniform(5, 50):.2f},")
        elif kind in ("DEPOSIT", "WITHDRAWAL"):
            ledger.append(f"{day},,{kind},,{rng.uniform(100, 5000):.2f},")
    bench = (
        "ticker,weight,effective_date\nTSY,50,2024-03-01\nIGC,30,2024-03-01\nBMK,20,2024-03-01\n"
    )
    bench += "TSY,30,2024-04-15\nIGC,40,2024-04-15\nBMK,20,2024-04-15\nBILL,10,2024-04-15\n"
    return load_book(
        write_tiny_book(
            folder,
            **{
                "prices.csv": "date,ticker,close,adj_close\n" + "\n".join(rows) + "\n",
                "transactions.csv": "date,ticker,action,shares,price,fees\n"
                + "\n".join(ledger)
                + "\n",
                "benchmark_weights.csv": bench,
                "security_master.csv": TINY_SECURITIES,
                "treasury_yields.csv": (DATA / "treasury_yields.csv").read_text(),
            },
        )
    )


def _check_identity(book, h, as_of, tables=None):
    tables = tables or performance_tables(book, h, as_of)
    perf = tables["performance"].set_index("period")
    att = tables["attribution"]
    checked = 0
    for period, g in att.groupby("period"):
        active = perf.loc[period, "active_return"]
        if np.isnan(active):
            assert g["total"].isna().all()
            continue
        assert abs(g["total"].sum() - active) < 1e-12, period
        effects = g[["allocation", "selection", "interaction"]].to_numpy().sum()
        assert abs(effects - active) < 1e-12
        checked += 1
    rate = tables["rate_attribution"].set_index("period")
    for period in rate.index:
        if np.isfinite(rate.loc[period, "active_return"]):
            assert rate.loc[period, "active_return"] == pytest.approx(
                perf.loc[period, "active_return"], abs=1e-15
            )
            assert (
                abs(
                    rate.loc[period, "rate"]
                    + rate.loc[period, "residual"]
                    - rate.loc[period, "active_return"]
                )
                < 1e-15
            )
    return checked


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_identity_on_random_books(tmp_path, seed):
    book = _random_book(tmp_path / f"r{seed}", seed)
    h = compute_history(book)
    d = daily_attribution(book, h)
    # groups sum to the portfolio's time-weighted return every day
    np.testing.assert_allclose(
        d.portfolio_contribution.sum(axis=1), d.portfolio_return, rtol=0, atol=1e-15
    )
    rng = np.random.default_rng(seed)
    ranges = []
    for _ in range(20):
        i, j = sorted(rng.choice(len(h.dates), 2, replace=False))
        ranges.append((f"R{i}-{j}", h.dates[i], h.dates[j]))
    table = attribution(d, ranges)
    r, b = d.portfolio_return, d.benchmark_return
    for label, start, end in ranges:
        m = (r.index > start) & (r.index <= end)
        active = np.prod(1 + r[m]) - np.prod(1 + b[m])
        assert abs(table.loc[table["period"] == label, "total"].sum() - active) < 1e-12
    as_of = h.dates[-1]
    _check_identity(book, h, as_of)


def test_identity_on_demo_book_every_period():
    from fimonitor.pipeline import benchmark_returns, load_inputs

    book, cfg = load_inputs(DATA)
    h = compute_history(book, end="2026-04-30", max_stale_days=cfg.max_stale_days)
    tables = performance_tables(book, h, "2026-04-30", cfg)
    assert _check_identity(book, h, "2026-04-30", tables) == 4
    d = daily_attribution(book, h)
    # the benchmark side is exactly the pack's benchmark return
    pd.testing.assert_series_equal(
        d.benchmark_return, benchmark_returns(book, h, d.dates), check_names=False
    )
    np.testing.assert_allclose(
        d.portfolio_contribution.sum(axis=1), d.portfolio_return, rtol=0, atol=1e-15
    )
    # every month-end of the history, every period
    for as_of in pd.date_range("2024-03-31", "2026-03-31", freq="QE"):
        day = h.dates[h.dates <= as_of][-1]
        _check_identity(book, h, day)
    assert list(tables["attribution"].columns) == ATTRIBUTION_COLUMNS
    assert list(tables["rate_attribution"].columns) == RATE_COLUMNS
    assert set(tables["attribution"]["group"]) >= {"cash", "treasury", "mbs", "ig_credit"}


def test_carino_factor_limits_and_identity():
    assert carino_factor(0.01, 0.01) == pytest.approx(1 / 1.01)
    assert carino_factor(0.0, 0.0) == 1.0
    r, b = 0.013, -0.004
    assert carino_factor(r, b) == pytest.approx(math.log(1.013 / 0.996) / 0.017, rel=1e-14)
    # near-equal returns: stable, close to the limit
    assert carino_factor(0.01 + 1e-13, 0.01) == pytest.approx(1 / 1.01, rel=1e-9)


def test_rate_attribution_by_hand():
    dates = pd.DatetimeIndex(["2024-01-03", "2024-01-04"])
    groups = ["g"]
    one = pd.DataFrame(1.0, index=dates, columns=groups)
    r = pd.Series([0.002, -0.001], index=dates)
    b = pd.Series([0.001, 0.0005], index=dates)
    d = from_panels(
        one,
        one.mul(r, axis=0),
        one,
        one.mul(b, axis=0),
        pd.Series({"g": "g"}),
        r,
        b,
        pd.Series([6.0, 6.0], index=dates),
        pd.Series([4.0, 5.0], index=dates),
    )
    # curve: 2y and 10y tenors; yields at 2024-01-02, 03, 04
    curve = pd.DataFrame(
        [[0.04, 0.05], [0.041, 0.052], [0.041, 0.050]],
        index=pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-04"]),
        columns=[2.0, 10.0],
    )

    def y(row, m):
        return curve.iloc[row, 0] + (curve.iloc[row, 1] - curve.iloc[row, 0]) * (m - 2) / 8

    rate1 = -(6 * (y(1, 6) - y(0, 6)) - 4 * (y(1, 4) - y(0, 4)))
    rate2 = -(6 * (y(2, 6) - y(1, 6)) - 5 * (y(2, 5) - y(1, 5)))
    big_r, big_b = 1.002 * 0.999 - 1, 1.001 * 1.0005 - 1
    k = _carino(big_r, big_b)
    expected = (_carino(0.002, 0.001) * rate1 + _carino(-0.001, 0.0005) * rate2) / k
    out = rate_attribution(d, curve, [("ALL", pd.Timestamp("2024-01-02"), dates[-1])])
    row = out.iloc[0]
    assert row["rate"] == pytest.approx(expected, abs=1e-16)
    assert row["active_return"] == pytest.approx(big_r - big_b, abs=1e-16)
    assert row["residual"] == pytest.approx(big_r - big_b - expected, abs=1e-16)
    assert row["avg_active_duration"] == pytest.approx(1.5)
    # a flat, unmoving curve: no rate effect
    flat = curve * 0 + 0.03
    assert rate_attribution(d, flat, [("ALL", pd.Timestamp("2024-01-02"), dates[-1])])["rate"].iloc[
        0
    ] == pytest.approx(0.0, abs=1e-18)


def test_curve_reader_and_interpolation_vs_numpy():
    curve = read_treasury_curve(DATA / "treasury_yields.csv")
    assert list(curve.columns) == sorted(curve.columns)
    assert curve.columns[0] == pytest.approx(1 / 12) and curve.columns[-1] == 30.0
    assert curve.loc["2018-01-02", 10.0] == pytest.approx(0.0246)
    rng = np.random.default_rng(0)
    sample = curve.dropna().iloc[:50]
    at = rng.uniform(0, 35, len(sample))
    got = interpolate_rows(sample.to_numpy(), sample.columns.to_numpy(), at)
    want = [np.interp(a, sample.columns, row) for a, row in zip(at, sample.to_numpy(), strict=True)]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)


def test_blank_period_gives_blank_rows(hand_book):
    book, h = hand_book
    d = daily_attribution(book, h)
    bases = base_dates("2024-01-04", pd.DatetimeIndex(["2023-12-29", *HAND_DATES]), h.dates[0])
    out = attribution(d, [("YTD", bases["YTD"], pd.Timestamp("2024-01-04"))])
    assert out["total"].isna().all() and len(out) == len(d.groups)
