"""Shared fixtures: the tiny hand-made book (see :mod:`helpers.tiny`) and the session-wide
rendered packs (see :mod:`helpers.fixtures`). Test modules import helpers from the
``helpers`` package; the names below stay importable from ``conftest`` for older tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

os.environ.setdefault("MPLBACKEND", "Agg")

from helpers.fixtures import demo_pack_dir, no_render, rendered_report  # noqa: F401
from helpers.hostile import world, ws  # noqa: F401 (tests/reliability)
from helpers.tiny import (  # noqa: F401
    DATA,
    REPO,
    TINY_BENCHMARK,
    TINY_DATES,
    TINY_DURATIONS,
    TINY_PRICES,
    TINY_RULES,
    TINY_SECURITIES,
    TINY_TRANSACTIONS,
    write_tiny_book,
)
from helpers.webhook import hook, loopback_only  # noqa: F401

# CI gates a submission: there, property tests draw the same examples every run (a failure
# is then reproducible, never a coin toss); locally they explore new examples each run.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    return write_tiny_book(tmp_path / "tiny")


@pytest.fixture
def tiny_book(tiny_dir: Path):
    from fimonitor.data.loaders import load_book

    return load_book(tiny_dir)


@pytest.fixture
def tiny_config(tiny_dir: Path):
    from fimonitor.config import load_config

    return load_config(tiny_dir / "monitor.yaml")


@pytest.fixture
def tiny_prices() -> pd.DataFrame:
    return pd.DataFrame(TINY_PRICES, index=pd.DatetimeIndex(TINY_DATES))
