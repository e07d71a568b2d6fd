"""``fimonitor performance``: returns and attribution for any range of the book's history.

``fimonitor performance [--from DATE] [--to DATE] [--data DIR] [--config FILE] [--csv DIR]``

The range holds the daily returns of the NYSE sessions from ``--from`` to ``--to`` inclusive:
its base is the last close before ``--from`` (default: inception, the first close of the
book) and its end is ``--to`` (default: the last price date; a weekend or holiday moves to the
previous session, as the pack's as-of does). Prints the compounded portfolio, benchmark and
active returns, the Brinson–Fachler attribution by group (Carino-linked) and the Treasury
rate / residual split, in percent. ``--csv DIR`` also writes ``performance.csv``,
``attribution.csv``, ``rate_attribution.csv`` and ``daily.csv`` for the range into DIR
(full precision, fractions).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from fimonitor.analytics.attribution import attribution, daily_attribution
from fimonitor.analytics.exposures import compute_history
from fimonitor.analytics.performance import daily_table, range_returns
from fimonitor.analytics.rate_attribution import rate_attribution
from fimonitor.commands._common import add_data_arg, data_dir
from fimonitor.data.curves import YIELDS_FILE, read_treasury_curve
from fimonitor.errors import AsOfError
from fimonitor.fileio import atomic_write_csv
from fimonitor.pipeline import load_inputs, resolve_as_of


def _date(text: str, flag: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError) as exc:
        raise AsOfError(f"{flag} {text!r} is not a date (YYYY-MM-DD)") from exc
    if pd.isna(ts):
        raise AsOfError(f"{flag} {text!r} is not a date (YYYY-MM-DD)")
    return ts.tz_localize(None).normalize() if ts.tz is not None else ts.normalize()


def compute(
    data: str | Path,
    start: str | None = None,
    end: str | None = None,
    config: str | Path | None = None,
) -> dict[str, pd.DataFrame]:
    """Compute the range's tables: performance, attribution, rate_attribution, daily.

    Raises
    ------
    AsOfError
        A bad date, ``--to`` after the last price, ``--from`` before the first position or
        after ``--to``.
    """
    book, cfg = load_inputs(data, config)
    to = resolve_as_of(book, "latest" if end is None else str(_date(end, "--to").date())).date
    h = compute_history(book, end=to, max_stale_days=cfg.max_stale_days)
    d = daily_attribution(book, h)
    inception = h.dates[0]
    if start is None:
        base = inception
    else:
        first = _date(start, "--from")
        if first > to:
            raise AsOfError(f"--from {first.date()} is after --to {to.date()}")
        prior = book.dates[book.dates < first]
        if first <= inception or prior.empty or prior[-1] < inception:
            raise AsOfError(
                f"--from {first.date()} is not after the first position {inception.date()} "
                "(the range needs a close before it)",
                file="transactions.csv",
            )
        base = prior[-1]
    ranges = [("RANGE", base, to)]
    curve_path = Path(data) / YIELDS_FILE
    curve = read_treasury_curve(curve_path) if curve_path.is_file() else None
    perf = range_returns(d.portfolio_return, d.benchmark_return, base, to, inception=inception)
    daily = daily_table(d.portfolio_return, d.benchmark_return)
    in_range = (daily["date"] > base) & (daily["date"] <= to)
    return {
        "performance": perf,
        "attribution": attribution(d, ranges, inception=inception),
        "rate_attribution": rate_attribution(d, curve, ranges, inception=inception),
        "daily": daily_table(
            d.portfolio_return[in_range.to_numpy()], d.benchmark_return[in_range.to_numpy()]
        ),
    }


def _pct(x: float, digits: int = 2) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f}"


def render(tables: dict[str, pd.DataFrame]) -> str:
    """Format the tables as the printed report (percent, fixed width)."""
    p = tables["performance"].iloc[0]
    daily = tables["daily"]
    n = len(daily)
    first = daily["date"].iloc[0].date() if n else p["end"].date()
    lines = [
        f"Performance {first} -> {p['end'].date()} "
        f"(base close {p['start'].date()}, {n} daily returns; time-weighted, percent)",
        f"  portfolio {_pct(p['portfolio_return'], 3):>9}   benchmark "
        f"{_pct(p['benchmark_return'], 3):>9}   active {_pct(p['active_return'], 3):>9}"
        "  (portfolio - benchmark)",
        "",
        "Attribution by group (Brinson-Fachler, Carino-linked; percent)",
    ]
    head = ("group", "w_port", "w_bench", "r_port", "r_bench", "alloc", "select", "interact")
    lines.append(f"  {head[0]:<14}" + "".join(f"{h:>9}" for h in head[1:]) + f"{'total':>9}")
    att = tables["attribution"]
    for _, r in att.iterrows():
        vals = [
            _pct(r["portfolio_weight"]),
            _pct(r["benchmark_weight"]),
            _pct(r["portfolio_return"]),
            _pct(r["benchmark_return"]),
            _pct(r["allocation"], 3),
            _pct(r["selection"], 3),
            _pct(r["interaction"], 3),
            _pct(r["total"], 3),
        ]
        lines.append(f"  {r['group']:<14}" + "".join(f"{v:>9}" for v in vals))
    sums = [att[c].sum(min_count=1) for c in ("allocation", "selection", "interaction", "total")]
    lines.append(f"  {'TOTAL':<14}" + " " * 36 + "".join(f"{_pct(v, 3):>9}" for v in sums))
    rate = tables["rate_attribution"].iloc[0]
    lines += [
        "",
        "Duration and yield (approximation: -active duration x Treasury yield change, daily)",
        f"  active {_pct(rate['active_return'], 3)}  = rate {_pct(rate['rate'], 3)}"
        f"  + residual {_pct(rate['residual'], 3)}   (average active duration "
        f"{rate['avg_active_duration']:.2f} y)",
    ]
    return "\n".join(lines) + "\n"


def add_parser(subparsers) -> None:
    """Register ``fimonitor performance``."""
    p = subparsers.add_parser(
        "performance",
        help="returns and attribution against the benchmark for any date range",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--from", dest="start", metavar="DATE", help="first day of the range")
    p.add_argument("--to", dest="end", metavar="DATE", help="last day (default: latest)")
    add_data_arg(p)
    p.add_argument("--config", metavar="FILE", help="rules file (default DATA/monitor.yaml)")
    p.add_argument("--csv", type=Path, metavar="DIR", help="also write the tables as CSV here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the report (and write the CSVs); returns the exit code."""
    tables = compute(data_dir(args), args.start, args.end, args.config)
    sys.stdout.write(render(tables))
    if args.csv is not None:
        args.csv.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            atomic_write_csv(frame, args.csv / f"{name}.csv")
    return 0
