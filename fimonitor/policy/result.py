"""The result of one policy rebalance and its JSON (the plan, plus extra keys)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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
    holdings: pd.DataFrame = field(default_factory=pd.DataFrame)
    review: pd.DataFrame = field(default_factory=pd.DataFrame)
    review_since: pd.Timestamp | None = None
    review_return: float = float("nan")

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
            "holdings": _records(self.holdings),
            "review": {
                "since": None if self.review_since is None else f"{self.review_since:%Y-%m-%d}",
                "portfolio_return": None
                if math.isnan(self.review_return)
                else float(self.review_return),
                "rows": _records(self.review),
            },
        }


def _records(df: pd.DataFrame) -> list[dict]:
    """JSON records with NaN as null and numpy scalars as Python numbers."""
    if df is None or df.empty:
        return []
    out = []
    for rec in df.to_dict("records"):
        clean = {}
        for k, v in rec.items():
            if isinstance(v, np.generic):
                v = v.item()
            clean[k] = None if isinstance(v, float) and math.isnan(v) else v
        out.append(clean)
    return out
