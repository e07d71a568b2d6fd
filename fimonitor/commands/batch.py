"""``fimonitor batch``: many books, one command (see ``docs/scaling.md``).

Exit codes: 0 every book built; 2 some books had input errors and none crashed; 1 a book
crashed (internal error) or the batch itself failed. One stderr line per failed book.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from fimonitor.commands import notify_options
from fimonitor.commands._common import add_executor_arg

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``batch`` sub-command."""
    p = sub.add_parser("batch", help="build the packs of many books and a firm summary")
    p.add_argument(
        "--books",
        type=Path,
        required=True,
        metavar="FILE|DIR",
        help="books.yaml (a list of {name, data, config, tags}) or a folder of book folders",
    )
    p.add_argument("--as-of", default="latest", metavar="DATE|latest", help="default: latest")
    p.add_argument("--from", dest="date_from", default=None, metavar="DATE", help="first as-of")
    p.add_argument("--to", dest="date_to", default=None, metavar="DATE", help="last as-of")
    p.add_argument("--every", choices=["week", "day"], default="week", help="range frequency")
    p.add_argument(
        "--out", type=Path, default=Path("outputs"), metavar="DIR", help="default: outputs"
    )
    p.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="history database (default sqlite:///OUT/fimonitor.sqlite); each worker records "
        "its packs before they go live (PostgreSQL: in parallel)",
    )
    add_executor_arg(p, default="serial")
    p.add_argument("--no-png", action="store_true", help="skip the PNG pages (PDF and CSVs only)")
    notify_options.add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``fimonitor batch``; return the exit code."""
    from tqdm import tqdm

    from fimonitor.batch import BatchOptions, exit_code, log_line, parse_executor, read_books
    from fimonitor.batch.notify import batch_message, has_breach, has_changes
    from fimonitor.errors import InputError
    from fimonitor.notify import send, should_send

    if args.date_from is None and args.date_to is not None:
        raise InputError("--to needs --from")
    if args.date_from is not None and str(args.as_of).lower() != "latest":
        raise InputError("give either --as-of or --from/--to, not both")
    settings = notify_options.settings_from(args)
    executor = parse_executor(args.executor)
    books = read_books(args.books)
    opts = BatchOptions(
        out=args.out,
        as_of=args.as_of,
        date_from=args.date_from,
        date_to=args.date_to,
        every=args.every,
        db=args.db,
        png=not args.no_png,
    )
    tty = sys.stderr.isatty()
    bar = None
    counts = {"ok": 0, "failed": 0}

    def on_plan(tasks: list) -> None:
        nonlocal bar
        if tty:
            bar = tqdm(total=len(tasks), desc="books", unit="pack", file=sys.stderr)

    def progress(result) -> None:
        counts["ok" if result.status == "ok" else "failed"] += 1
        if bar is not None:
            bar.set_postfix(done=counts["ok"], failed=counts["failed"], refresh=False)
            bar.update(1)
        else:
            sys.stderr.write(log_line(result) + "\n")

    from fimonitor.batch import run_batch

    try:
        result = run_batch(books, opts, executor, progress=progress, on_plan=on_plan)
    finally:
        if bar is not None:
            bar.close()
    for book, status, message in result.failures():
        sys.stderr.write(f"fimonitor: book {book}: {status.replace('_', ' ')}: {message}\n")
    for folder in result.firm:
        print(folder)
    print(Path(args.out) / "index.html")
    if settings.urls and should_send(
        settings.on, "batch", has_changes(result), has_breach(result), False
    ):
        send(settings.urls, batch_message(result, Path(args.out)), strict=settings.strict)
    return exit_code(result)
