"""``fimonitor validate [--data DIR] [--config FILE] [--as-of DATE]``: check inputs only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fimonitor.commands._common import add_data_arg, data_dir


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``validate`` sub-command on ``subparsers``."""
    p = sub.add_parser("validate", help="check the input folder and rules file, write nothing")
    add_data_arg(p)
    p.add_argument(
        "--config", type=Path, default=None, help="rules file (default DATA/monitor.yaml)"
    )
    p.add_argument("--as-of", default="latest", help="also check the inputs needed on this date")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``fimonitor validate``; return the exit code."""
    from fimonitor.analytics.exposures import compute_history
    from fimonitor.pipeline import check_as_of, load_inputs, resolve_as_of

    folder = data_dir(args)
    book, config = load_inputs(folder, args.config)
    as_of = resolve_as_of(book, args.as_of)
    h = compute_history(book, end=as_of.date, max_stale_days=config.max_stale_days)
    notes = list(book.notes) + check_as_of(book, h, as_of.date, config.max_stale_days)
    if as_of.note:
        notes.append(("WARN", "as-of moved", as_of.note))
    n_tx = len(book.transactions)
    print(
        f"{folder}: OK — {len(book.securities) - 1} securities, {len(book.dates)} price dates "
        f"({book.dates[0].date()}..{book.dates[-1].date()}), {n_tx} transactions; "
        f"as-of {as_of.date.date()}"
    )
    for sev, item, detail in notes:
        sys.stderr.write(f"{sev}: {item}: {detail}\n")
    return 0
