"""The three pages of the monitoring pack, each built as one matplotlib Figure.

``summary_page``, ``weekly_page`` and ``rebalance_page`` read a :class:`~fimonitor.results.Pack`
and return a Figure (A4 landscape); nothing is saved here. Layout is in figure fractions
(0 = bottom/left, 1 = top/right) so that every page has the same title band and footer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fimonitor.report import figures, figures_alerts, figures_perf, style
from fimonitor.report import format as fmt
from fimonitor.report.figures import Column
from fimonitor.report.page_common import (
    PAGE_TITLES,
    SEVERITY_ORDER,
    STATUS_ORDER,
    age_text,
    alert_severity,
    alert_text,
    excess_text,
    group_labels,
    metric_value,
    new_page,
    num,
    pack_frame,
    previous_counts,
    signed_value,
    streak_path,
    tile,
)
from fimonitor.report.page_rebalance import rebalance_page
from fimonitor.report.panel import Panel
from fimonitor.results import Pack

__all__ = [
    "PAGE_TITLES",
    "age_text",
    "build_pages",
    "excess_text",
    "open_alerts",
    "previous_counts",
    "rebalance_page",
    "signed_value",
    "streak_path",
    "summary_page",
    "weekly_page",
]

# ---------------------------------------------------------------------------------------------
# Page 1
# ---------------------------------------------------------------------------------------------


def _headline(fig: Figure, pack: Pack) -> None:
    n_b, n_w = num(metric_value(pack, "n_breach")), num(metric_value(pack, "n_warn"))
    p_b, p_w = previous_counts(pack)
    dp, db = metric_value(pack, "portfolio_duration"), metric_value(pack, "benchmark_duration")
    gap = num(metric_value(pack, "duration_gap"))
    if not np.isfinite(gap):
        gap = num(dp) - num(db)
    warn_gap, _ = figures.rule_limits(pack.thresholds, "duration_gap")
    sev = alert_severity(pack)
    gap_colour = style.severity_colour(sev.get(("duration_gap", ""), ""))
    cash_sev = sev.get(("min_cash_weight", ""), "")
    since = (
        f"vs {fmt.date(pack.previous_as_of)}"
        if pack.previous_as_of is not None
        else "no previous pack"
    )
    tiles = [
        (
            "Market value",
            fmt.money(metric_value(pack, "market_value")),
            "portfolio incl. cash",
            style.TEXT,
        ),
        (
            "Cash weight",
            fmt.pct(metric_value(pack, "cash_weight"), 2),
            f"CASH + proxies · {cash_sev}" if cash_sev else "CASH + cash proxies",
            style.severity_colour(cash_sev),
        ),
        (
            "Duration: portfolio | benchmark",
            f"{fmt.years(dp)} | {fmt.years(db)}",
            "Σ weight × duration",
            style.TEXT,
        ),
        (
            "Duration gap",
            fmt.years(gap, signed=True),
            "portfolio − benchmark" + (f"; warn ±{fmt.years(warn_gap)}" if warn_gap else ""),
            gap_colour,
        ),
        (
            "Total DV01",
            fmt.dv01(metric_value(pack, "portfolio_dv01")),
            "$ per 1 bp parallel shift",
            style.TEXT,
        ),
        (
            "Breaches",
            fmt.count(n_b),
            f"{fmt.change(n_b - p_b)} {since}",
            style.BREACH if n_b > 0 else style.OK,
        ),
        (
            "Warnings",
            fmt.count(n_w),
            f"{fmt.change(n_w - p_w)} {since}",
            style.WARN if n_w > 0 else style.OK,
        ),
    ]
    widths = [0.135, 0.105, 0.19, 0.165, 0.125, 0.09, 0.09]
    gap_x = (0.94 - sum(widths)) / (len(widths) - 1)
    x = 0.03
    for (label, value, sub, colour), w in zip(tiles, widths, strict=True):
        tile(fig, (x, 0.835, w, 0.072), label, value, sub, colour)
        x += w + gap_x


def _changes_table(ax, pack: Pack) -> None:
    ch = pack.changes.copy() if pack.changes is not None else pd.DataFrame()
    labels = group_labels(pack)
    if not ch.empty and pack.alerts is not None and not pack.alerts.empty:
        extra = [
            c
            for c in ("signed_value", "excess", "age_days", "severity_since", "first_breach")
            if c in pack.alerts.columns and c not in ch.columns
        ]
        if extra:
            a = pack.alerts.assign(ticker=pack.alerts["ticker"].fillna("").astype(str))
            ch = ch.assign(_t=ch["ticker"].fillna("").astype(str)).merge(
                a[["rule", "ticker", *extra]].rename(columns={"ticker": "_t"}),
                on=["rule", "_t"],
                how="left",
            )
    if not ch.empty:
        ch["_s"] = ch["status"].map(STATUS_ORDER).fillna(9)
        sev = ch["severity"].where(ch["severity"].notna(), ch.get("previous_severity"))
        ch["_v"] = sev.map(SEVERITY_ORDER).fillna(9)
        ch = ch.sort_values(["_s", "_v", "rule", "ticker"])

    def sev_now(r: pd.Series) -> str:
        prev, now = fmt.text(r.get("previous_severity")), fmt.text(r.get("severity"))
        return f"{prev} → {now}"

    def value(r: pd.Series) -> str:
        return signed_value(r) if r["status"] != "cured" else fmt.MISSING

    def path(r: pd.Series) -> str:
        return streak_path(r) if r["status"] != "cured" else "cured"

    cols = [
        Column("Status", lambda r: fmt.text(r["status"]), "left", 0.85),
        Column("Alert", lambda r: alert_text(r, labels), "left", 2.35),
        Column("Prev → now", sev_now, "left", 1.4),
        Column("Value", value, "right", 0.8),
        Column("Streak", path, "left", 3.15),
    ]
    prev = fmt.date(pack.previous_as_of) if pack.previous_as_of is not None else "–"
    counts = ch["status"].value_counts() if not ch.empty else pd.Series(dtype=int)
    tally = ", ".join(f"{int(counts.get(k, 0))} {k}" for k in ("new", "cured", "persisting"))
    figures.table(
        ax,
        ch,
        cols,
        title=f"Alerts vs {prev}: {tally}",
        row_fill=lambda r: style.severity_fill(r.get("severity") if r["status"] != "cured" else ""),
        empty="no alerts today or at the previous pack",
        fontsize=6.3,
        note="Value: the signed measure (active weight in pp, duration gap in years)",
    )


def _moves_table(ax, pack: Pack) -> None:
    mv = pack.moves if pack.moves is not None else pd.DataFrame()

    def fmt_by_metric(metric: str, x: object, signed: bool = False) -> str:
        if "dv01" in metric:
            return fmt.money(x, signed=signed) + ("/bp" if num(x) == num(x) else "")
        if "duration" in metric or metric.endswith("gap"):
            return fmt.years(x, signed=signed)
        if signed:
            return fmt.pp(x, 2)
        return fmt.pct(x, 2)

    cols = [
        Column("Item", lambda r: fmt.text(r["item"]), "left", 0.9),
        Column("Measure", lambda r: fmt.text(r["metric"]).replace("_", " "), "left", 1.45),
        Column("Previous", lambda r: fmt_by_metric(str(r["metric"]), r["previous"]), "right", 1),
        Column("Now", lambda r: fmt_by_metric(str(r["metric"]), r["current"]), "right", 1),
        Column("Change", lambda r: fmt_by_metric(str(r["metric"]), r["change"], True), "right", 1),
    ]
    figures.table(
        ax,
        mv,
        cols,
        title="Largest moves since the previous pack",
        empty="no previous pack to compare with",
    )


def _data_quality(ax, pack: Pack) -> None:
    dq = pack.data_quality if pack.data_quality is not None else pd.DataFrame()
    if dq.empty:
        lines = [(style.OK, "All inputs passed the data-quality checks.")]
    else:
        dq = dq.assign(_v=dq["severity"].map(SEVERITY_ORDER).fillna(9)).sort_values("_v")
        lines = [
            (
                style.severity_colour(r["severity"]),
                f"{fmt.text(r['severity'])}  {fmt.text(r['item'])}: {fmt.text(r['detail'])}",
            )
            for _, r in dq.iterrows()
        ]
    n_b = int((dq.get("severity", pd.Series(dtype=str)) == "BREACH").sum())
    n_w = int((dq.get("severity", pd.Series(dtype=str)) == "WARN").sum())
    figures.text_block(ax, f"Data quality: {n_b} BREACH, {n_w} WARN", lines)


RISK_ROWS = (
    ("volatility", "Volatility (ann.)"),
    ("tracking_error", "Tracking error (ann.)"),
    ("max_drawdown", "Max drawdown"),
    ("var_95", "VaR 95 % (1 day)"),
    ("cvar_95", "CVaR 95 % (1 day)"),
    ("sharpe", "Sharpe ratio"),
)


def _risk_table(ax, pack: Pack, compact: bool = False) -> None:
    rm = pack.risk_metrics
    vals = rm.set_index("metric")["value"] if rm is not None and len(rm) else pd.Series()
    rows = [(label, fmt.metric(k, vals.get(k))) for k, label in RISK_ROWS]
    if compact:
        df = pd.DataFrame(rows, columns=["m1", "v1"])
        cols = [
            Column("Measure", lambda r: r["m1"], "left", 1.6),
            Column("Value", lambda r: r["v1"], "right", 0.7),
        ]
        figures.table(ax, df, cols, title="Risk (daily returns, 252 days)", fontsize=5.8)
        return
    half = (len(rows) + 1) // 2
    left, right = rows[:half], rows[half:]
    right += [("", "")] * (half - len(right))
    df = pd.DataFrame(
        [(a[0], a[1], b[0], b[1]) for a, b in zip(left, right, strict=True)],
        columns=["m1", "v1", "m2", "v2"],
    )
    cols = [
        Column("Measure", lambda r: r["m1"], "left", 1.75),
        Column("Value", lambda r: r["v1"], "right", 0.7),
        Column("Measure", lambda r: r["m2"], "left", 1.6),
        Column("Value", lambda r: r["v2"], "right", 0.7),
    ]
    figures.table(ax, df, cols, title="Risk figures (daily returns, 252-day look-back)")


def summary_page(pack: Pack, top_n: int = 12) -> Figure:
    """Page 1: headline, active weights, duration vs benchmark, DV01, exposures, changes."""
    n_hold = int((pack.positions["weight"].abs() > 0).sum()) if len(pack.positions) else 0
    fig = new_page(
        pack,
        1,
        f"{n_hold} holdings incl. cash · weights in % of market value · "
        "durations in years · DV01 in $ per 1 bp · as of the date above",
    )
    _headline(fig, pack)
    labels = group_labels(pack)
    chart_y, chart_h = 0.515, 0.27
    figures.active_weights_chart(
        pack.positions,
        pack.thresholds,
        fig.add_axes((0.065, chart_y, 0.235, chart_h)),
        top_n=top_n,
        as_of=pack.as_of,
    )
    figures.duration_chart(
        pack.duration_history, pack.thresholds, fig.add_axes((0.355, chart_y, 0.30, chart_h))
    )
    krd = pack_frame(pack, "key_rate_dv01")
    if krd.empty:
        figures.dv01_chart(
            pack.positions, fig.add_axes((0.73, chart_y, 0.24, chart_h)), top_n=top_n
        )
    else:
        figures.dv01_chart(
            pack.positions, fig.add_axes((0.73, 0.695, 0.24, 0.09)), top_n=5, as_of=pack.as_of
        )
        figures_perf.key_rate_chart(
            krd, pack.as_of, pack.thresholds, fig.add_axes((0.73, chart_y, 0.24, 0.1))
        )
    sev = alert_severity(pack)
    group_alerts = {t: v for (r, t), v in sev.items() if r == "group_max_weight"}
    figures.exposure_table(
        Panel(fig, (0.03, 0.235, 0.2, 0.19)),
        pack.sector_exposure,
        "group",
        "Exposure by group",
        labels=labels,
        alerting=group_alerts,
    )
    figures.exposure_table(
        Panel(fig, (0.03, 0.045, 0.2, 0.15)),
        pack.rating_exposure,
        "rating_bucket",
        "Exposure by rating",
    )
    _changes_table(Panel(fig, (0.25, 0.2, 0.46, 0.225)), pack)
    _moves_table(Panel(fig, (0.25, 0.045, 0.46, 0.117)), pack)
    perf = pack_frame(pack, "performance")
    if perf.empty:
        _data_quality(Panel(fig, (0.73, 0.2, 0.24, 0.225)), pack)
        _risk_table(Panel(fig, (0.73, 0.045, 0.24, 0.117)), pack, compact=True)
    else:
        _data_quality(Panel(fig, (0.73, 0.235, 0.24, 0.19)), pack)
        figures_perf.returns_table(Panel(fig, (0.73, 0.045, 0.24, 0.15)), perf, pack.as_of)
    return fig


# ---------------------------------------------------------------------------------------------
# Page 2
# ---------------------------------------------------------------------------------------------


def open_alerts(pack: Pack) -> pd.DataFrame:
    """Today's alerts with their age: trading days in the current streak (``age_days``).

    Age counts the look-back window's days on which the same rule/ticker alerted from
    ``since`` to the as-of date; ``age_capped`` is True when the streak began before the window.
    """
    a = pack.alerts.copy()
    if a.empty:
        return a.assign(age_days=pd.Series(dtype=float), age_capped=pd.Series(dtype=bool))
    a["ticker"] = a["ticker"].fillna("")
    h = pack.alerts_history
    if "age_days" in a.columns and a["age_days"].notna().all():
        a["age_capped"] = False  # the rules engine counted the whole streak
    elif h is None or h.empty or "since" not in a:
        a["age_days"] = np.nan
        a["age_capped"] = False
    else:
        hh = h.assign(ticker=h["ticker"].fillna(""))[["rule", "ticker", "date"]]
        m = a[["rule", "ticker", "since"]].reset_index().merge(hh, on=["rule", "ticker"])
        m = m[pd.to_datetime(m["date"]) >= pd.to_datetime(m["since"])]
        a["age_days"] = m.groupby("index")["date"].nunique().reindex(a.index)
        start = pd.to_datetime(h["date"]).min()
        a["age_capped"] = pd.to_datetime(a["since"]) < start
    a["_v"] = a["severity"].map(SEVERITY_ORDER).fillna(9)
    return a.sort_values(["_v", "age_days"], ascending=[True, False]).drop(columns="_v")


def _lookback_weeks(pack: Pack) -> int:
    lw = (getattr(pack, "display", None) or {}).get("lookback_weeks")
    if lw:
        return int(lw)
    h = pack.alerts_history
    if h is None or h.empty:
        return 26
    span = (pack.as_of - pd.to_datetime(h["date"]).min()).days
    return max(int(np.ceil(span / 7)), 1)


def weekly_page(pack: Pack, top_n: int = 14) -> Figure:
    """Page 2: alert timeline, alerts open today, rolling risk, performance vs benchmark."""
    lw = _lookback_weeks(pack)
    start = pack.as_of - pd.Timedelta(weeks=lw)
    n_b = int((pack.alerts["severity"] == "BREACH").sum()) if len(pack.alerts) else 0
    n_w = int((pack.alerts["severity"] == "WARN").sum()) if len(pack.alerts) else 0
    fig = new_page(
        pack,
        2,
        f"look-back {lw} weeks: {fmt.date(start + pd.Timedelta(days=1))} to "
        f"{fmt.date(pack.as_of)} · alerts open today: {n_b} BREACH, {n_w} WARN",
    )
    labels = group_labels(pack)
    codes, partial = figures_alerts.alert_timeline(pack.alerts_history, pack.as_of, lw)
    figures_alerts.alert_timeline_chart(
        codes, partial, fig.add_axes((0.2, 0.585, 0.77, 0.27)), max_rows=top_n, labels=labels
    )
    oa = open_alerts(pack)
    sev_colour = lambda r: style.severity_colour(r["severity"])  # noqa: E731
    cols = [
        Column("Alert", lambda r: alert_text(r, labels), "left", 2.0),
        Column("Value", signed_value, "right", 0.8),
        Column("Limit", lambda r: fmt.rule_value(r["rule"], r["limit"]), "right", 0.7),
        Column("Excess", excess_text, "right", 0.75),
        Column("Severity", lambda r: fmt.text(r["severity"]), "center", 0.75, sev_colour),
        Column("Streak", streak_path, "left", 2.45),
        Column("Age", age_text, "right", 0.5),
    ]
    figures.table(
        Panel(fig, (0.03, 0.285, 0.52, 0.22)),
        oa,
        cols,
        fontsize=6.4,
        title=f"Alerts open today ({len(oa)})",
        row_fill=figures.severity_row_fill,
        note="Value: signed measure; Excess: beyond the crossed limit; "
        "Age: trading days in the streak, today included",
        empty="no alerts open today",
    )
    figures_alerts.rolling_risk_chart(pack.rolling_risk, fig.add_axes((0.065, 0.09, 0.25, 0.14)))
    _risk_table(Panel(fig, (0.345, 0.07, 0.205, 0.16)), pack, compact=True)
    attr, daily = pack_frame(pack, "attribution"), pack_frame(pack, "daily_returns")
    if not attr.empty:
        figures_perf.attribution_chart(
            attr, fig.add_axes((0.665, 0.33, 0.305, 0.175)), labels=labels
        )
    else:
        figures_alerts.drivers_chart(
            pack.drivers_rule,
            "rule",
            fig.add_axes((0.73, 0.3, 0.24, 0.2)),
            title="Alert days by rule (look-back)",
        )
    if not daily.empty:
        figures_perf.cumulative_active_chart(
            daily, pack.as_of, fig.add_axes((0.63, 0.09, 0.34, 0.14))
        )
    return fig


def build_pages(pack: Pack) -> list[tuple[str, Figure]]:
    """Return the three pages in order, with the PNG name suffix of each."""
    return [
        ("one_page_summary", summary_page(pack)),
        ("weekly_pack", weekly_page(pack)),
        ("rebalance_pack", rebalance_page(pack)),
    ]
