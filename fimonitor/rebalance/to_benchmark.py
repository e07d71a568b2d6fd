"""POST_BM: trade every ticker to its benchmark weight.

Shares are ``floor(b_i·V'/p_i)`` with whole shares (``b_i·V'/p_i`` otherwise), where
``V' = V − cost`` is the post-trade value after trading costs paid from cash. The whole-share
residue stays in CASH, which never goes negative. Each ticker lands within one share of
its benchmark weight of ``V'``.
"""

from __future__ import annotations

import numpy as np

from fimonitor.analytics.orders import cost_fixed_point, floor_shares
from fimonitor.rebalance.optimizer import ScenarioBook
from fimonitor.rebalance.rounding import Settled, settle


def to_benchmark(
    book: ScenarioBook, *, cost_rate: float = 0.0, whole_shares: bool = True, max_iter: int = 50
) -> Settled:
    """Return the POST_BM portfolio.

    Parameters
    ----------
    book : ScenarioBook
    cost_rate : float
        Cost as a fraction of traded notional (cost_bps / 10,000), paid from cash.
    whole_shares : bool
        Round share counts down to integers (the residue stays in cash).

    Returns
    -------
    Settled
        New shares (CASH = cash after costs), trades, cost and weights.

    Notes
    -----
    ``V'`` solves ``V' = V − cost_rate·Σ|s_i(V')·p_i − x_i|`` by fixed-point iteration (a
    contraction with factor ``cost_rate``); with whole shares the smallest ``V'`` seen is
    kept if the floors oscillate, which only leaves more cash.
    """
    nc = book.traded
    value = book.value

    def shares_for(value_post: float) -> np.ndarray:
        t = book.benchmark * value_post / book.prices
        if whole_shares:
            t = floor_shares(t, True)
        return np.where(nc, t, book.shares)

    value_post, _ = cost_fixed_point(
        value,
        lambda v: float(np.abs(settle(book, shares_for(v)).trade).sum()),
        cost_rate,
        rtol=1e-12,
        max_iter=max_iter,
        stop_on_cycle=whole_shares,
    )
    st = settle(book, shares_for(value_post), cost_rate)
    # costs can only make cash short by a rounding hair; trim the largest buys if so
    s = st.shares.copy()
    while st.shares[book.cash_index] < 0:
        buys = np.where(nc & (st.trade > 0), st.trade, -np.inf)
        i = int(np.argmax(buys))
        if not np.isfinite(buys[i]):
            break
        s[i] -= 1.0 if whole_shares else (-st.shares[book.cash_index] / book.prices[i]) * 1.001
        st = settle(book, s, cost_rate)
    return st
