"""``fimonitor history``: what the history database holds (docs/store.md).

``fimonitor history [--db URL] [--out DIR] [--portfolio NAME]
[--events | --performance | --correlations [--window W]] [--csv]``

- default: one line per recorded pack (portfolio, as-of, market value, duration gap, alert
  counts and how many rows a few tables hold for it);
- ``--events``: every rebalancing event (pack proposals, policy runs, DCA runs) of every
  portfolio, each followed by its orders; with ``--csv`` one row per order (an event without
  orders has one row with blank order columns);
- ``--performance``: for each portfolio's latest as-of, the period returns
  (``performance.csv``) and the attribution by group; with ``--csv`` the period returns, a
  blank line, then the attribution;
- ``--correlations``: for each portfolio's latest as-of, the stored correlation windows
  (tickers, return rows) and the strongest pairs of ``--window`` (default 1Y); with ``--csv``
  every pair of that window's matrix (``ticker_1,ticker_2,correlation,p_value``, float32
  values) of one portfolio (``--portfolio`` when several are stored).

The default database is ``sqlite:///OUT/fimonitor.sqlite`` with ``OUT`` = ``--out`` (default
``outputs``).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

from fimonitor.errors import InputError
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
    what.add_argument(
        "--correlations",
        action="store_true",
        help="correlation windows and strongest pairs of each portfolio's latest pack",
    )
    p.add_argument(
        "--window",
        default="1Y",
        metavar="W",
        help="correlation window for --correlations (1M, 3M, 6M, 1Y, 3Y; default 1Y)",
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


_TOP_SHOWN = 10
_PAIR_ROWS = 1_000  # matrix rows per CSV chunk


def _correlations(url: str, portfolio: str | None, window: str, csv: bool) -> str | None:
    window = window.upper()
    stored = read.correlation_windows(url, portfolio)
    if csv:
        names = list(dict.fromkeys(stored["portfolio_id"]))
        if len(names) > 1 and portfolio is None:
            raise InputError(
                f"the history database holds correlations of {len(names)} portfolios; "
                "pass --portfolio NAME with --correlations --csv"
            )
        if not names:
            sys.stdout.write("ticker_1,ticker_2,correlation,p_value\n")
            return None
        _pairs_csv(url, names[0], window)
        return None
    if stored.empty:
        return f"no correlation matrices in {url}\n"
    out = []
    for (pid, as_of), mine in stored.groupby(["portfolio_id", "as_of"], sort=False):
        out.append(f"{pid} as of {as_of:%Y-%m-%d}: correlation windows\n")
        out.append(_text(mine[["window", "n_tickers", "n_observations"]], indent="    "))
        top = read.top_pairs(url, pid, as_of, window)
        if len(top):
            out.append(f"{pid} as of {as_of:%Y-%m-%d}: strongest {window} pairs\n")
            shown = top.head(_TOP_SHOWN)[["rank", "ticker_1", "ticker_2", "correlation", "p_value"]]
            out.append(_text(shown, indent="    "))
        out.append("\n")
    return "".join(out)


def _pairs_csv(url: str, portfolio: str, window: str) -> None:
    """Every pair of one stored matrix, written a block of matrix rows at a time."""
    corr = read.correlations(url, portfolio, None, window)
    try:
        pv = read.correlations(url, portfolio, None, window, p_values=True).to_numpy()
    except InputError:  # no p-values stored for this window
        pv = None
    values = corr.to_numpy()
    names = np.asarray([str(t) for t in corr.columns], dtype=object)
    k = len(names)
    sys.stdout.write("ticker_1,ticker_2,correlation,p_value\n")
    for i0 in range(0, max(k - 1, 0), _PAIR_ROWS):  # a handful of blocks
        i1 = min(k - 1, i0 + _PAIR_ROWS)
        i, j = np.nonzero(np.arange(i0, i1)[:, None] < np.arange(k)[None, :])
        i += i0
        block = pd.DataFrame(
            {
                "ticker_1": names[i],
                "ticker_2": names[j],
                "correlation": values[i, j].astype(float),
                "p_value": pv[i, j].astype(float) if pv is not None else np.nan,
            }
        )
        sys.stdout.write(csv_text(block).split("\n", 1)[1])


def run(args: argparse.Namespace) -> int:
    """Print what the history database holds; returns the exit code."""
    url = args.db or default_url(args.out)
    if args.events:
        sys.stdout.write(_events(url, args.portfolio, args.csv))
        return 0
    if args.performance:
        sys.stdout.write(_performance(url, args.portfolio, args.csv))
        return 0
    if args.correlations:
        text = _correlations(url, args.portfolio, args.window, args.csv)
        if text is not None:
            sys.stdout.write(text)
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
