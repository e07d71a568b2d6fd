"""History database (CONTRACT §10): replace-not-double, all-or-nothing writes, schema versions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from fimonitor.errors import FimonitorError, InputError
from fimonitor.store import db
from fimonitor.store import schema as S

TABLES = [
    "portfolio_performance_history",
    "portfolio_risk_metrics",
    "alerts",
    "rebalancing_events",
    "portfolio_allocations",
    "asset_correlations",
]


def _pack_inputs(as_of: str, scale: float = 1.0) -> dict:
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


def _counts(url: str) -> dict[str, int]:
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        out = {t: conn.execute(sa.text(f"select count(*) from {t}")).scalar() for t in TABLES}
    eng.dispose()
    return out


def test_rerun_replaces_and_other_as_of_adds(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'new_folder' / 'h.sqlite'}"  # folder does not exist yet
    db.record_pack(url, portfolio_id="demo", as_of="2025-06-02", **_pack_inputs("2025-06-02"))
    once = _counts(url)
    assert once == {
        "portfolio_performance_history": 1,
        "portfolio_risk_metrics": 3,
        "alerts": 2,
        "rebalancing_events": 3,
        "portfolio_allocations": 4,
        "asset_correlations": 3,
    }
    db.record_pack(
        url,
        portfolio_id="demo",
        as_of=pd.Timestamp("2025-06-02"),
        **_pack_inputs("2025-06-02", scale=2.0),
    )
    assert _counts(url) == once
    db.record_pack(url, portfolio_id="demo", as_of="2025-06-09", **_pack_inputs("2025-06-09"))
    assert _counts(url) == {k: 2 * v for k, v in once.items()}
    # the re-run's values replaced the first ones
    perf = db.read_table(url, "portfolio_performance_history")
    first = perf[perf["as_of"].astype(str) == "2025-06-02"].iloc[0]
    assert first["market_value"] == 34000.0
    assert '"look_back": "26 weeks"' in first["extra"]
    risk = db.read_table(url, "portfolio_risk_metrics")
    vol = risk[(risk["metric"] == "volatility") & (risk["as_of"].astype(str) == "2025-06-02")]
    assert vol["value"].tolist() == [pytest.approx(0.1)]
    assert risk.loc[risk["metric"] == "beta", "value"].isna().all()  # NaN stored as NULL
    al = db.read_table(url, "alerts")
    assert sorted(al["ticker"].unique()) == ["", "HYG"]
    assert set(al.columns) >= {"date", "rule", "ticker", "value", "limit_value", "severity"}


def test_failure_mid_write_leaves_previous_rows(tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    db.record_pack(url, portfolio_id="demo", as_of="2025-06-02", **_pack_inputs("2025-06-02"))
    before = _counts(url)
    perf_before = db.read_table(url, "portfolio_performance_history")

    real = db._replace_rows
    calls: list[str] = []

    def failing(conn, table, where, rows):
        calls.append(table.name)
        if table.name == "asset_correlations":  # after performance, risk, alerts, allocations
            raise sa.exc.OperationalError("insert", {}, Exception("disk I/O error"))
        return real(conn, table, where, rows)

    monkeypatch.setattr(db, "_replace_rows", failing)
    with pytest.raises(FimonitorError, match="nothing was changed"):
        db.record_pack(
            url, portfolio_id="demo", as_of="2025-06-02", **_pack_inputs("2025-06-02", scale=3.0)
        )
    assert calls[:4] == [
        "portfolio_performance_history",
        "portfolio_risk_metrics",
        "alerts",
        "portfolio_allocations",
    ]
    assert _counts(url) == before
    pd.testing.assert_frame_equal(db.read_table(url, "portfolio_performance_history"), perf_before)


def test_duplicate_rows_in_one_call_roll_back(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    inputs = _pack_inputs("2025-06-02")
    db.record_pack(url, portfolio_id="demo", as_of="2025-06-02", **inputs)
    before = _counts(url)
    bad = dict(inputs)
    bad["allocations"] = pd.concat([inputs["allocations"], inputs["allocations"].iloc[:1]])
    with pytest.raises(FimonitorError):
        db.record_pack(url, portfolio_id="demo", as_of="2025-06-02", **bad)
    assert _counts(url) == before


def test_list_snapshots(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    db.record_pack(url, portfolio_id="demo", as_of="2025-06-09", **_pack_inputs("2025-06-09"))
    db.record_pack(url, portfolio_id="demo", as_of="2025-06-02", **_pack_inputs("2025-06-02"))
    snap = db.list_snapshots(url)
    assert list(snap.columns) == db.SNAPSHOT_COLUMNS
    assert snap["as_of"].dt.strftime("%Y-%m-%d").tolist() == ["2025-06-02", "2025-06-09"]
    row = snap.iloc[0]
    assert (
        row["n_alerts"],
        row["n_allocations"],
        row["n_risk_metrics"],
        row["n_correlations"],
        row["n_rebalancing_events"],
    ) == (2, 4, 3, 3, 3)
    assert row["market_value"] == 17000.0 and row["n_breach"] == 1


def test_missing_database_is_input_error_and_not_created(tmp_path) -> None:
    path = tmp_path / "absent" / "h.sqlite"
    with pytest.raises(InputError, match="no history database"):
        db.list_snapshots(f"sqlite:///{path}")
    assert not path.exists()
    with pytest.raises(InputError, match="not a SQLAlchemy URL"):
        db.list_snapshots("not a url")


def test_schema_version_and_migration_path(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    db.record_pack(url, portfolio_id="demo", as_of="2025-06-02", **_pack_inputs("2025-06-02"))
    versions = db.read_table(url, "schema_version")
    assert versions["version"].tolist() == [S.SCHEMA_VERSION]
    eng = sa.create_engine(url)
    insp = sa.inspect(eng)
    assert set(TABLES) <= set(insp.get_table_names())
    # re-opening applies nothing again
    assert db.ensure_schema(eng) == S.SCHEMA_VERSION
    assert len(db.read_table(url, "schema_version")) == 1
    # a database from a newer fimonitor is refused
    with eng.begin() as conn:
        conn.execute(
            S.schema_version.insert().values(
                version=S.SCHEMA_VERSION + 1, description="future", applied_at=db._now()
            )
        )
    eng.dispose()
    with pytest.raises(FimonitorError, match="newer than this fimonitor"):
        db.list_snapshots(url)


def test_pending_migration_is_applied(tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    db.record_pack(url, portfolio_id="demo", as_of="2025-06-02", **_pack_inputs("2025-06-02"))

    def add_note(conn: sa.Connection) -> None:
        conn.execute(sa.text("alter table alerts add column note varchar(50)"))

    monkeypatch.setattr(S, "MIGRATIONS", (*S.MIGRATIONS, (2, "alerts.note", add_note)))
    monkeypatch.setattr(S, "SCHEMA_VERSION", 2)
    db.list_snapshots(url)
    eng = sa.create_engine(url)
    cols = {c["name"] for c in sa.inspect(eng).get_columns("alerts")}
    eng.dispose()
    assert "note" in cols
    assert db.read_table(url, "schema_version")["version"].tolist() == [1, 2]


def test_record_rebalancing_event(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'h.sqlite'}"
    orders = pd.DataFrame(
        {
            "ticker": ["AGG", "TLT"],
            "side": ["BUY", "SELL"],
            "shares": [3.0, 2.0],
            "price": [100.0, 90.0],
            "notional": [300.0, -180.0],
        }
    )
    kw = dict(
        portfolio_id="p1",
        event_date="2025-06-02",
        event_type="threshold",
        inputs={"portfolio": "p.yaml", "as_of": pd.Timestamp("2025-06-02")},
        orders=orders,
        status="proposed",
        pre_state={"AGG": 0.4},
        post_state={"AGG": 0.5},
        cost=1.25,
    )
    id1 = db.record_rebalancing_event(url, **kw)
    id2 = db.record_rebalancing_event(url, **kw)  # same inputs: replaces
    assert id2 != id1
    id3 = db.record_rebalancing_event(url, **{**kw, "inputs": {"portfolio": "q.yaml"}})
    ev = db.list_rebalancing_events(url)
    assert ev["id"].tolist() == [id2, id3]
    assert ev["traded_notional"].tolist() == [480.0, 480.0]
    assert ev["n_orders"].tolist() == [2, 2]
    full = db.read_table(url, "rebalancing_events")
    assert '"as_of": "2025-06-02"' in full["inputs"].iloc[0]
    assert math.isclose(full["cost"].iloc[0], 1.25)
    # pack events of another date are untouched by record_pack of a different as-of
    db.record_pack(url, portfolio_id="p1", as_of="2025-06-02", **_pack_inputs("2025-06-02"))
    db.record_pack(url, portfolio_id="p1", as_of="2025-06-02", **_pack_inputs("2025-06-02"))
    ev = db.list_rebalancing_events(url)
    assert (ev["event_type"] == "threshold").sum() == 2
    assert (ev["event_type"] == db.PACK_EVENT_TYPE).sum() == 3


def test_pack_runs_record_once_per_as_of(tiny_dir, tmp_path) -> None:
    """The real pipeline: two runs for one as-of and one for another."""
    from fimonitor.pipeline import run_pack

    url = f"sqlite:///{tmp_path / 'db' / 'history.sqlite'}"
    out = tmp_path / "out"
    run_pack("2024-02-09", tiny_dir, output_dir=out, db=url, render=False)
    once = _counts(url)
    assert once["portfolio_performance_history"] == 1
    assert once["portfolio_allocations"] >= 5 and once["portfolio_risk_metrics"] >= 14
    run_pack("2024-02-09", tiny_dir, output_dir=out, db=url, render=False)
    assert _counts(url) == once
    run_pack("2024-02-08", tiny_dir, output_dir=out, db=url, render=False)
    twice = _counts(url)
    assert twice["portfolio_performance_history"] == 2
    assert twice["portfolio_risk_metrics"] == 2 * once["portfolio_risk_metrics"]
    snap = db.list_snapshots(url)
    assert snap["as_of"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-08", "2024-02-09"]
    alloc = db.read_table(url, "portfolio_allocations")
    day = alloc[alloc["as_of"].astype(str) == "2024-02-09"].set_index("ticker")
    positions = pd.read_csv(out / "20240209" / "today_positions.csv").set_index("ticker")
    pd.testing.assert_series_equal(
        day["weight"].sort_index(), positions["weight"].sort_index(), check_names=False
    )
