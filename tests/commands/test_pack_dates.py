"""``fimonitor pack --from/--to --executor``: a process pool gives the serial run's folders and
database, the database is created once before the workers start, a failing date stops the
batch as it does date by date, and a failed run leaves nothing behind."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers.outputs import csv_files, manifests
from helpers.tiny import DATA, TINY_DATES, TINY_PRICES, TINY_TRANSACTIONS, write_tiny_book

from fimonitor import pipeline
from fimonitor.cli import main
from fimonitor.store.migrations import SCHEMA_VERSION

DEMO_WEEKS = ["--from", "2026-04-09", "--to", "2026-04-30", "--every", "week"]
DEMO_STAMPS = ["20260410", "20260417", "20260424", "20260430"]
GAP_DAYS = ["--from", "2024-02-01", "--to", "2024-02-09", "--every", "day"]
GAP_ERROR = (
    "fimonitor: error: prices.csv: ticker HYB: no price on the as-of date 2024-02-05 "
    "(it has no close, more than 5 trading days old)\n"
)


def pack(data: Path, out: Path, *extra: str) -> int:
    return main(["pack", "--data", str(data), "--out", str(out), *extra])


def database(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows without surrogate keys and time stamps, sorted (order-free).

    A rebalancing order names its event by the event's own columns instead of its id. The
    daily-returns rows keep their ``as_of`` tag: the store tags each day with the latest pack
    covering it whatever the order the dates are recorded in.
    """
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        events = {}
        cur = con.execute("SELECT * FROM rebalancing_events")
        cols = [d[0] for d in cur.description]
        for row in cur:
            rec = dict(zip(cols, row, strict=True))
            key = rec.pop("id")
            events[key] = tuple(v for k, v in rec.items() if not k.endswith("_at"))
        out = {}
        for name in sorted(set(names) - {"sqlite_sequence", "schema_version"}):
            cur = con.execute(f'SELECT * FROM "{name}"')
            cols = [d[0] for d in cur.description]
            rows = []
            for row in cur:
                rec = dict(zip(cols, row, strict=True))
                rec.pop("id", None)
                if "event_id" in rec:
                    rec["event_id"] = events[rec["event_id"]]
                rows.append(tuple(repr(v) for k, v in rec.items() if not k.endswith("_at")))
            out[name] = sorted(rows)
        out["schema_version"] = [
            r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY version")
        ]
        return out
    finally:
        con.close()


def snapshot_dates(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT as_of FROM portfolio_performance_history ORDER BY as_of")
        return [str(r[0])[:10].replace("-", "") for r in rows]
    finally:
        con.close()


def gap_book(folder: Path) -> Path:
    """The tiny book with HYB bought on 2024-02-05 and priced only after that day.

    Every date but 2024-02-05 builds; that date fails its as-of check (an input error).
    """
    rows = [
        f"{d},{t},{p},{p}"
        for t, ps in TINY_PRICES.items()
        for d, p in zip(TINY_DATES, ps, strict=True)
        if not (t == "HYB" and d <= "2024-02-05")
    ]
    return write_tiny_book(
        folder,
        **{
            "prices.csv": "date,ticker,close,adj_close\n" + "\n".join(rows) + "\n",
            "transactions.csv": TINY_TRANSACTIONS.replace(
                "2024-01-29,HYB,BUY,200,80,0", "2024-02-05,HYB,BUY,200,86,0"
            ),
        },
    )


def test_executor_without_from_is_a_usage_error(tmp_path, capsys):
    assert pack(DATA, tmp_path / "o", "--executor", "process:2") == 2
    err = capsys.readouterr().err
    assert err == "fimonitor: error: --executor needs --from (it runs the dates of a batch)\n"
    assert not (tmp_path / "o").exists()


def test_bad_executor_stops_before_any_work(tmp_path, capsys):
    code = pack(DATA, tmp_path / "o", *DEMO_WEEKS, "--executor", "threads")
    assert code == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("fimonitor: error: --executor 'threads': expected serial")
    assert captured.out == ""
    assert not (tmp_path / "o").exists()


def test_process_pool_gives_the_serial_folders_and_database(tmp_path, capsys, no_render):
    """4 demo dates: same CSVs, manifests (created time aside), index and database rows."""
    serial, pool = tmp_path / "serial", tmp_path / "pool"
    assert pack(DATA, serial, *DEMO_WEEKS) == 0
    assert capsys.readouterr().out.split() == [
        *(str(serial / s) for s in DEMO_STAMPS),
        str(serial / "index.html"),
    ]
    assert pack(DATA, pool, *DEMO_WEEKS, "--executor", "process:2") == 0
    assert capsys.readouterr().out.split() == [
        *(str(pool / s) for s in DEMO_STAMPS),
        str(pool / "index.html"),
    ]
    got, want = csv_files(pool), csv_files(serial)
    assert len(want) > 4 * 10
    assert got == want
    assert manifests(pool) == manifests(serial)
    assert (pool / "index.html").read_bytes() == (serial / "index.html").read_bytes()
    assert database(pool / "fimonitor.sqlite") == database(serial / "fimonitor.sqlite")
    assert snapshot_dates(pool / "fimonitor.sqlite") == DEMO_STAMPS


def test_database_is_created_once_before_the_workers_start(tmp_path, monkeypatch, no_render):
    """A fresh OUT, process:2: every worker finds the complete schema before its first pack.

    Fails if the workers had to create the SQLite file or its schema themselves (they would
    race on it); the spy runs inside the forked workers.
    """
    data = write_tiny_book(tmp_path / "d")
    out = tmp_path / "fresh"
    db = out / "fimonitor.sqlite"
    real = pipeline.run_pack

    def spy(**kwargs):
        assert db.is_file(), "no database when a worker started"
        con = sqlite3.connect(db)
        try:
            versions = [r[0] for r in con.execute("SELECT version FROM schema_version")]
        finally:
            con.close()
        assert versions == list(range(1, SCHEMA_VERSION + 1))
        return real(**kwargs)

    monkeypatch.setattr(pipeline, "run_pack", spy)
    days = ["--from", "2024-02-01", "--to", "2024-02-09", "--every", "day"]
    assert pack(data, out, *days, "--executor", "process:2") == 0
    assert snapshot_dates(db) == [d.replace("-", "") for d in TINY_DATES[3:]]
    assert database(db)["schema_version"] == list(range(1, SCHEMA_VERSION + 1))


@pytest.mark.parametrize("executor", ["serial", "process:2"])
def test_a_failing_date_stops_the_batch_like_date_by_date(tmp_path, capsys, executor, no_render):
    """Earlier dates are published, the error is the failing date's, exit 2.

    Serial builds nothing after the failure; a pool may have started later dates, and
    those are published whole (folder and record) or not at all.
    """
    data = gap_book(tmp_path / "d")
    out = tmp_path / "out"
    capsys.readouterr()
    assert pack(data, out, *GAP_DAYS, "--executor", executor) == 2
    captured = capsys.readouterr()
    assert captured.err.endswith(GAP_ERROR)
    printed = captured.out.split()
    assert printed[:2] == [str(out / "20240201"), str(out / "20240202")]
    assert str(out / "index.html") not in printed
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert [str(out / f) for f in folders] == printed
    assert "20240205" not in folders
    if executor == "serial":
        assert folders == ["20240201", "20240202"]
    assert snapshot_dates(out / "fimonitor.sqlite") == folders
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp folder left
    index = (out / "index.html").read_text()
    assert all(f"{f}/" in index for f in folders)


@pytest.mark.parametrize("executor", ["serial", "process:2"])
def test_a_run_whose_every_date_fails_leaves_nothing(tmp_path, capsys, executor, no_render):
    data = gap_book(tmp_path / "d")
    out = tmp_path / "new" / "out"
    days = ["--from", "2024-02-05", "--to", "2024-02-05", "--every", "day"]
    assert pack(data, out, *days, "--executor", executor) == 2
    assert capsys.readouterr().err.endswith(GAP_ERROR)
    assert not (tmp_path / "new").exists()


def test_a_batch_writes_the_index_once_over_every_date(tmp_path, monkeypatch, no_render):
    """Each date's pack leaves OUT/index.html alone; the run writes it once, at the end."""
    from fimonitor.report import index as index_module

    calls: list[list[str]] = []
    real = index_module.render_index

    def spy(out_dir: Path) -> str:
        calls.append(sorted(p.name for p in Path(out_dir).iterdir() if p.is_dir()))
        return real(out_dir)

    monkeypatch.setattr(index_module, "render_index", spy)
    out = tmp_path / "out"
    days = ["--from", "2024-02-01", "--to", "2024-02-09", "--every", "day"]
    assert pack(DATA, out, *days) == 0
    dates = [d.replace("-", "") for d in TINY_DATES if "2024-02-01" <= d <= "2024-02-09"]
    assert calls == [dates]
    html = (out / "index.html").read_text()
    assert all(f"{d}/" in html for d in dates)
