"""The Treasury constant-maturity curve (``treasury_yields.csv``) and interpolation on it.

The file is FRED's wide format: ``date`` plus ``DGS1MO, DGS3MO, DGS6MO, DGS1, DGS2, DGS5, DGS7,
DGS10, DGS20, DGS30`` in percent; a blank or ``.`` cell is a missing value. Rows exist on bond
market days only.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from fimonitor.errors import InputError, SchemaError

YIELDS_FILE = "treasury_yields.csv"
_TENOR = re.compile(r"^DGS(\d+)(MO)?$")


def tenor_years(column: str) -> float | None:
    """``DGS3MO`` -> 0.25, ``DGS10`` -> 10.0; None for a column that is not a DGS tenor."""
    m = _TENOR.match(column.strip().upper())
    if not m:
        return None
    n = float(m.group(1))
    return n / 12.0 if m.group(2) else n


def read_treasury_curve(path: str | Path) -> pd.DataFrame:
    """``treasury_yields.csv`` -> date x maturity (years, ascending) yields as fractions.

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
        File missing; SchemaError for no date or DGS columns, a bad date or number (naming the
        row), or a duplicate date.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SchemaError(f"cannot be parsed as CSV ({exc})", file=path) from exc
    if "date" not in raw.columns:
        raise SchemaError(f"missing column date; found {', '.join(raw.columns)}", file=path)
    tenors = {c: tenor_years(c) for c in raw.columns if c != "date"}
    tenors = {c: y for c, y in tenors.items() if y is not None}
    if len(tenors) < 2:
        raise SchemaError(
            f"needs at least two yield columns named DGS<n> or DGS<n>MO, found {len(tenors)}",
            file=path,
        )
    dates = pd.to_datetime(raw["date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        i = int(dates.isna().to_numpy().argmax())
        raise SchemaError(
            f"date {raw['date'].iloc[i]!r} is not a date (YYYY-MM-DD)",
            file=path,
            row=i + 2,
            column="date",
        )
    cells = raw[list(tenors)].apply(lambda s: s.str.strip()).replace({"": None, ".": None})
    values = cells.apply(pd.to_numeric, errors="coerce")
    bad = values.isna() & cells.notna()
    if bad.to_numpy().any():
        i, j = np.argwhere(bad.to_numpy())[0]
        col = bad.columns[j]
        raise SchemaError(
            f"{col} {raw[col].iloc[i]!r} is not a number", file=path, row=int(i) + 2, column=col
        )
    frame = pd.DataFrame(
        values.to_numpy(dtype=float) / 100.0,
        index=pd.DatetimeIndex(dates, name="date"),
        columns=pd.Index([tenors[c] for c in tenors], name="maturity"),
    )
    frame = frame.sort_index().sort_index(axis=1)
    if frame.index.has_duplicates:
        d = frame.index[frame.index.duplicated()][0]
        raise SchemaError(f"duplicate date {d.date()}", file=path)
    return frame


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
