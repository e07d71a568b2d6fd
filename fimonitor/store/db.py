"""The history database: what each pack run computed, and rebalancing events.

Tables and columns: docs/interface.md (history database).

Any SQLAlchemy URL works; the default is a SQLite file beside the packs
(``sqlite:///OUT/fimonitor.sqlite``). The schema is created on first use and versioned by the
``schema_version`` table (see :mod:`fimonitor.store.schema`).

Write semantics: :func:`record_pack` runs in ONE transaction that first deletes every row of
``(portfolio_id, as_of)`` and then inserts the new ones, so re-recording an as-of replaces it
(never doubles) and a failure part-way leaves the previous rows untouched.
:func:`record_rebalancing_event` replaces an event with the same
``(portfolio_id, event_date, event_type, inputs)`` and otherwise adds a new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError

from fimonitor.dates import parse_date
from fimonitor.errors import InputError, StoreError
from fimonitor.store import schema as S

log = logging.getLogger(__name__)

PACK_EVENT_TYPE = "pack_rebalance"
_PERFORMANCE_KEYS = (
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
_ALLOCATION_KEYS = (
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


def default_url(out_dir: str | Path = "outputs") -> str:
    """``sqlite:///OUT/fimonitor.sqlite`` for an output folder."""
    return f"sqlite:///{Path(out_dir) / 'fimonitor.sqlite'}"


def _sqlite_path(url: sa.URL) -> Path | None:
    if not url.drivername.startswith("sqlite"):
        return None
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def _parse_url(url: str) -> sa.URL:
    try:
        return sa.make_url(url)
    except ArgumentError as exc:
        raise InputError(
            f"--db {url!r} is not a SQLAlchemy URL (expected e.g. sqlite:///outputs/fimonitor.sqlite)"
        ) from exc


@contextmanager
def _engine(url: str, *, create: bool = True):
    """Return an engine with the schema in place; disposed on exit.

    ``create=False`` refuses to create a missing SQLite file (for read-only commands).
    """
    parsed = _parse_url(url)
    path = _sqlite_path(parsed)
    if path is not None:
        if not path.exists() and not create:
            raise InputError(f"no history database at {path} (run `fimonitor pack` first)")
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = sa.create_engine(parsed)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise InputError(f"cannot open database {parsed.render_as_string()}: {exc}") from exc
    try:
        ensure_schema(engine)
        yield engine
    finally:
        engine.dispose()


def schema_version_of(engine: sa.Engine) -> int:
    """Return the highest applied migration (0 for an empty database)."""
    if not sa.inspect(engine).has_table(S.schema_version.name):
        return 0
    with engine.connect() as conn:
        v = conn.execute(sa.select(sa.func.max(S.schema_version.c.version))).scalar()
    return int(v or 0)


def ensure_schema(engine: sa.Engine) -> int:
    """Create or migrate the schema to :data:`fimonitor.store.schema.SCHEMA_VERSION`.

    Each pending migration runs in its own transaction together with its ``schema_version``
    row. Returns the version now in place. A database newer than this code is an error.
    """
    try:
        current = schema_version_of(engine)
        if current > S.SCHEMA_VERSION:
            raise StoreError(
                f"the history database has schema version {current}, newer than this fimonitor "
                f"understands ({S.SCHEMA_VERSION}); upgrade fimonitor"
            )
        for version, description, migrate in S.MIGRATIONS:
            if version <= current:
                continue
            try:
                with engine.begin() as conn:
                    S.schema_version.create(conn, checkfirst=True)
                    migrate(conn)
                    conn.execute(
                        S.schema_version.insert().values(
                            version=version, description=description, applied_at=_now()
                        )
                    )
                log.info("history database migrated to schema version %d", version)
            except IntegrityError:  # another process applied it at the same time
                log.info("schema version %d applied concurrently", version)
            current = version
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot prepare the history database: {exc}") from exc
    return current


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _date(value: Any) -> dt.date:
    return parse_date(value, "date").date()


def _scalar(value: Any) -> Any:
    """Return a plain Python value for the database: NaN/NaT -> None, numpy -> Python."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _num(value: Any) -> float | None:
    v = _scalar(value)
    if v is None or isinstance(v, str | dt.date):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    v = _num(value)
    return None if v is None else round(v)


def _json(obj: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, pd.Timestamp | dt.datetime):
            return o.isoformat() if (o.hour, o.minute, o.second) != (0, 0, 0) else str(o.date())
        if isinstance(o, dt.date):
            return o.isoformat()
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, pd.DataFrame):
            return _records(o)
        if isinstance(o, pd.Series):
            return {str(k): _scalar(v) for k, v in o.items()}
        if isinstance(o, Path):
            return str(o)
        return str(o)

    def clean(o: Any) -> Any:
        if isinstance(o, Mapping):
            return {str(k): clean(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [clean(v) for v in o]
        if isinstance(o, float) and math.isnan(o):
            return None
        if isinstance(o, np.floating) and np.isnan(o):
            return None
        return o

    return json.dumps(clean(obj), default=default, sort_keys=True, allow_nan=False)


def _records(df: pd.DataFrame | None) -> list[dict[str, Any]]:
    if df is None or len(df) == 0:
        return []
    return [{str(k): _scalar(v) for k, v in row.items()} for row in df.to_dict("records")]


# --- row builders ---------------------------------------------------------------------------


def _performance_rows(
    pid: str, as_of: dt.date, performance: Mapping[str, Any], recorded_at: dt.datetime
) -> list[dict[str, Any]]:
    perf = dict(performance)
    if "daily_return" not in perf and "return" in perf:
        perf["daily_return"] = perf.pop("return")
    row: dict[str, Any] = {"portfolio_id": pid, "as_of": as_of, "recorded_at": recorded_at}
    for key in _PERFORMANCE_KEYS:
        row[key] = _int(perf.get(key)) if key.startswith("n_") else _num(perf.get(key))
    extra = {
        k: _scalar(v) if not isinstance(v, Mapping | list) else v
        for k, v in perf.items()
        if k not in _PERFORMANCE_KEYS and k != "as_of"
    }
    row["extra"] = _json(extra) if extra else None
    return [row]


def _risk_rows(pid: str, as_of: dt.date, risk: pd.DataFrame | None) -> list[dict[str, Any]]:
    if risk is None or len(risk) == 0:
        return []
    if "metric" not in risk.columns or "value" not in risk.columns:
        raise InputError("risk_metrics must have columns metric,value")
    return [
        {"portfolio_id": pid, "as_of": as_of, "metric": str(m), "value": _num(v)}
        for m, v in zip(risk["metric"], risk["value"], strict=True)
    ]


def _alert_rows(pid: str, as_of: dt.date, df: pd.DataFrame | None) -> list[dict[str, Any]]:
    rows = []
    for rec in _records(df):
        ticker = rec.get("ticker")
        rows.append(
            {
                "portfolio_id": pid,
                "as_of": as_of,
                "date": _date(rec["date"]) if rec.get("date") is not None else as_of,
                "rule": str(rec["rule"]),
                "ticker": "" if ticker is None else str(ticker),
                "value": _num(rec.get("value")),
                "limit_value": _num(rec.get("limit")),
                "severity": str(rec["severity"]),
            }
        )
    return rows


def _allocation_rows(pid: str, as_of: dt.date, df: pd.DataFrame | None) -> list[dict[str, Any]]:
    rows = []
    for rec in _records(df):
        row: dict[str, Any] = {"portfolio_id": pid, "as_of": as_of, "ticker": str(rec["ticker"])}
        for key in _ALLOCATION_KEYS:
            v = rec.get(key)
            row[key] = (
                (None if v is None else str(v))
                if key in ("name", "group", "rating_bucket")
                else _num(v)
            )
        rows.append(row)
    return rows


def _correlation_rows(pid: str, as_of: dt.date, corr: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Upper triangle (ticker_1 before ticker_2 in the matrix order, diagonal left out)."""
    if corr is None or corr.empty:
        return []
    if {"ticker_1", "ticker_2", "correlation"} <= set(corr.columns):
        return [
            {
                "portfolio_id": pid,
                "as_of": as_of,
                "ticker_1": str(r["ticker_1"]),
                "ticker_2": str(r["ticker_2"]),
                "correlation": _num(r["correlation"]),
            }
            for r in _records(corr)
        ]
    tickers = [str(t) for t in corr.columns]
    values = corr.reindex(index=corr.columns).to_numpy(dtype=float)
    i, j = np.triu_indices(len(tickers), k=1)
    return [
        {
            "portfolio_id": pid,
            "as_of": as_of,
            "ticker_1": tickers[a],
            "ticker_2": tickers[b],
            "correlation": _num(values[a, b]),
        }
        for a, b in zip(i.tolist(), j.tolist(), strict=True)
    ]


def _event_row(
    pid: str,
    event_date: dt.date,
    event_type: str,
    inputs: Mapping[str, Any],
    orders: pd.DataFrame | None,
    status: str,
    pre_state: Mapping | None,
    post_state: Mapping | None,
    cost: float,
    tax_impact: float,
    recorded_at: dt.datetime,
) -> dict[str, Any]:
    inputs_json = _json(inputs or {})
    order_rows = _records(orders)
    traded = None
    if orders is not None and "notional" in getattr(orders, "columns", ()):
        traded = float(pd.to_numeric(orders["notional"], errors="coerce").abs().sum())
    return {
        "portfolio_id": pid,
        "event_date": event_date,
        "event_type": str(event_type),
        "status": str(status),
        "inputs_key": hashlib.sha256(inputs_json.encode()).hexdigest(),
        "inputs": inputs_json,
        "orders": _json(order_rows),
        "n_orders": len(order_rows),
        "traded_notional": traded,
        "pre_state": None if pre_state is None else _json(pre_state),
        "post_state": None if post_state is None else _json(post_state),
        "cost": float(_num(cost) or 0.0),
        "tax_impact": float(_num(tax_impact) or 0.0),
        "recorded_at": recorded_at,
    }


def _pack_event_rows(
    pid: str, as_of: dt.date, df: pd.DataFrame | None, recorded_at: dt.datetime
) -> list[dict[str, Any]]:
    rows = []
    for rec in _records(df):
        scenario = rec.get("scenario", f"row{len(rows)}")
        rows.append(
            _event_row(
                pid,
                as_of,
                PACK_EVENT_TYPE,
                {"scenario": scenario, "as_of": as_of},
                None,
                str(rec.get("status") or "ok"),
                None,
                rec,
                float(_num(rec.get("est_cost")) or 0.0),
                0.0,
                recorded_at,
            )
        )
    return rows


# --- writes -----------------------------------------------------------------------------------


def _replace_rows(
    conn: sa.Connection, table: sa.Table, where: Iterable[Any], rows: list[dict[str, Any]]
) -> None:
    """Delete the rows matching ``where`` and insert ``rows`` (inside the caller's transaction)."""
    conn.execute(table.delete().where(*where))
    if rows:
        conn.execute(table.insert(), rows)


def record_pack(
    url: str,
    *,
    portfolio_id: str,
    as_of: Any,
    performance: Mapping[str, Any],
    risk_metrics: pd.DataFrame,
    alerts: pd.DataFrame,
    allocations: pd.DataFrame,
    correlations: pd.DataFrame,
    rebalancing: pd.DataFrame | None = None,
) -> None:
    """Record one pack's results for ``(portfolio_id, as_of)``, replacing any earlier record.

    Parameters
    ----------
    url : str
        SQLAlchemy URL; a SQLite file's folder is created when missing.
    portfolio_id : str
        Name of the book (e.g. the config's ``portfolio_name``).
    as_of : date-like
        The pack's as-of date.
    performance : dict
        ``portfolio_summary`` numbers: market_value (currency), cash_weight (fraction),
        portfolio_duration, benchmark_duration, duration_gap (years), portfolio_dv01
        (currency per bp), n_breach, n_warn and optionally daily_return (fraction). Other keys
        are kept as JSON in ``extra``.
    risk_metrics : pd.DataFrame
        ``metric, value`` rows (docs/definitions.md, risk metrics).
    alerts : pd.DataFrame
        ``date, rule, ticker, value, limit, severity`` (the as-of's alerts).
    allocations : pd.DataFrame
        ``today_positions`` columns (ticker, weight, benchmark_weight, active_weight, ...).
    correlations : pd.DataFrame
        ticker x ticker matrix (stored as its upper triangle) or long
        ``ticker_1, ticker_2, correlation``.
    rebalancing : pd.DataFrame, optional
        Rebalance summary rows (``scenario, ...``), stored as ``rebalancing_events`` of type
        ``pack_rebalance`` dated ``as_of``.

    Notes
    -----
    One transaction: delete every row of ``(portfolio_id, as_of)`` in the five snapshot tables
    and the pack's rebalancing events, then insert. Any failure rolls everything back.
    """
    pid = str(portfolio_id)
    day = _date(as_of)
    now = _now()
    plan = [
        (S.portfolio_performance_history, _performance_rows(pid, day, performance, now)),
        (S.portfolio_risk_metrics, _risk_rows(pid, day, risk_metrics)),
        (S.alerts, _alert_rows(pid, day, alerts)),
        (S.portfolio_allocations, _allocation_rows(pid, day, allocations)),
        (S.asset_correlations, _correlation_rows(pid, day, correlations)),
    ]
    events = _pack_event_rows(pid, day, rebalancing, now)
    with _engine(url) as engine:
        try:
            with engine.begin() as conn:
                for table, rows in plan:
                    _replace_rows(
                        conn, table, (table.c.portfolio_id == pid, table.c.as_of == day), rows
                    )
                ev = S.rebalancing_events
                _replace_rows(
                    conn,
                    ev,
                    (
                        ev.c.portfolio_id == pid,
                        ev.c.event_date == day,
                        ev.c.event_type == PACK_EVENT_TYPE,
                    ),
                    events,
                )
        except SQLAlchemyError as exc:
            raise StoreError(
                f"could not record the pack for {pid} {day} in the history database "
                f"(nothing was changed): {type(exc).__name__}: {getattr(exc, 'orig', exc)}"
            ) from exc
    log.info("recorded %s %s in %s", pid, day, _parse_url(url).render_as_string())


def record_rebalancing_event(
    url: str,
    *,
    portfolio_id: str,
    event_date: Any,
    event_type: str,
    inputs: dict,
    orders: pd.DataFrame,
    status: str,
    pre_state: dict | None = None,
    post_state: dict | None = None,
    cost: float = 0.0,
    tax_impact: float = 0.0,
) -> int:
    """Record one rebalancing (or DCA) event and return its id.

    Parameters
    ----------
    event_type : str
        e.g. ``threshold``, ``calendar``, ``tiered``, ``dca``, ``manual``.
    inputs : dict
        What produced the event (portfolio file, policy, amount...); stored as JSON.
        An event with the same ``(portfolio_id, event_date, event_type, inputs)`` replaces
        the earlier one (re-running a command does not double it).
    orders : pd.DataFrame
        Order rows (e.g. ``ticker, side, shares, price, notional, reason``); stored as JSON,
        and ``traded_notional = Σ|notional|`` when a ``notional`` column exists.
    status : str
        e.g. ``proposed``, ``completed``, ``infeasible``.
    pre_state, post_state : dict, optional
        Weights/values before and after (JSON).
    cost, tax_impact : float
        Currency units.
    """
    pid = str(portfolio_id)
    row = _event_row(
        pid,
        _date(event_date),
        event_type,
        inputs,
        orders,
        status,
        pre_state,
        post_state,
        cost,
        tax_impact,
        _now(),
    )
    ev = S.rebalancing_events
    with _engine(url) as engine:
        try:
            with engine.begin() as conn:
                _replace_rows(
                    conn,
                    ev,
                    (
                        ev.c.portfolio_id == pid,
                        ev.c.event_date == row["event_date"],
                        ev.c.event_type == row["event_type"],
                        ev.c.inputs_key == row["inputs_key"],
                    ),
                    [],
                )
                result = conn.execute(ev.insert().values(**row))
                event_id = int(result.inserted_primary_key[0])
        except SQLAlchemyError as exc:
            raise StoreError(
                f"could not record the rebalancing event in the history database: {exc}"
            ) from exc
    return event_id


# --- reads ------------------------------------------------------------------------------------


def read_table(url: str, name: str, *, portfolio_id: str | None = None) -> pd.DataFrame:
    """All rows of one history table (optionally one portfolio), as a DataFrame."""
    tables = {t.name: t for t in (*S.DATA_TABLES, S.schema_version)}
    if name not in tables:
        raise InputError(f"unknown table {name!r}; valid: {', '.join(sorted(tables))}")
    table = tables[name]
    stmt = sa.select(table)
    if portfolio_id is not None and "portfolio_id" in table.c:
        stmt = stmt.where(table.c.portfolio_id == portfolio_id)
    with _engine(url, create=False) as engine, engine.connect() as conn:
        return pd.DataFrame(
            conn.execute(stmt).mappings().all(), columns=[c.name for c in table.columns]
        )


SNAPSHOT_COLUMNS = [
    "portfolio_id",
    "as_of",
    "market_value",
    "portfolio_duration",
    "duration_gap",
    "n_breach",
    "n_warn",
    "n_alerts",
    "n_allocations",
    "n_risk_metrics",
    "n_correlations",
    "n_rebalancing_events",
    "recorded_at",
]


def list_snapshots(url: str) -> pd.DataFrame:
    """Return the stored pack snapshots, one row per ``(portfolio_id, as_of)``, oldest first.

    Columns :data:`SNAPSHOT_COLUMNS`: the headline numbers and how many rows each table holds
    for that snapshot (``n_rebalancing_events`` counts events of any type on that date).
    A SQLite file that does not exist is an :class:`InputError` (nothing is created).
    """
    perf = S.portfolio_performance_history
    with _engine(url, create=False) as engine, engine.connect() as conn:
        base = pd.DataFrame(
            conn.execute(
                sa.select(
                    perf.c.portfolio_id,
                    perf.c.as_of,
                    perf.c.market_value,
                    perf.c.portfolio_duration,
                    perf.c.duration_gap,
                    perf.c.n_breach,
                    perf.c.n_warn,
                    perf.c.recorded_at,
                ).order_by(perf.c.as_of, perf.c.portfolio_id)
            )
            .mappings()
            .all(),
            columns=[
                "portfolio_id",
                "as_of",
                "market_value",
                "portfolio_duration",
                "duration_gap",
                "n_breach",
                "n_warn",
                "recorded_at",
            ],
        )
        counts = {}
        for col, table, date_col in (
            ("n_alerts", S.alerts, "as_of"),
            ("n_allocations", S.portfolio_allocations, "as_of"),
            ("n_risk_metrics", S.portfolio_risk_metrics, "as_of"),
            ("n_correlations", S.asset_correlations, "as_of"),
            ("n_rebalancing_events", S.rebalancing_events, "event_date"),
        ):
            d = table.c[date_col]
            res = conn.execute(
                sa.select(table.c.portfolio_id, d, sa.func.count()).group_by(
                    table.c.portfolio_id, d
                )
            ).all()
            counts[col] = {(p, day): int(n) for p, day, n in res}
    for col, mapping in counts.items():
        base[col] = [
            mapping.get((p, d), 0) for p, d in zip(base["portfolio_id"], base["as_of"], strict=True)
        ]
    if base.empty:
        return pd.DataFrame(columns=SNAPSHOT_COLUMNS)
    base["as_of"] = pd.to_datetime(base["as_of"])
    return base[SNAPSHOT_COLUMNS].reset_index(drop=True)


def list_rebalancing_events(url: str) -> pd.DataFrame:
    """Return stored rebalancing events (without the JSON payloads), oldest first."""
    ev = S.rebalancing_events
    cols = [
        "id",
        "portfolio_id",
        "event_date",
        "event_type",
        "status",
        "n_orders",
        "traded_notional",
        "cost",
        "tax_impact",
        "recorded_at",
    ]
    with _engine(url, create=False) as engine, engine.connect() as conn:
        rows = (
            conn.execute(sa.select(*(ev.c[c] for c in cols)).order_by(ev.c.event_date, ev.c.id))
            .mappings()
            .all()
        )
    out = pd.DataFrame(rows, columns=cols)
    if not out.empty:
        out["event_date"] = pd.to_datetime(out["event_date"])
    return out
