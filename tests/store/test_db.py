"""History database: replace-not-double, all-or-nothing writes, every table, both back ends."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from fimonitor.errors import FimonitorError, InputError
from fimonitor.store import db, read, write
from fimonitor.store import migrations as M
from fimonitor.store import schema as S

from .store_helpers import AS_OF, counts, full_inputs, legacy_inputs


def test_rerun_replaces_and_other_as_of_adds(store_url) -> None:
    url = store_url
    db.record_pack(url, portfolio_id="demo", as_of=AS_OF, **full_inputs(AS_OF))
    once = counts(url)
    assert once == {
        "portfolio_performance_history": 1,
        "portfolio_period_returns": 3,
        "portfolio_risk_metrics": 4,
        "alerts": 2,
        "portfolio_positions": 4,
        "asset_correlations": 2,
        "correlation_top_pairs": 2 * 50,
        "asset_rolling_correlations": 2,
        "portfolio_benchmarks": 2,
        "portfolio_attribution": 2,
        "portfolio_daily_returns": 5,
        "portfolio_allocations": 2,
        "asset_performance_metrics": 2,
        "rebalancing_events": 3,  # POST_MIN, POST_BM, POST_CONS (PRE is no proposal)
        "rebalancing_orders": 4,
    }
    db.record_pack(url, portfolio_id="demo", as_of=pd.Timestamp(AS_OF), **full_inputs(AS_OF, 2.0))
    assert counts(url) == once
    # the re-run's values replaced the first ones
    perf = read.snapshots(url)
    assert perf["market_value"].tolist() == [34000.0]
    assert read.risk(url, "demo").set_index("metric").loc["volatility", "value"] == 0.1
    orders = read.event_orders(url, portfolio="demo")
    assert orders["notional"].tolist() == [400.0, 1200.0, 270.0, 1120.0]
    assert read.asset_metrics(url, "TLT")["sma_20"].tolist() == [178.0]
    assert read.daily_returns(url, "demo")["portfolio_return"].tolist() == [0.002] * 5
    # another as-of adds a snapshot; per-portfolio and per-asset tables replace what overlaps
    nxt = "2025-06-03"
    db.record_pack(url, portfolio_id="demo", as_of=nxt, **full_inputs(nxt))
    twice = counts(url)
    per_portfolio = {"portfolio_allocations": 2, "portfolio_daily_returns": 6}
    per_asset = {"asset_performance_metrics": 4}
    for name, n in once.items():
        expected = per_portfolio.get(name, per_asset.get(name, 2 * n))
        assert twice[name] == expected, name


def test_legacy_call_still_works(store_url) -> None:
    """0.1's pipeline call: positions passed as ``allocations``, one correlation matrix."""
    db.record_pack(store_url, portfolio_id="demo", as_of=AS_OF, **legacy_inputs(AS_OF))
    pos = read.positions(store_url, "demo", AS_OF)
    assert pos["ticker"].tolist() == ["AGG", "TLT", "HYG", "CASH"]
    assert pos["shares"].isna().tolist() == [False, False, False, True]
    assert read.allocations(store_url).empty
    assert read.correlation_windows(store_url)["window"].tolist() == ["1Y"]
    al = read.alerts(store_url)
    assert sorted(al["ticker"]) == ["", "HYG"]
    assert set(al.columns) >= {"date", "rule", "ticker", "value", "limit", "severity"}
    perf = read.read_table(store_url, "portfolio_performance_history")
    assert '"look_back": "26 weeks"' in perf["extra"].iloc[0]
    assert math.isclose(perf["daily_return"].iloc[0], 0.001)
    assert read.risk(store_url)["value"].isna().tolist() == [False, False, True]
    ev = read.events(store_url)
    assert ev["scenario"].tolist() == ["POST_BM", "POST_CONS"]
    assert ev["status"].tolist() == ["pending", "pending"]
    assert ev["n_orders"].tolist() == [0, 0]


def test_every_frame_round_trips(store_url) -> None:
    url = store_url
    kw = full_inputs(AS_OF)
    db.record_pack(url, portfolio_id="demo", as_of=AS_OF, **kw)
    risk = read.risk(url, "demo", AS_OF).set_index("metric")
    assert risk.loc["risk_level", "text_value"] == "Moderate"
    assert np.isnan(risk.loc["risk_level", "value"])
    assert risk.loc["treynor", "value"] == 0.02
    perf = read.performance(url, "demo")
    assert perf["period"].tolist() == ["MTD", "YTD", "3Y"]
    assert perf["start"].dt.strftime("%Y-%m-%d").tolist()[:2] == ["2025-05-30", "2024-12-31"]
    assert perf["start"].isna().tolist() == [False, False, True]
    np.testing.assert_allclose(perf["active_return"].iloc[:2], [-0.001, 0.005])
    attr = read.attribution(url, "demo", period="YTD")
    assert attr["group"].tolist() == ["treasury", "cash"]
    assert attr["total"].sum() == pytest.approx(0.007)
    bm = read.benchmarks(url, "demo")
    assert bm["is_primary"].astype(bool).tolist() == [True, False]
    assert bm["return_1y"].isna().all()
    tg = read.allocations(url, "demo")
    assert tg["ticker_or_group"].tolist() == ["AGG", "hy_credit"]
    assert tg["active"].tolist() == [True, True]
    assert tg["max_weight"].tolist() == [0.6, 0.15]
    am = read.asset_metrics(url, ["AGG", "TLT"], start=AS_OF, end=AS_OF)
    assert am["sma_20"].tolist() == [99.5, 89.0] and am["rsi_14"].isna().all()
    assert list(am.columns) == ["ticker", "date", *S.ASSET_METRIC_COLUMNS]
    rolling = read.read_table(url, "asset_rolling_correlations")
    assert sorted(rolling["window_name"]) == ["20D", "60D"]
    daily = read.daily_returns(url, "demo")
    np.testing.assert_allclose(daily["active_return"], 0.0005)
    # events: proposals pending with their orders; infeasible POST_CONS has none
    ev = read.events(url, "demo").set_index("scenario")
    assert ev["status"].to_dict() == {
        "POST_MIN": "pending",
        "POST_BM": "pending",
        "POST_CONS": "infeasible",
    }
    assert ev["n_orders"].to_dict() == {"POST_MIN": 1, "POST_BM": 3, "POST_CONS": 0}
    assert ev.loc["POST_BM", "traded_notional"] == 2030.0
    assert ev.loc["POST_MIN", "cost"] == 0.5
    orders = read.event_orders(url, [ev.loc["POST_BM", "id"]])
    assert orders["line"].tolist() == [1, 2, 3]
    assert orders["ticker"].tolist() == ["AGG", "TLT", "HYG"]
    assert orders["reason"].tolist() == ["to_benchmark"] * 3
    assert read.events(url, status="infeasible")["scenario"].tolist() == ["POST_CONS"]


def test_correlations_compact_round_trip(store_url) -> None:
    rng = np.random.default_rng(3)
    n = 40
    names = [f"X{i}" for i in range(n)]
    a = rng.normal(size=(100, n))
    m = np.corrcoef(a.T)
    m[3, 7] = m[7, 3] = np.nan  # a pair without common returns
    p = rng.uniform(0, 1, (n, n))
    p = (p + p.T) / 2
    frame = pd.DataFrame(m, index=names, columns=names)
    db.record_pack(
        store_url,
        portfolio_id="demo",
        as_of=AS_OF,
        correlations={"1M": frame.iloc[:5, :5], "1Y": frame},
        correlation_p_values={"1Y": pd.DataFrame(p, index=names, columns=names)},
        correlation_observations={"1Y": 100},
        n_top_pairs=10,
    )
    back = read.correlations(store_url, "demo", AS_OF, "1Y")
    assert back.index.tolist() == names and back.columns.tolist() == names
    assert back.to_numpy().dtype == np.float32
    np.testing.assert_allclose(back.to_numpy(), m, rtol=0, atol=6e-8)  # float32 precision
    assert np.isnan(back.iloc[3, 7]) and np.isnan(back.iloc[7, 3])
    assert (np.diag(back.to_numpy()) == 1).all()
    pv = read.correlations(store_url, "demo", AS_OF, "1Y", p_values=True)
    off = ~np.eye(n, dtype=bool)
    np.testing.assert_allclose(pv.to_numpy()[off], p[off], atol=6e-8)
    small = read.correlations(store_url, "demo", window="1M")
    assert small.shape == (5, 5)
    # the strongest pairs, by |r| and at full precision, against a plain sort
    iu = np.triu_indices(n, 1)
    vals = m[iu]
    ok = ~np.isnan(vals)
    order = np.argsort(-np.abs(vals[ok]), kind="stable")[:10]
    top = read.top_pairs(store_url, "demo", AS_OF, "1Y")
    assert top["rank"].tolist() == list(range(1, 11))
    np.testing.assert_array_equal(top["correlation"].to_numpy(), vals[ok][order])
    np.testing.assert_array_equal(top["ticker_1"].to_numpy(), np.asarray(names)[iu[0][ok][order]])
    windows = read.correlation_windows(store_url, "demo")
    assert windows.set_index("window")["n_tickers"].to_dict() == {"1M": 5, "1Y": n}
    with pytest.raises(InputError, match=r"no 3Y correlation matrix.*stored windows: 1M, 1Y"):
        read.correlations(store_url, "demo", window="3Y")


def test_failure_mid_write_leaves_previous_rows(store_url, monkeypatch) -> None:
    url = store_url
    db.record_pack(url, portfolio_id="demo", as_of=AS_OF, **full_inputs(AS_OF))
    before = counts(url)
    perf_before = read.snapshots(url)
    real = write._replace_rows
    calls: list[str] = []

    def failing(conn, table, where, rows):
        calls.append(table.name)
        if table.name == "portfolio_benchmarks":  # after seven other tables
            raise sa.exc.OperationalError("insert", {}, Exception("disk I/O error"))
        return real(conn, table, where, rows)

    monkeypatch.setattr(write, "_replace_rows", failing)
    with pytest.raises(FimonitorError, match=r"nothing was changed.*disk I/O error") as err:
        db.record_pack(url, portfolio_id="demo", as_of=AS_OF, **full_inputs(AS_OF, 3.0))
    assert "[SQL" not in str(err.value) and "\n" not in str(err.value)
    assert calls[:3] == [
        "portfolio_performance_history",
        "portfolio_period_returns",
        "portfolio_risk_metrics",
    ]
    assert counts(url) == before
    pd.testing.assert_frame_equal(read.snapshots(url), perf_before)


def test_duplicate_rows_in_one_call_roll_back(store_url) -> None:
    inputs = full_inputs(AS_OF)
    db.record_pack(store_url, portfolio_id="demo", as_of=AS_OF, **inputs)
    before = counts(store_url)
    bad = dict(inputs, positions=pd.concat([inputs["positions"], inputs["positions"].iloc[:1]]))
    with pytest.raises(FimonitorError, match="nothing was changed"):
        db.record_pack(store_url, portfolio_id="demo", as_of=AS_OF, **bad)
    assert counts(store_url) == before


def test_snapshots_and_filters(store_url) -> None:
    for pid, day in (("demo", "2025-06-09"), ("demo", AS_OF), ("other", "2025-06-09")):
        db.record_pack(store_url, portfolio_id=pid, as_of=day, **legacy_inputs(day))
    snap = db.list_snapshots(store_url)
    assert list(snap.columns) == read.SNAPSHOT_COLUMNS
    assert snap["as_of"].dt.strftime("%Y-%m-%d").tolist() == [AS_OF, "2025-06-09", "2025-06-09"]
    row = snap.iloc[0]
    assert (
        row["n_alerts"],
        row["n_positions"],
        row["n_risk_metrics"],
        row["n_correlation_windows"],
        row["n_rebalancing_events"],
    ) == (2, 4, 3, 1, 2)
    assert row["market_value"] == 17000.0 and row["n_breach"] == 1
    assert len(read.snapshots(store_url, "demo", start="2025-06-03")) == 1
    assert read.positions(store_url)["portfolio_id"].value_counts().to_dict() == {
        "demo": 4,
        "other": 4,
    }  # latest as-of of each portfolio
    assert len(read.alerts(store_url, "demo", severity="breach")) == 2
    assert len(read.alerts(store_url, rule="duration_gap", end=AS_OF)) == 1


def test_schema_matches_the_table_definitions(store_url) -> None:
    """A new database goes through migrations 1 to 3 and ends with exactly schema.py's tables."""
    store = db.open_store(store_url)
    try:
        insp = sa.inspect(store.engine)
        names = set(insp.get_table_names())
        assert names == {t.name for t in S.DATA_TABLES} | {"schema_version"}
        for table in S.DATA_TABLES:
            cols = [c["name"] for c in insp.get_columns(table.name)]
            assert sorted(cols) == sorted(c.name for c in table.columns), table.name
    finally:
        store.close()
    versions = read.read_table(store_url, "schema_version")
    assert versions["version"].tolist() == [1, 2, 3]


def test_newer_schema_is_refused(store_url) -> None:
    db.open_store(store_url).close()
    eng = sa.create_engine(store_url)
    with eng.begin() as conn:
        conn.execute(
            S.schema_version.insert().values(
                version=M.SCHEMA_VERSION + 1, description="future", applied_at=db.now()
            )
        )
    eng.dispose()
    with pytest.raises(FimonitorError, match="newer than this fimonitor"):
        db.list_snapshots(store_url)


def test_pending_migration_is_applied(store_url, monkeypatch) -> None:
    db.record_pack(store_url, portfolio_id="demo", as_of=AS_OF, **legacy_inputs(AS_OF))

    def add_note(conn: sa.Connection) -> None:
        conn.execute(sa.text("alter table alerts add column note varchar(50)"))

    nxt = M.SCHEMA_VERSION + 1
    monkeypatch.setattr(M, "MIGRATIONS", (*M.MIGRATIONS, (nxt, "alerts.note", add_note)))
    monkeypatch.setattr(M, "SCHEMA_VERSION", nxt)
    db.open_store(store_url).close()
    eng = sa.create_engine(store_url)
    cols = {c["name"] for c in sa.inspect(eng).get_columns("alerts")}
    eng.dispose()
    assert "note" in cols
    assert read.read_table(store_url, "schema_version")["version"].tolist() == [1, 2, 3, 4]


def test_record_rebalancing_event(store_url) -> None:
    url = store_url
    orders = pd.DataFrame(
        {
            "ticker": ["AGG", "TLT"],
            "side": ["BUY", "SELL"],
            "shares": [3.0, 2.0],
            "price": [100.0, 90.0],
            "notional": [300.0, -180.0],
            "lot": ["a", "b"],  # an unknown column is kept as JSON
        }
    )
    kw = dict(
        portfolio_id="p1",
        event_date=AS_OF,
        event_type="policy_threshold",
        inputs={"portfolio": "p.yaml", "as_of": pd.Timestamp(AS_OF)},
        orders=orders,
        status="proposed",
        pre_state={"AGG": 0.4},
        post_state={"AGG": 0.5},
        cost=1.25,
        tax_impact=-3.5,
    )
    id1 = db.record_rebalancing_event(url, **kw)
    id2 = db.record_rebalancing_event(url, **kw)  # same inputs: replaces
    assert id2 != id1
    id3 = db.record_rebalancing_event(url, **{**kw, "inputs": {"portfolio": "q.yaml"}})
    ev = db.list_rebalancing_events(url)
    assert ev["id"].tolist() == [id2, id3]
    assert ev["traded_notional"].tolist() == [480.0, 480.0]
    assert ev["n_orders"].tolist() == [2, 2]
    assert ev["tax_impact"].tolist() == [-3.5, -3.5]
    od = read.event_orders(url, [id2])
    assert od["ticker"].tolist() == ["AGG", "TLT"] and od["extra"].tolist() == [
        '{"lot": "a"}',
        '{"lot": "b"}',
    ]
    assert len(read.event_orders(url)) == 4  # the replaced event's orders went with it
    full = read.read_table(url, "rebalancing_events")
    assert '"as_of": "2025-06-02"' in full["inputs"].iloc[0]
    # pack events of the same portfolio and date leave policy events alone
    db.record_pack(url, portfolio_id="p1", as_of=AS_OF, **full_inputs(AS_OF))
    db.record_pack(url, portfolio_id="p1", as_of=AS_OF, **full_inputs(AS_OF))
    ev = db.list_rebalancing_events(url)
    assert (ev["event_type"] == "policy_threshold").sum() == 2
    assert (ev["event_type"] == db.PACK_EVENT_TYPE).sum() == 3
    with pytest.raises(InputError, match="event status 'done'; valid: pending"):
        db.record_rebalancing_event(url, **{**kw, "status": "done"})


def test_record_allocations_replaces_the_portfolios_targets(store_url) -> None:
    targets = pd.DataFrame(
        {"ticker_or_group": ["AGG", "TLT", "CASH"], "target_weight": [0.5, 0.3, 0.2]}
    )
    assert db.record_allocations(store_url, "demo", targets, source="monitor.yaml") == 3
    assert db.record_allocations(store_url, "other", targets.iloc[:1]) == 1
    assert db.record_allocations(store_url, "demo", targets.iloc[:2].assign(active=[1, 0])) == 2
    tg = read.allocations(store_url)
    assert tg["portfolio_id"].tolist() == ["demo", "demo", "other"]
    assert tg["active"].tolist() == [True, False, True]
    assert tg["source"].isna().all()
    with pytest.raises(InputError, match=r"allocations is missing column.*target_weight"):
        db.record_allocations(store_url, "demo", targets.drop(columns="target_weight"))


def test_asset_metrics_writer(store_url) -> None:
    frame = pd.DataFrame(
        {"ticker": ["A", "B", "A"], "date": ["2025-06-02", "2025-06-02", "2025-06-03"]}
    ).assign(rsi_14=[40.0, 50.0, 60.0])
    assert db.record_asset_metrics(store_url, frame) == 3
    assert db.record_asset_metrics(store_url, frame.iloc[:1].assign(rsi_14=45.0)) == 1
    out = read.asset_metrics(store_url)
    assert out["rsi_14"].tolist() == [45.0, 60.0, 50.0]  # by ticker, then date
    assert read.asset_metrics(store_url, "A", start="2025-06-03")["rsi_14"].tolist() == [60.0]


def test_daily_returns_keep_the_latest_pack_whatever_the_order(store_url, tmp_path) -> None:
    """Each day's return row is tagged with the latest pack covering it, in either order.

    Two packs whose 5-day return windows overlap on 4 days: recorded in date order and in
    reverse order, the table ends the same (the values of the later pack, its as-of tag).
    """
    later = "2025-06-03"

    def table(url: str) -> pd.DataFrame:
        cols = ["date", "portfolio_return", "as_of"]
        return read.read_table(url, "portfolio_daily_returns")[cols].sort_values("date")

    db.record_pack(store_url, portfolio_id="demo", as_of=AS_OF, **full_inputs(AS_OF))
    db.record_pack(store_url, portfolio_id="demo", as_of=later, **full_inputs(later, 3.0))
    in_order = table(store_url)
    other = f"sqlite:///{tmp_path / 'reverse.sqlite'}"
    db.record_pack(other, portfolio_id="demo", as_of=later, **full_inputs(later, 3.0))
    db.record_pack(other, portfolio_id="demo", as_of=AS_OF, **full_inputs(AS_OF))
    reverse = table(other)
    assert len(in_order) == 6
    assert (in_order["portfolio_return"].to_numpy()[1:] == 0.003).all()  # the later pack's
    assert in_order["portfolio_return"].iloc[0] == 0.001  # only the earlier pack has that day
    pd.testing.assert_frame_equal(
        in_order.reset_index(drop=True).astype(str), reverse.reset_index(drop=True).astype(str)
    )
