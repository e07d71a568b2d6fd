"""Brinson–Fachler attribution by group, Carino-linked over periods, and a rate/residual split.

Daily attribution (day t, group g; start-of-day weights, returns over the day)::

    w_g   portfolio weight at the previous close      = MV_g,t−1 / V_t−1   (CASH is a holding)
    c_g   portfolio contribution                      = PnL_g,t / V_t−1
    r_g   portfolio group return                      = c_g / w_g
    W_g   benchmark weight in effect the day before   (as in the benchmark return)
    B_g   benchmark group return       = Σ_{i∈g} W_i·R_i / W_g   (R_i = adj_close return)
    r, b  portfolio return (time-weighted), benchmark return = Σ_g W_g·B_g

    allocation_g  = (w_g − W_g)·(B_g − b)
    selection_g   = W_g·(r_g − B_g)
    interaction_g = (w_g − W_g)·(r_g − B_g)          Σ_g of the three = r − b

PnL of a holding on day t is its market-value change plus the cash its ledger rows moved that
day, external flows excluded: ``MV_i,t − MV_i,t−1 + Σ rows (cash effect − external flow)``.
So a purchase is a transfer from CASH (no PnL), a dividend or a trade's fees belong to the fund,
and a FEE or a deposit's fees to CASH; Σ_g c_g = (V_t − F_t)/V_t−1 − 1, the time-weighted
return r (same valuations, same flows at the end of the day).

Conventions for groups one side does not hold (on that day):

- not in the benchmark (W_g = 0): B_g := b, so allocation is 0 and the whole difference
  w_g·(r_g − b) is reported as selection (interaction 0);
- in the benchmark, not held (w_g = 0): r_g := B_g, so selection and interaction are 0;
- bought during the day from zero (w_g = 0, c_g ≠ 0: fill-to-close PnL and fees): c_g is
  added to selection.

Linking over a period (Carino's logarithmic linking; D. Carino, "Combining Attribution Effects
Over Time", Journal of Performance Measurement, Summer 1999)::

    k_t = [ln(1 + r_t) − ln(1 + b_t)] / (r_t − b_t)      (1/(1 + r_t) when r_t = b_t)
    K   = [ln(1 + R) − ln(1 + B)] / (R − B),   R = Π(1 + r_t) − 1,  B = Π(1 + b_t) − 1
    E_g = Σ_t (k_t / K) · e_g,t                for each effect e

so Σ_g (allocation + selection + interaction) = R − B exactly (up to rounding).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fimonitor.analytics.exposures import History
from fimonitor.analytics.linking import carino_weights, window_mask
from fimonitor.analytics.performance import (
    RETURN_COLUMNS,
)
from fimonitor.analytics.positions import cash_flow, external_flow
from fimonitor.analytics.risk import time_weighted_returns
from fimonitor.data.book import CASH, Book

log = logging.getLogger(__name__)

Panel = pd.DataFrame
#: Periods of the attribution tables in the pack.
ATTRIBUTION_PERIODS: tuple[str, ...] = ("MTD", "QTD", "YTD", "1Y")
EFFECTS: tuple[str, ...] = ("allocation", "selection", "interaction")
ATTRIBUTION_COLUMNS: list[str] = [
    "period",
    "group",
    "portfolio_weight",
    "benchmark_weight",
    "portfolio_return",
    "benchmark_return",
    "allocation",
    "selection",
    "interaction",
    "total",
]


@dataclass(frozen=True)
class DailyAttribution:
    """Day x group inputs of the attribution; every index = the dates of the daily returns.

    ``portfolio_weight`` (w, start of day), ``portfolio_contribution`` (c = PnL / V_t−1),
    ``benchmark_weight`` (W, in effect the day before), ``benchmark_contribution`` (W·B),
    ``portfolio_return`` (r, time-weighted), ``benchmark_return`` (b), the start-of-day
    ``portfolio_duration`` / ``benchmark_duration`` (years; NaN when unknown) and
    ``previous_close`` (the date each day's return is measured from; None = the previous
    return date).
    """

    @property
    def inception(self) -> pd.Timestamp:
        """The base of the first daily return (NaT when there is none)."""
        if len(self.dates) == 0:
            return pd.NaT
        if self.previous_close is not None:
            return pd.Timestamp(self.previous_close.iloc[0])
        return self.dates[0] - pd.Timedelta(days=1)

    def previous_dates(self) -> pd.DatetimeIndex:
        """Return the close before each return date."""
        if self.previous_close is not None:
            return pd.DatetimeIndex(self.previous_close.to_numpy())
        dates = self.dates
        return pd.DatetimeIndex(np.r_[dates[:1] - pd.Timedelta(days=1), dates[:-1]])

    portfolio_weight: Panel
    portfolio_contribution: Panel
    benchmark_weight: Panel
    benchmark_contribution: Panel
    portfolio_return: pd.Series
    benchmark_return: pd.Series
    portfolio_duration: pd.Series
    benchmark_duration: pd.Series
    previous_close: pd.Series | None = None

    @property
    def dates(self) -> pd.DatetimeIndex:
        """Dates of the daily returns."""
        return pd.DatetimeIndex(self.portfolio_return.index)

    @property
    def groups(self) -> pd.Index:
        """Group labels (columns of every panel)."""
        return self.portfolio_weight.columns


def ticker_pnl(book: Book, history: History) -> Panel:
    """Daily PnL of every holding (currency), date x ticker, CASH included; first row NaN.

    Notes
    -----
    ``PnL_i,t = MV_i,t − MV_i,t−1 + Σ_{ledger rows of i mapped to t} (cash effect − external
    flow)``; a row counts on the first history date on or after its date (as the flows do).
    Rows with a blank or CASH ticker belong to CASH, whose PnL is therefore those rows' cash
    effect less the deposits and withdrawals (FEE amounts, fees on deposits). Σ_i PnL_i,t =
    V_t − V_t−1 − F_t.
    """
    dates = history.dates
    cols = history.market_value.columns
    ci = cols.get_loc(CASH)
    tx = book.transactions
    pos = dates.searchsorted(pd.DatetimeIndex(tx["date"]), side="left")
    keep = pos < len(dates)
    c = cash_flow(tx).to_numpy(dtype=float)
    e = external_flow(tx).to_numpy(dtype=float)
    col = cols.get_indexer(tx["ticker"].astype(object).fillna(CASH))
    col[col < 0] = ci
    adj = np.zeros((len(dates), len(cols)))
    np.add.at(adj, (pos[keep], col[keep]), (c - e)[keep])
    moved = np.zeros(len(dates))
    np.add.at(moved, pos[keep], c[keep])
    adj[:, ci] -= moved  # the cash balance's own change is a transfer, not PnL
    mv = history.market_value.to_numpy(dtype=float)
    pnl = np.full(mv.shape, np.nan)
    pnl[1:] = mv[1:] - mv[:-1] + adj[1:]
    return pd.DataFrame(pnl, index=dates, columns=cols)


def benchmark_contributions(book: Book, history: History) -> tuple[Panel, Panel, pd.Series]:
    """(weights the day before, W_i·R_i, b): the benchmark return by ticker, date x ticker.

    Notes
    -----
    Exactly the definition of the pack's benchmark return: ``R_i`` = daily ``adj_close``
    return, ``W_i`` = benchmark weight in effect on the previous history date,
    ``b_t = Σ_i W_i·R_i`` (a missing return counts 0; NaN when all are missing).
    """
    cols = [c for c in history.benchmark.columns if c in book.adj_close.columns]
    rets = book.adj_close[cols].pct_change(fill_method=None).reindex(history.dates)
    prev_w = history.benchmark[cols].shift(1)
    contrib = rets * prev_w
    b = contrib.sum(axis=1, min_count=1).rename("benchmark_return")
    return prev_w, contrib, b


def from_panels(
    portfolio_weight: Panel,
    portfolio_contribution: Panel,
    benchmark_weight: Panel,
    benchmark_contribution: Panel,
    labels: pd.Series,
    portfolio_return: pd.Series,
    benchmark_return: pd.Series,
    portfolio_duration: pd.Series | None = None,
    benchmark_duration: pd.Series | None = None,
) -> DailyAttribution:
    """Sum ticker panels (date x ticker) into groups (``labels``: ticker -> group).

    Every panel is taken on ``portfolio_return``'s dates; groups are the union of both sides,
    sorted. Vectorised: one matrix product per panel (a missing value counts 0).
    """
    idx = portfolio_return.index
    panels = (portfolio_weight, portfolio_contribution, benchmark_weight, benchmark_contribution)
    used = labels.reindex(panels[0].columns.union(panels[2].columns))
    groups = pd.Index(sorted(used.dropna().unique()), name=labels.name)
    parts = [_group_totals(p, idx, labels, groups) for p in panels]
    nan = pd.Series(np.nan, index=idx)
    return DailyAttribution(
        *parts,
        portfolio_return=portfolio_return,
        benchmark_return=benchmark_return.reindex(idx),
        portfolio_duration=(portfolio_duration if portfolio_duration is not None else nan).reindex(
            idx
        ),
        benchmark_duration=(benchmark_duration if benchmark_duration is not None else nan).reindex(
            idx
        ),
    )


def _group_totals(
    panel: Panel, idx: pd.DatetimeIndex, labels: pd.Series, groups: pd.Index
) -> Panel:
    """Σ of a date x ticker panel per group on ``idx`` (a missing value counts 0)."""
    rows = panel if panel.index.equals(idx) else panel.reindex(idx)
    values = rows.to_numpy(dtype=float)
    codes = groups.get_indexer(labels.reindex(panel.columns))
    onehot = np.zeros((len(panel.columns), len(groups)))
    ok = codes >= 0
    onehot[np.flatnonzero(ok), codes[ok]] = 1.0
    out = values @ onehot
    if np.isnan(out).any():  # NaN x 0 poisons a whole row: clean only when needed
        out = np.where(np.isnan(values), 0.0, values) @ onehot
    return pd.DataFrame(out, index=idx, columns=groups)


def daily_attribution(book: Book, history: History, by: str = "group") -> DailyAttribution:
    """Build the day x group inputs of the book (see the module docstring) on the TWR dates.

    Parameters
    ----------
    book : Book
    history : History
        From :func:`fimonitor.analytics.exposures.compute_history`.
    by : str
        The security-master column that defines the groups (default ``group``).
    """
    r = time_weighted_returns(history.total_value, history.flows)
    value = history.total_value.to_numpy(dtype=float)
    prev_v = np.r_[np.nan, value[:-1]][:, None]
    mv = history.market_value
    with np.errstate(invalid="ignore", divide="ignore"):
        w = pd.DataFrame(
            np.r_[np.full((1, mv.shape[1]), np.nan), mv.to_numpy(dtype=float)[:-1]] / prev_v,
            index=mv.index,
            columns=mv.columns,
        )
        c = ticker_pnl(book, history) / prev_v
    prev_w, contrib, b = benchmark_contributions(book, history)
    labels = history.securities[by]
    previous = pd.Series(np.r_[pd.NaT, history.dates[:-1]], index=history.dates).reindex(r.index)
    out = from_panels(
        w,
        c,
        prev_w,
        contrib,
        labels,
        r,
        b,
        history.portfolio_duration.shift(1),
        history.benchmark_duration.shift(1),
    )
    return DailyAttribution(*_fields(out)[:-1], previous_close=previous)


def _fields(d: DailyAttribution) -> tuple:
    return (
        d.portfolio_weight,
        d.portfolio_contribution,
        d.benchmark_weight,
        d.benchmark_contribution,
        d.portfolio_return,
        d.benchmark_return,
        d.portfolio_duration,
        d.benchmark_duration,
        d.previous_close,
    )


def daily_effects(d: DailyAttribution) -> dict[str, np.ndarray]:
    """Brinson–Fachler effects of every day and group (arrays days x groups).

    Returns
    -------
    dict
        ``portfolio_return`` (r_g used), ``benchmark_return`` (B_g used), ``allocation``,
        ``selection``, ``interaction``; see the module docstring for the formulas and the
        conventions for groups one side does not hold.
    """
    wp = d.portfolio_weight.to_numpy(dtype=float)
    cp = d.portfolio_contribution.to_numpy(dtype=float)
    wb = d.benchmark_weight.to_numpy(dtype=float)
    cb = d.benchmark_contribution.to_numpy(dtype=float)
    b = d.benchmark_return.to_numpy(dtype=float)[:, None]
    in_b = wb != 0
    in_p = wp != 0
    with np.errstate(invalid="ignore", divide="ignore"):
        rb = np.where(in_b, cb / np.where(in_b, wb, 1.0), b)
        rp = np.where(in_p, cp / np.where(in_p, wp, 1.0), rb)
    active_w = wp - wb
    allocation = active_w * (rb - b)
    selection = np.where(in_b, wb * (rp - rb), wp * (rp - rb)) + np.where(in_p, 0.0, cp)
    interaction = np.where(in_b, active_w * (rp - rb), 0.0)
    return {
        "portfolio_return": rp,
        "benchmark_return": rb,
        "allocation": allocation,
        "selection": selection,
        "interaction": interaction,
    }


def brinson_fachler(
    wp: np.ndarray, rp: np.ndarray, wb: np.ndarray, rb: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Textbook single-period Brinson–Fachler effects (allocation, selection, interaction).

    Notes
    -----
    With ``b = Σ wb·rb``: allocation = (wp − wb)(rb − b), selection = wb(rp − rb),
    interaction = (wp − wb)(rp − rb).
    """
    wp, rp, wb, rb = (np.asarray(x, dtype=float) for x in (wp, rp, wb, rb))
    b = float(np.sum(wb * rb))
    return (wp - wb) * (rb - b), wb * (rp - rb), (wp - wb) * (rp - rb)


def attribution(
    d: DailyAttribution,
    ranges: list[tuple[str, pd.Timestamp, pd.Timestamp]],
    *,
    inception: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Carino-linked Brinson–Fachler effects by group for each (label, base date, end date).

    Parameters
    ----------
    d : DailyAttribution
    ranges : list of (str, Timestamp, Timestamp)
        Period label, base date (exclusive) and end date (inclusive).
    inception : pd.Timestamp, optional
        A range whose base precedes it is blank (NaN rows); default: the day before the first
        daily return in ``d``.

    Returns
    -------
    pd.DataFrame
        :data:`ATTRIBUTION_COLUMNS`, one row per range and group (groups held or in the
        benchmark during the range; all groups when the range is blank).

    Notes
    -----
    ``portfolio_weight`` / ``benchmark_weight`` are the mean start-of-day weights over the
    range; ``portfolio_return`` = Π(1 + r_g) − 1 over the days the group was held (NaN if
    never), ``benchmark_return`` = Π(1 + B_g) − 1 with the B_g the effects used (the
    benchmark's total return on days it does not hold the group). These two are for reading;
    the effects are the Carino-linked daily effects and ``total`` = allocation + selection +
    interaction, with Σ_groups total = R − B (compounded portfolio minus compounded
    benchmark return over the range).
    """
    inc = d.inception if inception is None else pd.Timestamp(inception)
    eff = daily_effects(d)
    wp = d.portfolio_weight.to_numpy(dtype=float)
    wb = d.benchmark_weight.to_numpy(dtype=float)
    cp = d.portfolio_contribution.to_numpy(dtype=float)
    groups = d.groups
    frames = []
    for label, start, end in ranges:
        mask = window_mask(d.dates, start, end, inc)
        if not mask.any():
            nan = np.full(len(groups), np.nan)
            frames.append(
                pd.DataFrame(
                    {
                        "period": label,
                        "group": groups,
                        **dict.fromkeys(ATTRIBUTION_COLUMNS[2:], nan),
                    }
                )
            )
            continue
        a, _, _ = carino_weights(d.portfolio_return, d.benchmark_return, mask)
        linked = {k: a @ eff[k][mask] for k in EFFECTS}
        held = wp[mask] != 0
        rp_read = np.where(held, eff["portfolio_return"][mask], 0.0)
        port_ret = np.where(held.any(axis=0), np.prod(1.0 + rp_read, axis=0) - 1.0, np.nan)
        frame = pd.DataFrame(
            {
                "period": label,
                "group": groups,
                "portfolio_weight": wp[mask].mean(axis=0),
                "benchmark_weight": wb[mask].mean(axis=0),
                "portfolio_return": port_ret,
                "benchmark_return": np.prod(1.0 + eff["benchmark_return"][mask], axis=0) - 1.0,
                **linked,
            }
        )
        frame["total"] = frame["allocation"] + frame["selection"] + frame["interaction"]
        active = held.any(axis=0) | (wb[mask] != 0).any(axis=0) | (cp[mask] != 0).any(axis=0)
        frames.append(frame[active])
    if not frames:
        return pd.DataFrame(columns=ATTRIBUTION_COLUMNS)
    return pd.concat(frames, ignore_index=True)[ATTRIBUTION_COLUMNS]


def truncate(d: DailyAttribution, end: pd.Timestamp) -> DailyAttribution:
    """Return the days of ``d`` up to and including ``end``."""
    keep = np.asarray(d.dates <= end)
    return DailyAttribution(*(None if x is None else x[keep] for x in _fields(d)))


__all__ = [
    "ATTRIBUTION_COLUMNS",
    "ATTRIBUTION_PERIODS",
    "RETURN_COLUMNS",
    "DailyAttribution",
    "attribution",
    "benchmark_contributions",
    "brinson_fachler",
    "daily_attribution",
    "daily_effects",
    "from_panels",
    "ticker_pnl",
]
