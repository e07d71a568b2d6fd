"""The API's reader protocol: one function per endpoint over the history database.

Every reader takes an SQLAlchemy :class:`~sqlalchemy.engine.Engine` and validated parameters and
returns a :class:`pandas.DataFrame` (JSON-ready columns: ISO date strings, floats, ints, text).
Readers of long lists also take ``limit``/``offset`` and then page in SQL, returning only that
page with the full row count in ``DataFrame.attrs['total']``; a reader that returns everything
(no ``attrs['total']``) is paged by the app instead.
This is the only module of :mod:`fimonitor.api` that knows table and column names; queries are
SQLAlchemy Core ``select()`` over the tables of :mod:`fimonitor.store.schema` (never SQL built
from strings). Readers whose table the store does not have yet raise :class:`NotStored`, which
the app turns into a 404 problem.

Units as in the store and the pack CSVs: weights are fractions, money in currency units,
durations in years, DV01 in currency per basis point, dates ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import sqlalchemy as sa

from fimonitor.store import schema as S

SEVERITIES = ("WARN", "BREACH")


class NotStored(LookupError):
    """The history database does not store this kind of data (yet)."""


def _frame(conn: sa.Connection, stmt: sa.Select) -> pd.DataFrame:
    result = conn.execute(stmt)
    cols = list(result.keys())
    # plain tuples: pandas probing SQLAlchemy Row objects for attributes is slow
    return pd.DataFrame([tuple(r) for r in result.all()], columns=cols)


def _paged(conn: sa.Connection, stmt: sa.Select, limit: int | None, offset: int) -> pd.DataFrame:
    """Rows ``offset .. offset + limit`` of ``stmt`` (all when ``limit`` is None).

    When paged in SQL, ``attrs['total']`` holds the number of rows of the whole result, so the
    caller need not fetch them all.
    """
    if limit is None and not offset:
        return _frame(conn, stmt)
    total = conn.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar()
    df = _frame(conn, stmt.limit(limit).offset(offset))
    df.attrs["total"] = int(total or 0)
    return df


def _iso(df: pd.DataFrame, *cols: str) -> pd.DataFrame:
    for c in cols:
        if c in df.columns:
            df[c] = [v.isoformat() if isinstance(v, dt.date) else v for v in df[c]]
    return df


def _has(engine: sa.Engine, table: sa.Table) -> bool:
    return sa.inspect(engine).has_table(table.name)


def _latest(conn: sa.Connection, table: sa.Table, portfolio: str, date_col: str = "as_of"):
    return conn.execute(
        sa.select(sa.func.max(table.c[date_col])).where(table.c.portfolio_id == portfolio)
    ).scalar()


def portfolios(engine: sa.Engine) -> pd.DataFrame:
    """``name, last_as_of``: every portfolio with a stored snapshot, by name."""
    perf = S.portfolio_performance_history
    if not _has(engine, perf):
        return pd.DataFrame(columns=["name", "last_as_of"])
    stmt = (
        sa.select(perf.c.portfolio_id.label("name"), sa.func.max(perf.c.as_of).label("last_as_of"))
        .group_by(perf.c.portfolio_id)
        .order_by(perf.c.portfolio_id)
    )
    with engine.connect() as conn:
        return _iso(_frame(conn, stmt), "last_as_of")


def portfolio_exists(engine: sa.Engine, name: str) -> bool:
    """Whether ``name`` has at least one stored snapshot."""
    perf = S.portfolio_performance_history
    if not _has(engine, perf):
        return False
    with engine.connect() as conn:
        stmt = sa.select(perf.c.id).where(perf.c.portfolio_id == name).limit(1)
        return conn.execute(stmt).first() is not None


SNAPSHOT_FIELDS = (
    "as_of",
    "market_value",
    "cash_weight",
    "portfolio_duration",
    "benchmark_duration",
    "duration_gap",
    "portfolio_dv01",
    "n_breach",
    "n_warn",
    "daily_return",
)


def snapshots(
    engine: sa.Engine,
    portfolio: str,
    date_from: dt.date | None,
    date_to: dt.date | None,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """The summary per stored as-of (``portfolio_summary.csv`` numbers), oldest first."""
    perf = S.portfolio_performance_history
    stmt = sa.select(*(perf.c[c] for c in SNAPSHOT_FIELDS)).where(perf.c.portfolio_id == portfolio)
    if date_from is not None:
        stmt = stmt.where(perf.c.as_of >= date_from)
    if date_to is not None:
        stmt = stmt.where(perf.c.as_of <= date_to)
    with engine.connect() as conn:
        return _iso(_paged(conn, stmt.order_by(perf.c.as_of), limit, offset), "as_of")


def performance(engine: sa.Engine, portfolio: str, as_of: dt.date | None) -> pd.DataFrame:
    """``metric, value`` of the performance record on ``as_of`` (default: the latest).

    The columns of the snapshot plus the extra numbers stored with it (JSON ``extra``).
    """
    perf = S.portfolio_performance_history
    with engine.connect() as conn:
        day = as_of or _latest(conn, perf, portfolio)
        row = (
            conn.execute(
                sa.select(perf).where(perf.c.portfolio_id == portfolio, perf.c.as_of == day)
            )
            .mappings()
            .first()
        )
    if row is None:
        return pd.DataFrame(columns=["as_of", "metric", "value"])
    values: dict[str, Any] = {k: row[k] for k in SNAPSHOT_FIELDS if k != "as_of"}
    if row["extra"]:
        extra = json.loads(row["extra"])
        values.update({k: v for k, v in extra.items() if isinstance(v, int | float)})
    return pd.DataFrame(
        {"as_of": row["as_of"].isoformat(), "metric": list(values), "value": list(values.values())}
    )


POSITION_FIELDS = (
    "ticker",
    "name",
    "group",
    "rating_bucket",
    "shares",
    "price",
    "market_value",
    "weight",
    "benchmark_weight",
    "active_weight",
    "duration",
    "dv01",
)


def positions(engine: sa.Engine, portfolio: str, as_of: dt.date | None) -> pd.DataFrame:
    """``today_positions.csv`` rows of the snapshot on ``as_of`` (default: the latest)."""
    t = S.portfolio_allocations
    with engine.connect() as conn:
        day = as_of or _latest(conn, t, portfolio)
        stmt = (
            sa.select(t.c.as_of, *(t.c[c] for c in POSITION_FIELDS))
            .where(t.c.portfolio_id == portfolio, t.c.as_of == day)
            .order_by(t.c.id)
        )
        return _iso(_frame(conn, stmt), "as_of")


def alerts(
    engine: sa.Engine,
    portfolio: str,
    date_from: dt.date | None,
    date_to: dt.date | None,
    severity: str | None,
    rule: str | None,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """``alerts.csv`` rows of every snapshot in ``[from, to]`` (by as-of), oldest first."""
    t = S.alerts
    stmt = sa.select(
        t.c.as_of,
        t.c.date,
        t.c.rule,
        t.c.ticker,
        t.c.value,
        t.c.limit_value.label("limit"),
        t.c.severity,
    ).where(t.c.portfolio_id == portfolio)
    if date_from is not None:
        stmt = stmt.where(t.c.as_of >= date_from)
    if date_to is not None:
        stmt = stmt.where(t.c.as_of <= date_to)
    if severity is not None:
        stmt = stmt.where(t.c.severity == severity)
    if rule is not None:
        stmt = stmt.where(t.c.rule == rule)
    with engine.connect() as conn:
        df = _paged(conn, stmt.order_by(t.c.as_of, t.c.id), limit, offset)
        return _iso(df, "as_of", "date")


def risk(engine: sa.Engine, portfolio: str, as_of: dt.date | None) -> pd.DataFrame:
    """``risk_metrics.csv`` rows (``metric, value``) on ``as_of`` (default: the latest)."""
    t = S.portfolio_risk_metrics
    with engine.connect() as conn:
        day = as_of or _latest(conn, t, portfolio)
        stmt = (
            sa.select(t.c.as_of, t.c.metric, t.c.value)
            .where(t.c.portfolio_id == portfolio, t.c.as_of == day)
            .order_by(t.c.id)
        )
        return _iso(_frame(conn, stmt), "as_of")


def correlations(
    engine: sa.Engine,
    portfolio: str,
    as_of: dt.date | None,
    window: int | None,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """Pairwise correlations ``ticker_1, ticker_2, correlation`` on ``as_of`` (default latest).

    Schema v1 stores one window per snapshot (the pack's look-back) and does not record its
    length, so ``window`` does not filter here (``window`` column is null).
    """
    t = S.asset_correlations
    with engine.connect() as conn:
        day = as_of or _latest(conn, t, portfolio)
        stmt = (
            sa.select(
                t.c.as_of,
                sa.literal(None, sa.Integer).label("window"),
                t.c.ticker_1,
                t.c.ticker_2,
                t.c.correlation,
            )
            .where(t.c.portfolio_id == portfolio, t.c.as_of == day)
            .order_by(t.c.id)
        )
        return _iso(_paged(conn, stmt, limit, offset), "as_of")


def rebalancing_events(engine: sa.Engine, portfolio: str, status: str | None) -> pd.DataFrame:
    """Stored rebalancing events with their orders (JSON decoded), oldest first."""
    t = S.rebalancing_events
    stmt = sa.select(
        t.c.id,
        t.c.event_date,
        t.c.event_type,
        t.c.status,
        t.c.n_orders,
        t.c.traded_notional,
        t.c.cost,
        t.c.tax_impact,
        t.c.inputs,
        t.c.orders,
        t.c.post_state,
    ).where(t.c.portfolio_id == portfolio)
    if status is not None:
        stmt = stmt.where(t.c.status == status)
    with engine.connect() as conn:
        df = _frame(conn, stmt.order_by(t.c.event_date, t.c.id))
    for c in ("inputs", "orders", "post_state"):
        df[c] = [json.loads(v) if v else None for v in df[c]]
    return _iso(df, "event_date")


def allocations(engine: sa.Engine, portfolio: str) -> pd.DataFrame:
    """Target allocations with bounds: not in schema v1."""
    raise NotStored("target allocations with bounds are not stored yet")


def benchmarks(engine: sa.Engine, portfolio: str) -> pd.DataFrame:
    """Benchmark series: not in schema v1."""
    raise NotStored("benchmarks are not stored yet")


def attribution(engine: sa.Engine, portfolio: str, period: str | None) -> pd.DataFrame:
    """Performance attribution: not in schema v1."""
    raise NotStored("performance attribution is not stored yet")


def asset_metrics(
    engine: sa.Engine, ticker: str, date_from: dt.date | None, date_to: dt.date | None
) -> pd.DataFrame:
    """Per-asset metrics: not in schema v1."""
    raise NotStored("asset metrics are not stored yet")


def dashboard_history(engine: sa.Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the dashboard needs: (snapshots, alerts) of every portfolio.

    ``snapshots``: ``portfolio, as_of, n_breach, n_warn, duration_gap, market_value``;
    ``alerts``: ``portfolio, as_of, rule, ticker, value, limit, severity``.
    """
    perf, t = S.portfolio_performance_history, S.alerts
    if not _has(engine, perf):
        return (
            pd.DataFrame(
                columns=["portfolio", "as_of", "n_breach", "n_warn", "duration_gap", "market_value"]
            ),
            pd.DataFrame(
                columns=["portfolio", "as_of", "rule", "ticker", "value", "limit", "severity"]
            ),
        )
    with engine.connect() as conn:
        snaps = _frame(
            conn,
            sa.select(
                perf.c.portfolio_id.label("portfolio"),
                perf.c.as_of,
                perf.c.n_breach,
                perf.c.n_warn,
                perf.c.duration_gap,
                perf.c.market_value,
            ).order_by(perf.c.portfolio_id, perf.c.as_of),
        )
        al = _frame(
            conn,
            sa.select(
                t.c.portfolio_id.label("portfolio"),
                t.c.as_of,
                t.c.rule,
                t.c.ticker,
                t.c.value,
                t.c.limit_value.label("limit"),
                t.c.severity,
            ).order_by(t.c.portfolio_id, t.c.as_of, t.c.id),
        )
    return _iso(snaps, "as_of"), _iso(al, "as_of")
