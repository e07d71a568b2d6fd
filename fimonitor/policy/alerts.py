"""Alerts of the policy rebalancer (levels URGENT, ACTION, REVIEW, INFO).

Concentration, risk limits, below half target, trailing stop and cash below the reserve.
"""

from __future__ import annotations

import pandas as pd

from fimonitor.policy.portfolio import Portfolio

EPS = 1e-9


def policy_alerts(
    rows: pd.DataFrame,
    hold: pd.DataFrame,
    portfolio: Portfolio,
    history: pd.DataFrame | None,
    as_of: pd.Timestamp,
    cash: float,
) -> list[dict]:
    """Concentration, risk-limit, below half target, trailing stop and cash alerts.

    Parameters
    ----------
    rows : DataFrame
        The rebalancer's rows (``rule, weight, level, target, kind, limit``; fractions).
    hold : DataFrame
        Holdings by ticker (``price``).
    portfolio : Portfolio
    history : DataFrame or None
        date x ticker closes, for the trailing stop.
    as_of : Timestamp
    cash : float
        Cash before any trade (currency).

    Returns
    -------
    list of dict
        ``type, ticker, value, limit, level, message``.
    """
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
                f"(> {rule.above * 100:g} %): trim to {r['level'] * 100:g} %",
            }
        )
    out += [
        {
            "type": "group_cap" if kind == "category" else "max_single_position",
            "ticker": key,
            "value": w,
            "limit": lim,
            "level": "ACTION",
            "message": f"{key} is {w * 100:.1f} % of the portfolio (limit {lim * 100:g} %): "
            "trim to the limit",
        }
        for key, kind, w, lim in zip(
            rows.index[rows["rule"] == "risk_limit"],
            rows.loc[rows["rule"] == "risk_limit", "kind"],
            rows.loc[rows["rule"] == "risk_limit", "weight"],
            rows.loc[rows["rule"] == "risk_limit", "limit"],
            strict=True,
        )
    ]
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
