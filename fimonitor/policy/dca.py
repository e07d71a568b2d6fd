"""Dollar-cost averaging on the NYSE calendar (docs/interface.md, dca): the schedule and the run.

Schedule: weekly = each Monday, or the next trading day when Monday is not one (2026-01-19,
Martin Luther King Jr. Day, -> Tuesday 2026-01-20); monthly = the first trading day of each
month. Only dates within [start, end] are kept. Calendar: exchange_calendars XNYS.

Run. On each date the amount X is invested from the portfolio's cash (``--deposit`` adds X to
cash first, as new money). Capital check: at most ``cash − cash_reserve`` is spent on a date; a
shortfall is noted (``capital_insufficient``). Modes:

- ``weights`` (default): ticker i receives X × target_i (a category's first ticker).
- ``underweight-first``: X fills the largest shortfalls first, shortfall_r = target_r × (V + X)
  − V_r where V is the value of the target rows before buying; leftover by weights.
- ``cure-breaches``: X first goes to what fixes open monitoring breaches, in this order, then by
  weights: (1) min cash — never invest below the rules' ``min_cash_weight`` breach level (cash
  and cash-proxy holdings count); (2) underweight groups — a security-master group whose weight
  is below its target (targets summed by group) by more than the ``active_weight`` breach level
  (default 5 pts) is filled up to its target through its most underweight target ticker;
  (3) duration band — when the portfolio duration is shorter than the target-weighted duration by
  more than ``rebalance.duration_band`` (default 0.25 y), the longest-duration target ticker
  receives what closes the gap (when it is longer, the shortest-duration ticker is bought first).

A purchase smaller than ``min_investment_per_stock`` is skipped; whole shares round down unless
``policy.fractional_shares``. Cash never goes below ``cash_reserve``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fimonitor.analytics.orders import floor_shares
from fimonitor.analytics.summary import weighted_duration
from fimonitor.config import load_config
from fimonitor.data.calendar import sessions
from fimonitor.data.loaders import read_durations, read_security_master
from fimonitor.errors import DataGapError, InputError
from fimonitor.policy.portfolio import Portfolio

log = logging.getLogger(__name__)

FREQUENCIES = ("weekly", "monthly")
MODES = ("weights", "underweight-first", "cure-breaches")
DCA_ORDER_COLUMNS = ["date", "ticker", "shares", "price", "notional"]
DCA_SUMMARY_COLUMNS = [
    "ticker",
    "target",
    "shares_bought",
    "invested",
    "avg_price",
    "end_shares",
    "end_price",
    "end_value",
    "end_weight",
]


def schedule(
    frequency: str, start: str | pd.Timestamp, end: str | pd.Timestamp
) -> pd.DatetimeIndex:
    """Investment dates in [start, end] (NYSE sessions, tz-naive midnight)."""
    if frequency not in FREQUENCIES:
        raise InputError(f"frequency {frequency!r} is not one of {', '.join(FREQUENCIES)}")
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if end < start:
        raise InputError(f"end {end:%Y-%m-%d} is before start {start:%Y-%m-%d}")
    sess = sessions(start - pd.Timedelta(days=31), end + pd.Timedelta(days=10))
    if frequency == "weekly":
        anchors = pd.date_range(start, end, freq="W-MON")
    else:
        anchors = pd.date_range(start.to_period("M").start_time, end, freq="MS")
    picked = sess[sess.searchsorted(anchors)]
    picked = picked[(picked >= start) & (picked <= end)]
    return pd.DatetimeIndex(picked.unique(), name="date")


@dataclass(frozen=True)
class CureInputs:
    """What ``cure-breaches`` needs (see module docstring). Fractions and years.

    groups: ticker -> security-master group; cash_proxy: tickers that count as cash;
    durations: month-start date x ticker (years) or None.
    """

    groups: dict[str, str]
    cash_proxy: frozenset[str] = frozenset()
    durations: pd.DataFrame | None = None
    min_cash_weight: float | None = None
    group_tolerance: float = 0.05
    duration_band: float = 0.25


@dataclass(frozen=True)
class DcaResult:
    """orders: :data:`DCA_ORDER_COLUMNS`; summary: :data:`DCA_SUMMARY_COLUMNS` (end = last date)."""

    orders: pd.DataFrame
    summary: pd.DataFrame
    dates: pd.DatetimeIndex
    cash_start: float
    cash_end: float
    deposited: float
    skipped: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def invested(self) -> float:
        """Σ notional of the purchases, currency."""
        return float(self.orders["notional"].sum())


def _buy_tickers(portfolio: Portfolio) -> pd.Series:
    """Target weight per buy ticker (a category's weight goes to its first ticker)."""
    w = pd.Series(dict(portfolio.targets), dtype=float)
    w.index = portfolio.target_tickers()
    return w.groupby(level=0, sort=False).sum()


def _weights_alloc(weights: pd.Series, budget: float) -> pd.Series:
    return weights * budget


def _shortfall_alloc(weights: pd.Series, value: pd.Series, budget: float) -> pd.Series:
    base = float(value.reindex(weights.index).fillna(0).sum()) + budget
    short = (weights * base - value.reindex(weights.index).fillna(0)).clip(lower=0)
    short = short.sort_values(ascending=False, kind="stable")
    fill = np.minimum(short, np.maximum(budget - short.cumsum().shift(fill_value=0.0), 0.0))
    alloc = pd.Series(fill, index=short.index).reindex(weights.index).fillna(0.0)
    return alloc + weights * max(budget - float(alloc.sum()), 0.0)


def _cure_alloc(
    weights: pd.Series,
    shares: pd.Series,
    px: pd.Series,
    cash: float,
    budget: float,
    cure: CureInputs,
    date: pd.Timestamp,
) -> tuple[pd.Series, list]:
    """Money per ticker for ``cure-breaches`` and the reasons, in priority order."""
    alloc = pd.Series(0.0, index=weights.index)
    reasons: list[str] = []
    value = (shares * px).fillna(0.0)
    tv = float(value.sum()) + cash
    # (1) min cash: spending cash on non-cash tickers must not push the cash weight below the limit
    if cure.min_cash_weight is not None and tv > 0:
        cash_like = cash + float(value[value.index.isin(cure.cash_proxy)].sum())
        room = max(cash_like - cure.min_cash_weight * tv, 0.0)
        if room < budget:
            reasons.append(f"min cash: invest {room:.2f} of {budget:.2f}")
            budget = room
    left = budget
    # (2) underweight groups; weights of the invested value after this date's contribution
    inv = float(value.sum()) + budget
    groups = pd.Series(cure.groups)
    tgt_g = weights.groupby(weights.index.map(lambda t: groups.get(t, "?"))).sum()
    val_g = value.groupby(value.index.map(lambda t: groups.get(t, "?"))).sum()
    gap = (tgt_g - val_g.reindex(tgt_g.index).fillna(0) / inv).sort_values(ascending=False)
    for g, short in gap.items():
        if left <= 0 or short <= cure.group_tolerance:
            continue
        members = weights[weights.index.map(lambda t, g=g: groups.get(t, "?") == g)]
        under = (members * inv - value.reindex(members.index).fillna(0)).idxmax()
        amt = min(short * inv, left)
        alloc[under] += amt
        left -= amt
        reasons.append(f"group {g} {short * 100:.1f} pts under target: {amt:.2f} to {under}")
    # (3) duration band
    if cure.durations is not None and left > 0 and inv > 0:
        dur = (
            cure.durations.loc[:date].ffill().iloc[-1]
            if len(cure.durations.loc[:date])
            else pd.Series(dtype=float)
        )
        d = dur.reindex(weights.index)
        if d.notna().all():
            d_p = float((value.reindex(d.index).fillna(0) * d).sum()) / inv
            d_t = weighted_duration(weights.to_numpy(), d.to_numpy())
            if d_p < d_t - cure.duration_band and d.max() > 0:
                tk = d.idxmax()
                amt = min((d_t - cure.duration_band - d_p) * inv / d[tk], left)
                alloc[tk] += amt
                left -= amt
                reasons.append(
                    f"duration {d_p:.2f} y < target {d_t:.2f} y - band: {amt:.2f} to {tk}"
                )
            elif d_p > d_t + cure.duration_band:
                tk = d.idxmin()
                alloc[tk] += left
                reasons.append(
                    f"duration {d_p:.2f} y > target {d_t:.2f} y + band: {left:.2f} to {tk}"
                )
                left = 0.0
    return alloc + weights * max(left, 0.0), reasons


def run_dca(
    portfolio: Portfolio,
    amount: float,
    dates: Iterable[pd.Timestamp],
    prices: pd.DataFrame | None = None,
    *,
    mode: str = "weights",
    deposit: bool = False,
    cure: CureInputs | None = None,
    progress: bool = False,
) -> DcaResult:
    """Invest ``amount`` (currency) on each of ``dates``.

    Parameters
    ----------
    prices : DataFrame, optional
        date x ticker valuation prices; the price on a date is the last one on or before it.
        Without it, the portfolio file's prices are used on every date.
    mode : weights | underweight-first | cure-breaches
    deposit : bool
        Add ``amount`` to cash on each date before investing (new money).
    cure : CureInputs
        Required for ``cure-breaches``.
    """
    if mode not in MODES:
        raise InputError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    if mode == "cure-breaches" and cure is None:
        raise InputError("mode cure-breaches needs --data with security_master.csv")
    if not (amount > 0):
        raise InputError(f"amount must be positive, got {amount}")
    dates = pd.DatetimeIndex(list(dates))
    weights = _buy_tickers(portfolio)
    whole = not portfolio.policy.fractional_shares
    file_px = pd.Series(portfolio.file_prices(), dtype=float)
    if prices is not None:
        panel = prices.reindex(columns=prices.columns.union(weights.index))
        panel = panel.reindex(panel.index.union(dates)).sort_index().ffill().loc[dates]
    else:
        missing = [t for t in weights.index if t not in file_px.index]
        if missing:
            raise DataGapError(
                "no price: give price: or prices: in the portfolio file, or --data",
                ticker=missing[0],
            )
        panel = pd.DataFrame([file_px] * len(dates), index=dates)
    held = {t: h.shares for t, h in portfolio.holdings.items()}
    shares = (
        pd.Series(held, dtype=float)
        .reindex(pd.Index(list(dict.fromkeys([*weights.index, *held]))))
        .fillna(0.0)
    )
    cash = float(portfolio.cash)
    notes: list[str] = []
    rows: list[tuple] = []
    skipped = 0
    iterator = dates
    if progress:
        from tqdm import tqdm

        iterator = tqdm(dates, desc="dca", unit="date")
    for date in iterator:  # one iteration per investment event, not per day
        if deposit:
            cash += amount
        px = panel.loc[date].reindex(shares.index).fillna(file_px.reindex(shares.index))
        budget = min(amount, max(cash - portfolio.cash_reserve, 0.0))
        if budget < amount - 1e-9:
            notes.append(f"{date:%Y-%m-%d} capital_insufficient: {budget:.2f} of {amount:.2f}")
        ok = weights[px.reindex(weights.index).notna()]
        if len(ok) < len(weights):
            miss = sorted(set(weights.index) - set(ok.index))
            notes.append(f"{date:%Y-%m-%d}: no price for {', '.join(miss)}; its share stays cash")
        if mode == "weights":
            alloc = _weights_alloc(ok, budget)
        elif mode == "underweight-first":
            alloc = _shortfall_alloc(ok, shares * px, budget)
        else:
            alloc, why = _cure_alloc(ok, shares, px, cash, budget, cure, date)
            notes += [f"{date:%Y-%m-%d} {w}" for w in why]
        p = px.reindex(alloc.index)
        n = alloc / p
        n = floor_shares(n, whole)
        notional = n * p
        small = (notional < portfolio.min_investment_per_stock) & (alloc > 0)
        skipped += int((small & (alloc >= 0)).sum())
        buy = ~small & (n > 0)
        spend = float(notional[buy].sum())
        if spend > cash - portfolio.cash_reserve + 1e-6:  # cannot happen; guard the invariant
            raise AssertionError("DCA would spend cash it does not have")
        cash -= spend
        shares = shares.add(n[buy], fill_value=0.0)
        rows += [(date, t, float(n[t]), float(p[t]), float(notional[t])) for t in n[buy].index]
    orders = pd.DataFrame(rows, columns=DCA_ORDER_COLUMNS)
    end_px = (
        panel.iloc[-1].reindex(shares.index).fillna(file_px.reindex(shares.index))
        if len(dates)
        else file_px.reindex(shares.index)
    )
    summary = _summary(orders, weights, shares, end_px, cash)
    return DcaResult(
        orders=orders,
        summary=summary,
        dates=dates,
        cash_start=portfolio.cash,
        cash_end=cash,
        deposited=amount * len(dates) if deposit else 0.0,
        skipped=skipped,
        notes=tuple(notes),
    )


def _summary(
    orders: pd.DataFrame, weights: pd.Series, shares: pd.Series, end_px: pd.Series, cash: float
) -> pd.DataFrame:
    by = orders.groupby("ticker").agg(shares_bought=("shares", "sum"), invested=("notional", "sum"))
    out = pd.DataFrame(index=pd.Index(shares.index, name="ticker"))
    out["target"] = weights.reindex(out.index).fillna(0.0)
    out = out.join(by).fillna({"shares_bought": 0.0, "invested": 0.0})
    out["avg_price"] = (out["invested"] / out["shares_bought"]).where(out["shares_bought"] > 0)
    out["end_shares"] = shares
    out["end_price"] = end_px
    out["end_value"] = out["end_shares"] * out["end_price"]
    total = float(out["end_value"].sum()) + cash
    out["end_weight"] = out["end_value"] / total if total > 0 else math.nan
    return out.reset_index()[DCA_SUMMARY_COLUMNS]


def cure_inputs_from_folder(data: Path, config: Path | None = None) -> CureInputs:
    """Return what ``--mode cure-breaches`` reads from a data folder and its rules file.

    Groups and cash proxies come from ``security_master.csv``, durations from
    ``duration_monthly.csv`` (when present); the minimum cash weight, the group tolerance
    (the ``active_weight`` breach level) and the duration band from the rules file
    (``config``, default ``DIR/monitor.yaml``, when present).
    """
    sm = read_security_master(data / "security_master.csv")
    durations = None
    if (data / "duration_monthly.csv").is_file():
        durations = read_durations(data / "duration_monthly.csv", sm.index)
    cfg_path = config if config is not None else data / "monitor.yaml"
    kw = {}
    if cfg_path.is_file():
        cfg = load_config(cfg_path)
        if cfg.rules.min_cash_weight is not None:
            kw["min_cash_weight"] = cfg.rules.min_cash_weight.breach
        if cfg.rules.active_weight is not None and cfg.rules.active_weight.breach is not None:
            kw["group_tolerance"] = cfg.rules.active_weight.breach
        if cfg.rebalance.duration_band is not None:
            kw["duration_band"] = cfg.rebalance.duration_band
    return CureInputs(
        groups=sm["group"].to_dict(),
        cash_proxy=frozenset(sm.index[sm["is_cash_proxy"]]),
        durations=durations,
        **kw,
    )
