"""The API's reader protocol: one function per endpoint over the history database.

Every reader takes an open :class:`~fimonitor.store.engine.Store` (from :func:`connect`) and
validated parameters and returns a :class:`pandas.DataFrame` of JSON-ready columns (ISO date
strings, floats, ints, text); the app pages it. The rows come from the store's public readers
(:mod:`fimonitor.store.read`, SQLAlchemy Core ``select()`` over :mod:`fimonitor.store.schema`,
never SQL built from strings); this is the only module of :mod:`fimonitor.api` that knows the
store. A portfolio, as-of or ticker that is not stored raises :class:`NotFound` (the app answers
404); a stored snapshot without rows of some kind gives an empty frame.

Units as in the store and the pack CSVs: weights are fractions, returns fractions, money in
currency units, durations in years, DV01 in currency per basis point, dates ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from fimonitor.errors import InputError
from fimonitor.results import POSITION_COLUMNS
from fimonitor.store import read
from fimonitor.store.engine import Store, open_store
from fimonitor.store.rows import PERFORMANCE_KEYS

SEVERITIES = ("WARN", "BREACH")
#: Correlation window shown when the request names none (the pack's page-3 look-back).
DEFAULT_WINDOW = "1Y"


class NotFound(LookupError):
    """A portfolio, snapshot or ticker that the history database does not hold."""


def connect(db_url: str) -> Store:
    """Open the history database at ``db_url`` (a missing SQLite file is an InputError).

    An older schema is migrated in place, as every read-only command of fimonitor does.
    """
    return open_store(db_url, create=False)


def sqlite_file(store: Store) -> Path | None:
    """The SQLite file behind ``store`` (None for a server database or ``:memory:``)."""
    url = sa.make_url(store.url)
    if url.drivername.startswith("sqlite") and url.database not in (None, "", ":memory:"):
        return Path(url.database)
    return None


def _iso(df: pd.DataFrame, *cols: str, stamp: bool = False) -> pd.DataFrame:
    """Datetime columns as ISO strings (dates, or ``YYYY-MM-DDTHH:MM:SS`` with ``stamp``)."""
    fmt = "%Y-%m-%dT%H:%M:%S" if stamp else "%Y-%m-%d"
    for c in cols:
        if c in df.columns:
            s = pd.to_datetime(df[c])
            df[c] = s.dt.strftime(fmt).astype(object).where(s.notna(), None)
    return df


# --- portfolios and snapshots -------------------------------------------------------------


def portfolios(store: Store) -> pd.DataFrame:
    """``name, last_as_of``: every portfolio with a stored snapshot, by name."""
    df = read.portfolios(store)
    out = df[["portfolio_id", "last_as_of"]].rename(columns={"portfolio_id": "name"})
    return _iso(out.reset_index(drop=True), "last_as_of")


def portfolio_exists(store: Store, name: str) -> bool:
    """Whether ``name`` has at least one stored snapshot."""
    return bool((read.portfolios(store)["portfolio_id"] == name).any())


def require_snapshot(store: Store, name: str, as_of: dt.date | None) -> None:
    """Raise :class:`NotFound` unless ``name`` has a snapshot on ``as_of`` (None: any)."""
    if as_of is None:
        return
    if read.performance_history(store, name, as_of, as_of).empty:
        raise NotFound(f"No snapshot of {name!r} as of {as_of.isoformat()} is stored.")


SNAPSHOT_FIELDS = ("as_of", *PERFORMANCE_KEYS)


def snapshots(
    store: Store, portfolio: str, date_from: dt.date | None, date_to: dt.date | None
) -> pd.DataFrame:
    """The summary per stored as-of (``portfolio_summary.csv`` numbers), oldest first.

    ``n_breach``/``n_warn`` are integers (null when not recorded).
    """
    df = read.performance_history(store, portfolio, date_from, date_to)
    out = df[list(SNAPSHOT_FIELDS)].copy()
    for c in ("n_breach", "n_warn"):
        out[c] = out[c].astype("Int64").astype(object).where(out[c].notna(), None)
    return _iso(out, "as_of")


# --- one snapshot ---------------------------------------------------------------------------

POSITION_FIELDS = tuple(POSITION_COLUMNS)


def positions(store: Store, portfolio: str, as_of: dt.date | None) -> pd.DataFrame:
    """``today_positions.csv`` rows of the snapshot on ``as_of`` (default: the latest)."""
    require_snapshot(store, portfolio, as_of)
    df = read.positions(store, portfolio, as_of)
    return _iso(df[["as_of", *POSITION_FIELDS]].reset_index(drop=True), "as_of")


def alerts(
    store: Store,
    portfolio: str,
    date_from: dt.date | None,
    date_to: dt.date | None,
    severity: str | None,
    rule: str | None,
) -> pd.DataFrame:
    """``alerts.csv`` rows of every snapshot in ``[from, to]`` (by as-of), oldest first."""
    df = read.alerts(store, portfolio, date_from, date_to, severity, rule)
    cols = ["as_of", "date", "rule", "ticker", "value", "limit", "severity"]
    return _iso(df[cols].reset_index(drop=True), "as_of", "date")


def risk(store: Store, portfolio: str, as_of: dt.date | None) -> pd.DataFrame:
    """``risk_metrics.csv`` rows ``as_of, metric, value, text_value`` (default: latest as-of).

    ``value`` is the number (null for a text metric such as ``risk_level``, whose text is in
    ``text_value``).
    """
    require_snapshot(store, portfolio, as_of)
    df = read.risk(store, portfolio, as_of)
    return _iso(df[["as_of", "metric", "value", "text_value"]].reset_index(drop=True), "as_of")


def performance(store: Store, portfolio: str, as_of: dt.date | None) -> pd.DataFrame:
    """``performance.csv`` rows (period returns) on ``as_of`` (default: the latest).

    Columns ``as_of, period, start, end, portfolio_return, benchmark_return, active_return``
    (returns as fractions over ``(start, end]``).
    """
    require_snapshot(store, portfolio, as_of)
    df = read.performance(store, portfolio, as_of)
    cols = ["as_of", "period", "start", "end", "portfolio_return", "benchmark_return"]
    out = df[[*cols, "active_return"]].reset_index(drop=True)
    return _iso(out, "as_of", "start", "end")


def attribution(
    store: Store, portfolio: str, period: str | None, as_of: dt.date | None = None
) -> pd.DataFrame:
    """``attribution.csv`` rows on ``as_of`` (default: the latest), one period or all.

    ``period`` matches case-insensitively (``ytd`` = ``YTD``).
    """
    require_snapshot(store, portfolio, as_of)
    df = read.attribution(store, portfolio, as_of, period.upper() if period else None)
    return _iso(df.drop(columns=["portfolio_id"]).reset_index(drop=True), "as_of")


def benchmarks(store: Store, portfolio: str, as_of: dt.date | None = None) -> pd.DataFrame:
    """``benchmarks.csv`` rows on ``as_of`` (default: the latest); ``is_primary`` a boolean."""
    require_snapshot(store, portfolio, as_of)
    df = read.benchmarks(store, portfolio, as_of).drop(columns=["portfolio_id"])
    df["is_primary"] = df["is_primary"].astype(bool)
    return _iso(df.reset_index(drop=True), "as_of")


# --- correlations -----------------------------------------------------------------------------


def correlation_windows(store: Store, portfolio: str, as_of: dt.date | None) -> pd.DataFrame:
    """``as_of, window, n_tickers, n_observations`` of the matrices stored on ``as_of``."""
    require_snapshot(store, portfolio, as_of)
    df = read.correlation_windows(store, portfolio, as_of)
    return _iso(df[["as_of", "window", "n_tickers", "n_observations"]].copy(), "as_of")


def pick_window(stored: pd.DataFrame, window: str | None) -> str:
    """The correlation window to serve.

    ``window`` upper-cased when given; else ``1Y`` when stored (or nothing is), else the last
    window stored on that as-of (the longest).
    """
    if window:
        return window.upper()
    names = [str(w) for w in stored["window"]]
    if DEFAULT_WINDOW in names or not names:
        return DEFAULT_WINDOW
    return names[-1]


def correlations(
    store: Store, portfolio: str, as_of: dt.date | None, window: str
) -> tuple[pd.DataFrame, list[str]]:
    """The ``window`` matrix on ``as_of`` (default latest) as pairs, and its ticker order.

    Rows ``as_of, window, ticker_1, ticker_2, correlation, p_value``: the upper triangle
    (``i < j`` in matrix order), so ``n(n−1)/2`` rows for ``n`` tickers. Values are the stored
    float32 numbers widened to float (≈7 significant digits); ``p_value`` null when the pack
    stored none. A window not stored on that as-of gives no rows.
    """
    wins = correlation_windows(store, portfolio, as_of)
    hit = wins[wins["window"] == window]
    cols = ["as_of", "window", "ticker_1", "ticker_2", "correlation", "p_value"]
    if hit.empty:
        return pd.DataFrame(columns=cols), []
    day = hit["as_of"].iloc[0]
    corr = read.correlations(store, portfolio, day, window)
    try:
        pv = read.correlations(store, portfolio, day, window, p_values=True).to_numpy(float)
    except InputError:  # the pack stored no p-values for this window
        pv = None
    i, j = np.triu_indices(len(corr), 1)
    tickers = [str(t) for t in corr.columns]
    names = np.asarray(tickers, dtype=object)
    out = pd.DataFrame(
        {
            "as_of": day,
            "window": window,
            "ticker_1": names[i],
            "ticker_2": names[j],
            "correlation": corr.to_numpy(float)[i, j],
            "p_value": pv[i, j] if pv is not None else np.nan,
        }
    )
    return out[cols], tickers


def top_pairs(store: Store, portfolio: str, as_of: dt.date | None, window: str) -> pd.DataFrame:
    """The strongest pairs of the ``window`` matrix on ``as_of`` (default: the latest).

    Columns ``rank, ticker_1, ticker_2, correlation, p_value`` (full precision; rank 1 =
    largest ``|correlation|``).
    """
    require_snapshot(store, portfolio, as_of)
    df = read.top_pairs(store, portfolio, as_of, window)
    return df[["rank", "ticker_1", "ticker_2", "correlation", "p_value"]].reset_index(drop=True)


def rolling_correlations(
    store: Store, portfolio: str, as_of: dt.date | None, window: str | None
) -> pd.DataFrame:
    """Each holding's rolling correlation with the portfolio on ``as_of`` (default: latest).

    Rows ``as_of, window, date, ticker, correlation`` (``window`` ``20d``/``60d``, any case;
    default both), by window, date, then ticker in the stored order; values are the stored
    float32 numbers widened to float (null where undefined).
    """
    require_snapshot(store, portfolio, as_of)
    df = read.rolling_correlations(store, portfolio, as_of, window)
    df = df.drop(columns=["portfolio_id"]).reset_index(drop=True)
    return _iso(df, "as_of", "date")


# --- events, targets, assets ----------------------------------------------------------------

EVENT_FIELDS = (
    "id",
    "event_date",
    "event_type",
    "scenario",
    "status",
    "n_orders",
    "traded_notional",
    "cost",
    "tax_impact",
    "inputs",
    "pre_state",
    "post_state",
    "orders",
    "recorded_at",
)
ORDER_FIELDS = ("line", "date", "ticker", "side", "shares", "price", "notional", "reason")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) and value else None


def rebalancing_events(store: Store, portfolio: str, status: str | None) -> pd.DataFrame:
    """Stored rebalancing events, oldest first, each with its orders (``rebalancing_orders``).

    ``inputs``, ``pre_state``, ``post_state`` are the stored JSON objects (a pack's
    proposal: ``post_state`` = its ``rebalance_summary.csv`` row); ``orders`` a list of
    ``line, date, ticker, side, shares, price, notional, reason`` (+ any extra columns).
    """
    ev = read.read_table(store, "rebalancing_events", portfolio_id=portfolio)
    if status is not None:
        ev = ev[ev["status"] == status]
    ev = ev.sort_values(["event_date", "id"], kind="stable").reset_index(drop=True)
    for c in ("inputs", "pre_state", "post_state"):
        ev[c] = [_json(v) for v in ev[c]]
    orders = read.event_orders(store, [int(i) for i in ev["id"]]) if len(ev) else None
    by_event: dict[int, list[dict]] = {}
    if orders is not None and len(orders):
        orders = _iso(orders, "date")
        extras = [_json(v) or {} for v in orders["extra"]]
        base = orders[list(ORDER_FIELDS)].astype(object)
        base = base.where(base.notna(), None)
        for eid, rec, extra in zip(
            orders["event_id"], base.to_dict("records"), extras, strict=True
        ):
            by_event.setdefault(int(eid), []).append({**rec, **extra})
    ev["orders"] = [by_event.get(int(i), []) for i in ev["id"]]
    return _iso(_iso(ev, "event_date")[list(EVENT_FIELDS)], "recorded_at", stamp=True)


def allocations(store: Store, portfolio: str) -> pd.DataFrame:
    """Target allocations with bounds of one portfolio.

    Columns ``ticker_or_group, target_weight, min_weight, max_weight, rebalance_threshold,
    frequency, active, source, updated_at`` (weights as fractions; ``updated_at`` UTC
    ``YYYY-MM-DDTHH:MM:SS``).
    """
    df = read.allocations(store, portfolio).drop(columns=["portfolio_id"])
    return _iso(df.reset_index(drop=True), "updated_at", stamp=True)


def asset_metrics(
    store: Store, ticker: str, date_from: dt.date | None, date_to: dt.date | None
) -> pd.DataFrame:
    """``asset_metrics.csv`` rows of one ticker in ``[from, to]``, oldest first.

    A ticker with no stored metrics and in no stored portfolio is :class:`NotFound`.
    """
    df = read.asset_metrics(store, ticker, date_from, date_to)
    if df.empty and (date_from is not None or date_to is not None):
        known = not read.asset_metrics(store, ticker).empty
    else:
        known = not df.empty
    if not known and not (read.positions(store)["ticker"] == ticker).any():
        raise NotFound(f"No asset {ticker!r} is stored.")
    return _iso(df.reset_index(drop=True), "date")


# --- the dashboard --------------------------------------------------------------------------


def dashboard_history(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the dashboard needs: (snapshots, alerts) of every portfolio.

    ``snapshots``: ``portfolio, as_of, n_breach, n_warn, duration_gap, market_value``;
    ``alerts``: ``portfolio, as_of, rule, ticker, value, limit, severity``.
    """
    perf = read.performance_history(store)
    snaps = perf[["portfolio_id", "as_of", "n_breach", "n_warn", "duration_gap", "market_value"]]
    snaps = snaps.rename(columns={"portfolio_id": "portfolio"})
    snaps = snaps.sort_values(["portfolio", "as_of"], kind="stable").reset_index(drop=True)
    al = read.alerts(store)
    al = al[["portfolio_id", "as_of", "rule", "ticker", "value", "limit", "severity"]]
    al = al.rename(columns={"portfolio_id": "portfolio"})
    al = al.sort_values(["portfolio", "as_of"], kind="stable").reset_index(drop=True)
    return _iso(snaps, "as_of"), _iso(al, "as_of")
