"""``fimonitor prices update``: refresh prices.csv from Yahoo Finance (yfinance).

Prints what was added on stdout and notes (gaps, missing tickers with ``--allow-partial``,
values that differ from the stored ones) on stderr. Any failure raises
:class:`~fimonitor.errors.DownloadError`, which the CLI prints as one line with exit code 2;
``prices.csv`` is then unchanged.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from fimonitor.data.update import update_prices
from fimonitor.errors import InputError, cut

_SHOW = 5  # differences listed by name before "and N more"


def _date(text: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(pd.to_datetime(text, format="%Y-%m-%d"))
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from exc


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``prices`` sub-command on ``subparsers``."""
    parser = subparsers.add_parser("prices", help="market data: refresh prices.csv")
    sub = parser.add_subparsers(dest="prices_command", metavar="ACTION", required=True)
    up = sub.add_parser(
        "update",
        help="download new closes with yfinance and merge them into prices.csv",
        description=(
            "Download close and adjusted close with yfinance and merge them into DIR/prices.csv. "
            "Existing rows are kept; only new (date, ticker) rows are added; the file is "
            "replaced atomically and left unchanged on any failure (exit 2)."
        ),
    )
    up.add_argument("--data", type=Path, default=Path("data"), help="data folder (default data/)")
    up.add_argument(
        "--tickers",
        nargs="+",
        metavar="T",
        help="tickers to update (default: security_master.csv and benchmark_weights.csv)",
    )
    up.add_argument(
        "--start",
        type=_date,
        help="first date (default: the day after each ticker's last stored date)",
    )
    up.add_argument(
        "--end",
        type=_date,
        help="last date, inclusive (default: today once New York is past 18:00, else yesterday)",
    )
    up.add_argument(
        "--allow-partial",
        action="store_true",
        help="write the tickers that came back even if others are missing",
    )
    up.add_argument(
        "--replace-overlap",
        action="store_true",
        help="replace stored values that differ from the download (default: keep and report)",
    )
    up.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``fimonitor prices``; return the exit code."""
    if not Path(args.data).is_dir():
        raise InputError(f"--data folder {cut(str(args.data))} does not exist")
    report = update_prices(
        args.data,
        tickers=args.tickers,
        start=args.start,
        end=args.end,
        allow_partial=args.allow_partial,
        replace_overlap=args.replace_overlap,
        progress=sys.stderr.isatty(),
    )
    err = sys.stderr
    if report.missing:
        missing = "; ".join(f"{t}: {why}" for t, why in report.missing.items())
        err.write(f"note: accepted a partial answer; missing {missing}\n")
    for note in report.notes:
        err.write(f"note: {note}\n")
    if not report.differences.empty:
        d = report.differences
        shown = ", ".join(
            f"{r.ticker} {r.date:%Y-%m-%d} {r.column} {r.stored:g}->{r.downloaded:g}"
            for r in d.head(_SHOW).itertuples()
        )
        more = f" and {len(d) - _SHOW} more" if len(d) > _SHOW else ""
        err.write(
            f"note: {len(d)} downloaded value(s) differ from prices.csv and were not applied "
            f"(--replace-overlap applies them): {shown}{more}\n"
        )
    name = report.path
    if not report.written:
        print(f"{name}: already up to date for {len(report.tickers)} ticker(s); nothing written")
        return 0
    added = report.added
    if added.empty:
        print(f"{name}: no new rows")
    else:
        print(
            f"{name}: added {len(added)} row(s) for {added['ticker'].nunique()} ticker(s), "
            f"{added['date'].min():%Y-%m-%d} .. {added['date'].max():%Y-%m-%d}"
        )
    if not report.replaced.empty:
        print(f"{name}: replaced {len(report.replaced)} stored value(s)")
    return 0
