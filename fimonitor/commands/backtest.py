"""``fimonitor backtest``: rebalancing policies on the price history (docs/interface.md, backtest).

``fimonitor backtest [--data DIR] [--targets benchmark|FILE.yaml] [--start DATE] [--end DATE]
[--capital X] [--cost-bps N] [--contribution X --frequency weekly|monthly] [--rf X] [--out DIR]``

Simulates buy_and_hold, calendar_monthly, calendar_quarterly, calendar_annual, threshold_5 and
tiered on ``adj_close`` (fractional shares, start fully invested at the target weights at the
first close) and writes ``backtest_summary.csv``, ``backtest_equity.csv`` and
``backtest_equity.png`` into ``--out`` (default ``outputs/backtest``), each file replaced
atomically. Targets default to the benchmark weights in effect on the start date (the earliest
benchmark weights when the start precedes them); ``--targets FILE.yaml`` reads the ``targets:``
mapping of a portfolio file (ticker -> percent or fraction; a category's target goes to its
first ticker). The start defaults to the first date
on which every target ticker has a price. With contributions, ``annual_return`` is the
time-weighted annual return (contributions removed).

``fimonitor backtest --rules [--config FILE]`` instead replays the monitoring rules over the
book's history and reports, per rule and band width, how often each would have fired.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import pandas as pd

from fimonitor.commands._common import finite_float, nonneg_float, positive_float
from fimonitor.dates import parse_date
from fimonitor.errors import InputError
from fimonitor.fileio import atomic_write_files

log = logging.getLogger(__name__)


def add_parser(subparsers) -> None:
    """Register the ``backtest`` sub-command on ``subparsers``."""
    p = subparsers.add_parser(
        "backtest",
        help="backtest rebalancing policies on the price history (docs/interface.md, backtest)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data", default="data", metavar="DIR", help="input folder (default data)")
    p.add_argument(
        "--targets",
        default="benchmark",
        metavar="benchmark|FILE.yaml",
        help="target weights: the benchmark (default) or a portfolio YAML's targets",
    )
    p.add_argument(
        "--start",
        metavar="DATE",
        help="first date (default: first date with prices for every target ticker)",
    )
    p.add_argument("--end", metavar="DATE", help="last date (default: last price date)")
    p.add_argument(
        "--capital",
        type=positive_float,
        default=100_000.0,
        metavar="X",
        help="initial investment, currency (default 100000)",
    )
    p.add_argument(
        "--cost-bps",
        type=nonneg_float,
        default=0.0,
        metavar="N",
        help="rebalancing cost in bp of traded notional (default 0)",
    )
    p.add_argument(
        "--contribution",
        type=nonneg_float,
        default=0.0,
        metavar="X",
        help="amount invested at target weights on each contribution date",
    )
    p.add_argument(
        "--frequency",
        choices=("weekly", "monthly"),
        help="contribution dates: weekly (Monday or next session) or monthly "
        "(first session of the month)",
    )
    p.add_argument(
        "--rf",
        type=finite_float,
        default=0.0,
        metavar="X",
        help="daily risk-free rate for the Sharpe ratio, fraction (default 0)",
    )
    p.add_argument(
        "--out",
        default=os.path.join("outputs", "backtest"),
        metavar="DIR",
        help="output folder (default outputs/backtest)",
    )
    p.add_argument(
        "--rules",
        action="store_true",
        help="replay the monitoring rules over history instead (calibration report)",
    )
    p.add_argument(
        "--config", metavar="FILE", help="rules file for --rules (default DIR/monitor.yaml)"
    )
    p.add_argument(
        "--widths",
        metavar="LIST",
        help="for --rules: multipliers of the limits, e.g. 0.5,1,1.5 "
        "(default 0.5,0.75,1,1.25,1.5,2)",
    )
    p.set_defaults(func=run)


def _table(summary: pd.DataFrame) -> str:
    t = summary.copy()
    for col in ("annual_return", "volatility", "max_drawdown", "turnover"):
        t[col] = [("–" if pd.isna(v) else f"{100 * v:.2f}%") for v in t[col]]
    t["sharpe"] = [("–" if pd.isna(v) else f"{v:.2f}") for v in t["sharpe"]]
    t["costs"] = [f"{v:,.2f}" for v in t["costs"]]
    t["final_value"] = [f"{v:,.2f}" for v in t["final_value"]]
    return t.to_string(index=False)


def run(args: argparse.Namespace) -> int:
    """Run ``fimonitor backtest``; return the exit code."""
    if args.rules:
        return _run_rules(args)
    from fimonitor.backtest.engine import normalise_targets, prepare_prices, run_backtest
    from fimonitor.backtest.plot import equity_figure
    from fimonitor.backtest.targets import benchmark_targets
    from fimonitor.data.loaders import load_book
    from fimonitor.policy.portfolio import load_portfolio

    start = _date(args.start, "--start")
    end = _date(args.end, "--end")
    if start is not None and end is not None and end <= start:
        raise InputError(f"--end {args.end} must be after --start {args.start}")
    if args.contribution and not args.frequency:
        raise InputError("--contribution needs --frequency weekly|monthly")
    book = load_book(args.data)
    if args.targets == "benchmark":
        targets, _, note = benchmark_targets(book, start, end)
        targets = normalise_targets(targets, file="benchmark_weights.csv")
    else:
        raw_targets, mapped = load_portfolio(args.targets).ticker_targets()
        targets = normalise_targets(pd.Series(raw_targets, dtype=float), file=args.targets)
        note = f"targets: {Path(args.targets).name}" + (
            f" ({'; '.join(mapped)}: a category's target goes to its first ticker)"
            if mapped
            else ""
        )
    prices, notes = prepare_prices(book.adj_close, list(targets.index), start, end)
    result = run_backtest(
        prices,
        targets,
        capital=args.capital,
        cost_bps=args.cost_bps,
        contribution=args.contribution,
        frequency=args.frequency,
        rf=args.rf,
        notes=notes,
    )
    equity = result.equity.reset_index()
    fig = equity_figure(result)
    out = Path(args.out)
    atomic_write_files(
        out,
        {
            "backtest_summary.csv": result.summary,
            "backtest_equity.csv": equity,
            "backtest_equity.png": fig,
        },
    )

    d0, d1 = result.equity.index[0], result.equity.index[-1]
    lines = [
        f"Backtest {d0:%Y-%m-%d} to {d1:%Y-%m-%d} ({len(result.equity) - 1} daily returns), "
        f"{len(targets)} tickers on adj_close; capital {args.capital:,.0f}; "
        f"costs {args.cost_bps:g} bp of traded notional",
        note,
    ]
    if len(result.contributions):
        lines.append(
            f"contributions: {args.contribution:,.2f} {args.frequency} on "
            f"{len(result.contributions)} dates (total {result.contributions.sum():,.2f}); "
            "annual_return, volatility, sharpe and max_drawdown are time-weighted "
            "(contributions removed)"
        )
    lines.extend(f"note: {n}" for n in result.notes)
    sys.stdout.write("\n".join(lines) + "\n\n" + _table(result.summary) + "\n\n")
    sys.stdout.write(
        f"wrote backtest_summary.csv, backtest_equity.csv, backtest_equity.png to {out}\n"
    )
    return 0


def _date(text: str | None, option: str) -> pd.Timestamp | None:
    return None if text is None else parse_date(text, option)


def _parse_widths(text: str | None) -> tuple[float, ...]:
    from fimonitor.backtest.rules_replay import DEFAULT_WIDTHS

    if not text:
        return DEFAULT_WIDTHS
    try:
        widths = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError as exc:
        raise InputError(f"--widths {text!r} must be numbers separated by commas") from exc
    if not widths or any(w <= 0 for w in widths):
        raise InputError(f"--widths {text!r} must be positive numbers")
    return widths


def _run_rules(args: argparse.Namespace) -> int:
    """``fimonitor backtest --rules``: print the replay and write ``rules_replay.csv``."""
    from fimonitor.analytics.exposures import compute_history
    from fimonitor.backtest.rules_replay import replay_rules
    from fimonitor.config import load_config
    from fimonitor.data.loaders import load_book

    book = load_book(args.data)
    config = load_config(args.config or Path(args.data) / "monitor.yaml")
    start = _date(args.start, "--start")
    end = _date(args.end, "--end")
    history = compute_history(book, start, end, max_stale_days=config.max_stale_days)
    table = replay_rules(history, config.rules, _parse_widths(getattr(args, "widths", None)))
    out = Path(args.out)
    atomic_write_files(out, {"rules_replay.csv": table})
    d0, d1 = history.dates[0], history.dates[-1]
    shown = table.copy()
    shown["rule"] = [
        r if not g else f"{r}:{g}" for r, g in zip(shown["rule"], shown["group"], strict=True)
    ]
    shown = shown.drop(columns=["group", "days"])
    for col in ("pct_days", "cure_turnover_mean", "cure_turnover_max"):
        shown[col] = [f"{100 * v:.1f}%" for v in shown[col]]
    for col in ("warn", "breach"):
        shown[col] = ["–" if v is None or pd.isna(v) else f"{v:.4g}" for v in shown[col]]
    sys.stdout.write(
        f"Rules replay {d0:%Y-%m-%d} to {d1:%Y-%m-%d} ({len(history.dates)} dates); width = "
        "multiplier on the warn and breach limits (1 = configured); cure turnover = weight "
        "that must move to bring alerting items inside warn (lower bound)\n\n"
    )
    sys.stdout.write(shown.to_string(index=False) + "\n\n")
    sys.stdout.write(f"wrote rules_replay.csv to {out}\n")
    return 0
