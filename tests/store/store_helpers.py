"""Pack inputs for the store tests (0.1's call and every 0.2 frame) and a row counter."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from fimonitor.store import schema as S
from fimonitor.store import schema_v1 as V1

AS_OF = "2025-06-02"


def legacy_inputs(as_of: str, scale: float = 1.0) -> dict:
    """The keyword arguments of 0.1's ``record_pack`` call (pipeline.record)."""
    tickers = ["AGG", "TLT", "HYG", "CASH"]
    alloc = pd.DataFrame(
        {
            "ticker": tickers,
            "name": ["Agg", "Long Tsy", "High Yield", "Cash"],
            "group": ["ig_credit", "treasury", "hy_credit", "cash"],
            "rating_bucket": ["AA", "AAA", "BB", "cash"],
            "shares": [100.0, 50.0, 20.0, np.nan],
            "price": [100.0, 90.0, 80.0, 1.0],
            "market_value": [10000.0 * scale, 4500.0, 1600.0, 900.0],
            "weight": [0.5882, 0.2647, 0.0941, 0.0529],
            "benchmark_weight": [0.5, 0.3, 0.2, 0.0],
            "active_weight": [0.0882, -0.0353, -0.1059, 0.0529],
            "duration": [6.0, 17.0, 3.5, 0.0],
            "dv01": [6.0, 7.65, 0.56, 0.0],
        }
    )
    alerts = pd.DataFrame(
        {
            "date": [as_of, as_of],
            "rule": ["active_weight", "duration_gap"],
            "ticker": ["HYG", np.nan],  # portfolio-level rule: blank ticker
            "value": [0.1059, 0.6],
            "limit": [0.05, 0.5],
            "severity": ["BREACH", "WARN"],
        }
    )
    risk = pd.DataFrame(
        {"metric": ["volatility", "sharpe", "beta"], "value": [0.05 * scale, 1.2, np.nan]}
    )
    rng = np.random.default_rng(1)
    m = rng.uniform(-1, 1, (3, 3))
    sym = (m + m.T) / 2
    np.fill_diagonal(sym, 1.0)
    corr = pd.DataFrame(sym, index=tickers[:3], columns=tickers[:3])
    reb = pd.DataFrame(
        {
            "scenario": ["PRE", "POST_BM", "POST_CONS"],
            "n_breach": [1, 0, 0],
            "turnover": [0.0, 0.2, 0.1],
            "status": ["ok", "ok", "optimal"],
            "est_cost": [0.0, 3.0, 1.5],
        }
    )
    perf = {
        "as_of": as_of,
        "market_value": 17000.0 * scale,
        "cash_weight": 0.0529,
        "portfolio_duration": 8.1,
        "benchmark_duration": 7.5,
        "duration_gap": 0.6,
        "portfolio_dv01": 14.2,
        "n_breach": 1,
        "n_warn": 1,
        "daily_return": 0.001,
        "look_back": "26 weeks",
    }
    return dict(
        performance=perf,
        risk_metrics=risk,
        alerts=alerts,
        allocations=alloc,
        correlations=corr,
        rebalancing=reb,
    )


def full_inputs(as_of: str, scale: float = 1.0) -> dict:
    """Every frame record_pack accepts (0.2)."""
    kw = legacy_inputs(as_of, scale)
    kw["positions"] = kw.pop("allocations")
    kw["risk_metrics"] = pd.DataFrame(
        {
            "metric": ["volatility", "treynor", "risk_level", "hhi"],
            "value": [0.05 * scale, 0.02, "Moderate", 0.3],
        }
    )
    kw["rebalancing"] = pd.DataFrame(
        {
            "scenario": ["PRE", "POST_MIN", "POST_BM", "POST_CONS"],
            "turnover": [0.0, 0.05, 0.2, 0.0],
            "status": ["ok", "optimal", "ok", "infeasible"],
            "est_cost": [0.0, 0.5, 3.0, 0.0],
        }
    )
    kw["rebalance_orders"] = pd.DataFrame(
        {
            "scenario": ["POST_MIN", "POST_BM", "POST_BM", "POST_BM"],
            "ticker": ["HYG", "AGG", "TLT", "HYG"],
            "side": ["SELL", "SELL", "BUY", "BUY"],
            "shares": [5.0, 12.0, 3.0, 7.0 * scale],
            "price": [80.0, 100.0, 90.0, 80.0],
            "notional": [400.0, 1200.0, 270.0, 560.0 * scale],
            "reason": ["cure:active_weight", "to_benchmark", "to_benchmark", "to_benchmark"],
        }
    )
    rng = np.random.default_rng(7)
    names = [f"T{i:02d}" for i in range(12)]
    a = rng.normal(size=(60, 12))
    kw["correlations"] = {
        "3M": pd.DataFrame(np.corrcoef(a[-63:].T), index=names, columns=names),
        "1Y": pd.DataFrame(np.corrcoef(a.T), index=names, columns=names),
    }
    kw["period_returns"] = pd.DataFrame(
        {
            "period": ["MTD", "YTD", "3Y"],
            "start": ["2025-05-30", "2024-12-31", None],
            "end": [as_of, as_of, as_of],
            "portfolio_return": [0.001 * scale, 0.02, np.nan],
            "benchmark_return": [0.002, 0.015, np.nan],
            "active_return": [0.001 * scale - 0.002, 0.005, np.nan],
        }
    )
    days = pd.bdate_range(end=as_of, periods=5)
    kw["daily_returns"] = pd.DataFrame(
        {"date": days, "portfolio_return": 0.001 * scale, "benchmark_return": 0.0005}
    )
    kw["attribution"] = pd.DataFrame(
        {
            "period": ["YTD", "YTD"],
            "group": ["treasury", "cash"],
            "portfolio_weight": [0.6, 0.4],
            "benchmark_weight": [1.0, 0.0],
            "portfolio_return": [0.03, 0.01],
            "benchmark_return": [0.015, 0.015],
            "allocation": [0.0, 0.0],
            "selection": [0.009, -0.002],
            "interaction": [0.0, 0.0],
            "total": [0.009, -0.002],
        }
    )
    kw["asset_metrics"] = pd.DataFrame(
        {"ticker": ["AGG", "TLT"], "date": [as_of, as_of], "sma_20": [99.5, 89.0 * scale]}
    )
    kw["benchmarks"] = pd.DataFrame(
        {
            "benchmark": ["US_AGG_PROXY", "TSY_ONLY"],
            "is_primary": [True, False],
            "duration": [6.1, 5.5],
            "tracking_error": [0.01, 0.02],
        }
    )
    kw["allocations"] = pd.DataFrame(
        {
            "ticker_or_group": ["AGG", "hy_credit"],
            "target_weight": [0.5, 0.1],
            "min_weight": [0.4, 0.0],
            "max_weight": [0.6, 0.15],
            "rebalance_threshold": [0.05, 0.05],
            "frequency": ["monthly", "monthly"],
        }
    )
    kw["rolling_correlations"] = pd.DataFrame(
        {"window": ["20D", "60D"], "ticker": ["AGG", "AGG"], "correlation": [0.8, 0.7]}
    )
    return kw


def counts(url: str) -> dict[str, int]:
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        out = {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in S.DATA_TABLES
        }
    eng.dispose()
    return out


V1_FIXTURE = Path(__file__).parent / "data" / "fimonitor_v1.sqlite"


def v1_rows() -> dict[str, pd.DataFrame]:
    eng = sa.create_engine(f"sqlite:///{V1_FIXTURE}")
    with eng.connect() as conn:
        out = {}
        for t in (*V1.V1_TABLES, V1.schema_version):
            result = conn.execute(sa.select(t).order_by(*t.primary_key.columns))
            out[t.name] = pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))
    eng.dispose()
    return out


def load_v1(url: str, tmp_path: Path) -> str:
    """The 0.1 fixture at ``url``: a copy of the file (SQLite) or its rows (PostgreSQL)."""
    if url.startswith("sqlite"):
        path = tmp_path / "v1.sqlite"
        shutil.copy(V1_FIXTURE, path)
        return f"sqlite:///{path}"
    eng = sa.create_engine(url)
    rows = v1_rows()
    with eng.begin() as conn:
        V1.schema_version.create(conn)
        V1.create_v1_tables(conn)
        for t in (V1.schema_version, *V1.V1_TABLES):
            records = rows[t.name].astype(object).where(rows[t.name].notna(), None)
            records = records.to_dict("records")
            for r in records:  # the sqlite driver returns text for some date columns
                for c in t.columns:
                    if isinstance(c.type, sa.Date) and isinstance(r[c.name], str):
                        r[c.name] = pd.Timestamp(r[c.name]).date()
            conn.execute(t.insert(), records)
            if "id" in t.c:  # explicit ids: move the sequence past them
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
                        f"(SELECT max(id) FROM {t.name}))"
                    )
                )
    eng.dispose()
    return url
