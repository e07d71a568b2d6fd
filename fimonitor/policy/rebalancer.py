"""Policy rebalancer for any portfolio: holdings + policy -> orders. Pure functions.

The command and its outputs are described in docs/interface.md (rebalance).

Vocabulary. A *row* is one target key (a ticker or a category) or a held ticker without a target
(target 0). Total value TV = Σ shares × price + cash. weight = row value / TV; drift = weight −
target (fractions here; the report shows percentage points).

Order of work (each step documented where it happens):

1. Tax-loss harvesting (``tax.enabled``): losing lots are sold and the substitute bought
   (:mod:`fimonitor.policy.tax`). The substitute joins the row of the ticker it replaces unless
   it has a row of its own.
2. Level per row. Concentration first and it wins: weight > ``above`` -> ``trim_to`` (rules from
   the highest ``above`` down). Otherwise ``threshold`` (|drift| > threshold -> target, else hold),
   ``calendar`` (target) or ``tiered`` (|drift| > full_above -> target; > partial_above -> target ±
   partial_above/2 on the side it drifted to; else hold). A level below the weight is a SELL.
3. Sells: a ticker row sells that ticker; a category sells its members pro rata to their values
   (tax mode: the least-tax lots across its members). Whole shares round a sale *up*, so a trimmed
   row ends at or below its level. Shares bought in this run (substitutes) are not sold.
4. Buys: the pool = cash above ``cash_reserve`` + sale proceeds goes to rows under target that
   did not sell, largest shortfall (target − weight) first, each at most up to its target (and
   never above the lowest concentration ``above``); whole shares round *down*, so a row never
   passes its target and cash never falls below the reserve. A row buys its first ticker that
   is priced and not blocked by the wash-sale guard.
5. Limits on the policy trades (harvest swaps are exempt): ``max_trades_per_session`` keeps the
   rows with the largest |drift| (urgent concentration first); ``min_trade_dollars`` drops rows
   trading less; ``max_turnover`` scales every sell and the spare cash by one factor (found by
   bisection), buys keep their largest-shortfall-first order.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fimonitor.analytics.orders import floor_shares
from fimonitor.errors import DataGapError
from fimonitor.policy import tax as taxlib
from fimonitor.policy.portfolio import Portfolio

log = logging.getLogger(__name__)

EPS = 1e-9  # tolerance on weight comparisons ("exceeds" = strictly greater, beyond rounding)
POLICY_ORDER_COLUMNS = ["ticker", "side", "shares", "price", "notional", "reason"]
POLICY_DETAIL_COLUMNS = [*POLICY_ORDER_COLUMNS, "row", "kind", "pnl", "cost_basis", "urgent"]
# the orders file of `fimonitor rebalance --csv` and the orders of its recorded event
POLICY_CSV_COLUMNS = ["ticker", "side", "shares", "price", "notional", "reason", "pnl", "kind"]
POLICY_ALERT_COLUMNS = ["type", "ticker", "value", "limit", "level", "message"]
# Policy-alert levels, most pressing first. They are the portfolio-file rebalancer's own scale,
# not the WARN/BREACH severity of the monitoring rules (fimonitor.severity).
POLICY_ALERT_LEVELS = ("URGENT", "ACTION", "REVIEW", "INFO")


@dataclass(frozen=True)
class PolicyResult:
    """The outcome of one policy rebalance.

    rows      one row per target key / untargeted holding: ``row, kind, target, value, weight,
              drift, level, action, reason, urgent, post_value, post_weight`` (fractions; money)
    orders    :data:`POLICY_DETAIL_COLUMNS`: ``side`` BUY/SELL, ``notional`` = shares × price,
              ``pnl`` = realised gain vs cost (SELL; NaN when the cost is unknown),
              ``kind`` ``policy`` or ``harvest``
    alerts    :data:`POLICY_ALERT_COLUMNS`
    realised  realised gain of all sells by term (``short_term, long_term, unknown_term,
              total``), from lots in tax mode, from the average cost otherwise
    lots_sold the lots sold (tax mode), :data:`fimonitor.policy.tax.SOLD_COLUMNS`
    turnover  Σ policy trade notional / total value (fraction)
    """

    as_of: pd.Timestamp | None
    total_value: float
    cash_before: float
    cash_after: float
    rows: pd.DataFrame
    orders: pd.DataFrame
    alerts: pd.DataFrame
    realised: dict
    lots_sold: pd.DataFrame
    turnover: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json_dict(self) -> dict:
        """Return the plan JSON (weights as fractions) plus a few extra top-level keys."""
        rows = [
            {
                "ticker": r.row,
                "target": float(r.target),
                "weight": float(r.weight),
                "drift": float(r.drift),
                "action": r.action,
            }
            for r in self.rows.itertuples()
        ]
        orders = [
            {
                "ticker": o.ticker,
                "side": o.side,
                "shares": float(o.shares),
                "price": float(o.price),
                "notional": float(o.notional),
                "reason": o.reason,
            }
            for o in self.orders.itertuples()
        ]
        alerts = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in a.items()}
            for a in self.alerts.to_dict("records")
        ]
        return {
            "total_value": float(self.total_value),
            "rows": rows,
            "orders": orders,
            "alerts": alerts,
            "as_of": None if self.as_of is None else f"{self.as_of:%Y-%m-%d}",
            "cash_before": float(self.cash_before),
            "cash_after": float(self.cash_after),
            "turnover": float(self.turnover),
            "realised_gain": self.realised,
            "pnl": [None if math.isnan(p) else float(p) for p in self.orders["pnl"]],
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- structure
def row_map(portfolio: Portfolio) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Ticker -> row key for every held/target ticker, and row -> tickers that may receive buys.

    A substitute (tax) that has no row of its own joins the row of the ticker it replaces.
    """
    owner: dict[str, str] = {}
    buyers: dict[str, list[str]] = {}
    subs = portfolio.policy.tax.substitutes
    for key in portfolio.targets:
        members = list(portfolio.categories.get(key, (key,)))
        for t in members:
            owner[t] = key
        buyers[key] = members + [subs[t] for t in members if t in subs]
    for key, members in list(buyers.items()):
        for s in members[len(portfolio.categories.get(key, (key,))) :]:
            if s not in owner:
                owner[s] = key
    for t in portfolio.holdings:
        if t not in owner:
            owner[t] = t
            buyers[t] = []
    return owner, buyers


def policy_levels(rows: pd.DataFrame, portfolio: Portfolio) -> pd.DataFrame:
    """Add ``level`` (the weight a row is sold down to), ``rule``, ``urgent``, ``reason``.

    Vectorised over rows; ``rows`` needs ``target, weight, drift`` (fractions).
    """
    pol = portfolio.policy
    t, w, d = rows["target"], rows["weight"], rows["drift"]
    ad = d.abs()
    if pol.method == "calendar":
        level = t.copy()
        reason = pd.Series("calendar: back to target", index=rows.index)
        moved = ad > EPS
    elif pol.method == "threshold":
        moved = ad > pol.drift_threshold + EPS
        level = t.where(moved, w)
        reason = pd.Series(
            f"threshold: |drift| > {pol.drift_threshold * 100:g} pts, to target", index=rows.index
        )
    else:
        full = ad > pol.full_above + EPS
        part = ~full & (ad > pol.partial_above + EPS)
        level = t.where(full, (t + np.sign(d) * pol.partial_above / 2).where(part, w))
        moved = full | part
        reason = pd.Series(
            f"tiered: |drift| > {pol.full_above * 100:g} pts, to target", index=rows.index
        ).where(full, f"tiered: |drift| > {pol.partial_above * 100:g} pts, to the band middle")
    out = rows.assign(
        level=level,
        rule=np.where(moved, "policy", "hold"),
        urgent=False,
        reason=reason.where(moved, "within band"),
    )
    done = pd.Series(False, index=rows.index)
    for rule in pol.concentration:  # highest 'above' first
        hit = ~done & (w > rule.above + EPS)
        out.loc[hit, "level"] = rule.trim_to
        out.loc[hit, "rule"] = "concentration"
        out.loc[hit, "urgent"] = rule.urgent
        tag = " (URGENT)" if rule.urgent else ""
        out.loc[hit, "reason"] = (
            f"concentration: weight > {rule.above * 100:g} %, trim to {rule.trim_to * 100:g} %{tag}"
        )
        done |= hit
    return out


# --------------------------------------------------------------------------- planning
@dataclass(frozen=True)
class _Ctx:
    rows: pd.DataFrame  # indexed by row key, with level/target/weight/cap
    hold: pd.DataFrame  # indexed by ticker: shares, price, value, avg_cost, row
    lots: pd.DataFrame  # classified sellable lots (tax mode) or empty
    prices: Mapping[str, float]
    buyers: Mapping[str, list[str]]
    blocks: Mapping[str, str]  # ticker -> why it may not be bought
    spare: float  # cash above the reserve (negative: proceeds first refill it)
    tv: float
    whole: bool
    tax: bool


def _sell_row(ctx: _Ctx, row: str, dollars: float) -> list[dict]:
    """Orders (one per ticker) selling about ``dollars`` from ``row``."""
    members = ctx.hold[(ctx.hold["row"] == row) & (ctx.hold["shares"] > 0)]
    if members.empty or dollars <= 0:
        return []
    out = []
    if ctx.tax:
        lots = taxlib.least_tax_order(ctx.lots[ctx.lots["ticker"].isin(members.index)])
        sold = taxlib.take_lots(lots, dollars, whole=ctx.whole)
        for tk, g in sold.groupby("ticker", sort=False):
            out.append(
                {
                    "ticker": tk,
                    "shares": g["shares"].sum(),
                    "pnl": g["gain"].sum(min_count=1),
                    "cost_basis": (g["shares"] * g["cost"]).sum(min_count=1),
                    "lots": g,
                }
            )
        return out
    share = members["value"] / members["value"].sum()
    for tk, m in members.iterrows():
        need = dollars * share[tk] / m["price"]
        shares = min(m["shares"], math.ceil(need - 1e-9) if ctx.whole else need)
        if shares > 0:
            out.append(
                {
                    "ticker": tk,
                    "shares": float(shares),
                    "pnl": shares * (m["price"] - m["avg_cost"]),
                    "cost_basis": shares * m["avg_cost"],
                    "lots": None,
                }
            )
    return out


def _plan(ctx: _Ctx, allowed: frozenset[str] | None, k: float) -> tuple[list[dict], list[dict]]:
    """Policy orders for the rows in ``allowed`` (None = all) with sells/spare scaled by ``k``.

    Returns (orders, blocked-buy alerts).
    """
    rows = ctx.rows if allowed is None else ctx.rows.loc[ctx.rows.index.isin(allowed)]
    orders: list[dict] = []
    sell_rows = rows[rows["level"] < rows["weight"] - EPS]
    for key, r in sell_rows.iterrows():
        for o in _sell_row(ctx, key, k * (r["weight"] - r["level"]) * ctx.tv):
            price = ctx.prices[o["ticker"]]
            orders.append(
                {
                    **o,
                    "side": "SELL",
                    "price": price,
                    "notional": o["shares"] * price,
                    "row": key,
                    "reason": r["reason"],
                    "urgent": bool(r["urgent"]),
                }
            )
    pool = max((k if ctx.spare > 0 else 1.0) * ctx.spare + sum(o["notional"] for o in orders), 0.0)
    blocked: list[dict] = []
    cand = rows[(rows["cap"] > rows["weight"] + EPS) & ~rows.index.isin(sell_rows.index)]
    cand = cand.assign(short=cand["target"] - cand["weight"]).sort_values(
        ["short", "target"], ascending=False, kind="stable"
    )
    for key, r in cand.iterrows():
        if pool <= 0:
            break
        choices = [t for t in ctx.buyers.get(key, []) if t in ctx.prices]
        ok = [t for t in choices if t not in ctx.blocks]
        if not ok:
            for t in choices[:1]:
                blocked.append(
                    {
                        "type": "wash_sale",
                        "ticker": t,
                        "value": np.nan,
                        "limit": np.nan,
                        "level": "INFO",
                        "message": f"BUY of {t} blocked: {ctx.blocks[t]}",
                    }
                )
            continue
        tk = ok[0]
        amount = min((r["cap"] - r["weight"]) * ctx.tv, pool)
        shares = floor_shares(amount / ctx.prices[tk], ctx.whole)
        if shares <= 0:
            continue
        notional = shares * ctx.prices[tk]
        pool -= notional
        why = f"under target by {(r['target'] - r['weight']) * 100:.2f} pts"
        if tk != ctx.buyers[key][0]:
            first = ctx.buyers[key][0]
            why += (
                f" (bought instead of {first}: {ctx.blocks[first]})" if first in ctx.blocks else ""
            )
        orders.append(
            {
                "ticker": tk,
                "side": "BUY",
                "shares": shares,
                "price": ctx.prices[tk],
                "notional": notional,
                "row": key,
                "reason": why,
                "urgent": False,
                "pnl": np.nan,
                "cost_basis": np.nan,
                "lots": None,
            }
        )
    return orders, blocked


def _row_notional(orders: list[dict]) -> pd.Series:
    s = pd.Series({}, dtype=float)
    for o in orders:
        s[o["row"]] = s.get(o["row"], 0.0) + o["notional"]
    return s


def _constrained_plan(ctx: _Ctx, portfolio: Portfolio) -> tuple[list[dict], list[dict], list]:
    """Apply max_trades_per_session, min_trade_dollars and max_turnover (module docstring)."""
    pol = portfolio.policy
    notes: list[str] = []
    allowed: frozenset[str] | None = None
    orders, blocked = _plan(ctx, allowed, 1.0)
    trading = _row_notional(orders).index
    if pol.max_trades_per_session is not None and len(trading) > pol.max_trades_per_session:
        rank = (
            ctx.rows.loc[trading]
            .assign(ad=lambda f: f["drift"].abs())
            .sort_values(["urgent", "ad"], ascending=False, kind="stable")
        )
        allowed = frozenset(rank.index[: pol.max_trades_per_session])
        notes.append(
            f"max_trades_per_session {pol.max_trades_per_session}: kept "
            f"{', '.join(rank.index[: pol.max_trades_per_session])}"
        )

    def settle(k: float, allowed: frozenset[str] | None):
        for _ in range(len(ctx.rows) + 1):  # each pass drops at least one row
            orders, blocked = _plan(ctx, allowed, k)
            small = _row_notional(orders)
            small = small[small < pol.min_trade_dollars - EPS]
            if small.empty:
                return orders, blocked, allowed
            keep = set(ctx.rows.index if allowed is None else allowed) - set(small.index)
            allowed = frozenset(keep)
        return orders, blocked, allowed

    orders, blocked, allowed2 = settle(1.0, allowed)
    if pol.max_turnover is not None:

        def turnover(os: list[dict]) -> float:
            return sum(o["notional"] for o in os) / ctx.tv

        if turnover(orders) > pol.max_turnover + EPS:
            lo, hi = 0.0, 1.0
            for _ in range(40):
                mid = (lo + hi) / 2
                if turnover(_plan(ctx, allowed2, mid)[0]) <= pol.max_turnover + EPS:
                    lo = mid
                else:
                    hi = mid
            orders, blocked, _ = settle(lo, allowed2)
            notes.append(f"max_turnover {pol.max_turnover * 100:g} %: trades scaled by {lo:.4f}")
    return orders, blocked, notes


# --------------------------------------------------------------------------- entry point
def rebalance(
    portfolio: Portfolio,
    prices: Mapping[str, float],
    as_of: pd.Timestamp | None = None,
    price_history: pd.DataFrame | None = None,
) -> PolicyResult:
    """Run the portfolio's policy and return orders, rows and alerts.

    Parameters
    ----------
    portfolio : Portfolio
        The loaded portfolio file.
    prices : mapping ticker -> price (currency per share)
        Market prices (e.g. closes from --data). Prices written in the portfolio file win.
        Together they must cover every held ticker and each target's buy ticker.
    as_of : Timestamp, optional
        Valuation date; needed for lot terms, wash sales and harvesting (default today).
    price_history : DataFrame, optional
        date x ticker valuation closes up to ``as_of``, for trailing-stop alerts.

    Raises
    ------
    DataGapError
        A held or target ticker (or a needed substitute) has no price.
    """
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    pol = portfolio.policy
    prices = {
        t: float(p)
        for t, p in {**prices, **portfolio.file_prices()}.items()
        if p is not None and not math.isnan(p)
    }
    where = portfolio.source.name if portfolio.source else None
    for t in [*portfolio.holdings, *portfolio.target_tickers()]:
        if t not in prices:
            raise DataGapError(
                "no price: give price: in the portfolio file or use --data with "
                "a prices.csv that has it on the as-of date",
                file=where,
                ticker=t,
            )
    owner, buyers = row_map(portfolio)
    whole = not pol.fractional_shares
    cash = float(portfolio.cash)
    lots = taxlib.lots_frame(portfolio.holdings).assign(fresh=False)
    orders: list[dict] = []
    alerts: list[dict] = []
    notes: list[str] = []

    # 1. harvest
    blocks: dict[str, str] = {}
    if pol.tax.enabled:
        blocks = taxlib.wash_sale_blocks(portfolio.recent_sales, as_of, pol.tax.wash_sale_days)
        cl = taxlib.classify_lots(lots, prices, as_of, pol.tax.short_term_days)
        harvest, skipped = taxlib.harvest_candidates(cl, pol.tax, as_of, blocks)
        for s in skipped:
            alerts.append(
                {
                    "type": "harvest_skipped",
                    "ticker": s["ticker"],
                    "value": np.nan,
                    "limit": pol.tax.harvest_loss_pct,
                    "level": "INFO",
                    "message": f"lot {s['lot']} of {s['ticker']} not harvested: {s['reason']}",
                }
            )
        for h in harvest.itertuples():
            sub = h.substitute
            if sub not in prices:
                raise DataGapError(
                    f"no price for substitute {sub} of {h.ticker}: give it in "
                    "prices: or use --data",
                    file=where,
                    ticker=sub,
                )
            sold = taxlib.take_lots(cl.loc[[h.Index]], h.shares * h.price, whole=False)
            proceeds = h.shares * h.price
            orders.append(
                {
                    "ticker": h.ticker,
                    "side": "SELL",
                    "shares": h.shares,
                    "price": h.price,
                    "notional": proceeds,
                    "row": owner[h.ticker],
                    "reason": f"harvest: lot {h.lot} down {-h.gain_pct * 100:.1f} % "
                    f"(> {pol.tax.harvest_loss_pct * 100:g} %)",
                    "kind": "harvest",
                    "pnl": h.shares * h.gain_per_share,
                    "cost_basis": h.shares * h.cost,
                    "urgent": False,
                    "lots": sold,
                }
            )
            n = floor_shares(proceeds / prices[sub], whole)
            orders.append(
                {
                    "ticker": sub,
                    "side": "BUY",
                    "shares": n,
                    "price": prices[sub],
                    "notional": n * prices[sub],
                    "row": owner.get(sub, sub),
                    "reason": f"harvest substitute for {h.ticker}",
                    "kind": "harvest",
                    "pnl": np.nan,
                    "cost_basis": np.nan,
                    "urgent": False,
                    "lots": None,
                }
            )
            cash += proceeds - n * prices[sub]
            new_lot = pd.DataFrame(
                [[sub, 0, as_of, n, prices[sub], True]],
                columns=lots.columns,
                index=[lots.index.max() + 1],
            )
            lots = pd.concat([lots.drop(index=h.Index), new_lot])
            owner.setdefault(sub, owner[h.ticker])
            blocks.setdefault(h.ticker, "sold at a loss in this rebalance (harvest)")

    # 2. rows on the post-harvest state
    hold = lots.groupby("ticker").agg(shares=("shares", "sum"))
    hold["price"] = hold.index.map(prices)
    hold["value"] = hold["shares"] * hold["price"]
    cost = (lots["shares"] * lots["cost"]).groupby(lots["ticker"]).sum(min_count=1)
    hold["avg_cost"] = cost / hold["shares"]
    hold["row"] = hold.index.map(owner)
    tv = float(hold["value"].sum() + cash)
    if tv <= 0:
        raise DataGapError("total value is zero: nothing to rebalance", file=where)
    keys = list(dict.fromkeys([*portfolio.targets, *hold["row"]]))
    rows = pd.DataFrame(index=pd.Index(keys, name="row"))
    rows["kind"] = [
        "category"
        if k in portfolio.categories
        else ("ticker" if k in portfolio.targets else "untargeted")
        for k in keys
    ]
    rows["target"] = pd.Series(dict(portfolio.targets), dtype=float).reindex(keys).fillna(0.0)
    rows["value"] = hold.groupby("row")["value"].sum().reindex(keys).fillna(0.0)
    rows["weight"] = rows["value"] / tv
    rows["drift"] = rows["weight"] - rows["target"]
    rows = policy_levels(rows, portfolio)
    lowest_above = min((c.above for c in pol.concentration), default=1.0)
    rows["cap"] = np.minimum(rows["target"], lowest_above)

    # 3-5. policy trades under the limits
    sellable = lots[~lots["fresh"]]
    if pol.tax.enabled:
        sellable = taxlib.classify_lots(sellable, prices, as_of, pol.tax.short_term_days)
    ctx = _Ctx(
        rows=rows,
        hold=hold,
        lots=sellable,
        prices=prices,
        buyers=buyers,
        blocks=blocks,
        spare=cash - portfolio.cash_reserve,
        tv=tv,
        whole=whole,
        tax=pol.tax.enabled,
    )
    planned, blocked, plan_notes = _constrained_plan(ctx, portfolio)
    notes += plan_notes
    alerts += blocked
    for o in planned:
        o["kind"] = "policy"
    turnover = sum(o["notional"] for o in planned) / tv
    orders += planned
    cash_after = cash + sum(o["notional"] * (1 if o["side"] == "SELL" else -1) for o in planned)

    # lots sold (tax mode) and realised gains
    sold_parts = [o["lots"] for o in orders if o.get("lots") is not None and len(o["lots"])]
    lots_sold = (
        pd.concat(sold_parts, ignore_index=True)
        if sold_parts
        else pd.DataFrame(columns=taxlib.SOLD_COLUMNS)
    )
    if pol.tax.enabled:
        realised = taxlib.realised_gains(lots_sold)
    else:
        pnl = sum(o["pnl"] for o in orders if o["side"] == "SELL" and not math.isnan(o["pnl"]))
        realised = {
            "short_term": 0.0,
            "long_term": 0.0,
            "unknown_term": float(pnl),
            "total": float(pnl),
        }

    # orders frame: one line per ticker and side (a harvest and a policy buy of a substitute merge)
    of = pd.DataFrame(orders, columns=[*POLICY_DETAIL_COLUMNS, "lots"]).drop(columns="lots")
    if len(of):
        of = of.groupby(["ticker", "side"], sort=False, as_index=False).agg(
            shares=("shares", "sum"),
            price=("price", "first"),
            notional=("notional", "sum"),
            reason=("reason", "; ".join),
            row=("row", "first"),
            kind=("kind", "; ".join),
            pnl=("pnl", lambda s: s.sum(min_count=1)),
            cost_basis=("cost_basis", lambda s: s.sum(min_count=1)),
            urgent=("urgent", "any"),
        )
        of["side_order"] = of["side"].map({"SELL": 0, "BUY": 1})
        of = (
            of.sort_values(
                ["side_order", "urgent", "notional"], ascending=[True, False, False], kind="stable"
            )
            .drop(columns="side_order")
            .reset_index(drop=True)
        )
    of = of[POLICY_DETAIL_COLUMNS]

    # row actions and post-trade weights (policy trades decide the action)
    signed = pd.Series({}, dtype=float)
    for o in planned:
        signed[o["row"]] = signed.get(o["row"], 0.0) + (
            o["notional"] if o["side"] == "BUY" else -o["notional"]
        )
    signed = signed.reindex(rows.index).fillna(0.0)
    rows["action"] = np.where(signed > 0, "BUY", np.where(signed < 0, "SELL", "HOLD"))
    rows["post_value"] = rows["value"] + signed
    rows["post_weight"] = rows["post_value"] / tv
    rows.loc[rows["action"] == "HOLD", "reason"] = rows["reason"].where(
        rows["rule"] == "hold", rows["reason"] + " (no trade: limits or funds)"
    )
    rows.loc[(rows["action"] == "BUY"), "reason"] = "under target: funded by proceeds/spare cash"

    alerts += _alerts(rows, hold, portfolio, price_history, as_of, cash)
    out_rows = rows.reset_index()[
        [
            "row",
            "kind",
            "target",
            "value",
            "weight",
            "drift",
            "level",
            "action",
            "reason",
            "urgent",
            "post_value",
            "post_weight",
        ]
    ]
    return PolicyResult(
        as_of=as_of,
        total_value=tv,
        cash_before=float(portfolio.cash),
        cash_after=float(cash_after),
        rows=out_rows,
        orders=of,
        alerts=pd.DataFrame(alerts, columns=POLICY_ALERT_COLUMNS),
        realised=realised,
        lots_sold=lots_sold,
        turnover=float(turnover),
        notes=tuple(notes),
    )


def _alerts(
    rows: pd.DataFrame,
    hold: pd.DataFrame,
    portfolio: Portfolio,
    history: pd.DataFrame | None,
    as_of: pd.Timestamp,
    cash: float,
) -> list[dict]:
    """Concentration, below half target, trailing stop and cash-below-reserve alerts."""
    pol = portfolio.policy
    out: list[dict] = []
    conc = rows[rows["rule"] == "concentration"]
    for key, r in conc.iterrows():
        rule = next(c for c in pol.concentration if r["weight"] > c.above + EPS)
        out.append(
            {
                "type": "concentration",
                "ticker": key,
                "value": r["weight"],
                "limit": rule.above,
                "level": "URGENT" if rule.urgent else "ACTION",
                "message": f"{key} is {r['weight'] * 100:.1f} % of the portfolio "
                f"(> {rule.above * 100:g} %): trim to {rule.trim_to * 100:g} %",
            }
        )
    low = rows[(rows["target"] > 0) & (rows["weight"] < rows["target"] / 2 - EPS)]
    for key, r in low.iterrows():
        out.append(
            {
                "type": "below_half_target",
                "ticker": key,
                "value": r["weight"],
                "limit": r["target"] / 2,
                "level": "REVIEW",
                "message": f"{key} is {r['weight'] * 100:.1f} %, below half its target "
                f"{r['target'] * 100:g} %: add or exit",
            }
        )
    if pol.trailing_stop is not None and history is not None and not history.empty:
        for tk, h in portfolio.holdings.items():
            start = h.first_purchase
            if tk not in history.columns or pd.isna(start) or tk not in hold.index:
                continue
            closes = history.loc[start:as_of, tk].dropna()
            if closes.empty:
                continue
            peak = float(closes.max())
            dd = hold.loc[tk, "price"] / peak - 1.0
            if dd < -pol.trailing_stop - EPS:
                out.append(
                    {
                        "type": "trailing_stop",
                        "ticker": tk,
                        "value": dd,
                        "limit": -pol.trailing_stop,
                        "level": "ACTION",
                        "message": f"{tk} is {-dd * 100:.1f} % below its peak close "
                        f"{peak:.2f} since {start:%Y-%m-%d} (stop "
                        f"{pol.trailing_stop * 100:g} %)",
                    }
                )
    if cash < portfolio.cash_reserve - EPS:
        out.append(
            {
                "type": "cash_below_reserve",
                "ticker": "CASH",
                "value": cash,
                "limit": portfolio.cash_reserve,
                "level": "ACTION",
                "message": f"cash {cash:,.2f} is below the reserve "
                f"{portfolio.cash_reserve:,.2f}: no buys",
            }
        )
    return out
