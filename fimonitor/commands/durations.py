"""``fimonitor durations estimate``: monthly empirical durations from prices and Treasury yields.

    fimonitor durations estimate [--data DIR] [--out FILE] [--window N]

Reads ``prices.csv`` (``adj_close``), ``treasury_yields.csv`` (FRED ``DGS*``, percent), the
optional ``fred_rates_extra.csv`` (TIPS real yields ``DFII*``) and the optional
``security_master.csv`` (to pick the fixed-income funds and their groups), and writes
``month,ticker,duration,method`` (default ``DIR/duration_monthly.csv``), atomically.
The method is described in :mod:`fimonitor.analytics.empirical_duration`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fimonitor.analytics.empirical_duration import DEFAULT_WINDOW, estimate_from_folder
from fimonitor.commands.durations_model import run_model
from fimonitor.errors import InputError
from fimonitor.fileio import atomic_write_csv


def run(args: argparse.Namespace) -> int:
    """Run ``fimonitor durations``; return the exit code."""
    if getattr(args, "action", None) == "model":
        return run_model(args)
    if getattr(args, "action", None) != "estimate":
        raise InputError(
            "usage: fimonitor durations {estimate,model} [--data DIR] [--out FILE|DIR]"
        )
    data_dir = Path(args.data)
    out = Path(args.out) if args.out else data_dir / "duration_monthly.csv"
    frame = estimate_from_folder(data_dir, window=args.window)
    atomic_write_csv(frame, out)
    months = frame["month"]
    print(
        f"wrote {out}: {len(frame)} rows, {frame['ticker'].nunique()} funds, "
        f"{months.min()}..{months.max()} (method: empirical_estimate)"
    )
    return 0


def add_parser(subparsers) -> None:
    """Register the ``durations`` sub-command on ``subparsers``."""
    p = subparsers.add_parser(
        "durations", help="fund durations: analytic model or empirical estimate"
    )
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    e = sub.add_parser("estimate", help="rolling regression of fund returns on Treasury yields")
    e.add_argument("--data", default="data", help="input folder (default: data)")
    e.add_argument("--out", default=None, help="output CSV (default: DIR/duration_monthly.csv)")
    e.add_argument(
        "--window",
        type=int,
        default=DEFAULT_WINDOW,
        help=f"trading days per regression (default {DEFAULT_WINDOW})",
    )
    e.set_defaults(func=run)
    m = sub.add_parser("model", help="analytic durations and key-rate durations from index rules")
    m.add_argument("--data", default="data", help="input folder (default: data)")
    m.add_argument("--out", default=None, help="output folder (default: the data folder)")
    m.set_defaults(func=run)
    p.set_defaults(func=run)
