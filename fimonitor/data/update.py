"""Refresh ``prices.csv`` from a market-data source: plan, validate, merge, replace atomically.

The update never damages the file: everything is decided in memory, and the new file is
written next to the old one and swapped in with :func:`os.replace` only when the download
passed every check. On any failure the file is left byte-for-byte as it was.

Rules (the command's documented behaviour)
------------------------------------------
* Tickers: ``--tickers`` or every ticker of ``security_master.csv`` and
  ``benchmark_weights.csv`` (``CASH`` excluded).
* Start: ``--start`` or, per ticker, the day after its last stored row (a ticker with no
  stored row starts at the file's first date). The download also asks for the last stored
  date itself, as an *anchor*: Yahoo's ``Adj Close`` is re-based at every new distribution, so
  the new ``adj_close`` values are scaled by ``stored / downloaded`` on the anchor date; daily
  returns across the join are then right. The anchor row itself is never rewritten.
* End: ``--end`` or :func:`default_end` — today once New York is past 18:00, else
  yesterday, so the intraday price Yahoo shows during the session never lands in the file.
* Merge: history is kept; only (date, ticker) rows not in the file are added. A downloaded
  value that differs from the stored one on an existing row is reported and the stored value
  kept, unless ``replace_overlap`` (then the stored value is replaced; a blank download never
  blanks a stored value).
* Validation: no zero, negative or non-finite price, no duplicate (date, ticker); a gap of
  more than 7 calendar days between consecutive dates of a ticker is reported as a note.
* Failures: nothing downloaded, a downloader exception after the retries, or any requested
  ticker with no price (unknown ticker, Yahoo error, missing or all-NaN column) raise
  :class:`~fimonitor.errors.DownloadError`; with ``allow_partial`` the missing tickers are
  reported and the others written.
* Format: the header, column order, line ending and every existing line are kept as they
  are; new rows use ISO dates, blanks for missing values and numbers rounded to the decimals
  the column already uses but at least 4 (close) / 6 (adj_close), written in their shortest
  form (``82.8``, ``107.0``) like the bundled file; rows stay sorted the way the file was
  sorted (by ticker then date, or by date then ticker).
* OHLCV: when the header has any of ``open, high, low, volume``, new rows carry Yahoo's
  ``Open, High, Low, Volume`` in those columns (blank where Yahoo has none; ``volume`` as a
  whole number unless the column already uses decimals), checked by the same rules as the
  file (:func:`fimonitor.data.tables.check_price_values`: finite, not negative). Yahoo's raw
  open/high/low are split-adjusted as of the download, like ``close``, and are stored as
  returned for the new dates only: stored rows are never rewritten, so after a later split
  the old rows keep their pre-split scale. A header without those columns gets exactly its
  own columns.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fimonitor.data import sources
from fimonitor.data.tables import (
    check_columns,
    check_price_values,
    read_table,
    spreadsheet_rows,
    validate_prices,
)
from fimonitor.errors import DownloadError, InputError, SchemaError
from fimonitor.fileio import atomic_write_text

logger = logging.getLogger(__name__)

PRICES_FILE = "prices.csv"
PRICE_COLUMNS: tuple[str, ...] = ("close", "adj_close")
#: optional columns filled for new rows when the file's header has them
OHLCV_COLUMNS: tuple[str, ...] = sources.OHLCV_COLUMNS
GAP_DAYS = 7
#: fewest decimals written per column (Yahoo's float32 noise starts around the 6th digit)
_MIN_DECIMALS = {"close": 4, "adj_close": 6, "open": 4, "high": 4, "low": 4, "volume": 0}
_MAX_DECIMALS = 10


@dataclass(frozen=True)
class PriceFile:
    """``prices.csv`` as text lines plus the parsed key and price columns.

    Attributes
    ----------
    rows : pd.DataFrame
        One row per data line, in file order: ``line`` (the raw text, without newline),
        ``date`` (datetime64), ``ticker`` (str), ``close``/``adj_close`` (float, NaN where
        blank; ``adj_close`` all NaN when the file has no such column) and the raw text of
        every file column under ``raw:<column>``.
    order : str
        ``"ticker"`` (sorted by ticker then date), ``"date"`` (by date then ticker) or
        ``"none"``.
    decimals : dict[str, int]
        Decimals written for new values: the most the column already uses, but at least
        4 for ``close`` (and ``open, high, low``), 6 for ``adj_close`` and 0 for ``volume``
        (at most 10).
    """

    path: Path
    header: tuple[str, ...]
    header_line: str
    newline: str
    trailing_newline: bool
    rows: pd.DataFrame
    order: str
    decimals: dict[str, int]
    sha256: str


@dataclass(frozen=True)
class UpdateReport:
    """What :func:`update_prices` did.

    Attributes
    ----------
    added : pd.DataFrame
        The rows added, ``date, ticker, close, adj_close`` (after re-basing ``adj_close``),
        plus the file's ``open, high, low, volume`` columns when its header has them.
    replaced : pd.DataFrame
        ``date, ticker, column, stored, downloaded`` for stored values that were replaced
        (only with ``replace_overlap``).
    differences : pd.DataFrame
        Same columns: downloaded values that differ from stored ones and were *not* applied.
    missing : dict[str, str]
        Tickers with no price in the answer and why (only non-empty with ``allow_partial``).
    up_to_date : tuple[str, ...]
        Tickers whose start lies after the end date, so nothing was asked for them.
    notes : tuple[str, ...]
        One-line notes for the user: gaps, tickers without an anchor date.
    written : bool
        True when ``prices.csv`` was replaced.
    """

    path: Path
    tickers: tuple[str, ...]
    added: pd.DataFrame
    replaced: pd.DataFrame
    differences: pd.DataFrame
    missing: dict[str, str] = field(default_factory=dict)
    up_to_date: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    written: bool = False
    attempts: int = 0


# ----------------------------------------------------------------------------- reading


def read_price_file(path: str | Path) -> PriceFile:
    """Read ``prices.csv`` keeping every line's text, and validate what the merge relies on.

    Raises
    ------
    InputError
        The file is missing or not UTF-8.
    SchemaError
        A required column (``date, ticker, close``) is missing, a line has the wrong number
        of fields, a date is not ``YYYY-MM-DD``, a price is not a number, or a (date, ticker)
        pair repeats, through :func:`fimonitor.data.tables.validate_prices` (the checks of
        ``pack``). The message names the file and the spreadsheet row (header = row 1).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError("file not found", file=path) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=path) from exc
    newline = "\r\n" if "\r\n" in text[: text.find("\n") + 1 or len(text)] else "\n"
    lines = text.split(newline)
    trailing = bool(lines) and lines[-1] == ""
    if trailing:
        lines = lines[:-1]
    if not lines or not lines[0].strip():
        raise SchemaError(
            "empty file; expected the header date,ticker,close[,adj_close]", file=path
        )
    header = tuple(h.strip().lstrip("\ufeff") for h in next(csv.reader([lines[0]])))
    check_columns(header, ("date", "ticker", "close"), path)
    body = [ln for ln in lines[1:] if ln.strip()]
    fields = list(csv.reader(body))
    widths = np.fromiter((len(f) for f in fields), dtype=int, count=len(fields))
    bad = np.flatnonzero(widths != len(header))
    if bad.size:
        raise SchemaError(
            f"{widths[bad[0]]} fields, expected {len(header)}",
            file=path,
            row=int(spreadsheet_rows(len(widths))[bad[0]]),
        )
    raw = pd.DataFrame(fields, columns=[f"raw:{c}" for c in header], dtype=object)
    cells = pd.DataFrame({c: raw[f"raw:{c}"].str.strip() for c in header})
    cells["row"] = spreadsheet_rows(len(cells))
    checked = validate_prices(cells, path)  # the pack's checks and row numbers
    rows = pd.DataFrame({"line": pd.Series(body, dtype=object)})
    rows["ticker"] = cells["ticker"].astype(object)
    rows["date"] = checked["date"]
    decimals: dict[str, int] = {}
    for col in PRICE_COLUMNS:
        rows[col] = checked[col] if col in header else np.nan
    for col in (*PRICE_COLUMNS, *(c for c in OHLCV_COLUMNS if c in header)):
        used = 0
        if col in header:
            frac = cells[col].str.extract(r"^[-+]?\d*\.(\d+)$", expand=False).str.len()
            used = int(frac.max()) if frac.notna().any() else 0
        decimals[col] = min(max(used, _MIN_DECIMALS[col]), _MAX_DECIMALS)
    rows = pd.concat([rows, raw], axis=1)
    return PriceFile(
        path=path,
        header=header,
        header_line=lines[0],
        newline=newline,
        trailing_newline=trailing,
        rows=rows,
        order=_sort_order(rows),
        decimals=decimals,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _sort_order(rows: pd.DataFrame) -> str:
    """Which key the file is sorted by: ``ticker`` (then date), ``date`` (then ticker), or none."""
    if len(rows) < 2:
        return "ticker"
    t = rows["ticker"].to_numpy(dtype=object)
    d = rows["date"].to_numpy()
    t0, t1, d0, d1 = t[:-1], t[1:], d[:-1], d[1:]
    if np.all((t0 < t1) | ((t0 == t1) & (d0 < d1))):
        return "ticker"
    if np.all((d0 < d1) | ((d0 == d1) & (t0 < t1))):
        return "date"
    return "none"


def default_tickers(data_dir: str | Path) -> list[str]:
    """Tickers of ``security_master.csv`` then ``benchmark_weights.csv`` (CASH left out).

    Raises
    ------
    InputError
        When neither file exists or has a ``ticker`` column with a value.
    """
    data_dir = Path(data_dir)
    found: list[str] = []
    for name in ("security_master.csv", "benchmark_weights.csv"):
        path = data_dir / name
        if not path.exists():
            continue
        frame = read_table(path, ("ticker",))
        found += [t for t in frame["ticker"] if t]
    tickers = [t for t in dict.fromkeys(found) if t.upper() != "CASH"]
    if not tickers:
        raise InputError(
            "no tickers to update: give --tickers or put security_master.csv "
            "(or benchmark_weights.csv) in the data folder",
            file=data_dir / "security_master.csv",
        )
    return tickers


# ----------------------------------------------------------------------------- planning


def plan_starts(
    stored: pd.DataFrame,
    tickers: Sequence[str],
    start: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Per ticker: the last stored date, the first date wanted and the first date to download.

    Returns
    -------
    pd.DataFrame
        Indexed by ticker: ``last_stored`` (NaT if none), ``keep_from`` (first date whose rows
        may be added or compared) and ``fetch_from`` (``min(keep_from, last_stored)``: the
        anchor date is downloaded too).
    """
    last = stored.groupby("ticker")["date"].max().reindex(list(tickers))
    if start is not None:
        keep = pd.Series(pd.Timestamp(start).normalize(), index=last.index)
    else:
        if last.isna().any() and stored.empty:
            raise InputError(
                f"no stored prices for {', '.join(last.index[last.isna()])}: give --start",
                file=PRICES_FILE,
            )
        first = stored["date"].min() if not stored.empty else pd.NaT
        keep = (last + pd.Timedelta(days=1)).fillna(first)
    fetch = pd.concat([keep, last], axis=1).min(axis=1)
    out = pd.DataFrame({"last_stored": last, "keep_from": keep, "fetch_from": fetch})
    out.index.name = "ticker"
    return out


def default_end(now: str | pd.Timestamp | None = None) -> pd.Timestamp:
    """Last date whose close is final: today after 18:00 New York time, else yesterday.

    Yahoo serves the current session's row while the market is open, with an intraday
    price in ``Close``; stopping at yesterday before 18:00 ET keeps it out of the file.
    A tz-naive ``now`` (a date given by the caller) is taken as a finished day.
    """
    if now is not None and pd.Timestamp(now).tz is None:
        return pd.Timestamp(now).normalize()
    ny = (pd.Timestamp(now) if now is not None else pd.Timestamp.now(tz="UTC")).tz_convert(
        "America/New_York"
    )
    day = ny.normalize().tz_localize(None)
    return day if ny.hour >= 18 else day - pd.Timedelta(days=1)


# ----------------------------------------------------------------------------- checks


def validate_download(prices: pd.DataFrame) -> None:
    """Reject an answer with a zero, negative or non-finite price or a repeated (date, ticker).

    ``open, high, low, volume`` (when the frame has them) must be finite and not negative;
    that rule is :func:`fimonitor.data.tables.check_price_values`, the one ``pack`` applies.

    Raises
    ------
    DownloadError
        Naming the ticker, date, column and value of the first bad price.
    """
    dup = prices.duplicated(["date", "ticker"])
    if dup.any():
        r = prices[dup].iloc[0]
        raise DownloadError(
            f"the answer repeats ticker {r['ticker']} on {r['date']:%Y-%m-%d}; prices.csv unchanged"
        )
    for col in PRICE_COLUMNS:
        v = prices[col].to_numpy(dtype=float)
        bad = ~np.isnan(v) & ((v <= 0) | ~np.isfinite(v))
        if bad.any():
            r = prices[bad].iloc[0]
            raise DownloadError(
                f"Yahoo returned {col} {r[col]} for {r['ticker']} on {r['date']:%Y-%m-%d} "
                "(prices must be positive); prices.csv unchanged"
            )
    extra = [c for c in OHLCV_COLUMNS if c in prices.columns]
    if not extra:
        return
    values = prices[extra].to_numpy(dtype=float)
    inf = np.isinf(values)
    if inf.any():
        i, j = np.argwhere(inf)[0]
        r = prices.iloc[i]
        raise DownloadError(
            f"Yahoo returned {extra[j]} {values[i, j]} for {r['ticker']} on {r['date']:%Y-%m-%d} "
            "(must be finite); prices.csv unchanged"
        )
    try:
        check_price_values(prices, "the Yahoo answer")
    except SchemaError as exc:
        bad = prices[(prices[exc.column] < 0).to_numpy()].iloc[0] if exc.column else None
        when = f" on {bad['date']:%Y-%m-%d}" if bad is not None else ""
        raise DownloadError(f"{exc}{when}; prices.csv unchanged") from exc


def gap_notes(dates: pd.DataFrame, max_days: int = GAP_DAYS) -> list[str]:
    """Notes for gaps longer than ``max_days`` calendar days between consecutive dates.

    Parameters
    ----------
    dates : pd.DataFrame
        ``date, ticker`` rows (any order).
    """
    d = dates[["ticker", "date"]].drop_duplicates().sort_values(["ticker", "date"])
    prev = d.groupby("ticker")["date"].shift()
    days = (d["date"] - prev).dt.days
    hit = d[days > max_days].assign(prev=prev[days > max_days], days=days[days > max_days])
    return [
        f"{r.ticker}: no prices between {r.prev:%Y-%m-%d} and {r.date:%Y-%m-%d} "
        f"({int(r.days)} days)"
        for r in hit.itertuples()
    ]


# ----------------------------------------------------------------------------- merging


def _rebase_adj(got: pd.DataFrame, stored: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Scale each ticker's downloaded ``adj_close`` to the stored series on the anchor date."""
    both = got.merge(
        stored[["date", "ticker", "adj_close"]], on=["date", "ticker"], suffixes=("", "_stored")
    )
    both = both.dropna(subset=["adj_close", "adj_close_stored"])
    anchor = both.sort_values("date").groupby("ticker").tail(1).set_index("ticker")
    factor = (anchor["adj_close_stored"] / anchor["adj_close"]).rename("factor")
    got = got.join(factor, on="ticker")
    got["adj_close"] = got["adj_close"] * got["factor"].fillna(1.0)
    has_history = set(stored["ticker"][stored["adj_close"].notna()])
    lost = sorted(set(got["ticker"]) & has_history - set(factor.index))
    notes = [
        f"{t}: no date in common with the stored adj_close; new adj_close kept as downloaded "
        "(the return across the join may be wrong)"
        for t in lost
    ]
    for t, f in factor.items():
        logger.info("%s: adj_close re-based by %.8f on %s", t, f, anchor.loc[t, "date"])
    return got.drop(columns="factor"), notes


def _fmt(values: pd.Series, decimals: int) -> pd.Series:
    """Floats -> text like the file: shortest repr after rounding; blank for NaN.

    At 0 decimals (``volume``) the text is a whole number (``3902185``).
    """
    text = int if decimals == 0 else (lambda x: repr(float(x)))
    return values.round(decimals).map(lambda x: "" if pd.isna(x) else str(text(x)))


def _lines(frame: pd.DataFrame, header: Sequence[str]) -> pd.Series:
    """Render rows (``raw:<column>`` text per file column) as CSV lines."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(frame[[f"raw:{c}" for c in header]].itertuples(index=False, name=None))
    return pd.Series(buf.getvalue().split("\n")[:-1], index=frame.index, dtype=object)


def _differences(over: pd.DataFrame, decimals: dict[str, int], cols: Sequence[str]) -> pd.DataFrame:
    """Downloaded values that differ from stored ones on rows already in the file."""
    parts = []
    for col in cols:
        s, d = over[f"{col}_stored"], over[col]
        tol = np.maximum(10.0 ** -decimals[col], 1e-6 * s.abs())
        diff = d.notna() & (s.isna() | ((d - s).abs() > tol))
        parts.append(
            pd.DataFrame(
                {
                    "date": over["date"][diff],
                    "ticker": over["ticker"][diff],
                    "column": col,
                    "stored": s[diff],
                    "downloaded": d[diff].round(decimals[col]),
                    "_row": over["_row"][diff],
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["ticker", "date", "column"], ignore_index=True)


def _write_atomic(path: Path, text: str, expected_sha256: str) -> None:
    """Replace ``path`` by ``text`` unless the file changed since it was read."""

    def unchanged() -> None:
        if hashlib.sha256(path.read_bytes()).hexdigest() != expected_sha256:
            raise InputError("changed by someone else during the download; run again", file=path)

    atomic_write_text(path, text, check=unchanged)


def update_prices(
    data_dir: str | Path,
    tickers: Sequence[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    *,
    allow_partial: bool = False,
    replace_overlap: bool = False,
    downloader: sources.Downloader | None = None,
    sleep: Callable[[float], None] | None = None,
    attempts: int = 4,
    chunk_size: int = 25,
    progress: bool = False,
    today: str | pd.Timestamp | None = None,
) -> UpdateReport:
    """Download new prices and merge them into ``DATA_DIR/prices.csv`` (see module docstring).

    Parameters
    ----------
    data_dir : path
        Folder holding ``prices.csv`` (and the security master / benchmark for the tickers).
    tickers : sequence of str, optional
        Default :func:`default_tickers`.
    start, end : date-like, optional
        First and last date wanted, inclusive. Default: per ticker the day after its last
        stored date; up to :func:`default_end` (today once New York is past 18:00, else
        yesterday, so an intraday price never lands in the file).
    allow_partial : bool
        Write the tickers that came back even when others are missing.
    replace_overlap : bool
        Replace stored values that differ from the download instead of keeping them.
    downloader, sleep, attempts, chunk_size, progress :
        Passed to :func:`fimonitor.data.sources.fetch_prices`.
    today : date-like or tz-aware timestamp, optional
        "Now" for :func:`default_end`, for tests; default the current time.

    Returns
    -------
    UpdateReport

    Raises
    ------
    DownloadError
        Nothing came back, a downloader kept raising, a ticker is missing (without
        ``allow_partial``) or a downloaded price is invalid. ``prices.csv`` is unchanged.
    InputError
        ``prices.csv`` or the ticker files are malformed.
    """
    data_dir = Path(data_dir)
    pf = read_price_file(data_dir / PRICES_FILE)
    names = list(dict.fromkeys(str(t).strip() for t in (tickers or default_tickers(data_dir))))
    if any(not t or t.upper() == "CASH" for t in names):
        raise InputError("CASH and empty names are not market tickers", ticker="CASH")
    stored = pf.rows
    has_adj = "adj_close" in pf.header
    price_cols = [c for c in PRICE_COLUMNS if c in pf.header]
    ohlcv_cols = [c for c in OHLCV_COLUMNS if c in pf.header]

    plan = plan_starts(stored, names, start)
    stop = pd.Timestamp(end).normalize() if end is not None else default_end(today)
    todo = plan[plan["keep_from"] <= stop]
    up_to_date = tuple(t for t in names if t not in todo.index)

    frames, failures, calls = [], {}, 0
    for fetch_from, group in todo.groupby("fetch_from", sort=True):
        result = sources.fetch_prices(
            list(group.index),
            fetch_from,
            stop,
            downloader=downloader,
            attempts=attempts,
            sleep=sleep,
            chunk_size=chunk_size,
            progress=progress,
            ohlcv=bool(ohlcv_cols),
        )
        frames.append(result.prices)
        failures.update(result.failures)
        calls += result.attempts
    got = pd.concat(frames or [sources.empty_prices(ohlcv=bool(ohlcv_cols))], ignore_index=True)
    wanted = list(todo.index)

    if wanted and got.empty:
        raise DownloadError(
            "download failed, prices.csv unchanged: " + sources.describe_failures(failures, wanted)
        )
    if failures and not allow_partial:
        raise DownloadError(
            "partial answer, prices.csv unchanged: "
            + sources.describe_failures(failures, wanted)
            + " (--allow-partial writes the other tickers)"
        )
    got = got[got["date"] <= stop]
    validate_download(got)
    notes: list[str] = []
    if has_adj:
        got, anchor_notes = _rebase_adj(got, stored)
        notes += anchor_notes

    got = got.join(plan["keep_from"], on="ticker")
    got = got[got["date"] >= got["keep_from"]].drop(columns="keep_from")
    stored_keys = stored[["date", "ticker", *PRICE_COLUMNS]].assign(_row=np.arange(len(stored)))
    merged = got.merge(stored_keys, on=["date", "ticker"], how="left", suffixes=("", "_stored"))
    is_new = merged["_row"].isna()
    new = merged[is_new][["date", "ticker", "close", "adj_close", *ohlcv_cols]]
    new = new[new[price_cols].notna().any(axis=1)].reset_index(drop=True)
    diffs = _differences(merged[~is_new], pf.decimals, price_cols)

    out_rows = stored
    if replace_overlap and not diffs.empty:
        out_rows = stored.copy()
        for col in price_cols:
            d = diffs[diffs["column"] == col]
            idx = d["_row"].astype(int).to_numpy()
            out_rows.loc[out_rows.index[idx], f"raw:{col}"] = _fmt(
                d["downloaded"], pf.decimals[col]
            ).to_numpy()
        touched = out_rows.index[diffs["_row"].astype(int).unique()]
        out_rows.loc[touched, "line"] = _lines(out_rows.loc[touched], pf.header)
    replaced = (
        diffs.drop(columns="_row") if replace_overlap else diffs.drop(columns="_row").iloc[:0]
    )
    kept = diffs.drop(columns="_row").iloc[:0] if replace_overlap else diffs.drop(columns="_row")

    # gaps: from each ticker's last stored date through the new rows
    last_rows = plan["last_stored"].dropna().rename("date").reset_index()
    notes += gap_notes(pd.concat([last_rows[last_rows["ticker"].isin(new["ticker"])], new]))

    report = dict(
        path=pf.path,
        tickers=tuple(names),
        added=new,
        replaced=replaced,
        differences=kept,
        missing=dict(failures),
        up_to_date=up_to_date,
        notes=tuple(notes),
        attempts=calls,
    )
    if new.empty and replaced.empty:
        return UpdateReport(**report, written=False)

    add = pd.DataFrame({f"raw:{c}": "" for c in pf.header}, index=new.index)
    add["raw:date"] = new["date"].dt.strftime("%Y-%m-%d")
    add["raw:ticker"] = new["ticker"].astype(str)
    for col in (*price_cols, *ohlcv_cols):
        add[f"raw:{col}"] = _fmt(new[col], pf.decimals[col])
    add = add.assign(line=_lines(add, pf.header), date=new["date"], ticker=new["ticker"])

    both = pd.concat(
        [
            out_rows[["line", "date", "ticker"]].assign(_src=0),
            add[["line", "date", "ticker"]].assign(_src=1),
        ],
        ignore_index=True,
    )
    if pf.order == "ticker":
        both = both.sort_values(["ticker", "date"], kind="stable")
    elif pf.order == "date":
        both = both.sort_values(["date", "ticker"], kind="stable")
    else:
        both = both.sort_values(["_src", "date", "ticker"], kind="stable")
    text = pf.newline.join([pf.header_line, *both["line"]])
    if pf.trailing_newline:
        text += pf.newline
    _write_atomic(pf.path, text, pf.sha256)
    logger.info("wrote %s: %d rows added, %d values replaced", pf.path, len(new), len(replaced))
    return UpdateReport(**report, written=True)
