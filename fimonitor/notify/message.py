"""Notification messages as pure functions: frames in, a short plain-text :class:`Message` out.

A message is what a person reads on a phone: the portfolio, the as-of date, the alert
counts, what changed since the previous pack (new and cured alerts), the orders, and where
the pack is. Numbers are written the way people write them (``10,000,000``, ``4.33 %``,
``0.62 y``, ``2026-04-30``); long lists are cut with "… and N more" so a message stays
within every service's limit (Telegram's is 4,096 characters).

Alert frames follow the alerts schema ``date,rule,ticker,value,limit,severity``; pack orders
``scenario,ticker,side,shares,price,notional,reason``; policy orders
``ticker,side,shares,price,notional,reason`` (a ``date`` column, as in DCA orders, is shown;
a missing ``side`` reads as BUY) and policy alerts ``type,ticker,value,limit,severity,message``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

MAX_ITEMS = 10  # lines per list before "… and N more"
MAX_TITLE = 120  # characters
MAX_BODY = 3500  # characters; below Telegram's 4,096 with room for the service's own framing
ELLIPSIS = "…"
MISSING = "–"
ALERT_KEY = ["rule", "ticker"]


@dataclass(frozen=True)
class Message:
    """One notification.

    Attributes
    ----------
    title : str
        One line, at most :data:`MAX_TITLE` characters.
    body : str
        Plain text, at most :data:`MAX_BODY` characters.
    level : str
        ``info``, ``warning`` (a WARN or a policy order) or ``failure`` (a BREACH or an
        URGENT policy alert); services that colour messages use it.
    """

    title: str
    body: str
    level: str = "info"


# ---------------------------------------------------------------- number formatting


def _finite(x: object) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def fmt_date(x: object) -> str:
    """Write a date as ``YYYY-MM-DD`` (strings pass through; missing -> en dash)."""
    if _blank(x):
        return MISSING
    if isinstance(x, (pd.Timestamp, datetime, date)):
        return pd.Timestamp(x).strftime("%Y-%m-%d")
    try:
        return pd.Timestamp(str(x)).strftime("%Y-%m-%d")
    except (ValueError, TypeError):
        return str(x)


def fmt_number(x: object, digits: int = 0) -> str:
    """``10000000`` -> ``'10,000,000'``; ``-0.4`` with 0 digits -> ``'0'`` (no ``-0``)."""
    v = _finite(x)
    if v is None:
        return MISSING
    r = round(v, digits)
    return f"{0.0 if r == 0 else r:,.{digits}f}"


def fmt_money(x: object) -> str:
    """Currency without a symbol: whole units from 1,000 up, else cents (``129,900``, ``85.50``)."""
    v = _finite(x)
    if v is None:
        return MISSING
    return fmt_number(v, 0 if abs(v) >= 1000 else 2)


def fmt_shares(x: object) -> str:
    """Whole shares as integers (``1,200``); fractional shares with up to 4 decimals."""
    v = _finite(x)
    if v is None:
        return MISSING
    if float(v).is_integer():
        return fmt_number(v, 0)
    return f"{v:,.4f}".rstrip("0").rstrip(".")


def fmt_pct(x: object, digits: int = 2) -> str:
    """Fraction -> percent: ``0.0433`` -> ``'4.33 %'``."""
    v = _finite(x)
    return MISSING if v is None else f"{fmt_number(v * 100.0, digits)} %"


def fmt_rule_value(rule: str, x: object) -> str:
    """Write a rule's value or limit in the rule's unit.

    Weights are fractions (shown in percent), ``duration`` rules are years, ``dv01`` rules
    currency per basis point; anything else is shown as a plain number.
    """
    name = str(rule).lower()
    if "duration" in name:
        v = _finite(x)
        return MISSING if v is None else f"{fmt_number(v, 2)} y"
    if "dv01" in name:
        return fmt_number(x, 0)
    if "weight" in name or "cash" in name:
        return fmt_pct(x)
    v = _finite(x)
    return MISSING if v is None else f"{v:,.4g}"


# ---------------------------------------------------------------- text helpers


def _cut_list(lines: list[str], max_items: int) -> list[str]:
    if len(lines) <= max_items:
        return lines
    return [*lines[:max_items], f"{ELLIPSIS} and {len(lines) - max_items:,} more"]


def _bound(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def _blank(x: object) -> bool:
    """True for None, NaN, NaT, pd.NA and empty strings."""
    if x is None or isinstance(x, str):
        return x is None or x.strip() == ""
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):  # array-likes are not blank
        return False


def _section(heading: str, lines: list[str], max_items: int) -> list[str]:
    if not lines:
        return []
    return ["", f"{heading} ({len(lines):,}):", *_cut_list(lines, max_items)]


def _alert_line(a: pd.Series) -> str:
    who = "" if _blank(a.get("ticker")) else f" {a['ticker']}"
    value = fmt_rule_value(a["rule"], a.get("value"))
    limit = fmt_rule_value(a["rule"], a.get("limit"))
    return f"- {a['severity']} {a['rule']}{who}: {value} (limit {limit})"


def _order_line(o: pd.Series, with_scenario: bool) -> str:
    side = "BUY" if _blank(o.get("side")) else str(o["side"])
    when = "" if _blank(o.get("date")) else f"{fmt_date(o['date'])} "
    scen = f"[{o['scenario']}] " if with_scenario else ""
    text = (
        f"- {when}{scen}{side} {fmt_shares(o.get('shares'))} {o['ticker']}"
        f" @ {fmt_money(o.get('price'))} = {fmt_money(o.get('notional'))}"
    )
    if not _blank(o.get("reason")):
        text += f" ({o['reason']})"
    return text


def _sorted_alerts(alerts: pd.DataFrame) -> pd.DataFrame:
    """BREACH before WARN, then by rule and ticker (stable, so the input order breaks ties)."""
    if alerts is None or alerts.empty:
        return pd.DataFrame(columns=["date", "rule", "ticker", "value", "limit", "severity"])
    rank = alerts["severity"].map({"BREACH": 0, "URGENT": 0, "WARN": 1}).fillna(2)
    return (
        alerts.assign(_rank=rank, _t=alerts["ticker"].fillna("").astype(str))
        .sort_values(["_rank", "rule", "_t"], kind="stable")
        .drop(columns=["_rank", "_t"])
    )


def _order_lines(orders: pd.DataFrame | None) -> tuple[list[str], str]:
    """Order lines (SELL first, then BUY, largest notional first) and the scenario label."""
    if orders is None or orders.empty:
        return [], ""
    o = orders
    side = o["side"] if "side" in o.columns else pd.Series("BUY", index=o.index)
    notional = pd.to_numeric(o["notional"], errors="coerce").abs().fillna(0.0)
    o = o.assign(
        _s=side.fillna("BUY").map({"SELL": 0, "BUY": 1}).fillna(2),
        _n=-notional,
    )
    keys = ["date", "_s", "_n"] if "date" in o.columns else ["_s", "_n"]
    o = o.sort_values(keys, kind="stable")
    scenarios = o["scenario"].dropna().unique() if "scenario" in o.columns else []
    with_scenario = len(scenarios) > 1
    label = f" ({scenarios[0]})" if len(scenarios) == 1 else ""
    return [_order_line(r, with_scenario) for _, r in o.iterrows()], label


def _level(severities: pd.Series) -> str:
    s = set(severities.dropna().astype(str))
    if s & {"BREACH", "URGENT"}:
        return "failure"
    return "warning" if s else "info"


def _finish(title: str, lines: list[str], level: str) -> Message:
    return Message(_bound(title, MAX_TITLE), _bound("\n".join(lines), MAX_BODY), level)


# ---------------------------------------------------------------- public builders


def alert_changes(
    current: pd.DataFrame, previous: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Find the alerts that are new or cured since the previous pack.

    Parameters
    ----------
    current, previous : DataFrame
        Alerts on the as-of date of each pack (``date,rule,ticker,value,limit,severity``).
        ``previous`` None means there is no earlier pack: every current alert is new.

    Returns
    -------
    new : DataFrame
        Current alerts whose (rule, ticker, severity) was not alerting in ``previous``: an
        alert that appeared, or one that changed severity (WARN -> BREACH or back).
    cured : DataFrame
        Previous alerts whose (rule, ticker) is no longer alerting at any severity; the
        values are the previous pack's.

    Notes
    -----
    A blank ticker (portfolio-level rules) matches a blank ticker. Row order follows the
    inputs.
    """
    cols = list(current.columns)
    if previous is None:
        return current.copy(), current.iloc[0:0].copy()

    def keyed(df: pd.DataFrame) -> pd.DataFrame:
        return df.assign(_ticker=df["ticker"].fillna("").astype(str).str.strip())

    cur, prev = keyed(current), keyed(previous)
    k3 = ["rule", "_ticker", "severity"]
    k2 = ["rule", "_ticker"]
    seen = prev[k3].drop_duplicates()
    new = cur.merge(seen, on=k3, how="left", indicator=True)
    new = new[new["_merge"] == "left_only"][cols]
    still = cur[k2].drop_duplicates()
    cured = prev.merge(still, on=k2, how="left", indicator=True)
    cured = cured[cured["_merge"] == "left_only"][list(previous.columns)]
    return new.reset_index(drop=True), cured.reset_index(drop=True)


def pack_message(
    portfolio: str,
    as_of: object,
    n_breach: int,
    n_warn: int,
    new_alerts: pd.DataFrame | None,
    cured_alerts: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    pack_path: str | Path | None,
    *,
    max_items: int = MAX_ITEMS,
) -> Message:
    """Build the message after a ``pack`` (or one book of a ``batch``).

    Parameters
    ----------
    portfolio : str
        The book's name.
    as_of : date-like
        The pack's as-of date.
    n_breach, n_warn : int
        Alerts on the as-of date, by severity (all of them, not only the new ones).
    new_alerts, cured_alerts : DataFrame or None
        From :func:`alert_changes`; alerts schema.
    orders : DataFrame or None
        The orders to act on (normally scenario POST_MIN, the least trade that cures).
    pack_path : path or None
        Where the pack was written (the PDF or its folder).
    max_items : int
        Lines per list before "… and N more".

    Returns
    -------
    Message
        ``level`` is ``failure`` with any BREACH, ``warning`` with any WARN, else ``info``.
    """
    day = fmt_date(as_of)
    title = f"fimonitor {portfolio} {day}: {n_breach:,} BREACH, {n_warn:,} WARN"
    lines = [
        f"Portfolio: {portfolio}",
        f"As of: {day}",
        f"Alerts: {n_breach:,} BREACH, {n_warn:,} WARN",
    ]
    new = _sorted_alerts(new_alerts)
    cured = _sorted_alerts(cured_alerts)
    if new.empty and cured.empty:
        lines += ["", "No alert is new or cured since the previous pack."]
    lines += _section("New alerts", [_alert_line(a) for _, a in new.iterrows()], max_items)
    lines += _section(
        "Cured since the previous pack", [_alert_line(a) for _, a in cured.iterrows()], max_items
    )
    order_lines, label = _order_lines(orders)
    lines += _section(f"Orders{label}", order_lines, max_items)
    if pack_path is not None:
        lines += ["", f"Pack: {pack_path}"]
    level = "failure" if n_breach > 0 else "warning" if n_warn > 0 else "info"
    return _finish(title, lines, level)


def policy_message(
    portfolio: str,
    as_of: object,
    orders: pd.DataFrame | None,
    alerts: pd.DataFrame | None,
    *,
    command: str = "rebalance",
    max_items: int = MAX_ITEMS,
) -> Message:
    """Build the message after ``rebalance`` or ``dca run``.

    Parameters
    ----------
    portfolio : str
        The portfolio file's name or the book's name.
    as_of : date-like
        The valuation date (for DCA, the last investment date).
    orders : DataFrame or None
        ``ticker,side,shares,price,notional,reason`` (``side`` optional: BUY; ``date``
        optional, shown first).
    alerts : DataFrame or None
        Policy alerts ``type,ticker,value,limit,severity,message`` (the ``message`` is shown)
        or the alerts schema (shown like a pack's alerts).
    command : str
        ``rebalance`` or ``dca run``; named in the title.
    max_items : int
        Lines per list before "… and N more".

    Returns
    -------
    Message
        ``level`` is ``failure`` with an URGENT or BREACH alert, ``warning`` with orders or
        other alerts, else ``info``.

    Notes
    -----
    Sold and bought totals are Σ|notional| over SELL and BUY orders, currency units.
    """
    day = fmt_date(as_of)
    n = 0 if orders is None else len(orders)
    title = f"fimonitor {command} {portfolio} {day}: {n:,} order{'s' if n != 1 else ''}"
    lines = [f"Portfolio: {portfolio}", f"As of: {day}"]
    if n:
        side = orders["side"] if "side" in orders.columns else pd.Series("BUY", index=orders.index)
        notional = pd.to_numeric(orders["notional"], errors="coerce").abs()
        sold = notional[side == "SELL"].sum()
        bought = notional[side.fillna("BUY") == "BUY"].sum()
        lines.append(f"Orders: {n:,} (sell {fmt_money(sold)}, buy {fmt_money(bought)})")
    else:
        lines.append("Orders: none")
    order_lines, _ = _order_lines(orders)
    lines += _section("Orders", order_lines, max_items)
    alert_lines: list[str] = []
    level = "warning" if n else "info"
    if alerts is not None and not alerts.empty:
        if {"type", "message"} <= set(alerts.columns):
            a = _sorted_alerts(alerts.assign(rule=alerts["type"]))
            alert_lines = [
                f"- {r['severity']} {r['type']}: {r['message']}" for _, r in a.iterrows()
            ]
        else:
            alert_lines = [_alert_line(r) for _, r in _sorted_alerts(alerts).iterrows()]
        level = "failure" if _level(alerts["severity"]) == "failure" else "warning"
    lines += _section("Alerts", alert_lines, max_items)
    return _finish(title, lines, level)
