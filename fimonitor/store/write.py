"""Writing to the history database: a pack's snapshot, allocation targets, rebalancing events.

Write semantics: :func:`record_pack` runs in ONE transaction (holding the database's writer
lock, see :mod:`fimonitor.store.engine`) that first deletes every row of
``(portfolio_id, as_of)`` and then inserts the new ones, so re-recording an as-of replaces it
(never doubles) and a failure part-way leaves the previous rows untouched. Rows go in through
SQLAlchemy Core ``executemany`` inserts, one per table.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from fimonitor.dates import parse_date
from fimonitor.errors import InputError, StoreError
from fimonitor.store import codec
from fimonitor.store import rows as R
from fimonitor.store import schema as S
from fimonitor.store.engine import Store, now, one_line, open_store
from fimonitor.store.migrations import (
    TOP_PAIRS,
    correlation_matrix_rows,
    rolling_row,
    wide_rolling,
)

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_CORRELATION_WINDOW",
    "record_allocations",
    "record_asset_metrics",
    "record_pack",
    "record_rebalancing_event",
]

#: Window name of a correlation matrix passed without one (0.1's 252-day look-back).
DEFAULT_CORRELATION_WINDOW = "1Y"
_IN_CHUNK = 500  # tickers per IN (...) list when deleting asset metrics


def as_date(value: Any) -> dt.date:
    """Return a date from anything pandas understands; NaT/None is an InputError."""
    return parse_date(value, "date").date()


def _replace_rows(
    conn: sa.Connection, table: sa.Table, where: Iterable[Any], rows: list[dict[str, Any]]
) -> None:
    """Delete the rows matching ``where`` and insert ``rows`` (inside the caller's transaction)."""
    conn.execute(table.delete().where(*where))
    codec.insert_rows(conn, table, rows)


def _correlation_inputs(
    correlations: pd.DataFrame | Mapping[str, Any] | None,
) -> dict[str, Any]:
    if correlations is None:
        return {}
    if isinstance(correlations, pd.DataFrame):
        correlations = {DEFAULT_CORRELATION_WINDOW: correlations}
    out = {}
    for window, frame in correlations.items():
        if frame is not None and not isinstance(frame, pd.DataFrame):  # a CorrelationWindow
            out[str(window)] = frame
            continue
        if frame is None or frame.empty:
            continue
        if {"ticker_1", "ticker_2", "correlation"} <= set(frame.columns):  # long form
            order = pd.unique(frame[["ticker_1", "ticker_2"]].to_numpy().ravel())
            wide = frame.pivot_table(
                index="ticker_1", columns="ticker_2", values="correlation", aggfunc="first"
            ).reindex(index=order, columns=order)
            frame = wide.combine_first(wide.T)
            for t in order:
                frame.loc[t, t] = 1.0
        out[str(window)] = frame
    return out


def _rolling_rows(
    pid: str, day: dt.date, rolling: pd.DataFrame | Mapping[str, pd.DataFrame] | None
) -> list[dict]:
    """One ``asset_rolling_correlations`` row per window (long or date x ticker input)."""
    if rolling is None:
        return []
    if isinstance(rolling, pd.DataFrame):  # long: window, date, ticker, correlation
        if rolling.empty:
            return []
        long = _with_date(rolling, day)
        missing = [c for c in ("window", "ticker", "correlation") if c not in long.columns]
        if missing:
            raise InputError(
                f"rolling_correlations is missing column(s) {', '.join(missing)}; "
                f"it has {', '.join(map(str, long.columns))}"
            )
        long = long.assign(date=pd.to_datetime(long["date"], format="ISO8601"))
        rolling = {str(w): wide_rolling(g) for w, g in long.groupby("window", sort=False)}
    return [
        rolling_row(pid, day, window, wide)
        for window, wide in rolling.items()  # a handful of windows
        if wide is not None and wide.size
    ]


def _split_allocations(
    allocations: pd.DataFrame | None, positions: pd.DataFrame | None
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """0.1 passed each pack's positions as ``allocations``: recognise them by their columns."""
    if allocations is None:
        return None, positions
    if "ticker_or_group" in allocations.columns or "target_weight" in allocations.columns:
        return allocations, positions
    if positions is not None:
        raise InputError(
            "allocations must have columns ticker_or_group,target_weight,... when positions "
            "are given separately"
        )
    return None, allocations


def record_pack(
    url: str | Store,
    *,
    portfolio_id: str,
    as_of: Any,
    performance: Mapping[str, Any] | None = None,
    risk_metrics: pd.DataFrame | None = None,
    alerts: pd.DataFrame | None = None,
    allocations: pd.DataFrame | None = None,
    correlations: pd.DataFrame | Mapping[str, Any] | None = None,
    rebalancing: pd.DataFrame | None = None,
    positions: pd.DataFrame | None = None,
    rebalance_orders: pd.DataFrame | None = None,
    period_returns: pd.DataFrame | None = None,
    daily_returns: pd.DataFrame | pd.Series | None = None,
    attribution: pd.DataFrame | None = None,
    asset_metrics: pd.DataFrame | None = None,
    benchmarks: pd.DataFrame | None = None,
    correlation_p_values: Mapping[str, pd.DataFrame] | None = None,
    correlation_observations: Mapping[str, int] | None = None,
    rolling_correlations: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
    allocations_source: str | None = None,
    n_top_pairs: int = TOP_PAIRS,
) -> None:
    """Record one pack's results for ``(portfolio_id, as_of)``, replacing any earlier record.

    Parameters
    ----------
    url : str or Store
        SQLAlchemy URL (a SQLite file's folder is created) or a store from
        :func:`~fimonitor.store.engine.open_store`.
    portfolio_id : str
        Name of the book (the config's ``portfolio_name``).
    as_of : date-like
        The pack's as-of date.
    performance : dict, optional
        ``portfolio_summary`` numbers: market_value (currency), cash_weight (fraction),
        portfolio_duration, benchmark_duration, duration_gap (years), portfolio_dv01
        (currency per bp), n_breach, n_warn, daily_return (fraction). Other keys are kept as
        JSON in ``extra``.
    risk_metrics : DataFrame, optional
        ``metric, value``; a text value (``risk_level``) is stored in ``text_value``.
    alerts : DataFrame, optional
        ``date, rule, ticker, value, limit, severity``.
    allocations : DataFrame, optional
        Allocation targets ``portfolio_id?, ticker_or_group, target_weight, min_weight,
        max_weight, rebalance_threshold, frequency, active`` (see :func:`record_allocations`).
        A frame with ``today_positions`` columns instead (0.1's call) is stored as positions.
    correlations : DataFrame or {window: DataFrame or CorrelationWindow}, optional
        Ticker x ticker matrices (or long ``ticker_1, ticker_2, correlation``); a bare frame
        is window ``1Y``. Stored compactly (float32), with the strongest ``n_top_pairs``. A
        :class:`~fimonitor.analytics.correlation_windows.CorrelationWindow` (what the pack
        computes) is stored as it is: its condensed bytes, p-values, row count and top pairs.
    rebalancing : DataFrame, optional
        ``rebalance_summary`` rows (+ ``status``, ``est_cost``, optional ``tax_impact``): one
        event per scenario other than PRE (``pending``, or ``infeasible``/``failed``).
    positions : DataFrame, optional
        ``today_positions`` columns.
    rebalance_orders : DataFrame, optional
        ``scenario, ticker, side, shares, price, notional[, reason]``: each scenario's orders.
    period_returns : DataFrame, optional
        ``period, start, end, portfolio_return, benchmark_return, active_return``.
    daily_returns : DataFrame or Series, optional
        ``date, portfolio_return[, benchmark_return, active_return]`` (or a Series indexed by
        date). Stored per ``(portfolio, date)``: the dates it covers are replaced.
    attribution : DataFrame, optional
        ``period, group, portfolio_weight, benchmark_weight, portfolio_return,
        benchmark_return, allocation, selection, interaction, total``.
    asset_metrics : DataFrame, optional
        ``asset_metrics.csv`` columns (``ticker, date, sma_20, …``). Stored per
        ``(ticker, date)``: those rows are replaced, other tickers and dates kept.
    benchmarks : DataFrame, optional
        ``benchmarks.csv`` columns.
    correlation_p_values : {window: DataFrame}, optional
        p-value matrices laid out like the correlation DataFrames.
    correlation_observations : {window: int}, optional
        Number of return rows behind each window's matrix (DataFrames).
    rolling_correlations : DataFrame or {window: DataFrame}, optional
        Each holding's rolling correlation with the portfolio: long ``window, date, ticker,
        correlation`` rows, or {window: date x ticker frame}. Stored as one row per window
        (dates, tickers, float32 date x ticker blob).
    allocations_source : str, optional
        The file the targets came from (stored in ``source``).
    n_top_pairs : int
        Strongest pairs kept per matrix.

    Notes
    -----
    One transaction: delete the ``(portfolio_id, as_of)`` rows of every snapshot table and
    the pack's events (``event_type = 'pack_rebalance'`` on that date, with their orders),
    then insert. Tables not keyed by as-of replace only what the call brings: allocation
    targets (all of the portfolio's, when given), daily returns (the dates given), asset
    metrics (the ticker/date pairs given). Any failure rolls everything back.
    """
    pid = str(portfolio_id)
    day = as_date(as_of)
    stamp = now()
    targets, positions = _split_allocations(allocations, positions)
    corr_rows: list[dict] = []
    top_rows: list[dict] = []
    p_values = dict(correlation_p_values or {})
    n_obs = dict(correlation_observations or {})
    for window, matrix in _correlation_inputs(correlations).items():
        row, top = correlation_matrix_rows(
            pid, day, window, matrix, p_values.get(window), n_obs.get(window), n_top_pairs
        )
        corr_rows.append(row)
        top_rows += top
    plan = [
        (S.portfolio_performance_history, R.performance_rows(pid, day, performance, stamp)),
        (
            S.portfolio_period_returns,
            R.snapshot_rows(R.PERIOD_SPEC, period_returns, pid, day, "performance"),
        ),
        (S.portfolio_risk_metrics, R.risk_rows(pid, day, risk_metrics)),
        (S.alerts, R.alert_rows(pid, day, alerts)),
        (S.portfolio_positions, R.snapshot_rows(R.POSITION_SPEC, positions, pid, day, "positions")),
        (S.asset_correlations, corr_rows),
        (S.correlation_top_pairs, top_rows),
        (S.asset_rolling_correlations, _rolling_rows(pid, day, rolling_correlations)),
        (
            S.portfolio_benchmarks,
            R.snapshot_rows(R.BENCHMARK_SPEC, benchmarks, pid, day, "benchmarks"),
        ),
        (
            S.portfolio_attribution,
            R.snapshot_rows(R.ATTRIBUTION_SPEC, attribution, pid, day, "attribution"),
        ),
    ]
    events = R.pack_events(pid, day, rebalancing, rebalance_orders, stamp)
    daily = R.daily_frame(daily_returns)
    daily_rows = R.snapshot_rows(R.DAILY_SPEC, daily, pid, day, "daily_returns")
    metric_rows = R.snapshot_rows(
        R.ASSET_METRIC_SPEC, _with_date(asset_metrics, day), pid, day, "asset_metrics"
    )
    for r in metric_rows:  # asset metrics belong to the ticker, not the portfolio
        del r["portfolio_id"], r["as_of"]
        r["recorded_at"] = stamp
    target_rows = _target_rows(pid, targets, allocations_source, stamp)

    store = open_store(url)
    try:
        with store.write() as conn:
            for table, rows in plan:
                _replace_rows(
                    conn, table, (table.c.portfolio_id == pid, table.c.as_of == day), rows
                )
            _replace_pack_events(conn, pid, day, events)
            if daily_rows:
                _replace_daily_returns(conn, pid, day, daily_rows)
            if metric_rows:
                _replace_asset_metrics(conn, metric_rows)
            if target_rows is not None:
                pa = S.portfolio_allocations
                _replace_rows(conn, pa, (pa.c.portfolio_id == pid,), target_rows)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"could not record the pack for {pid} {day} in the history database "
            f"(nothing was changed): {type(exc).__name__}: {one_line(exc)}"
        ) from exc
    finally:
        if store is not url:
            store.close()
    log.info("recorded %s %s in %s", pid, day, store.describe())


def _with_date(df: pd.DataFrame | None, day: dt.date) -> pd.DataFrame | None:
    if df is None or len(df) == 0 or "date" in df.columns:
        return df
    return df.assign(date=day)


def _target_rows(
    pid: str, targets: pd.DataFrame | None, source: str | None, stamp: dt.datetime
) -> list[dict] | None:
    if targets is None:
        return None
    frame = R.target_frame(targets, source)
    if "portfolio_id" in frame.columns:
        other = frame["portfolio_id"].astype(str) != pid
        if other.any():
            raise InputError(
                f"allocations for portfolio {pid} hold rows of "
                f"{frame.loc[other, 'portfolio_id'].iloc[0]!r}"
            )
    rows = codec.frame_rows(
        frame, R.TARGET_SPEC, {"portfolio_id": pid, "updated_at": stamp}, "allocations"
    )
    return rows


def _replace_daily_returns(conn: sa.Connection, pid: str, day, rows: list[dict]) -> None:
    """Store a pack's daily returns; a date already written by a later pack keeps that row.

    Each ``(portfolio, date)`` row carries the as-of of the latest pack that covered it,
    whatever order the packs are recorded in (a parallel ``pack --from`` batch records its
    dates as they finish; re-recording an older date does not overwrite a newer pack's
    rows). Rows of this or earlier packs in the range are replaced.
    """
    dr = S.portfolio_daily_returns
    dates = [r["date"] for r in rows]
    in_range = (dr.c.portfolio_id == pid, dr.c.date.between(min(dates), max(dates)))
    newer = {d for (d,) in conn.execute(sa.select(dr.c.date).where(*in_range, dr.c.as_of > day))}
    keep = [r for r in rows if r["date"] not in newer]
    _replace_rows(conn, dr, (*in_range, dr.c.as_of <= day), keep)


def _replace_pack_events(
    conn: sa.Connection,
    pid: str,
    day: dt.date,
    events: list[tuple[dict[str, Any], pd.DataFrame | None]],
) -> None:
    ev, orders = S.rebalancing_events, S.rebalancing_orders
    mine = (ev.c.portfolio_id == pid, ev.c.event_date == day, ev.c.event_type == R.PACK_EVENT_TYPE)
    conn.execute(orders.delete().where(orders.c.event_id.in_(sa.select(ev.c.id).where(*mine))))
    conn.execute(ev.delete().where(*mine))
    _insert_events(conn, events)


def _insert_events(
    conn: sa.Connection, events: list[tuple[dict[str, Any], pd.DataFrame | None]]
) -> list[int]:
    ids: list[int] = []
    order_rows: list[dict] = []
    for row, frame in events:  # a handful of scenarios; orders go in one executemany
        event_id = int(
            conn.execute(S.rebalancing_events.insert().values(**row)).inserted_primary_key[0]
        )
        ids.append(event_id)
        order_rows += R.order_rows(frame, event_id)
    codec.insert_rows(conn, S.rebalancing_orders, order_rows)
    return ids


def _replace_asset_metrics(conn: sa.Connection, metric_rows: list[dict]) -> None:
    am = S.asset_performance_metrics
    keys = pd.DataFrame(
        {"ticker": [r["ticker"] for r in metric_rows], "date": [r["date"] for r in metric_rows]}
    )
    for day, tickers in keys.groupby("date")["ticker"]:  # usually one date
        unique = list(dict.fromkeys(tickers))
        for start in range(0, len(unique), _IN_CHUNK):
            chunk = unique[start : start + _IN_CHUNK]
            conn.execute(am.delete().where(am.c.date == day, am.c.ticker.in_(chunk)))
    codec.insert_rows(conn, am, metric_rows)


def record_allocations(
    url: str | Store, portfolio_id: str, targets: pd.DataFrame, *, source: str | None = None
) -> int:
    """Replace a portfolio's allocation targets; returns the number of rows stored.

    Parameters
    ----------
    targets : DataFrame
        ``ticker_or_group, target_weight`` (fractions) and optionally ``min_weight,
        max_weight`` (fractions), ``rebalance_threshold`` (fraction of portfolio value),
        ``frequency`` (text, e.g. ``monthly``), ``active`` (bool, default True), ``source``;
        a ``portfolio_id`` column, if present, must equal ``portfolio_id``.
    source : str, optional
        The file the targets came from (``monitor.yaml``, a policy YAML…).
    """
    pid = str(portfolio_id)
    rows = _target_rows(pid, targets, source, now()) or []
    store = open_store(url)
    try:
        with store.write() as conn:
            pa = S.portfolio_allocations
            _replace_rows(conn, pa, (pa.c.portfolio_id == pid,), rows)
    except SQLAlchemyError as exc:
        raise StoreError(f"could not record the allocations of {pid}: {one_line(exc)}") from exc
    finally:
        if store is not url:
            store.close()
    return len(rows)


def record_asset_metrics(url: str | Store, metrics: pd.DataFrame) -> int:
    """Store ``asset_metrics.csv`` rows, replacing the same ``(ticker, date)``; returns a count."""
    rows = codec.frame_rows(metrics, R.ASSET_METRIC_SPEC, {"recorded_at": now()}, "asset_metrics")
    if not rows:
        return 0
    store = open_store(url)
    try:
        with store.write() as conn:
            _replace_asset_metrics(conn, rows)
    except SQLAlchemyError as exc:
        raise StoreError(f"could not record the asset metrics: {one_line(exc)}") from exc
    finally:
        if store is not url:
            store.close()
    return len(rows)


def record_rebalancing_event(
    url: str | Store,
    *,
    portfolio_id: str,
    event_date: Any,
    event_type: str,
    inputs: dict,
    orders: pd.DataFrame | None,
    status: str,
    pre_state: dict | None = None,
    post_state: dict | None = None,
    cost: float = 0.0,
    tax_impact: float = 0.0,
    scenario: str | None = None,
) -> int:
    """Record one rebalancing (or DCA) event with its orders and return its id.

    Parameters
    ----------
    event_type : str
        e.g. ``policy_threshold``, ``policy_tiered``, ``dca``, ``manual``.
    inputs : dict
        What produced the event (portfolio file, policy, amount…); stored as JSON. An event
        with the same ``(portfolio_id, event_date, event_type, inputs)`` replaces the earlier
        one (re-running a command does not double it).
    orders : DataFrame
        ``ticker, side, shares, price, notional[, reason, date]``: rows of
        ``rebalancing_orders``; ``traded_notional = Σ|notional|``.
    status : str
        One of :data:`fimonitor.store.schema.EVENT_STATUSES`.
    pre_state, post_state : dict, optional
        Weights/values before and after (JSON).
    cost, tax_impact : float
        Currency units (estimated for a proposal).
    """
    if status not in S.EVENT_STATUSES:
        raise InputError(f"event status {status!r}; valid: {', '.join(S.EVENT_STATUSES)}")
    pid = str(portfolio_id)
    row = R.event_row(
        pid,
        as_date(event_date),
        event_type,
        inputs,
        orders,
        status,
        pre_state,
        post_state,
        cost,
        tax_impact,
        now(),
        scenario,
    )
    ev, od = S.rebalancing_events, S.rebalancing_orders
    same = (
        ev.c.portfolio_id == pid,
        ev.c.event_date == row["event_date"],
        ev.c.event_type == row["event_type"],
        ev.c.inputs_key == row["inputs_key"],
    )
    store = open_store(url)
    try:
        with store.write() as conn:
            conn.execute(od.delete().where(od.c.event_id.in_(sa.select(ev.c.id).where(*same))))
            conn.execute(ev.delete().where(*same))
            (event_id,) = _insert_events(conn, [(row, orders)])
    except SQLAlchemyError as exc:
        raise StoreError(
            f"could not record the rebalancing event in the history database: {one_line(exc)}"
        ) from exc
    finally:
        if store is not url:
            store.close()
    return event_id
