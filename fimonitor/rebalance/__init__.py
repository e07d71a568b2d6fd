"""The pack's rebalance scenarios: PRE, POST_BM (to benchmark) and POST_CONS (constrained).

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from fimonitor.exports import lazy_exports

__all__, __getattr__ = lazy_exports(
    __name__,
    {
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
    },
)
