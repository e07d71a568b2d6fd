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

from fimonitor.report import figures, style
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
    warn_gap, breach_gap = figures._limits(pack.thresholds, "duration_gap")
    gap_colour = style.TEXT
    if breach_gap is not None and abs(gap) > breach_gap:
        gap_colour = style.BREACH
    elif warn_gap is not None and abs(gap) > warn_gap:
        gap_colour = style.WARN
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
            "CASH + cash proxies",
            style.TEXT,
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


def _alert_text(row: pd.Series) -> str:
    who = fmt.text(row.get("ticker")) if fmt.text(row.get("ticker")) != fmt.MISSING else "portfolio"
    return f"{row['rule']} · {who}"


def _changes_table(ax, pack: Pack) -> None:
    ch = pack.changes.copy() if pack.changes is not None else pd.DataFrame()
    if not ch.empty:
        ch["_s"] = ch["status"].map(STATUS_ORDER).fillna(9)
        sev = ch["severity"].where(ch["severity"].notna(), ch.get("previous_severity"))
        ch["_v"] = sev.map(SEVERITY_ORDER).fillna(9)
        ch = ch.sort_values(["_s", "_v", "rule", "ticker"])

    def sev_now(r: pd.Series) -> str:
        prev, now = fmt.text(r.get("previous_severity")), fmt.text(r.get("severity"))
        return f"{prev} → {now}"

    cols = [
        Column("Status", lambda r: fmt.text(r["status"]), "left", 1.05),
        Column("Alert", _alert_text, "left", 2.55),
        Column("Prev → now", sev_now, "left", 1.55),
        Column("Value", lambda r: fmt.rule_value(r["rule"], r.get("value")), "right", 0.8),
        Column("Since", lambda r: fmt.date(r.get("since")), "right", 1.05),
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
        fontsize=6.6,
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


def _risk_table(ax, pack: Pack) -> None:
    rm = pack.risk_metrics
    vals = rm.set_index("metric")["value"] if rm is not None and len(rm) else pd.Series()
    rows = [(label, fmt.metric(k, vals.get(k))) for k, label in RISK_ROWS]
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
    fig = _new_page(
        pack,
        1,
        f"{n_hold} holdings incl. cash · weights in % of market value · "
        "durations in years · DV01 in $ per 1 bp",
    )
    _headline(fig, pack)
    chart_y, chart_h = 0.505, 0.28
    figures.active_weights_chart(
        pack.positions, pack.thresholds, fig.add_axes((0.065, chart_y, 0.245, chart_h)), top_n=top_n
    )
    figures.duration_chart(
        pack.duration_history, pack.thresholds, fig.add_axes((0.365, chart_y, 0.30, chart_h))
    )
    figures.dv01_chart(pack.positions, fig.add_axes((0.73, chart_y, 0.24, chart_h)), top_n=top_n)
    figures.exposure_table(
        fig.add_axes((0.03, 0.225, 0.215, 0.19)), pack.sector_exposure, "group", "Exposure by group"
    )
    figures.exposure_table(
        fig.add_axes((0.03, 0.045, 0.215, 0.142)),
        pack.rating_exposure,
        "rating_bucket",
        "Exposure by rating",
    )
    _changes_table(fig.add_axes((0.265, 0.2, 0.38, 0.215)), pack)
    _moves_table(fig.add_axes((0.265, 0.045, 0.38, 0.117)), pack)
    _data_quality(fig.add_axes((0.665, 0.2, 0.305, 0.215)), pack)
    _risk_table(fig.add_axes((0.665, 0.045, 0.305, 0.117)), pack)
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
    if h is None or h.empty or "since" not in a:
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


def weekly_page(pack: Pack, top_n: int = 10) -> Figure:
    """Page 2: weekly alert days and peaks, alert drivers, alerts open today with their age."""
    h = pack.alerts_history
    if h is not None and len(h):
        d = pd.to_datetime(h["date"])
        window = f"look-back {fmt.date(d.min())} to {fmt.date(d.max())}"
    else:
        window = "no alerts in the look-back window"
    n_b = int((pack.alerts["severity"] == "BREACH").sum()) if len(pack.alerts) else 0
    n_w = int((pack.alerts["severity"] == "WARN").sum()) if len(pack.alerts) else 0
    fig = _new_page(
        pack,
        2,
        f"{window} · {len(pack.weekly)} weeks · alerts open today: {n_b} BREACH, {n_w} WARN",
    )
    figures.weekly_alert_days_chart(pack.weekly, fig.add_axes((0.06, 0.545, 0.42, 0.33)))
    figures.weekly_peak_chart(pack.weekly, fig.add_axes((0.55, 0.545, 0.42, 0.33)))
    figures.drivers_chart(
        pack.drivers_rule,
        "rule",
        fig.add_axes((0.145, 0.09, 0.15, 0.36)),
        top_n=top_n,
        title="Alert drivers: rules",
    )
    n_tick = len(pack.drivers_ticker)
    figures.drivers_chart(
        pack.drivers_ticker,
        "ticker",
        fig.add_axes((0.36, 0.09, 0.18, 0.36)),
        top_n=top_n,
        title=f"Alert drivers: holdings ({min(top_n, n_tick)} of {n_tick})",
    )
    oa = open_alerts(pack)

    def age(r: pd.Series) -> str:
        if not np.isfinite(_num(r.get("age_days"))):
            return fmt.MISSING
        return ("≥ " if bool(r.get("age_capped")) else "") + fmt.count(r["age_days"])

    sev_colour = lambda r: style.severity_colour(r["severity"])  # noqa: E731
    cols = [
        Column("Rule", lambda r: fmt.text(r["rule"]), "left", 2.0),
        Column(
            "Ticker", lambda r: fmt.text(r["ticker"]) if r["ticker"] else "portfolio", "left", 1.1
        ),
        Column("Value", lambda r: fmt.rule_value(r["rule"], r["value"]), "right", 0.8),
        Column("Limit", lambda r: fmt.rule_value(r["rule"], r["limit"]), "right", 0.8),
        Column("Severity", lambda r: fmt.text(r["severity"]), "center", 0.8, sev_colour),
        Column("Open since", lambda r: fmt.date(r.get("since")), "right", 1.0),
        Column("Age", age, "right", 0.6),
    ]
    figures.table(
        fig.add_axes((0.585, 0.06, 0.385, 0.39)),
        oa,
        cols,
        fontsize=6.6,
        title=f"Alerts open today ({len(oa)})",
        row_fill=figures.severity_row_fill,
        note="Age: trading days in the current streak (≥: the streak began before "
        "the look-back window).",
        empty="no alerts open today",
    )
    return fig


# ---------------------------------------------------------------------------------------------
# Page 3
# ---------------------------------------------------------------------------------------------


def _scenario_table(ax, rb) -> None:
    s = rb.summary.copy()
    cols = [
        Column("Scenario", lambda r: fmt.text(r["scenario"]), "left", 1.05),
        Column("Status", lambda r: fmt.text(r.get("status")), "left", 1.15),
        Column("Breach", lambda r: fmt.count(r["n_breach"]), "right", 0.75),
        Column("Warn", lambda r: fmt.count(r["n_warn"]), "right", 0.6),
        Column("Duration", lambda r: fmt.years(r["portfolio_duration"]), "right", 0.95),
        Column("Gap", lambda r: fmt.years(r["duration_gap"], signed=True), "right", 0.85),
        Column("Turnover", lambda r: fmt.pct(r["turnover"]), "right", 0.95),
    ]
    figures.table(
        ax,
        s,
        cols,
        title="Scenarios: alerts, duration and turnover",
        row_fill=lambda r: style.BREACH_FILL if str(r.get("status")) == "infeasible" else "white",
        row_colour=lambda r: style.BREACH if str(r.get("status")) == "infeasible" else style.TEXT,
        fontsize=6.8,
        note="Gap = portfolio − benchmark duration; turnover = Σ|notional| / market value",
    )


def _trades_table(ax, rb, scenario: str, mv: float) -> None:
    o = rb.orders[rb.orders["scenario"] == scenario].copy()
    o = o.reindex(o["notional"].abs().sort_values(ascending=False).index)
    buys = o.loc[o["side"] == "BUY", "notional"].sum()
    sells = o.loc[o["side"] == "SELL", "notional"].sum()
    cols = [
        Column("Ticker", lambda r: fmt.text(r["ticker"]), "left", 0.75),
        Column("Side", lambda r: fmt.text(r["side"]), "left", 0.55),
        Column("Shares", lambda r: fmt.number(r["shares"]), "right", 0.85),
        Column("Price", lambda r: fmt.money(r["price"], 2), "right", 0.8),
        Column("Notional", lambda r: fmt.money(r["notional"]), "right", 1.0),
        Column(
            "% of MV",
            lambda r: fmt.pct(_num(r["notional"]) / mv, 2) if mv else fmt.MISSING,
            "right",
            0.75,
        ),
    ]
    if "reason" in o:
        cols.append(Column("Reason", lambda r: fmt.text(r.get("reason")), "left", 2.0))
    status = rb.summary.set_index("scenario")["status"].get(scenario, "")
    if scenario == "POST_CONS" and str(status) == "infeasible":
        empty = "no trades: POST_CONS is infeasible (see the diagnosis above)"
    else:
        empty = "no trades needed"
    figures.table(
        ax,
        o,
        cols,
        title=f"Trades {scenario}: {len(o)} orders",
        row_colour=lambda r: style.PORTFOLIO if r["side"] == "BUY" else style.NEGATIVE,
        note=(
            f"Buys {fmt.money(buys)} · sells {fmt.money(sells)} · ordered by notional"
            if len(o)
            else ""
        ),
        empty=empty,
    )


def _status_banner(fig: Figure, rb) -> None:
    """Infeasible POST_CONS: a red box with the diagnosis; else the binding constraints."""
    if rb.status == "infeasible":
        fig.add_artist(
            FancyBboxPatch(
                (0.03, 0.842),
                0.94,
                0.062,
                boxstyle="round,pad=0,rounding_size=0.006",
                transform=fig.transFigure,
                facecolor=style.BREACH_FILL,
                edgecolor=style.BREACH,
                lw=1.2,
            )
        )
        fig.text(
            0.04,
            0.889,
            "POST_CONS INFEASIBLE — the constraints cannot all hold",
            fontsize=10,
            fontweight="bold",
            color=style.BREACH,
            va="center",
        )
        diag = fmt.text(rb.diagnosis) if rb.diagnosis else "no diagnosis given"
        import textwrap

        lines = textwrap.wrap(diag, 190)[:2]
        for k, line in enumerate(lines):
            fig.text(0.04, 0.867 - 0.017 * k, line, fontsize=7.5, color=style.TEXT, va="center")


def _binding(ax, rb) -> None:
    b = rb.binding if rb.binding is not None else pd.DataFrame()
    if rb.status == "infeasible":
        lines = [
            (
                style.BREACH,
                "POST_CONS infeasible: no binding constraints to report; "
                "the diagnosis is shown at the top of the page.",
            )
        ]
    elif b.empty:
        lines = [
            (
                style.TEXT,
                "No constraint binds: POST_CONS equals the closest-to-benchmark portfolio.",
            )
        ]
    else:
        lines = [(style.TEXT, f"• {fmt.text(t)}") for t in b["text"]]
    figures.text_block(ax, "Binding constraints in POST_CONS", lines)


def rebalance_page(pack: Pack, top_n: int = 15) -> Figure:
    """Page 3: PRE vs POST_BM vs POST_CONS active weights, scenario table, trades, constraints."""
    rb = pack.rebalance
    mv = _num(pack.summary_value("market_value")) if len(pack.summary) else float("nan")
    subtitle = (
        "POST_BM trades to the benchmark weights; POST_CONS to the closest weights that "
        "satisfy every rebalance constraint · weights in % of market value"
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
    _status_banner(fig, rb)
    top = 0.80 if rb.status == "infeasible" else 0.865
    h = top - 0.535
    figures.scenario_active_chart(
        rb.comparison, pack.thresholds, fig.add_axes((0.06, 0.535, 0.56, h)), top_n=top_n
    )
    _scenario_table(fig.add_axes((0.655, 0.535 + h - 0.115, 0.315, 0.115)), rb)
    _binding(fig.add_axes((0.655, 0.535, 0.315, h - 0.17)), rb)
    _trades_table(fig.add_axes((0.03, 0.05, 0.455, 0.41)), rb, "POST_BM", mv)
    _trades_table(fig.add_axes((0.515, 0.05, 0.455, 0.41)), rb, "POST_CONS", mv)
    return fig


def build_pages(pack: Pack) -> list[tuple[str, Figure]]:
    """Return the three pages in order, with the PNG name suffix of each."""
    return [
        ("one_page_summary", summary_page(pack)),
        ("weekly_pack", weekly_page(pack)),
        ("rebalance_pack", rebalance_page(pack)),
    ]
