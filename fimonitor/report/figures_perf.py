"""Returns, attribution, key-rate DV01 and rate scenarios on the pages (frames in, Axes out).

Drawn only when the pack carries the data (issues 13 and 14).
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator

from fimonitor.report import format as fmt
from fimonitor.report import style
from fimonitor.report.figures import (
    Column,
    Thresholds,
    bar_colours,
    exact_digits,
    max_severity,
    money_axis,
    new_axes,
    pct_axis,
    rule_limits,
    table,
)

# ---------------------------------------------------------------------------------------------
# Performance and rates (issues 13 and 14): drawn only when the pack carries the data
# ---------------------------------------------------------------------------------------------

RETURN_PERIODS = ("MTD", "QTD", "YTD", "1Y")


def returns_table(ax: Axes, performance: pd.DataFrame, as_of: object) -> Axes:
    """Period returns (MTD, QTD, YTD, 1Y): portfolio, benchmark, active (percent)."""
    p = performance.copy() if performance is not None else pd.DataFrame()
    if not p.empty:
        p = p[p["period"].isin(RETURN_PERIODS)]
        p = p.iloc[np.argsort(p["period"].map(RETURN_PERIODS.index).to_numpy(), kind="stable")]

    def active_colour(r: pd.Series) -> str:
        v = fmt._number(r.get("active_return"))
        return style.NEGATIVE if v is not None and round(v * 1e4) < 0 else style.TEXT

    cols = [
        Column("Period", lambda r: fmt.text(r["period"]), "left", 0.6),
        Column("Portfolio", lambda r: fmt.pct(r["portfolio_return"], 2, signed=True)),
        Column("Benchmark", lambda r: fmt.pct(r["benchmark_return"], 2, signed=True)),
        Column("Active", lambda r: fmt.pp(r["active_return"], 2), colour=active_colour),
    ]
    return table(
        ax,
        p,
        cols,
        title=f"Returns to {fmt.date(as_of)} (TWR)",
        note="Active = portfolio − benchmark, arithmetic",
        empty="no return history",
    )


def attribution_chart(
    attribution: pd.DataFrame, ax: Axes | None = None, period: str = "YTD", labels=None
) -> Axes:
    """Brinson–Fachler allocation and selection (+ interaction) by group for one period (pp)."""
    ax = new_axes(ax)
    a = attribution[attribution["period"] == period].copy() if len(attribution) else attribution
    if a is None or a.empty:
        ax.text(
            0.5,
            0.5,
            f"no {period} attribution",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color=style.MUTED,
        )
        ax.set_title(f"Attribution by group, {period}")
        return ax
    a = a.reindex(a["total"].abs().sort_values(ascending=True).index)
    y = np.arange(len(a))
    sel = a["selection"].astype(float) + a["interaction"].astype(float)
    ax.barh(
        y + 0.2,
        a["allocation"].astype(float),
        height=0.4,
        color=style.ACCENT,
        label="allocation",
        gid="bars:allocation",
    )
    ax.barh(
        y - 0.2,
        sel,
        height=0.4,
        color=style.PORTFOLIO,
        label="selection + interaction",
        gid="bars:selection",
    )
    ax.set_yticks(y, [fmt.group_label(g, labels) for g in a["group"]])
    ax.axvline(0, color=style.TEXT, lw=0.6)
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda v, _: f"{fmt.number(v * 1e4, exact_digits([v * 1e4]), True)}")
    )
    ax.set_xlabel("Contribution to active return (bp)")
    total = a["total"].astype(float).sum()
    ax.set_title(f"Attribution by group, {period}: active {fmt.bp(total, 0, signed=True)}")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2, fontsize=6.2)
    return ax


def cumulative_active_chart(
    daily: pd.DataFrame, as_of: object, ax: Axes | None = None, days: int = 252
) -> Axes:
    """Cumulative active return over the last ``days`` trading days (percentage points).

    Cumulative active = Π(1 + r_p) − Π(1 + r_b) from the window's first day (arithmetic
    difference of the compounded returns, as the returns table).
    """
    ax = new_axes(ax)
    d = daily.copy()
    d["date"] = pd.to_datetime(d["date"])
    d = d[d["date"] <= pd.Timestamp(as_of)].tail(days)
    if d.empty:
        ax.text(
            0.5,
            0.5,
            "no return history",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color=style.MUTED,
        )
        ax.set_title("Cumulative active return")
        return ax
    rp = (1 + d["portfolio_return"].astype(float).fillna(0)).cumprod() - 1
    rb = (1 + d["benchmark_return"].astype(float).fillna(0)).cumprod() - 1
    act = (rp - rb).to_numpy()
    ax.plot(d["date"], act, color=style.PORTFOLIO, lw=1.3)
    ax.fill_between(d["date"], act, 0, color=style.ACCENT, alpha=0.15, lw=0)
    ax.axhline(0, color=style.TEXT, lw=0.6)
    pct_axis(ax.yaxis, 1, signed=True)
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, 3)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.set_xlim(d["date"].min(), d["date"].max())
    ax.set_ylabel("pp")
    ax.set_xlabel(f"Date (from {fmt.date(d['date'].min())}; Π(1+r_p) − Π(1+r_b))")
    ax.set_title(f"Cumulative active return to {fmt.date(d['date'].max())}: {fmt.pp(act[-1], 2)}")
    return ax


def key_rate_chart(
    krd: pd.DataFrame,
    as_of: object,
    thresholds: Thresholds | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Active DV01 by key rate (portfolio − benchmark scaled to the portfolio, $ per bp)."""
    ax = new_axes(ax)
    act = krd[krd["ticker"] == "ACTIVE"] if len(krd) else krd
    if act is None or act.empty:
        ax.set_title("Active DV01 by key rate")
        ax.text(
            0.5,
            0.5,
            "no key-rate durations",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color=style.MUTED,
        )
        return ax
    v = act.set_index("tenor")["krd_dv01"].astype(float)
    warn, breach = rule_limits(thresholds, "key_rate_dv01")
    sev = max_severity(v, warn, breach)
    y = np.arange(len(v))[::-1]
    ax.barh(y, v.to_numpy(), color=bar_colours(sev, style.ACCENT), height=0.6, gid="bars:krd")
    ax.set_yticks(y, list(v.index))
    ax.axvline(0, color=style.TEXT, lw=0.6)
    for lim, colour in ((warn, style.WARN), (breach, style.BREACH)):
        if lim is not None:
            for sgn in (-1, 1):
                ax.axvline(sgn * lim, color=colour, lw=0.8, ls="--")
    span = max(float(v.abs().max()), *(x for x in (warn, breach) if x), 1.0) * 1.2
    ax.set_xlim(-span, span)
    ax.xaxis.set_major_locator(MaxNLocator(4, symmetric=True))
    money_axis(ax.xaxis)
    ax.set_xlabel("Active DV01 ($ per 1 bp at the key rate)")
    ax.set_title(f"Active DV01 by key rate, {fmt.date(as_of)}")
    ax.grid(axis="y", visible=False)
    return ax


SCENARIO_LABELS = {
    "parallel_up_100": "Parallel +100 bp",
    "parallel_down_100": "Parallel −100 bp",
    "steepener": "Steepener 2y −50 / 30y +50",
    "flattener": "Flattener 2y +50 / 30y −50",
}


def rate_scenario_table(ax: Axes, scenarios: pd.DataFrame, as_of: object) -> Axes:
    """P&L of portfolio, scaled benchmark and active under the rate scenarios (currency)."""
    s = scenarios if scenarios is not None else pd.DataFrame()
    cols = [
        Column(
            "Scenario",
            lambda r: SCENARIO_LABELS.get(str(r["scenario"]), fmt.text(r["scenario"])),
            "left",
            1.9,
        ),
        Column("Portfolio", lambda r: fmt.money(r["portfolio_pnl"], signed=True)),
        Column("Benchmark", lambda r: fmt.money(r["benchmark_pnl"], signed=True)),
        Column("Active", lambda r: fmt.money(r["active_pnl"], signed=True)),
    ]
    return table(
        ax,
        s,
        cols,
        title=f"Rate scenarios, P&L today ({fmt.date(as_of)})",
        note="Key-rate durations + convexity; benchmark scaled to the portfolio's value",
        empty="no key-rate durations: scenarios not computed",
    )
