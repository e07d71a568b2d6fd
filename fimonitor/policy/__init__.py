"""The portfolio-file tools: the policy rebalancer, tax lots and dollar-cost averaging.

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "CureInputs": "dca",
    "POLICY_ALERT_LEVELS": "rebalancer",
    "PolicyResult": "rebalancer",
    "Portfolio": "portfolio",
    "cure_inputs_from_folder": "dca",
    "load_portfolio": "portfolio",
    "parse_portfolio": "portfolio",
    "price_panel": "prices",
    "prices_on": "prices",
    "rebalance": "rebalancer",
    "run_dca": "dca",
    "schedule": "dca",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
