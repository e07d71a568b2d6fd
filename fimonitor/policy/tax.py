"""Tax lots: least-tax lot selection, realised gains by term, wash-sale guard, loss harvesting.

Definitions (all money in currency units, prices per share):

- gain of a lot sold at ``price`` = shares × (price − cost).
- A lot is *long-term* when held more than ``short_term_days`` calendar days on the sale date
  (``as_of − date > short_term_days``), *short-term* otherwise, *unknown* when it has no date.
- Least-tax order: lots at a loss (or flat) first, largest loss per share first; then
  long-term gains, smallest gain per share first; then short-term and undated gains, smallest
  first. Selling in this order realises the least tax for a given amount sold.
- Wash-sale guard: a ticker sold at a loss within ``wash_sale_days`` calendar days before the
  as-of date (or at a loss in this run) is not bought; a ticker bought within that window
  (a lot dated in it) is not harvested.
- Harvesting: a lot whose price is more than ``harvest_loss_pct`` below its cost is sold whole
  and the proceeds buy the configured substitute (XLE -> VDE), keeping the exposure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from fimonitor.policy.portfolio import Holding, Sale, TaxPolicy

LOT_COLUMNS = ["ticker", "lot", "date", "shares", "cost"]
SOLD_COLUMNS = ["ticker", "lot", "date", "shares", "cost", "price", "gain", "term"]


def lots_frame(holdings: Mapping[str, Holding]) -> pd.DataFrame:
    """One row per lot: ``ticker, lot`` (1-based within ticker), ``date``, ``shares``, ``cost``."""
    rows = [
        (t, i, lot.date, lot.shares, lot.cost)
        for t, h in holdings.items()
        for i, lot in enumerate(h.lots, start=1)
    ]
    out = pd.DataFrame(rows, columns=LOT_COLUMNS)
    out["date"] = pd.to_datetime(out["date"])
    out["shares"] = out["shares"].astype(float)
    out["cost"] = out["cost"].astype(float)
    return out


def classify_lots(
    lots: pd.DataFrame,
    prices: Mapping[str, float] | pd.Series,
    as_of: pd.Timestamp,
    short_term_days: int,
) -> pd.DataFrame:
    """Add ``price``, ``gain_per_share``, ``gain_pct``, ``held_days``, ``term`` and ``rank``.

    ``rank`` is 0 for a loss or flat lot, 1 for a long-term gain, 2 for a short-term or undated
    gain; sorting by ``(rank, key)`` gives the least-tax order (``key`` = gain per share).
    """
    out = lots.copy()
    out["price"] = out["ticker"].map(pd.Series(prices, dtype=float))
    out["gain_per_share"] = out["price"] - out["cost"]
    out["gain_pct"] = out["price"] / out["cost"] - 1.0
    out["held_days"] = (pd.Timestamp(as_of) - out["date"]).dt.days
    long_term = out["held_days"] > short_term_days
    out["term"] = np.where(out["held_days"].isna(), "unknown", np.where(long_term, "long", "short"))
    out["rank"] = np.where(out["gain_per_share"] <= 0, 0, np.where(out["term"] == "long", 1, 2))
    out["key"] = out["gain_per_share"].fillna(0.0)
    return out


def least_tax_order(classified: pd.DataFrame) -> pd.DataFrame:
    """Lots in the order that realises the least tax (see module docstring)."""
    return classified.sort_values(["rank", "key", "date", "ticker", "lot"], kind="stable")


def take_lots(ordered: pd.DataFrame, dollars: float, *, whole: bool) -> pd.DataFrame:
    """Sell about ``dollars`` of value from ``ordered`` lots, in order.

    Whole shares round the last lot's sale *up* (the position ends at or below its level),
    never beyond the lot. Returns :data:`SOLD_COLUMNS` (``gain`` = shares × (price − cost)).
    """
    remaining = float(dollars)
    taken = []
    for row in ordered.itertuples(index=False):  # a handful of lots
        if remaining <= 1e-9:
            break
        need = remaining / row.price
        shares = min(row.shares, math.ceil(need - 1e-9) if whole else need)
        if shares <= 0:
            continue
        taken.append(
            (
                row.ticker,
                row.lot,
                row.date,
                float(shares),
                row.cost,
                row.price,
                shares * (row.price - row.cost),
                row.term,
            )
        )
        remaining -= shares * row.price
    return pd.DataFrame(taken, columns=SOLD_COLUMNS)


def realised_gains(sold: pd.DataFrame) -> dict[str, float]:
    """Realised gain by term: ``short_term, long_term, unknown_term, total`` (currency)."""
    by = sold.groupby("term")["gain"].sum() if len(sold) else pd.Series(dtype=float)
    out = {
        "short_term": float(by.get("short", 0.0)),
        "long_term": float(by.get("long", 0.0)),
        "unknown_term": float(by.get("unknown", 0.0)),
    }
    out["total"] = out["short_term"] + out["long_term"] + out["unknown_term"]
    return out


def _in_window(date: pd.Timestamp, as_of: pd.Timestamp, days: int) -> bool:
    if pd.isna(date):
        return False
    age = (pd.Timestamp(as_of) - pd.Timestamp(date)).days
    return 0 <= age <= days


def wash_sale_blocks(
    sales: Iterable[Sale],
    as_of: pd.Timestamp,
    wash_sale_days: int,
    sold_at_loss_now: Iterable[str] = (),
) -> dict[str, str]:
    """Tickers that must not be bought on ``as_of`` -> the reason, in words."""
    blocks: dict[str, str] = {}
    for s in sales:
        if s.is_loss and _in_window(s.date, as_of, wash_sale_days):
            blocks[s.ticker] = f"sold at a loss on {s.date:%Y-%m-%d}, within {wash_sale_days} days"
    for t in sold_at_loss_now:
        blocks.setdefault(t, "sold at a loss in this rebalance")
    return blocks


def recently_bought(lots: pd.DataFrame, as_of: pd.Timestamp, wash_sale_days: int) -> set[str]:
    """Tickers with a lot bought within ``wash_sale_days`` days before ``as_of``."""
    age = (pd.Timestamp(as_of) - lots["date"]).dt.days
    return set(lots.loc[(age >= 0) & (age <= wash_sale_days), "ticker"])


def harvest_candidates(
    classified: pd.DataFrame, tax: TaxPolicy, as_of: pd.Timestamp, buy_blocks: Mapping[str, str]
) -> tuple[pd.DataFrame, list[dict]]:
    """Lots to harvest and the reasons some losing lots are not harvested.

    A lot qualifies when ``gain_pct < -harvest_loss_pct`` (strictly), its ticker has a
    substitute, the ticker was not bought within the wash-sale window, and the substitute may be
    bought (not itself sold at a loss within the window). Returns (lots with a ``substitute``
    column, skipped: list of ``{ticker, lot, reason}``).
    """
    if not tax.enabled:
        return classified.iloc[0:0].assign(substitute=pd.Series(dtype=str)), []
    losing = classified[classified["gain_pct"] < -tax.harvest_loss_pct]
    bought = recently_bought(classified, as_of, tax.wash_sale_days)
    keep, skipped = [], []
    for row in losing.itertuples():
        sub = tax.substitutes.get(row.ticker)
        why = None
        if sub is None:
            why = "no substitute configured"
        elif row.ticker in bought:
            why = f"bought within {tax.wash_sale_days} days (wash sale)"
        elif sub in buy_blocks:
            why = f"substitute {sub} {buy_blocks[sub]}"
        if why:
            skipped.append({"ticker": row.ticker, "lot": int(row.lot), "reason": why})
        else:
            keep.append(row.Index)
    out = losing.loc[keep].copy()
    out["substitute"] = out["ticker"].map(dict(tax.substitutes))
    return out, skipped
