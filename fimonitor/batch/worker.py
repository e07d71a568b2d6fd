"""What runs on a worker: plan one book's dates, build and publish one (book, date) pack.

Both functions are module-level (importable by spawned Dask and process-pool workers), take
and return only plain picklable data, and never raise for a book's own problem: an input
error becomes ``status="input_error"`` and anything else ``status="internal_error"``, with a
one-line message, so that one book never stops the batch.

Shared read-only data: books that point at the same ``prices.csv`` (same resolved file and
version) read it once per worker process (:func:`shared_prices`).

Fault injection for tests: when the environment variable ``FIMONITOR_BATCH_CRASH`` names a
book, building that book raises ``RuntimeError`` (an internal error), in whichever process
runs it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from fimonitor.batch.books import BookSpec
from fimonitor.config import load_config
from fimonitor.data.book import CASH
from fimonitor.data.loaders import FILES, load_book, read_prices
from fimonitor.errors import InputError
from fimonitor.fileio import FileCache
from fimonitor.pipeline import batch_dates, batch_previous, build_pack, record, resolve_as_of
from fimonitor.report.write import write_pack
from fimonitor.results import ALERT_COLUMNS

__all__ = [
    "CRASH_ENV",
    "BookPlan",
    "Task",
    "TaskResult",
    "plan_book",
    "previous_pack_date",
    "run_task",
    "shared_prices",
]

log = logging.getLogger(__name__)

CRASH_ENV = "FIMONITOR_BATCH_CRASH"
PREVIOUS_GAP = pd.Timedelta(days=7)  # the previous pack is the last date at least a week earlier
_PRICES = FileCache(read_prices)  # every prices file this worker has read, by version


def shared_prices(path: Path) -> pd.DataFrame:
    """``read_prices(path)``, kept in this process per file version (:class:`FileCache`).

    Parameters
    ----------
    path : Path
        A book's ``prices.csv`` (a symlink to a shared file resolves to that file).

    Returns
    -------
    DataFrame
        The parsed prices; callers only read it.
    """
    return _PRICES(Path(path).resolve())


def _load(spec: BookSpec):
    prices_file = Path(spec.data) / FILES["prices"]
    prices = shared_prices(prices_file) if prices_file.is_file() else None
    return load_book(spec.data, prices=prices), load_config(spec.config)


def previous_pack_date(
    dates: pd.DatetimeIndex, as_of: pd.Timestamp, first: pd.Timestamp | None
) -> pd.Timestamp | None:
    """The date a pack compares with: the last price date at least 7 days before ``as_of``.

    Parameters
    ----------
    dates : DatetimeIndex
        The book's price dates.
    as_of : Timestamp
        The pack's as-of date.
    first : Timestamp or None
        The book's first transaction date; earlier dates have no position.

    Returns
    -------
    Timestamp or None
        None when no such date exists (the pack then has no "since the previous pack" view).
    """
    sel = dates[dates <= as_of - PREVIOUS_GAP]
    if first is not None:
        sel = sel[sel >= first]
    return pd.Timestamp(sel[-1]) if len(sel) else None


@dataclass(frozen=True)
class BookPlan:
    """The dates of one book: ``[(as_of, previous_as_of), ...]`` or why there are none."""

    book: BookSpec
    dates: tuple[tuple[pd.Timestamp, pd.Timestamp | None], ...] = ()
    status: str = "ok"
    message: str = ""
    note: str | None = None


def plan_book(
    spec: BookSpec,
    as_of: str = "latest",
    date_from: str | None = None,
    date_to: str | None = None,
    every: str = "week",
) -> BookPlan:
    """Resolve one book's as-of dates and fix each one's previous-pack date.

    Parameters
    ----------
    spec : BookSpec
        The book.
    as_of : str
        ``YYYY-MM-DD`` or ``latest`` (ignored when ``date_from`` is given).
    date_from, date_to, every : str or None
        A range of dates as in :func:`fimonitor.pipeline.batch_dates`.

    Returns
    -------
    BookPlan
        ``status`` ok, input_error or internal_error; never raises for a book's problem.
    """
    try:
        book, _ = _load(spec)
        note = None
        if date_from is not None:
            days = batch_dates(book, date_from, date_to, every)
        else:
            resolved = resolve_as_of(book, as_of)
            days, note = [resolved.date], resolved.note
        first = book.first_transaction_date
        days = [pd.Timestamp(d) for d in days]
        in_batch = batch_previous(days, [])  # the previous date of the batch, when there is one
        week = {d: previous_pack_date(book.dates, d, first) for d in days}  # the fallback
        plan = tuple((d, week[d] if in_batch[d] is None else in_batch[d]) for d in days)
        return BookPlan(spec, plan, note=note)
    except InputError as exc:
        return BookPlan(spec, status="input_error", message=str(exc))
    except Exception as exc:  # a crash of one book is recorded, the batch goes on
        log.exception("book %s: planning crashed", spec.name)
        return BookPlan(spec, status="internal_error", message=f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class Task:
    """One (book, date) pack to build, with everything fixed before dispatch."""

    book: BookSpec
    as_of: pd.Timestamp
    previous_as_of: pd.Timestamp | None
    out: Path
    render: bool = True
    png: bool = True
    db: str | None = None  # set only when workers write the database themselves


@dataclass
class TaskResult:
    """What a worker sends back: small tables for the firm view and the database record."""

    book: str
    as_of: pd.Timestamp
    status: str
    message: str = ""
    pack: str = ""  # folder relative to OUT
    summary: dict = field(default_factory=dict)
    alerts: pd.DataFrame | None = None
    previous_alerts: pd.DataFrame | None = None
    dv01_by_group: pd.Series | None = None
    record: object | None = None  # the Pack to record by the parent (None: already recorded)
    seconds: float = 0.0  # CPU seconds of this task in the worker
    pid: int = 0  # the worker process
    max_rss_mb: float = 0.0  # the worker's peak resident memory so far, MiB


def _peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (``resource``; 0 where unavailable)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _summary_values(pack) -> dict:
    s = dict(zip(pack.summary["metric"], pack.summary["value"], strict=True))
    return {k: s.get(k) for k in ("market_value", "duration_gap", "portfolio_dv01")} | {
        "n_breach": int(s.get("n_breach", 0)),
        "n_warn": int(s.get("n_warn", 0)),
    }


def _slim(pack):
    """The pack with only what :func:`fimonitor.pipeline.record` reads (smaller to send)."""
    return replace(
        pack,
        alerts_history=pack.alerts_history.iloc[0:0],
        duration_history=pack.duration_history.iloc[0:0],
        rolling_risk=pack.rolling_risk.iloc[0:0],
        weekly=pack.weekly.iloc[0:0],
    )


def run_task(task: Task) -> TaskResult:
    """Build one book's pack for one date and write it under ``OUT/<book>/YYYYMMDD/``.

    The folder is written atomically by :func:`fimonitor.report.write.write_pack`. With
    ``task.db`` set (a server database, or a SQLite file this machine's workers reach:
    :func:`fimonitor.batch.run.worker_database`) the worker records the pack itself, in the
    folder's commit step (recorded before the folder replaces ``OUT/<book>/YYYYMMDD``; a
    failed record publishes nothing); otherwise (SQLite behind a remote Dask scheduler) the
    result carries the pack for the parent to record, after the folder is in place.

    Parameters
    ----------
    task : Task
        The book, its as-of and previous-pack dates, the output root and options.

    Returns
    -------
    TaskResult
        Never raises for the book's own problem (see the module docstring).
    """
    import time

    t0 = time.process_time()
    name = task.book.name
    try:
        if os.environ.get(CRASH_ENV) == name:
            raise RuntimeError(f"injected crash ({CRASH_ENV}={name})")
        book, config = _load(task.book)
        pack = build_pack(book, config, task.as_of, previous_as_of=task.previous_as_of)
        if pack.as_of != task.as_of:
            raise InputError(f"as-of {task.as_of.date()} resolved to {pack.as_of.date()}")
        recorded = replace(pack, portfolio_name=name)
        # when the worker records, the record is the folder's commit step: the complete folder
        # waits in its temporary place, the database records it, then the folder goes live
        # (a failed record publishes nothing and keeps an earlier pack of that date)
        folder = write_pack(
            pack,
            Path(task.out) / name,
            render=task.render,
            png=task.png,
            commit=(lambda _tmp: record(recorded, task.db)) if task.db else None,
        )
        pos = pack.positions[pack.positions["ticker"] != CASH]
        hist = pack.alerts_history
        prev = (
            hist.loc[hist["date"] == task.previous_as_of, ALERT_COLUMNS].reset_index(drop=True)
            if task.previous_as_of is not None
            else None
        )
        return TaskResult(
            book=name,
            as_of=task.as_of,
            status="ok",
            pack=folder.relative_to(task.out).as_posix(),
            summary=_summary_values(pack),
            alerts=pack.alerts[ALERT_COLUMNS].reset_index(drop=True),
            previous_alerts=prev,
            dv01_by_group=pos.groupby("group")["dv01"].sum(),
            record=None if task.db else _slim(recorded),
            seconds=time.process_time() - t0,
            pid=os.getpid(),
            max_rss_mb=_peak_rss_mb(),
        )
    except InputError as exc:
        return TaskResult(name, task.as_of, "input_error", str(exc))
    except Exception as exc:
        log.exception("book %s: crashed", name)
        return TaskResult(name, task.as_of, "internal_error", f"{type(exc).__name__}: {exc}")
