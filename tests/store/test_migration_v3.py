"""Migration 3 (compact rolling correlations) from a database written by the schema-2 code."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from fimonitor.store import db, read
from fimonitor.store import migrations as M
from fimonitor.store import schema as S

from .store_helpers import full_inputs, load_v1

FIXTURE = Path(__file__).parent / "data" / "fimonitor_v2.sqlite"


def _fixture_rows() -> dict[str, list[dict]]:
    eng = sa.create_engine(f"sqlite:///{FIXTURE}")
    meta = sa.MetaData()
    meta.reflect(eng)
    with eng.connect() as conn:
        out = {
            t.name: [dict(r) for r in conn.execute(sa.select(t)).mappings()]
            for t in meta.sorted_tables
        }
    eng.dispose()
    return out


def _old_rolling() -> pd.DataFrame:
    rows = pd.DataFrame(_fixture_rows()["asset_rolling_correlations"])
    rows["as_of"] = pd.to_datetime(rows["as_of"])
    rows["date"] = pd.to_datetime(rows["date"])
    return rows.rename(columns={"window_name": "window"})


def _load_v2(url: str, tmp_path: Path, monkeypatch) -> str:
    """The schema-2 fixture at ``url``: a copy (SQLite) or migrations 1-2 + its rows (PG)."""
    if url.startswith("sqlite"):
        path = tmp_path / "v2.sqlite"
        shutil.copy(FIXTURE, path)
        return f"sqlite:///{path}"
    with monkeypatch.context() as m:  # the schema-2 code path: migrations 1 and 2 only
        m.setattr(M, "MIGRATIONS", M.MIGRATIONS[:2])
        m.setattr(M, "SCHEMA_VERSION", 2)
        db.open_store(url).close()
    rows = _fixture_rows()
    eng = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(eng)
    with eng.begin() as conn:
        for table in meta.sorted_tables:  # foreign keys: events before orders
            if table.name == "schema_version" or not rows.get(table.name):
                continue
            conn.execute(table.insert(), rows[table.name])
            if "id" in table.c:
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))"
                    )
                )
    eng.dispose()
    return url


def test_fixture_is_a_schema_2_database() -> None:
    rows = _fixture_rows()
    assert [r["version"] for r in rows["schema_version"]] == [1, 2]
    assert {c.name for c in M.ROLLING_V2.columns} == set(rows["asset_rolling_correlations"][0])
    assert len(rows["asset_rolling_correlations"]) == 3 * 17  # 3 snapshots x (2 x 9 − 1) cells


def test_v2_rolling_rows_become_one_blob_per_window(store_url, tmp_path, monkeypatch) -> None:
    old = _old_rolling()
    url = _load_v2(store_url, tmp_path, monkeypatch)
    snaps = db.list_snapshots(url)  # read-only commands migrate too
    assert read.read_table(url, "schema_version")["version"].tolist() == [1, 2, 3]
    assert len(snaps) == 3
    table = read.read_table(url, "asset_rolling_correlations")
    assert len(table) == 3 * 2 and set(table["window_name"]) == {"20d", "60d"}
    assert set(table["n_dates"]) == {3} and set(table["n_tickers"]) == {3}
    for (pid, as_of), grp in old.groupby(["portfolio_id", "as_of"]):
        back = read.rolling_correlations(url, pid, as_of)
        assert len(back) == 2 * 3 * 3  # every cell: the one without a row is NaN
        merged = back.merge(grp, on=["window", "date", "ticker"], how="left")
        have = merged["id"].notna()
        assert have.sum() == len(grp) == 17
        got, want = merged.loc[have, "correlation_x"], merged.loc[have, "correlation_y"]
        np.testing.assert_array_equal(got.isna(), want.isna())
        np.testing.assert_allclose(got, want, rtol=0, atol=6e-8)
        assert merged.loc[~have, "correlation_x"].isna().all()
        assert merged.loc[~have, ["window", "ticker"]].values.tolist() == [["60d", "LQD"]]
        first = back[back["window"] == "20d"]
        assert first["ticker"].tolist()[:3] == ["TLT", "AGG", "LQD"]  # the written order
        assert first["date"].is_monotonic_increasing
    # the other schema-2 tables are untouched
    assert read.correlation_windows(url)["window"].tolist().count("1Y") == 2
    assert len(read.positions(url, "demo", "2025-06-02")) == 4
    # and the store writes the new layout on top
    db.record_pack(url, portfolio_id="demo", as_of="2025-06-16", **full_inputs("2025-06-16"))
    new = read.rolling_correlations(url, "demo", "2025-06-16")
    assert new["window"].tolist() == ["20D", "60D"] and new["correlation"].tolist() == [
        np.float32(0.8),
        np.float32(0.7),
    ]


def test_v1_database_reaches_schema_3(store_url, tmp_path) -> None:
    url = load_v1(store_url, tmp_path)
    db.open_store(url).close()
    eng = sa.create_engine(url)
    cols = {c["name"] for c in sa.inspect(eng).get_columns("asset_rolling_correlations")}
    eng.dispose()
    assert cols == {c.name for c in S.asset_rolling_correlations.columns}
    assert read.rolling_correlations(url).empty
    wide = pd.DataFrame(
        [[0.5, np.nan], [0.25, -0.125]],
        index=pd.to_datetime(["2025-06-05", "2025-06-09"]),
        columns=["AGG", "TLT"],
    )
    db.record_pack(url, portfolio_id="demo", as_of="2025-06-09", rolling_correlations={"20d": wide})
    back = read.rolling_correlations(url, "demo", "2025-06-09", window="20D")
    assert back["ticker"].tolist() == ["AGG", "TLT", "AGG", "TLT"]
    assert back["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-06-05"] * 2 + ["2025-06-09"] * 2
    np.testing.assert_array_equal(back["correlation"], [0.5, np.nan, 0.25, -0.125])
    assert read.rolling_correlations(url, "demo", tickers=["TLT"])["correlation"].tolist()[1] == (
        -0.125
    )
