"""Page 2 charts: the alert timeline, rolling risk and alert drivers (frames in, Axes out)."""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from fimonitor.report import format as fmt
from fimonitor.report import style
from fimonitor.report.figures import (
    new_axes,
    pct_axis,
    shown_text,
)

# ---------------------------------------------------------------------------------------------
# Page 2 charts
# ---------------------------------------------------------------------------------------------


def alert_timeline(
    history: pd.DataFrame, as_of: object, lookback_weeks: int
) -> tuple[pd.DataFrame, pd.Series]:
    """Worst severity per (rule, holding) and week over the look-back window.

    Parameters
    ----------
    history : DataFrame
        Alerts with ``date, rule, ticker, severity`` (every evaluated date of the window).
    as_of : date-like
        Last date of the window.
    lookback_weeks : int
        Window length: dates after ``as_of − lookback_weeks`` weeks, as the alerts history.

    Returns
    -------
    codes : DataFrame
        Index ``(rule, ticker)`` of every pair that alerted in the window (ticker "" for
        portfolio-level rules), columns the week-ending Fridays (``W-FRI``) of the window,
        values 0 (no alert that week), 1 (worst WARN) or 2 (worst BREACH). Rows sorted by worst
        severity, then weeks in alert, then rule and ticker.
    partial : Series
        Week -> True when the window covers only part of that Monday–Friday week (the first
        and the last week when the window does not start on a Monday or end on a Friday).
    """
    end = pd.Timestamp(as_of).normalize()
    start = end - pd.Timedelta(weeks=lookback_weeks)  # window: dates > start
    weeks = pd.date_range(start + pd.Timedelta(days=1), end, freq="W-FRI")
    last = (end + pd.offsets.Week(weekday=4)) if end.weekday() != 4 else end
    if len(weeks) == 0 or weeks[-1] < last:
        weeks = weeks.append(pd.DatetimeIndex([last]))
    first_day = start + pd.Timedelta(days=1)
    mondays = weeks - pd.Timedelta(days=4)
    partial = pd.Series((mondays < first_day) | (weeks > end), index=weeks)
    h = history if history is not None else pd.DataFrame()
    if h.empty:
        return pd.DataFrame(columns=weeks, dtype=int), partial
    h = h.assign(
        ticker=h["ticker"].fillna("").astype(str),
        week=pd.to_datetime(h["date"]).dt.to_period("W-FRI").dt.end_time.dt.normalize(),
        code=h["severity"].map({"WARN": 1, "BREACH": 2}).fillna(0).astype(int),
    )
    h = h[(pd.to_datetime(h["date"]) > start) & (pd.to_datetime(h["date"]) <= end)]
    codes = h.pivot_table(index=["rule", "ticker"], columns="week", values="code", aggfunc="max")
    codes = codes.reindex(columns=weeks).fillna(0).astype(int)
    order = pd.DataFrame(
        {
            "worst": codes.max(axis=1),
            "breach_weeks": (codes == 2).sum(axis=1),
            "weeks": (codes > 0).sum(axis=1),
        }
    )
    order = order.reset_index().sort_values(
        ["worst", "breach_weeks", "weeks", "rule", "ticker"],
        ascending=[False, False, False, True, True],
        kind="stable",
    )
    codes = codes.loc[list(zip(order["rule"], order["ticker"], strict=True))]
    codes.columns.name = "week_ending"
    return codes, partial


TIMELINE_COLOURS = ("#F3F5F7", style.WARN, style.BREACH)  # none, WARN, BREACH


def alert_timeline_chart(
    codes: pd.DataFrame,
    partial: pd.Series,
    ax: Axes | None = None,
    max_rows: int = 14,
    labels: dict | None = None,
) -> Axes:
    """Rows (rule, holding) × weeks, cell colour = worst severity that week.

    Partial weeks (the window covers only part of them) carry a ``*`` on their date label.
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap

    ax = new_axes(ax)
    weeks = pd.DatetimeIndex(partial.index)
    total = len(codes)
    shown = codes.iloc[:max_rows]
    n = len(shown)
    cmap = ListedColormap(list(TIMELINE_COLOURS))
    norm = BoundaryNorm([-0.5, 0.5, 1.5, 2.5], cmap.N)
    grid = shown.to_numpy(dtype=float) if n else np.zeros((0, len(weeks)))
    ax.pcolormesh(
        np.arange(len(weeks) + 1) - 0.5,
        np.arange(n + 1) - 0.5,
        grid,
        cmap=cmap,
        norm=norm,
        edgecolors="white",
        linewidth=0.8,
        gid="timeline",
    )
    ax.set_ylim(max(n, 1) - 0.5, -0.5)
    ax.set_xlim(-0.5, len(weeks) - 0.5)

    def row_label(rule: str, ticker: str) -> str:
        who = ticker if rule != "group_max_weight" else fmt.group_label(ticker, labels)
        return f"{fmt.rule_label(rule)} · {who or 'portfolio'}"

    ax.set_yticks(np.arange(n), [row_label(r, t) for r, t in shown.index])
    step = max(int(np.ceil(len(weeks) / 9)), 1)
    pos = np.arange(len(weeks))
    ticks = sorted(set(pos[::step]) | {len(weeks) - 1}) if len(weeks) else []
    if len(ticks) > 1 and ticks[-1] - ticks[-2] < step:
        ticks.pop(-2)
    ax.set_xticks(
        ticks,
        [weeks[i].strftime("%d %b %Y") + ("*" if partial.iloc[i] else "") for i in ticks],
    )
    ax.grid(False)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(
        "Week ending (Friday) · * partial week: the look-back window covers only part of it"
    )
    shown_txt = shown_text(n, total, "rule/holding pairs that alerted")
    ax.set_title(f"Alert timeline, worst severity per week — {shown_txt}")
    ax.legend(
        handles=[
            Patch(color=TIMELINE_COLOURS[2], label="BREACH"),
            Patch(color=TIMELINE_COLOURS[1], label="WARN"),
            Patch(facecolor=TIMELINE_COLOURS[0], edgecolor="#BBBBBB", label="no alert"),
        ],
        loc="lower right",
        bbox_to_anchor=(1.0, 1.005),
        ncol=3,
        fontsize=6.5,
        borderaxespad=0,
    )
    if n == 0:
        ax.text(
            0.5,
            0.5,
            "no alerts in the look-back window",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color=style.MUTED,
        )
    return ax


def rolling_risk_chart(rolling: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Rolling 60-day annualised volatility and tracking error (percent) over time."""
    ax = new_axes(ax)
    r = rolling.copy()
    if "date" in r.columns:
        r = r.set_index("date")
    r.index = pd.DatetimeIndex(r.index)
    r = r.dropna(how="all")
    if r.empty:
        ax.text(
            0.5,
            0.5,
            "not enough history for 60-day risk",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color=style.MUTED,
        )
        ax.set_title("Rolling 60-day volatility and tracking error")
        ax.set_xlabel("Date")
        return ax
    last = r.iloc[-1]
    ax.plot(
        r.index,
        r["volatility"],
        color=style.PORTFOLIO,
        lw=1.3,
        label=f"Volatility (now {fmt.pct(last['volatility'], 2)})",
    )
    ax.plot(
        r.index,
        r["tracking_error"],
        color=style.ACCENT,
        lw=1.3,
        label=f"Tracking error (now {fmt.pct(last['tracking_error'], 2)})",
    )
    pct_axis(ax.yaxis, 1)
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, 3)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.set_xlim(r.index.min(), r.index.max())
    ax.set_ylabel("% per year")
    ax.set_xlabel("Date (trading days)")
    ax.set_title(f"Rolling 60-day risk (ann.) to {fmt.date(r.index.max())}")
    ax.legend(loc="upper left", ncol=1, fontsize=6.2)
    ax.set_ylim(0, float(np.nanmax(r[["volatility", "tracking_error"]].to_numpy())) * 1.45)
    return ax


def drivers_chart(
    drivers: pd.DataFrame,
    by: str,
    ax: Axes | None = None,
    top_n: int = 10,
    title: str | None = None,
) -> Axes:
    """Alert days per rule or holding over the look-back window, BREACH vs WARN bars."""
    ax = new_axes(ax)
    d = drivers.sort_values("alert_days", ascending=False)
    total = len(d)
    d = d.head(top_n).iloc[::-1]
    y = np.arange(len(d))
    ax.barh(y + 0.2, d["breach_days"], height=0.4, color=style.BREACH, label="BREACH days")
    ax.barh(y - 0.2, d["warn_days"], height=0.4, color=style.WARN, label="WARN days")
    ax.set_yticks(y, [fmt.text(v) for v in d[by]])
    ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax.set_xlabel("Alert days in look-back (trading days)")
    what = "rules" if by == "rule" else "holdings"
    ax.set_title(title or f"Drivers by {by} ({shown_text(len(d), total, what)})")
    ax.grid(axis="y", visible=False)
    if len(d):
        ax.legend(loc="lower right", fontsize=6.5)
    else:
        ax.text(
            0.5,
            0.5,
            "no alerts in the look-back window",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color=style.MUTED,
        )
    return ax
