"""Many books, one command.

Plan, dispatch through any ``concurrent.futures.Executor``, publish packs under
``OUT/<book>/YYYYMMDD/`` and a firm view under ``OUT/firm/YYYYMMDD/``.

See ``docs/scaling.md`` and the README section "Many books".
"""

from __future__ import annotations

from fimonitor.batch.books import BookSpec, read_books
from fimonitor.batch.executors import ExecutorSpec, SerialExecutor, open_executor, parse_executor
from fimonitor.batch.run import BatchOptions, BatchResult, exit_code, log_line, run_batch

__all__ = [
    "BatchOptions",
    "BatchResult",
    "BookSpec",
    "ExecutorSpec",
    "SerialExecutor",
    "exit_code",
    "log_line",
    "open_executor",
    "parse_executor",
    "read_books",
    "run_batch",
]
