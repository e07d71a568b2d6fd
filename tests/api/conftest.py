"""Fixtures for the API tests: four weekly demo-book packs (no rendering) and their database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.api_helpers import AS_OFS, REPO, TOKEN
from fimonitor.api import create_app


@pytest.fixture(scope="session")
def packs_dir(tmp_path_factory) -> Path:
    """OUT with four weekly packs of the bundled demo book and ``fimonitor.sqlite``."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    from fimonitor.pipeline import load_inputs, run_pack

    out = tmp_path_factory.mktemp("api_out")
    book, cfg = load_inputs(REPO / "data")
    for day in AS_OFS:
        run_pack(day, output_dir=out, book=book, monitor_config=cfg, render=False)
    return out


@pytest.fixture(scope="session")
def db_url(packs_dir: Path) -> str:
    return f"sqlite:///{packs_dir / 'fimonitor.sqlite'}"


@pytest.fixture(scope="session")
def app(packs_dir: Path, db_url: str):
    return create_app(db_url, packs_dir, [TOKEN, "second-token"])


@pytest.fixture()
def client(app) -> TestClient:
    """A client on the ASGI app (httpx underneath) that sends the bearer token."""
    return TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture()
def anon(app) -> TestClient:
    """A client on the ASGI app without credentials."""
    return TestClient(app)
