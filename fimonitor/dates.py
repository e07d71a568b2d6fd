"""The one date parser and the one ``YYYYMMDD`` stamp.

Dates given by users (command-line options, YAML values) are ISO ``YYYY-MM-DD``; a bad one is
an :class:`~fimonitor.errors.InputError` that names what was being read.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fimonitor.errors import InputError, cut

__all__ = ["parse_date", "stamp"]


def parse_date(
    value: Any,
    what: str = "date",
    *,
    file: str | Path | None = None,
    ticker: str | None = None,
    error: type[InputError] = InputError,
) -> pd.Timestamp:
    """Parse a calendar date (midnight, no time zone) from an ISO string or a date object.

    Parameters
    ----------
    value : str, datetime.date, numpy.datetime64 or pandas.Timestamp
        ``YYYY-MM-DD`` text, or a date-like object (as YAML loads an unquoted date).
    what : str
        What the value is (an option such as ``--start`` or a YAML key), used in the message.
    file, ticker : optional
        Where the value comes from, for the error message.
    error : type
        The :class:`InputError` subclass to raise (e.g. ``ConfigError`` for YAML files).

    Returns
    -------
    pandas.Timestamp
        The date at midnight.

    Raises
    ------
    InputError
        ``"<what> '<value>' is not a date (YYYY-MM-DD)"`` when it cannot be read.
    """
    if isinstance(value, pd.Timestamp | dt.date | np.datetime64) and not pd.isna(value):
        ts = pd.Timestamp(value)
        return (ts.tz_localize(None) if ts.tz is not None else ts).normalize()
    ts = pd.to_datetime(str(value).strip(), format="%Y-%m-%d", errors="coerce")
    if pd.isna(ts):
        raise error(
            f"{what} {cut(repr(value), 40)} is not a date (YYYY-MM-DD)", file=file, ticker=ticker
        )
    return pd.Timestamp(ts)


def stamp(as_of: Any) -> str:
    """``YYYYMMDD`` of a date: the name of a pack folder and the prefix of its files."""
    return pd.Timestamp(as_of).strftime("%Y%m%d")
