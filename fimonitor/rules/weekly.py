"""Weekly trend of alerts and their top drivers.

Definitions, for the weeks ending on Friday (``W-FRI``) that cover the evaluated dates:

- ``alert_days`` / ``warn_days`` / ``breach_days``: trading days in the week with at least one
  alert / WARN / BREACH.
- ``peak_alerts`` / ``peak_warn`` / ``peak_breach``: the largest number of alerts (of that kind)
  on a single day of the week.
- drivers: per rule (and per ticker for holding-level rules), the number of distinct days with
  at least one alert (``alert_days``), split into days with a BREACH and days with only WARNs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fimonitor.rules.engine import HOLDING_RULES


def daily_counts(alerts: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Alerts per day (``alerts, warn, breach``) on every date, zeros included."""
    idx = pd.DatetimeIndex(dates, name="date")
    if len(alerts):
        row = idx.get_indexer(pd.DatetimeIndex(alerts["date"]))  # -1: not an evaluated date
        sev = alerts["severity"].to_numpy()
    else:
        row, sev = np.zeros(0, dtype=int), np.zeros(0, dtype=object)

    def per_day(severity: str) -> np.ndarray:
        return np.bincount(row[(sev == severity) & (row >= 0)], minlength=len(idx))

    out = pd.DataFrame({"warn": per_day("WARN"), "breach": per_day("BREACH")}, index=idx)
    out.insert(0, "alerts", out["warn"] + out["breach"])
    return out


def weekly_trend(alerts: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Weekly alert days and peak daily alerts (index: week ending Friday)."""
    d = daily_counts(alerts, dates)
    weeks = pd.Grouper(freq="W-FRI")
    grouped = d.groupby(weeks)
    days = (d > 0).groupby(weeks).sum()
    peak = grouped.max()
    out = pd.DataFrame(
        {
            "alert_days": days["alerts"],
            "warn_days": days["warn"],
            "breach_days": days["breach"],
            "peak_alerts": peak["alerts"],
            "peak_warn": peak["warn"],
            "peak_breach": peak["breach"],
            "trading_days": grouped.size(),
        }
    )
    out = out[out["trading_days"] > 0].astype(int)
    out.index.name = "week_ending"
    return out


def _drivers(alerts: pd.DataFrame, key: str) -> pd.DataFrame:
    cols = [key, "alert_days", "breach_days", "warn_days"]
    if alerts.empty:
        return pd.DataFrame(columns=cols)
    per_day = alerts.assign(b=alerts["severity"].eq("BREACH")).groupby([key, "date"])["b"].any()
    g = per_day.groupby(level=0)
    out = pd.DataFrame({"alert_days": g.size(), "breach_days": g.sum().astype(int)})
    out["warn_days"] = out["alert_days"] - out["breach_days"]
    out = out.reset_index().rename(columns={"index": key})
    return out.sort_values(
        ["alert_days", "breach_days", key], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)[cols]


def drivers_by_rule(alerts: pd.DataFrame) -> pd.DataFrame:
    """``rule, alert_days, breach_days, warn_days`` sorted by alert days."""
    return _drivers(alerts, "rule")


def drivers_by_ticker(alerts: pd.DataFrame) -> pd.DataFrame:
    """Return the same per ticker, for holding-level rules (single-name weight, active weight)."""
    return _drivers(alerts[alerts["rule"].isin(HOLDING_RULES)], "ticker")
