"""FRED yield-curve files (``treasury_yields.csv``, ``fred_rates_extra.csv``) -> frames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fimonitor.data.tables import read_curve_file

__all__ = ["REAL_FILE", "YIELDS_FILE", "read_curve"]

YIELDS_FILE = "treasury_yields.csv"
REAL_FILE = "fred_rates_extra.csv"


def read_curve(path: Path, prefixes: tuple[str, ...], *, required: bool) -> pd.DataFrame | None:
    """Read a FRED wide yield file: date x series (percent, float), columns with ``prefixes``.

    The one table reader (:func:`fimonitor.data.tables.read_curve_file`) does the parsing;
    blank cells stay NaN and a bad date or number is an error naming the file and row.
    """
    return read_curve_file(Path(path), prefixes, required=required)
