"""Backtests of rebalancing policies, and the replay of the monitoring rules over history.

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from fimonitor.exports import lazy_exports

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "BacktestPolicy": "policies",
        "BacktestResult": "engine",
        "POLICIES": "policies",
        "benchmark_targets": "targets",
        "normalise_targets": "engine",
        "prepare_prices": "engine",
        "replay_rules": "rules_replay",
        "run_backtest": "engine",
    },
)
