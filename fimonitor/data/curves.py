"""FRED yield-curve files (``treasury_yields.csv``, ``fred_rates_extra.csv``) and interpolation.

The files are FRED's wide format: ``date`` plus one column per series (``DGS1MO, DGS3MO, DGS6MO,
DGS1, DGS2, DGS5, DGS7, DGS10, DGS20, DGS30`` for nominal Treasuries, ``DFII5 …`` for real
yields) in percent; a blank or ``.`` cell is a missing value. Rows exist on bond market days
only. Parsing goes through the one table reader (:func:`fimonitor.data.tables.read_curve_file`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from fimonitor.data.tables import read_curve_file
from fimonitor.errors import SchemaError
from fimonitor.fileio import FileCache

__all__ = [
    "REAL_FILE",
    "YIELDS_FILE",
    "interpolate_rows",
    "read_curve",
    "read_treasury_curve",
    "tenor_years",
]

YIELDS_FILE = "treasury_yields.csv"
REAL_FILE = "fred_rates_extra.csv"
_TENOR = re.compile(r"^(?:DGS|DFII)(\d+)(MO)?$")


def read_curve(path: Path, prefixes: tuple[str, ...], *, required: bool) -> pd.DataFrame | None:
    """Read a FRED wide yield file: date x series (percent, float), columns with ``prefixes``.

    Blank cells stay NaN; a bad date or number is an error naming the file and row. None when
    the file is absent and not ``required``.
    """
    return read_curve_file(Path(path), prefixes, required=required)


def tenor_years(column: str) -> float | None:
    """``DGS3MO`` -> 0.25, ``DGS10`` -> 10.0; None for a column that is not a tenor."""
    m = _TENOR.match(column.strip().upper())
    if not m:
        return None
    n = float(m.group(1))
    return n / 12.0 if m.group(2) else n


def read_treasury_curve(path: str | Path) -> pd.DataFrame:
    """``treasury_yields.csv`` -> date x maturity (years, ascending) yields as fractions.

    The parsed curve is kept per file (real path, inode, size, change times), so the packs
    of a batch read the file once and a changed file is read again; each call returns its own
    DataFrame (copy-on-write: changing it never changes the kept curve).

    Parameters
    ----------
    path : str or Path
        The FRED wide file.

    Returns
    -------
    pd.DataFrame
        Index ``date`` (sorted, unique), columns the maturities in years (float), values the
        yields as fractions (percent / 100); NaN where the file is blank.

    Raises
    ------
    InputError
        File missing, a bad date or number (naming the row), a duplicate date, or fewer than
        two ``DGS`` tenor columns.
    """
    return _CURVES(path).copy(deep=False)


def _parse_treasury_curve(path: Path) -> pd.DataFrame:
    raw = read_curve(Path(path), ("DGS",), required=True)
    tenors = {c: tenor_years(c) for c in raw.columns}
    tenors = {c: y for c, y in tenors.items() if y is not None}
    if len(tenors) < 2:
        raise SchemaError(
            f"needs at least two yield columns named DGS<n> or DGS<n>MO, found {len(tenors)}",
            file=path,
        )
    frame = pd.DataFrame(
        raw[list(tenors)].to_numpy(dtype=float) / 100.0,
        index=raw.index,
        columns=pd.Index([tenors[c] for c in tenors], name="maturity"),
    )
    return frame.sort_index(axis=1)


_CURVES = FileCache(_parse_treasury_curve, keep=4)  # the parsed curves of this process


def interpolate_rows(curve: np.ndarray, maturities: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Linear interpolation of each row of ``curve`` at its own maturity, vectorised.

    Parameters
    ----------
    curve : np.ndarray
        Yields, shape (n_dates, n_tenors), no NaN.
    maturities : np.ndarray
        Tenors in years, ascending, shape (n_tenors,).
    at : np.ndarray
        The maturity (years) to read on each row, shape (n_dates,); NaN gives NaN.

    Returns
    -------
    np.ndarray
        Shape (n_dates,). Flat beyond the shortest and the longest tenor.

    Notes
    -----
    ``y(m) = y_j + (y_{j+1} − y_j)·(m − m_j)/(m_{j+1} − m_j)`` with m_j <= m <= m_{j+1}
    (m clipped to [m_0, m_last]).
    """
    m = np.asarray(maturities, dtype=float)
    x = np.clip(np.asarray(at, dtype=float), m[0], m[-1])
    j = np.clip(np.searchsorted(m, np.nan_to_num(x, nan=m[0]), side="right") - 1, 0, len(m) - 2)
    rows = np.arange(curve.shape[0])
    lo, hi = curve[rows, j], curve[rows, j + 1]
    frac = (x - m[j]) / (m[j + 1] - m[j])
    out = lo + (hi - lo) * frac
    out[np.isnan(x)] = np.nan
    return out
