"""The history database (docs/store.md): one import point for the pipeline and the commands.

The implementation is split by concern: :mod:`~fimonitor.store.engine` (URLs, connections,
migrations, the writer lock), :mod:`~fimonitor.store.write` (a pack's snapshot, allocation
targets, rebalancing events), :mod:`~fimonitor.store.read` (DataFrames for ``fimonitor
history`` and the API), :mod:`~fimonitor.store.schema` (the tables) and
:mod:`~fimonitor.store.codec` (the compact correlation format). ``docs/store.md`` lists every
table and column.
"""

from __future__ import annotations

import pandas as pd

from fimonitor.store.engine import (
    Store,
    default_url,
    ensure_schema,
    now,
    open_store,
    schema_version_of,
    sqlite_file,
)
from fimonitor.store.read import SNAPSHOT_COLUMNS, read_table, snapshots
from fimonitor.store.read import events as _events
from fimonitor.store.rows import PACK_EVENT_TYPE
from fimonitor.store.write import (
    record_allocations,
    record_asset_metrics,
    record_pack,
    record_rebalancing_event,
)

__all__ = [
    "PACK_EVENT_TYPE",
    "SNAPSHOT_COLUMNS",
    "Store",
    "default_url",
    "ensure_schema",
    "list_rebalancing_events",
    "list_snapshots",
    "now",
    "open_store",
    "read_table",
    "record_allocations",
    "record_asset_metrics",
    "record_pack",
    "record_rebalancing_event",
    "schema_version_of",
    "sqlite_file",
]


def list_snapshots(url: str | Store) -> pd.DataFrame:
    """List the stored pack snapshots, one row per ``(portfolio_id, as_of)``, oldest first."""
    return snapshots(url)


def list_rebalancing_events(url: str | Store) -> pd.DataFrame:
    """List the stored rebalancing events (without the JSON payloads), oldest first."""
    return _events(url)
