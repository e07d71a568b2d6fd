"""The portfolio-file tools: the policy rebalancer, tax lots and dollar-cost averaging.

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from fimonitor.exports import lazy_exports

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "CureInputs": "dca",
        "POLICY_ALERT_LEVELS": "result",
        "PolicyResult": "result",
        "Portfolio": "portfolio",
        "cure_inputs_from_folder": "dca",
        "load_portfolio": "portfolio",
        "parse_portfolio": "portfolio",
        "price_panel": "prices",
        "prices_on": "prices",
        "rebalance": "rebalancer",
        "run_dca": "dca",
        "schedule": "dca",
    },
)
