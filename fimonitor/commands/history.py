"""``fimonitor history``: list the snapshots stored in the history database.

See docs/interface.md (history database).

``fimonitor history [--db URL] [--out DIR] [--events] [--csv]``: one line per recorded pack
(portfolio, as-of, market value, duration gap, alert counts and how many rows each table holds
for it). ``--events`` lists the rebalancing events instead. The default database is
``sqlite:///OUT/fimonitor.sqlite`` with ``OUT`` = ``--out`` (default ``outputs``).
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from fimonitor.store.db import default_url, list_rebalancing_events, list_snapshots


def add_parser(subparsers) -> None:
    """Register the ``history`` sub-command on ``subparsers``."""
    p = subparsers.add_parser(
        "history",
        help="list the snapshots stored in the history database",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--db", metavar="URL", help="SQLAlchemy URL (default sqlite:///OUT/fimonitor.sqlite)"
    )
    p.add_argument(
        "--out",
        default="outputs",
        metavar="DIR",
        help="pack output folder holding the default database (default outputs)",
    )
    p.add_argument("--events", action="store_true", help="list rebalancing events instead")
    p.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    p.set_defaults(func=run)


def _text(df: pd.DataFrame) -> str:
    shown = df.copy()
    for col in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[col]):
            fmt = "%Y-%m-%d %H:%M:%S" if col == "recorded_at" else "%Y-%m-%d"
            shown[col] = shown[col].dt.strftime(fmt)
    fmt = {
        "market_value": "{:,.2f}".format,
        "traded_notional": "{:,.2f}".format,
        "cost": "{:,.2f}".format,
        "tax_impact": "{:,.2f}".format,
        "portfolio_duration": "{:.2f}".format,
        "duration_gap": "{:+.2f}".format,
    }
    for col, f in fmt.items():
        if col in shown.columns:
            shown[col] = [("–" if pd.isna(v) else f(v)) for v in shown[col]]
    return shown.to_string(index=False) + "\n"


def run(args: argparse.Namespace) -> int:
    """Run ``fimonitor history``; return the exit code."""
    url = args.db or default_url(args.out)
    table = list_rebalancing_events(url) if args.events else list_snapshots(url)
    if args.csv:
        sys.stdout.write(table.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d"))
        return 0
    what = "rebalancing event" if args.events else "snapshot"
    if table.empty:
        sys.stdout.write(f"no {what}s in {url}\n")
        return 0
    sys.stdout.write(f"{len(table)} {what}{'s' if len(table) != 1 else ''} in {url}\n")
    sys.stdout.write(_text(table))
    return 0
