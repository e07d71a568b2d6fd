"""Replay the monitoring rules over the book's history to calibrate warn/breach levels.

For each rule and each *width* (a multiplier applied to both the warn and the breach limit;
1 = the configured limits), the rules engine is run on every date of the history and we count
how often the rule would have fired and how much would have had to trade to cure it.

Columns of :func:`replay_rules`:

rule, group        the rule key; ``group`` names the security-master group of a
                   ``group_max_weight`` rule (blank otherwise)
width              the multiplier; ``warn``, ``breach`` the scaled limits (fractions; years for
                   duration_gap)
days               dates replayed
alert_days         dates with at least one alert of this rule; ``breach_days`` with at least one
                   BREACH; ``warn_days`` = alert_days − breach_days (worst severity WARN)
pct_days           alert_days / days
episodes           alert streaks started (a new rule/ticker streak counts once)
cure_turnover_mean, cure_turnover_max
                   over alert days: the weight (fraction of portfolio value) that must move to
                   bring every alerting item back inside its warn limit — Σ |value − warn| over the
                   day's alerts of the rule. For ``duration_gap`` the excess in years is divided by
                   the duration range (longest − shortest) of the held and benchmark tickers that
                   day: the least weight that, moved from the longest to the shortest holding,
                   closes the excess. A lower bound of the real turnover (no whole shares, no
                   interactions between rules).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

from fimonitor.config import RulesConfig, Threshold

DEFAULT_WIDTHS: tuple[float, ...] = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
COLUMNS = [
    "rule",
    "group",
    "width",
    "warn",
    "breach",
    "days",
    "alert_days",
    "warn_days",
    "breach_days",
    "pct_days",
    "episodes",
    "cure_turnover_mean",
    "cure_turnover_max",
]
_SINGLE_RULES = ("max_single_name_weight", "min_cash_weight", "duration_gap", "active_weight")


def _scale(t: Threshold, m: float) -> Threshold:
    return Threshold(
        warn=None if t.warn is None else t.warn * m,
        breach=None if t.breach is None else t.breach * m,
        kind=t.kind,
    )


def scale_rules(rules: RulesConfig, width: float) -> RulesConfig:
    """Every limit of ``rules`` multiplied by ``width``."""
    changes = {
        k: _scale(getattr(rules, k), width) for k in _SINGLE_RULES if getattr(rules, k) is not None
    }
    changes["group_max_weight"] = MappingProxyType(
        {g: _scale(t, width) for g, t in rules.group_max_weight.items()}
    )
    return dataclasses.replace(rules, **changes)


def _subjects(rules: RulesConfig) -> list[tuple[str, str, Threshold]]:
    out = [(k, "", getattr(rules, k)) for k in _SINGLE_RULES if getattr(rules, k) is not None]
    out += [("group_max_weight", g, t) for g, t in rules.group_max_weight.items()]
    return out


def duration_range(history) -> pd.Series:
    """Date -> longest minus shortest duration (years) among held and benchmark tickers."""
    d = history.durations.to_numpy(dtype=float)
    used = (history.weights.to_numpy() != 0) | (history.benchmark.to_numpy() != 0)
    with np.errstate(invalid="ignore"):
        hi = np.nanmax(np.where(used, d, -np.inf), axis=1)
        lo = np.nanmin(np.where(used, d, np.inf), axis=1)
    span = np.where(np.isfinite(hi) & np.isfinite(lo), hi - lo, np.nan)
    return pd.Series(span, index=history.dates, name="duration_range")


def replay_rules(
    history, rules: RulesConfig, widths: Sequence[float] = DEFAULT_WIDTHS
) -> pd.DataFrame:
    """How often each rule fires over ``history`` at each width (see the module docstring).

    Parameters
    ----------
    history : fimonitor.analytics.exposures.History
        Panels over the replayed dates.
    rules : RulesConfig
        The configured rules (width 1).
    widths : sequence of float
        Multipliers applied to every limit.
    """
    from fimonitor.rules.engine import evaluate

    n_days = len(history.dates)
    span = duration_range(history)
    rows = []
    for m in widths:
        scaled = scale_rules(rules, float(m))
        alerts = evaluate(history, scaled)
        for rule, group, t in _subjects(scaled):
            a = alerts[alerts["rule"] == rule]
            if group:
                a = a[a["ticker"] == group]
            ref = t.warn if t.warn is not None else t.breach
            dist = (a["value"] - ref).abs().to_numpy(dtype=float)
            if rule == "duration_gap":
                dist = dist / span.reindex(a["date"]).to_numpy(dtype=float)
            per_day = pd.Series(dist, index=pd.DatetimeIndex(a["date"])).groupby(level=0).sum()
            worst = a.assign(b=a["severity"] == "BREACH").groupby("date")["b"].any()
            alert_days = len(worst)
            breach_days = int(worst.sum())
            rows.append(
                {
                    "rule": rule,
                    "group": group,
                    "width": float(m),
                    "warn": t.warn,
                    "breach": t.breach,
                    "days": n_days,
                    "alert_days": alert_days,
                    "warn_days": alert_days - breach_days,
                    "breach_days": breach_days,
                    "pct_days": alert_days / n_days if n_days else float("nan"),
                    "episodes": int((a["date"] == a["since"]).sum()),
                    "cure_turnover_mean": float(per_day.mean()) if len(per_day) else 0.0,
                    "cure_turnover_max": float(per_day.max()) if len(per_day) else 0.0,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
