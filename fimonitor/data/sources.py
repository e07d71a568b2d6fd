"""Market-data sources: daily closes from Yahoo Finance through yfinance.

The one network-facing function is :func:`fetch_prices`; :func:`download_prices` is its
simple form that returns only the prices. Both take an injectable ``downloader`` with the
call signature of :func:`yfinance.download`, so tests pass a fake and never touch the network.

What yfinance 1.7 does, and how it is handled here
--------------------------------------------------
* ``yf.download(tickers, auto_adjust=False, actions=False, group_by="column")`` returns a frame
  indexed by ``Date`` (tz-naive for daily data) with MultiIndex columns ``(Price, Ticker)``;
  ``Price`` is one of ``Adj Close, Close, High, Low, Open, Volume``. ``Close`` is the
  split-adjusted but not dividend-adjusted close; ``Adj Close`` the split- and
  dividend-adjusted (total-return) close.
* It does **not raise** when the network is down, a ticker is unknown or Yahoo rate-limits:
  it logs the failure on the ``yfinance`` logger and returns all-NaN columns for that ticker
  (offline: an empty frame). The failures are therefore read from that logger, which is
  silenced while a download runs so the command line shows one line, not yfinance's noise.
* A downloader that raises is treated as a transient error and retried with exponential
  back-off; so are per-ticker failures that look transient (rate limit, timeout, HTTP 5xx).
"""

from __future__ import annotations

import ast
import logging
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fimonitor.errors import DownloadError

logger = logging.getLogger(__name__)

Downloader = Callable[..., pd.DataFrame]
"""Anything called like ``yfinance.download(tickers, start=..., end=..., **options)``."""

LONG_COLUMNS: tuple[str, ...] = ("date", "ticker", "close", "adj_close")
#: optional long columns (``ohlcv=True``) and the yfinance fields they come from
OHLCV_COLUMNS: tuple[str, ...] = ("open", "high", "low", "volume")
OHLCV_FIELDS: tuple[str, ...] = ("Open", "High", "Low", "Volume")

#: keyword arguments passed to the downloader on every call
YF_OPTIONS: dict[str, Any] = {
    "auto_adjust": False,  # keep 'Close' unadjusted and get 'Adj Close' as its own column
    "actions": False,
    "progress": False,  # fimonitor draws its own bar over chunks
    "group_by": "column",  # columns (Price, Ticker)
    "multi_level_index": True,  # same shape for one ticker as for many
    "threads": True,
}

# Failure kinds, in the order they are reported.
NETWORK = "no network"
UNKNOWN = "unknown or delisted ticker"
TRANSIENT = "transient Yahoo error"
ERROR = "Yahoo error"
NO_DATA = "no prices returned"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        NETWORK,
        re.compile(
            r"could not resolve|dnserror|name or service not known|name resolution|"
            r"network is unreachable|connection refused|failed to establish|no route to host|"
            r"curl: \(6\)|curl: \(7\)",
            re.I,
        ),
    ),
    (
        TRANSIENT,
        re.compile(
            r"rate limit|too many requests|timed out|timeout|curl: \(28\)|"
            r"\b50[0234]\b|connection reset|temporarily unavailable",
            re.I,
        ),
    ),
    (
        UNKNOWN,
        re.compile(
            r"delisted|no timezone found|quote not found|symbol may be|not found|\b404\b", re.I
        ),
    ),
)

_LIST_MSG = re.compile(r"^\s*(\[[^\]]*\])\s*:\s*(.*)$", re.S)  # "['TLT', 'SPY']: DNSError(...)"
_ONE_MSG = re.compile(r"Failed to get ticker '([^']+)' reason:\s*(.*)$", re.S)
_DOLLAR_MSG = re.compile(r"^\$([^:\s]+):\s*(.*)$", re.S)  # "$ZZZZ: possibly delisted; ..."


@dataclass(frozen=True)
class FetchResult:
    """What one :func:`fetch_prices` call brought back.

    Attributes
    ----------
    prices : pd.DataFrame
        Long frame ``date`` (datetime64, midnight), ``ticker`` (str, as requested), ``close``
        (unadjusted close, float, NaN where Yahoo had none), ``adj_close`` (split- and
        dividend-adjusted close, float). Rows where both prices are NaN are dropped.
    failures : dict[str, str]
        ``ticker -> "<kind>: <detail>"`` for every requested ticker with no price at all,
        kind one of ``no network``, ``unknown or delisted ticker``, ``transient Yahoo error``,
        ``Yahoo error``, ``no prices returned``.
    attempts : int
        Number of downloader calls made (retries included).
    """

    prices: pd.DataFrame
    failures: dict[str, str] = field(default_factory=dict)
    attempts: int = 0


def empty_prices(*, ohlcv: bool = False) -> pd.DataFrame:
    """Return an empty long price frame with the right columns (``ohlcv``: also OHLCV)."""
    floats = ("close", "adj_close", *(OHLCV_COLUMNS if ohlcv else ()))
    return pd.DataFrame(
        {
            "date": pd.Series([], dtype="datetime64[ns]"),
            "ticker": pd.Series([], dtype=object),
            **{c: pd.Series([], dtype=float) for c in floats},
        }
    )


def default_downloader(tickers: Sequence[str], **kwargs: Any) -> pd.DataFrame:
    """Call :func:`yfinance.download` (looked up at call time, so tests can replace it)."""
    import yfinance  # imported here: it adds its own warning filters on first import

    with warnings.catch_warnings():
        # yfinance 1.7 uses pandas' deprecated ``inplace=``; not the user's concern
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="yfinance")
        return yfinance.download(list(tickers), **kwargs)


def parse_yfinance_frame(
    raw: pd.DataFrame | None, tickers: Sequence[str], *, ohlcv: bool = False
) -> pd.DataFrame:
    """Turn a ``yfinance.download`` answer into the long price frame.

    Parameters
    ----------
    raw : pd.DataFrame or None
        Index: dates (tz-aware or naive). Columns: MultiIndex ``(Price, Ticker)`` (the
        ``group_by="column"`` layout) or ``(Ticker, Price)`` (``group_by="ticker"``), or flat
        ``Close, Adj Close, ...`` when exactly one ticker was requested.
    tickers : sequence of str
        The requested tickers. Yahoo answers in upper case; the result uses the spelling
        requested. Columns for tickers that were not requested are ignored.
    ohlcv : bool
        Also keep Yahoo's ``Open, High, Low, Volume`` as ``open, high, low, volume``.

    Returns
    -------
    pd.DataFrame
        Columns ``date, ticker, close, adj_close`` (see :class:`FetchResult`), plus ``open,
        high, low, volume`` with ``ohlcv`` (float, NaN where Yahoo had none or the answer has
        no such field), sorted by ticker then date. ``close`` is Yahoo's ``Close``,
        ``adj_close`` its ``Adj Close``; ``open/high/low`` are Yahoo's raw (split- but not
        dividend-adjusted, like ``Close``) prices and ``volume`` its share volume.

    Raises
    ------
    DownloadError
        When the frame has no ``Close`` or no ``Adj Close`` column (e.g. it was downloaded
        with ``auto_adjust=True``, which drops the unadjusted close).
    """
    if raw is None or raw.shape[0] == 0 or raw.shape[1] == 0:
        return empty_prices(ohlcv=ohlcv)
    by_upper = {str(t).upper(): str(t) for t in tickers}
    cols = raw.columns
    if isinstance(cols, pd.MultiIndex):
        if cols.nlevels != 2:
            raise DownloadError(f"unexpected yfinance column levels: {list(cols.names)}")
        level = 0 if "Close" in set(cols.get_level_values(0)) else 1
        fields = set(cols.get_level_values(level))
        _require_fields(fields)
        close = raw.xs("Close", axis=1, level=level)
        adj = raw.xs("Adj Close", axis=1, level=level)
    else:
        level = None
        _require_fields(set(cols))
        if len(tickers) != 1:
            raise DownloadError(
                f"yfinance answer has flat columns but {len(tickers)} tickers were requested"
            )
        close = raw[["Close"]].set_axis([str(tickers[0])], axis=1)
        adj = raw[["Adj Close"]].set_axis([str(tickers[0])], axis=1)

    index = pd.DatetimeIndex(raw.index)
    if index.tz is not None:
        index = index.tz_localize(None)  # keep the exchange's local calendar date
    index = index.normalize().astype("datetime64[ns]")
    parts = [_to_long(_requested(close, by_upper, index), "close")]
    parts.append(_to_long(_requested(adj, by_upper, index), "adj_close"))
    if ohlcv:
        for name, col in zip(OHLCV_FIELDS, OHLCV_COLUMNS, strict=True):
            wide = _ohlcv_field(raw, name, level, tickers)
            if wide is not None:
                parts.append(_to_long(_requested(wide, by_upper, index), col))
    long = pd.concat(parts, axis=1, join="outer").reset_index()
    long = long.dropna(subset=["close", "adj_close"], how="all")
    if long.empty:
        return empty_prices(ohlcv=ohlcv)
    long["ticker"] = long["ticker"].astype(object)
    columns = [*LONG_COLUMNS, *(OHLCV_COLUMNS if ohlcv else ())]
    long = long.reindex(columns=columns)  # an OHLCV field absent from the answer: NaN
    return long.sort_values(["ticker", "date"], ignore_index=True)


def _requested(
    wide: pd.DataFrame, by_upper: dict[str, str], index: pd.DatetimeIndex
) -> pd.DataFrame:
    """Keep the requested tickers' columns, named as requested, on the normalised dates."""
    names = [by_upper.get(str(c).upper()) for c in wide.columns]
    keep = [i for i, n in enumerate(names) if n is not None]
    return wide.iloc[:, keep].set_axis([names[i] for i in keep], axis=1).set_axis(index)


def _ohlcv_field(
    raw: pd.DataFrame, name: str, level: int | None, tickers: Sequence[str]
) -> pd.DataFrame | None:
    """One of yfinance's ``Open/High/Low/Volume`` as a wide frame, None when absent."""
    if level is None:  # flat columns: one ticker
        return raw[[name]].set_axis([str(tickers[0])], axis=1) if name in raw.columns else None
    if name not in set(raw.columns.get_level_values(level)):
        return None
    return raw.xs(name, axis=1, level=level)


def _require_fields(fields: set[Any]) -> None:
    missing = [f for f in ("Close", "Adj Close") if f not in fields]
    if missing:
        raise DownloadError(
            f"yfinance answer has no {' or '.join(repr(m) for m in missing)} column "
            f"(got {sorted(map(str, fields))}); download with auto_adjust=False"
        )


def _to_long(wide: pd.DataFrame, name: str) -> pd.Series:
    wide = wide.apply(pd.to_numeric, errors="coerce").astype(float)
    wide.columns = pd.Index([str(c) for c in wide.columns], name="ticker")
    wide.index.name = "date"
    long = wide.reset_index().melt(id_vars="date", var_name="ticker", value_name=name)
    return long.set_index(["date", "ticker"])[name]


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.messages.append(record.getMessage())
        except Exception:  # a bad log record must not break a download
            self.messages.append(str(record.msg))


@contextmanager
def _quiet_yfinance() -> Iterator[list[str]]:
    """Collect the ``yfinance`` logger's warnings/errors instead of printing them."""
    yf_logger = logging.getLogger("yfinance")
    handler = _Capture()
    propagate = yf_logger.propagate
    yf_logger.addHandler(handler)
    yf_logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"yfinance(\..*)?")
            yield handler.messages
    finally:
        yf_logger.removeHandler(handler)
        yf_logger.propagate = propagate


def classify(message: str) -> str:
    """Kind of a yfinance failure message: no network, unknown ticker, transient, or error."""
    for kind, pattern in _PATTERNS:
        if pattern.search(message):
            return kind
    return ERROR


def _short(message: str, limit: int = 160) -> str:
    text = " ".join(str(message).split())
    text = re.sub(r"\s*See https?://\S+.*$", "", text)  # curl's "see the docs" tail
    if m := re.match(r"^(\w+)\((['\"])(.*)$", text):  # DNSError('...') -> DNSError: ...
        inner = m.group(3).rstrip("')\"").rstrip()
        text = f"{m.group(1)}: {inner}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _ticker_errors(messages: Sequence[str], tickers: Sequence[str]) -> dict[str, str]:
    """Map each ticker named in yfinance's log messages to its (last) error text."""
    by_upper = {t.upper(): t for t in tickers}
    out: dict[str, str] = {}
    for msg in messages:
        named: list[str] = []
        detail = msg
        if m := _LIST_MSG.match(msg):
            try:
                named = [str(s) for s in ast.literal_eval(m.group(1))]
            except (ValueError, SyntaxError):
                named = []
            detail = m.group(2)
        elif m := _ONE_MSG.search(msg):
            named, detail = [m.group(1)], m.group(2)
        elif m := _DOLLAR_MSG.match(msg.strip()):
            named, detail = [m.group(1)], m.group(2)
        for sym in named:
            if sym.upper() in by_upper:
                out[by_upper[sym.upper()]] = _short(detail)
    return out


def _general_error(messages: Sequence[str]) -> str | None:
    """Return a network-looking message not tied to a ticker (e.g. the cookie/crumb fetch)."""
    for msg in messages:
        if classify(msg) == NETWORK:
            return _short(msg)
    return None


def _pause(seconds: float) -> None:
    """Return the default wait between tries (a module function so tests can replace it)."""
    time.sleep(seconds)


def fetch_prices(
    tickers: Sequence[str],
    start: str | pd.Timestamp,
    end: str | pd.Timestamp | None = None,
    *,
    downloader: Downloader | None = None,
    attempts: int = 4,
    backoff: float = 1.0,
    sleep: Callable[[float], None] | None = None,
    chunk_size: int = 25,
    progress: bool = False,
    ohlcv: bool = False,
) -> FetchResult:
    """Download daily closes for ``tickers`` from ``start`` to ``end`` (both inclusive).

    Parameters
    ----------
    tickers : sequence of str
        Yahoo symbols. Duplicates are dropped, order kept.
    start, end : date-like
        First and last calendar date wanted (``end`` None = up to today). yfinance's own
        ``end`` is exclusive; one day is added here.
    downloader : callable, optional
        Called as ``downloader(chunk, start="YYYY-MM-DD", end="YYYY-MM-DD"|None, **YF_OPTIONS)``
        and returning a yfinance-shaped frame. Default :func:`default_downloader`.
    attempts : int
        Tries per chunk. A downloader exception, or a ticker whose failure looks transient,
        is retried after ``backoff * 2**k`` seconds (1 s, 2 s, 4 s with the defaults).
    sleep : callable, optional
        Waits between tries; default ``time.sleep`` (tests inject a recorder).
    chunk_size : int
        Tickers per downloader call; with more than one chunk and ``progress`` a tqdm bar is
        drawn on stderr.
    ohlcv : bool
        Also return ``open, high, low, volume`` (see :func:`parse_yfinance_frame`).

    Returns
    -------
    FetchResult
        The long prices and, per ticker with no price at all, why.

    Raises
    ------
    DownloadError
        When a chunk still raises after ``attempts`` tries; names the chunk's tickers and
        the last exception.
    """
    if attempts < 1 or chunk_size < 1:
        raise ValueError("attempts and chunk_size must be at least 1")
    call = downloader or default_downloader
    wait = sleep or _pause
    wanted = list(dict.fromkeys(str(t) for t in tickers))
    start_s = pd.Timestamp(start).strftime("%Y-%m-%d")
    end_s = None if end is None else (pd.Timestamp(end) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    chunks = [wanted[i : i + chunk_size] for i in range(0, len(wanted), chunk_size)]

    frames: list[pd.DataFrame] = []
    failures: dict[str, str] = {}
    calls = 0
    bar = _progress(len(chunks), enabled=progress and len(chunks) > 1)
    try:
        offline: str | None = None
        for chunk in chunks:
            if offline is not None:  # no network: do not knock on the door once per chunk
                failures.update(dict.fromkeys(chunk, offline))
                bar.update(1)
                continue
            pending = chunk
            for attempt in range(attempts):
                calls += 1
                try:
                    with _quiet_yfinance() as messages:
                        raw = call(pending, start=start_s, end=end_s, **YF_OPTIONS)
                except Exception as exc:  # any downloader failure is retried
                    logger.info("download of %s failed (try %d): %r", pending, attempt + 1, exc)
                    if attempt + 1 == attempts:
                        raise DownloadError(
                            f"Yahoo error for {', '.join(pending)}: {_short(repr(exc))} "
                            f"(after {attempts} tries)"
                        ) from exc
                    wait(backoff * 2**attempt)
                    continue
                for msg in messages:
                    logger.info("yfinance: %s", _short(msg, 300))
                got = parse_yfinance_frame(raw, pending, ohlcv=ohlcv)
                frames.append(got)
                missing = [t for t in pending if t not in set(got["ticker"])]
                why = _reasons(missing, messages)
                failures.update(why)
                for t in pending:
                    if t not in missing:
                        failures.pop(t, None)
                if missing == pending and all(why[t].startswith(NETWORK) for t in missing):
                    offline = why[missing[0]]
                    break
                retry = [t for t in missing if why[t].startswith(TRANSIENT)]
                if not retry or attempt + 1 == attempts:
                    break
                wait(backoff * 2**attempt)
                pending = retry
            bar.update(1)
    finally:
        bar.close()

    prices = pd.concat(
        [f for f in frames if not f.empty] or [empty_prices(ohlcv=ohlcv)], ignore_index=True
    )
    prices = prices.sort_values(["ticker", "date"], ignore_index=True)
    return FetchResult(prices=prices, failures=failures, attempts=calls)


def _reasons(missing: Sequence[str], messages: Sequence[str]) -> dict[str, str]:
    """Why each missing ticker is missing, from the messages logged during its download.

    When the network failed during the call, yfinance also reports tickers whose time-zone
    lookup failed as "possibly delisted; no timezone found"; those are counted as network
    failures, not unknown tickers.
    """
    per_ticker = _ticker_errors(messages, missing)
    general = next(
        (d for d in per_ticker.values() if classify(d) == NETWORK), _general_error(messages)
    )
    out = {}
    for t in missing:
        detail = per_ticker.get(t) or general
        if not detail:
            out[t] = NO_DATA
            continue
        kind = classify(detail)
        if kind == UNKNOWN and general is not None:
            kind, detail = NETWORK, general
        out[t] = f"{kind}: {detail}"
    return out


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, *, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="downloading", unit="chunk", file=sys.stderr, leave=False)


def download_prices(
    tickers: Sequence[str],
    start: str | pd.Timestamp,
    end: str | pd.Timestamp | None = None,
    *,
    downloader: Downloader | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Daily ``close`` and ``adj_close`` for ``tickers`` as a long frame.

    The simple form of :func:`fetch_prices` (same arguments): returns only the prices and
    raises :class:`DownloadError` when nothing at all came back. Tickers that failed while
    others succeeded are logged and absent from the result; use :func:`fetch_prices` to
    see why.

    Returns
    -------
    pd.DataFrame
        ``date, ticker, close, adj_close`` — see :class:`FetchResult`.
    """
    result = fetch_prices(tickers, start, end, downloader=downloader, **options)
    if result.prices.empty:
        raise DownloadError(describe_failures(result.failures, list(tickers)))
    for t, why in result.failures.items():
        logger.warning("%s: %s", t, why)
    return result.prices


def describe_failures(failures: dict[str, str], tickers: Sequence[str]) -> str:
    """One line naming the failed tickers grouped by what happened."""
    if not failures:
        return f"no prices returned for {', '.join(tickers)}"
    groups: dict[str, list[str]] = {}
    for t, why in failures.items():
        groups.setdefault(why, []).append(t)
    parts = [f"{_names(ts)}: {why}" for why, ts in groups.items()]
    return "; ".join(parts)


def _names(tickers: Sequence[str], limit: int = 8) -> str:
    if len(tickers) <= limit:
        return ", ".join(tickers)
    return f"{', '.join(tickers[:limit])} and {len(tickers) - limit} more"
