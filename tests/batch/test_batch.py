"""fimonitor batch: executors agree byte for byte, failures are isolated, the firm view
matches the books' own packs, re-runs are idempotent and previous dates are fixed first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from helpers.outputs import csv_files, manifests

from fimonitor.batch import BatchOptions, parse_executor, read_books, run_batch
from fimonitor.batch.demo import write_demo_books
from fimonitor.batch.worker import CRASH_ENV, Task, plan_book, run_task, shared_prices
from fimonitor.cli import main
from fimonitor.pipeline import build_pack, load_inputs, run_pack

AS_OF = "2026-04-30"


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> Path:
    """Three demo books (no broken one)."""
    folder = tmp_path_factory.mktemp("books")
    write_demo_books(folder, 3)
    return folder


@pytest.fixture(scope="module")
def serial_out(books, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("serial")
    result = run_batch(
        read_books(books),
        BatchOptions(out=out, as_of=AS_OF, render=False),
        parse_executor("serial"),
    )
    assert result.failures() == []
    return out


def test_packs_land_under_book_folders(serial_out):
    assert sorted(p.name for p in serial_out.iterdir() if p.is_dir()) == [
        "book_1",
        "book_2",
        "book_3",
        "firm",
    ]
    for b in ("book_1", "book_2", "book_3"):
        assert (serial_out / b / "20260430" / "portfolio_summary.csv").is_file()
        assert (serial_out / b / "index.html").is_file()
    assert "firm/20260430/" in (serial_out / "index.html").read_text()
    assert "book_2/20260430/" in (serial_out / "index.html").read_text()


def test_process_pool_gives_identical_csvs(books, serial_out, tmp_path):
    result = run_batch(
        read_books(books),
        BatchOptions(out=tmp_path, as_of=AS_OF, render=False),
        parse_executor("process:2"),
    )
    assert result.failures() == []
    assert csv_files(tmp_path) == csv_files(serial_out)
    assert manifests(tmp_path) == manifests(serial_out)


@pytest.mark.slow  # ~40 s: spawning two Dask worker processes that import the package
def test_dask_local_cluster_gives_identical_csvs(books, serial_out, tmp_path):
    pytest.importorskip("distributed")
    result = run_batch(
        read_books(books),
        BatchOptions(out=tmp_path, as_of=AS_OF, render=False),
        parse_executor("dask"),
    )
    assert result.failures() == []
    got, want = csv_files(tmp_path), csv_files(serial_out)
    assert len(want) > 3 * 10
    assert got == want
    assert manifests(tmp_path) == manifests(serial_out)


def test_batch_pack_equals_a_single_pack(books, serial_out, tmp_path):
    """A book's batch pack has the same CSVs as `fimonitor pack` on its folder."""
    single = run_pack(AS_OF, books / "book_2", output_dir=tmp_path, render=False)
    batch = serial_out / "book_2" / "20260430"
    names = sorted(p.name for p in single.glob("*.csv"))
    assert names == sorted(p.name for p in batch.glob("*.csv"))
    for n in names:
        assert (single / n).read_bytes() == (batch / n).read_bytes(), n


def _summary(folder: Path) -> dict[str, str]:
    s = pd.read_csv(folder / "portfolio_summary.csv", dtype=str)
    return dict(zip(s["metric"], s["value"], strict=True))


def test_firm_summary_matches_the_books_packs(serial_out):
    firm = pd.read_csv(serial_out / "firm" / "20260430" / "firm_summary.csv", dtype=str)
    assert list(firm.columns) == [
        "book",
        "status",
        "market_value",
        "duration_gap",
        "portfolio_dv01",
        "n_breach",
        "n_warn",
        "worst_alert",
        "pack",
    ]
    assert list(firm["book"]) == ["book_1", "book_2", "book_3"]
    all_alerts = []
    for row in firm.itertuples():
        pack = serial_out / row.pack
        s = _summary(pack)
        assert row.status == "ok"
        for col in ("market_value", "duration_gap", "portfolio_dv01", "n_breach", "n_warn"):
            assert float(getattr(row, col)) == float(s[col]), (row.book, col)
        alerts = pd.read_csv(pack / "alerts.csv", keep_default_na=False)
        # worst alert, independently: BREACH first, then the largest relative excess
        best = None
        for a in alerts.to_dict("records"):
            key = (
                a["severity"] == "BREACH",
                abs(a["value"] - a["limit"]) / (abs(a["limit"]) or 1.0),
            )
            if best is None or key > best[0]:
                best = (key, " ".join(x for x in (a["severity"], a["rule"], a["ticker"]) if x))
        assert row.worst_alert == best[1]
        all_alerts.append(alerts.assign(book=row.book))
    firm_alerts = pd.read_csv(
        serial_out / "firm" / "20260430" / "firm_alerts.csv", keep_default_na=False
    )
    expected = pd.concat(all_alerts, ignore_index=True)[list(firm_alerts.columns)]
    pd.testing.assert_frame_equal(firm_alerts, expected)
    # aggregate DV01 by group = the sum over books of each pack's holdings' DV01
    pos = pd.concat(pd.read_csv(serial_out / p / "today_positions.csv") for p in firm["pack"])
    pos = pos[pos["ticker"] != "CASH"]
    dv01 = pd.read_csv(serial_out / "firm" / "20260430" / "firm_dv01_by_group.csv")
    want = pos.groupby("group")["dv01"].sum()
    assert dv01.set_index("group")["portfolio_dv01"].to_dict() == pytest.approx(want.to_dict())


def test_database_has_one_snapshot_per_book_and_rerun_is_idempotent(books, tmp_path):
    opts = BatchOptions(out=tmp_path, as_of=AS_OF, render=False)
    run_batch(read_books(books), opts, parse_executor("serial"))
    first = csv_files(tmp_path)

    def rows():
        with sqlite3.connect(tmp_path / "fimonitor.sqlite") as c:
            return c.execute(
                "select portfolio_id, count(*) from alerts group by 1 order by 1"
            ).fetchall()

    before = rows()
    assert [b for b, _ in before] == ["book_1", "book_2", "book_3"]
    run_batch(read_books(books), opts, parse_executor("serial"))
    assert rows() == before
    assert csv_files(tmp_path) == first
    leftovers = [p for p in tmp_path.rglob(".*") if "tmp" in p.name or "old" in p.name]
    assert leftovers == []


def test_broken_book_is_reported_and_the_others_complete(tmp_path, capsys):
    books = tmp_path / "books"
    write_demo_books(books, 3, broken=True)
    out = tmp_path / "out"
    code = main(["batch", "--books", str(books), "--out", str(out), "--as-of", AS_OF, "--no-png"])
    err = capsys.readouterr().err
    assert code == 2
    failed = [line for line in err.splitlines() if line.startswith("fimonitor: book ")]
    assert failed == [
        "fimonitor: book book_3: input error: transactions.csv: row 4, ticker ZZZZ: "
        "ticker is not in security_master.csv (add it there with its group and rating)"
    ]
    assert not (out / "book_3").exists()
    for b in ("book_1", "book_2"):
        folder = out / b / "20260430"
        assert (folder / "20260430_FixedIncome_MonitoringPack_3pages.pdf").is_file()
        assert not list(folder.glob("*.png"))
    firm = pd.read_csv(out / "firm" / "20260430" / "firm_summary.csv", dtype=str)
    assert list(firm["status"]) == ["ok", "ok", "input_error"]
    assert (out / "firm" / "20260430" / "20260430_firm_summary.pdf").is_file()
    assert not list((out / "firm" / "20260430").glob("*.png"))


def test_crashing_book_exits_1_and_the_others_complete(books, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(CRASH_ENV, "book_2")
    two = books / "two.yaml"  # book_1 and book_2 only: one PDF to render
    two.write_text(
        "\n".join(
            f"- {{name: {b}, data: {b}, config: {b}/monitor.yaml}}" for b in ("book_1", "book_2")
        )
    )
    code = main(
        [
            "batch",
            "--books",
            str(two),
            "--out",
            str(tmp_path),
            "--as-of",
            AS_OF,
            "--no-png",
            "--executor",
            "process:2",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    failed = [line for line in err.splitlines() if line.startswith("fimonitor: book ")]
    assert len(failed) == 1
    assert failed[0].startswith("fimonitor: book book_2: internal error: RuntimeError: injected")
    assert not (tmp_path / "book_2").exists()
    assert (tmp_path / "book_1" / "20260430" / "alerts.csv").is_file()
    firm = pd.read_csv(tmp_path / "firm" / "20260430" / "firm_summary.csv", dtype=str)
    assert list(firm["status"]) == ["ok", "internal_error"]


def test_previous_dates_are_fixed_before_dispatch(books, tmp_path):
    seen = []

    def on_plan(tasks):
        seen.extend(tasks)
        assert not any((tmp_path / t.book.name).exists() for t in tasks)  # nothing built yet

    opts = BatchOptions(
        out=tmp_path, date_from="2026-04-13", date_to=AS_OF, every="week", render=False
    )
    run_batch(read_books(books)[:1], opts, parse_executor("process:2"), on_plan=on_plan)
    assert [t.as_of.date().isoformat() for t in seen] == ["2026-04-17", "2026-04-24", AS_OF]
    book, config = load_inputs(books / "book_1")
    for i, t in enumerate(seen):
        # the previous date of the batch; the first date has none: the week-earlier fallback
        if i:
            assert t.previous_as_of == seen[i - 1].as_of
        else:
            auto = build_pack(book, config, t.as_of, with_risk=False, with_rebalance=False)
            assert t.previous_as_of == auto.previous_as_of
        s = _summary(tmp_path / t.book.name / t.as_of.strftime("%Y%m%d"))
        assert s["previous_as_of"] == t.previous_as_of.date().isoformat()
    assert [p.name for p in sorted((tmp_path / "firm").iterdir())] == [
        "20260417",
        "20260424",
        "20260430",
    ]


def test_worker_uses_the_dispatched_previous_date(books, tmp_path):
    """The worker builds against the date it was given, it does not pick its own."""
    plan = plan_book(read_books(books)[0], AS_OF)
    ((day, prev),) = plan.dates
    forced = pd.Timestamp("2026-03-31")
    assert prev != forced
    spec = read_books(books)[0]
    r = run_task(Task(spec, day, forced, tmp_path, render=False))
    assert r.status == "ok"
    assert _summary(tmp_path / r.pack)["previous_as_of"] == "2026-03-31"


def test_shared_prices_are_read_once_per_process(books, tmp_path):
    a = shared_prices(books / "book_1" / "prices.csv")
    b = shared_prices(books / "book_2" / "prices.csv")
    assert a is b  # both link to books/_shared/prices.csv
    copy = tmp_path / "prices.csv"
    copy.write_bytes((books / "_shared" / "prices.csv").read_bytes())
    c = shared_prices(copy)
    assert c is not a
    with open(copy, "a") as fh:
        fh.write("2026-05-01,SGOV,100.5,100.5,,,,\n")
    d = shared_prices(copy)
    assert d is not c and len(d) == len(c) + 1


def test_worker_recording_is_the_folders_commit_step(books, tmp_path, monkeypatch):
    """A worker that records the database itself publishes the folder only once recorded.

    A first run records and publishes; a second run whose record fails publishes nothing:
    the earlier folder of that date stays byte for byte, no temporary folder is left, and
    the database still holds the first record only.
    """
    import fimonitor.batch.worker as worker
    from fimonitor.store.db import snapshots

    spec = read_books(books)[0]
    ((day, prev),) = plan_book(spec, AS_OF).dates
    db = f"sqlite:///{tmp_path / 'h.sqlite'}"
    first = run_task(Task(spec, day, prev, tmp_path, render=False, db=db))
    assert first.status == "ok" and first.record is None  # recorded by the worker
    folder = tmp_path / first.pack
    (folder / "earlier.txt").write_text("the earlier pack of this date")  # must survive
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    inode = folder.stat().st_ino
    assert len(snapshots(db)) == 1

    def broken(*_a, **_k):
        raise RuntimeError("database went away")

    monkeypatch.setattr(worker, "record", broken)
    second = run_task(Task(spec, day, prev, tmp_path, render=False, db=db))
    assert second.status == "internal_error" and "database went away" in second.message
    assert folder.stat().st_ino == inode  # the folder was not replaced
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert not [p.name for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp
    assert len(snapshots(db)) == 1


def test_workers_record_sqlite_as_the_folders_commit_step(books, tmp_path, monkeypatch):
    """With SQLite the workers record too: a book whose record fails publishes no folder.

    The database file and schema exist before dispatch (made once, not by racing workers);
    the other books publish and are recorded; when every record fails, the run leaves no
    database file behind.
    """
    import fimonitor.batch.worker as worker
    from fimonitor.store.db import snapshots

    real = worker.record
    seen: list[list] = []

    def record_all_but_book_2(pack, url, *a, **k):
        assert Path(url.split(":///", 1)[1]).is_absolute()  # workers get an absolute path
        assert (tmp_path / "out" / "fimonitor.sqlite").is_file()  # made before dispatch
        if pack.portfolio_name == "book_2":
            raise RuntimeError("database went away")
        return real(pack, url, *a, **k)

    monkeypatch.setattr(worker, "record", record_all_but_book_2)
    opts = BatchOptions(out=tmp_path / "out", as_of=AS_OF, render=False)
    result = run_batch(
        read_books(books), opts, parse_executor("serial"), on_plan=lambda t: seen.append(t)
    )
    assert {t.db for t in seen[0]} == {f"sqlite:///{(tmp_path / 'out' / 'fimonitor.sqlite')}"}
    status = {r.book: r.status for r in result.results}
    assert status == {"book_1": "ok", "book_2": "internal_error", "book_3": "ok"}
    assert not (tmp_path / "out" / "book_2").exists() or not any(
        p.name[:1].isdigit() for p in (tmp_path / "out" / "book_2").iterdir()
    )  # no pack folder went live for the book whose record failed
    assert sorted(
        snapshots(opts.db or f"sqlite:///{tmp_path / 'out' / 'fimonitor.sqlite'}")["portfolio_id"]
    ) == ["book_1", "book_3"]

    def always_fails(*_a, **_k):
        raise RuntimeError("database went away")

    monkeypatch.setattr(worker, "record", always_fails)
    fresh = BatchOptions(out=tmp_path / "fresh", as_of=AS_OF, render=False)
    run_batch(read_books(books), fresh, parse_executor("serial"))
    assert not (tmp_path / "fresh" / "fimonitor.sqlite").exists()


def test_worker_database_choice(tmp_path, monkeypatch):
    """Server URLs and local SQLite go to the workers (SQLite as an absolute path); SQLite
    behind a Dask scheduler address is recorded by the parent."""
    from fimonitor.batch.run import worker_database

    monkeypatch.chdir(tmp_path)
    pg = "postgresql+psycopg://u@127.0.0.1:5432/db"
    assert worker_database(pg, parse_executor("dask:tcp://10.0.0.1:8786")) == pg
    assert worker_database("sqlite:///h.sqlite", parse_executor("process:2")) == (
        f"sqlite:///{(tmp_path / 'h.sqlite').as_posix()}"
    )
    assert worker_database("sqlite:///h.sqlite", parse_executor("dask")) is not None
    assert worker_database("sqlite:///h.sqlite", parse_executor("dask:tcp://10.0.0.1:8786")) is None
