"""daily_counts (bincount over the evaluated dates) against pandas' crosstab."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fimonitor.rules.weekly import daily_counts, weekly_trend


def test_daily_counts_equal_a_crosstab():
    rng = np.random.default_rng(7)
    dates = pd.bdate_range("2026-01-05", periods=30)
    days = pd.bdate_range("2025-12-29", periods=40)  # some alerts fall outside ``dates``
    alerts = pd.DataFrame(
        {
            "date": rng.choice(days, 300),
            "severity": rng.choice(["WARN", "BREACH"], 300, p=[0.7, 0.3]),
        }
    )
    got = daily_counts(alerts, dates)
    c = pd.crosstab(alerts["date"], alerts["severity"])
    c = c.reindex(index=dates, columns=["WARN", "BREACH"], fill_value=0)
    assert got["warn"].tolist() == c["WARN"].tolist()
    assert got["breach"].tolist() == c["BREACH"].tolist()
    assert (got["alerts"] == got["warn"] + got["breach"]).all()
    assert got.index.equals(pd.DatetimeIndex(dates, name="date"))


def test_weekly_days_count_days_with_alerts():
    dates = pd.bdate_range("2026-03-02", periods=10)  # Mon 2 .. Fri 13 March
    alerts = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-03-02", "2026-03-02", "2026-03-04", "2026-03-13"]),
            "severity": ["WARN", "BREACH", "WARN", "WARN"],
        }
    )
    w = weekly_trend(alerts, dates)
    assert w["alert_days"].tolist() == [2, 1]
    assert w["breach_days"].tolist() == [1, 0]
    assert w["warn_days"].tolist() == [2, 1]
    assert w["peak_alerts"].tolist() == [2, 1]
    assert w["trading_days"].tolist() == [5, 5]


def test_no_alerts_gives_zero_days():
    dates = pd.bdate_range("2026-03-02", periods=3)
    assert daily_counts(pd.DataFrame(), dates)["alerts"].tolist() == [0, 0, 0]
