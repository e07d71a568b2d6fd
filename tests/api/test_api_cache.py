"""The response cache answers repeated GETs and never outlives a change of the database."""

from __future__ import annotations

import shutil
from urllib.parse import quote

import pandas as pd
from fastapi.testclient import TestClient

from api.api_helpers import PORTFOLIO, TOKEN
from fimonitor.api import create_app
from fimonitor.store.db import record_pack


def test_cached_answer_is_dropped_when_a_snapshot_is_recorded(packs_dir, tmp_path):
    db = tmp_path / "copy.sqlite"
    shutil.copy(packs_dir / "fimonitor.sqlite", db)
    url = f"sqlite:///{db}"
    client = TestClient(create_app(url, packs_dir, [TOKEN]))
    path = f"/portfolios/{quote(PORTFOLIO)}/snapshots"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    first = client.get(path, headers=auth)
    assert client.get(path, headers=auth).content == first.content  # from the cache
    assert client.get(path).status_code == 401  # the cache sits behind the access checks
    record_pack(
        url,
        portfolio_id=PORTFOLIO,
        as_of="2026-05-01",
        performance={"market_value": 1.0, "n_breach": 0, "n_warn": 0},
        risk_metrics=pd.DataFrame(columns=["metric", "value"]),
        alerts=pd.DataFrame(columns=["date", "rule", "ticker", "value", "limit", "severity"]),
        allocations=pd.DataFrame(columns=["ticker"]),
        correlations=pd.DataFrame(),
    )
    after = client.get(path, headers=auth).json()
    assert after["total"] == first.json()["total"] + 1
    assert after["items"][-1]["as_of"] == "2026-05-01"
