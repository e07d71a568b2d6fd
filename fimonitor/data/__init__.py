"""Inputs: the loaded book, the readers, the NYSE calendar, the as-of resolver, data quality.

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "AsOf": "asof",
    "Book": "book",
    "CASH": "book",
    "load_book": "loaders",
    "previous_session": "calendar",
    "read_curve": "curves",
    "read_durations": "loaders",
    "read_prices": "loaders",
    "read_security_master": "loaders",
    "resolve_as_of": "asof",
    "sessions": "calendar",
    "stale_tickers": "quality",
    "update_prices": "update",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
