"""The alert columns the pages read: signed value, excess, exact age and the severity path."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fimonitor.config import RulesConfig, Threshold
from fimonitor.rules.engine import RuleInputs, evaluate_inputs


def test_signed_value_excess_age_and_severity_path():
    # active weight of X by day: 0, +4 (WARN), -6 (BREACH), -6 (BREACH), -4 (WARN), 0, -4 (WARN)
    act = np.array([0.0, 0.04, -0.06, -0.06, -0.04, 0.0, -0.04])
    dates = pd.bdate_range("2026-03-02", periods=len(act))
    w = pd.DataFrame({"X": 0.5 + act, "Y": 0.5 - act}, index=dates)
    b = pd.DataFrame({"X": 0.5, "Y": 0.5}, index=dates)
    x = RuleInputs(
        w,
        b,
        pd.Series([True, True], index=["X", "Y"]),
        pd.Series(["g", "g"], index=["X", "Y"]),
        pd.Series(0.0, index=dates),
        pd.Series(0.0, index=dates),
    )
    rules = RulesConfig(active_weight=Threshold(0.03, 0.05, "max"))
    a = evaluate_inputs(x, rules)
    a = a[a["ticker"] == "X"].set_index("date")
    assert np.allclose(a["signed_value"], act[act != 0])
    assert np.allclose(a["value"], np.abs(act[act != 0]))
    assert np.allclose(a["excess"], np.abs(act[act != 0]) - a["limit"])  # 0.01 each
    # day 5 (WARN after BREACH): streak since day 2, first BREACH day 3, WARN since day 5
    d = a.loc[dates[4]]
    assert (d["since"], d["first_breach"], d["severity_since"]) == (dates[1], dates[2], dates[4])
    assert d["age_days"] == 4
    # day 2 (first WARN): no BREACH in the streak yet
    assert pd.isna(a.loc[dates[1], "first_breach"])
    # day 7: a new streak after a day without an alert
    d = a.loc[dates[6]]
    assert d["since"] == dates[6] and d["age_days"] == 1 and pd.isna(d["first_breach"])
