"""The monitoring rules file (YAML) -> frozen dataclasses.

Unknown keys are rejected with the list of valid ones. Thresholds and caps may be
given as fractions (0.25) or percentages (25); a number above 1 is read as a
percentage and divided by 100 here, once. ``duration_gap`` and ``duration_band``
are in years, ``max_turnover`` is Σ|trade| / value (it may exceed 1) and
``min_trade_notional`` is currency: these are never rescaled.

See docs/formats.md (rules file) for the file layout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fimonitor.errors import ConfigError, cut
from fimonitor.severity import classify, severity_name

MAX_RULES = ("max_single_name_weight", "duration_gap", "active_weight")
MIN_RULES = ("min_cash_weight",)
RULE_KEYS = (*MAX_RULES, *MIN_RULES, "group_max_weight", "key_rate_dv01")
REBALANCE_KEYS = (
    "max_single_name_weight",
    "min_cash_weight",
    "duration_band",
    "group_caps",
    "whole_shares",
    "min_trade_notional",
    "max_turnover",
    "cost_bps",
    "cure",
)
CURE_LEVELS = ("breach", "warn")
TOP_KEYS = (
    "portfolio_name",
    "lookback_weeks",
    "risk_lookback_days",
    "risk_free_rate",
    "max_stale_days",
    "correlations_csv_max_holdings",
    "rules",
    "rebalance",
    "risk_levels",
    "labels",
    "benchmarks",
    "notify",
)
LABEL_KEYS = ("groups",)
#: the largest accepted value of each whole-number setting (100 years of weeks / days)
INT_LIMITS = {
    "lookback_weeks": 5_200,
    "risk_lookback_days": 25_200,
    "max_stale_days": 250,
    "correlations_csv_max_holdings": 1_000_000,
}
MAX_NAME = 200  # characters of portfolio_name
BENCHMARKS_KEYS = ("primary",)
RISK_LEVEL_KEYS = ("very_low", "low", "moderate", "high")  # upper volatility bounds, in order


@dataclass(frozen=True)
class Threshold:
    """A two-level limit: ``warn <= breach`` for a max-type rule, ``>=`` for a min-type rule."""

    warn: float | None
    breach: float | None
    kind: str  # "max" or "min"

    def severity(self, value: float) -> str | None:
        """'BREACH', 'WARN' or None for a single value (:func:`fimonitor.severity.classify`)."""
        code, _ = classify([value], self.warn, self.breach, self.kind)
        return severity_name(code[0])


@dataclass(frozen=True)
class RulesConfig:
    """The ``rules:`` section; a rule left out is ``None`` (not evaluated)."""

    max_single_name_weight: Threshold | None = None
    min_cash_weight: Threshold | None = None
    duration_gap: Threshold | None = None
    active_weight: Threshold | None = None
    group_max_weight: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    key_rate_dv01: Threshold | None = None  # |active key-rate DV01| per tenor, currency per bp


@dataclass(frozen=True)
class RebalanceConfig:
    """The ``rebalance:`` section (fractions; ``duration_band`` in years; money in currency)."""

    max_single_name_weight: float | None = None
    min_cash_weight: float | None = None
    duration_band: float | None = None
    group_caps: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    whole_shares: bool = True
    min_trade_notional: float = 0.0
    max_turnover: float | None = None
    cost_bps: float = 0.0
    cure: str = "breach"  # POST_MIN ends every rule within its breach (or warn) limit


@dataclass(frozen=True)
class MonitorConfig:
    """The whole rules file."""

    rules: RulesConfig
    rebalance: RebalanceConfig
    portfolio_name: str = "Demo Core Fixed Income"
    lookback_weeks: int = 26
    risk_lookback_days: int = 252
    risk_free_rate: float = 0.0  # daily rate, fraction
    max_stale_days: int = 5  # trading days a held ticker's last close may lag the as-of date
    # above this many holdings correlations.csv is not written (the matrices stay in the DB)
    correlations_csv_max_holdings: int = 1_000
    # annualised-volatility upper bounds of Very Low, Low, Moderate, High (fractions)
    risk_levels: tuple[float, float, float, float] = (0.02, 0.05, 0.10, 0.20)
    # ``labels: {groups: {hy_credit: High yield}}``: display names of group codes on the pages
    group_labels: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    benchmark_primary: str | None = None  # benchmarks.primary: the benchmark rules use
    source: Path | None = None
    notify: Any = None  # the raw `notify:` value, read by fimonitor.notify.parse_notify


def _frac(value: Any, *, file: Path, key: str, percent_ok: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{key} must be a finite number, got {cut(repr(value))}", file=file)
    v = float(value)
    if v < 0:
        raise ConfigError(f"{key} must not be negative, got {v}", file=file)
    if percent_ok and v > 1:
        v = v / 100.0
    return v


def _check_keys(section: dict, allowed: tuple[str, ...], *, file: Path, where: str) -> None:
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in {where}; valid keys: {', '.join(allowed)}", file=file
        )


def _threshold(raw: Any, kind: str, *, file: Path, key: str, percent_ok: bool) -> Threshold:
    if not isinstance(raw, dict):
        raise ConfigError(f"rules.{key} must be a mapping {{warn: x, breach: y}}", file=file)
    _check_keys(raw, ("warn", "breach"), file=file, where=f"rules.{key}")
    warn = (
        None
        if raw.get("warn") is None
        else _frac(raw["warn"], file=file, key=f"rules.{key}.warn", percent_ok=percent_ok)
    )
    breach = (
        None
        if raw.get("breach") is None
        else _frac(raw["breach"], file=file, key=f"rules.{key}.breach", percent_ok=percent_ok)
    )
    if warn is None and breach is None:
        raise ConfigError(f"rules.{key} needs warn and/or breach", file=file)
    if warn is not None and breach is not None:
        if kind == "max" and warn > breach:
            raise ConfigError(
                f"rules.{key}: warn ({warn}) must not exceed breach ({breach})", file=file
            )
        if kind == "min" and warn < breach:
            raise ConfigError(
                f"rules.{key}: warn ({warn}) must not be below breach ({breach})", file=file
            )
    return Threshold(warn=warn, breach=breach, kind=kind)


def _risk_levels(raw: Any, *, file: Path) -> tuple[float, float, float, float]:
    """``risk_levels: {very_low: 2, low: 5, moderate: 10, high: 20}`` -> increasing fractions."""
    if not isinstance(raw, dict):
        raise ConfigError(
            f"risk_levels must be a mapping with keys {', '.join(RISK_LEVEL_KEYS)}", file=file
        )
    _check_keys(raw, RISK_LEVEL_KEYS, file=file, where="risk_levels")
    missing = [k for k in RISK_LEVEL_KEYS if raw.get(k) is None]
    if missing:
        raise ConfigError(f"risk_levels.{missing[0]} is missing", file=file)
    v = tuple(_frac(raw[k], file=file, key=f"risk_levels.{k}") for k in RISK_LEVEL_KEYS)
    if any(v[i + 1] <= v[i] for i in range(len(v) - 1)):
        raise ConfigError(f"risk_levels must increase, got {', '.join(map(str, v))}", file=file)
    return v  # type: ignore[return-value]


def _benchmarks(raw: Any, *, file: Path) -> str | None:
    """``benchmarks: {primary: NAME}`` -> NAME (checked against the file by the loader)."""
    if not isinstance(raw, dict):
        raise ConfigError("benchmarks must be a mapping {primary: NAME}", file=file)
    _check_keys(raw, BENCHMARKS_KEYS, file=file, where="benchmarks")
    primary = raw.get("primary")
    if primary is None:
        return None
    if not isinstance(primary, str) or not primary.strip():
        raise ConfigError(f"benchmarks.primary must be a name, got {primary!r}", file=file)
    return primary.strip()


def parse_config(raw: Any, *, file: Path | str = "monitor.yaml") -> MonitorConfig:
    """Validate a parsed YAML document and build a :class:`MonitorConfig`."""
    file = Path(file)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("top level must be a mapping with 'rules' and 'rebalance'", file=file)
    _check_keys(raw, TOP_KEYS, file=file, where="the top level")

    rules_raw = raw.get("rules") or {}
    if not isinstance(rules_raw, dict):
        raise ConfigError("rules must be a mapping", file=file)
    _check_keys(rules_raw, RULE_KEYS, file=file, where="rules")
    rules_kw: dict[str, Any] = {}
    for key in MAX_RULES:
        if rules_raw.get(key) is not None:
            rules_kw[key] = _threshold(
                rules_raw[key], "max", file=file, key=key, percent_ok=key != "duration_gap"
            )
    for key in MIN_RULES:
        if rules_raw.get(key) is not None:
            rules_kw[key] = _threshold(rules_raw[key], "min", file=file, key=key, percent_ok=True)
    groups = rules_raw.get("group_max_weight") or {}
    if not isinstance(groups, dict):
        raise ConfigError("rules.group_max_weight must map group -> {warn, breach}", file=file)
    rules_kw["group_max_weight"] = MappingProxyType(
        {
            str(g): _threshold(t, "max", file=file, key=f"group_max_weight.{g}", percent_ok=True)
            for g, t in groups.items()
        }
    )

    if rules_raw.get("key_rate_dv01") is not None:  # currency per bp: never rescaled
        rules_kw["key_rate_dv01"] = _threshold(
            rules_raw["key_rate_dv01"], "max", file=file, key="key_rate_dv01", percent_ok=False
        )
    reb_raw = raw.get("rebalance") or {}
    if not isinstance(reb_raw, dict):
        raise ConfigError("rebalance must be a mapping", file=file)
    _check_keys(reb_raw, REBALANCE_KEYS, file=file, where="rebalance")
    reb_kw: dict[str, Any] = {}
    for key in ("max_single_name_weight", "min_cash_weight"):
        if reb_raw.get(key) is not None:
            reb_kw[key] = _frac(reb_raw[key], file=file, key=f"rebalance.{key}")
    if reb_raw.get("max_turnover") is not None:  # a ratio that may exceed 1: never rescaled
        reb_kw["max_turnover"] = _frac(
            reb_raw["max_turnover"], file=file, key="rebalance.max_turnover", percent_ok=False
        )
    if reb_raw.get("duration_band") is not None:
        reb_kw["duration_band"] = _frac(
            reb_raw["duration_band"], file=file, key="rebalance.duration_band", percent_ok=False
        )
    for key in ("min_trade_notional", "cost_bps"):
        if reb_raw.get(key) is not None:
            reb_kw[key] = _frac(reb_raw[key], file=file, key=f"rebalance.{key}", percent_ok=False)
    if "whole_shares" in reb_raw:
        if not isinstance(reb_raw["whole_shares"], bool):
            raise ConfigError("rebalance.whole_shares must be true or false", file=file)
        reb_kw["whole_shares"] = reb_raw["whole_shares"]
    if reb_raw.get("cure") is not None:
        if reb_raw["cure"] not in CURE_LEVELS:
            allowed = ", ".join(CURE_LEVELS)
            raise ConfigError(
                f"rebalance.cure must be one of {allowed}, got {reb_raw['cure']!r}", file=file
            )
        reb_kw["cure"] = reb_raw["cure"]
    caps = reb_raw.get("group_caps") or {}
    if not isinstance(caps, dict):
        raise ConfigError("rebalance.group_caps must map group -> cap", file=file)
    reb_kw["group_caps"] = MappingProxyType(
        {str(g): _frac(v, file=file, key=f"rebalance.group_caps.{g}") for g, v in caps.items()}
    )

    top: dict[str, Any] = {}
    if raw.get("portfolio_name") is not None:
        name = raw["portfolio_name"]
        if not isinstance(name, str | int | float) or isinstance(name, bool):
            raise ConfigError("portfolio_name must be a text", file=file)
        name = str(name).strip()
        if not name or len(name) > MAX_NAME or "\n" in name or "\r" in name:
            raise ConfigError(
                f"portfolio_name must be one line of 1 to {MAX_NAME} characters", file=file
            )
        top["portfolio_name"] = name
    for key, most in INT_LIMITS.items():
        if raw.get(key) is not None:
            v = raw[key]
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= most:
                raise ConfigError(
                    f"{key} must be a whole number from 1 to {most:,}, got {cut(repr(v))}",
                    file=file,
                )
            top[key] = v
    if raw.get("risk_free_rate") is not None:
        top["risk_free_rate"] = _frac(
            raw["risk_free_rate"], file=file, key="risk_free_rate", percent_ok=False
        )
    if raw.get("risk_levels") is not None:
        top["risk_levels"] = _risk_levels(raw["risk_levels"], file=file)
    labels = raw.get("labels") or {}
    if not isinstance(labels, dict):
        raise ConfigError("labels must be a mapping such as {groups: {code: label}}", file=file)
    _check_keys(labels, LABEL_KEYS, file=file, where="labels")
    groups_lab = labels.get("groups") or {}
    if not isinstance(groups_lab, dict):
        raise ConfigError("labels.groups must map group code -> display label", file=file)
    top["group_labels"] = MappingProxyType({str(k).lower(): str(v) for k, v in groups_lab.items()})
    if raw.get("benchmarks") is not None:
        top["benchmark_primary"] = _benchmarks(raw["benchmarks"], file=file)
    if raw.get("notify") is not None:
        top["notify"] = raw["notify"]
    return MonitorConfig(
        rules=RulesConfig(**rules_kw), rebalance=RebalanceConfig(**reb_kw), source=file, **top
    )


def load_config(path: str | Path) -> MonitorConfig:
    """Read and validate a rules file; every problem is a :class:`ConfigError`."""
    from fimonitor.fileio import read_yaml

    return parse_config(read_yaml(path), file=Path(path))
