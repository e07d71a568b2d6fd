"""The one place numbers become text on the pages.

Frames hold fractions, years and currency units; these functions turn them into what the
analyst reads. Every function maps a missing value (None, NaN, NaT, non-number) to an en dash.

>>> pct(0.01234)
'1.2 %'
>>> pct(-0.0031, signed=True, digits=2)
'-0.31 %'
>>> bp(0.00045)
'4.5 bp'
>>> years(6.234)
'6.23 y'
>>> money(1234567.8)
'$1,234,568'
>>> pct(float("nan"))
'–'
"""

from __future__ import annotations

import math
from numbers import Real

import pandas as pd

MISSING = "–"  # en dash
MINUS = "-"


def _number(x: object) -> float | None:
    """``x`` as a finite float, or None when it is missing or not a number."""
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, Real):
        v = float(x)
    else:
        try:
            v = float(x)  # numeric strings from metric,value tables
        except (TypeError, ValueError):
            return None
    return v if math.isfinite(v) else None


def _signed(text: str, v: float, signed: bool) -> str:
    if signed and v > 0:
        return "+" + text
    return text


def _round_zero(v: float, digits: int) -> float:
    """Avoid printing '-0.0' for tiny negative numbers."""
    r = round(v, digits)
    return 0.0 if r == 0 else r


def pct(x: object, digits: int = 1, signed: bool = False) -> str:
    """Fraction -> percent text: ``0.0123`` -> ``'1.2 %'`` (``'+1.2 %'`` when signed)."""
    v = _number(x)
    if v is None:
        return MISSING
    r = _round_zero(v * 100.0, digits)
    return _signed(f"{r:,.{digits}f} %", r, signed)


def pp(x: object, digits: int = 1, signed: bool = True) -> str:
    """Fraction difference -> percentage points: ``0.012`` -> ``'+1.2 pp'``."""
    v = _number(x)
    if v is None:
        return MISSING
    r = _round_zero(v * 100.0, digits)
    return _signed(f"{r:,.{digits}f} pp", r, signed)


def bp(x: object, digits: int = 1, signed: bool = False) -> str:
    """Fraction -> basis points: ``0.00045`` -> ``'4.5 bp'``."""
    v = _number(x)
    if v is None:
        return MISSING
    r = _round_zero(v * 10_000.0, digits)
    return _signed(f"{r:,.{digits}f} bp", r, signed)


def years(x: object, digits: int = 2, signed: bool = False) -> str:
    """Years (durations, gaps): ``6.234`` -> ``'6.23 y'``."""
    v = _number(x)
    if v is None:
        return MISSING
    r = _round_zero(v, digits)
    return _signed(f"{r:,.{digits}f} y", r, signed)


def money(x: object, digits: int = 0, signed: bool = False, symbol: str = "$") -> str:
    """Currency units with thousands separators: ``-1234.5`` -> ``'-$1,235'``."""
    v = _number(x)
    if v is None:
        return MISSING
    r = _round_zero(v, digits)
    body = f"{symbol}{abs(r):,.{digits}f}"
    if r < 0:
        return MINUS + body
    return _signed(body, r, signed)


def money_short(x: object, symbol: str = "$") -> str:
    """Compact currency: ``1_234_567`` -> ``'$1.23m'``; ``45_600`` -> ``'$45.6k'``."""
    v = _number(x)
    if v is None:
        return MISSING
    a = abs(v)
    for scale, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if a >= scale:
            body = f"{symbol}{a / scale:,.{2 if a / scale < 100 else 1}f}{suffix}"
            break
    else:
        body = f"{symbol}{a:,.0f}"
    return (MINUS + body) if v < 0 and round(a) != 0 else body


def dv01(x: object, digits: int = 0) -> str:
    """DV01 in currency per basis point: ``1234.5`` -> ``'$1,235/bp'``."""
    text = money(x, digits)
    return text if text == MISSING else text + "/bp"


def number(x: object, digits: int = 0, signed: bool = False) -> str:
    """Plain number with thousands separators: ``1234`` -> ``'1,234'``."""
    v = _number(x)
    if v is None:
        return MISSING
    r = _round_zero(v, digits)
    return _signed(f"{r:,.{digits}f}", r, signed)


def count(x: object) -> str:
    """Return an integer count; missing -> dash."""
    return number(x, 0)


def change(x: object) -> str:
    """Return a signed integer change: ``2`` -> ``'+2'``, ``0`` -> ``'±0'``."""
    v = _number(x)
    if v is None:
        return MISSING
    n = round(v)
    return "±0" if n == 0 else f"{n:+d}"


def date(x: object) -> str:
    """ISO date text ``YYYY-MM-DD``; missing -> dash."""
    if x is None:
        return MISSING
    try:
        ts = pd.Timestamp(x)
    except (TypeError, ValueError):
        return MISSING
    if pd.isna(ts):
        return MISSING
    return ts.strftime("%Y-%m-%d")


def text(x: object) -> str:
    """Any label; missing or blank -> dash."""
    if x is None:
        return MISSING
    try:
        if pd.isna(x):
            return MISSING
    except (TypeError, ValueError):
        pass
    s = str(x).strip()
    return s if s else MISSING


def metric(name: str, value: object) -> str:
    """Format a ``metric,value`` row by the metric's unit (risk and summary tables).

    Weights, returns, volatilities, drawdowns and VaR are fractions -> percent; durations and
    gaps in years; DV01 and market value in currency; ratios and counts as plain numbers.
    """
    key = name.lower()
    if key in {"as_of", "previous_as_of"}:
        return date(value)
    if "dv01" in key:
        return dv01(value)
    if key in {"market_value", "cash", "final_value"} or key.endswith("_value"):
        return money(value)
    if "duration" in key or key.endswith("_gap"):
        return years(value)
    if key.startswith("n_") or key in {"effective_n"}:
        return number(value, 0 if key.startswith("n_") else 1)
    if key in {"sharpe", "sortino", "calmar", "information_ratio", "beta"}:
        return number(value, 2)
    return pct(value, 2)


# Rules whose value and limit are in years; every other rule measures a weight (fraction).
YEAR_RULES = frozenset({"duration_gap"})


# Rules whose value and limit are currency per basis point.
DV01_RULES = frozenset({"key_rate_dv01"})


def rule_value(rule: object, x: object, signed: bool = False) -> str:
    """Format an alert's value or limit: years for duration_gap, $/bp for key_rate_dv01, else %."""
    if str(rule) in YEAR_RULES:
        return years(x, 2, signed=signed)
    if str(rule) in DV01_RULES:
        text_ = money(x, signed=signed)
        return text_ if text_ == MISSING else text_ + "/bp"
    return pct(x, 2, signed=signed)


# Display names of security-master group codes (monitor.yaml ``labels: {groups: …}`` wins).
GROUP_LABELS: dict[str, str] = {
    "treasury": "Treasury",
    "tips": "TIPS",
    "ig_credit": "IG credit",
    "hy_credit": "High yield",
    "mbs": "MBS",
    "em": "EM debt",
    "muni": "Munis",
    "munis": "Munis",
    "intl": "International",
    "cash": "Cash",
}

# Rating scale, best first; anything else sorts after D, then NR, then cash.
RATING_SCALE: tuple[str, ...] = (
    *("AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-"),
    *("BB+", "BB", "BB-", "B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C", "D"),
)

# Short rule names for the pages (the CSVs keep the rules file's keys).
RULE_LABELS: dict[str, str] = {
    "max_single_name_weight": "single-name weight",
    "min_cash_weight": "cash weight",
    "duration_gap": "duration gap",
    "active_weight": "active weight",
    "group_max_weight": "group weight",
    "key_rate_dv01": "key-rate DV01",
}


def group_label(code: object, labels: dict | None = None) -> str:
    """Display label of a group code: the configured one, else the default, else the code."""
    c = text(code)
    if c == MISSING:
        return c
    return (labels or {}).get(c.lower()) or GROUP_LABELS.get(c.lower(), c)


def rule_label(rule: object) -> str:
    """Short display name of a rule key (``max_single_name_weight`` -> ``single-name weight``)."""
    r = text(rule)
    return RULE_LABELS.get(r, r.replace("_", " "))


def rating_rank(bucket: object) -> int:
    """Sort key on the rating scale: AAA = 0 … D; other buckets, then NR, then cash last."""
    b = text(bucket).upper()
    if b in RATING_SCALE:
        return RATING_SCALE.index(b)
    if b == "CASH":
        return len(RATING_SCALE) + 2
    if b == "NR":
        return len(RATING_SCALE) + 1
    return len(RATING_SCALE)


# ---------------------------------------------------------------------------------------------
# Whole tables (the notebook shows the pack's CSVs formatted as on the pages)
# ---------------------------------------------------------------------------------------------

_RULE_COLUMNS = ("value", "limit", "signed_value", "excess")
_MONEY_COLUMNS = {"market_value", "notional", "est_cost", "cash", "final_value"}


def _column_formatter(col: str):
    c = col.lower()
    if c in {"date", "since", "start", "end", "as_of", "week_ending", "severity_since"}:
        return date
    if c.startswith("n_") or c in {"age_days", "alert_days", "warn_days", "breach_days"}:
        return count
    if c == "shares":
        return number
    if c == "price":
        return lambda x: money(x, 2)
    if "dv01" in c:
        return dv01
    if c in _MONEY_COLUMNS or c.endswith("_pnl"):
        return lambda x: money(x, signed=c.endswith("_pnl"))
    if "duration" in c or c.endswith("gap") or c in {"krd", "convexity"}:
        return years
    if c.startswith("active") or c in {"allocation", "selection", "interaction", "total"}:
        return lambda x: pp(x, 2)
    if any(k in c for k in ("weight", "turnover", "return", "cost", "volatility", "error")):
        return lambda x: pct(x, 2)
    return text


def _metric_or_text(name: object, value: object) -> str:
    shown = metric(str(name), value)
    return text(value) if shown == MISSING else shown


def _alert_cell(col: str, rule: object, value: object) -> str:
    """An alert's value/limit by its rule; the signed value and the excess as differences."""
    r = str(rule)
    if r in DV01_RULES or r in YEAR_RULES:
        return rule_value(r, value, signed=col in ("signed_value", "excess"))
    if col == "excess" or (col == "signed_value" and r == "active_weight"):
        return pp(value, 2)
    return rule_value(r, value)


def format_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A pack table as the pages print it: every cell text, units by column, "–" for missing.

    ``metric,value`` tables use :func:`metric`; alert tables format ``value, limit,
    signed_value, excess`` by their rule (:func:`rule_value`); other columns by their name
    (weights and returns in %, active figures in pp, durations in years, DV01 in $/bp, money
    with thousands separators, dates ISO). No scientific notation, no raw NaN.
    """
    out = pd.DataFrame(index=df.index)
    is_metric = list(df.columns[:2]) == ["metric", "value"]
    for col in df.columns:
        s = df[col]
        if is_metric and col == "value":
            out[col] = [_metric_or_text(m, v) for m, v in zip(df["metric"], s, strict=True)]
        elif "rule" in df.columns and col in _RULE_COLUMNS:
            out[col] = [_alert_cell(col, r, v) for r, v in zip(df["rule"], s, strict=True)]
        elif col == "metric":
            out[col] = [text(v) for v in s]
        else:
            f = _column_formatter(str(col))
            out[col] = [f(v) for v in s]
    return out


def csv_table(path) -> pd.DataFrame:
    """Read one of the pack's CSVs and return it formatted (:func:`format_frame`)."""
    return format_frame(pd.read_csv(path, keep_default_na=True))
