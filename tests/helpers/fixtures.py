"""Session-scoped fixtures: render each pack once per test session.

Rendering PDFs and PNGs was 82 % of the suite's time while most tests read only CSVs,
folders or the notebook. Tests that check numbers use ``build_pack`` or
``run_pack(render=False)``; tests that check the rendered files share these fixtures.
Nothing may write into a shared pack folder (copy it first).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.tiny import DATA

DEMO_STAMP = "20260430"


@pytest.fixture(scope="session")
def demo_pack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo book's pack, rendered once by ``fimonitor pack`` (read-only for tests)."""
    from fimonitor.cli import main

    out = tmp_path_factory.mktemp("demo_out")
    assert main(["pack", "--data", str(DATA), "--out", str(out)]) == 0
    return out / DEMO_STAMP


@pytest.fixture(scope="session")
def rendered_report(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The synthetic report pack (:func:`helpers.report.make_pack`) rendered once."""
    from fimonitor.report.render import write_report
    from helpers.report import make_pack

    return write_report(make_pack(), tmp_path_factory.mktemp("report"))


@pytest.fixture
def no_render(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make ``fimonitor pack`` (direct engine) write CSVs and the manifest but no PDF/PNG.

    For command tests that check folders, CSVs or messages: the rendering itself is
    tested once on the shared rendered packs.
    """
    from fimonitor import pipeline

    monkeypatch.setattr(pipeline, "run_pack", functools.partial(pipeline.run_pack, render=False))
    yield
