"""``fimonitor backtest``: rebalancing policies on the price history (CONTRACT §8).

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
import uuid
from pathlib import Path

import pandas as pd
import yaml

from fimonitor.errors import ConfigError, InputError

log = logging.getLogger(__name__)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "backtest",
        help="backtest rebalancing policies on the price history (CONTRACT §8)",
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
        type=float,
        default=100_000.0,
        metavar="X",
        help="initial investment, currency (default 100000)",
    )
    p.add_argument(
        "--cost-bps",
        type=float,
        default=0.0,
        metavar="N",
        help="rebalancing cost in bp of traded notional (default 0)",
    )
    p.add_argument(
        "--contribution",
        type=float,
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
        type=float,
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


# --------------------------------------------------------------------------- inputs
def _date(text: str | None, option: str) -> pd.Timestamp | None:
    if text is None:
        return None
    ts = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    if pd.isna(ts):
        raise InputError(f"{option} {text!r} is not a date (YYYY-MM-DD)")
    return pd.Timestamp(ts)


def read_targets_yaml(path: str | Path) -> tuple[pd.Series, list[str]]:
    """The ``targets:`` mapping of a portfolio YAML (CONTRACT §6): ticker -> number, as given.

    A category target (a key of ``categories:``) goes to the category's first ticker, the one
    that receives buys in §6. Returns the targets and notes about such mappings.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML ({exc.__class__.__name__})", file=path) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("targets"), dict) or not raw["targets"]:
        raise ConfigError("needs a 'targets:' mapping of ticker -> weight", file=path)
    categories = raw.get("categories") or {}
    if not isinstance(categories, dict):
        raise ConfigError("categories must be a mapping of name -> list of tickers", file=path)
    out: dict[str, float] = {}
    notes = []
    for key, value in raw["targets"].items():
        name = str(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"targets.{name} must be a number, got {value!r}", file=path)
        ticker = name.upper()
        if key in categories:
            members = categories[key]
            if not isinstance(members, list) or not members:
                raise ConfigError(
                    f"categories.{name} must be a non-empty list of tickers", file=path
                )
            ticker = str(members[0]).upper()
            notes.append(f"category {name} -> {ticker}")
        out[ticker] = out.get(ticker, 0.0) + float(value)
    return pd.Series(out, dtype=float), notes


def _benchmark_targets(
    book, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> tuple[pd.Series, pd.Timestamp | None, str]:
    """Benchmark weights in effect at the (resolved) start date, and a note saying which."""
    from fimonitor.backtest.engine import prepare_prices

    bench = book.benchmark
    if bench.empty:
        raise InputError("benchmark_weights.csv has no weights", file="benchmark_weights.csv")

    def weights_at(day: pd.Timestamp) -> tuple[pd.Series, pd.Timestamp]:
        eff = bench.index[bench.index <= day]
        eff_date = eff[-1] if len(eff) else bench.index[0]
        row = bench.loc[eff_date]
        return row[row > 0], eff_date

    day = start if start is not None else book.dates[0]
    w, eff_date = weights_at(day)
    for _ in range(5):  # the start depends on the tickers, the weights on the start
        px, _ = prepare_prices(book.adj_close, list(w.index), start, end)
        w2, eff2 = weights_at(px.index[0])
        if set(w2.index) == set(w.index) and eff2 == eff_date:
            w, eff_date = w2, eff2
            break
        w, eff_date = w2, eff2
    note = f"targets: benchmark weights effective {eff_date:%Y-%m-%d}"
    if eff_date > px.index[0]:
        note += " (the earliest; the backtest starts before them)"
    return w, px.index[0], note


# --------------------------------------------------------------------------- outputs
def _write_atomic(out: Path, files: dict[str, object]) -> None:
    """Write every file into a temp folder inside ``out``, then move each into place."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".backtest.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        for name, payload in files.items():
            target = tmp / name
            if isinstance(payload, pd.DataFrame):
                payload.to_csv(target, index=False, lineterminator="\n", date_format="%Y-%m-%d")
            else:  # a matplotlib Figure
                payload.savefig(target, dpi=120)
        for name in files:
            os.replace(tmp / name, out / name)
    finally:
        for leftover in tmp.glob("*"):
            leftover.unlink()
        tmp.rmdir()


def _table(summary: pd.DataFrame) -> str:
    t = summary.copy()
    for col in ("annual_return", "volatility", "max_drawdown", "turnover"):
        t[col] = [("–" if pd.isna(v) else f"{100 * v:.2f}%") for v in t[col]]
    t["sharpe"] = [("–" if pd.isna(v) else f"{v:.2f}") for v in t["sharpe"]]
    t["costs"] = [f"{v:,.2f}" for v in t["costs"]]
    t["final_value"] = [f"{v:,.2f}" for v in t["final_value"]]
    return t.to_string(index=False)


def run(args: argparse.Namespace) -> int:
    if args.rules:
        return _run_rules(args)
    from fimonitor.backtest.engine import normalise_targets, prepare_prices, run_backtest
    from fimonitor.backtest.plot import equity_figure
    from fimonitor.data.loaders import load_book

    start = _date(args.start, "--start")
    end = _date(args.end, "--end")
    if start is not None and end is not None and end <= start:
        raise InputError(f"--end {args.end} must be after --start {args.start}")
    if args.contribution and not args.frequency:
        raise InputError("--contribution needs --frequency weekly|monthly")
    book = load_book(args.data)
    if args.targets == "benchmark":
        targets, _, note = _benchmark_targets(book, start, end)
        targets = normalise_targets(targets, file="benchmark_weights.csv")
    else:
        raw_targets, mapped = read_targets_yaml(args.targets)
        targets = normalise_targets(raw_targets, file=args.targets)
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
    _write_atomic(
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


def _run_rules(args: argparse.Namespace) -> int:
    from fimonitor.backtest.rules_replay import run_command

    return run_command(args)
