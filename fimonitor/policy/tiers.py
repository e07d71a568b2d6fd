"""Score tiers and the tier-downgrade rule (origin guide, "Rule 3").

Tiers (points, lower bounds configurable under ``scores: {tiers: ...}``)::

    exceptional >= 75, very_strong >= 65, strong >= 50, moderate >= 35, weak < 35

Downgrades are counted on four *levels*: >= 65 (exceptional and very strong together), 50-64,
35-49, < 35. This is the one reading under which all three of the origin's examples hold:
Strong -> Weak is two levels (sell 100 %), Very Strong -> Moderate is two levels (sell 50 %),
Exceptional -> Strong is one level (hold: "only 1 tier drop").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fimonitor.policy.origin_config import DEFAULT_TIER_BOUNDS, TIER_NAMES

DOWNGRADE_COLUMNS = ["score", "previous_score", "tier", "previous_tier", "levels_down", "sell"]


def tier_index(scores: pd.Series, bounds: Sequence[float] = DEFAULT_TIER_BOUNDS) -> pd.Series:
    """Tier number of each score: 0 weak, 1 moderate, 2 strong, 3 very_strong, 4 exceptional.

    Parameters
    ----------
    scores : Series
        Scores in points (NaN: not scored).
    bounds : sequence of 4 floats
        Lower bounds of moderate, strong, very_strong and exceptional (points, increasing).

    Returns
    -------
    Series of float
        The tier number (NaN where the score is NaN).

    Notes
    -----
    ``tier = #{b in bounds : score >= b}``: a score equal to a bound belongs to the upper tier.
    """
    s = pd.to_numeric(scores, errors="coerce").astype(float)
    idx = np.searchsorted(np.asarray(bounds, dtype=float), s.to_numpy(), side="right")
    return pd.Series(np.where(s.isna(), np.nan, idx), index=s.index)


def tier_name(index: pd.Series) -> pd.Series:
    """Tier names for tier numbers (empty string where NaN)."""
    names = np.array(TIER_NAMES, dtype=object)
    ok = index.notna()
    out = pd.Series("", index=index.index, dtype=object)
    out[ok] = names[index[ok].astype(int).to_numpy()]
    return out


def downgrade_levels(index: pd.Series) -> pd.Series:
    """The four-level scale: ``min(tier, 3)`` (exceptional and very strong are one level)."""
    return index.clip(upper=3)


def tier_table(
    scores: Mapping[str, float],
    previous: Mapping[str, float],
    bounds: Sequence[float] = DEFAULT_TIER_BOUNDS,
) -> pd.DataFrame:
    """Tiers now and last quarter and the downgrade rule's sale, one row per scored ticker.

    Parameters
    ----------
    scores, previous : mapping ticker -> score (points)
        This quarter's and last quarter's scores (a ticker may lack a previous score).
    bounds : sequence of 4 floats
        Tier lower bounds (points).

    Returns
    -------
    DataFrame
        Index ticker; columns :data:`DOWNGRADE_COLUMNS` plus ``tier_index``,
        ``previous_tier_index`` and ``upgraded``. ``levels_down`` = level(previous) −
        level(now) on the four-level scale (0 when not comparable); ``sell`` is the fraction of
        the holding the rule sells: 1.0 for two or more levels down into ``weak``, 0.5 for two
        or more levels down otherwise, else 0. One level down is a REVIEW alert (no trade).
        ``upgraded`` is True when the tier number rose.
    """
    tickers = list(dict.fromkeys([*scores, *previous]))
    now = pd.Series(dict(scores), dtype=float).reindex(tickers)
    before = pd.Series(dict(previous), dtype=float).reindex(tickers)
    ti, pi = tier_index(now, bounds), tier_index(before, bounds)
    down = (downgrade_levels(pi) - downgrade_levels(ti)).fillna(0.0)
    sell = np.where(down >= 2, np.where(ti == 0, 1.0, 0.5), 0.0)
    out = pd.DataFrame(
        {
            "score": now,
            "previous_score": before,
            "tier": tier_name(ti),
            "previous_tier": tier_name(pi),
            "levels_down": down.astype(int),
            "sell": sell,
            "tier_index": ti,
            "previous_tier_index": pi,
            "upgraded": (ti > pi).fillna(False).astype(bool),
        },
        index=pd.Index(tickers, name="ticker"),
    )
    return out[now.notna().to_numpy()]
