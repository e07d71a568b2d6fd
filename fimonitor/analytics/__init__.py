"""Analytics: positions, exposures, risk metrics, empirical durations, order arithmetic.

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from fimonitor.exports import lazy_exports

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "History": "exposures",
        "cash_weight": "summary",
        "compute_history": "exposures",
        "cost_fixed_point": "orders",
        "dv01": "summary",
        "estimate_durations": "empirical_duration",
        "estimate_from_folder": "empirical_duration",
        "exposure_table": "exposures",
        "floor_shares": "orders",
        "holdings": "positions",
        "positions_on": "exposures",
        "risk_metrics": "risk",
        "time_weighted_returns": "risk",
        "values_as_of": "positions",
        "weighted_duration": "summary",
    },
)
