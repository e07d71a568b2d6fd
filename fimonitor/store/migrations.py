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
     ``asset_rolling_correlations``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import sqlalchemy as sa

from fimonitor.store import codec, rows
from fimonitor.store import schema as S
from fimonitor.store import schema_v1 as V1

#: Strongest pairs kept per stored correlation matrix (``correlation_top_pairs``).
TOP_PAIRS = 50
MIGRATED_WINDOW = "1Y"


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
    matrix: pd.DataFrame,
    p_values: pd.DataFrame | None = None,
    n_observations: int | None = None,
    n_top: int = TOP_PAIRS,
) -> tuple[dict, list[dict]]:
    """Build the ``asset_correlations`` row and ``correlation_top_pairs`` rows of a matrix."""
    tickers = [str(t) for t in matrix.columns]
    if not matrix.index.equals(matrix.columns):
        matrix = matrix.reindex(index=matrix.columns)
    values = matrix.to_numpy(dtype=float)
    packed = codec.condensed(values)
    pv = None
    if p_values is not None:
        pv = p_values.reindex(index=matrix.columns, columns=matrix.columns).to_numpy(dtype=float)
    key = {"portfolio_id": pid, "as_of": as_of, "window_name": str(window)}
    row = {
        **key,
        "n_tickers": len(tickers),
        "n_observations": None if n_observations is None else int(n_observations),
        "tickers": json.dumps(tickers),
        "dtype": codec.FLOAT32_LE,
        "correlations": packed.tobytes(),
        "p_values": None if pv is None else codec.condense(pv),
    }
    top = codec.top_pairs(values, tickers, n_top, pv, packed)
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
        S.asset_rolling_correlations,
    ):
        table.create(conn)


#: (version, description, migration) in order of application.
MIGRATIONS: tuple[tuple[int, str, Callable[[sa.Connection], None]], ...] = (
    (1, "create the six history tables", V1.create_v1_tables),
    (
        2,
        "analytics store: positions, targets, compact correlations, orders, returns",
        _v2_analytics,
    ),
)
SCHEMA_VERSION: int = MIGRATIONS[-1][0]
