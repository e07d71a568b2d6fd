"""fimonitor.store: the history database (SQLite or PostgreSQL through SQLAlchemy).

Write with :func:`record_pack` (one transaction per pack snapshot), :func:`record_allocations`,
:func:`record_asset_metrics` and :func:`record_rebalancing_event`; read with the functions of
:mod:`fimonitor.store.read` (DataFrames). :func:`open_store` validates a URL and opens (and
migrates) the database before any work is done. ``docs/store.md`` lists every table.
"""

from __future__ import annotations

from fimonitor.store.engine import Store, default_url, open_store
from fimonitor.store.targets import targets_from_monitor
from fimonitor.store.write import (
    record_allocations,
    record_asset_metrics,
    record_pack,
    record_rebalancing_event,
)

__all__ = [
    "Store",
    "default_url",
    "open_store",
    "record_allocations",
    "record_asset_metrics",
    "record_pack",
    "record_rebalancing_event",
    "targets_from_monitor",
]
