"""The history database (SQLite or PostgreSQL through SQLAlchemy).

Write with :func:`record_pack` (one transaction per pack snapshot), :func:`record_allocations`,
:func:`record_asset_metrics` and :func:`record_rebalancing_event`; read with the functions of
:mod:`fimonitor.store.read` (DataFrames). :func:`open_store` validates a URL and opens (and
migrates) the database before any work is done. ``docs/store.md`` lists every table.

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from fimonitor.exports import lazy_exports

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "Store": "engine",
        "default_url": "engine",
        "open_store": "engine",
        "list_rebalancing_events": "db",
        "list_snapshots": "db",
        "read_table": "db",
        "record_allocations": "write",
        "record_asset_metrics": "write",
        "record_pack": "write",
        "record_rebalancing_event": "write",
        "targets_from_monitor": "targets",
    },
)
