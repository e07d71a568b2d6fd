"""``--executor serial|process[:N]|dask[:ADDRESS]`` -> a ``concurrent.futures.Executor``.

The batch talks to every executor through the standard ``Executor`` interface only
(``submit`` and futures); nothing else is scheduler-specific.

``serial``
    :class:`SerialExecutor`: runs each call at ``submit`` in this process.
``process[:N]``
    ``concurrent.futures.ProcessPoolExecutor(N)`` (default: the number of CPUs).
``dask[:ADDRESS]``
    ``distributed.Client(ADDRESS).get_executor()`` on an existing scheduler
    (``tcp://host:8786``), or, without an address, on a ``LocalCluster`` of 2 worker
    processes (1 thread each, no dashboard) that is shut down with the batch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from fimonitor.errors import InputError

__all__ = ["ExecutorSpec", "SerialExecutor", "open_executor", "parse_executor"]

KINDS = ("serial", "process", "dask")


class SerialExecutor(Executor):
    """An ``Executor`` that runs every call immediately, in the calling process."""

    def submit(self, fn: Callable, /, *args, **kwargs) -> Future:
        """Run ``fn(*args, **kwargs)`` now; return a finished future."""
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # the future carries it, as a pool's would
            fut.set_exception(exc)
        return fut


@dataclass(frozen=True)
class ExecutorSpec:
    """A parsed ``--executor`` value: ``kind`` and its argument (workers or address)."""

    kind: str
    workers: int | None = None
    address: str | None = None

    def __str__(self) -> str:
        """The flag's text form."""
        arg = self.address or (str(self.workers) if self.workers else "")
        return f"{self.kind}:{arg}" if arg else self.kind


def parse_executor(text: str) -> ExecutorSpec:
    """Parse ``serial``, ``process[:N]`` or ``dask[:ADDRESS]``.

    Parameters
    ----------
    text : str
        The ``--executor`` value.

    Returns
    -------
    ExecutorSpec

    Raises
    ------
    InputError
        An unknown kind or a bad worker count.
    """
    kind, _, arg = str(text).strip().partition(":")
    kind = kind.lower()
    if kind not in KINDS:
        raise InputError(f"--executor {text!r}: expected serial, process[:N] or dask[:ADDRESS]")
    if kind == "serial":
        if arg:
            raise InputError(f"--executor {text!r}: serial takes no argument")
        return ExecutorSpec("serial")
    if kind == "process":
        if not arg:
            return ExecutorSpec("process", workers=os.cpu_count() or 1)
        if not arg.isdigit() or int(arg) < 1:
            raise InputError(f"--executor {text!r}: the worker count must be a positive integer")
        return ExecutorSpec("process", workers=int(arg))
    return ExecutorSpec("dask", address=arg or None)


@contextmanager
def open_executor(spec: ExecutorSpec) -> Iterator[Executor]:
    """Yield the executor for ``spec`` and shut it (and any local cluster) down afterwards."""
    if spec.kind == "serial":
        yield SerialExecutor()
        return
    if spec.kind == "process":
        with ProcessPoolExecutor(max_workers=spec.workers) as pool:
            yield pool
        return
    from distributed import Client, LocalCluster

    if spec.address:
        with Client(spec.address) as client:
            yield client.get_executor()
        return
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client.get_executor()
