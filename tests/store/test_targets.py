"""Allocation targets from monitor.yaml, checked row by row against the config by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fimonitor.config import parse_config
from fimonitor.errors import InputError
from fimonitor.store import db, read
from fimonitor.store.targets import TARGET_COLUMNS, targets_from_monitor

CONFIG = {
    "rules": {"active_weight": {"warn": 0.03, "breach": 0.05}},
    "rebalance": {
        "max_single_name_weight": 0.25,
        "min_cash_weight": 0.02,
        "group_caps": {"hy_credit": 0.10, "em": 0.05},
    },
}
POSITIONS = pd.DataFrame(
    {
        "ticker": ["TSY", "HYB", "HYC", "CASH"],
        "group": ["treasury", "hy_credit", "hy_credit", "cash"],
        "benchmark_weight": [0.7, 0.2, 0.1, 0.0],
    }
)


def test_targets_by_hand() -> None:
    out = targets_from_monitor(POSITIONS, parse_config(CONFIG))
    assert list(out.columns) == TARGET_COLUMNS
    assert out["ticker_or_group"].tolist() == ["TSY", "HYB", "HYC", "CASH", "hy_credit", "em"]
    np.testing.assert_allclose(out["target_weight"], [0.7, 0.2, 0.1, 0.0, 0.3, 0.0])
    np.testing.assert_allclose(out["min_weight"], [0, 0, 0, 0.02, 0, 0])
    np.testing.assert_allclose(out["max_weight"], [0.25, 0.25, 0.25, np.nan, 0.10, 0.05])
    assert (out["rebalance_threshold"] == 0.05).all()
    assert out["active"].all() and (out["frequency"] == "weekly").all()


def test_targets_without_limits_and_stored(tmp_path) -> None:
    out = targets_from_monitor(POSITIONS, parse_config({"rules": {}}), frequency="monthly")
    assert out["max_weight"].isna().all() and out["rebalance_threshold"].isna().all()
    assert len(out) == 4
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    assert db.record_allocations(url, "demo", out) == 4
    back = read.allocations(url, "demo")
    assert back["frequency"].tolist() == ["monthly"] * 4
    assert back["max_weight"].isna().all()
    with pytest.raises(InputError, match="benchmark_weight"):
        targets_from_monitor(POSITIONS.drop(columns="benchmark_weight"), parse_config({}))
