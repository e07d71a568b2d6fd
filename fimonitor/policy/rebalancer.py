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
   its ``risk_management`` limit); whole shares round *down*, so a row never
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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fimonitor.analytics.orders import floor_shares
from fimonitor.errors import DataGapError
from fimonitor.policy import origin_rules as origin
from fimonitor.policy import tax as taxlib
from fimonitor.policy.alerts import policy_alerts
from fimonitor.policy.harvest import harvest_step
from fimonitor.policy.levels import policy_levels, row_map
from fimonitor.policy.origin_rules import buy_priority, default_fund_row, origin_sales
from fimonitor.policy.portfolio import Portfolio
from fimonitor.policy.result import (  # noqa: F401  (re-exported)
    POLICY_ALERT_COLUMNS,
    POLICY_ALERT_LEVELS,
    POLICY_CSV_COLUMNS,
    POLICY_DETAIL_COLUMNS,
    POLICY_ORDER_COLUMNS,
    PolicyResult,
)

log = logging.getLogger(__name__)

EPS = 1e-9  # tolerance on weight comparisons ("exceeds" = strictly greater, beyond rounding)


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
    default_fund: str | None = None
    default_row: str | None = None


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
    proceeds = sum(o["notional"] for o in orders)
    cand = rows[
        (rows["cap"] > rows["weight"] + EPS)
        & ~rows.index.isin(sell_rows.index)
        & rows["priority"].notna()
    ]
    cand = cand.assign(short=cand["target"] - cand["weight"]).sort_values(
        ["priority", "short", "target"], ascending=[True, False, False], kind="stable"
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
        why = f"{r['buy_rule']}; {why}" if r["buy_rule"] else why
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
    fund = ctx.default_fund
    if fund is not None and pool > EPS and proceeds > EPS and fund in ctx.prices:
        sells_fund = ctx.default_row in set(sell_rows.index) or any(
            o["ticker"] == fund and o["side"] == "SELL" for o in orders
        )
        shares = floor_shares(min(pool, proceeds) / ctx.prices[fund], ctx.whole)
        if shares > 0 and not sells_fund and ctx.default_row in ctx.rows.index:
            orders.append(
                {
                    "ticker": fund,
                    "side": "BUY",
                    "shares": shares,
                    "price": ctx.prices[fund],
                    "notional": shares * ctx.prices[fund],
                    "row": ctx.default_row,
                    "reason": "default fund: proceeds with no under-target candidate",
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
    fund = portfolio.origin.default_fund
    for t in [*portfolio.holdings, *portfolio.target_tickers(), *([fund] if fund else [])]:
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

    # 0. exits, downgrades and reversion exits (origin rules), on the state before any trade
    pre_value = (lots["shares"] * lots["ticker"].map(prices)).groupby(lots["ticker"]).sum()
    tv0 = float(pre_value.sum() + cash)
    pre_w = (pre_value.groupby(pre_value.index.map(owner)).sum() / tv0) if tv0 > 0 else pre_value
    dec = origin.decisions(portfolio, pre_w, owner)
    lots, exit_cash, exit_orders = origin_sales(
        dec, lots, prices, as_of, owner, whole=whole, tax=pol.tax.enabled, pol=pol
    )
    cash += exit_cash
    orders += exit_orders
    alerts += origin.origin_alerts(dec, set(portfolio.holdings), portfolio.origin.reversion or 0.0)

    # 1. harvest
    lots, harvest_cash, harvest_orders, harvest_alerts, blocks = harvest_step(
        portfolio, lots, prices, as_of, owner, whole=whole, where=where
    )
    cash += harvest_cash
    orders += harvest_orders
    alerts += harvest_alerts

    # 2. rows on the post-harvest state
    hold = lots.groupby("ticker").agg(shares=("shares", "sum"))
    hold["price"] = pd.Series(hold.index.map(prices), index=hold.index, dtype=float)
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
    # buys stop at the target (a concentration rule never trims below it) and at the limits
    rows["cap"] = np.minimum(rows["target"], rows["limit"])
    rows["priority"], rows["buy_rule"] = buy_priority(rows, dec, buyers, exit_orders)
    fund = portfolio.origin.default_fund
    rows, buyers, default_row = default_fund_row(rows, buyers, owner, portfolio)

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
        default_fund=fund if default_row is not None else None,
        default_row=default_row,
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
    buy_reason = pd.Series("under target: funded by proceeds/spare cash", index=rows.index)
    buy_reason = buy_reason.where(rows["buy_rule"] == "", rows["buy_rule"] + "; " + buy_reason)
    if default_row is not None:
        buy_reason[default_row] = "default fund: proceeds with no under-target candidate"
    rows.loc[(rows["action"] == "BUY"), "reason"] = buy_reason
    # a row sold by an origin rule shows that rule
    sold_by = pd.Series({o["row"]: o["reason"] for o in exit_orders}, dtype=object)
    sold_by = sold_by[sold_by.index.isin(rows.index)]
    if len(sold_by):
        rows.loc[sold_by.index, "action"] = "SELL"
        rows.loc[sold_by.index, "reason"] = sold_by.where(
            signed[sold_by.index] >= 0,
            sold_by + "; then " + rows.loc[sold_by.index, "reason"],
        )

    # show the weights before any trade: add back what the origin rules sold
    exit_by_row = (
        pd.Series({o["row"]: 0.0 for o in exit_orders}, dtype=float).reindex(rows.index).fillna(0.0)
    )
    for o in exit_orders:
        exit_by_row[o["row"]] += o["notional"]
    rows["value"] = rows["value"] + exit_by_row
    rows["weight"] = rows["value"] / tv
    rows["drift"] = rows["weight"] - rows["target"]
    more = policy_alerts(rows, hold, portfolio, price_history, as_of, cash - exit_cash)
    if portfolio.origin.reversion is not None:  # the reversion rule answers "add or exit"
        more = [a for a in more if a["type"] != "below_half_target"]
    alerts += more
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
        notes=(*portfolio.load_notes, *notes),
        holdings=dec[dec["ticker"].isin(list(hold.index) + [o["ticker"] for o in exit_orders])]
        .drop(columns=["reason"])
        .reset_index(drop=True)
        if (portfolio.origin.scored or portfolio.origin.exit_triggers)
        else pd.DataFrame(),
    )
