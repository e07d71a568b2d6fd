"""Inputs: the loaded book, the readers, the NYSE calendar, the as-of resolver, data quality.

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from fimonitor.exports import lazy_exports

__all__, __getattr__ = lazy_exports(
    __name__,
    {
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
    },
)
