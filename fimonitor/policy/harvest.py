"""Tax-loss harvesting step of the policy rebalancer (``policy.tax.enabled``).

Losing lots (down more than ``harvest_loss_pct``) are sold and the substitute bought with the
proceeds (whole shares round down; the rest stays in cash); lots blocked by the wash-sale
guard are skipped with an INFO alert (:mod:`fimonitor.policy.tax`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from fimonitor.analytics.orders import floor_shares
from fimonitor.errors import DataGapError
from fimonitor.policy import tax as taxlib
from fimonitor.policy.portfolio import Portfolio


def harvest_step(
    portfolio: Portfolio,
    lots: pd.DataFrame,
    prices: Mapping[str, float],
    as_of: pd.Timestamp,
    owner: dict[str, str],
    *,
    whole: bool,
    where: str | None,
) -> tuple[pd.DataFrame, float, list[dict], list[dict], dict[str, str]]:
    """Harvest losing lots.

    Parameters
    ----------
    portfolio : Portfolio
    lots : DataFrame
        Lots with a ``fresh`` column (bought in this run).
    prices : mapping ticker -> price
    as_of : Timestamp
    owner : dict ticker -> row
        Updated in place: a substitute without a row joins the row of the ticker it replaces.
    whole : bool
        Whole shares for the substitute's purchase.
    where : str or None
        The portfolio file name, for errors.

    Returns
    -------
    lots, cash_change, orders, alerts, blocks
        The lots after the swaps, the cash they free (currency), the orders (``kind``
        ``harvest``), INFO alerts for skipped lots and the tickers the wash-sale guard blocks.

    Raises
    ------
    DataGapError
        A substitute has no price.
    """
    pol = portfolio.policy
    orders: list[dict] = []
    alerts: list[dict] = []
    cash = 0.0
    blocks: dict[str, str] = {}
    if not pol.tax.enabled:
        return lots, cash, orders, alerts, blocks
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
                f"no price for substitute {sub} of {h.ticker}: give it in prices: or use --data",
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
    return lots, cash, orders, alerts, blocks
