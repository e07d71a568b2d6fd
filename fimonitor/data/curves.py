"""FRED yield-curve files (``treasury_yields.csv``, ``fred_rates_extra.csv``) -> frames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fimonitor.errors import InputError, SchemaError

__all__ = ["REAL_FILE", "YIELDS_FILE", "read_curve"]

YIELDS_FILE = "treasury_yields.csv"
REAL_FILE = "fred_rates_extra.csv"


def read_curve(path: Path, prefixes: tuple[str, ...], *, required: bool) -> pd.DataFrame | None:
    """Read a FRED wide yield file: date x series (percent, float), columns with ``prefixes``.

    Blank cells stay NaN. Raises InputError naming the file and row for a bad date or number.
    """
    path = Path(path)
    if not path.is_file():
        if required:
            raise InputError("file not found", file=path)
        return None
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SchemaError(f"cannot be parsed as CSV ({exc})", file=path) from exc
    if "date" not in raw.columns:
        raise SchemaError(f"missing column date; found {', '.join(raw.columns)}", file=path)
    cols = [c for c in raw.columns if c.startswith(prefixes)]
    if not cols:
        raise SchemaError(f"no yield columns starting with {'/'.join(prefixes)}", file=path)
    dates = pd.to_datetime(raw["date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        i = int(dates.isna().to_numpy().argmax())
        raise SchemaError(
            f"date {raw['date'].iloc[i]!r} is not a date (YYYY-MM-DD)",
            file=path,
            row=i + 2,
            column="date",
        )
    out = {}
    for c in cols:
        s = raw[c].str.strip().replace({"": None, ".": None})
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & s.notna()
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise SchemaError(
                f"{c} {raw[c].iloc[i]!r} is not a number", file=path, row=i + 2, column=c
            )
        out[c] = num.astype(float).to_numpy()
    frame = pd.DataFrame(out, index=pd.DatetimeIndex(dates, name="date")).sort_index()
    if frame.index.has_duplicates:
        d = frame.index[frame.index.duplicated()][0]
        raise SchemaError(f"duplicate date {d.date()}", file=path)
    return frame
