"""``fimonitor pack``: build the monitoring pack, one date or a batch (``docs/interface.md``)."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from fimonitor.commands import notify_options
from fimonitor.commands._common import add_data_arg, add_executor_arg, data_dir
from fimonitor.errors import InputError

ENGINE_CHOICES = ("direct", "notebook")  # fimonitor.engines.engine_names(), without importing it


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``pack`` sub-command on ``subparsers``."""
    p = sub.add_parser("pack", help="build the 3-page PDF monitoring pack and its CSV/PNG files")
    p.add_argument(
        "--as-of",
        default="latest",
        metavar="DATE|latest",
        help="as-of date (default: latest = the last price date)",
    )
    add_data_arg(p)
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="rules file (default: DATA/monitor.yaml)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("outputs"),
        metavar="DIR",
        help="output root; the pack goes to OUT/YYYYMMDD (default: outputs)",
    )
    p.add_argument(
        "--engine",
        choices=ENGINE_CHOICES,
        default="direct",
        help="direct (default) or also run the bundled notebook with papermill and add it "
        "(executed) and its HTML to the pack",
    )
    p.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="history database (SQLAlchemy URL; default sqlite:///OUT/fimonitor.sqlite)",
    )
    p.add_argument(
        "--from", dest="date_from", default=None, metavar="DATE", help="batch: first as-of date"
    )
    p.add_argument(
        "--to",
        dest="date_to",
        default=None,
        metavar="DATE",
        help="batch: last as-of date (default: latest)",
    )
    p.add_argument(
        "--every",
        choices=["week", "day"],
        default="week",
        help="batch frequency: the last trading day of each week (default) or every day",
    )
    add_executor_arg(p, default=None, prefix="batch: where the dates run: ")
    notify_options.add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``fimonitor pack``; return the exit code."""
    from fimonitor.engines import PackRequest, run_engine

    if args.executor is not None and args.date_from is None:
        raise InputError("--executor needs --from (it runs the dates of a batch)")
    folder = data_dir(args)
    settings = _notify_settings(args, folder)  # bad URLs stop the run before any work
    if args.date_from is not None:
        if args.engine != "direct":
            raise InputError("--from/--to batches use the direct engine only")
        return _batch(args, folder)
    request = PackRequest(
        as_of=args.as_of, data_dir=folder, config=args.config, output_dir=args.out, db=args.db
    )
    done = run_engine(args.engine, request)
    if done.note and str(args.as_of).lower() != "latest":
        sys.stderr.write(f"fimonitor: note: {done.note}\n")
    print(done.folder)
    _notify(settings, done.folder)  # only after the pack is published
    return 0


def _notify_settings(args: argparse.Namespace, folder: Path):
    from fimonitor.config import load_config
    from fimonitor.notify import parse_notify

    path = args.config if args.config is not None else Path(folder) / "monitor.yaml"
    raw = load_config(path).notify if Path(path).is_file() else None
    return notify_options.settings_from(args, parse_notify(raw, source=Path(path).name))


def _notify(settings, folder: Path) -> None:
    from fimonitor.notify import send, should_send
    from fimonitor.notify.pack_files import pack_notice

    if not settings.enabled:
        return
    n = pack_notice(folder)
    if should_send(settings.on, "pack", n.has_changes, n.has_breach, n.has_orders):
        send(settings.urls, n.message, strict=settings.strict)


def _batch(args: argparse.Namespace, folder: Path) -> int:
    from tqdm import tqdm

    from fimonitor import pipeline
    from fimonitor.batch.dates import DateJob, prime, run_dates
    from fimonitor.batch.executors import parse_executor

    spec = parse_executor(args.executor or "serial")
    book, config = pipeline.load_inputs(folder, args.config)
    dates = pipeline.batch_dates(book, args.date_from, args.date_to, args.every)
    previous = pipeline.batch_previous(
        dates, pipeline.existing_packs(args.out, args.db, config.portfolio_name)
    )  # fixed before any pack is built: results do not depend on the order of work
    token = prime(book, config)  # forked workers inherit the loaded book
    gc.freeze()  # imports and the book live to the end: full collections skip them from here
    jobs = [
        DateJob(token, Path(folder), args.config, d, previous[d], Path(args.out), args.db)
        for d in dates
    ]
    with tqdm(
        total=len(jobs), desc="packs", unit="pack", file=sys.stderr, disable=not sys.stderr.isatty()
    ) as bar:
        run_dates(jobs, spec, on_folder=print, on_done=lambda _r: bar.update(1))
    print(Path(args.out) / "index.html")
    return 0
