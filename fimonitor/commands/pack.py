"""``fimonitor pack``: build the monitoring pack (CONTRACT §4), one date or a batch."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fimonitor.commands._common import REPO_ROOT, add_data_arg, data_dir
from fimonitor.errors import InputError
from fimonitor.fileio import atomic_write_bytes, atomic_write_text
from fimonitor.report.write import stamp as date_stamp

NOTEBOOK = REPO_ROOT / "notebooks" / "monitoring_pack.ipynb"


def add_parser(sub: argparse._SubParsersAction) -> None:
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
        choices=["direct", "notebook"],
        default="direct",
        help="direct (default) or run notebooks/monitoring_pack.ipynb with papermill",
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fimonitor import pipeline

    folder = data_dir(args)
    if args.date_from is not None:
        if args.engine != "direct":
            raise InputError("--from/--to batches use the direct engine only")
        return _batch(args, folder)
    if args.engine == "notebook":
        out = _run_notebook(args, folder)
    else:
        out = pipeline.run_pack(
            as_of=args.as_of, data_dir=folder, config=args.config, output_dir=args.out, db=args.db
        )
    print(out)
    return 0


def batch_dates(dates, start, end, every: str):
    import pandas as pd

    sel = dates[(dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))]
    if every == "day" or len(sel) == 0:
        return list(sel)
    s = pd.Series(sel, index=sel)
    return list(s.groupby(sel.to_period("W-FRI")).max())


def _batch(args: argparse.Namespace, folder: Path) -> int:
    import pandas as pd
    from tqdm import tqdm

    from fimonitor import pipeline

    book, config = pipeline.load_inputs(folder, args.config)
    start = pipeline.resolve_as_of(book, args.date_from).date
    end = pipeline.resolve_as_of(book, args.date_to or "latest").date
    first = book.first_transaction_date
    if first is not None:
        start = max(start, pd.Timestamp(first))
    dates = batch_dates(book.dates, start, end, args.every)
    if not dates:
        raise InputError(f"no trading dates between {args.date_from} and {args.date_to}")
    for d in tqdm(
        dates, desc="packs", unit="pack", file=sys.stderr, disable=not sys.stderr.isatty()
    ):
        out = pipeline.run_pack(
            as_of=d, output_dir=args.out, db=args.db, book=book, monitor_config=config
        )
        print(out)
    print(Path(args.out) / "index.html")
    return 0


def _run_notebook(args: argparse.Namespace, folder: Path) -> Path:
    """Execute the notebook with papermill, keep the executed notebook and its HTML."""
    import hashlib
    import json
    import tempfile

    import papermill as pm
    from nbconvert import HTMLExporter

    from fimonitor import pipeline

    book, _ = pipeline.load_inputs(folder, args.config)
    as_of = pipeline.resolve_as_of(book, args.as_of).date
    out = Path(args.out).resolve()
    params = {
        "as_of": as_of.date().isoformat(),
        "data_dir": str(Path(folder).resolve()),
        "config": str(Path(args.config).resolve()) if args.config else None,
        "output_dir": str(out),
        "db": args.db,
    }
    with tempfile.TemporaryDirectory() as tmp:
        executed = Path(tmp) / "monitoring_pack.ipynb"
        try:
            pm.execute_notebook(
                str(NOTEBOOK),
                str(executed),
                parameters=params,
                cwd=str(NOTEBOOK.parent),
                progress_bar=False,
                kernel_name="python3",
                log_output=False,
            )
        except pm.PapermillExecutionError as exc:
            raise InputError(f"notebook failed: {exc.ename}: {exc.evalue}", file=NOTEBOOK) from exc
        html, _ = HTMLExporter().from_filename(str(executed))
        stamp = date_stamp(as_of)
        pack_dir = out / stamp
        manifest = json.loads((pack_dir / "manifest.json").read_text())
        for name, data in (
            (f"{stamp}_monitoring_pack.ipynb", executed.read_bytes()),
            (f"{stamp}_monitoring_pack.html", html.encode("utf-8")),
        ):
            atomic_write_bytes(pack_dir / name, data)
            manifest["outputs"][name] = hashlib.sha256(data).hexdigest()
        manifest["engine"] = "notebook"
        atomic_write_text(pack_dir / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return pack_dir
