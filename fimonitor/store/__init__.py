"""The history database.

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "default_url": "db",
    "list_rebalancing_events": "db",
    "list_snapshots": "db",
    "read_table": "db",
    "record_pack": "db",
    "record_rebalancing_event": "db",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
