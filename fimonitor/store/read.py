"""Reading the history database into DataFrames (for ``fimonitor history`` and the API).

Every reader takes a URL or an open :class:`~fimonitor.store.engine.Store`, never creates a
missing SQLite file (that is an :class:`~fimonitor.errors.InputError`), and returns a
DataFrame with the columns of the pack's CSV where one exists (``limit``, ``start``, ``end``,
``window`` under their CSV names). Dates come back as ``datetime64``. ``as_of=None`` means the
latest as-of stored for each portfolio.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from fimonitor.analytics import condensed as cd
from fimonitor.errors import InputError, StoreError
from fimonitor.store import schema as S
from fimonitor.store.engine import Store, one_line, open_store
from fimonitor.store.write import as_date

__all__ = [
    "SNAPSHOT_COLUMNS",
    "alerts",
    "allocations",
    "asset_metrics",
    "attribution",
    "benchmarks",
    "correlation_windows",
    "correlations",
    "daily_returns",
    "event_orders",
    "events",
    "performance",
    "performance_history",
    "portfolios",
    "positions",
    "read_table",
    "risk",
    "rolling_correlations",
    "snapshots",
    "top_pairs",
]

_RENAMES = {
    "limit_value": "limit",
    "start_date": "start",
    "end_date": "end",
    "window_name": "window",
    "order_date": "date",
}


@contextmanager
def _reading(url: str | Store) -> Iterator[sa.Connection]:
    store = open_store(url, create=False)
    try:
        with store.engine.connect() as conn:
            yield conn
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read the history database: {one_line(exc)}") from exc
    finally:
        if store is not url:
            store.close()


def _frame(conn: sa.Connection, stmt: sa.Select, date_cols: Sequence[str] = ()) -> pd.DataFrame:
    result = conn.execute(stmt)
    out = pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))
    for col in date_cols:
        if col in out.columns:
            out[col] = pd.to_datetime(out[col])
    return out.rename(columns=_RENAMES)


def _latest(table: sa.Table, portfolio: str | None) -> sa.Subquery:
    stmt = sa.select(table.c.portfolio_id, sa.func.max(table.c.as_of).label("latest"))
    if portfolio is not None:
        stmt = stmt.where(table.c.portfolio_id == portfolio)
    return stmt.group_by(table.c.portfolio_id).subquery()


def _snapshot_select(
    table: sa.Table, portfolio: str | None, as_of: Any, drop: Sequence[str] = ("id",)
) -> sa.Select:
    cols = [c for c in table.columns if c.name not in drop]
    stmt = sa.select(*cols)
    if portfolio is not None:
        stmt = stmt.where(table.c.portfolio_id == portfolio)
    if as_of is not None:
        stmt = stmt.where(table.c.as_of == as_date(as_of))
    else:
        latest = _latest(table, portfolio)
        stmt = stmt.join(
            latest,
            sa.and_(
                latest.c.portfolio_id == table.c.portfolio_id, latest.c.latest == table.c.as_of
            ),
        )
    return stmt.order_by(table.c.portfolio_id, table.c.as_of, table.c.id)


def read_table(url: str | Store, name: str, *, portfolio_id: str | None = None) -> pd.DataFrame:
    """All rows of one history table (optionally one portfolio), database column names."""
    tables = {t.name: t for t in (*S.DATA_TABLES, S.schema_version)}
    if name not in tables:
        raise InputError(f"unknown table {name!r}; valid: {', '.join(sorted(tables))}")
    table = tables[name]
    stmt = sa.select(table)
    if portfolio_id is not None and "portfolio_id" in table.c:
        stmt = stmt.where(table.c.portfolio_id == portfolio_id)
    with _reading(url) as conn:
        result = conn.execute(stmt)
        return pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))


SNAPSHOT_COLUMNS = [
    "portfolio_id",
    "as_of",
    "market_value",
    "portfolio_duration",
    "duration_gap",
    "n_breach",
    "n_warn",
    "n_alerts",
    "n_positions",
    "n_risk_metrics",
    "n_correlation_windows",
    "n_rebalancing_events",
    "recorded_at",
]


def snapshots(
    url: str | Store, portfolio: str | None = None, start: Any = None, end: Any = None
) -> pd.DataFrame:
    """List stored pack snapshots, one row per ``(portfolio_id, as_of)``, oldest first.

    Columns :data:`SNAPSHOT_COLUMNS`: headline numbers and how many rows a few tables hold
    for the snapshot (``n_rebalancing_events`` counts events of any type on that date).
    """
    perf = S.portfolio_performance_history
    stmt = sa.select(
        perf.c.portfolio_id,
        perf.c.as_of,
        perf.c.market_value,
        perf.c.portfolio_duration,
        perf.c.duration_gap,
        perf.c.n_breach,
        perf.c.n_warn,
        perf.c.recorded_at,
    )
    if portfolio is not None:
        stmt = stmt.where(perf.c.portfolio_id == portfolio)
    if start is not None:
        stmt = stmt.where(perf.c.as_of >= as_date(start))
    if end is not None:
        stmt = stmt.where(perf.c.as_of <= as_date(end))
    stmt = stmt.order_by(perf.c.as_of, perf.c.portfolio_id)
    with _reading(url) as conn:
        base = _frame(conn, stmt)
        counts = {}
        for col, table, date_col in (
            ("n_alerts", S.alerts, "as_of"),
            ("n_positions", S.portfolio_positions, "as_of"),
            ("n_risk_metrics", S.portfolio_risk_metrics, "as_of"),
            ("n_correlation_windows", S.asset_correlations, "as_of"),
            ("n_rebalancing_events", S.rebalancing_events, "event_date"),
        ):
            d = table.c[date_col]
            res = conn.execute(
                sa.select(table.c.portfolio_id, d, sa.func.count()).group_by(
                    table.c.portfolio_id, d
                )
            ).all()
            counts[col] = pd.Series(
                {(p, pd.Timestamp(day)): int(n) for p, day, n in res}, dtype="int64"
            )
    if base.empty:
        return pd.DataFrame(columns=SNAPSHOT_COLUMNS)
    base["as_of"] = pd.to_datetime(base["as_of"])
    key = pd.MultiIndex.from_arrays([base["portfolio_id"], base["as_of"]])
    for col, series in counts.items():
        base[col] = series.reindex(key).fillna(0).astype(int).to_numpy() if len(series) else 0
    return base[SNAPSHOT_COLUMNS].reset_index(drop=True)


def portfolios(url: str | Store) -> pd.DataFrame:
    """``portfolio_id, first_as_of, last_as_of, n_snapshots`` of every stored portfolio, by name."""
    perf = S.portfolio_performance_history
    stmt = (
        sa.select(
            perf.c.portfolio_id,
            sa.func.min(perf.c.as_of).label("first_as_of"),
            sa.func.max(perf.c.as_of).label("last_as_of"),
            sa.func.count().label("n_snapshots"),
        )
        .group_by(perf.c.portfolio_id)
        .order_by(perf.c.portfolio_id)
    )
    with _reading(url) as conn:
        return _frame(conn, stmt, ["first_as_of", "last_as_of"])


def performance_history(
    url: str | Store, portfolio: str | None = None, start: Any = None, end: Any = None
) -> pd.DataFrame:
    """Stored ``portfolio_summary`` numbers, one row per ``(portfolio_id, as_of)``, oldest first.

    Columns ``portfolio_id, as_of, market_value, cash_weight, portfolio_duration,
    benchmark_duration, duration_gap, portfolio_dv01, n_breach, n_warn, daily_return, extra,
    recorded_at`` (``extra``: a dict of the further summary numbers, empty when none).
    """
    perf = S.portfolio_performance_history
    stmt = sa.select(*(c for c in perf.columns if c.name != "id"))
    if portfolio is not None:
        stmt = stmt.where(perf.c.portfolio_id == portfolio)
    if start is not None:
        stmt = stmt.where(perf.c.as_of >= as_date(start))
    if end is not None:
        stmt = stmt.where(perf.c.as_of <= as_date(end))
    with _reading(url) as conn:
        out = _frame(conn, stmt.order_by(perf.c.as_of, perf.c.portfolio_id), ["as_of"])
    out["extra"] = [json.loads(v) if isinstance(v, str) and v else {} for v in out["extra"]]
    return out


def positions(url: str | Store, portfolio: str | None = None, as_of: Any = None) -> pd.DataFrame:
    """``portfolio_id, as_of`` + ``today_positions.csv`` columns of a snapshot."""
    with _reading(url) as conn:
        return _frame(conn, _snapshot_select(S.portfolio_positions, portfolio, as_of), ["as_of"])


def alerts(
    url: str | Store,
    portfolio: str | None = None,
    start: Any = None,
    end: Any = None,
    severity: str | None = None,
    rule: str | None = None,
) -> pd.DataFrame:
    """Read alerts (``portfolio_id, as_of`` + ``alerts.csv`` columns) in an as-of range."""
    t = S.alerts
    stmt = sa.select(*(c for c in t.columns if c.name != "id"))
    if portfolio is not None:
        stmt = stmt.where(t.c.portfolio_id == portfolio)
    if start is not None:
        stmt = stmt.where(t.c.as_of >= as_date(start))
    if end is not None:
        stmt = stmt.where(t.c.as_of <= as_date(end))
    if severity is not None:
        stmt = stmt.where(t.c.severity == severity.upper())
    if rule is not None:
        stmt = stmt.where(t.c.rule == rule)
    with _reading(url) as conn:
        return _frame(conn, stmt.order_by(t.c.as_of, t.c.portfolio_id, t.c.id), ["as_of", "date"])


def risk(url: str | Store, portfolio: str | None = None, as_of: Any = None) -> pd.DataFrame:
    """``portfolio_id, as_of, metric, value, text_value`` (``text_value`` for risk_level)."""
    with _reading(url) as conn:
        return _frame(conn, _snapshot_select(S.portfolio_risk_metrics, portfolio, as_of), ["as_of"])


def benchmarks(url: str | Store, portfolio: str | None = None, as_of: Any = None) -> pd.DataFrame:
    """``portfolio_id, as_of`` + ``benchmarks.csv`` columns."""
    with _reading(url) as conn:
        return _frame(conn, _snapshot_select(S.portfolio_benchmarks, portfolio, as_of), ["as_of"])


def performance(url: str | Store, portfolio: str | None = None, as_of: Any = None) -> pd.DataFrame:
    """Period returns: ``portfolio_id, as_of`` + ``performance.csv`` columns."""
    with _reading(url) as conn:
        return _frame(
            conn,
            _snapshot_select(S.portfolio_period_returns, portfolio, as_of),
            ["as_of", "start", "end", "start_date", "end_date"],
        )


def attribution(
    url: str | Store, portfolio: str | None = None, as_of: Any = None, period: str | None = None
) -> pd.DataFrame:
    """``portfolio_id, as_of`` + ``attribution.csv`` columns (one period or all)."""
    stmt = _snapshot_select(S.portfolio_attribution, portfolio, as_of)
    if period is not None:
        stmt = stmt.where(S.portfolio_attribution.c.period == period)
    with _reading(url) as conn:
        return _frame(conn, stmt, ["as_of"])


def daily_returns(
    url: str | Store, portfolio: str, start: Any = None, end: Any = None
) -> pd.DataFrame:
    """``date, portfolio_return, benchmark_return, active_return, as_of`` of one portfolio."""
    t = S.portfolio_daily_returns
    stmt = sa.select(
        t.c.date, t.c.portfolio_return, t.c.benchmark_return, t.c.active_return, t.c.as_of
    ).where(t.c.portfolio_id == portfolio)
    if start is not None:
        stmt = stmt.where(t.c.date >= as_date(start))
    if end is not None:
        stmt = stmt.where(t.c.date <= as_date(end))
    with _reading(url) as conn:
        return _frame(conn, stmt.order_by(t.c.date), ["date", "as_of"])


def allocations(url: str | Store, portfolio: str | None = None) -> pd.DataFrame:
    """Read allocation targets.

    Columns ``portfolio_id, ticker_or_group, target_weight, min_weight, max_weight,
    rebalance_threshold, frequency, active, source, updated_at``.
    """
    t = S.portfolio_allocations
    stmt = sa.select(*(c for c in t.columns if c.name != "id"))
    if portfolio is not None:
        stmt = stmt.where(t.c.portfolio_id == portfolio)
    with _reading(url) as conn:
        out = _frame(conn, stmt.order_by(t.c.portfolio_id, t.c.id))
    out["active"] = out["active"].astype(bool)
    return out


def asset_metrics(
    url: str | Store,
    ticker: str | Sequence[str] | None = None,
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """``asset_metrics.csv`` columns for some tickers and a date range, by ticker then date."""
    t = S.asset_performance_metrics
    stmt = sa.select(*(c for c in t.columns if c.name not in ("id", "recorded_at")))
    if ticker is not None:
        tickers = [ticker] if isinstance(ticker, str) else list(ticker)
        stmt = stmt.where(t.c.ticker.in_(tickers))
    if start is not None:
        stmt = stmt.where(t.c.date >= as_date(start))
    if end is not None:
        stmt = stmt.where(t.c.date <= as_date(end))
    with _reading(url) as conn:
        return _frame(conn, stmt.order_by(t.c.ticker, t.c.date), ["date"])


def correlation_windows(
    url: str | Store, portfolio: str | None = None, as_of: Any = None
) -> pd.DataFrame:
    """Which matrices are stored: ``portfolio_id, as_of, window, n_tickers, n_observations``."""
    t = S.asset_correlations
    stmt = _snapshot_select(
        t, portfolio, as_of, drop=("id", "tickers", "dtype", "correlations", "p_values")
    )
    with _reading(url) as conn:
        return _frame(conn, stmt, ["as_of"])


def correlations(
    url: str | Store,
    portfolio: str,
    as_of: Any = None,
    window: str = "1Y",
    *,
    p_values: bool = False,
) -> pd.DataFrame:
    """Read a stored ticker x ticker matrix (float32 values; unit diagonal).

    ``p_values=True`` returns the p-value matrix instead (NaN diagonal). A matrix that is not
    stored is an InputError naming the windows that are.
    """
    t = S.asset_correlations
    stmt = _snapshot_select(t, portfolio, as_of).where(t.c.window_name == window)
    with _reading(url) as conn:
        row = conn.execute(stmt).mappings().first()
        if row is None:
            have = _frame(
                conn,
                _snapshot_select(
                    t, portfolio, as_of, drop=("id", "correlations", "p_values", "tickers")
                ),
            )
    if row is None:
        windows = ", ".join(sorted(set(have.get("window", [])))) or "none"
        raise InputError(
            f"no {window} correlation matrix for {portfolio} "
            f"{'(latest)' if as_of is None else as_date(as_of)}; stored windows: {windows}"
        )
    tickers = json.loads(row["tickers"])
    blob = row["p_values"] if p_values else row["correlations"]
    if blob is None:
        raise InputError(f"no p-values stored for the {window} matrix of {portfolio}")
    values = cd.expand(bytes(blob), len(tickers), diagonal=float("nan") if p_values else 1.0)
    return pd.DataFrame(values, index=pd.Index(tickers, name="ticker"), columns=tickers)


ROLLING_COLUMNS = ["portfolio_id", "as_of", "window", "date", "ticker", "correlation"]


def rolling_correlations(
    url: str | Store,
    portfolio: str | None = None,
    as_of: Any = None,
    window: str | None = None,
    tickers: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read stored rolling correlations as a long frame (each holding with the portfolio).

    Parameters
    ----------
    url : str or Store
        The history database.
    portfolio : str, optional
        One portfolio (default: all).
    as_of : date-like, optional
        The snapshot (default: each portfolio's latest).
    window : str, optional
        ``20d`` or ``60d`` (case-insensitive; default: every stored window).
    tickers : sequence of str, optional
        Only these tickers (default: all).

    Returns
    -------
    pd.DataFrame
        ``portfolio_id, as_of, window, date, ticker, correlation``: by portfolio, as-of,
        window (as stored), date, then ticker in the stored order; values are the stored
        float32 numbers widened to float (NaN where undefined).
    """
    t = S.asset_rolling_correlations
    stmt = _snapshot_select(t, portfolio, as_of)
    with _reading(url) as conn:
        rows = conn.execute(stmt).mappings().all()
    parts = []
    wanted = None if tickers is None else {str(x) for x in tickers}
    for row in rows:  # one row per snapshot and window
        if window is not None and str(row["window_name"]).lower() != window.lower():
            continue
        names = np.asarray(json.loads(row["tickers"]), dtype=object)
        dates = pd.DatetimeIndex(json.loads(row["dates"]))
        values = np.frombuffer(bytes(row["correlations"]), dtype=row["dtype"])
        values = values.reshape(int(row["n_dates"]), int(row["n_tickers"]))
        cols = np.arange(len(names))
        if wanted is not None:
            cols = cols[np.isin(names, list(wanted))]
        parts.append(
            pd.DataFrame(
                {
                    "portfolio_id": row["portfolio_id"],
                    "as_of": pd.Timestamp(row["as_of"]),
                    "window": row["window_name"],
                    "date": np.repeat(dates.to_numpy(), cols.size),
                    "ticker": np.tile(names[cols], len(dates)),
                    "correlation": values[:, cols].astype(float).ravel(),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=ROLLING_COLUMNS)
    return pd.concat(parts, ignore_index=True)[ROLLING_COLUMNS]


def top_pairs(
    url: str | Store, portfolio: str | None = None, as_of: Any = None, window: str | None = None
) -> pd.DataFrame:
    """``portfolio_id, as_of, window, rank, ticker_1, ticker_2, correlation, p_value``."""
    t = S.correlation_top_pairs
    stmt = _snapshot_select(t, portfolio, as_of)
    if window is not None:
        stmt = stmt.where(t.c.window_name == window)
    stmt = stmt.order_by(None).order_by(t.c.portfolio_id, t.c.as_of, t.c.window_name, t.c.pair_rank)
    with _reading(url) as conn:
        return _frame(conn, stmt, ["as_of"]).rename(columns={"pair_rank": "rank"})


def events(
    url: str | Store, portfolio: str | None = None, status: str | None = None
) -> pd.DataFrame:
    """Rebalancing events (without the JSON payloads), oldest first."""
    ev = S.rebalancing_events
    cols = [
        "id",
        "portfolio_id",
        "event_date",
        "event_type",
        "scenario",
        "status",
        "n_orders",
        "traded_notional",
        "cost",
        "tax_impact",
        "recorded_at",
    ]
    stmt = sa.select(*(ev.c[c] for c in cols))
    if portfolio is not None:
        stmt = stmt.where(ev.c.portfolio_id == portfolio)
    if status is not None:
        stmt = stmt.where(ev.c.status == status)
    with _reading(url) as conn:
        return _frame(conn, stmt.order_by(ev.c.event_date, ev.c.id), ["event_date"])


def event_orders(
    url: str | Store, event_ids: Sequence[int] | None = None, portfolio: str | None = None
) -> pd.DataFrame:
    """Read the orders of events, by event then line.

    Columns ``event_id, line, date, ticker, side, shares, price, notional, reason, extra``.
    """
    od, ev = S.rebalancing_orders, S.rebalancing_events
    stmt = sa.select(*(c for c in od.columns if c.name != "id"))
    if event_ids is not None:
        stmt = stmt.where(od.c.event_id.in_([int(i) for i in event_ids]))
    if portfolio is not None:
        stmt = stmt.where(
            od.c.event_id.in_(sa.select(ev.c.id).where(ev.c.portfolio_id == portfolio))
        )
    with _reading(url) as conn:
        return _frame(conn, stmt.order_by(od.c.event_id, od.c.line), ["order_date"])
