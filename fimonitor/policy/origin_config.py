"""The origin-rule keys of a portfolio file (scores, tiers, exit triggers, limits, notify).

Top-level keys read here (all optional; docs/policy.md)::

    scores: {PLTR: 72.5, ALAB: 70.8}          # ticker -> score 0-100 (this quarter)
    previous_scores: {PLTR: 80.0}              # last quarter
    #  or scores: scores.csv  (date,ticker,score: the last date = scores, the one before =
    #  previous scores), or scores: {file: scores.csv, tiers: {...}} / {values: {...}, tiers: ...}
    exit_triggers: {PLTR: [{name: "revenue growth < 30 % for 2 quarters", hit: true}]}
    reversion: {below_fraction_of_target: 0.5}
    hold_cash_when_no_candidates: true
    default_fund: QQQ
    risk_management: {max_single_position: 25, group_caps: {leveraged: 15}}
    last_rebalance: 2026-01-30
    notify: json://127.0.0.1:8080/fimonitor

Units: scores are points 0-100; ``max_single_position`` and ``group_caps`` are percent in the
file and fractions here; ``below_fraction_of_target`` is a fraction of the target (0.5 = half).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from fimonitor.dates import parse_date
from fimonitor.errors import ConfigError
from fimonitor.notify.settings import NotifySettings, parse_notify

ORIGIN_KEYS = (
    "scores",
    "previous_scores",
    "exit_triggers",
    "reversion",
    "hold_cash_when_no_candidates",
    "default_fund",
    "risk_management",
    "last_rebalance",
    "notify",
)
SCORE_KEYS = ("values", "file", "tiers")
TIER_NAMES = ("weak", "moderate", "strong", "very_strong", "exceptional")
DEFAULT_TIER_BOUNDS = (35.0, 50.0, 65.0, 75.0)  # lower bounds of moderate .. exceptional
TRIGGER_KEYS = ("name", "hit")
REVERSION_KEYS = ("below_fraction_of_target",)
RISK_KEYS = ("max_single_position", "group_caps")


@dataclass(frozen=True)
class ExitTrigger:
    """One exit trigger of a holding: its description and whether it is hit now."""

    name: str
    hit: bool


@dataclass(frozen=True)
class OriginSettings:
    """The origin-rule settings of a portfolio file (see the module docstring).

    scores, previous_scores  ticker -> score (points 0-100)
    tier_bounds              lower bounds of moderate, strong, very_strong, exceptional (points)
    exit_triggers            ticker -> tuple of :class:`ExitTrigger`
    reversion                fraction of the target under which a holding is added or exited
                             (None: rule off)
    hold_cash                proceeds without a candidate stay in cash
    default_fund             ticker bought with proceeds that have no candidate (None: cash)
    max_single_position      fraction of total value per ticker (None: no limit)
    group_caps               category -> fraction of total value
    last_rebalance           date of the last rebalance (NaT: from the history DB, or none)
    notify                   notification settings of the file
    """

    scores: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    previous_scores: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    tier_bounds: tuple[float, float, float, float] = DEFAULT_TIER_BOUNDS
    exit_triggers: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    reversion: float | None = None
    hold_cash: bool = True
    default_fund: str | None = None
    max_single_position: float | None = None
    group_caps: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    last_rebalance: pd.Timestamp = pd.NaT
    notify: NotifySettings = field(default_factory=NotifySettings)

    @property
    def scored(self) -> bool:
        """True when the file gives scores."""
        return bool(self.scores)


def _num(v: Any, *, file: Path, key: str, lo: float = 0.0, hi: float = math.inf) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ConfigError(f"{key} must be a number, got {v!r}", file=file)
    if not lo <= v <= hi:
        raise ConfigError(f"{key} must be between {lo:g} and {hi:g}, got {v:g}", file=file)
    return float(v)


def _tk(v: Any, *, file: Path, where: str) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ConfigError(f"{where}: a ticker must be a non-empty string, got {v!r}", file=file)
    return v.strip().upper()


def _map(v: Any, *, file: Path, where: str) -> dict:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(v).__name__}", file=file)
    return v


def _score_map(v: Any, *, file: Path, where: str) -> dict[str, float]:
    raw = _map(v, file=file, where=where)
    return {
        _tk(t, file=file, where=where): _num(s, file=file, key=f"{where}.{t}", hi=100.0)
        for t, s in raw.items()
    }


def read_scores_csv(path: Path, *, file: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Read ``date,ticker,score``: the last date's scores and the previous date's.

    Parameters
    ----------
    path : Path
        The CSV (relative paths are resolved against the portfolio file's folder by the caller).
    file : Path
        The portfolio file, for error messages.

    Returns
    -------
    scores, previous : dict
        Ticker -> score on the last date, and on the date before it (empty if only one date).
    """
    if not path.is_file():
        raise ConfigError(f"scores file {path} not found", file=file)
    df = pd.read_csv(path)
    missing = [c for c in ("date", "ticker", "score") if c not in df.columns]
    if missing:
        raise ConfigError(f"scores file {path.name} lacks column {missing[0]!r}", file=file)
    df["date"] = [parse_date(d, "date", file=path, error=ConfigError) for d in df["date"]]
    df["ticker"] = df["ticker"].astype(str).str.strip().str.upper()
    df["score"] = pd.to_numeric(df["score"], errors="coerce")
    bad = df[df["score"].isna() | ~df["score"].between(0, 100)]
    if len(bad):
        row = int(bad.index[0]) + 2
        raise ConfigError(f"{path.name} row {row}: score must be a number 0-100", file=file)
    dates = sorted(df["date"].unique())
    last = df[df["date"] == dates[-1]].set_index("ticker")["score"]
    prev = df[df["date"] == dates[-2]].set_index("ticker")["score"] if len(dates) > 1 else None
    return last.astype(float).to_dict(), ({} if prev is None else prev.astype(float).to_dict())


def _tiers(v: Any, *, file: Path) -> tuple[float, float, float, float]:
    raw = _map(v, file=file, where="scores.tiers")
    allowed = TIER_NAMES[1:]
    unknown = sorted(str(k) for k in set(raw) - set(allowed))
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in scores.tiers; valid keys: {', '.join(allowed)}",
            file=file,
        )
    bounds = [
        _num(raw[k], file=file, key=f"scores.tiers.{k}", hi=100.0) if k in raw else d
        for k, d in zip(allowed, DEFAULT_TIER_BOUNDS, strict=True)
    ]
    if any(b >= a for b, a in pairwise(bounds)):
        raise ConfigError(
            "scores.tiers must increase: moderate < strong < very_strong < exceptional", file=file
        )
    return tuple(bounds)  # type: ignore[return-value]


def _check(raw: dict, allowed: tuple[str, ...], *, file: Path, where: str) -> None:
    unknown = sorted(str(k) for k in set(raw) - set(allowed))
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in {where}; valid keys: {', '.join(allowed)}", file=file
        )


def parse_origin(raw: dict, *, file: Path, categories: set[str]) -> OriginSettings:
    """Build :class:`OriginSettings` from a portfolio file's top-level mapping.

    Parameters
    ----------
    raw : dict
        The whole parsed file (only :data:`ORIGIN_KEYS` are read).
    file : Path
        The portfolio file (errors name it; a scores CSV is resolved against its folder).
    categories : set of str
        The file's category names (``group_caps`` keys must be among them).

    Returns
    -------
    OriginSettings

    Raises
    ------
    ConfigError
        A bad value, an unknown key, a score outside 0-100, a group cap on an unknown group.
    """
    kw: dict[str, Any] = {}
    scores_raw = raw.get("scores")
    prev: dict[str, float] = _score_map(
        raw.get("previous_scores"), file=file, where="previous_scores"
    )
    scores: dict[str, float] = {}
    if isinstance(scores_raw, str):
        scores_raw = {"file": scores_raw}
    if isinstance(scores_raw, dict) and set(scores_raw) & set(SCORE_KEYS):
        _check(scores_raw, SCORE_KEYS, file=file, where="scores")
        if scores_raw.get("file") is not None:
            p = Path(str(scores_raw["file"]))
            p = p if p.is_absolute() else file.parent / p
            scores, from_csv = read_scores_csv(p, file=file)
            prev = prev or from_csv
        scores.update(_score_map(scores_raw.get("values"), file=file, where="scores.values"))
        kw["tier_bounds"] = _tiers(scores_raw.get("tiers"), file=file)
    else:
        scores = _score_map(scores_raw, file=file, where="scores")
    kw["scores"] = MappingProxyType(scores)
    kw["previous_scores"] = MappingProxyType(prev)

    trig_raw = _map(raw.get("exit_triggers"), file=file, where="exit_triggers")
    triggers: dict[str, tuple[ExitTrigger, ...]] = {}
    for t, items in trig_raw.items():
        tk = _tk(t, file=file, where="exit_triggers")
        if not isinstance(items, list):
            raise ConfigError(f"exit_triggers.{tk} must be a list of {{name, hit}}", file=file)
        out = []
        for i, it in enumerate(items, start=1):
            it = _map(it, file=file, where=f"exit_triggers.{tk}[{i}]")
            _check(it, TRIGGER_KEYS, file=file, where=f"exit_triggers.{tk}[{i}]")
            hit = it.get("hit", False)
            if not isinstance(hit, bool):
                raise ConfigError(f"exit_triggers.{tk}[{i}].hit must be true or false", file=file)
            out.append(ExitTrigger(name=str(it.get("name") or f"trigger {i}"), hit=hit))
        triggers[tk] = tuple(out)
    kw["exit_triggers"] = MappingProxyType(triggers)

    rev = raw.get("reversion")
    if rev is not None:
        rev = _map(rev, file=file, where="reversion")
        _check(rev, REVERSION_KEYS, file=file, where="reversion")
        kw["reversion"] = _num(
            rev.get("below_fraction_of_target", 0.5),
            file=file,
            key="reversion.below_fraction_of_target",
            hi=1.0,
        )
    if raw.get("hold_cash_when_no_candidates") is not None:
        v = raw["hold_cash_when_no_candidates"]
        if not isinstance(v, bool):
            raise ConfigError("hold_cash_when_no_candidates must be true or false", file=file)
        kw["hold_cash"] = v
    if raw.get("default_fund") is not None:
        kw["default_fund"] = _tk(raw["default_fund"], file=file, where="default_fund")
        kw.setdefault("hold_cash", False)

    risk = _map(raw.get("risk_management"), file=file, where="risk_management")
    _check(risk, RISK_KEYS, file=file, where="risk_management")
    if risk.get("max_single_position") is not None:
        kw["max_single_position"] = (
            _num(
                risk["max_single_position"],
                file=file,
                key="risk_management.max_single_position",
                hi=100.0,
            )
            / 100.0
        )
    caps = _map(risk.get("group_caps"), file=file, where="risk_management.group_caps")
    for g in caps:
        if str(g) not in categories:
            raise ConfigError(
                f"risk_management.group_caps: {g!r} is not a category of this file "
                f"(groups come from categories:)",
                file=file,
            )
    kw["group_caps"] = MappingProxyType(
        {
            str(g): _num(v, file=file, key=f"risk_management.group_caps.{g}", hi=100.0) / 100.0
            for g, v in caps.items()
        }
    )
    if raw.get("last_rebalance") is not None:
        kw["last_rebalance"] = parse_date(
            raw["last_rebalance"], "last_rebalance", file=file, error=ConfigError
        )
    kw["notify"] = parse_notify(raw.get("notify"), source=file.name)
    return OriginSettings(**kw)


def load_notes(
    concentration: tuple, targets: dict[str, float], categories: dict, origin: OriginSettings
) -> list[str]:
    """Rules that contradict a target of the same file (reported when the file is loaded).

    Parameters
    ----------
    concentration : tuple of ConcentrationRule
        ``policy.concentration`` (fractions).
    targets : dict
        Target key -> fraction.
    categories : dict
        Category -> tickers (category targets are not single holdings).
    origin : OriginSettings

    Returns
    -------
    list of str
        One line per contradiction.
    """
    notes = []
    tickers = {k: w for k, w in targets.items() if k not in categories}
    for rule in concentration:
        below = sorted(t for t, w in tickers.items() if rule.trim_to < w - 1e-12)
        if below:
            notes.append(
                f"policy.concentration: trim_to {rule.trim_to * 100:g} % is below the target of "
                f"{', '.join(below)}; such a holding is never trimmed below its own target"
            )
    cap = origin.max_single_position
    if cap is not None:
        over = sorted(t for t, w in tickers.items() if w > cap + 1e-12)
        if over:
            notes.append(
                f"risk_management.max_single_position {cap * 100:g} % is below the target of "
                f"{', '.join(over)}; the limit wins"
            )
    for g, c in origin.group_caps.items():
        if targets.get(g, 0.0) > c + 1e-12:
            notes.append(
                f"risk_management.group_caps.{g} {c * 100:g} % is below its target "
                f"{targets[g] * 100:g} %; the cap wins"
            )
    return notes
