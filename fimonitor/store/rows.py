"""From the pack's DataFrames to rows of each history table (column specs and normalisers).

Every builder returns a list of dicts ready for one SQLAlchemy Core ``executemany`` insert; the
column conversions are done a column at a time by :func:`fimonitor.store.codec.frame_rows`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from fimonitor.errors import InputError
from fimonitor.store import codec
from fimonitor.store.schema import ASSET_METRIC_COLUMNS

PACK_EVENT_TYPE = "pack_rebalance"
#: summary ``status`` of a pack scenario -> event status (anything else: ``failed``).
PACK_STATUS = {"ok": "pending", "optimal": "pending", "infeasible": "infeasible"}

PERFORMANCE_KEYS = (
    "market_value",
    "cash_weight",
    "portfolio_duration",
    "benchmark_duration",
    "duration_gap",
    "portfolio_dv01",
    "n_breach",
    "n_warn",
    "daily_return",
)

POSITION_SPEC = [
    ("ticker", "ticker", "str", True),
    ("name", "name", "str", False),
    ("group", "group", "str", False),
    ("rating_bucket", "rating_bucket", "str", False),
    *(
        (c, c, "float", False)
        for c in (
            "shares",
            "price",
            "market_value",
            "weight",
            "benchmark_weight",
            "active_weight",
            "duration",
            "dv01",
        )
    ),
]
ALERT_SPEC = [
    ("date", "date", "date", False),
    ("rule", "rule", "str", True),
    ("ticker", "ticker", "key", False),
    ("value", "value", "float", False),
    ("limit_value", "limit", "float", False),
    ("severity", "severity", "str", True),
]
PERIOD_SPEC = [
    ("period", "period", "str", True),
    ("start_date", "start", "date", False),
    ("end_date", "end", "date", False),
    ("portfolio_return", "portfolio_return", "float", False),
    ("benchmark_return", "benchmark_return", "float", False),
    ("active_return", "active_return", "float", False),
]
DAILY_SPEC = [
    ("date", "date", "date", True),
    ("portfolio_return", "portfolio_return", "float", True),
    ("benchmark_return", "benchmark_return", "float", False),
    ("active_return", "active_return", "float", False),
]
BENCHMARK_SPEC = [
    ("benchmark", "benchmark", "str", True),
    ("is_primary", "is_primary", "bool", False),
    *(
        (c, c, "float", False)
        for c in (
            "duration",
            "duration_gap",
            "return_1y",
            "excess_return_1y",
            "tracking_error",
            "information_ratio",
            "beta",
            "alpha",
        )
    ),
]
ATTRIBUTION_SPEC = [
    ("period", "period", "str", True),
    ("group", "group", "str", True),
    *(
        (c, c, "float", False)
        for c in (
            "portfolio_weight",
            "benchmark_weight",
            "portfolio_return",
            "benchmark_return",
            "allocation",
            "selection",
            "interaction",
            "total",
        )
    ),
]
ASSET_METRIC_SPEC = [
    ("ticker", "ticker", "str", True),
    ("date", "date", "date", True),
    *((c, c, "float", False) for c in ASSET_METRIC_COLUMNS),
]
TARGET_SPEC = [
    ("ticker_or_group", "ticker_or_group", "str", True),
    ("target_weight", "target_weight", "float", True),
    ("min_weight", "min_weight", "float", False),
    ("max_weight", "max_weight", "float", False),
    ("rebalance_threshold", "rebalance_threshold", "float", False),
    ("frequency", "frequency", "str", False),
    ("active", "active", "bool", True),
    ("source", "source", "str", False),
]
ORDER_SPEC = [
    ("ticker", "ticker", "str", True),
    ("side", "side", "str", False),
    ("shares", "shares", "float", False),
    ("price", "price", "float", False),
    ("notional", "notional", "float", False),
    ("reason", "reason", "str", False),
    ("order_date", "date", "date", False),
]
_ORDER_KNOWN = {"ticker", "side", "shares", "price", "notional", "reason", "date", "scenario"}


def snapshot_rows(
    spec: list, df: pd.DataFrame | None, pid: str, as_of: dt.date, what: str
) -> list[dict[str, Any]]:
    """Rows of one snapshot table: the frame's columns plus ``portfolio_id`` and ``as_of``."""
    return codec.frame_rows(df, spec, {"portfolio_id": pid, "as_of": as_of}, what)


def performance_rows(
    pid: str, as_of: dt.date, performance: Mapping[str, Any] | None, recorded_at: dt.datetime
) -> list[dict[str, Any]]:
    """Build the ``portfolio_performance_history`` row (other summary keys in ``extra``)."""
    perf = dict(performance or {})
    if "daily_return" not in perf and "return" in perf:
        perf["daily_return"] = perf.pop("return")
    row: dict[str, Any] = {"portfolio_id": pid, "as_of": as_of, "recorded_at": recorded_at}
    for key in PERFORMANCE_KEYS:
        v = pd.to_numeric(pd.Series([codec.scalar(perf.get(key))], dtype=object), errors="coerce")
        num = None if pd.isna(v.iloc[0]) else float(v.iloc[0])
        row[key] = (None if num is None else round(num)) if key.startswith("n_") else num
    extra = {k: v for k, v in perf.items() if k not in PERFORMANCE_KEYS and k != "as_of"}
    row["extra"] = codec.to_json(extra) if extra else None
    return [row]


def risk_rows(pid: str, as_of: dt.date, risk: pd.DataFrame | None) -> list[dict[str, Any]]:
    """``metric, value`` rows; a text value (``risk_level``) goes to ``text_value``."""
    if risk is None or len(risk) == 0:
        return []
    if "metric" not in risk.columns or "value" not in risk.columns:
        raise InputError("risk_metrics must have columns metric,value")
    frame = risk.reset_index(drop=True)
    numeric = pd.to_numeric(frame["value"], errors="coerce")
    if "text_value" not in frame.columns:
        is_text = numeric.isna() & frame["value"].notna()
        frame = frame.assign(text_value=frame["value"].where(is_text))
    frame = frame.assign(value=numeric)
    spec = [
        ("metric", "metric", "str", True),
        ("value", "value", "float", True),
        ("text_value", "text_value", "str", False),
    ]
    return snapshot_rows(spec, frame, pid, as_of, "risk_metrics")


def alert_rows(pid: str, as_of: dt.date, alerts: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Alert rows; a missing ``date`` is the as-of."""
    rows = snapshot_rows(ALERT_SPEC, alerts, pid, as_of, "alerts")
    for r in rows:
        if r["date"] is None:
            r["date"] = as_of
    return rows


def daily_frame(daily: pd.DataFrame | pd.Series | None) -> pd.DataFrame | None:
    """``date, portfolio_return[, benchmark_return, active_return]`` from a frame or Series."""
    if daily is None or len(daily) == 0:
        return None
    if isinstance(daily, pd.Series):
        daily = daily.rename("portfolio_return").to_frame()
    if "date" not in daily.columns:
        daily = daily.rename_axis("date").reset_index()
    if "portfolio_return" not in daily.columns and "return" in daily.columns:
        daily = daily.rename(columns={"return": "portfolio_return"})
    if (
        "active_return" not in daily.columns
        and "benchmark_return" in daily.columns
        and "portfolio_return" in daily.columns
    ):
        daily = daily.assign(active_return=daily["portfolio_return"] - daily["benchmark_return"])
    return daily


def target_frame(targets: pd.DataFrame, source: str | None) -> pd.DataFrame:
    """Allocation targets with defaults: ``active`` True, ``source`` the given file."""
    out = targets
    if "active" not in out.columns:
        out = out.assign(active=True)
    if source is not None and "source" not in out.columns:
        out = out.assign(source=str(source))
    return out


def order_rows(orders: pd.DataFrame | None, event_id: int) -> list[dict[str, Any]]:
    """``rebalancing_orders`` rows of one event (``line`` = 1, 2, … in the frame's order)."""
    if orders is None or len(orders) == 0:
        return []
    frame = orders.reset_index(drop=True)
    rows = codec.frame_rows(frame, ORDER_SPEC, {"event_id": int(event_id)}, "orders")
    extra_cols = [c for c in frame.columns if c not in _ORDER_KNOWN]
    extras = (
        [codec.to_json(r) for r in codec.frame_records(frame[extra_cols])]
        if extra_cols
        else [None] * len(frame)
    )
    for line, (row, extra) in enumerate(zip(rows, extras, strict=True), start=1):
        row["line"] = line
        row["extra"] = extra
    return rows


def event_row(
    pid: str,
    event_date: dt.date,
    event_type: str,
    inputs: Mapping[str, Any] | None,
    orders: pd.DataFrame | None,
    status: str,
    pre_state: Mapping | None,
    post_state: Mapping | None,
    cost: Any,
    tax_impact: Any,
    recorded_at: dt.datetime,
    scenario: str | None = None,
) -> dict[str, Any]:
    """One ``rebalancing_events`` row (its orders go to ``rebalancing_orders``)."""
    inputs_json = codec.to_json(inputs or {})
    n_orders = 0 if orders is None else len(orders)
    traded = None
    if orders is not None and "notional" in orders.columns:
        traded = float(pd.to_numeric(orders["notional"], errors="coerce").abs().sum())
    return {
        "portfolio_id": pid,
        "event_date": event_date,
        "event_type": str(event_type),
        "status": str(status),
        "inputs_key": hashlib.sha256(inputs_json.encode()).hexdigest(),
        "inputs": inputs_json,
        "n_orders": n_orders,
        "traded_notional": traded,
        "pre_state": None if pre_state is None else codec.to_json(pre_state),
        "post_state": None if post_state is None else codec.to_json(post_state),
        "cost": _money(cost),
        "tax_impact": _money(tax_impact),
        "recorded_at": recorded_at,
        "scenario": scenario,
    }


def _money(value: Any) -> float:
    v = codec.scalar(value)
    try:
        out = float(v) if v is not None else 0.0
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if np.isnan(out) else out


def pack_events(
    pid: str,
    as_of: dt.date,
    summary: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    recorded_at: dt.datetime,
) -> list[tuple[dict[str, Any], pd.DataFrame | None]]:
    """Turn a pack's proposals into events: one per summary scenario except ``PRE``.

    Status: ``pending`` (``infeasible`` when the scenario's status says so, ``failed`` for
    another non-ok status). Cost from ``est_cost``; tax impact from ``tax_impact`` when the
    summary has it, else 0. Orders: the ``orders`` rows of that scenario.
    """
    out: list[tuple[dict[str, Any], pd.DataFrame | None]] = []
    records = codec.frame_records(summary)
    if orders is not None and len(orders) and "scenario" not in orders.columns:
        raise InputError("rebalance_orders must have a scenario column")
    for rec in records:
        scenario = str(rec.get("scenario") or "")
        if not scenario or scenario.upper() == "PRE":
            continue
        mine = None
        if orders is not None and len(orders):
            mine = orders[orders["scenario"].astype(str) == scenario]
        raw_status = str(rec.get("status") or "ok").lower()
        status = PACK_STATUS.get(raw_status, "failed")
        row = event_row(
            pid,
            as_of,
            PACK_EVENT_TYPE,
            {"scenario": scenario, "as_of": as_of},
            mine,
            status,
            None,
            rec,
            rec.get("est_cost"),
            rec.get("tax_impact"),
            recorded_at,
            scenario=scenario,
        )
        out.append((row, mine))
    return out
