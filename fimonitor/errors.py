"""Every exception fimonitor raises on purpose.

Hierarchy::

    FimonitorError                      root; the CLI maps it to exit code 2
    ├── InputError (also ValueError)    a bad input file or value: names file, row, ticker, problem
    │   ├── SchemaError                 missing/extra columns, wrong types, duplicates
    │   ├── ConfigError                 bad YAML rules/portfolio file (unknown key, bad value)
    │   ├── DataGapError                a needed price/duration/date is missing
    │   └── AsOfError                   as-of date outside the data
    ├── DownloadError                   a market-data download failed or came back empty
    ├── StoreError                      the history database could not be written or read
    ├── NotifyError                     a notification failed to send under ``--notify-strict``
    └── SolverError                     an optimiser failed in a way that is not "infeasible"

    DataQualityWarning (UserWarning)    questionable data that does not stop a run

Only ``fimonitor.cli`` turns these into exit codes and prints them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: the longest value or message text formatted into an error message (characters)
MAX_TEXT = 120
MAX_MESSAGE = 400


def cut(value: Any, limit: int = MAX_TEXT) -> str:
    """``str(value)`` on one line, cut to ``limit`` characters (``…`` marks the cut).

    Never format an unbounded value into a message: a cell, a YAML value or a file name is
    passed through this first. Strings are cut before any conversion, other objects are
    converted with ``repr`` only when small (containers longer than ``limit`` items are named
    by their type and length).
    """
    if isinstance(value, list | tuple | dict | set) and len(value) > limit:
        return f"<{type(value).__name__} of {len(value)} items>"
    text = value if isinstance(value, str) else str(value)
    text = text[: limit * 4].replace("\r", " ").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fmt_number(value: Any) -> str:
    """A number as a person writes it: ``10,000,000``, ``1,234.5``, ``0.25`` (never ``1e+07``)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return cut(value)
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    if v.is_integer() and abs(v) < 1e18:
        return f"{int(v):,}"
    return f"{v:,.6f}".rstrip("0").rstrip(".")


def fmt_date(value: Any) -> str:
    """A date as ``YYYY-MM-DD`` (no ``00:00:00``); other values via :func:`cut`."""
    iso = getattr(value, "isoformat", None)
    if iso is not None and hasattr(value, "year"):
        text = iso()
        return text[:10] if text[10:].strip("T0:.") == "" else text
    return cut(value)


class FimonitorError(Exception):
    """Root of all fimonitor errors."""


class InputError(FimonitorError, ValueError):
    """A problem with one input, printed as one line.

    ``str(err)`` reads like ``prices.csv: row 7, ticker TLT: close is not a number``.
    ``row`` is the line number in the file as a spreadsheet shows it: the header is row 1,
    the first data row is row 2.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        ticker: str | None = None,
        column: str | None = None,
    ) -> None:
        self.problem = cut(problem, MAX_MESSAGE)
        self.file = cut(Path(file).name) if file is not None else None
        self.row = row
        self.ticker = cut(ticker, 30) if ticker is not None else None
        self.column = cut(column, 40) if column is not None else None
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.ticker is not None:
            where.append(f"ticker {self.ticker}")
        if self.column is not None:
            where.append(f"column {self.column}")
        parts = [p for p in (self.file, ", ".join(where)) if p]
        parts.append(self.problem)
        return ": ".join(parts)


class SchemaError(InputError):
    """Columns, types or duplicates are wrong in an input file."""


class ConfigError(InputError):
    """A YAML configuration file has an unknown key or a bad value."""


class DataGapError(InputError):
    """A price, duration or date that the computation needs is missing."""


class AsOfError(InputError):
    """The requested as-of date is outside the data."""


class DownloadError(FimonitorError):
    """A market-data download failed, was empty, or was incomplete."""


class StoreError(FimonitorError):
    """The history database could not be written (nothing was changed) or read."""


class NotifyError(FimonitorError):
    """A notification could not be delivered and the run asked for strict delivery."""


class SolverError(FimonitorError):
    """An optimiser failed for a reason other than infeasible constraints."""


class DataQualityWarning(UserWarning):
    """Questionable data that does not stop a run (stale price, renormalised weights...)."""
