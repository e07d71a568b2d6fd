"""Read and validate the input folder (docs/formats.md) into a :class:`~fimonitor.data.book.Book`.

Every file is read and checked through :mod:`fimonitor.data.tables` (the one table reader):
every problem raises an :class:`~fimonitor.errors.InputError` subclass naming the file, the
spreadsheet row (header = row 1), ticker and column, and what is wrong. Checks are
vectorised: the first offending row is reported.

Optional columns: ``prices.csv`` ``open, high, low, volume`` (finite, >= 0, blank allowed);
``duration_monthly.csv`` ``convexity, empirical_duration, method``;
``benchmark_weights.csv`` ``benchmark`` (several named benchmarks).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from fimonitor.data.book import CASH, Book
from fimonitor.data.tables import (
    OHLV_COLUMNS,
    WEIGHT_SUM_TOL,
    check_duplicates,
    check_known,
    check_not_future,
    check_price_values,
    check_ticker_format,
    first_bad_row,
    parse_dates,
    parse_numbers,
    parse_tickers,
    read_table,
    spreadsheet_rows,
    validate_prices,
    weight_scale,
)
from fimonitor.errors import ConfigError, DataGapError, InputError, SchemaError, fmt_number

log = logging.getLogger(__name__)

FILES = {
    "security_master": "security_master.csv",
    "prices": "prices.csv",
    "durations": "duration_monthly.csv",
    "benchmark": "benchmark_weights.csv",
    "transactions": "transactions.csv",
}
KEY_RATES_FILE = "key_rate_durations_monthly.csv"  # optional
KRD_TENORS = ("2y", "5y", "10y", "30y")
ACTIONS = ("BUY", "SELL", "DEPOSIT", "WITHDRAWAL", "DIVIDEND", "FEE")
TRADE_ACTIONS = ("BUY", "SELL")
CASH_ACTIONS = ("DEPOSIT", "WITHDRAWAL", "DIVIDEND", "FEE")
TRUE_WORDS = {"true", "1", "yes", "y", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "f"}
__all__ = [
    "FILES",
    "KEY_RATES_FILE",
    "WEIGHT_SUM_TOL",
    "choose_primary",
    "load_book",
    "read_benchmark",
    "read_benchmarks",
    "read_duration_table",
    "read_durations",
    "read_key_rates",
    "read_prices",
    "read_security_master",
    "read_transactions",
]


# --------------------------------------------------------------------------- files
def read_security_master(path: Path) -> pd.DataFrame:
    """security_master.csv -> frame indexed by ticker (CASH row added)."""
    path = Path(path)
    df = read_table(path, ("ticker", "name", "group", "sector", "rating_bucket", "is_cash_proxy"))
    df["ticker"] = parse_tickers(df, path)
    first_bad_row(
        df,
        df["ticker"] == CASH,
        path,
        "CASH is built in (the ledger's cash); do not list it",
        column="ticker",
    )
    check_duplicates(df, ["ticker"], path, "ticker")
    first_bad_row(df, df["group"] == "", path, "group is blank", column="group")
    flag = df["is_cash_proxy"].str.lower()
    first_bad_row(
        df,
        ~flag.isin(TRUE_WORDS | FALSE_WORDS),
        path,
        lambda r: f"is_cash_proxy {r['is_cash_proxy']!r} is not true/false",
        column="is_cash_proxy",
    )
    df["is_cash_proxy"] = flag.isin(TRUE_WORDS)
    if "price_field" in df.columns:
        pf = df["price_field"].str.lower().replace("", "close")
        first_bad_row(
            df,
            ~pf.isin(["close", "adj_close"]),
            path,
            lambda r: f"price_field {r['price_field']!r} must be close or adj_close",
            column="price_field",
        )
        df["price_field"] = pf
    else:
        df["price_field"] = "close"
    df["group"] = df["group"].str.lower()
    df["rating_bucket"] = df["rating_bucket"].replace("", "NR")
    df["sector"] = df["sector"].replace("", "unclassified")
    cols = ["name", "group", "sector", "rating_bucket", "is_cash_proxy", "price_field"]
    out = df.set_index("ticker")[cols]
    cash = pd.DataFrame(
        {
            "name": "Cash",
            "group": "cash",
            "sector": "Cash",
            "rating_bucket": "cash",
            "is_cash_proxy": True,
            "price_field": "close",
        },
        index=pd.Index([CASH], name="ticker"),
    )
    return pd.concat([out, cash])


def read_prices(path: Path) -> pd.DataFrame:
    """prices.csv -> long frame ``date, ticker, close, adj_close, row`` (+ optional columns).

    ``adj_close`` equals ``close`` when the file has no adj_close column. Prices must be > 0.
    A row with neither price is an error; duplicate (date, ticker) is an error. The optional
    columns ``open, high, low, volume`` (finite, >= 0, blank allowed) are kept when present
    (float, NaN where blank). ``row`` is the spreadsheet row (header = row 1).
    """
    path = Path(path)
    fast = _read_prices_fast(path)
    prices = None if fast is None else fast[0]
    if prices is None:  # a value does not parse: the text path finds and names the first bad row
        text = read_table(path, ("date", "ticker", "close"))
        prices = validate_prices(text, path)
        if "adj_close" not in text.columns:
            prices["adj_close"] = prices["close"]
    else:  # the fast path found repeated (date, ticker) pairs on integer codes
        check_price_values(prices, path, duplicates=fast[1])
    optional = [c for c in OHLV_COLUMNS if c in prices.columns]
    return prices[["date", "ticker", "close", "adj_close", "row", *optional]]


def _read_prices_fast(path: Path) -> tuple[pd.DataFrame, bool] | None:
    """Parse prices.csv with numeric dtypes (fast); None when some value does not parse.

    Returns the long frame and whether some (date, ticker) pair repeats (the row-by-row
    check then names it, after the value checks, as on the text path).
    """
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        head = pd.read_csv(path, nrows=0, dtype=str)
    except pd.errors.EmptyDataError as exc:
        raise SchemaError("file is empty (expected a header row)", file=path) from exc
    cols = [str(c).strip() for c in head.columns]
    if not {"date", "ticker", "close"} <= set(cols) or cols != list(head.columns):
        return None
    numeric = [c for c in ("close", "adj_close", *OHLV_COLUMNS) if c in cols]
    dtypes = {"date": "category", "ticker": "category", **dict.fromkeys(numeric, float)}
    try:
        df = pd.read_csv(
            path,
            usecols=list(dtypes),
            dtype=dtypes,
            keep_default_na=False,
            na_values={c: [""] for c in numeric},
        )
    except (ValueError, pd.errors.ParserError):
        return None
    values = df[numeric]  # float64 already (dtype above); blanks are NaN
    if np.isinf(values.to_numpy()).any():  # the text path names the row
        return None
    # Every text check runs once per distinct label (a few thousand), then the rows take their
    # label's result by code; a bad label sends the rows to the row-by-row checks, which name
    # the first bad row exactly as the text path would.
    tickers, t_codes = _labels(df["ticker"], lambda s: s.str.strip().str.upper())
    date_text, d_codes = _labels(df["date"], lambda s: s.str.strip())
    labels = pd.DataFrame({"ticker": tickers, "row": 0})
    ok_tickers = (tickers != "").all() and _no_error(
        check_ticker_format, labels, labels["ticker"], path
    )
    d_labels = pd.DataFrame({"date": date_text, "row": 0})
    ok_dates = _no_error(parse_dates, d_labels, "date", path)
    df["row"] = spreadsheet_rows(len(df))
    if not (ok_tickers and ok_dates):
        df["ticker"] = tickers[t_codes]
        df["date"] = date_text[d_codes]
        first_bad_row(df, df["ticker"] == "", path, "ticker is blank", column="ticker")
        check_ticker_format(df, df["ticker"], path)
        parse_dates(df, "date", path)
    day = parse_dates(d_labels, "date", path).to_numpy()
    out = pd.DataFrame(
        {"date": day[d_codes], "ticker": pd.Series(tickers[t_codes], dtype=object, copy=False)}
    )
    check_not_future(df, out["date"], path)
    # (date, ticker) repeated: one integer per pair of *normalised* labels, hashed as int64
    t_uniq = np.unique(tickers, return_inverse=True)[1]
    d_uniq = np.unique(day, return_inverse=True)[1]
    pair = d_uniq[d_codes].astype(np.int64) * max(len(tickers), 1)
    pair += t_uniq[t_codes]
    repeated = bool(len(pair) and np.bincount(pair).max() > 1)  # no hash table: a count array
    del pair
    for col in numeric:
        out[col] = values[col]
    if "adj_close" not in out:
        out["adj_close"] = out["close"]
    out["row"] = df["row"]
    return out, repeated


def _labels(col: pd.Series, fix) -> tuple[np.ndarray, np.ndarray]:
    """A categorical column's normalised labels (object array) and each row's label code."""
    cat = col.cat
    labels = np.asarray(fix(pd.Series(cat.categories.astype(str))), dtype=object)
    codes = cat.codes.to_numpy()
    if (codes < 0).any():  # a missing value (not expected with keep_default_na=False)
        labels = np.append(labels, "")
        codes = np.where(codes < 0, len(labels) - 1, codes)
    return labels, codes


def _no_error(check, *args) -> bool:
    """True when ``check(*args)`` raises no :class:`InputError` (the labels pass)."""
    try:
        check(*args)
    except InputError:
        return False
    return True


def read_duration_table(path: Path, known: pd.Index) -> pd.DataFrame:
    """duration_monthly.csv -> validated long frame.

    Returns
    -------
    pd.DataFrame
        ``month`` (month-start datetime64), ``ticker``, ``duration`` (years), ``convexity``
        and ``empirical_duration`` (float, NaN when blank or when the file has no such
        column), ``method`` (str, ``""`` when absent), ``row`` (spreadsheet row).

    Notes
    -----
    ``duration`` must lie in -5..60 years and ``empirical_duration`` too when given;
    ``convexity`` is any finite number (negative for callable and mortgage funds).
    """
    path = Path(path)
    df = read_table(path, ("month", "ticker", "duration"))
    df["ticker"] = parse_tickers(df, path)
    month = parse_dates(df, "month", path, fmt="%Y-%m")
    out = pd.DataFrame({"month": month, "ticker": df["ticker"]})
    for col, blank_ok in (("duration", False), ("empirical_duration", True)):
        if col not in df.columns:
            out[col] = np.nan
            continue
        out[col] = parse_numbers(df, col, path, blank_ok=blank_ok)
        first_bad_row(
            df,
            (out[col] < -5) | (out[col] > 60),
            path,
            lambda r, c=col: f"{c} {r[c]} years is outside -5..60",
            column=col,
        )
    out["convexity"] = (
        parse_numbers(df, "convexity", path, blank_ok=True) if "convexity" in df else np.nan
    )
    out["method"] = df["method"] if "method" in df.columns else ""
    check_known(df, df["ticker"], known, path)
    if out.duplicated(["month", "ticker"]).any():  # the message shows months as the file does
        check_duplicates(
            df.assign(month=month.dt.strftime("%Y-%m")), ["month", "ticker"], path, "month/ticker"
        )
    out["row"] = df["row"]
    return out


def _month_panel(table: pd.DataFrame, col: str) -> pd.DataFrame:
    panel = table.pivot(index="month", columns="ticker", values=col).sort_index()
    panel.index.name = "month"
    return panel


def read_durations(path: Path, known: pd.Index) -> pd.DataFrame:
    """duration_monthly.csv -> month-start date x ticker panel (years)."""
    return _month_panel(read_duration_table(path, known), "duration")


def read_benchmarks(
    path: Path, known: pd.Index
) -> tuple[dict[str, pd.DataFrame], list[tuple[str, str, str]]]:
    """benchmark_weights.csv -> one effective_date x ticker weights panel per benchmark, notes.

    Weights may be fractions (sum 1) or percentages (sum 100) per benchmark and effective
    date; a sum off by more than 0.5 % is an error, a smaller difference is renormalised and
    noted. An optional ``benchmark`` column names several benchmarks (blank = ``benchmark``);
    without it the file holds one benchmark named ``benchmark``. The dict keeps file order.
    """
    path = Path(path)
    df = read_table(path, ("ticker", "weight"))
    df["ticker"] = parse_tickers(df, path)
    w = parse_numbers(df, "weight", path, blank_ok=False, minimum=0.0)
    check_known(df, df["ticker"], known, path)
    if "effective_date" in df.columns and (df["effective_date"] != "").any():
        first_bad_row(
            df,
            df["effective_date"] == "",
            path,
            "effective_date is blank (fill it on every row or none)",
            column="effective_date",
        )
        eff = parse_dates(df, "effective_date", path)
    else:
        eff = pd.Series(pd.Timestamp("1900-01-01"), index=df.index)
    names = df["benchmark"].replace("", "benchmark") if "benchmark" in df else "benchmark"
    df = df.assign(eff=eff, benchmark=names)
    check_duplicates(df, ["benchmark", "eff", "ticker"], path, "benchmark/effective_date/ticker")
    several = df["benchmark"].nunique() > 1
    sums = w.groupby([df["benchmark"], eff]).sum()
    scale = weight_scale(sums)
    if scale.isna().any():
        name, bad_date = scale.index[scale.isna()][0]
        first = df[(df["eff"] == bad_date) & (df["benchmark"] == name)].iloc[0]
        when = "" if bad_date.year == 1900 else f" for effective_date {bad_date.date()}"
        which = f" in benchmark {name}" if several else ""
        raise InputError(
            f"weights sum to {sums[(name, bad_date)]:.6g}{when}{which}; "
            "expected 1 (fractions) or 100 (percent)",
            file=path,
            row=int(first["row"]),
        )
    notes: list[tuple[str, str, str]] = []
    for (name, d), s in sums.items():
        target = 100.0 if abs(s - 100.0) <= WEIGHT_SUM_TOL * 100 else 1.0
        if abs(s - target) > 1e-9 * target:
            when = "" if d.year == 1900 else f" ({d.date()})"
            label = f"benchmark {name}" if several else "benchmark"
            notes.append(
                (
                    "WARN",
                    "benchmark weights renormalised",
                    f"{label} weights{when} summed to {s:.6g}, rescaled to 1",
                )
            )
    factor = scale.reindex(pd.MultiIndex.from_arrays([df["benchmark"], eff])).to_numpy()
    frac = pd.DataFrame(
        {"benchmark": df["benchmark"], "eff": eff, "ticker": df["ticker"], "w": w / factor}
    )
    panels: dict[str, pd.DataFrame] = {}
    for name in frac["benchmark"].unique():  # a handful of named benchmarks
        panel = (
            frac[frac["benchmark"] == name]
            .pivot(index="eff", columns="ticker", values="w")
            .fillna(0.0)
            .sort_index()
        )
        panel.index.name = "effective_date"
        panels[str(name)] = panel
    return panels, notes


def read_key_rates(path: Path, known: pd.Index) -> pd.DataFrame:
    """key_rate_durations_monthly.csv -> validated long frame.

    Returns
    -------
    pd.DataFrame
        ``month`` (text ``YYYY-MM``), ``ticker``, ``tenor`` (one of ``2y, 5y, 10y, 30y``),
        ``krd`` (years, -5..60), file order.
    """
    path = Path(path)
    df = read_table(path, ("month", "ticker", "tenor", "krd"))
    df["ticker"] = parse_tickers(df, path)
    month = parse_dates(df, "month", path, fmt="%Y-%m")
    krd = parse_numbers(df, "krd", path, blank_ok=False)
    first_bad_row(
        df,
        ~df["tenor"].isin(KRD_TENORS),
        path,
        lambda r: f"tenor {r['tenor']!r} is not one of {', '.join(KRD_TENORS)}",
        column="tenor",
    )
    first_bad_row(
        df.assign(krd=krd),
        (krd < -5) | (krd > 60),
        path,
        lambda r: f"krd {r['krd']} years is outside -5..60",
        column="krd",
    )
    check_known(df, df["ticker"], known, path)
    month_text = month.dt.strftime("%Y-%m")
    check_duplicates(
        df.assign(month=month_text), ["month", "ticker", "tenor"], path, "month/ticker/tenor"
    )
    return pd.DataFrame(
        {"month": month_text, "ticker": df["ticker"], "tenor": df["tenor"], "krd": krd}
    ).reset_index(drop=True)


def choose_primary(
    benchmarks: Mapping[str, pd.DataFrame] | list[str],
    primary: str | None,
    *,
    config_file: str | Path | None = None,
) -> str:
    """The primary benchmark's name, checked against the names in benchmark_weights.csv.

    Parameters
    ----------
    benchmarks : mapping or list of str
        The benchmark names of the file (``book.benchmarks``).
    primary : str or None
        ``benchmarks.primary`` of monitor.yaml (None when not set).
    config_file : path, optional
        The rules file, named in the error.

    Returns
    -------
    str
        ``primary`` when given; else the only benchmark of the file.

    Raises
    ------
    ConfigError
        Several benchmarks and no primary, or a primary the file does not have.
    """
    names = list(benchmarks)
    where = Path(config_file).name if config_file is not None else "monitor.yaml"
    if primary is None:
        if len(names) > 1:
            raise ConfigError(
                f"benchmark_weights.csv holds several benchmarks ({', '.join(names)}); "
                f"set benchmarks: {{primary: NAME}} in {where}",
                file=config_file,
            )
        return names[0]
    if primary not in names:
        raise ConfigError(
            f"benchmarks.primary {primary!r} is not in benchmark_weights.csv "
            f"(it holds {', '.join(names)})",
            file=config_file,
        )
    return primary


def primary_benchmark(benchmarks: dict[str, pd.DataFrame]) -> str:
    """The benchmark the pack monitors: ``benchmark`` when so named, else the first in the file."""
    return "benchmark" if "benchmark" in benchmarks else next(iter(benchmarks))


def read_benchmark(path: Path, known: pd.Index) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """benchmark_weights.csv -> the primary benchmark's effective_date x ticker weights, notes.

    See :func:`read_benchmarks` (all benchmarks) and :func:`primary_benchmark`.
    """
    panels, notes = read_benchmarks(path, known)
    return panels[primary_benchmark(panels)], notes


def read_transactions(path: Path, securities: pd.DataFrame) -> pd.DataFrame:
    """transactions.csv -> validated ledger sorted by date (stable), with ``row``.

    BUY/SELL: ticker known, shares > 0, price > 0. DEPOSIT/WITHDRAWAL/FEE: amount in ``price``
    (> 0), shares blank, ticker blank or CASH. DIVIDEND: amount in ``price``, ticker = the paying
    fund (must be priced on ``close``: a fund valued on adj_close already carries its
    distributions). ``fees`` >= 0 (blank = 0). No SELL beyond the shares held at that point.
    """
    path = Path(path)
    df = read_table(path, ("date", "ticker", "action", "shares", "price", "fees"))
    df["date"] = parse_dates(df, "date", path)
    df["action"] = df["action"].str.upper()
    first_bad_row(
        df,
        ~df["action"].isin(ACTIONS),
        path,
        lambda r: f"action {r['action']!r} is not one of {', '.join(ACTIONS)}",
        column="action",
    )
    df["ticker"] = df["ticker"].str.upper()
    check_ticker_format(df, df["ticker"], path, blank_ok=True)
    check_not_future(df, df["date"], path)
    shares = parse_numbers(df, "shares", path, blank_ok=True)
    price = parse_numbers(df, "price", path, blank_ok=True)
    fees = parse_numbers(df, "fees", path, blank_ok=True).fillna(0.0)
    trade = df["action"].isin(TRADE_ACTIONS)
    first_bad_row(
        df, trade & (df["ticker"] == ""), path, "BUY/SELL needs a ticker", column="ticker"
    )
    check_known(df[trade], df.loc[trade, "ticker"], securities.index.drop(CASH), path)
    first_bad_row(
        df,
        trade & ~(shares > 0),
        path,
        lambda r: f"{r['action']} shares must be a positive number, got {r['shares']!r}",
        column="shares",
    )
    first_bad_row(
        df,
        ~(price > 0),
        path,
        lambda r: f"{r['action']} price/amount must be a positive number, got {r['price']!r}",
        column="price",
    )
    first_bad_row(
        df,
        fees < 0,
        path,
        lambda r: f"fees {r['fees']} must not be negative",
        column="fees",
    )
    cashlike = df["action"].isin(CASH_ACTIONS)
    first_bad_row(
        df,
        cashlike & shares.notna(),
        path,
        lambda r: f"{r['action']} takes its amount in price; leave shares blank",
        column="shares",
    )
    div = df["action"] == "DIVIDEND"
    first_bad_row(
        df,
        div & (df["ticker"].isin(["", CASH])),
        path,
        "DIVIDEND needs the paying fund's ticker",
        column="ticker",
    )
    check_known(df[div], df.loc[div, "ticker"], securities.index.drop(CASH), path)
    adj_priced = securities.index[securities["price_field"] == "adj_close"]
    first_bad_row(
        df,
        div & df["ticker"].isin(adj_priced),
        path,
        "DIVIDEND booked for a fund valued on adj_close (its distributions are already "
        "in the price)",
        column="ticker",
    )
    other = df["action"].isin(["DEPOSIT", "WITHDRAWAL", "FEE"])
    first_bad_row(
        df,
        other & ~df["ticker"].isin(["", CASH]),
        path,
        lambda r: f"{r['action']} ticker must be blank or CASH, got {r['ticker']!r}",
        column="ticker",
    )
    df.loc[other, "ticker"] = CASH

    ledger = (
        pd.DataFrame(
            {
                "date": df["date"],
                "ticker": df["ticker"],
                "action": df["action"],
                "shares": shares,
                "price": price,
                "fees": fees,
                "row": df["row"],
            }
        )
        .sort_values("date", kind="stable")
        .reset_index(drop=True)
    )

    # sells beyond holdings: running position per ticker in ledger order
    signed = np.where(
        ledger["action"] == "BUY",
        ledger["shares"],
        np.where(ledger["action"] == "SELL", -ledger["shares"], 0.0),
    )
    running = pd.Series(signed).groupby(ledger["ticker"]).cumsum()
    oversold = (ledger["action"] == "SELL") & (running < -1e-9)
    first_bad_row(
        ledger.assign(held=running + ledger["shares"]),
        oversold,
        path,
        lambda r: (
            f"SELL of {fmt_number(r['shares'])} shares on {r['date'].date()} exceeds the "
            f"{fmt_number(r['held'])} shares held"
        ),
        exc=InputError,
    )
    return ledger


# --------------------------------------------------------------------------- the book
def absent_panel(index: pd.Index, columns: pd.Index) -> pd.DataFrame:
    """An all-NaN read-only date x ticker panel that takes no memory (a broadcast NaN).

    The panel of an optional prices.csv column the file does not have: every operation
    reads it as NaN; writing into it fails (it is read-only, as every Book frame is).
    """
    grid = np.broadcast_to(np.float64(np.nan), (len(index), len(columns)))
    return pd.DataFrame(grid, index=index, columns=columns, copy=False)


def _panels(prices: pd.DataFrame, cols: list[str]) -> dict[str, pd.DataFrame]:
    """Date x ticker panels of ``cols`` (NaN where a pair has no row), both axes sorted.

    Each is the frame ``prices.pivot(index="date", columns="ticker", values=col)`` (the
    (date, ticker) pairs are unique: ``read_prices`` checked), built by scattering the values
    at positions factorised once for all columns (no hashing of (date, ticker) pairs).
    """
    d_codes, dates = pd.factorize(prices["date"], sort=True)
    t_codes, tickers = pd.factorize(prices["ticker"], sort=True)
    index = pd.DatetimeIndex(dates, name="date")
    columns = pd.Index(tickers, name="ticker")
    out = {}
    for col in cols:
        # date-major, the memory layout pandas' pivot gives: the same floating-point
        # summation order downstream (a ticker-major grid changes last digits, ~1e-13)
        grid = np.full((len(dates), len(tickers)), np.nan)
        grid[d_codes, t_codes] = prices[col].to_numpy(float)
        out[col] = pd.DataFrame(grid, index=index, columns=columns, copy=False)
    return out


def load_book(
    data_dir: str | Path = "data",
    primary: str | None = None,
    *,
    config_file: str | Path | None = None,
    prices: pd.DataFrame | None = None,
) -> Book:
    """Load and validate every input file of ``data_dir`` into a frozen :class:`Book`.

    Parameters
    ----------
    data_dir : str or Path
        The input folder (docs/formats.md, input folder).
    primary : str, optional
        ``benchmarks.primary`` of the rules file: the benchmark ``book.benchmark`` holds
        (checked with :func:`choose_primary`). None keeps :func:`primary_benchmark`.
    config_file : path, optional
        The rules file, named in a primary-benchmark error.
    prices : DataFrame or None
        ``read_prices(data_dir / "prices.csv")`` already read (a batch worker's cache of a
        shared prices file); None reads it. Only read, never modified.

    Returns
    -------
    Book
        Every input, validated; its frames are read-only.

    Raises
    ------
    InputError
        A missing or bad file, naming file, spreadsheet row, ticker and column.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(f"data folder {data_dir} does not exist")
    files = {k: data_dir / v for k, v in FILES.items()}
    sec = read_security_master(files["security_master"])
    if prices is None:
        prices = read_prices(files["prices"])
    known = sec.index
    dur_table = read_duration_table(files["durations"], known)
    benchmarks, notes = read_benchmarks(files["benchmark"], known)
    ledger = read_transactions(files["transactions"], sec)

    present = [c for c in OHLV_COLUMNS if c in prices.columns]
    panels = _panels(prices, ["close", "adj_close", *present])
    close, adj = panels.pop("close"), panels.pop("adj_close")
    on_adj = [t for t in sec.index[sec["price_field"] == "adj_close"] if t in adj.columns]
    if on_adj:
        close[on_adj] = adj[on_adj]
    unmapped = sorted(set(close.columns) - set(known))
    if unmapped:
        notes.append(
            (
                "WARN",
                "unmapped tickers",
                f"{len(unmapped)} ticker(s) in prices.csv are not in security_master.csv "
                f"and are ignored: {', '.join(unmapped[:8])}"
                + (" ..." if len(unmapped) > 8 else ""),
            )
        )
        close = close.drop(columns=unmapped)
        adj = adj.drop(columns=unmapped)
    # optional open/high/low/volume: same shape as close, all NaN when the file lacks the column
    ohlv = {
        col: (
            panels[col].reindex(index=close.index, columns=close.columns)
            if col in panels
            else absent_panel(close.index, close.columns)
        )
        for col in OHLV_COLUMNS
    }
    # every traded/dividend ticker needs a price series
    traded = ledger.loc[ledger["ticker"] != CASH, "ticker"]
    no_price = traded[~traded.isin(close.columns)]
    if not no_price.empty:
        r = ledger.loc[no_price.index[0]]
        raise DataGapError(
            "ticker has no prices in prices.csv",
            file=files["transactions"],
            row=int(r["row"]),
            ticker=r["ticker"],
        )
    for panel in benchmarks.values():
        bench_no_price = [t for t in panel.columns if t not in close.columns]
        if bench_no_price:
            raise DataGapError(
                "benchmark ticker has no prices in prices.csv",
                file=files["benchmark"],
                ticker=bench_no_price[0],
            )
    durations = _month_panel(dur_table, "duration")
    name = (
        choose_primary(benchmarks, primary, config_file=config_file)
        if primary is not None
        else primary_benchmark(benchmarks)
    )
    krd_path = data_dir / KEY_RATES_FILE
    key_rates = read_key_rates(krd_path, known) if krd_path.is_file() else None
    if key_rates is not None:
        files["key_rates"] = krd_path
    empirical = _month_panel(dur_table, "empirical_duration").reindex_like(durations)
    return Book(
        data_dir=data_dir,
        securities=sec,
        close=close,
        adj_close=adj,
        durations=durations,
        benchmark=benchmarks[name],
        transactions=ledger,
        files=files,
        notes=tuple(notes),
        open=ohlv["open"],
        high=ohlv["high"],
        low=ohlv["low"],
        volume=ohlv["volume"],
        convexity=_month_panel(dur_table, "convexity").reindex_like(durations),
        benchmarks=benchmarks,
        benchmark_name=name,
        key_rates=key_rates,
        empirical_durations=None if empirical.isna().all().all() else empirical,
    )
