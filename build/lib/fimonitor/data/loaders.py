"""Read and validate the input folder (CONTRACT §2). The only code that reads inputs.

Every problem raises an :class:`~fimonitor.errors.InputError` subclass naming the file, the row
(the line number as a spreadsheet shows it: header = row 1) and/or ticker, and what is wrong.
Checks are vectorised: the first offending row is reported.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from fimonitor.data.book import CASH, Book, set_read_only
from fimonitor.errors import DataGapError, InputError, SchemaError

log = logging.getLogger(__name__)

FILES = {
    "security_master": "security_master.csv",
    "prices": "prices.csv",
    "durations": "duration_monthly.csv",
    "benchmark": "benchmark_weights.csv",
    "transactions": "transactions.csv",
}
ACTIONS = ("BUY", "SELL", "DEPOSIT", "WITHDRAWAL", "DIVIDEND", "FEE")
TRADE_ACTIONS = ("BUY", "SELL")
CASH_ACTIONS = ("DEPOSIT", "WITHDRAWAL", "DIVIDEND", "FEE")
TRUE_WORDS = {"true", "1", "yes", "y", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "f"}
# weights are accepted when they sum to 1 or 100 within this relative tolerance and are then
# renormalised (reported as a data-quality note when the sum is off by more than 1e-9)
WEIGHT_SUM_TOL = 0.005


# --------------------------------------------------------------------------- helpers
def _read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """Read a CSV as strings, check the required columns; adds ``row`` (header = row 1)."""
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SchemaError(f"cannot be parsed as CSV ({exc})", file=path) from exc
    except pd.errors.EmptyDataError as exc:
        raise SchemaError("file is empty (expected a header row)", file=path) from exc
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise SchemaError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(df.columns)}", file=path
        )
    df = df.apply(lambda s: s.str.strip())
    df["row"] = np.arange(2, len(df) + 2)
    return df


def _first(df: pd.DataFrame, mask: pd.Series | np.ndarray) -> pd.Series | None:
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return None
    return df.iloc[int(np.argmax(mask))]


def _fail_first(df, mask, path, problem, *, column=None, exc=SchemaError, fmt=None):
    bad = _first(df, mask)
    if bad is not None:
        ticker = bad.get("ticker") or None
        msg = problem if fmt is None else fmt(bad)
        raise exc(msg, file=path, row=int(bad["row"]), ticker=ticker, column=column)


def _dates(df: pd.DataFrame, col: str, path: Path, fmt: str = "%Y-%m-%d") -> pd.Series:
    parsed = pd.to_datetime(df[col], format=fmt, errors="coerce")
    _fail_first(
        df,
        parsed.isna(),
        path,
        None,
        column=col,
        fmt=lambda r: (
            f"{col} {r[col]!r} is not a date ({'YYYY-MM' if fmt == '%Y-%m' else 'YYYY-MM-DD'})"
        ),
    )
    return parsed.astype("datetime64[ns]")


def _numbers(df: pd.DataFrame, col: str, path: Path, *, blank_ok: bool) -> pd.Series:
    raw = df[col]
    num = pd.to_numeric(raw.where(raw != "", None), errors="coerce").astype(float)
    bad = num.isna() & (raw != "") | ~np.isfinite(num.fillna(0.0))
    _fail_first(df, bad, path, None, column=col, fmt=lambda r: f"{col} {r[col]!r} is not a number")
    if not blank_ok:
        _fail_first(df, num.isna(), path, f"{col} is blank", column=col)
    return num


def _tickers(df: pd.DataFrame, path: Path) -> pd.Series:
    t = df["ticker"].str.upper()
    _fail_first(df, t == "", path, "ticker is blank", column="ticker")
    return t


def _unknown(df: pd.DataFrame, tickers: pd.Series, known: pd.Index, path: Path) -> None:
    mask = ~tickers.isin(known)
    _fail_first(
        df.assign(ticker=tickers),
        mask,
        path,
        None,
        fmt=lambda r: (
            "ticker is not in security_master.csv (add it there with its group and rating)"
        ),
    )


def _duplicates(df: pd.DataFrame, keys: list[str], path: Path, what: str) -> None:
    dup = df.duplicated(keys, keep="first")
    _fail_first(
        df,
        dup,
        path,
        None,
        fmt=lambda r: f"duplicate {what} ({', '.join(str(r[k]) for k in keys)})",
    )


# --------------------------------------------------------------------------- files
def read_security_master(path: Path) -> pd.DataFrame:
    """security_master.csv -> frame indexed by ticker (CASH row added)."""
    path = Path(path)
    df = _read_csv(path, ("ticker", "name", "group", "sector", "rating_bucket", "is_cash_proxy"))
    df["ticker"] = _tickers(df, path)
    _fail_first(
        df,
        df["ticker"] == CASH,
        path,
        "CASH is built in (the ledger's cash); do not list it",
        column="ticker",
    )
    _duplicates(df, ["ticker"], path, "ticker")
    _fail_first(df, df["group"] == "", path, "group is blank", column="group")
    flag = df["is_cash_proxy"].str.lower()
    _fail_first(
        df,
        ~flag.isin(TRUE_WORDS | FALSE_WORDS),
        path,
        None,
        column="is_cash_proxy",
        fmt=lambda r: f"is_cash_proxy {r['is_cash_proxy']!r} is not true/false",
    )
    df["is_cash_proxy"] = flag.isin(TRUE_WORDS)
    if "price_field" in df.columns:
        pf = df["price_field"].str.lower().replace("", "close")
        _fail_first(
            df,
            ~pf.isin(["close", "adj_close"]),
            path,
            None,
            column="price_field",
            fmt=lambda r: f"price_field {r['price_field']!r} must be close or adj_close",
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
            "rating_bucket": "AAA",
            "is_cash_proxy": True,
            "price_field": "close",
        },
        index=pd.Index([CASH], name="ticker"),
    )
    return pd.concat([out, cash])


def read_prices(path: Path) -> pd.DataFrame:
    """prices.csv -> long frame ``date, ticker, close, adj_close`` (floats, NaN where blank).

    ``adj_close`` equals ``close`` when the file has no adj_close column. Prices must be > 0.
    A row with neither price is an error; duplicate (date, ticker) is an error.
    """
    path = Path(path)
    fast = _read_prices_fast(path)
    if fast is not None:
        df, close, adj = fast
    else:  # a value does not parse: the string path finds and names the first bad row
        df = _read_csv(path, ("date", "ticker", "close"))
        df["ticker"] = _tickers(df, path)
        close = _numbers(df, "close", path, blank_ok=True)
        has_adj = "adj_close" in df.columns
        adj = _numbers(df, "adj_close", path, blank_ok=True) if has_adj else close.copy()
    df["date"] = _dates(df, "date", path)
    for col, s in (("close", close), ("adj_close", adj)):
        _fail_first(
            df, s <= 0, path, None, column=col, fmt=lambda r, c=col: f"{c} {r[c]} must be positive"
        )
    _fail_first(
        df, close.isna() & adj.isna(), path, "close (and adj_close) is blank", column="close"
    )
    _duplicates(df, ["date", "ticker"], path, "date/ticker")
    return pd.DataFrame(
        {
            "date": df["date"],
            "ticker": df["ticker"],
            "close": close,
            "adj_close": adj,
            "row": df["row"],
        }
    )


def _read_prices_fast(path: Path):
    """Parse prices.csv with numeric dtypes (fast); None when some value does not parse."""
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        head = pd.read_csv(path, nrows=0, dtype=str)
    except pd.errors.EmptyDataError as exc:
        raise SchemaError("file is empty (expected a header row)", file=path) from exc
    cols = [str(c).strip() for c in head.columns]
    if not {"date", "ticker", "close"} <= set(cols) or cols != list(head.columns):
        return None
    dtypes = {"date": "category", "ticker": "category", "close": float}
    if "adj_close" in cols:
        dtypes["adj_close"] = float
    try:
        df = pd.read_csv(
            path,
            usecols=list(dtypes),
            dtype=dtypes,
            keep_default_na=False,
            na_values={"close": [""], "adj_close": [""]},
        )
    except (ValueError, pd.errors.ParserError):
        return None
    close = df["close"].astype(float)
    if not np.isfinite(close.fillna(0.0)).all():
        return None
    adj = df["adj_close"].astype(float) if "adj_close" in df else close.copy()
    if not np.isfinite(adj.fillna(0.0)).all():
        return None
    # normalise the few distinct labels, then expand by code (fast on millions of rows)
    for col, fix in (
        ("ticker", lambda s: s.str.strip().str.upper()),
        ("date", lambda s: s.str.strip()),
    ):
        cat = df[col].cat
        labels = np.asarray(fix(pd.Series(cat.categories.astype(str))), dtype=object)
        codes = cat.codes.to_numpy()
        df[col] = pd.Series(
            np.where(codes >= 0, labels[np.clip(codes, 0, None)], ""), index=df.index, dtype=object
        )
    df["row"] = np.arange(2, len(df) + 2)
    _fail_first(df, df["ticker"] == "", path, "ticker is blank", column="ticker")
    return df, close, adj


def read_durations(path: Path, known: pd.Index) -> pd.DataFrame:
    """duration_monthly.csv -> month-start date x ticker panel (years)."""
    path = Path(path)
    df = _read_csv(path, ("month", "ticker", "duration"))
    df["ticker"] = _tickers(df, path)
    month = _dates(df, "month", path, fmt="%Y-%m")
    dur = _numbers(df, "duration", path, blank_ok=False)
    _fail_first(
        df,
        (dur < -5) | (dur > 60),
        path,
        None,
        column="duration",
        fmt=lambda r: f"duration {r['duration']} years is outside -5..60",
    )
    _unknown(df, df["ticker"], known, path)
    _duplicates(
        df.assign(month=month.dt.strftime("%Y-%m")), ["month", "ticker"], path, "month/ticker"
    )
    panel = pd.DataFrame({"month": month, "ticker": df["ticker"], "duration": dur}).pivot(
        index="month", columns="ticker", values="duration"
    )
    panel.index.name = "month"
    return panel.sort_index()


def read_benchmark(path: Path, known: pd.Index) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """benchmark_weights.csv -> effective_date x ticker weights (fractions) and notes.

    Weights may be fractions (sum 1) or percentages (sum 100) per effective date; a sum off by
    more than 0.5 % is an error, a smaller difference is renormalised and noted.
    """
    path = Path(path)
    df = _read_csv(path, ("ticker", "weight"))
    df["ticker"] = _tickers(df, path)
    w = _numbers(df, "weight", path, blank_ok=False)
    _fail_first(
        df, w < 0, path, None, column="weight", fmt=lambda r: f"weight {r['weight']} is negative"
    )
    _unknown(df, df["ticker"], known, path)
    if "effective_date" in df.columns and (df["effective_date"] != "").any():
        blank = df["effective_date"] == ""
        _fail_first(
            df,
            blank,
            path,
            "effective_date is blank (fill it on every row or none)",
            column="effective_date",
        )
        eff = _dates(df, "effective_date", path)
    else:
        eff = pd.Series(pd.Timestamp("1900-01-01"), index=df.index)
    df["eff"] = eff
    _duplicates(df, ["eff", "ticker"], path, "effective_date/ticker")
    sums = w.groupby(eff).sum()
    notes: list[tuple[str, str, str]] = []
    scale = pd.Series(np.nan, index=sums.index)
    for target in (1.0, 100.0):
        ok = (sums - target).abs() <= WEIGHT_SUM_TOL * target
        scale[ok & scale.isna()] = sums[ok]
    if scale.isna().any():
        bad_date = scale.index[scale.isna()][0]
        first = df[df["eff"] == bad_date].iloc[0]
        when = "" if bad_date.year == 1900 else f" for effective_date {bad_date.date()}"
        raise InputError(
            f"weights sum to {sums[bad_date]:.6g}{when}; expected 1 (fractions) or 100 (percent)",
            file=path,
            row=int(first["row"]),
        )
    for d, s in sums.items():
        target = 100.0 if abs(s - 100.0) <= WEIGHT_SUM_TOL * 100 else 1.0
        if abs(s - target) > 1e-9 * target:
            when = "" if d.year == 1900 else f" ({d.date()})"
            notes.append(
                (
                    "WARN",
                    "benchmark weights renormalised",
                    f"benchmark weights{when} summed to {s:.6g}, rescaled to 1",
                )
            )
    panel = (
        pd.DataFrame({"eff": eff, "ticker": df["ticker"], "w": w / eff.map(scale).to_numpy()})
        .pivot(index="eff", columns="ticker", values="w")
        .fillna(0.0)
        .sort_index()
    )
    panel.index.name = "effective_date"
    return panel, notes


def read_transactions(path: Path, securities: pd.DataFrame) -> pd.DataFrame:
    """transactions.csv -> validated ledger sorted by date (stable), with ``row``.

    BUY/SELL: ticker known, shares > 0, price > 0. DEPOSIT/WITHDRAWAL/FEE: amount in ``price``
    (> 0), shares blank, ticker blank or CASH. DIVIDEND: amount in ``price``, ticker = the paying
    fund (must be priced on ``close``: a fund valued on adj_close already carries its
    distributions). ``fees`` >= 0 (blank = 0). No SELL beyond the shares held at that point.
    """
    path = Path(path)
    df = _read_csv(path, ("date", "ticker", "action", "shares", "price", "fees"))
    df["date"] = _dates(df, "date", path)
    df["action"] = df["action"].str.upper()
    _fail_first(
        df,
        ~df["action"].isin(ACTIONS),
        path,
        None,
        column="action",
        fmt=lambda r: f"action {r['action']!r} is not one of {', '.join(ACTIONS)}",
    )
    df["ticker"] = df["ticker"].str.upper()
    shares = _numbers(df, "shares", path, blank_ok=True)
    price = _numbers(df, "price", path, blank_ok=True)
    fees = _numbers(df, "fees", path, blank_ok=True).fillna(0.0)
    trade = df["action"].isin(TRADE_ACTIONS)
    _fail_first(df, trade & (df["ticker"] == ""), path, "BUY/SELL needs a ticker", column="ticker")
    _unknown(df[trade], df.loc[trade, "ticker"], securities.index.drop(CASH), path)
    _fail_first(
        df,
        trade & ~(shares > 0),
        path,
        None,
        column="shares",
        fmt=lambda r: f"{r['action']} shares must be a positive number, got {r['shares']!r}",
    )
    _fail_first(
        df,
        ~(price > 0),
        path,
        None,
        column="price",
        fmt=lambda r: f"{r['action']} price/amount must be a positive number, got {r['price']!r}",
    )
    _fail_first(
        df,
        fees < 0,
        path,
        None,
        column="fees",
        fmt=lambda r: f"fees {r['fees']} must not be negative",
    )
    cashlike = df["action"].isin(CASH_ACTIONS)
    _fail_first(
        df,
        cashlike & shares.notna(),
        path,
        None,
        column="shares",
        fmt=lambda r: f"{r['action']} takes its amount in price; leave shares blank",
    )
    div = df["action"] == "DIVIDEND"
    _fail_first(
        df,
        div & (df["ticker"].isin(["", CASH])),
        path,
        "DIVIDEND needs the paying fund's ticker",
        column="ticker",
    )
    _unknown(df[div], df.loc[div, "ticker"], securities.index.drop(CASH), path)
    adj_priced = securities.index[securities["price_field"] == "adj_close"]
    _fail_first(
        df,
        div & df["ticker"].isin(adj_priced),
        path,
        "DIVIDEND booked for a fund valued on adj_close (its distributions are already "
        "in the price)",
        column="ticker",
    )
    other = df["action"].isin(["DEPOSIT", "WITHDRAWAL", "FEE"])
    _fail_first(
        df,
        other & ~df["ticker"].isin(["", CASH]),
        path,
        None,
        column="ticker",
        fmt=lambda r: f"{r['action']} ticker must be blank or CASH, got {r['ticker']!r}",
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
    bad = _first(ledger, oversold)
    if bad is not None:
        held = running[oversold.to_numpy()].iloc[0] + bad["shares"]
        raise InputError(
            f"SELL of {bad['shares']:g} shares on {bad['date'].date()} exceeds the "
            f"{held:g} shares held",
            file=path,
            row=int(bad["row"]),
            ticker=bad["ticker"],
        )
    return ledger


# --------------------------------------------------------------------------- the book
def _panel(prices: pd.DataFrame, col: str) -> pd.DataFrame:
    panel = prices.pivot(index="date", columns="ticker", values=col).sort_index()
    panel.index.name = "date"
    panel.columns.name = "ticker"
    return panel


def load_book(data_dir: str | Path = "data") -> Book:
    """Load and validate every input file of ``data_dir`` into a frozen :class:`Book`."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(f"data folder {data_dir} does not exist")
    files = {k: data_dir / v for k, v in FILES.items()}
    sec = read_security_master(files["security_master"])
    prices = read_prices(files["prices"])
    known = sec.index
    durations = read_durations(files["durations"], known)
    benchmark, notes = read_benchmark(files["benchmark"], known)
    ledger = read_transactions(files["transactions"], sec)

    close = _panel(prices, "close")
    adj = _panel(prices, "adj_close")
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
    bench_no_price = [t for t in benchmark.columns if t not in close.columns]
    if bench_no_price:
        raise DataGapError(
            "benchmark ticker has no prices in prices.csv",
            file=files["benchmark"],
            ticker=bench_no_price[0],
        )
    return Book(
        data_dir=data_dir,
        securities=sec,
        close=set_read_only(close),
        adj_close=set_read_only(adj),
        durations=set_read_only(durations),
        benchmark=set_read_only(benchmark),
        transactions=ledger,
        files=files,
        notes=tuple(notes),
    )
