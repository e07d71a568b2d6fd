"""Positions -> weighted duration, DV01, cash weight, on hand-made cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fimonitor.analytics.summary import cash_weight, dv01, weighted_duration


def test_weighted_duration_one_date_and_a_panel():
    w = np.array([0.5, 0.3, 0.2, 0.0])
    d = np.array([2.0, 10.0, 0.0, np.nan])  # an unheld ticker may lack a duration
    assert weighted_duration(w, d) == pytest.approx(0.5 * 2 + 0.3 * 10)
    panel = np.vstack([w, [0.25, 0.25, 0.5, 0.0], [0.2, 0.2, 0.2, 0.4]])
    got = weighted_duration(panel, np.vstack([d, d, d]))
    assert got[0] == pytest.approx(4.0) and got[1] == pytest.approx(3.0)
    assert np.isnan(got[2])  # held with no duration: unknown, not 0


def test_dv01_is_value_times_duration_times_a_basis_point():
    got = dv01(np.array([1_000_000.0, 0.0]), np.array([6.5, np.nan]))
    assert got[0] == pytest.approx(1_000_000 * 6.5 / 10_000) and got[1] == 0.0


def test_cash_weight_sums_cash_and_proxies():
    w = pd.DataFrame([[0.1, 0.05, 0.85], [np.nan, 0.1, 0.9]], columns=["CASH", "BIL", "TLT"])
    got = cash_weight(w, np.array([True, True, False]))
    assert got.iloc[0] == pytest.approx(0.15) and np.isnan(got.iloc[1])
    assert cash_weight(w.iloc[0], np.array([True, True, False])) == pytest.approx(0.15)
