"""``fimonitor history``: what the history database holds (docs/store.md).

``fimonitor history [--db URL] [--out DIR] [--portfolio NAME] [--events | --performance] [--csv]``

- default: one line per recorded pack (portfolio, as-of, market value, duration gap, alert
  counts and how many rows a few tables hold for it);
- ``--events``: every rebalancing event (pack proposals, policy runs, DCA runs) of every
  portfolio, each followed by its orders; with ``--csv`` one row per order (an event without
  orders has one row with blank order columns);
- ``--performance``: for each portfolio's latest as-of, the period returns
  (``performance.csv``) and the attribution by group; with ``--csv`` the period returns, a
  blank line, then the attribution.

The default database is ``sqlite:///OUT/fimonitor.sqlite`` with ``OUT`` = ``--out`` (default
``outputs``).
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from fimonitor.fileio import csv_text
from fimonitor.report import format as fmt
from fimonitor.store import read
from fimonitor.store.db import default_url

_MONEY = ("market_value", "traded_notional", "cost", "tax_impact", "notional", "price")
_RETURNS = (
    "portfolio_return",
    "benchmark_return",
    "active_return",
    "portfolio_weight",
    "benchmark_weight",
    "allocation",
    "selection",
    "interaction",
    "total",
)


def add_parser(subparsers) -> None:
    """Register ``fimonitor history``."""
    p = subparsers.add_parser(
        "history",
        help="list the snapshots, events or returns stored in the history database",
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
    p.add_argument("--portfolio", metavar="NAME", help="only this portfolio")
    what = p.add_mutually_exclusive_group()
    what.add_argument(
        "--events", action="store_true", help="list rebalancing events with their orders"
    )
    what.add_argument(
        "--performance",
        action="store_true",
        help="period returns and attribution of each portfolio's latest pack",
    )
    p.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    p.set_defaults(func=run)


def _text(df: pd.DataFrame, indent: str = "") -> str:
    shown = df.copy()
    for col in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[col]):
            f = "%Y-%m-%d %H:%M:%S" if col == "recorded_at" else "%Y-%m-%d"
            shown[col] = shown[col].dt.strftime(f).fillna(fmt.MISSING)
    for col in shown.columns:
        if col in _MONEY:
            shown[col] = [fmt.number(v, 2) for v in shown[col]]
        elif col in _RETURNS:
            signed = not col.endswith("_weight")
            shown[col] = [fmt.pct(v, 2, signed=signed) for v in shown[col]]
        elif col == "portfolio_duration":
            shown[col] = [fmt.number(v, 2) for v in shown[col]]
        elif col == "duration_gap":
            shown[col] = [fmt.number(v, 2, signed=True) for v in shown[col]]
        elif col == "shares":
            shown[col] = [fmt.number(v, 4) for v in shown[col]]
    text = shown.to_string(index=False)
    return "".join(f"{indent}{line}\n" for line in text.splitlines())


def _csv(df: pd.DataFrame) -> str:
    return csv_text(df)


def _events(url: str, portfolio: str | None, csv: bool) -> str:
    events = read.events(url, portfolio)
    if events.empty:
        return f"no rebalancing events in {url}\n"
    orders = read.event_orders(url, portfolio=portfolio).drop(columns=["extra"])
    if csv:
        merged = events.merge(
            orders.rename(columns={"date": "order_date"}),
            left_on="id",
            right_on="event_id",
            how="left",
        ).drop(columns=["event_id"])
        return _csv(merged.rename(columns={"id": "event_id"}))
    n = len(events)
    out = [f"{n} rebalancing event{'s' if n != 1 else ''} in {url}\n"]
    by_event = dict(tuple(orders.groupby("event_id", sort=False)))
    for ev in events.itertuples(index=False):  # a readable block per event
        scenario = f" {ev.scenario}" if isinstance(ev.scenario, str) and ev.scenario else ""
        out.append(
            f"\n#{ev.id} {ev.portfolio_id} {ev.event_date:%Y-%m-%d} {ev.event_type}{scenario} "
            f"[{ev.status}]: {ev.n_orders} order{'s' if ev.n_orders != 1 else ''}, "
            f"traded {fmt.number(ev.traded_notional, 2)}, cost {fmt.number(ev.cost, 2)}, "
            f"tax impact {fmt.number(ev.tax_impact, 2)}\n"
        )
        mine = by_event.get(ev.id)
        if mine is not None and len(mine):
            cols = ["line", "date", "ticker", "side", "shares", "price", "notional", "reason"]
            table = mine[cols].dropna(axis=1, how="all")
            out.append(_text(table, indent="    "))
    return "".join(out)


def _performance(url: str, portfolio: str | None, csv: bool) -> str:
    periods = read.performance(url, portfolio)
    attribution = read.attribution(url, portfolio)
    if csv:
        return _csv(periods) + "\n" + _csv(attribution)
    if periods.empty and attribution.empty:
        return f"no period returns in {url}\n"
    out = []
    keys = pd.concat([periods[["portfolio_id", "as_of"]], attribution[["portfolio_id", "as_of"]]])
    for (pid, as_of), _ in keys.drop_duplicates().groupby(["portfolio_id", "as_of"]):
        out.append(f"{pid} as of {as_of:%Y-%m-%d}: returns (active = portfolio - benchmark)\n")
        mine = periods[periods["portfolio_id"] == pid].drop(columns=["portfolio_id", "as_of"])
        out.append(_text(mine, indent="    ") if len(mine) else "    (none stored)\n")
        attr = attribution[attribution["portfolio_id"] == pid]
        if len(attr):
            out.append(f"{pid} as of {as_of:%Y-%m-%d}: attribution by group\n")
            out.append(_text(attr.drop(columns=["portfolio_id", "as_of"]), indent="    "))
        out.append("\n")
    return "".join(out)


def run(args: argparse.Namespace) -> int:
    """Print what the history database holds; returns the exit code."""
    url = args.db or default_url(args.out)
    if args.events:
        sys.stdout.write(_events(url, args.portfolio, args.csv))
        return 0
    if args.performance:
        sys.stdout.write(_performance(url, args.portfolio, args.csv))
        return 0
    table = read.snapshots(url, args.portfolio)
    if args.csv:
        sys.stdout.write(_csv(table))
        return 0
    if table.empty:
        sys.stdout.write(f"no snapshots in {url}\n")
        return 0
    sys.stdout.write(f"{len(table)} snapshot{'s' if len(table) != 1 else ''} in {url}\n")
    sys.stdout.write(_text(table))
    return 0
