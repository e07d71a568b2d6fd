"""Hostile-input harness of ``tests/reliability``: a workspace per case and the checks.

A :class:`Workspace` holds, under one temporary folder:

* ``tiny/`` and ``demo/``: the tiny book and the demo book, as symbolic links to one
  session copy each (copy-on-write: :meth:`Workspace.edit` replaces only the files a case
  changes by real files);
* ``pf/``: the example portfolio files (``dca.yaml``, ``etf_tiered.yaml``) and a targets file;
* ``out/``: a copy of a published tiny-book pack (``20240209/``, ``index.html`` and
  ``fimonitor.sqlite``), the "earlier pack" that a failed run must leave as it was.

:func:`run_cli` runs ``fimonitor.cli.main`` in-process and returns (exit code, stdout,
stderr); :func:`tree_digest` hashes every file (and every name) under a folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.tiny import DATA, REPO

EXAMPLES = REPO / "examples"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def tree_digest(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``folder`` (links followed); {} if absent."""
    if not folder.exists():
        return {}
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
    return out


@dataclass
class Workspace:
    """The folders of one case (see the module docstring)."""

    root: Path

    @property
    def tiny(self) -> Path:
        return self.root / "tiny"

    @property
    def demo(self) -> Path:
        return self.root / "demo"

    @property
    def pf(self) -> Path:
        return self.root / "pf"

    @property
    def out(self) -> Path:
        return self.root / "out"

    def fmt(self, arg: str) -> str:
        """``{tiny}``, ``{demo}``, ``{pf}``, ``{out}``, ``{tmp}`` -> paths."""
        return arg.format(
            tiny=self.tiny, demo=self.demo, pf=self.pf, out=self.out, tmp=self.root / "tmp"
        )

    def edit(self, rel: str, change: str | bytes | Callable[[str], str]) -> Path:
        """Replace the file ``rel`` (e.g. ``tiny/prices.csv``) by a real, edited copy."""
        path = self.root / rel
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if path.is_symlink():
            path.unlink()
        new = change(old) if callable(change) else change
        if isinstance(new, bytes):
            path.write_bytes(new)
        else:
            path.write_text(new, encoding="utf-8")
        return path

    def inputs_digest(self) -> dict[str, str]:
        return {
            f"{name}/{k}": v
            for name in ("tiny", "demo", "pf")
            for k, v in tree_digest(self.root / name).items()
        }


def make_workspace(root: Path, world: dict[str, Path]) -> Workspace:
    """Build a case workspace from the session ``world`` (links to its books, a copy of OUT)."""
    ws = Workspace(root)
    for name in ("tiny", "demo"):
        (root / name).mkdir(parents=True)
        for f in world[name].iterdir():
            if f.is_file():
                (root / name / f.name).symlink_to(f)
    shutil.copytree(world["pf"], ws.pf)
    shutil.copytree(world["out"], ws.out)
    (root / "tmp").mkdir()
    return ws


def build_world(base: Path) -> dict[str, Path]:
    """The session copies: tiny book, demo book, portfolios and a published tiny pack."""
    import functools

    from fimonitor import pipeline
    from fimonitor.cli import main
    from helpers.tiny import write_tiny_book

    world = {"tiny": write_tiny_book(base / "tiny"), "demo": base / "demo", "pf": base / "pf"}
    shutil.copytree(DATA, world["demo"], ignore=shutil.ignore_patterns("*.py", "*.md"))
    world["pf"].mkdir()
    for name in ("dca.yaml", "etf_tiered.yaml"):
        shutil.copy2(EXAMPLES / name, world["pf"] / name)
    (world["pf"] / "targets.yaml").write_text("targets: {AGG: 60, TLT: 40}\n")
    world["out"] = base / "out"
    original = pipeline.write_pack
    pipeline.write_pack = functools.partial(original, render=False)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["pack", "--data", str(world["tiny"]), "--out", str(world["out"])]) == 0
    finally:
        pipeline.write_pack = original
    return world


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    from fimonitor.cli import main

    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    got = capsys.readouterr()
    return code, got.out, got.err


def no_render_env() -> dict[str, str]:
    """Environment for a child ``python -c`` that runs the CLI from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env["MPLBACKEND"] = "Agg"
    return env


#: a child process running ``fimonitor`` without rendering PDFs/PNGs (argv follows)
CHILD = (
    "import functools, sys\n"
    "from fimonitor import pipeline\n"
    "pipeline.write_pack = functools.partial(pipeline.write_pack, render=False)\n"
    "from fimonitor.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


# ------------------------------------------------------------------ fixtures
# (imported by the test modules of tests/reliability: a conftest.py there would shadow the
# top-level ``conftest`` that older tests import names from)
@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The session copies of the books, portfolios and a published pack (read-only)."""
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def ws(tmp_path: Path, world: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A fresh workspace; the CLI runs in ``tmp/`` and writes no PDF/PNG."""
    import functools

    from fimonitor import pipeline

    monkeypatch.setattr(
        pipeline, "write_pack", functools.partial(pipeline.write_pack, render=False)
    )
    space = make_workspace(tmp_path / "ws", world)
    monkeypatch.chdir(space.root / "tmp")
    return space
