"""The pack's rebalance scenarios: PRE, POST_BM (to benchmark) and POST_CONS (constrained).

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Limits": "optimizer",
    "ScenarioBook": "optimizer",
    "binding_report": "explain",
    "book_from_positions": "scenarios",
    "order_reasons": "explain",
    "run_rebalances": "scenarios",
    "settle": "rounding",
    "solve_constrained": "optimizer",
    "solve_whole_shares": "rounding",
    "to_benchmark": "to_benchmark",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
