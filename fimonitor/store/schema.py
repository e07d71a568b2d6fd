"""Tables of the history database (docs/store.md; schema version 3) and their migrations.

Every snapshot table is keyed by ``(portfolio_id, as_of, ...)`` with a unique constraint, so
re-recording an as-of replaces its rows instead of doubling them. Text keys that may be
"blank" (an alert's ticker for a portfolio-level rule) are stored as ``''``, never NULL, because
SQL unique constraints treat NULLs as distinct. Column names that are SQL keywords in the
CSVs are renamed: ``limit`` -> ``limit_value``, ``start``/``end`` -> ``start_date``/``end_date``,
``window`` -> ``window_name``, ``rank`` -> ``pair_rank``.

``schema_version`` holds one row per applied migration; :data:`MIGRATIONS` lists them in order.
A migration is a function ``(connection) -> None`` run inside one transaction together with its
``schema_version`` row. To change the schema: add a function and append
``(n + 1, "what it does", fn)``; never edit an applied migration (migration 2 creates the tables
defined here: freeze a copy of a table in :mod:`fimonitor.store.migrations` before a later
migration changes it, as migration 3 did for ``asset_rolling_correlations``).

Units: weights are fractions, money in currency units, durations in years, DV01 in currency
per basis point, returns as fractions, dates ISO. ``docs/store.md`` lists every column.
"""

from __future__ import annotations

import sqlalchemy as sa

from fimonitor.store.schema_v1 import schema_version

__all__ = ["DATA_TABLES", "metadata", "schema_version"]

metadata = sa.MetaData()
_PID = 100  # portfolio_id length
_TICKER = 64


def _key_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("portfolio_id", sa.String(_PID), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
    ]


portfolio_performance_history = sa.Table(
    "portfolio_performance_history",
    metadata,
    *_key_columns(),
    sa.Column("market_value", sa.Float),
    sa.Column("cash_weight", sa.Float),
    sa.Column("portfolio_duration", sa.Float),
    sa.Column("benchmark_duration", sa.Float),
    sa.Column("duration_gap", sa.Float),
    sa.Column("portfolio_dv01", sa.Float),
    sa.Column("n_breach", sa.Integer),
    sa.Column("n_warn", sa.Integer),
    sa.Column("daily_return", sa.Float),
    sa.Column("extra", sa.Text),  # JSON of any further summary numbers
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("portfolio_id", "as_of", name="uq_performance_portfolio_asof"),
)

portfolio_period_returns = sa.Table(
    "portfolio_period_returns",
    metadata,
    *_key_columns(),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("portfolio_return", sa.Float),
    sa.Column("benchmark_return", sa.Float),
    sa.Column("active_return", sa.Float),
    sa.UniqueConstraint("portfolio_id", "as_of", "period", name="uq_periods_portfolio_asof_period"),
)

portfolio_daily_returns = sa.Table(
    "portfolio_daily_returns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("portfolio_id", sa.String(_PID), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("portfolio_return", sa.Float),
    sa.Column("benchmark_return", sa.Float),
    sa.Column("active_return", sa.Float),
    sa.Column("as_of", sa.Date, nullable=False),  # the pack that wrote the row
    sa.UniqueConstraint("portfolio_id", "date", name="uq_daily_portfolio_date"),
)

portfolio_risk_metrics = sa.Table(
    "portfolio_risk_metrics",
    metadata,
    *_key_columns(),
    sa.Column("metric", sa.String(64), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("text_value", sa.String(64)),  # e.g. risk_level (the only text metric)
    sa.UniqueConstraint("portfolio_id", "as_of", "metric", name="uq_risk_portfolio_asof_metric"),
)

alerts = sa.Table(
    "alerts",
    metadata,
    *_key_columns(),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("rule", sa.String(64), nullable=False),
    sa.Column("ticker", sa.String(_TICKER), nullable=False, default=""),
    sa.Column("value", sa.Float),
    sa.Column("limit_value", sa.Float),  # the CSV's `limit` (a reserved word in SQL)
    sa.Column("severity", sa.String(16), nullable=False),
    sa.UniqueConstraint(
        "portfolio_id",
        "as_of",
        "date",
        "rule",
        "ticker",
        name="uq_alerts_portfolio_asof_rule_ticker",
    ),
)

portfolio_positions = sa.Table(
    "portfolio_positions",
    metadata,
    *_key_columns(),
    sa.Column("ticker", sa.String(_TICKER), nullable=False),
    sa.Column("name", sa.String(200)),
    sa.Column("group", sa.String(64)),
    sa.Column("rating_bucket", sa.String(64)),
    sa.Column("shares", sa.Float),
    sa.Column("price", sa.Float),
    sa.Column("market_value", sa.Float),
    sa.Column("weight", sa.Float),
    sa.Column("benchmark_weight", sa.Float),
    sa.Column("active_weight", sa.Float),
    sa.Column("duration", sa.Float),
    sa.Column("dv01", sa.Float),
    sa.UniqueConstraint(
        "portfolio_id", "as_of", "ticker", name="uq_positions_portfolio_asof_ticker"
    ),
)

portfolio_allocations = sa.Table(
    "portfolio_allocations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("portfolio_id", sa.String(_PID), nullable=False),
    sa.Column("ticker_or_group", sa.String(_TICKER), nullable=False),
    sa.Column("target_weight", sa.Float),
    sa.Column("min_weight", sa.Float),
    sa.Column("max_weight", sa.Float),
    sa.Column("rebalance_threshold", sa.Float),
    sa.Column("frequency", sa.String(32)),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("source", sa.String(300)),  # the file the targets came from
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("portfolio_id", "ticker_or_group", name="uq_targets_portfolio_item"),
)

asset_correlations = sa.Table(
    "asset_correlations",
    metadata,
    *_key_columns(),
    sa.Column("window_name", sa.String(16), nullable=False),
    sa.Column("n_tickers", sa.Integer, nullable=False),
    sa.Column("n_observations", sa.Integer),
    sa.Column("tickers", sa.Text, nullable=False),  # JSON list: the matrix order
    sa.Column("dtype", sa.String(16), nullable=False),  # "<f4": little-endian float32
    sa.Column("correlations", sa.LargeBinary, nullable=False),  # condensed upper triangle
    sa.Column("p_values", sa.LargeBinary),  # same layout, optional
    sa.UniqueConstraint(
        "portfolio_id", "as_of", "window_name", name="uq_corrmatrix_portfolio_asof_window"
    ),
)

correlation_top_pairs = sa.Table(
    "correlation_top_pairs",
    metadata,
    *_key_columns(),
    sa.Column("window_name", sa.String(16), nullable=False),
    sa.Column("pair_rank", sa.Integer, nullable=False),  # 1 = largest |correlation|
    sa.Column("ticker_1", sa.String(_TICKER), nullable=False),
    sa.Column("ticker_2", sa.String(_TICKER), nullable=False),
    sa.Column("correlation", sa.Float),  # full precision
    sa.Column("p_value", sa.Float),
    sa.UniqueConstraint(
        "portfolio_id", "as_of", "window_name", "pair_rank", name="uq_toppairs_portfolio_asof_rank"
    ),
)

asset_rolling_correlations = sa.Table(
    "asset_rolling_correlations",
    metadata,
    *_key_columns(),
    sa.Column("window_name", sa.String(16), nullable=False),  # e.g. 20d, 60d
    sa.Column("n_dates", sa.Integer, nullable=False),
    sa.Column("n_tickers", sa.Integer, nullable=False),
    sa.Column("dates", sa.Text, nullable=False),  # JSON list of ISO dates: the rows
    sa.Column("tickers", sa.Text, nullable=False),  # JSON list: the columns
    sa.Column("dtype", sa.String(16), nullable=False),  # "<f4": little-endian float32
    # date x ticker values, row by row (date-major), each holding with the portfolio
    sa.Column("correlations", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint(
        "portfolio_id", "as_of", "window_name", name="uq_rollingblob_portfolio_asof_window"
    ),
)

portfolio_benchmarks = sa.Table(
    "portfolio_benchmarks",
    metadata,
    *_key_columns(),
    sa.Column("benchmark", sa.String(_PID), nullable=False),
    sa.Column("is_primary", sa.Boolean, nullable=False),
    sa.Column("duration", sa.Float),
    sa.Column("duration_gap", sa.Float),
    sa.Column("return_1y", sa.Float),
    sa.Column("excess_return_1y", sa.Float),
    sa.Column("tracking_error", sa.Float),
    sa.Column("information_ratio", sa.Float),
    sa.Column("beta", sa.Float),
    sa.Column("alpha", sa.Float),
    sa.UniqueConstraint("portfolio_id", "as_of", "benchmark", name="uq_bench_portfolio_asof_name"),
)

portfolio_attribution = sa.Table(
    "portfolio_attribution",
    metadata,
    *_key_columns(),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("group", sa.String(64), nullable=False),
    sa.Column("portfolio_weight", sa.Float),
    sa.Column("benchmark_weight", sa.Float),
    sa.Column("portfolio_return", sa.Float),
    sa.Column("benchmark_return", sa.Float),
    sa.Column("allocation", sa.Float),
    sa.Column("selection", sa.Float),
    sa.Column("interaction", sa.Float),
    sa.Column("total", sa.Float),
    sa.UniqueConstraint(
        "portfolio_id", "as_of", "period", "group", name="uq_attr_portfolio_asof_period_group"
    ),
)

#: asset_metrics.csv's numeric columns, in order (issue 15 item 1).
ASSET_METRIC_COLUMNS: tuple[str, ...] = (
    "sma_20",
    "sma_50",
    "sma_200",
    "ema_12",
    "ema_26",
    "rsi_14",
    "macd",
    "macd_signal",
    "macd_hist",
    "bb_upper",
    "bb_lower",
    "bb_pct_b",
    "atr_14",
    "stoch_k",
    "stoch_d",
    "obv",
    "return_1m",
    "return_3m",
    "return_6m",
    "return_1y",
    "return_3y",
    "return_5y",
    "volatility",
    "beta",
    "sharpe",
    "max_drawdown",
)

asset_performance_metrics = sa.Table(
    "asset_performance_metrics",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ticker", sa.String(_TICKER), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    *(sa.Column(c, sa.Float) for c in ASSET_METRIC_COLUMNS),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("ticker", "date", name="uq_assetmetrics_ticker_date"),
)

#: Allowed ``rebalancing_events.status`` values.
EVENT_STATUSES: tuple[str, ...] = (
    "pending",  # a pack's proposal, not acted on
    "proposed",  # a policy run's proposal (fimonitor rebalance)
    "approved",
    "completed",  # executed (e.g. a DCA run)
    "cancelled",
    "failed",  # the proposal could not be computed (solver failure)
    "infeasible",  # the constraints cannot all hold: no orders
)

rebalancing_events = sa.Table(
    "rebalancing_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("portfolio_id", sa.String(_PID), nullable=False),
    sa.Column("event_date", sa.Date, nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("inputs_key", sa.String(64), nullable=False),  # sha256 of the canonical inputs JSON
    sa.Column("inputs", sa.Text, nullable=False),  # JSON
    sa.Column("n_orders", sa.Integer, nullable=False),
    sa.Column("traded_notional", sa.Float),
    sa.Column("pre_state", sa.Text),  # JSON
    sa.Column("post_state", sa.Text),  # JSON
    sa.Column("cost", sa.Float, nullable=False),
    sa.Column("tax_impact", sa.Float, nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("scenario", sa.String(32)),  # a pack's POST_BM/POST_CONS/POST_MIN, else NULL
    sa.UniqueConstraint(
        "portfolio_id",
        "event_date",
        "event_type",
        "inputs_key",
        name="uq_events_portfolio_date_type_inputs",
    ),
    sa.Index("ix_events_portfolio_date", "portfolio_id", "event_date"),
    sqlite_autoincrement=True,  # ids are never reused after a replace
)

rebalancing_orders = sa.Table(
    "rebalancing_orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "event_id",
        sa.Integer,
        sa.ForeignKey("rebalancing_events.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("line", sa.Integer, nullable=False),  # 1, 2, ... in the event's order
    sa.Column("order_date", sa.Date),  # DCA orders carry their own date
    sa.Column("ticker", sa.String(_TICKER), nullable=False),
    sa.Column("side", sa.String(8)),
    sa.Column("shares", sa.Float),
    sa.Column("price", sa.Float),
    sa.Column("notional", sa.Float),
    sa.Column("reason", sa.String(200)),
    sa.Column("extra", sa.Text),  # JSON of any further order columns
    sa.UniqueConstraint("event_id", "line", name="uq_orders_event_line"),
)

#: Tables whose rows belong to one ``(portfolio_id, as_of)`` pack snapshot.
SNAPSHOT_TABLES: tuple[sa.Table, ...] = (
    portfolio_performance_history,
    portfolio_period_returns,
    portfolio_risk_metrics,
    alerts,
    portfolio_positions,
    asset_correlations,
    correlation_top_pairs,
    asset_rolling_correlations,
    portfolio_benchmarks,
    portfolio_attribution,
)
#: Every data table of the current schema (creation order respects the foreign key).
DATA_TABLES: tuple[sa.Table, ...] = (
    *SNAPSHOT_TABLES,
    portfolio_daily_returns,
    portfolio_allocations,
    asset_performance_metrics,
    rebalancing_events,
    rebalancing_orders,
)

# MIGRATIONS and SCHEMA_VERSION live in fimonitor.store.migrations (they need these tables).
