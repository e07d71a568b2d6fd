"""Quarter review (origin guide, step 3): each holding's return since the last rebalance.

For each ticker held now, with ``p0`` its close on (or before) the last rebalance date and
``p1`` its price today::

    return        r_i = p1 / p0 − 1
    start value   V0_i = shares_i × p0          (the shares held now, assumed held since then)
    contribution  c_i = V0_i / (Σ_j V0_j + cash) × r_i
    class         winner if r_i > +20 %, laggard if r_i < −10 %, else in_line

The portfolio return over the period is Σ c_i (cash earns nothing). A holding bought after
the rebalance date, or without a close on or before it, has no return (NaN) and no class.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from fimonitor.policy.portfolio import Portfolio

log = logging.getLogger(__name__)

REVIEW_COLUMNS = [
    "ticker",
    "start_price",
    "price",
    "return",
    "contribution",
    "class",
]
WINNER_ABOVE = 0.20
LAGGARD_BELOW = -0.10


def last_rebalance_from_db(url: str, portfolio_id: str, before: pd.Timestamp) -> pd.Timestamp:
    """The date of the portfolio's last rebalancing event before ``before`` (NaT if none).

    Parameters
    ----------
    url : str
        History database (SQLAlchemy URL).
    portfolio_id : str
        The portfolio's name as recorded.
    before : Timestamp
        Only events strictly earlier count (a run never reviews against itself).

    Returns
    -------
    Timestamp
        NaT when the database does not exist yet or holds no earlier event.
    """
    from fimonitor.errors import InputError
    from fimonitor.store.read import events

    try:
        ev = events(url, portfolio=portfolio_id)
    except InputError as exc:  # no database yet: no earlier event
        log.info("no rebalancing events: %s", exc)
        return pd.NaT
    if ev.empty:
        return pd.NaT
    d = pd.to_datetime(ev["event_date"])
    d = d[d < pd.Timestamp(before)]
    return d.max() if len(d) else pd.NaT


def quarter_review(
    portfolio: Portfolio,
    prices: Mapping[str, float],
    history: pd.DataFrame | None,
    since: pd.Timestamp,
) -> tuple[pd.DataFrame, float]:
    """Per holding: return since ``since``, contribution to the portfolio return, class.

    Parameters
    ----------
    portfolio : Portfolio
        Shares held now and cash.
    prices : mapping ticker -> price
        Prices today (currency per share).
    history : DataFrame or None
        date x ticker closes (at least up to ``since``).
    since : Timestamp
        The last rebalance date.

    Returns
    -------
    review : DataFrame
        :data:`REVIEW_COLUMNS` (fractions), one row per holding; empty without history.
    portfolio_return : float
        Σ contribution (NaN when no holding has a start price).
    """
    held = {t: h.shares for t, h in portfolio.holdings.items() if h.shares > 0}
    if history is None or history.empty or pd.isna(since) or not held:
        return pd.DataFrame(columns=REVIEW_COLUMNS), float("nan")
    tickers = list(held)
    past = history.reindex(columns=tickers).loc[: pd.Timestamp(since)].ffill()
    p0 = past.iloc[-1] if len(past) else pd.Series(np.nan, index=tickers)
    p1 = pd.Series({t: prices.get(t, np.nan) for t in tickers}, dtype=float)
    shares = pd.Series(held, dtype=float)
    r = p1 / p0 - 1.0
    v0 = shares * p0
    total0 = v0.sum(min_count=1) + portfolio.cash
    contrib = v0 / total0 * r
    cls = np.where(r > WINNER_ABOVE, "winner", np.where(r < LAGGARD_BELOW, "laggard", "in_line"))
    out = pd.DataFrame(
        {
            "ticker": tickers,
            "start_price": p0.to_numpy(),
            "price": p1.to_numpy(),
            "return": r.to_numpy(),
            "contribution": contrib.to_numpy(),
            "class": np.where(r.isna(), "", cls),
        }
    )
    return out, float(contrib.sum(min_count=1))
