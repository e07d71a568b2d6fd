"""Upgrading a database written by fimonitor 0.1 (schema version 1), in place, on both back ends."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from fimonitor.store import db, read

from .store_helpers import load_v1 as _load_v1
from .store_helpers import v1_rows as _v1_rows


def test_v1_database_upgrades_in_place_keeping_rows(store_url, tmp_path) -> None:
    old = _v1_rows()
    url = _load_v1(store_url, tmp_path)
    snap = db.list_snapshots(url)  # read-only commands migrate too
    assert read.read_table(url, "schema_version")["version"].tolist() == [1, 2, 3]
    assert snap[["portfolio_id"]].value_counts().to_dict() == {("demo",): 2, ("other",): 1}

    # positions: every 0.1 allocation row, same values
    pos = read.read_table(url, "portfolio_positions").sort_values("id")
    alloc = old["portfolio_allocations"]
    assert len(pos) == len(alloc) == 12
    cols = ["portfolio_id", "ticker", "weight", "market_value", "shares", "duration"]
    pd.testing.assert_frame_equal(
        pos[cols].reset_index(drop=True), alloc[cols].reset_index(drop=True), check_dtype=False
    )
    assert read.allocations(url).empty  # targets: a new meaning, nothing to migrate

    # correlations: one compact matrix per snapshot holding every old pair (float32)
    pairs = old["asset_correlations"]
    windows = read.read_table(url, "asset_correlations")
    assert len(windows) == 3 and set(windows["window_name"]) == {"1Y"}
    for (pid, as_of), grp in pairs.groupby(["portfolio_id", "as_of"]):
        m = read.correlations(url, pid, as_of, "1Y")
        got = m.to_numpy()[
            m.index.get_indexer(grp["ticker_1"]), m.columns.get_indexer(grp["ticker_2"])
        ]
        np.testing.assert_allclose(got, grp["correlation"].to_numpy(), atol=6e-8)
    assert len(read.read_table(url, "correlation_top_pairs")) == len(
        pairs
    )  # 3 pairs each, all among the top 50

    # events: same ids, orders moved from JSON to rows, scenarios of pack events filled
    ev = read.events(url).sort_values("id")
    assert ev["id"].tolist() == old["rebalancing_events"]["id"].tolist()
    policy = ev[ev["event_type"] == "policy_threshold"].iloc[0]
    assert (policy["n_orders"], policy["cost"], policy["tax_impact"]) == (2, 1.25, -10.0)
    orders = read.event_orders(url, [policy["id"]])
    legacy = pd.DataFrame(
        json.loads(old["rebalancing_events"].set_index("id").loc[policy["id"], "orders"])
    )
    assert orders["ticker"].tolist() == legacy["ticker"].tolist()
    assert orders["notional"].tolist() == legacy["notional"].tolist()
    assert orders["reason"].tolist() == legacy["reason"].tolist()
    packs = ev[ev["event_type"] == db.PACK_EVENT_TYPE]
    assert set(packs["scenario"]) == {"PRE", "POST_BM", "POST_CONS"}

    # risk metrics and alerts untouched; the new tables work
    assert len(read.read_table(url, "portfolio_risk_metrics")) == len(old["portfolio_risk_metrics"])
    assert len(read.alerts(url)) == len(old["alerts"])
    new_id = db.record_rebalancing_event(
        url,
        portfolio_id="p1",
        event_date="2025-06-10",
        event_type="dca",
        inputs={},
        orders=pd.DataFrame({"ticker": ["AGG"], "notional": [10.0]}),
        status="completed",
    )
    assert new_id > ev["id"].max()
    db.record_pack(
        url,
        portfolio_id="demo",
        as_of="2025-06-09",
        performance={"market_value": 1.0},
        positions=pos[(pos["as_of"].astype(str) == "2025-06-09") & (pos["portfolio_id"] == "demo")],
        period_returns=pd.DataFrame({"period": ["1D"], "portfolio_return": [0.001]}),
    )
    assert read.performance(url, "demo")["period"].tolist() == ["1D"]


@pytest.mark.parametrize("as_read_only", [False, True])
def test_migration_failure_leaves_version_1(tmp_path, monkeypatch, as_read_only) -> None:
    """A migration that fails part-way rolls back: the 0.1 tables and rows are intact."""
    from fimonitor.errors import StoreError
    from fimonitor.store import migrations as M

    url = _load_v1(f"sqlite:///{tmp_path / 'x.sqlite'}", tmp_path)

    def broken(conn: sa.Connection) -> None:
        M._v2_positions(conn)
        raise sa.exc.OperationalError("migrate", {}, Exception("disk full"))

    monkeypatch.setattr(M, "MIGRATIONS", (M.MIGRATIONS[0], (2, "broken", broken)))
    with pytest.raises(StoreError, match="disk full"):
        if as_read_only:
            db.list_snapshots(url)
        else:
            db.open_store(url)
    eng = sa.create_engine(url)
    names = set(sa.inspect(eng).get_table_names())
    with eng.connect() as conn:
        n = conn.execute(sa.text("select count(*) from portfolio_allocations")).scalar()
    eng.dispose()
    assert "portfolio_positions" not in names and n == 12
