"""``fimonitor assets``: technical indicators and performance metrics per asset on a date.

``fimonitor assets [--as-of DATE|latest] [--tickers T ...] [--all-assets] [--data DIR]
[--config FILE] [--csv OUT.csv]`` prints one line per ticker (held and benchmark tickers by
default; ``--tickers`` names them; ``--all-assets`` takes every priced ticker) with the
columns of ``asset_metrics.csv``: SMA 20/50/200, EMA 12/26, RSI 14, MACD 12/26/9, Bollinger
20/2, ATR 14, Stochastic 14/3/3, OBV, total returns 1M..5Y and, over ``risk_lookback_days``,
volatility, beta to the benchmark, Sharpe and max drawdown; ``notes`` says why a value is
blank. ``--csv`` writes the table at full precision instead of printing it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from fimonitor.commands._common import add_data_arg, data_dir
from fimonitor.errors import InputError


def add_parser(subparsers) -> None:
    """Register ``fimonitor assets`` on the CLI's sub-parsers."""
    p = subparsers.add_parser(
        "assets",
        help="technical indicators and performance metrics per asset",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--as-of", default="latest", metavar="DATE|latest", help="default: latest")
    p.add_argument("--tickers", nargs="+", metavar="T", help="only these tickers")
    p.add_argument("--all-assets", action="store_true", help="every ticker with prices")
    add_data_arg(p)
    p.add_argument(
        "--config", type=Path, default=None, metavar="FILE", help="default: DATA/monitor.yaml"
    )
    p.add_argument("--csv", type=Path, default=None, metavar="OUT", help="write CSV here")
    p.set_defaults(func=run)


def compute(args: argparse.Namespace) -> pd.DataFrame:
    """Load the inputs named by ``args`` and return the asset-metrics table."""
    from fimonitor.analytics.exposures import compute_history
    from fimonitor.analytics.indicators import asset_metrics
    from fimonitor.data.book import CASH
    from fimonitor.pipeline import benchmark_returns, load_inputs, resolve_as_of

    if args.tickers and args.all_assets:
        raise InputError("give --tickers or --all-assets, not both")
    book, config = load_inputs(data_dir(args), args.config)
    resolved = resolve_as_of(book, args.as_of)
    if resolved.note:
        sys.stderr.write(f"fimonitor: {resolved.note}\n")
    d = resolved.date
    priced = book.adj_close.columns
    h = compute_history(book, end=d, max_stale_days=config.max_stale_days)
    if args.all_assets:
        tickers = sorted(priced)
    elif args.tickers:
        tickers = sorted({t.strip().upper() for t in args.tickers})
        unknown = [t for t in tickers if t not in priced]
        if unknown:
            raise InputError("ticker has no prices", file="prices.csv", ticker=unknown[0])
    else:
        held = h.shares.loc[d]
        held = held[(held > 0) & (held.index != CASH)].index
        bench = book.benchmark_weights(d).index
        tickers = sorted(set(held) | set(bench))
    dates = book.adj_close.loc[:d].index
    bench_r = benchmark_returns(book, h, dates) if len(h.dates) else None
    panel = lambda name: (  # noqa: E731 -- optional OHLCV panels (absent in older books)
        None
        if getattr(book, name, None) is None
        else getattr(book, name)[[t for t in tickers if t in getattr(book, name).columns]]
    )
    return asset_metrics(
        book.adj_close[tickers],
        book.close[[t for t in tickers if t in book.close.columns]],
        panel("high"),
        panel("low"),
        panel("volume"),
        bench_r,
        d,
        rf=config.risk_free_rate,
        lookback=config.risk_lookback_days,
    )


def _text(table: pd.DataFrame) -> str:
    shown = table.copy()
    shown["date"] = pd.to_datetime(shown["date"]).dt.strftime("%Y-%m-%d")
    return shown.to_string(index=False, na_rep="–", float_format=lambda v: f"{v:.6g}") + "\n"


def run(args: argparse.Namespace) -> int:
    """Print the table, or write it with ``--csv``; return the exit code."""
    from fimonitor.fileio import atomic_write_csv

    table = compute(args)
    if args.csv is not None:
        atomic_write_csv(table, args.csv)
        sys.stderr.write(f"wrote {len(table)} rows to {args.csv}\n")
    else:
        sys.stdout.write(_text(table))
    return 0
