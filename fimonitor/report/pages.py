"""The three pages of the monitoring pack, each built as one matplotlib Figure.

``summary_page``, ``weekly_page`` and ``rebalance_page`` read a :class:`~fimonitor.results.Pack`
and return a Figure (A4 landscape); nothing is saved here. Layout is in figure fractions
(0 = bottom/left, 1 = top/right) so that every page has the same title band and footer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch

from fimonitor.report import figures, figures_alerts, figures_perf, figures_rebalance, style
from fimonitor.report import format as fmt
from fimonitor.report.figures import Column
from fimonitor.results import Pack

PAGE_TITLES: tuple[str, str, str] = ("One-page summary", "Weekly monitoring pack", "Rebalance pack")
N_PAGES = len(PAGE_TITLES)
STATUS_ORDER = {"new": 0, "persisting": 1, "cured": 2}
SEVERITY_ORDER = {"BREACH": 0, "WARN": 1}


# ---------------------------------------------------------------------------------------------
# Page frame: title band and footer
# ---------------------------------------------------------------------------------------------


def _new_page(pack: Pack, page: int, subtitle: str) -> Figure:
    fig = Figure(figsize=style.PAGE_SIZE)
    as_of = fmt.date(pack.as_of)
    fig.text(
        0.03,
        0.962,
        f"{pack.portfolio_name} — {PAGE_TITLES[page - 1]}",
        fontsize=style.TITLE_SIZE,
        fontweight="bold",
        color=style.PORTFOLIO,
        va="center",
    )
    fig.text(
        0.97,
        0.962,
        f"As of {as_of}",
        fontsize=style.TITLE_SIZE - 2,
        fontweight="bold",
        color=style.TEXT,
        ha="right",
        va="center",
    )
    fig.text(0.03, 0.933, subtitle, fontsize=style.SUBTITLE_SIZE, color=style.MUTED, va="center")
    fig.add_artist(Line2D([0.03, 0.97], [0.918, 0.918], color=style.PORTFOLIO, lw=0.8))
    sources = ", ".join(sorted(pack.inputs)) if pack.inputs else "input folder"
    fig.add_artist(Line2D([0.03, 0.97], [0.032, 0.032], color="#BBBBBB", lw=0.5))
    fig.text(
        0.03,
        0.018,
        f"fimonitor {pack.version} · source: {sources} (sha256 in manifest.json)",
        fontsize=style.FOOTER_SIZE,
        color=style.MUTED,
        va="center",
    )
    fig.text(
        0.97,
        0.018,
        f"{pack.portfolio_name} · as of {as_of} · page {page} of {N_PAGES}",
        fontsize=style.FOOTER_SIZE,
        color=style.MUTED,
        ha="right",
        va="center",
    )
    return fig


def _metric(pack: Pack, name: str) -> object:
    s = pack.summary.set_index("metric")["value"] if len(pack.summary) else pd.Series()
    return s.get(name)


def _num(x: object) -> float:
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def previous_counts(pack: Pack) -> tuple[float, float]:
    """(n_breach, n_warn) of the previous pack: from the summary, else from alerts_history."""
    b, w = _num(_metric(pack, "n_breach_prev")), _num(_metric(pack, "n_warn_prev"))
    if np.isfinite(b) and np.isfinite(w):
        return b, w
    h = pack.alerts_history
    if pack.previous_as_of is None or h is None or h.empty:
        return float("nan"), float("nan")
    prev = h[pd.to_datetime(h["date"]) == pd.Timestamp(pack.previous_as_of)]
    return float((prev["severity"] == "BREACH").sum()), float((prev["severity"] == "WARN").sum())


def _tile(
    fig: Figure,
    rect: tuple[float, float, float, float],
    label: str,
    value: str,
    sub: str = "",
    colour: str = style.TEXT,
) -> None:
    x, y, w, h = rect
    fig.add_artist(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0,rounding_size=0.006",
            transform=fig.transFigure,
            facecolor=style.ROW_FILL,
            edgecolor="#C8D3DE",
            lw=0.6,
        )
    )
    fig.text(x + 0.008, y + h - 0.016, label, fontsize=6.8, color=style.MUTED, va="center")
    fig.text(
        x + 0.008, y + h * 0.45, value, fontsize=12.5, fontweight="bold", color=colour, va="center"
    )
    if sub:
        fig.text(x + 0.008, y + 0.012, sub, fontsize=6.5, color=style.MUTED, va="center")


# ---------------------------------------------------------------------------------------------
# Page 1
# ---------------------------------------------------------------------------------------------


def _headline(fig: Figure, pack: Pack) -> None:
    n_b, n_w = _num(_metric(pack, "n_breach")), _num(_metric(pack, "n_warn"))
    p_b, p_w = previous_counts(pack)
    dp, db = _metric(pack, "portfolio_duration"), _metric(pack, "benchmark_duration")
    gap = _num(_metric(pack, "duration_gap"))
    if not np.isfinite(gap):
        gap = _num(dp) - _num(db)
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
            fmt.money(_metric(pack, "market_value")),
            "portfolio incl. cash",
            style.TEXT,
        ),
        (
            "Cash weight",
            fmt.pct(_metric(pack, "cash_weight"), 2),
            "CASH + cash proxies" + (f" · {cash_sev}" if cash_sev else ""),
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
            fmt.dv01(_metric(pack, "portfolio_dv01")),
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
        _tile(fig, (x, 0.835, w, 0.072), label, value, sub, colour)
        x += w + gap_x


def alert_severity(pack: Pack) -> dict[tuple[str, str], str]:
    """(rule, ticker) -> severity of today's alerts (ticker "" for portfolio-level rules)."""
    a = pack.alerts
    if a is None or a.empty:
        return {}
    t = a["ticker"].fillna("").astype(str)
    return dict(zip(zip(a["rule"], t, strict=True), a["severity"], strict=True))


def _labels(pack: Pack) -> dict:
    return (getattr(pack, "display", None) or {}).get("group_labels", {}) or {}


def _who(row: pd.Series, labels: dict | None = None) -> str:
    t = fmt.text(row.get("ticker"))
    if t == fmt.MISSING:
        return "portfolio"
    return fmt.group_label(t, labels) if row.get("rule") == "group_max_weight" else t


def _alert_text(row: pd.Series, labels: dict | None = None) -> str:
    return f"{fmt.rule_label(row['rule'])} · {_who(row, labels)}"


def signed_value(row: pd.Series) -> str:
    """The alert's measure with its sign (active weight in pp, duration gap in years)."""
    rule = str(row.get("rule"))
    v = row.get("signed_value")
    if not np.isfinite(_num(v)):
        v = row.get("value")
    if rule == "active_weight":
        return fmt.pp(v, 2)
    return fmt.rule_value(rule, v, signed=rule in fmt.YEAR_RULES)


def excess_text(row: pd.Series) -> str:
    """How far beyond the crossed limit (pp for weights, years for the duration gap)."""
    ex = _num(row.get("excess"))
    if not np.isfinite(ex):
        ex = abs(_num(row.get("value")) - _num(row.get("limit")))
    if str(row.get("rule")) in fmt.YEAR_RULES:
        return fmt.years(ex, signed=True)
    return fmt.pp(ex, 2)


def streak_path(row: pd.Series) -> str:
    """The streak's severity path: ``WARN 2026-03-16 → BREACH 2026-03-18`` or one date."""
    since, sev = row.get("since"), fmt.text(row.get("severity"))
    fb, ss = row.get("first_breach"), row.get("severity_since")
    has_fb = fb is not None and not pd.isna(fb)
    if sev == "BREACH":
        if has_fb and pd.Timestamp(fb) > pd.Timestamp(since):
            return f"WARN {fmt.date(since)} → BREACH {fmt.date(fb)}"
        return f"BREACH since {fmt.date(since)}"
    if has_fb:
        return f"BREACH {fmt.date(fb)} → WARN {fmt.date(ss)}"
    return f"WARN since {fmt.date(since)}"


def age_text(row: pd.Series) -> str:
    """Exact age of the streak in trading days (evaluated dates, today included)."""
    a = _num(row.get("age_days"))
    return fmt.count(a) + " d" if np.isfinite(a) else fmt.MISSING


def _changes_table(ax, pack: Pack) -> None:
    ch = pack.changes.copy() if pack.changes is not None else pd.DataFrame()
    labels = _labels(pack)
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
        Column("Alert", lambda r: _alert_text(r, labels), "left", 2.35),
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
            return fmt.money(x, signed=signed) + ("/bp" if _num(x) == _num(x) else "")
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


def _frame(pack: Pack, name: str) -> pd.DataFrame:
    """A Pack table that may not exist yet (older packs): empty frame when absent."""
    v = getattr(pack, name, None)
    return v if isinstance(v, pd.DataFrame) else pd.DataFrame()


def summary_page(pack: Pack, top_n: int = 12) -> Figure:
    """Page 1: headline, active weights, duration vs benchmark, DV01, exposures, changes."""
    n_hold = int((pack.positions["weight"].abs() > 0).sum()) if len(pack.positions) else 0
    fig = _new_page(
        pack,
        1,
        f"{n_hold} holdings incl. cash · weights in % of market value · "
        "durations in years · DV01 in $ per 1 bp · as of the date above",
    )
    _headline(fig, pack)
    labels = _labels(pack)
    chart_y, chart_h = 0.515, 0.27
    figures.active_weights_chart(
        pack.positions, pack.thresholds, fig.add_axes((0.065, chart_y, 0.235, chart_h)), top_n=top_n
    )
    figures.duration_chart(
        pack.duration_history, pack.thresholds, fig.add_axes((0.355, chart_y, 0.30, chart_h))
    )
    krd = _frame(pack, "key_rate_dv01")
    if krd.empty:
        figures.dv01_chart(
            pack.positions, fig.add_axes((0.73, chart_y, 0.24, chart_h)), top_n=top_n
        )
    else:
        figures.dv01_chart(pack.positions, fig.add_axes((0.73, 0.695, 0.24, 0.09)), top_n=5)
        figures_perf.key_rate_chart(
            krd, pack.as_of, pack.thresholds, fig.add_axes((0.73, chart_y, 0.24, 0.1))
        )
    sev = alert_severity(pack)
    group_alerts = {t: v for (r, t), v in sev.items() if r == "group_max_weight"}
    figures.exposure_table(
        fig.add_axes((0.03, 0.235, 0.2, 0.19)),
        pack.sector_exposure,
        "group",
        "Exposure by group",
        labels=labels,
        alerting=group_alerts,
    )
    figures.exposure_table(
        fig.add_axes((0.03, 0.045, 0.2, 0.15)),
        pack.rating_exposure,
        "rating_bucket",
        "Exposure by rating",
    )
    _changes_table(fig.add_axes((0.25, 0.2, 0.46, 0.225)), pack)
    _moves_table(fig.add_axes((0.25, 0.045, 0.46, 0.117)), pack)
    perf = _frame(pack, "performance")
    if perf.empty:
        _data_quality(fig.add_axes((0.73, 0.2, 0.24, 0.225)), pack)
        _risk_table(fig.add_axes((0.73, 0.045, 0.24, 0.117)), pack, compact=True)
    else:
        _data_quality(fig.add_axes((0.73, 0.235, 0.24, 0.19)), pack)
        figures_perf.returns_table(fig.add_axes((0.73, 0.045, 0.24, 0.15)), perf, pack.as_of)
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
    fig = _new_page(
        pack,
        2,
        f"look-back {lw} weeks: {fmt.date(start + pd.Timedelta(days=1))} to "
        f"{fmt.date(pack.as_of)} · alerts open today: {n_b} BREACH, {n_w} WARN",
    )
    labels = _labels(pack)
    codes, partial = figures_alerts.alert_timeline(pack.alerts_history, pack.as_of, lw)
    figures_alerts.alert_timeline_chart(
        codes, partial, fig.add_axes((0.2, 0.585, 0.77, 0.27)), max_rows=top_n, labels=labels
    )
    oa = open_alerts(pack)
    sev_colour = lambda r: style.severity_colour(r["severity"])  # noqa: E731
    cols = [
        Column("Alert", lambda r: _alert_text(r, labels), "left", 2.0),
        Column("Value", signed_value, "right", 0.8),
        Column("Limit", lambda r: fmt.rule_value(r["rule"], r["limit"]), "right", 0.7),
        Column("Excess", excess_text, "right", 0.75),
        Column("Severity", lambda r: fmt.text(r["severity"]), "center", 0.75, sev_colour),
        Column("Streak", streak_path, "left", 2.45),
        Column("Age", age_text, "right", 0.5),
    ]
    figures.table(
        fig.add_axes((0.03, 0.285, 0.52, 0.22)),
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
    _risk_table(fig.add_axes((0.345, 0.07, 0.205, 0.16)), pack, compact=True)
    attr, daily = _frame(pack, "attribution"), _frame(pack, "daily_returns")
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


# ---------------------------------------------------------------------------------------------
# Page 3
# ---------------------------------------------------------------------------------------------


def scenario_alerts(pack: Pack, scenario: str) -> pd.DataFrame:
    """The rules' alerts on a rebalance scenario's weights (the one rule engine and classifier).

    The scenario's weights come from ``rebalance.comparison``; durations, groups and cash-proxy
    flags from today's positions; limits from ``pack.thresholds``.
    """
    from fimonitor.config import RulesConfig, Threshold
    from fimonitor.rules.engine import evaluate_positions

    rb = pack.rebalance
    c = rb.comparison[rb.comparison["scenario"] == scenario] if rb is not None else None
    if c is None or c.empty:
        return pd.DataFrame(columns=["rule", "ticker", "value", "limit", "severity"])
    pos = pack.positions.set_index("ticker")
    frame = pd.DataFrame(
        {
            "ticker": c["ticker"].to_numpy(),
            "weight": c["weight"].to_numpy(dtype=float),
            "benchmark_weight": (c["weight"] - c["active_weight"]).to_numpy(dtype=float),
        }
    )
    for col in ("duration", "group", "is_cash_proxy"):
        frame[col] = pos[col].reindex(frame["ticker"]).to_numpy() if col in pos else np.nan
    frame["is_cash_proxy"] = frame["is_cash_proxy"].fillna(False).astype(bool)
    frame["group"] = frame["group"].fillna("")
    th = pack.thresholds or {}

    def t(key: str, kind: str = "max"):
        v = th.get(key)
        return None if v is None else Threshold(v[0], v[1], kind)

    rules = RulesConfig(
        max_single_name_weight=t("max_single_name_weight"),
        min_cash_weight=t("min_cash_weight", "min"),
        duration_gap=t("duration_gap"),
        active_weight=t("active_weight"),
        group_max_weight={
            g: Threshold(v[0], v[1], "max") for g, v in (th.get("group_max_weight") or {}).items()
        },
    )
    return evaluate_positions(frame, rules, pack.as_of)


def _left_text(pack: Pack, scenario: str, n_breach: float) -> str:
    """'leaves BREACH cash weight 0.40 %' for a scenario that leaves breaches."""
    if not np.isfinite(n_breach) or n_breach <= 0:
        return ""
    a = scenario_alerts(pack, scenario)
    b = a[a["severity"] == "BREACH"]
    if b.empty:
        return f"leaves {int(n_breach)} BREACH"
    labels = _labels(pack)
    parts = [
        f"{fmt.rule_label(r['rule'])} {_who(r, labels)} {signed_value(r)}" for _, r in b.iterrows()
    ]
    return "leaves BREACH " + "; ".join(parts)


def _scenario_table(ax, pack: Pack) -> pd.DataFrame:
    rb = pack.rebalance
    s = rb.summary.copy()
    s["_left"] = [
        _left_text(pack, str(r["scenario"]), _num(r["n_breach"])) for _, r in s.iterrows()
    ]

    def status(r: pd.Series) -> str:
        st = fmt.text(r.get("status"))
        return f"{st}, {fmt.count(r['n_breach'])} BREACH left" if r["_left"] else st

    cols = [
        Column("Scenario", lambda r: fmt.text(r["scenario"]), "left", 1.0),
        Column("Status", status, "left", 1.9),
        Column("Breach", lambda r: fmt.count(r["n_breach"]), "right", 0.65),
        Column("Warn", lambda r: fmt.count(r["n_warn"]), "right", 0.55),
        Column("Gap", lambda r: fmt.years(r["duration_gap"], signed=True), "right", 0.8),
        Column("Turnover", lambda r: fmt.pct(r["turnover"]), "right", 0.85),
    ]

    def colour(r: pd.Series) -> str:
        if str(r.get("status")) == "infeasible" or r["_left"]:
            return style.BREACH
        return style.TEXT

    figures.table(
        ax,
        s,
        cols,
        title="Scenarios: alerts left, duration gap and turnover",
        row_fill=lambda r: style.BREACH_FILL if str(r.get("status")) == "infeasible" else "white",
        row_colour=colour,
        fontsize=6.5,
        note="Gap = portfolio − benchmark duration; turnover = Σ|notional| / market value",
    )
    return s


def _left_block(ax, s: pd.DataFrame) -> None:
    """Name the breaches each scenario leaves (POST_BM's "ok" included)."""
    lines = [(style.BREACH, f"{r['scenario']} {r['_left']}") for _, r in s.iterrows() if r["_left"]]
    if not lines:
        lines = [(style.OK, "No scenario leaves a BREACH.")]
    figures.text_block(ax, "Breaches each scenario leaves", lines, fontsize=6.6)


def _trades_table(ax, rb, scenario: str, mv: float, title: str | None = None) -> None:
    o = rb.orders[rb.orders["scenario"] == scenario].copy()
    o = o.reindex(o["notional"].abs().sort_values(ascending=False).index)
    buys = o.loc[o["side"] == "BUY", "notional"].sum()
    sells = o.loc[o["side"] == "SELL", "notional"].sum()
    wide = scenario == "POST_MIN"
    cols = [
        Column("Ticker", lambda r: fmt.text(r["ticker"]), "left", 0.6),
        Column("Side", lambda r: fmt.text(r["side"]), "left", 0.45),
        Column("Shares", lambda r: fmt.number(r["shares"]), "right", 0.7),
        Column("Price", lambda r: fmt.money(r["price"], 2), "right", 0.7),
        Column("Notional", lambda r: fmt.money(r["notional"]), "right", 0.9),
        Column(
            "% of MV",
            lambda r: fmt.pct(_num(r["notional"]) / mv, 2) if mv else fmt.MISSING,
            "right",
            0.7,
        ),
    ]
    if "reason" in o:
        cols.append(
            Column("Reason", lambda r: fmt.text(r.get("reason")), "left", 3.2 if wide else 2.75)
        )
    status = rb.summary.set_index("scenario")["status"].get(scenario, "")
    if str(status) == "infeasible":
        empty = f"no trades: {scenario} is infeasible (see the diagnosis)"
    else:
        empty = "no trades needed: every rule is within its limits"
    figures.table(
        ax,
        o,
        cols,
        title=title or f"Trades {scenario}: {len(o)} orders",
        row_colour=lambda r: style.PORTFOLIO if r["side"] == "BUY" else style.NEGATIVE,
        note=(
            f"Buys {fmt.money(buys)} · sells {fmt.money(sells)} · ordered by notional"
            if len(o)
            else ""
        ),
        empty=empty,
        fontsize=6.6,
    )


def _today_box(fig: Figure, pack: Pack) -> None:
    """'What to do today': POST_MIN's orders, turnover and cost vs POST_CONS, alerts left."""
    rb = pack.rebalance
    summ = rb.summary.set_index("scenario")
    has_min = "POST_MIN" in summ.index
    st = str(summ["status"].get("POST_MIN", "")) if has_min else ""
    bad = st in ("infeasible", "failed", "inaccurate") or not has_min
    edge = style.BREACH if bad else style.PORTFOLIO
    fig.add_artist(
        FancyBboxPatch(
            (0.03, 0.842),
            0.94,
            0.064,
            boxstyle="round,pad=0,rounding_size=0.006",
            transform=fig.transFigure,
            facecolor=style.BREACH_FILL if bad else style.ROW_FILL,
            edgecolor=edge,
            lw=1.2,
        )
    )
    if not has_min:
        head = "What to do today: no least-trade scenario (POST_MIN) was computed"
        detail = ""
    else:
        r = summ.loc["POST_MIN"]
        n_o = int((rb.orders["scenario"] == "POST_MIN").sum())
        if bad:
            head = f"What to do today: POST_MIN {st.upper()} — the limits cannot all be met"
        else:
            head = (
                f"What to do today (POST_MIN, the least trade that cures): {n_o} orders, "
                f"turnover {fmt.pct(r['turnover'], 2)} → {fmt.count(r['n_breach'])} BREACH, "
                f"{fmt.count(r['n_warn'])} WARN left"
            )
        detail = fmt.text(r.get("diagnosis")) if "diagnosis" in r else ""
        if detail == fmt.MISSING:
            detail = ""
    fig.text(0.04, 0.889, head, fontsize=9.5, fontweight="bold", color=edge, va="center")
    import textwrap

    cons = ""
    if rb.status == "infeasible":
        cons = "POST_CONS INFEASIBLE: " + (fmt.text(rb.diagnosis) if rb.diagnosis else "")
    lines = [*textwrap.wrap(detail, 200)[:1], *textwrap.wrap(cons, 200)[:1]]
    for k, line in enumerate(lines):
        colour = style.BREACH if line.startswith("POST_CONS INF") else style.TEXT
        fig.text(0.04, 0.868 - 0.016 * k, line, fontsize=7.2, color=colour, va="center")


def _binding(ax, rb) -> None:
    b = rb.binding if rb.binding is not None else pd.DataFrame()
    if rb.status == "infeasible":
        lines = [(style.BREACH, f"POST_CONS infeasible: {fmt.text(rb.diagnosis)}")]
    elif b.empty:
        lines = [
            (
                style.TEXT,
                "No constraint binds: POST_CONS equals the closest-to-benchmark portfolio.",
            )
        ]
    else:
        lines = [(style.TEXT, f"• {fmt.text(t)}") for t in b["text"]]
    figures.text_block(ax, "Binding constraints in POST_CONS", lines, fontsize=6.6)


def rebalance_page(pack: Pack, top_n: int = 15) -> Figure:
    """Page 3: what to do today (POST_MIN), scenarios compared, trades, constraints."""
    rb = pack.rebalance
    mv = _num(pack.summary_value("market_value")) if len(pack.summary) else float("nan")
    subtitle = (
        "POST_MIN: least trade inside every limit · POST_BM: to the benchmark · "
        "POST_CONS: closest to the benchmark within the rebalance constraints · weights in % of MV"
    )
    fig = _new_page(pack, 3, subtitle)
    if rb is None:
        fig.text(
            0.5,
            0.5,
            "No rebalance was computed for this pack.",
            ha="center",
            fontsize=12,
            color=style.MUTED,
        )
        return fig
    _today_box(fig, pack)
    figures_rebalance.scenario_active_chart(
        rb.comparison, pack.thresholds, fig.add_axes((0.06, 0.48, 0.5, 0.31)), top_n=top_n
    )
    s = _scenario_table(fig.add_axes((0.6, 0.665, 0.37, 0.125)), pack)
    _left_block(fig.add_axes((0.6, 0.575, 0.37, 0.055)), s)
    _binding(fig.add_axes((0.6, 0.48, 0.37, 0.06)), rb)
    rs = _frame(pack, "rate_scenarios")
    min_bottom = 0.05 if rs.empty else 0.2
    _trades_table(
        fig.add_axes((0.03, min_bottom, 0.5, 0.4 - min_bottom)),
        rb,
        "POST_MIN",
        mv,
        title="What to do today — POST_MIN orders, with the alert each one cures",
    )
    if not rs.empty:
        figures_perf.rate_scenario_table(fig.add_axes((0.03, 0.045, 0.5, 0.115)), rs, pack.as_of)
    _trades_table(fig.add_axes((0.55, 0.05, 0.42, 0.385)), rb, "POST_CONS", mv)
    return fig


def build_pages(pack: Pack) -> list[tuple[str, Figure]]:
    """Return the three pages in order, with the PNG name suffix of each."""
    return [
        ("one_page_summary", summary_page(pack)),
        ("weekly_pack", weekly_page(pack)),
        ("rebalance_pack", rebalance_page(pack)),
    ]
