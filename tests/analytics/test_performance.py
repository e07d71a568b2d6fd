"""Period returns: base-date rules, quantstats' comp, a naive recomputation from the ledger."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import DATA

from fimonitor.analytics.exposures import compute_history
from fimonitor.analytics.performance import (
    PERIODS,
    RETURN_COLUMNS,
    base_dates,
    daily_table,
    period_returns,
    range_returns,
)
from fimonitor.analytics.performance_tables import performance_tables
from fimonitor.analytics.risk import time_weighted_returns
from fimonitor.cli import main
from fimonitor.data import calendar
from fimonitor.pipeline import benchmark_returns, load_inputs

AS_OF = pd.Timestamp("2026-04-30")


@pytest.fixture(scope="module")
def demo():
    book, cfg = load_inputs(DATA)
    h = compute_history(book, end=AS_OF, max_stale_days=cfg.max_stale_days)
    r = time_weighted_returns(h.total_value, h.flows)
    b = benchmark_returns(book, h, r.index)
    return book, cfg, h, r, b


def test_base_dates_rules():
    cal = calendar.sessions("2019-01-01", "2026-12-31")
    inc = pd.Timestamp("2020-01-02")
    bd = base_dates("2026-04-30", cal, inc)  # a Thursday
    assert bd["1D"] == pd.Timestamp("2026-04-29")
    assert bd["WTD"] == pd.Timestamp("2026-04-24")  # the Friday before Monday 27 April
    assert bd["MTD"] == pd.Timestamp("2026-03-31")
    assert bd["QTD"] == pd.Timestamp("2026-03-31")
    assert bd["YTD"] == pd.Timestamp("2025-12-31")
    assert bd["1Y"] == pd.Timestamp("2025-04-30")
    assert bd["3Y"] == pd.Timestamp("2023-04-28")  # 2023-04-30 is a Sunday
    assert bd["SI"] == inc
    # a leap day: one year earlier is 28 February 2023 (a Tuesday session)
    leap = base_dates("2024-02-29", cal, inc)
    assert leap["1Y"] == pd.Timestamp("2023-02-28")
    assert leap["3Y"] == pd.Timestamp("2021-02-26")  # 2021-02-28 is a Sunday
    assert leap["MTD"] == pd.Timestamp("2024-01-31")
    # the year after a leap day: 28 February 2025 -> 28 February 2024, not 29
    assert base_dates("2025-02-28", cal, inc)["1Y"] == pd.Timestamp("2024-02-28")
    # Monday: WTD = the previous Friday = 1D
    mon = base_dates("2026-04-27", cal, inc)
    assert mon["WTD"] == mon["1D"] == pd.Timestamp("2026-04-24")


def test_period_returns_against_quantstats_comp(demo):
    qs_stats = pytest.importorskip("quantstats.stats")
    book, _, _, r, b = demo
    cal = book.dates[book.dates <= AS_OF]
    out = period_returns(r, b, AS_OF, cal).set_index("period")
    assert list(out.reset_index().columns) == RETURN_COLUMNS
    assert list(out.index) == [*PERIODS, "3Y_ANN", "SI_ANN"]
    for period in ("1D", "WTD", "MTD", "QTD", "YTD", "1Y", "SI"):
        start = out.loc[period, "start"]
        m = (r.index > start) & (r.index <= AS_OF)
        assert out.loc[period, "portfolio_return"] == pytest.approx(
            qs_stats.comp(r[m]), rel=1e-12, abs=1e-15
        )
        assert out.loc[period, "benchmark_return"] == pytest.approx(
            qs_stats.comp(b[m]), rel=1e-12, abs=1e-15
        )
        assert out.loc[period, "active_return"] == pytest.approx(
            qs_stats.comp(r[m]) - qs_stats.comp(b[m]), abs=1e-14
        )
    # the history starts 2024-01-02: 3Y is longer than it, so blank (not shortened)
    assert out.loc[["3Y", "3Y_ANN"], "portfolio_return"].isna().all()
    assert out.loc["3Y", "start"] == pd.Timestamp("2023-04-28")
    assert out.loc["SI", "start"] == pd.Timestamp("2024-01-02")
    n = int(((r.index > out.loc["SI", "start"]) & (r.index <= AS_OF)).sum())
    assert out.loc["SI_ANN", "portfolio_return"] == pytest.approx(
        (1 + out.loc["SI", "portfolio_return"]) ** (252 / n) - 1, rel=1e-13
    )


def _naive_values(book, dates):
    """Shares x close + cash on each date, walking the ledger row by row (no library code)."""
    tx = book.transactions
    values = []
    for day in dates:
        shares, cash = {}, 0.0
        for row in tx.itertuples():
            if row.date > day:
                continue
            fees = 0.0 if pd.isna(row.fees) else row.fees
            if row.action == "BUY":
                shares[row.ticker] = shares.get(row.ticker, 0.0) + row.shares
                cash -= row.shares * row.price + fees
            elif row.action == "SELL":
                shares[row.ticker] = shares.get(row.ticker, 0.0) - row.shares
                cash += row.shares * row.price - fees
            elif row.action in ("DEPOSIT", "DIVIDEND"):
                cash += row.price - fees
            elif row.action in ("WITHDRAWAL", "FEE"):
                cash -= row.price + fees
        value = cash + sum(
            n * book.close[t].loc[:day].ffill().iloc[-1] for t, n in shares.items() if n
        )
        values.append(value)
    return pd.Series(values, index=dates)


def _naive_twr(book, values, start, end):
    """Value at the end over value at the base, split at every deposit/withdrawal day."""
    tx = book.transactions
    ext = tx[tx["action"].isin(["DEPOSIT", "WITHDRAWAL"])]
    ext_days = {}
    for row in ext.itertuples():
        day = values.index[values.index >= row.date][0]
        sign = 1.0 if row.action == "DEPOSIT" else -1.0
        ext_days[day] = ext_days.get(day, 0.0) + sign * row.price
    growth, base = 1.0, start
    for day in sorted(d for d in ext_days if start < d <= end):
        growth *= (values[day] - ext_days[day]) / values[base]
        base = day
    growth *= values[end] / values[base]
    return growth - 1.0


def test_period_returns_match_a_naive_ledger_recomputation(tiny_book):
    h = compute_history(tiny_book)
    r = time_weighted_returns(h.total_value, h.flows)
    b = r * 0
    as_of = pd.Timestamp("2024-02-09")
    out = period_returns(r, b, as_of, tiny_book.dates).set_index("period")
    values = _naive_values(tiny_book, tiny_book.dates)
    for period in ("1D", "WTD", "MTD", "SI"):
        start = out.loc[period, "start"]
        assert out.loc[period, "portfolio_return"] == pytest.approx(
            _naive_twr(tiny_book, values, start, as_of), rel=1e-12
        ), period
    # the tiny history starts 2024-01-29: YTD (base 2023-12-29 is not in it) is blank
    assert np.isnan(out.loc["YTD", "portfolio_return"])
    assert np.isnan(out.loc["1Y", "portfolio_return"])


@pytest.mark.slow
def test_demo_period_returns_match_the_ledger(demo):
    book, _, h, r, b = demo
    out = period_returns(r, b, AS_OF, book.dates[book.dates <= AS_OF]).set_index("period")
    wanted = ["MTD", "YTD", "1Y", "SI"]
    days = sorted({out.loc[p, "start"] for p in wanted} | {AS_OF})
    ext = book.transactions[book.transactions["action"].isin(["DEPOSIT", "WITHDRAWAL"])]
    ext_days = [h.dates[h.dates >= d][0] for d in ext["date"]]
    days = sorted(set(days) | set(ext_days) | {h.dates[h.dates < d][-1] for d in ext_days[1:]})
    values = _naive_values(book, pd.DatetimeIndex(days))
    # the naive valuation agrees with the history's
    np.testing.assert_allclose(values, h.total_value.loc[values.index], rtol=1e-12)
    full = pd.Series(np.nan, index=h.dates)
    full.loc[values.index] = values
    for p in wanted:
        start = out.loc[p, "start"]
        v = full.dropna()
        assert out.loc[p, "portfolio_return"] == pytest.approx(
            _naive_twr(book, v, start, AS_OF), rel=1e-10
        ), p


def test_range_returns_and_daily_table(demo):
    _, _, _, r, b = demo
    row = range_returns(r, b, "2025-12-31", AS_OF).iloc[0]
    m = (r.index > "2025-12-31") & (r.index <= AS_OF)
    assert row["portfolio_return"] == pytest.approx(np.prod(1 + r[m]) - 1, rel=1e-14)
    assert row["active_return"] == row["portfolio_return"] - row["benchmark_return"]
    # a start before the history is blank, not shortened
    assert np.isnan(
        range_returns(r, b, "2023-06-30", AS_OF, inception=pd.Timestamp("2024-01-02"))[
            "portfolio_return"
        ].iloc[0]
    )
    daily = daily_table(r, b)
    assert daily["cumulative_portfolio"].iloc[-1] == pytest.approx(np.prod(1 + r) - 1)
    assert daily["cumulative_active"].iloc[-1] == pytest.approx(
        np.prod(1 + r) - np.prod(1 + b), abs=1e-14
    )


def test_performance_tables_keys_and_agreement(demo):
    book, cfg, h, _, _ = demo
    t = performance_tables(book, h, AS_OF, cfg)
    assert set(t) == {"performance", "attribution", "rate_attribution", "daily"}
    perf = t["performance"].set_index("period")
    assert perf.loc["YTD", "portfolio_return"] == pytest.approx(
        t["daily"].set_index("date").loc["2026-01-01":, "portfolio_return"].add(1).prod() - 1
    )
    # as of an earlier date, the tables stop there
    early = performance_tables(book, h, "2025-06-30", cfg)
    assert early["daily"]["date"].max() == pd.Timestamp("2025-06-30")
    assert early["performance"]["end"].eq(pd.Timestamp("2025-06-30")).all()


def test_command_prints_and_writes(tmp_path, capsys):
    code = main(
        [
            "performance",
            "--from",
            "2026-01-01",
            "--to",
            "2026-04-26",  # a Sunday: the previous session
            "--data",
            str(DATA),
            "--csv",
            str(tmp_path / "out"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "-> 2026-04-24" in out and "base close 2025-12-31" in out
    assert "TOTAL" in out and "treasury" in out and "rate" in out
    perf = pd.read_csv(tmp_path / "out" / "performance.csv")
    att = pd.read_csv(tmp_path / "out" / "attribution.csv")
    assert list(perf.columns) == RETURN_COLUMNS
    assert abs(att["total"].sum() - perf["active_return"].iloc[0]) < 1e-12
    assert (tmp_path / "out" / "rate_attribution.csv").is_file()
    assert (tmp_path / "out" / "daily.csv").is_file()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--from", "2026-02-30"], "--from '2026-02-30' is not a date"),
        (["--from", "2023-01-01"], "first position"),
        (["--to", "2027-01-01"], "after the last price date"),
        (["--from", "2026-04-01", "--to", "2026-03-01"], "is after --to"),
    ],
)
def test_command_bad_dates_exit_2_one_line(capsys, args, needle):
    code = main(["performance", "--data", str(DATA), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert err.count("\n") == 1 and "Traceback" not in err
