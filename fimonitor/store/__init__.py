"""The history database.

The names below are the package's public face; each is imported from its module on first use.
"""

from __future__ import annotations

from fimonitor.exports import lazy_exports

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "default_url": "db",
        "list_rebalancing_events": "db",
        "list_snapshots": "db",
        "read_table": "db",
        "record_pack": "db",
        "record_rebalancing_event": "db",
    },
)
