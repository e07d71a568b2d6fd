"""The monitoring rules on every date, and their weekly aggregation.

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from fimonitor.exports import lazy_exports

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "RuleInputs": "engine",
        "counts": "engine",
        "drivers_by_rule": "weekly",
        "drivers_by_ticker": "weekly",
        "evaluate": "engine",
        "evaluate_inputs": "engine",
        "evaluate_positions": "engine",
        "severity_counts": "engine",
        "weekly_trend": "weekly",
    },
)
