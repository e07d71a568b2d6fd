"""The 0.1 schema (version 1), frozen: what migration 1 creates.

Never edit these definitions: databases written by fimonitor 0.1 have exactly these tables, and
migration 2 (:mod:`fimonitor.store.migrations`) upgrades them in place. The current tables are in
:mod:`fimonitor.store.schema`.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)

portfolio_performance_history = sa.Table(
    "portfolio_performance_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("portfolio_id", sa.String(100), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("market_value", sa.Float),
    sa.Column("cash_weight", sa.Float),
    sa.Column("portfolio_duration", sa.Float),
    sa.Column("benchmark_duration", sa.Float),
    sa.Column("duration_gap", sa.Float),
    sa.Column("portfolio_dv01", sa.Float),
    sa.Column("n_breach", sa.Integer),
    sa.Column("n_warn", sa.Integer),
    sa.Column("daily_return", sa.Float),
    sa.Column("extra", sa.Text),  # JSON of any further performance numbers
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("portfolio_id", "as_of", name="uq_performance_portfolio_asof"),
)

portfolio_risk_metrics = sa.Table(
    "portfolio_risk_metrics",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("portfolio_id", sa.String(100), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("metric", sa.String(64), nullable=False),
    sa.Column("value", sa.Float),
    sa.UniqueConstraint("portfolio_id", "as_of", "metric", name="uq_risk_portfolio_asof_metric"),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("portfolio_id", sa.String(100), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("rule", sa.String(64), nullable=False),
    sa.Column("ticker", sa.String(64), nullable=False, default=""),
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

portfolio_allocations = sa.Table(
    "portfolio_allocations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("portfolio_id", sa.String(100), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("ticker", sa.String(64), nullable=False),
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
    sa.UniqueConstraint("portfolio_id", "as_of", "ticker", name="uq_alloc_portfolio_asof_ticker"),
)

asset_correlations = sa.Table(
    "asset_correlations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("portfolio_id", sa.String(100), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("ticker_1", sa.String(64), nullable=False),
    sa.Column("ticker_2", sa.String(64), nullable=False),
    sa.Column("correlation", sa.Float),
    sa.UniqueConstraint(
        "portfolio_id", "as_of", "ticker_1", "ticker_2", name="uq_corr_portfolio_asof_pair"
    ),
)

rebalancing_events = sa.Table(
    "rebalancing_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("portfolio_id", sa.String(100), nullable=False),
    sa.Column("event_date", sa.Date, nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("inputs_key", sa.String(64), nullable=False),  # sha256 of the canonical inputs JSON
    sa.Column("inputs", sa.Text, nullable=False),  # JSON
    sa.Column("orders", sa.Text, nullable=False),  # JSON list of order rows
    sa.Column("n_orders", sa.Integer, nullable=False),
    sa.Column("traded_notional", sa.Float),
    sa.Column("pre_state", sa.Text),  # JSON
    sa.Column("post_state", sa.Text),  # JSON
    sa.Column("cost", sa.Float, nullable=False),
    sa.Column("tax_impact", sa.Float, nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
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

V1_TABLES: tuple[sa.Table, ...] = (
    portfolio_performance_history,
    portfolio_risk_metrics,
    alerts,
    portfolio_allocations,
    asset_correlations,
    rebalancing_events,
)


def create_v1_tables(conn: sa.Connection) -> None:
    """Migration 1: create the six 0.1 history tables (and nothing else)."""
    for table in V1_TABLES:
        table.create(conn, checkfirst=True)
