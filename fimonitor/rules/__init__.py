"""The monitoring rules on every date, and their weekly aggregation.

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "RuleInputs": "engine",
    "counts": "engine",
    "drivers_by_rule": "weekly",
    "drivers_by_ticker": "weekly",
    "evaluate": "engine",
    "evaluate_inputs": "engine",
    "evaluate_positions": "engine",
    "weekly_trend": "weekly",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
