"""The one severity classifier: limits, direction and the 1e-12 tolerance."""

from __future__ import annotations

import numpy as np

from fimonitor.config import Threshold
from fimonitor.severity import EPS, classify


def test_max_and_min_limits():
    code, limit = classify([0.05, 0.10, 0.11, 0.20, np.nan], 0.10, 0.15, "max")
    assert list(code) == [0, 0, 1, 2, 0]
    assert np.isnan(limit[0]) and limit[2] == 0.10 and limit[3] == 0.15
    code, _ = classify([0.05, 0.02, 0.009], 0.03, 0.01, "min")
    assert list(code) == [0, 1, 2]


def test_float_noise_at_the_limit_is_not_an_alert():
    noisy = 0.80 - 0.77  # 0.030000000000000027
    assert classify([noisy], 0.03, None, "max")[0][0] == 0
    assert classify([0.03 + 10 * EPS], 0.03, None, "max")[0][0] == 1


def test_threshold_and_the_pages_use_it():
    import pandas as pd

    from fimonitor.report.figures import max_severity

    t = Threshold(warn=0.03, breach=0.05, kind="max")
    assert t.severity(0.80 - 0.77) is None and t.severity(0.06) == "BREACH"
    got = max_severity(pd.Series([0.80 - 0.77, -0.04, 0.06]), 0.03, 0.05)
    assert list(got) == ["", "WARN", "BREACH"]
