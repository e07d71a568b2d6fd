"""Rows of the policy rebalancer and the level each is sold down to.

``row_map`` maps tickers to rows (a target key or an untargeted holding); ``policy_levels``
applies the drift policy, then the concentration rules (single holdings only, never below the
holding's own target; they win over the policy), then ``risk_limits`` (``risk_management``:
``max_single_position`` per ticker row, ``group_caps`` per category; they only lower a level).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fimonitor.policy.portfolio import Portfolio

EPS = 1e-9  # tolerance on weight comparisons ("exceeds" = strictly greater, beyond rounding)


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
    single = rows["kind"] != "category"  # concentration rules apply to single holdings
    for rule in pol.concentration:  # highest 'above' first
        to = np.maximum(rule.trim_to, t)  # never below the holding's own target
        hit = ~done & single & (w > rule.above + EPS) & (to < w - EPS)
        out.loc[hit, "level"] = to[hit]
        out.loc[hit, "rule"] = "concentration"
        out.loc[hit, "urgent"] = rule.urgent
        tag = " (URGENT)" if rule.urgent else ""
        out.loc[hit, "reason"] = [
            f"concentration: weight > {rule.above * 100:g} %, trim to {lv * 100:g} %{tag}"
            for lv in to[hit]
        ]
        done |= hit
    return risk_limits(out, portfolio)


def risk_limits(rows: pd.DataFrame, portfolio: Portfolio) -> pd.DataFrame:
    """Apply ``risk_management`` limits: they only lower a row's ``level`` and buy ``limit``.

    ``max_single_position`` applies to single holdings (ticker rows), ``group_caps`` to the
    categories they name; a category over its cap is sold pro rata across its members. Adds a
    ``limit`` column (fraction; +inf when none).
    """
    o = portfolio.origin
    single = rows["kind"] != "category"
    limit = pd.Series(np.inf, index=rows.index)
    if o.max_single_position is not None:
        limit[single] = o.max_single_position
    caps = pd.Series(dict(o.group_caps), dtype=float)
    in_caps = rows.index.isin(caps.index) & ~single
    limit[in_caps] = caps.reindex(rows.index[in_caps]).to_numpy()
    out = rows.assign(limit=limit)
    hit = (out["weight"] > limit + EPS) & (limit < out["level"] - EPS)
    out.loc[hit, "level"] = limit[hit]
    out.loc[hit, "rule"] = "risk_limit"
    out.loc[hit, "reason"] = [
        (f"group cap: {k} {w * 100:.2f} % > cap {c * 100:g} %, trimmed pro rata to the cap")
        if k in caps.index
        else (f"max_single_position: {w * 100:.2f} % > {c * 100:g} %, trimmed to the limit")
        for k, w, c in zip(out.index[hit], out.loc[hit, "weight"], limit[hit], strict=True)
    ]
    return out
