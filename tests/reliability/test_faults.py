"""Faults: kill -9 at every step of the publish, concurrent packs, disk full, failing commits.

The kill tests run ``fimonitor pack`` in a child process that sends itself SIGKILL at a named
point of :func:`fimonitor.fileio.atomic_folder` (``FIMONITOR_TEST_KILL_AT``); the next run
that writes OUT must leave one complete pack whose database record matches it, and no hidden
folders. Before the commit (the database record) the earlier pack is restored byte for byte;
after it, the killed run's pack is completed (pack and database agree).
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.hostile import CHILD, no_render_env, run_cli, tree_digest

from fimonitor import fileio
from fimonitor.fileio import atomic_folder, recover, sha256_file

STAMP = "20240209"


def child(ws, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    argv = ["pack", "--data", str(ws.tiny), "--out", str(ws.out), *extra]
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *argv],
        env={**no_render_env(), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ws.root / "tmp",
    )


def snapshots(out: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(out / "fimonitor.sqlite") as con:
        return con.execute(
            "select portfolio_id, as_of, count(*) from portfolio_performance_history "
            "group by 1, 2 order by 1, 2"
        ).fetchall()


def assert_complete(folder: Path) -> dict:
    """The folder's manifest lists exactly its files, with matching SHA-256."""
    manifest = json.loads((folder / "manifest.json").read_text())
    files = {p.name for p in folder.iterdir()} - {"manifest.json"}
    assert files == set(manifest["outputs"])
    for name, digest in manifest["outputs"].items():
        assert sha256_file(folder / name) == digest, name
    return manifest


def hidden(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


def rename_book(ws, old: str, new: str) -> None:
    ws.edit("tiny/monitor.yaml", lambda t: t.replace(old, new, 1))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "committed"),
    [
        ("before_commit", False),
        ("after_commit", True),
        ("between_renames", True),
        ("after_swap", True),
    ],
)
def test_kill_9_then_next_run_recovers(ws, capsys, point, committed):
    earlier = tree_digest(ws.out / STAMP)
    rename_book(ws, "Tiny Test Book", "Killed Run")
    proc = child(ws, env={"FIMONITOR_TEST_KILL_AT": point})
    proc.communicate(timeout=120)
    assert proc.returncode == -9, point
    assert hidden(ws.out)  # the killed run left a temp or backup folder
    if point == "between_renames":
        assert not (ws.out / STAMP).exists()  # the window the issue describes
    # the next run that writes OUT (another date) restores or completes, then publishes
    rename_book(ws, "Killed Run", "Tiny Test Book")
    code, _, err = run_cli(
        ["pack", "--data", str(ws.tiny), "--out", str(ws.out), "--as-of", "2024-02-08"], capsys
    )
    assert code == 0, err
    assert hidden(ws.out) == []
    manifest = assert_complete(ws.out / STAMP)
    assert_complete(ws.out / "20240208")
    if committed:
        assert manifest["portfolio_name"] == "Killed Run"
        assert ("Killed Run", "2024-02-09", 1) in snapshots(ws.out)
    else:
        assert tree_digest(ws.out / STAMP) == earlier
        assert [s for s in snapshots(ws.out) if s[0] == "Killed Run"] == []


@pytest.mark.slow
@pytest.mark.parametrize("n", [2, 3])
def test_concurrent_packs_of_one_date(ws, n):
    env = {"FIMONITOR_TEST_PAUSE_AT": "before_commit", "FIMONITOR_TEST_PAUSE_SECONDS": "0.5"}
    procs = [child(ws, env=env) for _ in range(n)]
    results = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0] * n, [r[1] for r in results]
    assert hidden(ws.out) == []
    assert_complete(ws.out / STAMP)
    assert snapshots(ws.out) == [("Tiny Test Book", "2024-02-09", 1)]
    assert sorted(p.name for p in ws.out.iterdir()) == [STAMP, "fimonitor.sqlite", "index.html"]


def test_recover_never_touches_a_live_run(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for pid in (os.getpid(), sleeper.pid):
            (tmp_path / f".{STAMP}.tmp-{pid}-0123abcd").mkdir()
            (tmp_path / f".{STAMP}.old-{pid}-0123abcd").mkdir()
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
        (tmp_path / f".{STAMP}.tmp-{int(dead.stdout)}-0123abcd").mkdir()
        before = sorted(p.name for p in tmp_path.iterdir())
        assert recover(tmp_path) == [f"removed .{STAMP}.tmp-{int(dead.stdout)}-0123abcd"]
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            n for n in before if str(int(dead.stdout)) not in n
        ]
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_failing_commit_publishes_nothing(tmp_path):
    final = tmp_path / STAMP
    final.mkdir()
    (final / "a.csv").write_text("old\n")

    def commit(tmp: Path) -> None:
        assert (tmp / "a.csv").read_text() == "new\n"  # the folder is complete when committing
        raise RuntimeError("database refused")

    with pytest.raises(RuntimeError), atomic_folder(final, commit=commit) as tmp:
        (tmp / "a.csv").write_text("new\n")
    assert (final / "a.csv").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [STAMP]


def test_disk_full_is_said_in_plain_words(ws, capsys, monkeypatch):
    from fimonitor.report import write

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device", "today_positions.csv")

    monkeypatch.setattr(write, "write_tables", full)
    before = tree_digest(ws.out)
    code, _, err = run_cli(["pack", "--data", str(ws.tiny), "--out", str(ws.out)], capsys)
    assert code == 1
    assert err.strip() == "fimonitor: error: disk full / cannot write today_positions.csv"
    assert tree_digest(ws.out) == before


def test_checkpoint_is_inert_without_the_variable(monkeypatch):
    monkeypatch.delenv("FIMONITOR_TEST_KILL_AT", raising=False)
    monkeypatch.delenv("FIMONITOR_TEST_PAUSE_AT", raising=False)
    fileio.checkpoint("before_commit")  # returns: nothing set
