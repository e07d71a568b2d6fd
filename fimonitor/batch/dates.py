"""One book, many dates: the packs of ``fimonitor pack --from/--to`` on an executor.

The dates are independent by design: every date's previous pack is fixed before any pack is
built (:func:`fimonitor.pipeline.batch_previous`), so a date's folder and database record do
not depend on which worker builds it or when. Each date runs
:func:`fimonitor.pipeline.run_pack` on a worker (:func:`build_date`), which writes the folder
and records the database in the folder's commit step, as a single pack does.

The book reaches the workers through a per-process cache (:func:`prime`): the parent puts
the loaded book and rules in it before the executor starts, so a forked process pool (the
default on Linux) inherits them; a spawned worker (Dask) loads them once, on its first date,
from the data folder and rules file the job names.

A failing date stops the run as it does one date after another: every earlier date is still
built and published, no later date is started, the later dates already running finish (each
is published whole, folder and record, or not at all), and the error of the earliest failing
date is raised. With the serial executor that is exactly the date-by-date loop.
"""

from __future__ import annotations

import logging
import pickle
import uuid
from collections.abc import Callable
from concurrent.futures import Future, as_completed
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fimonitor import pipeline
from fimonitor.batch.executors import ExecutorSpec, open_executor
from fimonitor.config import MonitorConfig
from fimonitor.data.book import Book
from fimonitor.report.index import write_index
from fimonitor.store.db import open_store, sqlite_file

__all__ = ["DateJob", "DateResult", "build_date", "prime", "run_dates"]

log = logging.getLogger(__name__)

_INPUTS: dict[str, tuple[Book, MonitorConfig]] = {}  # run token -> (book, rules); one entry


@dataclass(frozen=True)
class DateJob:
    """One date of the batch, with everything fixed before dispatch (picklable)."""

    token: str  # the run's key in the per-process input cache
    data_dir: Path
    config: Path | None  # the rules file (None: DATA/monitor.yaml)
    as_of: pd.Timestamp
    previous_as_of: pd.Timestamp | None
    out: Path
    db: str | None


@dataclass(frozen=True)
class DateResult:
    """A date's published folder, or the exception that stopped it."""

    as_of: pd.Timestamp
    folder: Path | None = None
    error: BaseException | None = None


def prime(book: Book, config: MonitorConfig) -> str:
    """Cache the loaded inputs in this process for the workers of one run; return its token.

    Parameters
    ----------
    book : Book
        From :func:`fimonitor.pipeline.load_inputs`.
    config : MonitorConfig
        The rules loaded with it.

    Returns
    -------
    str
        The token a :class:`DateJob` carries. Only the latest run's inputs are kept.
    """
    token = uuid.uuid4().hex
    _INPUTS.clear()
    _INPUTS[token] = (book, config)
    return token


def _inputs(job: DateJob) -> tuple[Book, MonitorConfig]:
    got = _INPUTS.get(job.token)
    if got is None:  # a spawned worker: load once per process and run
        got = pipeline.load_inputs(job.data_dir, job.config)
        _INPUTS.clear()
        _INPUTS[job.token] = got
    return got


def _portable(exc: BaseException) -> BaseException:
    """``exc`` when it survives pickling (a process pool sends it back), else a RuntimeError."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def build_date(job: DateJob) -> DateResult:
    """Build, write and record one date's pack (:func:`fimonitor.pipeline.run_pack`).

    Parameters
    ----------
    job : DateJob
        The date, its previous-pack date, the output root and the database URL.

    Returns
    -------
    DateResult
        The ``OUT/YYYYMMDD`` folder, or the exception (never raised here, so that a process
        pool returns it like any result).
    """
    try:
        book, config = _inputs(job)
        folder = pipeline.run_pack(
            as_of=job.as_of,
            output_dir=job.out,
            db=job.db,
            book=book,
            monitor_config=config,
            previous_as_of=job.previous_as_of,
            index=False,  # run_dates writes OUT/index.html once, at the end
        )
        return DateResult(job.as_of, folder=Path(folder))
    except Exception as exc:  # re-raised by the parent, in date order
        return DateResult(job.as_of, error=_portable(exc))


@dataclass
class _NewDatabase:
    """A SQLite file this run created before its workers started (removed if left unused)."""

    path: Path
    made: list[Path]  # folders created for it, innermost first
    stat: tuple[int, int]  # (size, mtime_ns) right after the schema was created

    def remove_if_unused(self) -> None:
        st = self.path.stat()
        if (st.st_size, st.st_mtime_ns) != self.stat:
            return  # written since: keep it
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        for folder in self.made:
            try:
                folder.rmdir()
            except OSError:  # not empty
                break


def create_database(url: str) -> _NewDatabase | None:
    """Create the database and its schema once, before the workers start.

    Returns the SQLite file when this call created it (None for an existing file or a
    server database, whose schema is brought up to date).
    """
    path = sqlite_file(url)
    new = path is not None and not path.exists()
    made = []
    if new:
        folder = path.resolve().parent
        while not folder.exists():
            made.append(folder)
            folder = folder.parent
    open_store(url, create=True).close()
    if not new:
        return None
    st = path.stat()
    return _NewDatabase(path, made, (st.st_size, st.st_mtime_ns))


def _failed(fut: Future) -> bool:
    return fut.done() and not fut.cancelled() and fut.result().error is not None


def run_dates(
    jobs: list[DateJob],
    spec: ExecutorSpec,
    *,
    on_folder: Callable[[Path], None] | None = None,
    on_done: Callable[[DateResult], None] | None = None,
) -> list[Path]:
    """Build every date's pack with the executor ``spec``; return the folders in date order.

    Parameters
    ----------
    jobs : list of DateJob
        In date order, one output root and database; the token from :func:`prime`.
    spec : ExecutorSpec
        From :func:`fimonitor.batch.executors.parse_executor`.
    on_folder : callable or None
        Called with each published folder, in date order, as soon as every earlier date is
        done (the command prints them).
    on_done : callable or None
        Called with each date's result as it finishes (the progress bar).

    Returns
    -------
    list of Path
        The ``OUT/YYYYMMDD`` folders. ``OUT/index.html`` is written once at the end.

    Raises
    ------
    Exception
        The error of the earliest failing date, once the dates already running have
        finished; the other dates' folders stay published and are passed to ``on_folder``.

    Notes
    -----
    With a process pool or Dask the history database (and its schema) is created here,
    once, before the workers start; when every date fails, a SQLite file created this way
    is removed again (a failed run leaves nothing behind). The serial executor creates it
    on the first record, as one pack does.
    """
    if not jobs:
        return []
    url = jobs[0].db or pipeline.default_db_url(jobs[0].out)
    new_db = create_database(url) if spec.kind != "serial" else None
    results: list[DateResult | None] = [None] * len(jobs)
    shown = 0

    def show() -> None:  # publish the finished prefix, in date order
        nonlocal shown
        while shown < len(jobs) and results[shown] is not None:
            r = results[shown]
            if r.error is not None:
                return
            if on_folder is not None:
                on_folder(r.folder)
            shown += 1

    with open_executor(spec) as pool:
        futures: dict[Future, int] = {}
        for i, job in enumerate(jobs):
            if any(_failed(f) for f in futures):  # the serial executor stops here
                break
            futures[pool.submit(build_date, job)] = i
        for fut in as_completed(futures):
            i = futures[fut]
            if fut.cancelled():
                continue
            try:
                results[i] = fut.result()
            except Exception as exc:  # the worker process died
                results[i] = DateResult(jobs[i].as_of, error=exc)
            if results[i].error is not None:
                for other, j in futures.items():  # start no later date; earlier ones all run
                    if j > i:
                        other.cancel()
            if on_done is not None:
                on_done(results[i])
            show()
    folders = [r.folder for r in results if r is not None and r.error is None]
    errors = [r.error for r in results if r is not None and r.error is not None]
    if errors and on_folder is not None:  # the dates after the failure that were published
        for r in results[shown:]:
            if r is not None and r.error is None:
                on_folder(r.folder)
    if folders:
        write_index(Path(jobs[0].out))  # once, over every folder the run published
    elif new_db is not None:
        new_db.remove_if_unused()
    if errors:
        for r in [r for r in results if r is not None and r.error is not None][1:]:
            log.error("%s: %s", r.as_of.date(), r.error)  # only the first one is raised
        raise errors[0]
    return folders
