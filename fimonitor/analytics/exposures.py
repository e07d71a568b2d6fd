"""Market values, weights, duration, DV01 and exposures over every date at once.

Active weights and group/rating exposures too; see docs/definitions.md.

Definitions (all per date; w = portfolio weight, b = benchmark weight, D = duration):

- market value of a holding = shares x close (currency); CASH = cash balance.
- portfolio market value V = Σ market values (CASH included).
- weight w = market value / V; active weight = w − b (CASH included, b_CASH = 0 unless the
  benchmark holds CASH).
- duration D of a holding = its monthly duration in effect on the date (the month's value holds
  from the month's first day, forward-filled); CASH 0.
- portfolio duration = Σ w·D; benchmark duration = Σ b·D; duration gap = portfolio − benchmark
  (the rule uses its absolute value), years.
- DV01 = market value × D × 0.0001 (currency per 1 bp); portfolio DV01 = Σ DV01.
- contribution to duration = w·D (years).
- cash weight = CASH + every ``is_cash_proxy`` holding.
- group / rating exposure = Σ w (and Σ b) over the holdings of each security-master group /
  rating bucket.

A missing close is carried forward up to ``max_stale_days`` trading days (the pack flags it);
beyond that the holding's market value is NaN on that date, and so are the portfolio totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fimonitor.analytics.positions import flows_on, holdings, values_as_of
from fimonitor.analytics.summary import cash_weight, dv01, weighted_duration
from fimonitor.data.book import CASH, Book

Panel = pd.DataFrame


@dataclass(frozen=True)
class History:
    """Panels over a date range; columns = tickers (held at any time or in the benchmark) + CASH."""

    securities: pd.DataFrame
    shares: Panel
    prices: Panel
    market_value: Panel
    total_value: pd.Series
    weights: Panel
    benchmark: Panel
    durations: Panel
    portfolio_duration: pd.Series
    benchmark_duration: pd.Series
    cash_weight: pd.Series
    benchmark_cash_weight: pd.Series
    flows: pd.Series

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The evaluated price dates."""
        return self.weights.index

    @property
    def active(self) -> Panel:
        """Active weights w − b, date x ticker (fractions)."""
        return self.weights - self.benchmark

    @property
    def duration_gap(self) -> pd.Series:
        """Portfolio minus benchmark duration per date, years."""
        return (self.portfolio_duration - self.benchmark_duration).rename("duration_gap")

    @property
    def dv01(self) -> Panel:
        """DV01 of each holding, date x ticker, currency per basis point.

        ``market_value · duration · 1 bp`` (:func:`~fimonitor.analytics.summary.dv01`),
        computed on each access rather than held (one panel less in memory).
        """
        mv = self.market_value
        return pd.DataFrame(
            dv01(mv.to_numpy(), self.durations.to_numpy()), index=mv.index, columns=mv.columns
        )

    @property
    def portfolio_dv01(self) -> pd.Series:
        """Σ DV01 of the holdings per date, currency per basis point."""
        return self.dv01.sum(axis=1, min_count=1).rename("portfolio_dv01")

    def exposure(self, by: str) -> tuple[Panel, Panel]:
        """(portfolio, benchmark) weights summed by a security-master column, date x bucket."""
        return group_sum(self.weights, self.securities[by]), group_sum(
            self.benchmark, self.securities[by]
        )


def group_sum(panel: Panel, labels: pd.Series) -> Panel:
    """Σ of the panel's columns per label (date x label), as one matrix product."""
    lab = labels.reindex(panel.columns)
    codes, uniques = pd.factorize(lab, sort=True)
    onehot = np.zeros((len(panel.columns), len(uniques)))
    onehot[np.arange(len(codes)), codes] = 1.0
    values = np.nan_to_num(panel.to_numpy(dtype=float)) @ onehot
    nan_rows = panel.isna().all(axis=1).to_numpy()
    values[nan_rows] = np.nan
    return pd.DataFrame(values, index=panel.index, columns=pd.Index(uniques, name=labels.name))


def _step_panel(
    monthly: Panel, dates: pd.DatetimeIndex, columns: list[str], fill: float | None
) -> Panel:
    """Values in effect on each date from a panel indexed by effective dates."""
    out = values_as_of(monthly.reindex(columns=columns), dates)
    return out.fillna(fill) if fill is not None else out


def universe(book: Book) -> list[str]:
    """Tickers ever traded or in any benchmark, sorted, CASH last."""
    traded = set(book.transactions.loc[book.transactions["ticker"] != CASH, "ticker"])
    bench = set(book.benchmark.columns[(book.benchmark > 0).any()])
    return [*sorted(traded | bench), CASH]


def compute_history(book: Book, start=None, end=None, *, max_stale_days: int = 5) -> History:
    """All panels for the price dates in [start, end] (defaults: the first transaction, last price).

    Vectorised over dates and tickers; see the module docstring for the definitions.
    """
    cols = universe(book)
    tick = cols[:-1]
    all_dates = book.dates
    start = (
        pd.Timestamp(start) if start is not None else (book.first_transaction_date or all_dates[0])
    )
    end = pd.Timestamp(end) if end is not None else all_dates[-1]
    dates = all_dates[(all_dates >= start) & (all_dates <= end)]

    shares = holdings(book.transactions, dates, tick)
    px = book.close.reindex(columns=tick).ffill(limit=max_stale_days).reindex(dates)
    px[CASH] = 1.0
    sh = shares.to_numpy()
    p = px.to_numpy()
    mv_arr = np.where(sh == 0.0, 0.0, sh * p)
    mv = pd.DataFrame(mv_arr, index=dates, columns=cols)
    total = mv.sum(axis=1, min_count=len(cols)).rename("market_value")
    with np.errstate(invalid="ignore", divide="ignore"):
        w_arr = mv_arr / total.to_numpy()[:, None]
    weights = pd.DataFrame(w_arr, index=dates, columns=cols)

    bench = _step_panel(book.benchmark, dates, cols, fill=0.0)
    dur = _step_panel(book.durations, dates, cols, fill=None)
    dur[CASH] = 0.0
    d_arr = dur.to_numpy()
    port_d = weighted_duration(w_arr, d_arr)
    b_arr = bench.to_numpy()
    bench_d = weighted_duration(b_arr, d_arr)

    is_cash = (
        book.securities["is_cash_proxy"].reindex(cols).fillna(False).to_numpy(dtype=bool, copy=True)
    )
    is_cash[-1] = True
    cash_w = cash_weight(weights, is_cash)
    bench_cash = pd.Series(b_arr[:, is_cash].sum(axis=1), index=dates, name="benchmark_cash")

    sec = book.securities.reindex(cols)
    return History(
        securities=sec,
        shares=shares,
        prices=px,
        market_value=mv,
        total_value=total,
        weights=weights,
        benchmark=bench,
        durations=dur,
        portfolio_duration=pd.Series(port_d, index=dates, name="portfolio_duration"),
        benchmark_duration=pd.Series(bench_d, index=dates, name="benchmark_duration"),
        cash_weight=cash_w,
        benchmark_cash_weight=bench_cash,
        flows=flows_on(book.transactions, dates),
    )


def positions_on(history: History, date: pd.Timestamp) -> pd.DataFrame:
    """Return the as-of holdings frame: one row per ticker held or in the benchmark (CASH included).

    Columns: ticker, name, group, sector, rating_bucket, is_cash_proxy, shares, price,
    market_value, weight, benchmark_weight, active_weight, duration, dv01,
    contribution_duration. CASH has price 1 and shares = the cash balance.
    """
    d = pd.Timestamp(date)
    sec = history.securities
    frame = pd.DataFrame(
        {
            "ticker": history.weights.columns,
            "name": sec["name"].to_numpy(),
            "group": sec["group"].to_numpy(),
            "sector": sec["sector"].to_numpy(),
            "rating_bucket": sec["rating_bucket"].to_numpy(),
            "is_cash_proxy": sec["is_cash_proxy"].fillna(False).astype(bool).to_numpy(),
            "shares": history.shares.loc[d].to_numpy(),
            "price": history.prices.loc[d].to_numpy(),
            "market_value": history.market_value.loc[d].to_numpy(),
            "weight": history.weights.loc[d].to_numpy(),
            "benchmark_weight": history.benchmark.loc[d].to_numpy(),
            "duration": history.durations.loc[d].to_numpy(),
            "dv01": dv01(
                history.market_value.loc[d].to_numpy(), history.durations.loc[d].to_numpy()
            ),
        }
    )
    frame["active_weight"] = frame["weight"] - frame["benchmark_weight"]
    frame["contribution_duration"] = np.where(
        frame["weight"] == 0, 0.0, frame["weight"] * frame["duration"]
    )
    keep = (frame["shares"] != 0) | (frame["benchmark_weight"] != 0) | (frame["ticker"] == CASH)
    frame = frame[keep.to_numpy()].reset_index(drop=True)
    order = [
        "ticker",
        "name",
        "group",
        "sector",
        "rating_bucket",
        "is_cash_proxy",
        "shares",
        "price",
        "market_value",
        "weight",
        "benchmark_weight",
        "active_weight",
        "duration",
        "dv01",
        "contribution_duration",
    ]
    return frame[order]


def exposure_table(positions: pd.DataFrame, by: str) -> pd.DataFrame:
    """``<by>, portfolio_weight, benchmark_weight, active_weight`` from an as-of frame."""
    g = positions.groupby(by, sort=True)[["weight", "benchmark_weight"]].sum()
    out = pd.DataFrame(
        {
            by: g.index,
            "portfolio_weight": g["weight"].to_numpy(),
            "benchmark_weight": g["benchmark_weight"].to_numpy(),
        }
    )
    out["active_weight"] = out["portfolio_weight"] - out["benchmark_weight"]
    return out
