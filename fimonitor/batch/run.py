"""Run a batch: plan every book, dispatch one task per (book, date), publish, firm view.

Stages (each through the same ``concurrent.futures.Executor``):

1. plan: each book's as-of dates are resolved and each task's previous-pack date is fixed
   (:func:`fimonitor.batch.worker.plan_book`) before any pack is dispatched, so no output
   depends on which worker finishes first;
2. build: :func:`fimonitor.batch.worker.run_task` builds each pack and writes it atomically
   under ``OUT/<book>/YYYYMMDD/``;
3. record: each worker records its pack in the history database as the folder's commit step
   (the folder goes live only once its record is committed), SQLite included: SQLite
   writers take turns (``BEGIN IMMEDIATE`` with a 60 s busy timeout) and the file and its
   schema are created once, before dispatch. Only Dask workers behind a scheduler address
   with a SQLite database hand their packs back for this process to record (another
   machine may not see the file); then the firm view ``OUT/firm/YYYYMMDD/`` and the index.

A book's input error or crash is recorded and the others go on. Re-running replaces each
pack folder and each database day (idempotent).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from fimonitor.batch.books import BookSpec
from fimonitor.batch.dates import create_database
from fimonitor.batch.executors import ExecutorSpec, open_executor
from fimonitor.batch.firm import write_firm
from fimonitor.batch.worker import BookPlan, Task, TaskResult, plan_book, run_task
from fimonitor.pipeline import default_db_url, record
from fimonitor.report.batch_index import write_batch_index
from fimonitor.store.db import sqlite_file

__all__ = [
    "BatchOptions",
    "BatchResult",
    "exit_code",
    "plan_tasks",
    "run_batch",
    "worker_database",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchOptions:
    """What to build: dates, output root, database, rendering."""

    out: Path
    as_of: str = "latest"
    date_from: str | None = None
    date_to: str | None = None
    every: str = "week"
    db: str | None = None
    render: bool = True
    png: bool = True


@dataclass
class BatchResult:
    """Every task's result (task order), the books that failed to plan, the firm folders."""

    results: list[TaskResult] = field(default_factory=list)
    failed_plans: list[BookPlan] = field(default_factory=list)
    firm: list[Path] = field(default_factory=list)
    db: str = ""

    def failures(self) -> list[tuple[str, str, str]]:
        """(book, status, message) of every failed book, plans first, in book order."""
        out = [(p.book.name, p.status, p.message) for p in self.failed_plans]
        out += [(r.book, r.status, r.message) for r in self.results if r.status != "ok"]
        return out


def exit_code(result: BatchResult) -> int:
    """0 all ok; 2 some input errors and no crash; 1 any internal error."""
    statuses = {s for _, s, _ in result.failures()}
    if "internal_error" in statuses:
        return 1
    return 2 if statuses else 0


def is_server_db(url: str) -> bool:
    """True for a database that accepts concurrent writers (anything but SQLite)."""
    return not url.lower().startswith("sqlite")


def worker_database(db_url: str, executor: ExecutorSpec) -> str | None:
    """The URL the workers record to, or None when this process records their packs.

    A server database, and a SQLite file on this machine (serial, process pool, local Dask
    cluster: as an absolute path, whatever the workers' working folder); None for SQLite
    with Dask workers behind a scheduler address, which may run on other machines.
    """
    if is_server_db(db_url):
        return db_url
    if executor.kind == "dask" and executor.address:
        return None
    path = sqlite_file(db_url)
    if path is None or path.is_absolute():
        return db_url
    return f"sqlite:///{path.resolve().as_posix()}"


def plan_tasks(plans: list[BookPlan], opts: BatchOptions, worker_db: str | None) -> list[Task]:
    """One :class:`Task` per (book, date) of the successful plans, in book then date order.

    ``worker_db`` is the database the workers record to (:func:`worker_database`), or None.
    """
    return [
        Task(p.book, d, prev, Path(opts.out), opts.render, opts.png, worker_db)
        for p in plans
        if p.status == "ok"
        for d, prev in p.dates
    ]


def _gather(
    executor: Executor,
    fn: Callable,
    items: list,
    *,
    label: Callable[[object], str],
    progress: Callable[[object], None] | None,
) -> list:
    """Submit ``fn(item)`` for every item; results in item order; a lost worker is a crash."""
    futures = {executor.submit(fn, item): i for i, item in enumerate(items)}
    out: list = [None] * len(items)
    for fut in as_completed(futures):
        i = futures[fut]
        try:
            out[i] = fut.result()
        except Exception as exc:  # the worker died or could not run the call
            out[i] = exc
            log.error("%s: worker failed: %s", label(items[i]), exc)
        if progress is not None:
            progress(out[i])
    return out


def run_batch(
    books: list[BookSpec],
    opts: BatchOptions,
    executor: ExecutorSpec,
    *,
    progress: Callable[[TaskResult], None] | None = None,
    on_plan: Callable[[list[Task]], None] | None = None,
) -> BatchResult:
    """Build every book's packs with ``executor``, record them, write the firm view.

    Parameters
    ----------
    books : list of BookSpec
        From :func:`fimonitor.batch.books.read_books`.
    opts : BatchOptions
        Dates, output root, database URL (None: ``sqlite:///OUT/fimonitor.sqlite``), PNGs.
    executor : ExecutorSpec
        From :func:`fimonitor.batch.executors.parse_executor`.
    progress : callable or None
        Called in this process with each finished :class:`TaskResult` (progress bar, log).
    on_plan : callable or None
        Called with the task list once every previous-pack date is fixed, before dispatch.

    Returns
    -------
    BatchResult
    """
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    db_url = opts.db or default_db_url(out)
    with open_executor(executor) as pool:
        planned = _gather(
            pool,
            _plan,
            [(b, opts.as_of, opts.date_from, opts.date_to, opts.every) for b in books],
            label=lambda a: f"book {a[0].name}",
            progress=None,
        )
        plans = [
            p
            if isinstance(p, BookPlan)
            else BookPlan(b, status="internal_error", message=f"{type(p).__name__}: {p}")
            for b, p in zip(books, planned, strict=True)
        ]
        worker_db = worker_database(db_url, executor)
        tasks = plan_tasks(plans, opts, worker_db)
        # a SQLite file and its schema are made once, here, not by racing workers
        new_db = (
            create_database(worker_db)
            if tasks and worker_db is not None and not is_server_db(worker_db)
            else None
        )
        if on_plan is not None:
            on_plan(tasks)
        done = _gather(
            pool,
            run_task,
            tasks,
            label=lambda t: f"book {t.book.name}",
            progress=(lambda r: progress(r) if isinstance(r, TaskResult) else None)
            if progress
            else None,
        )
    results = [
        r
        if isinstance(r, TaskResult)
        else TaskResult(t.book.name, t.as_of, "internal_error", f"{type(r).__name__}: {r}")
        for t, r in zip(tasks, done, strict=True)
    ]
    results = [_publish(r, db_url) for r in results]
    if new_db is not None and not any(r.status == "ok" for r in results):
        new_db.remove_if_unused()  # every task failed: the run leaves no database behind
    batch = BatchResult(results, [p for p in plans if p.status != "ok"], db=db_url)
    batch.firm = write_firm(out, batch.results, batch.failed_plans, opts.render, opts.png)
    write_batch_index(out)
    return batch


def _plan(args: tuple) -> BookPlan:
    return plan_book(*args)


def _publish(result: TaskResult, db_url: str) -> TaskResult:
    """Record a worker's pack in the database (parent side); a failure is an internal error."""
    if result.status != "ok" or result.record is None:
        return result
    try:
        record(result.record, db_url)
    except Exception as exc:
        log.error("book %s: recording failed: %s", result.book, exc)
        return replace(
            result, status="internal_error", message=f"recording failed: {exc}", record=None
        )
    return replace(result, record=None)


def log_line(result: TaskResult) -> str:
    """One plain line per finished task (used when stderr is not a terminal)."""
    day = pd.Timestamp(result.as_of).date().isoformat()
    if result.status == "ok":
        s = result.summary
        return (
            f"book {result.book} {day}: ok, {s['n_breach']} BREACH, {s['n_warn']} WARN "
            f"-> {result.pack} ({result.seconds:.2f} s CPU)"
        )
    return f"book {result.book} {day}: {result.status}: {result.message}"
