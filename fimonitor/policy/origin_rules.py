"""Exit triggers, the tier-downgrade rule and the reversion rule (the origin's rules 3-5).

These rules run first (before concentration and the drift policy) and decide, per held ticker,
a fraction of the holding to sell, and, per ticker, whether its thesis is intact.

- **Exit triggers**: one trigger hit -> sell 50 %, two or more -> sell 100 %.
- **Tier downgrade** (:mod:`fimonitor.policy.tiers`): two or more levels down -> sell 50 %,
  100 % when the new tier is ``weak``; one level down -> a REVIEW alert, no trade.
- **Reversion** (``reversion: {below_fraction_of_target: f}``): a ticker target whose weight is
  below ``f × target`` is added back to its target when its thesis is intact, else exited
  (sell 100 %).
- **Thesis intact**: no trigger hit, and, when the ticker is scored, its tier is ``strong`` or
  better.

When several of these rules sell the same holding, the largest sale wins (its reason is kept).
Later rules (concentration, then the policy) see the holding after this sale, so a later rule
sells only what is left above its own level: the holding's total sale is the largest one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from fimonitor.policy import tax as taxlib
from fimonitor.policy.portfolio import Policy, Portfolio
from fimonitor.policy.tiers import tier_table

EPS = 1e-9
DECISION_COLUMNS = [
    "ticker",
    "score",
    "tier",
    "previous_tier",
    "levels_down",
    "triggers_hit",
    "intact",
    "upgraded",
    "reversion",
    "sell",
    "rule",
    "reason",
]
STRONG = 2  # tier index of "strong"


def decisions(portfolio: Portfolio, weights: pd.Series, owner: Mapping[str, str]) -> pd.DataFrame:
    """One row per ticker held, scored, triggered or targeted: what the origin rules decide.

    Parameters
    ----------
    portfolio : Portfolio
        Its ``origin`` settings are read.
    weights : Series
        Row key -> weight (fraction of total value) before any trade.
    owner : mapping ticker -> row key
        From :func:`fimonitor.policy.rebalancer.row_map`.

    Returns
    -------
    DataFrame
        :data:`DECISION_COLUMNS`; ``sell`` is the fraction of the holding to sell (0, 0.5 or 1),
        ``rule`` the rule that made the largest sale (``exit_trigger``, ``tier_downgrade``,
        ``reversion``) or ``""``, ``reversion`` is ``add``, ``exit`` or ``""``.

    Notes
    -----
    Exit-trigger sale = 0.5 × [hits = 1] + 1.0 × [hits >= 2]. Reversion applies to ticker
    targets (not categories): weight < f × target with f = ``below_fraction_of_target``.
    """
    o = portfolio.origin
    tickers = list(dict.fromkeys([*portfolio.holdings, *o.scores, *o.exit_triggers, *owner]))
    idx = pd.Index(tickers, name="ticker")
    tiers = tier_table(o.scores, o.previous_scores, o.tier_bounds).reindex(idx)
    hits = (
        pd.Series({t: sum(tr.hit for tr in trs) for t, trs in o.exit_triggers.items()}, dtype=float)
        .reindex(idx)
        .fillna(0.0)
    )
    names = (
        pd.Series(
            {t: "; ".join(tr.name for tr in trs if tr.hit) for t, trs in o.exit_triggers.items()},
            dtype=object,
        )
        .reindex(idx)
        .fillna("")
    )
    trig_sell = np.where(hits >= 2, 1.0, np.where(hits == 1, 0.5, 0.0))
    scored = tiers["tier_index"].notna()
    intact = (hits == 0) & (~scored | (tiers["tier_index"] >= STRONG))
    down_sell = tiers["sell"].fillna(0.0).to_numpy()

    targets = pd.Series(dict(portfolio.targets), dtype=float)
    tgt = pd.Series(
        [targets.get(t, np.nan) if t not in portfolio.categories else np.nan for t in tickers],
        index=idx,
    )
    w = pd.Series([weights.get(owner.get(t, t), 0.0) for t in tickers], index=idx)
    f = o.reversion
    low = (tgt > 0) & (w < (f if f is not None else -1.0) * tgt - EPS)
    rev = np.where(low & intact, "add", np.where(low & ~intact & (w > 0), "exit", ""))
    rev_sell = np.where(rev == "exit", 1.0, 0.0)

    sales = np.vstack([trig_sell, down_sell, rev_sell])  # rule order breaks ties
    best = sales.argmax(axis=0)
    sell = sales.max(axis=0)
    rule = np.where(sell > 0, np.array(["exit_trigger", "tier_downgrade", "reversion"])[best], "")
    n_hits = hits.astype(int)
    why_trig = [
        f"exit trigger: {n} hit ({nm}), sell {'100' if n >= 2 else '50'} %"
        for n, nm in zip(n_hits, names, strict=True)
    ]
    why_down = [
        f"tier downgrade: {p} -> {c} ({d} levels, score {ps:.1f} -> {s:.1f}), sell {sl * 100:.0f} %"
        for p, c, d, ps, s, sl in zip(
            tiers["previous_tier"].fillna(""),
            tiers["tier"].fillna(""),
            tiers["levels_down"].fillna(0).astype(int),
            tiers["previous_score"].fillna(np.nan),
            tiers["score"].fillna(np.nan),
            down_sell,
            strict=True,
        )
    ]
    why_rev = [
        f"reversion: weight {wt * 100:.2f} % < {(f or 0) * 100:g} % of target "
        f"{tg * 100:g} %, thesis broken: exit"
        for wt, tg in zip(w, tgt.fillna(0.0), strict=True)
    ]
    reasons = np.array([why_trig, why_down, why_rev], dtype=object)
    reason = np.where(sell > 0, reasons[best, np.arange(len(tickers))], "")
    return pd.DataFrame(
        {
            "ticker": tickers,
            "score": tiers["score"].to_numpy(),
            "tier": tiers["tier"].fillna("").to_numpy(),
            "previous_tier": tiers["previous_tier"].fillna("").to_numpy(),
            "levels_down": tiers["levels_down"].fillna(0).astype(int).to_numpy(),
            "triggers_hit": n_hits.to_numpy(),
            "intact": intact.to_numpy(),
            "upgraded": tiers["upgraded"].fillna(False).astype(bool).to_numpy(),
            "reversion": rev,
            "sell": sell,
            "rule": rule,
            "reason": reason,
        },
        columns=DECISION_COLUMNS,
    )


def origin_alerts(dec: pd.DataFrame, held: set[str], fraction: float | None = None) -> list[dict]:
    """Alerts of the origin rules: REVIEW for a one-level drop, ACTION for each sale.

    Parameters
    ----------
    dec : DataFrame
        From :func:`decisions`.
    held : set of str
        Tickers held now (alerts only for them).
    fraction : float or None
        The reversion fraction (for the message).

    Returns
    -------
    list of dict
        Policy alerts (``type, ticker, value, limit, level, message``).
    """
    d = dec[dec["ticker"].isin(held)]
    out = []
    one = d[(d["levels_down"] == 1)]
    out += [
        {
            "type": "tier_review",
            "ticker": r.ticker,
            "value": r.score,
            "limit": np.nan,
            "level": "REVIEW",
            "message": f"{r.ticker} dropped one level ({r.previous_tier} -> {r.tier}, score "
            f"{r.score:.1f}): monitor closely, no trade",
        }
        for r in one.itertuples()
    ]
    sold = d[d["sell"] > 0]
    out += [
        {
            "type": r.rule,
            "ticker": r.ticker,
            "value": r.sell,
            "limit": np.nan,
            "level": "ACTION",
            "message": f"{r.ticker}: {r.reason}",
        }
        for r in sold.itertuples()
    ]
    adds = d[d["reversion"] == "add"]
    out += [
        {
            "type": "reversion",
            "ticker": r.ticker,
            "value": np.nan,
            "limit": np.nan,
            "level": "ACTION",
            "message": f"{r.ticker} is below {fraction * 100:g} % of its target and its thesis "
            "is intact: add back to target",
        }
        for r in adds.itertuples()
    ]
    return out


def origin_sales(
    dec: pd.DataFrame,
    lots: pd.DataFrame,
    prices: Mapping[str, float],
    as_of: pd.Timestamp,
    owner: Mapping[str, str],
    *,
    whole: bool,
    tax: bool,
    pol: Policy,
) -> tuple[pd.DataFrame, float, list[dict]]:
    """Sell ``dec.sell`` of each holding; return the remaining lots, the cash change, orders.

    Parameters
    ----------
    dec : DataFrame
        From :func:`decisions`.
    lots : DataFrame
        :func:`fimonitor.policy.tax.lots_frame` (+ ``fresh``), one row per lot.
    prices : mapping ticker -> price
    as_of : Timestamp
    owner : mapping ticker -> row key
    whole : bool
        Whole shares: a sale of a fraction rounds *up* (``ceil(f × shares)``), never beyond the
        holding, so 50 % of 15 shares sells 8.
    tax : bool
        Tax mode: the least-tax lots are sold; otherwise every lot shrinks by the same factor.
    pol : Policy
        For ``short_term_days``.

    Returns
    -------
    lots : DataFrame
        The lots left.
    cash : float
        Proceeds (Σ shares × price), to add to the cash.
    orders : list of dict
        SELL orders (``kind`` ``origin``; ``pnl`` = shares × (price − average cost)).
    """
    held = lots.groupby("ticker")["shares"].sum()
    todo = dec[(dec["sell"] > 0) & dec["ticker"].isin(held[held > 0].index)]
    orders: list[dict] = []
    proceeds = 0.0
    for r in todo.itertuples():  # the few holdings an exit rule sells
        tk, n_held, price = r.ticker, float(held[r.ticker]), float(prices[r.ticker])
        n = min(n_held, math.ceil(r.sell * n_held - 1e-9) if whole else r.sell * n_held)
        mine = lots[lots["ticker"] == tk]
        if tax:
            cl = taxlib.classify_lots(mine, prices, as_of, pol.short_term_days)
            sold = taxlib.take_lots(taxlib.least_tax_order(cl), n * price, whole=whole)
            left = (
                cl["shares"]
                - sold.set_index("lot")["shares"].reindex(cl["lot"]).fillna(0.0).to_numpy()
            )
            pnl = sold["gain"].sum(min_count=1)
            basis = (sold["shares"] * sold["cost"]).sum(min_count=1)
            lots = lots.assign(shares=lots["shares"].where(lots["ticker"] != tk, 0.0))
            lots.loc[cl.index, "shares"] = left.to_numpy()
        else:
            sold = None
            avg = float((mine["shares"] * mine["cost"]).sum(min_count=1) / n_held)
            pnl, basis = n * (price - avg), n * avg
            scale = (n_held - n) / n_held
            lots = lots.assign(
                shares=lots["shares"].where(lots["ticker"] != tk, lots["shares"] * scale)
            )
        proceeds += n * price
        orders.append(
            {
                "ticker": tk,
                "side": "SELL",
                "shares": float(n),
                "price": price,
                "notional": n * price,
                "row": owner.get(tk, tk),
                "reason": r.reason,
                "kind": "origin",
                "pnl": pnl,
                "cost_basis": basis,
                "urgent": False,
                "lots": sold,
            }
        )
    lots = lots[lots["shares"] > 1e-12]
    return lots, proceeds, orders


def buy_priority(
    rows: pd.DataFrame,
    dec: pd.DataFrame,
    buyers: Mapping[str, list[str]],
    exits: list[dict],
) -> tuple[pd.Series, pd.Series]:
    """Where proceeds go: the priority of each row as a buy candidate, and the rule to show.

    Returns
    -------
    priority : Series
        0 for a row whose buy ticker has an intact thesis, 1 for one upgraded a tier (thesis
        not intact), NaN (not a candidate) otherwise or when an origin rule sold in the row.
    buy_rule : Series
        ``reversion`` (add back to target), ``upgraded`` or ``""``.

    Notes
    -----
    Candidates are then funded in order of (priority, shortfall descending), each at most up
    to its target (:func:`fimonitor.policy.rebalancer.rebalance`).
    """
    d = dec.set_index("ticker")
    first = pd.Series(
        [(buyers.get(k) or [k])[0] for k in rows.index], index=rows.index, dtype=object
    )
    intact = first.map(d["intact"]).fillna(True).astype(bool)
    upgraded = first.map(d["upgraded"]).fillna(False).astype(bool)
    rev_add = first.map(d["reversion"]).fillna("") == "add"
    priority = pd.Series(np.where(intact, 0.0, np.where(upgraded, 1.0, np.nan)), index=rows.index)
    sold_rows = {o["row"] for o in exits}
    priority[rows.index.isin(list(sold_rows))] = np.nan
    rule = pd.Series(
        np.where(
            rev_add,
            "reversion: thesis intact, add back to target",
            np.where(priority == 1, "upgraded tier", ""),
        ),
        index=rows.index,
        dtype=object,
    )
    return priority, rule


def default_fund_row(
    rows: pd.DataFrame,
    buyers: Mapping[str, list[str]],
    owner: Mapping[str, str],
    portfolio: Portfolio,
) -> tuple[pd.DataFrame, dict[str, list[str]], str | None]:
    """Add the row that receives the default fund's purchase (target 0) when it has none.

    Returns
    -------
    rows, buyers, default_row
        ``default_row`` is None when proceeds stay in cash (no ``default_fund``, or
        ``hold_cash_when_no_candidates: true``).
    """
    fund = portfolio.origin.default_fund
    buyers = dict(buyers)
    if fund is None or portfolio.origin.hold_cash:
        return rows, buyers, None
    key = owner.get(fund, fund)
    if key in rows.index:
        return rows, buyers, key
    extra = pd.DataFrame(
        {
            "kind": "untargeted",
            "target": 0.0,
            "value": 0.0,
            "weight": 0.0,
            "drift": 0.0,
            "level": 0.0,
            "rule": "hold",
            "urgent": False,
            "reason": "default fund",
            "limit": np.inf,
            "cap": 0.0,
            "priority": np.nan,
            "buy_rule": "",
        },
        index=pd.Index([key], name="row"),
    )
    buyers[key] = [fund]
    return pd.concat([rows, extra]), buyers, key
