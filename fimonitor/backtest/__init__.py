"""Backtests of rebalancing policies, and the replay of the monitoring rules over history.

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "BacktestPolicy": "policies",
    "BacktestResult": "engine",
    "POLICIES": "policies",
    "benchmark_targets": "targets",
    "normalise_targets": "engine",
    "prepare_prices": "engine",
    "replay_rules": "rules_replay",
    "run_backtest": "engine",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
