"""Whole-share floors and the trading-cost fixed point, against closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fimonitor.analytics.orders import cost_fixed_point, floor_shares


def test_floor_shares_whole_and_fractional():
    assert floor_shares(0.3 / 0.1, True) == 3.0  # 2.9999999999999996 keeps its share
    assert floor_shares(7.9, True) == 7.0
    assert floor_shares(1.23456789, False) == 1.234567
    s = floor_shares(pd.Series([2.5, 3.99], index=["A", "B"]), True)
    assert list(s.index) == ["A", "B"] and list(s) == [2.0, 3.0]


def test_cost_fixed_point_matches_the_closed_form():
    # all cash into weights w: traded(V') = Σ|V' w_i - x_i| = V' (x = cash only, not traded)
    # so V' = V - c V'  =>  V' = V / (1 + c)
    value, c = 100_000.0, 0.002
    _, image = cost_fixed_point(value, lambda v: v, c)
    assert image == pytest.approx(value / (1 + c), rel=1e-12)
    point, image = cost_fixed_point(value, lambda v: v, 0.0)
    assert point == image == value


def test_cost_fixed_point_stops_on_a_cycle():
    # a traded notional that jumps between two floors: the iteration cycles, the smallest wins
    steps = iter(range(100))

    def traded(v: float) -> float:
        return 1_000.0 if next(steps) % 2 else 2_000.0

    point, _ = cost_fixed_point(10_000.0, traded, 0.01, stop_on_cycle=True)
    assert point == min(10_000.0, 9_980.0, 9_990.0)
    assert np.isfinite(point)
