"""Rebalancing policies of the backtest (docs/interface.md, backtest) and their target-weight rules.

A policy says *when* to rebalance (a calendar, or a drift check at every close) and *to what*
weights. Weights and drifts are fractions of portfolio value (0.05 = 5 points).

- ``buy_and_hold``: never.
- ``calendar_monthly|quarterly|annual``: at the close of the first trading day of each new
  month/quarter/year (the start date itself is not an event); everything back to target.
- ``threshold_5``: at any close where some |weight − target| exceeds 0.05: everything to target.
- ``tiered`` (the portfolio file's tiers, docs/formats.md; full_above 10, partial_above 5):
  at any close where some
  |drift| exceeds 0.05; a holding with |drift| > 0.10 goes to target, one with
  0.05 < |drift| <= 0.10 to the middle of the band (target ± 0.025 on the side it drifted to),
  the others hold. Because the backtest is fully invested, the net cash of those trades is
  absorbed as by the policy rebalancer: net sale proceeds buy under-target holdings, largest
  shortfall first, never past their target; a net purchase is funded by selling over-target
  holdings that did not trigger, largest excess first, never below their target (then, if
  still short, the triggered over-target holdings the same way).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FREQUENCIES = {"monthly": "M", "quarterly": "Q", "annual": "Y"}


@dataclass(frozen=True)
class BacktestPolicy:
    """One rebalancing policy.

    kind       ``hold``, ``calendar``, ``threshold`` or ``tiered``
    frequency  for calendar policies: ``monthly``, ``quarterly`` or ``annual``
    threshold  threshold policy: drift (fraction) that triggers a full rebalance
    full_above, partial_above   tiered policy bands (fractions)
    """

    name: str
    kind: str
    frequency: str | None = None
    threshold: float = 0.05
    full_above: float = 0.10
    partial_above: float = 0.05


POLICIES: tuple[BacktestPolicy, ...] = (
    BacktestPolicy("buy_and_hold", "hold"),
    BacktestPolicy("calendar_monthly", "calendar", "monthly"),
    BacktestPolicy("calendar_quarterly", "calendar", "quarterly"),
    BacktestPolicy("calendar_annual", "calendar", "annual"),
    BacktestPolicy("threshold_5", "threshold", threshold=0.05),
    BacktestPolicy("tiered", "tiered", full_above=0.10, partial_above=0.05),
)
POLICY_NAMES: tuple[str, ...] = tuple(p.name for p in POLICIES)


def _fill_greedy(gaps: np.ndarray, amount: float) -> np.ndarray:
    """Give ``amount`` to the largest gaps first, each at most its gap (vectorised)."""
    out = np.zeros_like(gaps)
    if amount <= 0 or gaps.size == 0:
        return out
    order = np.argsort(-gaps, kind="stable")
    g = gaps[order]
    before = np.cumsum(g) - g
    out[order] = np.clip(amount - before, 0.0, g)
    return out


def tiered_weights(
    current: np.ndarray, target: np.ndarray, full_above: float = 0.10, partial_above: float = 0.05
) -> np.ndarray:
    """Post-trade weights of the tiered policy (see the module docstring).

    Parameters
    ----------
    current, target : np.ndarray
        Weights (fractions, each summing to 1) in the same ticker order.

    Returns
    -------
    np.ndarray
        New weights summing to 1.
    """
    cur = np.asarray(current, dtype=float)
    tgt = np.asarray(target, dtype=float)
    drift = cur - tgt
    new = cur.copy()
    full = np.abs(drift) > full_above
    part = (np.abs(drift) > partial_above) & ~full
    new[full] = tgt[full]
    new[part] = tgt[part] + np.sign(drift[part]) * partial_above / 2.0
    freed = float(np.sum(cur - new))  # > 0: net proceeds to invest; < 0: net buys to fund
    if freed > 0:
        new += _fill_greedy(np.clip(tgt - new, 0.0, None), freed)
    elif freed < 0:
        triggered = full | part
        excess = np.clip(new - tgt, 0.0, None)
        first = _fill_greedy(np.where(triggered, 0.0, excess), -freed)
        new -= first
        rest = -freed - float(first.sum())
        if rest > 1e-15:
            new -= _fill_greedy(np.where(triggered, excess, 0.0), rest)
    return new
