"""Order arithmetic: whole-share floors and the trading-cost fixed point.

Shared by the pack's rebalance scenarios, the policy rebalancer, DCA and the backtest.

Both systems (:mod:`fimonitor.rebalance` and :mod:`fimonitor.policy`) import from here, one
layer below them, so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

ArrayLike = float | np.ndarray | pd.Series

__all__ = ["FRACTION_DECIMALS", "cost_fixed_point", "floor_shares"]

FRACTION_DECIMALS = 6  # fractional share counts are floored to 1e-6 share
_SNAP = 1e-9  # a count within this of the integer above is that integer (float noise)


def floor_shares(shares: ArrayLike, whole: bool) -> ArrayLike:
    """Round share counts down: to whole shares, or to 1e-6 share when fractions are allowed.

    Parameters
    ----------
    shares : float, numpy.ndarray or pandas.Series
        Share counts (amount ÷ price), non-negative.
    whole : bool
        True for whole shares.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        The same type as ``shares``: ``floor(n + 1e-9)`` for whole shares, else
        ``floor(n·1e6 + 1e-6) / 1e6``.

    Notes
    -----
    The small additive terms keep a count that is an integer (or a multiple of 1e-6) up to
    floating-point noise, e.g. ``0.3 / 0.1 = 2.9999999999999996``, from losing a share.
    """
    scale = 10.0**FRACTION_DECIMALS
    out = np.floor(shares + _SNAP) if whole else np.floor(shares * scale + 1e-6) / scale
    return float(out) if np.ndim(out) == 0 else out


def cost_fixed_point(
    value: float,
    traded: Callable[[float], float],
    cost_rate: float,
    *,
    rtol: float = 1e-13,
    max_iter: int = 200,
    stop_on_cycle: bool = False,
) -> tuple[float, float]:
    """Post-trade value ``V'`` when trading costs are paid from the portfolio.

    Parameters
    ----------
    value : float
        Pre-trade portfolio value ``V`` (currency).
    traded : callable
        ``V' -> Σ|trade|`` (currency): the traded notional when the portfolio is rebuilt
        with post-trade value ``V'``.
    cost_rate : float
        Cost as a fraction of traded notional (``cost_bps / 10,000``).
    rtol : float
        Stop when two iterates differ by at most ``rtol · |V|``.
    max_iter : int
        At most this many iterations.
    stop_on_cycle : bool
        With whole shares the floors can make the iteration cycle; when an iterate repeats
        (after 3 steps), stop at the smallest iterate seen, which leaves the most cash.

    Returns
    -------
    point : float
        The last ``V'`` at which ``traded`` was evaluated (the smallest seen on a cycle).
    image : float
        ``V − cost_rate · traded(point)``, within ``rtol · |V|`` of ``point`` on convergence.

    Notes
    -----
    Iterates ``V'_{k+1} = V − c · traded(V'_k)`` from ``V'_0 = V``: a contraction with
    factor ``c`` when ``traded`` is 1-Lipschitz in ``V'`` (it is ``Σ|V'·w_i − x_i|``), so
    about ``log(rtol) / log(c)`` steps. Without costs ``V' = V``.
    """
    point = value
    image = value - cost_rate * traded(point) if cost_rate else value
    seen: list[float] = []
    for _ in range(max_iter):
        if abs(image - point) <= rtol * abs(value):
            return point, image
        seen.append(point)
        point = image
        if stop_on_cycle and len(seen) > 3 and point in seen:
            point = min(seen)
            return point, value - cost_rate * traded(point)
        image = value - cost_rate * traded(point)
    return point, image
