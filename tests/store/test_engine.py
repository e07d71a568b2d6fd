"""Opening the store: one-line errors before any pack is built; concurrent writers; the pipeline."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fimonitor.errors import InputError, StoreError
from fimonitor.store import db, read

from .store_helpers import AS_OF, counts, full_inputs

HERE = Path(__file__).parent
REPO = HERE.parents[1]


def _one_line(err: Exception) -> str:
    text = str(err)
    assert "\n" not in text and "[SQL" not in text and "sqlalche.me" not in text, text
    return text


def test_bad_url_is_one_line() -> None:
    with pytest.raises(StoreError, match="not a SQLAlchemy URL") as err:
        db.open_store("not a url")
    _one_line(err.value)
    with pytest.raises(StoreError, match="unknown database kind 'nosuchdb'"):
        db.open_store("nosuchdb://x/y")


def test_directory_and_corrupt_file(tmp_path) -> None:
    with pytest.raises(StoreError, match="is a directory") as err:
        db.open_store(f"sqlite:///{tmp_path}")
    _one_line(err.value)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database, just some text\n" * 200)
    with pytest.raises(
        StoreError, match=r"cannot open the history database.*not a database"
    ) as err:
        db.open_store(f"sqlite:///{junk}")
    _one_line(err.value)


def test_read_only_file(tmp_path, monkeypatch) -> None:
    path = tmp_path / "h.sqlite"
    db.open_store(f"sqlite:///{path}").close()
    real = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p) == path else real(p, mode)
    )  # chmod does not stop root, which runs CI
    with pytest.raises(StoreError, match=r"h\.sqlite is read-only"):
        db.open_store(f"sqlite:///{path}")
    assert db.list_snapshots(f"sqlite:///{path}").empty  # reading still works


def test_missing_driver_and_unreachable_server() -> None:
    with pytest.raises(StoreError, match=r"driver 'psycopg2' is not installed \(pip install") as e:
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            db.open_store("postgresql+psycopg2://u:secret@127.0.0.1:1/db")
        else:  # pragma: no cover - the driver happens to be installed
            raise StoreError("driver 'psycopg2' is not installed (pip install: skipped)")
    assert "secret" not in str(e.value)
    with socket.socket() as s:  # a local port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreError, match="cannot open the history database") as err:
        db.open_store(f"postgresql+psycopg://u:secret@127.0.0.1:{port}/db?connect_timeout=2")
    assert "secret" not in _one_line(err.value)


def test_missing_sqlite_file_is_not_created_by_readers(tmp_path) -> None:
    path = tmp_path / "absent" / "h.sqlite"
    with pytest.raises(InputError, match="no history database"):
        db.list_snapshots(f"sqlite:///{path}")
    assert not path.parent.exists()


def test_open_store_is_reusable(store_url) -> None:
    with db.open_store(store_url) as store:
        db.record_pack(store, portfolio_id="demo", as_of=AS_OF, **full_inputs(AS_OF))
        db.record_pack(store, portfolio_id="demo", as_of=AS_OF, **full_inputs(AS_OF))
        assert len(read.snapshots(store)) == 1
        assert store.dialect in ("sqlite", "postgresql")


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {here!r})
    from store_helpers import full_inputs
    from fimonitor.store import db
    for i in range(4):
        db.record_pack({url!r}, portfolio_id="demo", as_of="2025-06-02",
                       **full_inputs("2025-06-02", scale=1.0 + i))
    print("done")
    """
)


def test_concurrent_writers_leave_one_snapshot(store_url) -> None:
    """Two processes on a new database: migrations once, every write whole, one snapshot."""
    code = WRITER.format(here=str(HERE), url=store_url)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    deadline = time.monotonic() + 120
    results = [p.communicate(timeout=max(1, deadline - time.monotonic())) for p in procs]
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
        assert out.strip() == "done"
    n = counts(store_url)
    assert n["portfolio_performance_history"] == 1
    assert n["rebalancing_events"] == 3 and n["rebalancing_orders"] == 4
    assert read.read_table(store_url, "schema_version")["version"].tolist() == [1, 2, 3]
    assert read.snapshots(store_url)["market_value"].iloc[0] == 17000.0 * 4


@pytest.mark.slow
def test_pack_runs_record_once_per_as_of(tiny_dir, tmp_path, store_url) -> None:
    """The real pipeline (0.1's record call): two runs for one as-of and one for another."""
    from fimonitor.pipeline import run_pack

    out = tmp_path / "out"
    run_pack("2024-02-09", tiny_dir, output_dir=out, db=store_url, render=False)
    once = counts(store_url)
    assert once["portfolio_performance_history"] == 1
    assert once["portfolio_positions"] >= 5 and once["portfolio_risk_metrics"] >= 14
    run_pack("2024-02-09", tiny_dir, output_dir=out, db=store_url, render=False)
    assert counts(store_url) == once
    run_pack("2024-02-08", tiny_dir, output_dir=out, db=store_url, render=False)
    twice = counts(store_url)
    assert twice["portfolio_performance_history"] == 2
    assert twice["portfolio_risk_metrics"] == 2 * once["portfolio_risk_metrics"]
    snap = db.list_snapshots(store_url)
    assert snap["as_of"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-08", "2024-02-09"]
    day = read.positions(store_url, as_of="2024-02-09").set_index("ticker")
    positions = pd.read_csv(out / "20240209" / "today_positions.csv").set_index("ticker")
    pd.testing.assert_series_equal(
        day["weight"].sort_index(), positions["weight"].sort_index(), check_names=False
    )


@pytest.mark.slow
def test_real_pack_proposals_with_orders(tiny_dir, tmp_path, store_url) -> None:
    """What the pipeline will pass (0.2): each proposal an event holding its scenario's orders."""
    from fimonitor.pipeline import build_pack, load_inputs
    from fimonitor.results import ALERT_COLUMNS, POSITION_COLUMNS
    from fimonitor.store.targets import targets_from_monitor

    book, config = load_inputs(tiny_dir)
    pack = build_pack(book, config, "2024-02-09")
    with db.open_store(store_url) as store:
        db.record_pack(
            store,
            portfolio_id=pack.portfolio_name,
            as_of=pack.as_of,
            risk_metrics=pack.risk_metrics,
            alerts=pack.alerts[ALERT_COLUMNS],
            positions=pack.positions[POSITION_COLUMNS],
            allocations=targets_from_monitor(pack.positions, config),
            correlations=pack.correlations,
            rebalancing=pack.rebalance.summary,
            rebalance_orders=pack.rebalance.orders,
        )
        events = read.events(store).set_index("scenario")
        orders = read.event_orders(store)
        targets = read.allocations(store)
    summary = pack.rebalance.summary.set_index("scenario")
    assert set(events.index) == set(summary.index) - {"PRE"}
    for scenario, ev in events.iterrows():
        mine = pack.rebalance.orders[pack.rebalance.orders["scenario"] == scenario]
        stored = orders[orders["event_id"] == ev["id"]]
        assert ev["n_orders"] == len(mine) == len(stored)
        assert stored["ticker"].tolist() == mine["ticker"].tolist()
        np.testing.assert_allclose(stored["notional"], mine["notional"])
        assert ev["cost"] == pytest.approx(float(summary.loc[scenario, "est_cost"]))
        assert ev["status"] == (
            "infeasible" if summary.loc[scenario, "status"] == "infeasible" else "pending"
        )
    assert events["n_orders"].sum() > 0
    bench = pack.positions.set_index("ticker")["benchmark_weight"]
    got = targets.set_index("ticker_or_group")["target_weight"]
    np.testing.assert_allclose(got.reindex(bench.index), bench)
