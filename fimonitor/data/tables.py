"""The one table reader: every CSV input goes through these helpers.

Conventions shared by every reader of fimonitor:

* **Row numbers are spreadsheet rows**: the header is row 1, so the first data row is
  row 2 (:data:`FIRST_DATA_ROW`). Blank lines are skipped and not counted, as a
  spreadsheet that drops empty lines would show them. Every frame read here carries
  that number in a ``row`` column.
* **Checks are vectorised**: a check builds a boolean mask over all rows at once and
  :func:`first_bad_row` raises for the first ``True``, with one message
  ``file: row N, ticker T, column C: problem``.
* **Weights** may be fractions (summing to 1) or percentages (summing to 100) within
  :data:`WEIGHT_SUM_TOL`; :func:`normalise_weights` / :func:`weight_scale` turn them into
  fractions.

The readers of whole files live next to their consumers: :mod:`fimonitor.data.loaders`
(the input folder), :func:`read_returns_file`, :func:`read_weights_file` and
:func:`read_curve_file` here (the stand-alone inputs of ``metrics`` and
``durations estimate``), and :mod:`fimonitor.data.update` (``prices update``, which
validates with :func:`validate_prices` and keeps only its byte-preserving merge).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fimonitor.errors import InputError, SchemaError, cut

FIRST_DATA_ROW = 2
#: a ticker after trimming and upper-casing: letters A-Z, digits, ``.`` and ``-``, 1-15 long
TICKER_PATTERN = r"^[A-Z0-9][A-Z0-9.\-]{0,14}$"
#: weights are accepted when they sum to 1 or 100 within this relative tolerance
WEIGHT_SUM_TOL = 0.005
#: optional non-negative price-file columns carried as panels by the Book
OHLV_COLUMNS: tuple[str, ...] = ("open", "high", "low", "volume")

Problem = str | Callable[[pd.Series], str]


def spreadsheet_rows(n: int) -> np.ndarray:
    """Spreadsheet row numbers of ``n`` data rows: ``2, 3, ..., n + 1`` (header = row 1)."""
    return np.arange(FIRST_DATA_ROW, n + FIRST_DATA_ROW)


def read_table(
    path: str | Path,
    required: Sequence[str],
    *,
    lower_columns: bool = False,
    nonempty: bool = False,
) -> pd.DataFrame:
    """Read a CSV as stripped text and check its required columns.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    required : sequence of str
        Column names that must be present (after stripping, and lower-casing when
        ``lower_columns``).
    lower_columns : bool
        Lower-case the header names.
    nonempty : bool
        Raise when the file has a header but no data row.

    Returns
    -------
    pd.DataFrame
        Every column as ``str`` (blank cells are ``""``, surrounding spaces removed) plus
        ``row``, the spreadsheet row (int, header = row 1).

    Raises
    ------
    InputError
        The file does not exist.
    SchemaError
        The file is empty, cannot be parsed, lacks a required column or (``nonempty``)
        has no data row.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError as exc:
        raise SchemaError("file is empty (expected a header row)", file=path) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SchemaError(f"cannot be parsed as CSV ({exc})", file=path) from exc
    names = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    df.columns = [c.lower() for c in names] if lower_columns else names
    check_columns(df.columns, required, path)
    df = df.apply(lambda s: s.str.strip())
    df["row"] = spreadsheet_rows(len(df))
    if nonempty and df.empty:
        raise SchemaError("has no data rows", file=path)
    return df


def check_columns(columns: Sequence[str], required: Sequence[str], path: str | Path) -> None:
    """Raise :class:`SchemaError` naming the missing ``required`` columns, if any."""
    missing = [c for c in required if c not in columns]
    if missing:
        raise SchemaError(
            f"missing column(s) {', '.join(missing)}; expected {','.join(required)}, "
            f"found {','.join(map(str, columns))}",
            file=path,
        )


def first_bad_row(
    df: pd.DataFrame,
    mask: pd.Series | np.ndarray,
    path: str | Path,
    problem: Problem,
    *,
    column: str | None = None,
    exc: type[InputError] = SchemaError,
) -> None:
    """Raise for the first row where ``mask`` is true; do nothing when none is.

    Parameters
    ----------
    df : pd.DataFrame
        The rows checked, with a ``row`` column (spreadsheet row) and optionally ``ticker``.
    mask : boolean array-like
        One flag per row of ``df`` (True = bad); positional, NaN counts as False.
    path : str or Path
        The file named in the message.
    problem : str or callable
        The problem text, or a function of the first bad row (a Series) returning it.
    column : str, optional
        The column named in the message.
    exc : type
        The :class:`InputError` subclass raised.

    Raises
    ------
    InputError
        ``file: row N, ticker T, column C: problem`` for the first bad row.
    """
    flags = np.asarray(mask, dtype=bool)
    if not flags.any():
        return
    bad = df.iloc[int(np.argmax(flags))]
    ticker = bad.get("ticker")
    named = isinstance(ticker, str) and ticker != ""
    raise exc(
        problem(bad) if callable(problem) else problem,
        file=path,
        row=int(bad["row"]) if "row" in df.columns else None,
        ticker=ticker if named else None,
        column=column,
    )


def parse_dates(
    df: pd.DataFrame, col: str, path: str | Path, *, fmt: str = "%Y-%m-%d"
) -> pd.Series:
    """Parse a text column as dates (``datetime64[ns]``); the first bad one raises."""
    parsed = pd.to_datetime(df[col], format=fmt, errors="coerce")
    shape = "YYYY-MM" if fmt == "%Y-%m" else "YYYY-MM-DD"
    first_bad_row(
        df,
        parsed.isna(),
        path,
        lambda r: f"{col} {r[col]!r} is not a date ({shape})",
        column=col,
    )
    return parsed.astype("datetime64[ns]")


def parse_numbers(
    df: pd.DataFrame,
    col: str,
    path: str | Path,
    *,
    blank_ok: bool,
    blanks: Sequence[str] = ("",),
    minimum: float | None = None,
    strict: bool = False,
) -> pd.Series:
    """Parse a text column as finite floats (NaN where blank).

    Parameters
    ----------
    df, col, path
        The rows, the column and the file named in messages.
    blank_ok : bool
        Whether a blank cell (any of ``blanks``) is allowed (it becomes NaN).
    blanks : sequence of str
        The texts that mean "no value" (FRED files also use ``.``).
    minimum : float, optional
        Lowest allowed value: ``value >= minimum`` (``value > minimum`` when ``strict``).
    strict : bool
        Make ``minimum`` exclusive.

    Returns
    -------
    pd.Series
        float, NaN where blank.
    """
    raw = df[col]
    blank = raw.isin(list(blanks))
    num = pd.to_numeric(raw.where(~blank, None), errors="coerce").astype(float)
    bad = (num.isna() & ~blank) | ~np.isfinite(num.fillna(0.0))
    first_bad_row(df, bad, path, lambda r: f"{col} {r[col]!r} is not a number", column=col)
    if not blank_ok:
        first_bad_row(df, blank, path, f"{col} is blank", column=col)
    if minimum is not None:
        low = num <= minimum if strict else num < minimum
        if minimum == 0:
            rule = "must be positive" if strict else "must not be negative"
        else:
            rule = f"must be {'>' if strict else '>='} {minimum:g}"
        first_bad_row(df, low, path, lambda r: f"{col} {r[col]} {rule}", column=col)
    return num


def ticker_problem(ticker: str) -> str | None:
    """Why ``ticker`` (already trimmed and upper-cased) is not a valid ticker, or None.

    A valid ticker matches :data:`TICKER_PATTERN`; a character outside ASCII (e.g. a
    Cyrillic look-alike letter) is named as such.
    """
    if re.match(TICKER_PATTERN, ticker):
        return None
    if not ticker.isascii():
        odd = next(c for c in ticker if not c.isascii())
        return (
            f"ticker {cut(ticker, 20)!r} contains the non-ASCII character {odd!r} "
            f"(U+{ord(odd):04X}; a look-alike letter?)"
        )
    return (
        f"ticker {cut(ticker, 20)!r} is not a valid ticker "
        "(1-15 characters: letters A-Z, digits, '.', '-'; starting with a letter or digit)"
    )


def check_ticker_format(
    df: pd.DataFrame, tickers: pd.Series, path: str | Path, *, blank_ok: bool = False
) -> None:
    """Raise for the first ticker that does not match :data:`TICKER_PATTERN`."""
    codes, labels = pd.factorize(tickers.to_numpy(), use_na_sentinel=False)
    label_text = pd.Series(labels, dtype=object).astype(str)
    label_bad = ~label_text.str.match(TICKER_PATTERN).to_numpy(bool)  # each distinct label once
    text = pd.Series(label_text.to_numpy()[codes], index=df.index)
    bad = pd.Series(label_bad[codes], index=df.index)
    if blank_ok:
        bad &= text != ""
    first_bad_row(
        df.assign(ticker="", _ticker=text),
        bad.to_numpy(),
        path,
        lambda r: ticker_problem(r["_ticker"]) or "ticker is blank",
        column="ticker",
    )


def today() -> pd.Timestamp:
    """The machine's date (midnight, local time): no input may be dated after it."""
    return pd.Timestamp.now().normalize()


def check_not_future(df: pd.DataFrame, dates: pd.Series, path: str | Path) -> None:
    """Raise for the first row dated after :func:`today` (a typo or a stray row)."""
    now = today()
    first_bad_row(
        df.assign(_date=dates.to_numpy()),
        (dates > now).to_numpy(),
        path,
        lambda r: f"date {r['_date']:%Y-%m-%d} is in the future (today is {now:%Y-%m-%d})",
        column="date",
    )


def parse_tickers(df: pd.DataFrame, path: str | Path) -> pd.Series:
    """Upper-cased, trimmed ``ticker`` column; a blank or malformed ticker raises.

    Each distinct text is normalised once (a long file repeats a few hundred tickers).
    """
    codes, labels = pd.factorize(df["ticker"], use_na_sentinel=False)
    fixed = pd.Series(labels, dtype=object).str.strip().str.upper().to_numpy(dtype=object)
    t = pd.Series(fixed[codes], index=df.index, name="ticker", dtype=df["ticker"].dtype)
    first_bad_row(df, t == "", path, "ticker is blank", column="ticker")
    check_ticker_format(df, t, path)
    return t


def check_known(df: pd.DataFrame, tickers: pd.Series, known: pd.Index, path: str | Path) -> None:
    """Raise for the first ticker not in ``known`` (the security master's tickers)."""
    first_bad_row(
        df.assign(ticker=tickers),
        ~tickers.isin(known),
        path,
        "ticker is not in security_master.csv (add it there with its group and rating)",
    )


def check_duplicates(df: pd.DataFrame, keys: list[str], path: str | Path, what: str) -> None:
    """Raise for the first row whose ``keys`` repeat an earlier row's."""
    first_bad_row(
        df,
        df.duplicated(keys, keep="first"),
        path,
        lambda r: f"duplicate {what} ({', '.join(_cell(r[k]) for k in keys)})",
    )


def _cell(value: object) -> str:
    """A key value as the file shows it (dates without a time)."""
    return str(value.date()) if isinstance(value, pd.Timestamp) else str(value)


# --------------------------------------------------------------------------- weights
def weight_scale(sums: pd.Series, tol: float = WEIGHT_SUM_TOL) -> pd.Series:
    """Divisor turning each group's weights into fractions.

    Parameters
    ----------
    sums : pd.Series
        The sum of the weights of each group (e.g. per effective date).
    tol : float
        Relative tolerance on the sum.

    Returns
    -------
    pd.Series
        Per group: the sum itself when it is within ``tol`` of 1 (fractions) or 100
        (percent), else NaN (the caller reports the group).

    Notes
    -----
    A group is fractions when ``|s - 1| <= tol``, percent when ``|s - 100| <= 100 tol``;
    dividing by ``s`` (not by 1 or 100) makes the weights sum to exactly 1.
    """
    s = pd.Series(sums, dtype=float)
    ok = ((s - 1.0).abs() <= tol) | ((s - 100.0).abs() <= tol * 100.0)
    return s.where(ok)


def normalise_weights(
    weights: pd.Series,
    *,
    file: str | Path | None = None,
    what: str = "weights",
    tol: float = WEIGHT_SUM_TOL,
) -> pd.Series:
    """One set of weights (fractions or percent) -> fractions summing to 1.

    Parameters
    ----------
    weights : pd.Series
        Non-negative weights, summing to 1 or to 100 within ``tol`` (relative).
    file : str or Path, optional
        Named in the error message.
    what : str
        What the weights are, for the message (e.g. ``targets``).
    tol : float
        Relative tolerance on the sum.

    Returns
    -------
    pd.Series
        ``weights / weights.sum()``.

    Raises
    ------
    InputError
        The sum is neither 1 nor 100 within the tolerance.
    """
    w = pd.Series(weights, dtype=float)
    total = float(w.sum())
    scale = weight_scale(pd.Series([total]), tol).iloc[0]
    if not np.isfinite(scale):
        raise InputError(
            f"{what} sum to {total:.6g}; expected 1 (fractions) or 100 (percent)", file=file
        )
    return w / scale


# --------------------------------------------------------------------------- prices
def validate_prices(df: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """Validate ``prices.csv`` text rows (from :func:`read_table` or ``prices update``).

    Parameters
    ----------
    df : pd.DataFrame
        Text columns ``date, ticker, close`` (+ optional ``adj_close`` and
        ``open, high, low, volume``) and ``row``.
    path : str or Path
        The file named in messages.

    Returns
    -------
    pd.DataFrame
        ``date`` (datetime64), ``ticker`` (upper case), ``close``, ``adj_close`` (float,
        NaN where blank or where the file has no adj_close column), ``row``, and the
        optional columns the file has (float, NaN where blank).

    Raises
    ------
    SchemaError
        Blank ticker, bad date, a value that is not a finite number, close/adj_close not
        positive, open/high/low/volume negative, a row with neither price, or a repeated
        (date, ticker).
    """
    out = pd.DataFrame({"ticker": parse_tickers(df, path), "row": df["row"]})
    for col in ("close", "adj_close", *OHLV_COLUMNS):
        if col in df.columns:
            out[col] = parse_numbers(df, col, path, blank_ok=True)
    if "adj_close" not in out:
        out["adj_close"] = np.nan
    out.insert(0, "date", parse_dates(df, "date", path))
    check_not_future(df, out["date"], path)
    check_price_values(out, path)
    return out


def check_price_values(prices: pd.DataFrame, path: str | Path, *, duplicates: bool = True) -> None:
    """The value checks of :func:`validate_prices` on parsed floats (also the fast path).

    ``duplicates`` False skips the repeated (date, ticker) check (a caller that checked them
    on integer codes).

    Raises
    ------
    SchemaError
        close/adj_close not positive, open/high/low/volume negative, a row with neither
        close nor adj_close, or a repeated (date, ticker).
    """
    for col in ("close", "adj_close"):
        first_bad_row(
            prices,
            prices[col] <= 0,
            path,
            lambda r, c=col: f"{c} {r[c]} must be positive",
            column=col,
        )
    for col in OHLV_COLUMNS:
        if col in prices.columns:
            first_bad_row(
                prices,
                prices[col] < 0,
                path,
                lambda r, c=col: f"{c} {r[c]} must not be negative",
                column=col,
            )
    first_bad_row(
        prices,
        prices["close"].isna() & prices["adj_close"].isna(),
        path,
        "close (and adj_close) is blank",
        column="close",
    )
    if duplicates:
        check_duplicates(prices, ["date", "ticker"], path, "date/ticker")


# --------------------------------------------------------------------------- stand-alone files
def read_returns_file(path: str | Path) -> pd.Series:
    """``date,return`` CSV -> daily returns (fractions) indexed by date, sorted.

    Raises
    ------
    InputError
        Missing file or column, no data row, a bad date or number, or a repeated date
        (named by file, spreadsheet row and column).
    """
    df = read_table(path, ("date", "return"), lower_columns=True, nonempty=True)
    dates = parse_dates(df, "date", path)
    values = parse_numbers(df, "return", path, blank_ok=False)
    first_bad_row(
        df, dates.duplicated(), path, lambda r: f"duplicate date {r['date']}", column="date"
    )
    out = pd.Series(values.to_numpy(), index=pd.DatetimeIndex(dates, name="date"), name="return")
    return out.sort_index()


def read_weights_file(path: str | Path) -> pd.Series:
    """``ticker,weight`` CSV (fractions or percent) -> weights as fractions summing to 1.

    Raises
    ------
    InputError
        Missing file or column, no data row, a blank or repeated ticker, a weight that is not
        a number or is negative, or weights summing to neither 1 nor 100.
    """
    df = read_table(path, ("ticker", "weight"), lower_columns=True, nonempty=True)
    tickers = parse_tickers(df, path)
    w = parse_numbers(df, "weight", path, blank_ok=False, minimum=0.0)
    first_bad_row(
        df, tickers.duplicated(), path, lambda r: f"duplicate ticker {r['ticker']}", column="ticker"
    )
    out = pd.Series(w.to_numpy(), index=pd.Index(tickers, name="ticker"), name="weight")
    return normalise_weights(out, file=path)


def read_curve_file(
    path: str | Path, prefixes: tuple[str, ...], *, required: bool
) -> pd.DataFrame | None:
    """A FRED wide yield file -> date x series (percent, float), columns starting ``prefixes``.

    Blank cells and FRED's ``.`` stay NaN. None when the file is absent and not ``required``.

    Raises
    ------
    InputError
        Missing (required) file, no ``date`` column or no yield column, a bad date or
        number (named by spreadsheet row and column), or a repeated date.
    """
    path = Path(path)
    if not path.is_file() and not required:
        return None
    df = read_table(path, ("date",))
    cols = [c for c in df.columns if c.startswith(prefixes)]
    if not cols:
        raise SchemaError(f"no yield columns starting with {'/'.join(prefixes)}", file=path)
    dates = parse_dates(df, "date", path)
    first_bad_row(
        df, dates.duplicated(), path, lambda r: f"duplicate date {r['date']}", column="date"
    )
    values = {c: parse_numbers(df, c, path, blank_ok=True, blanks=("", ".")) for c in cols}
    frame = pd.DataFrame(
        {c: v.to_numpy() for c, v in values.items()}, index=pd.DatetimeIndex(dates, name="date")
    )
    return frame.sort_index()
