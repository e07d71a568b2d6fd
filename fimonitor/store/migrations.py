"""Schema migrations of the history database, in order (see :mod:`fimonitor.store.schema`).

1. The six 0.1 tables (:mod:`fimonitor.store.schema_v1`).
2. The analytics store (issues 13 and 15), in place, keeping every old row:

   - ``portfolio_allocations`` (0.1: each pack's positions) -> copied to the new
     ``portfolio_positions``; ``portfolio_allocations`` is re-created as allocation targets
     (target, min/max bounds, rebalance threshold, frequency, active flag), empty;
   - ``asset_correlations`` (0.1: one row per pair) -> one compact row per
     ``(portfolio, as-of)`` under window ``1Y`` (0.1 correlated the 252-day look-back), plus
     its strongest pairs in ``correlation_top_pairs``;
   - ``rebalancing_events.orders`` (a JSON list) -> rows of the new ``rebalancing_orders``,
     then the column is dropped; pack events get their ``scenario``;
   - ``portfolio_risk_metrics`` gains ``text_value``;
   - new tables: ``portfolio_period_returns``, ``portfolio_daily_returns``,
     ``portfolio_benchmarks``, ``portfolio_attribution``, ``asset_performance_metrics``,
     ``asset_rolling_correlations`` (one row per date and ticker: :data:`ROLLING_V2`).
3. Compact rolling correlations: ``asset_rolling_correlations`` goes from one row per
   ``(portfolio, as-of, window, date, ticker)`` to one row per ``(portfolio, as-of, window)``
   holding the dates, the tickers and a float32 date x ticker blob; every stored value is kept
   (rounded to float32; a date/ticker cell without a row is NaN).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import sqlalchemy as sa

from fimonitor.analytics import condensed as cd
from fimonitor.analytics.correlation import TOP_PAIRS
from fimonitor.store import codec, rows
from fimonitor.store import schema as S
from fimonitor.store import schema_v1 as V1

__all__ = [
    "MIGRATIONS",
    "ROLLING_V2",
    "SCHEMA_VERSION",
    "TOP_PAIRS",
    "correlation_matrix_rows",
    "rolling_row",
]

MIGRATED_WINDOW = "1Y"

#: ``asset_rolling_correlations`` as migration 2 created it (frozen: migration 3 replaced it).
ROLLING_V2 = sa.Table(
    "asset_rolling_correlations",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("portfolio_id", sa.String(100), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("window_name", sa.String(16), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("ticker", sa.String(64), nullable=False),
    sa.Column("correlation", sa.Float),
    sa.UniqueConstraint(
        "portfolio_id",
        "as_of",
        "window_name",
        "date",
        "ticker",
        name="uq_rolling_portfolio_asof_window_date_ticker",
    ),
)


def _v2_positions(conn: sa.Connection) -> None:
    S.portfolio_positions.create(conn)
    cols = [c.name for c in S.portfolio_positions.columns if c.name != "id"]
    old = V1.portfolio_allocations
    conn.execute(
        S.portfolio_positions.insert().from_select(
            cols, sa.select(*(old.c[c] for c in cols)).order_by(old.c.id)
        )
    )
    old.drop(conn)
    S.portfolio_allocations.create(conn)


def correlation_matrix_rows(
    pid: str,
    as_of,
    window: str,
    matrix,
    p_values: pd.DataFrame | None = None,
    n_observations: int | None = None,
    n_top: int = TOP_PAIRS,
) -> tuple[dict, list[dict]]:
    """Build the ``asset_correlations`` row and ``correlation_top_pairs`` rows of a matrix.

    Parameters
    ----------
    matrix : DataFrame or CorrelationWindow
        A ticker x ticker matrix (condensed here, with ``p_values`` laid out the same way), or
        a :class:`~fimonitor.analytics.correlation_windows.CorrelationWindow`, whose condensed
        float32 bytes are stored as they are (its p-values and row count too; ``p_values``
        and ``n_observations`` are then ignored).
    """
    key = {"portfolio_id": pid, "as_of": as_of, "window_name": str(window)}
    if isinstance(matrix, pd.DataFrame):
        tickers = [str(t) for t in matrix.columns]
        if not matrix.index.equals(matrix.columns):
            matrix = matrix.reindex(index=matrix.columns)
        upper = cd.upper_rows(matrix.to_numpy(dtype=float), 0)  # float64: top pairs exact
        pv = None
        if p_values is not None:
            pv_full = p_values.reindex(index=matrix.columns, columns=matrix.columns)
            pv = cd.upper_rows(pv_full.to_numpy(dtype=float), 0)
        r_blob = upper.astype(cd.FLOAT32_LE).tobytes()
        p_blob = None if pv is None else pv.astype(cd.FLOAT32_LE).tobytes()
        top = cd.top_pairs(upper, tickers, n_top, pv)
    else:  # a CorrelationWindow: already condensed
        tickers = list(matrix.tickers)
        r_blob, p_blob = _blob(matrix.r), _blob(matrix.p)  # no copy of the 50 MB arrays
        n_observations = matrix.n_observations
        top = matrix.top
        n_valid = int(np.isfinite(matrix.r).sum())
        if len(top) < min(n_top, n_valid):  # asked for more than were kept: float32 values
            top = cd.top_pairs(matrix.r, tickers, n_top, matrix.p)
        top = top.head(n_top)
    row = {
        **key,
        "n_tickers": len(tickers),
        "n_observations": None if n_observations is None else int(n_observations),
        "tickers": json.dumps(tickers),
        "dtype": cd.FLOAT32_LE,
        "correlations": r_blob,
        "p_values": p_blob,
    }
    top_rows = codec.frame_rows(
        top,
        [
            ("pair_rank", "pair_rank", "int", True),
            ("ticker_1", "ticker_1", "str", True),
            ("ticker_2", "ticker_2", "str", True),
            ("correlation", "correlation", "float", True),
            ("p_value", "p_value", "float", True),
        ],
        key,
        "top_pairs",
    )
    return row, top_rows


def _blob(values: np.ndarray) -> memoryview:
    """The bytes of a little-endian float32 array, without copying them (a buffer view)."""
    arr = np.ascontiguousarray(values, dtype=cd.FLOAT32_LE)
    return memoryview(arr).cast("B")


def rolling_row(pid: str, as_of, window: str, wide: pd.DataFrame) -> dict:
    """Build the ``asset_rolling_correlations`` row of one window.

    Parameters
    ----------
    pid : str
        Portfolio id.
    as_of : date
        The pack's as-of date.
    window : str
        Window name (``20d``, ``60d``).
    wide : pd.DataFrame
        Date x ticker correlations (index: dates; NaN where undefined).

    Returns
    -------
    dict
        ``dates`` and ``tickers`` as JSON lists, ``correlations`` the values as little-endian
        float32, date-major (row by row: all tickers of the first date, then the next date).
    """
    values = np.ascontiguousarray(wide.to_numpy(dtype=float), dtype=cd.FLOAT32_LE)
    return {
        "portfolio_id": pid,
        "as_of": as_of,
        "window_name": str(window),
        "n_dates": int(values.shape[0]),
        "n_tickers": int(values.shape[1]),
        "dates": json.dumps(pd.DatetimeIndex(wide.index).strftime("%Y-%m-%d").tolist()),
        "tickers": json.dumps([str(t) for t in wide.columns]),
        "dtype": cd.FLOAT32_LE,
        "correlations": values.tobytes(),
    }


def _v2_correlations(conn: sa.Connection) -> None:
    conn.execute(sa.text("ALTER TABLE asset_correlations RENAME TO asset_correlations_v1"))
    old = sa.Table(
        "asset_correlations_v1",
        sa.MetaData(),
        *(sa.Column(c.name, c.type) for c in V1.asset_correlations.columns),
    )
    S.asset_correlations.create(conn)
    S.correlation_top_pairs.create(conn)
    keys = conn.execute(sa.select(old.c.portfolio_id, old.c.as_of).distinct()).all()
    for pid, as_of in keys:  # one matrix per stored snapshot
        pairs = pd.DataFrame(
            conn.execute(
                sa.select(old.c.ticker_1, old.c.ticker_2, old.c.correlation)
                .where(old.c.portfolio_id == pid, old.c.as_of == as_of)
                .order_by(old.c.id)
            ).all(),
            columns=["ticker_1", "ticker_2", "correlation"],
        )
        order = pd.unique(pairs[["ticker_1", "ticker_2"]].to_numpy().ravel())
        pos = pd.Index(order)
        values = np.full((len(order), len(order)), np.nan)
        i = pos.get_indexer(pairs["ticker_1"])
        j = pos.get_indexer(pairs["ticker_2"])
        corr = pd.to_numeric(pairs["correlation"], errors="coerce").to_numpy(dtype=float)
        values[i, j] = corr
        values[j, i] = corr
        np.fill_diagonal(values, 1.0)
        matrix = pd.DataFrame(values, index=order, columns=order)
        row, top = correlation_matrix_rows(pid, as_of, MIGRATED_WINDOW, matrix)
        conn.execute(S.asset_correlations.insert(), [row])
        if top:
            conn.execute(S.correlation_top_pairs.insert(), top)
    old.drop(conn)


def _v2_events(conn: sa.Connection) -> None:
    conn.execute(sa.text("ALTER TABLE rebalancing_events ADD COLUMN scenario VARCHAR(32)"))
    S.rebalancing_orders.create(conn)
    ev = V1.rebalancing_events
    old = conn.execute(sa.select(ev.c.id, ev.c.event_type, ev.c.inputs, ev.c.orders)).all()
    order_rows: list[dict] = []
    scenarios: list[dict] = []
    for event_id, event_type, inputs, orders in old:
        frame = pd.DataFrame(json.loads(orders or "[]"))
        if len(frame) and "ticker" in frame.columns:
            order_rows += rows.order_rows(frame, event_id)
        if event_type == rows.PACK_EVENT_TYPE:
            scenario = json.loads(inputs or "{}").get("scenario")
            if scenario is not None:
                scenarios.append({"b_id": event_id, "b_scenario": str(scenario)})
    if order_rows:
        conn.execute(S.rebalancing_orders.insert(), order_rows)
    if scenarios:
        conn.execute(
            sa.update(S.rebalancing_events)
            .where(S.rebalancing_events.c.id == sa.bindparam("b_id"))
            .values(scenario=sa.bindparam("b_scenario")),
            scenarios,
        )
    conn.execute(sa.text("ALTER TABLE rebalancing_events DROP COLUMN orders"))


def _v2_analytics(conn: sa.Connection) -> None:
    _v2_positions(conn)
    _v2_correlations(conn)
    _v2_events(conn)
    conn.execute(sa.text("ALTER TABLE portfolio_risk_metrics ADD COLUMN text_value VARCHAR(64)"))
    for table in (
        S.portfolio_period_returns,
        S.portfolio_daily_returns,
        S.portfolio_benchmarks,
        S.portfolio_attribution,
        S.asset_performance_metrics,
        ROLLING_V2,
    ):
        table.create(conn)


def _v3_rolling(conn: sa.Connection) -> None:
    conn.execute(
        sa.text("ALTER TABLE asset_rolling_correlations RENAME TO asset_rolling_correlations_v2")
    )
    old = sa.Table(
        "asset_rolling_correlations_v2",
        sa.MetaData(),
        *(sa.Column(c.name, c.type) for c in ROLLING_V2.columns),
    )
    S.asset_rolling_correlations.create(conn)
    keys = conn.execute(
        sa.select(old.c.portfolio_id, old.c.as_of, old.c.window_name)
        .distinct()
        .order_by(old.c.portfolio_id, old.c.as_of, old.c.window_name)
    ).all()
    for pid, as_of, window in keys:  # one blob per stored (snapshot, window)
        long = pd.DataFrame(
            conn.execute(
                sa.select(old.c.date, old.c.ticker, old.c.correlation)
                .where(old.c.portfolio_id == pid, old.c.as_of == as_of, old.c.window_name == window)
                .order_by(old.c.id)
            ).all(),
            columns=["date", "ticker", "correlation"],
        )
        long["date"] = pd.to_datetime(long["date"])
        long["correlation"] = pd.to_numeric(long["correlation"], errors="coerce")
        wide = wide_rolling(long)
        conn.execute(S.asset_rolling_correlations.insert(), [rolling_row(pid, as_of, window, wide)])
    old.drop(conn)


def wide_rolling(long: pd.DataFrame) -> pd.DataFrame:
    """Date x ticker frame of long ``date, ticker, correlation`` rows (one window).

    Dates ascending, tickers in order of first appearance; a missing cell is NaN; a repeated
    ``(date, ticker)`` keeps its first value.
    """
    dates = pd.DatetimeIndex(pd.unique(long["date"])).sort_values()
    tickers = pd.Index(pd.unique(long["ticker"].astype(str)))
    values = np.full((len(dates), len(tickers)), np.nan)
    first = ~long.duplicated(["date", "ticker"])
    sub = long[first]
    values[
        dates.get_indexer(pd.DatetimeIndex(sub["date"])),
        tickers.get_indexer(sub["ticker"].astype(str)),
    ] = pd.to_numeric(sub["correlation"], errors="coerce").to_numpy(dtype=float)
    return pd.DataFrame(values, index=dates, columns=tickers)


#: (version, description, migration) in order of application.
MIGRATIONS: tuple[tuple[int, str, Callable[[sa.Connection], None]], ...] = (
    (1, "create the six history tables", V1.create_v1_tables),
    (
        2,
        "analytics store: positions, targets, compact correlations, orders, returns",
        _v2_analytics,
    ),
    (3, "compact rolling correlations: one float32 date x ticker blob per window", _v3_rolling),
)
SCHEMA_VERSION: int = MIGRATIONS[-1][0]
