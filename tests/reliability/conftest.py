"""Fixtures of the reliability suite: one session world, one copy-on-write workspace per case."""

from __future__ import annotations

import functools

import pytest
from helpers.hostile import Workspace, build_world, make_workspace


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory):
    """The session copies of the books, portfolios and a published pack (read-only)."""
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def ws(tmp_path, world, monkeypatch) -> Workspace:
    """A fresh workspace; the CLI runs in ``tmp/`` and writes no PDF/PNG."""
    from fimonitor import engines

    monkeypatch.setattr(engines, "write_pack", functools.partial(engines.write_pack, render=False))
    space = make_workspace(tmp_path / "ws", world)
    monkeypatch.chdir(space.root / "tmp")
    return space
