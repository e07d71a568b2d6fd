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
    └── SolverError                     an optimiser failed in a way that is not "infeasible"

    DataQualityWarning (UserWarning)    questionable data that does not stop a run

Only ``fimonitor.cli`` turns these into exit codes and prints them.
"""

from __future__ import annotations

from pathlib import Path


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
        self.problem = problem
        self.file = Path(file).name if file is not None else None
        self.row = row
        self.ticker = ticker
        self.column = column
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


class SolverError(FimonitorError):
    """An optimiser failed for a reason other than infeasible constraints."""


class DataQualityWarning(UserWarning):
    """Questionable data that does not stop a run (stale price, renormalised weights...)."""
