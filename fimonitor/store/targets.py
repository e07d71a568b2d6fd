"""Allocation targets (``portfolio_allocations``) from the monitoring config.

A pack's book is managed against its benchmark: each ticker's target is its benchmark weight,
bounded by the ``rebalance:`` constraints of ``monitor.yaml``, and rebalanced when its active
weight crosses the ``active_weight`` breach level. Policy portfolios (``fimonitor rebalance``)
will bring their own targets, bands and frequency from their YAML through the same frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fimonitor.config import MonitorConfig
from fimonitor.errors import InputError

__all__ = ["TARGET_COLUMNS", "targets_from_monitor"]

TARGET_COLUMNS = [
    "ticker_or_group",
    "target_weight",
    "min_weight",
    "max_weight",
    "rebalance_threshold",
    "frequency",
    "active",
    "source",
]


def targets_from_monitor(
    positions: pd.DataFrame, config: MonitorConfig, *, frequency: str = "weekly"
) -> pd.DataFrame:
    """Targets with bounds for every ticker of a pack and every capped group.

    Parameters
    ----------
    positions : DataFrame
        ``today_positions`` columns ``ticker, group, benchmark_weight`` (fractions; CASH
        included).
    config : MonitorConfig
        ``rebalance.max_single_name_weight``, ``rebalance.min_cash_weight``,
        ``rebalance.group_caps`` and ``rules.active_weight`` are read.
    frequency : str
        How often the book is reviewed (the pack's cadence).

    Returns
    -------
    DataFrame
        :data:`TARGET_COLUMNS`, one row per ticker then one per capped group.

    Notes
    -----
    Ticker rows: ``target_weight`` = benchmark weight; ``min_weight`` = 0, except CASH whose
    minimum is ``rebalance.min_cash_weight``; ``max_weight`` = ``rebalance.max_single_name_weight``
    (none for CASH). Group rows: ``target_weight`` = Σ benchmark weights of the group's
    tickers, ``min_weight`` = 0, ``max_weight`` = the group cap. ``rebalance_threshold`` is the
    ``active_weight`` breach level (|weight − target| that calls for a rebalance) on every row;
    NULL where the config leaves a value out.
    """
    need = {"ticker", "group", "benchmark_weight"} - set(positions.columns)
    if need:
        raise InputError(f"positions is missing column(s) {', '.join(sorted(need))}")
    reb = config.rebalance
    aw = config.rules.active_weight
    threshold = aw.breach if aw is not None and aw.breach is not None else np.nan
    bench = pd.to_numeric(positions["benchmark_weight"], errors="coerce").fillna(0.0)
    is_cash = positions["ticker"].astype(str).eq("CASH").to_numpy()
    cap = np.nan if reb.max_single_name_weight is None else reb.max_single_name_weight
    floor = 0.0 if reb.min_cash_weight is None else reb.min_cash_weight
    tickers = pd.DataFrame(
        {
            "ticker_or_group": positions["ticker"].astype(str).to_numpy(),
            "target_weight": bench.to_numpy(),
            "min_weight": np.where(is_cash, floor, 0.0),
            "max_weight": np.where(is_cash, np.nan, cap),
        }
    )
    caps = pd.Series(dict(reb.group_caps), dtype=float)
    group_weight = bench.groupby(positions["group"].astype(str).to_numpy()).sum()
    groups = pd.DataFrame(
        {
            "ticker_or_group": caps.index.astype(str),
            "target_weight": group_weight.reindex(caps.index).fillna(0.0).to_numpy(),
            "min_weight": 0.0,
            "max_weight": caps.to_numpy(),
        }
    )
    out = pd.concat([tickers, groups], ignore_index=True)
    out["rebalance_threshold"] = threshold
    out["frequency"] = frequency
    out["active"] = True
    out["source"] = None if config.source is None else str(config.source)
    return out[TARGET_COLUMNS]
