"""Charts and tables for the monitoring pack: frames in, matplotlib Axes out.

Every function draws on the Axes it is given (or on a new Figure when ``ax`` is None), sets its
title and axis labels with units, and returns the Axes. Nothing here shows or saves a figure:
:mod:`fimonitor.report.pages` lays the Axes out and :mod:`fimonitor.report.render` writes them.

Crowding rule: a chart with one bar per holding shows the top ``top_n`` items and says so in its
title ("top 12 of 50"), so labels never overlap however large the book is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from fimonitor.report import format as fmt
from fimonitor.report import style
from fimonitor.severity import classify

Thresholds = dict


def _axes(ax: Axes | None, size: tuple[float, float] = (6.0, 3.5)) -> Axes:
    if ax is not None:
        return ax
    fig = Figure(figsize=size, layout="constrained")  # no pyplot: nothing global, no leaks
    return fig.add_subplot()


def _limits(thresholds: Thresholds | None, rule: str) -> tuple[float | None, float | None]:
    """(warn, breach) for ``rule``; (None, None) when the rule is absent."""
    if not thresholds:
        return None, None
    lim = thresholds.get(rule)
    if lim is None:
        return None, None
    if isinstance(lim, dict):
        return lim.get("warn"), lim.get("breach")
    warn, breach = lim
    return warn, breach


def _severity(values: pd.Series, warn: float | None, breach: float | None) -> pd.Series:
    """WARN/BREACH/'' for the absolute value of a max-type measure (the rules' classifier)."""
    code, _ = classify(values.abs().to_numpy(dtype=float), warn, breach, "max")
    names = np.array(["", "WARN", "BREACH"], dtype=object)
    return pd.Series(names[code], index=values.index, dtype=object)


def _bar_colours(sev: pd.Series, base: str = style.PORTFOLIO) -> list[str]:
    return [{"BREACH": style.BREACH, "WARN": style.WARN}.get(s, base) for s in sev]


def _shown(n_shown: int, n_total: int, what: str) -> str:
    return f"top {n_shown} of {n_total} {what}" if n_total > n_shown else f"all {n_total} {what}"


def pct_axis(axis, digits: int = 0, signed: bool = False) -> None:
    """Tick labels of a fraction axis in percent (``0.02`` -> ``2 %``)."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: fmt.pct(v, digits, signed=signed)))


# ---------------------------------------------------------------------------------------------
# Page 1 charts
# ---------------------------------------------------------------------------------------------


def active_weights_chart(
    positions: pd.DataFrame,
    thresholds: Thresholds | None = None,
    ax: Axes | None = None,
    top_n: int = 12,
) -> Axes:
    """Signed horizontal bars of the largest |active weight| holdings, with ±warn/±breach lines.

    Parameters
    ----------
    positions : DataFrame with ``ticker, active_weight`` (fractions of market value).
    thresholds : ``pack.thresholds``; ``active_weight`` -> (warn, breach) draws the limits.
    top_n : number of bars; the title states "top N of M".
    """
    ax = _axes(ax)
    aw = positions.set_index("ticker")["active_weight"].astype(float).dropna()
    aw = aw[aw.abs() > 0]
    total = len(aw)
    top = aw.reindex(aw.abs().sort_values(ascending=False).index[:top_n])[::-1]
    warn, breach = _limits(thresholds, "active_weight")
    sev = _severity(top, warn, breach)
    y = np.arange(len(top))
    ax.barh(y, top.values, color=_bar_colours(sev), height=0.7)
    ax.set_yticks(y, top.index)
    ax.axvline(0, color=style.TEXT, lw=0.6)
    limits = []
    for lim, colour, label in ((warn, style.WARN, "warn"), (breach, style.BREACH, "breach")):
        if lim is not None:
            for s in (-1, 1):
                ax.axvline(s * lim, color=colour, lw=0.9, ls="--")
            limits.append(f"±{fmt.pct(lim, 0)} {label}")
    span = max([abs(top).max() if len(top) else 0.01, *(v for v in (warn, breach) if v)]) * 1.15
    ax.set_xlim(-span, span)
    pct_axis(ax.xaxis, 0, signed=True)
    label = "Active weight (% of market value)"
    if limits:
        label += "\ndashed: " + ", ".join(limits)
    ax.set_xlabel(label)
    ax.set_title(f"Active weights — {_shown(len(top), total, 'tickers')}")
    ax.grid(axis="y", visible=False)
    return ax


def duration_chart(
    duration_history: pd.DataFrame,
    thresholds: Thresholds | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Portfolio vs benchmark duration over time with the duration-gap bands shaded.

    The amber band is benchmark ± warn, the red band benchmark ± breach (years), so the
    portfolio line leaving a band is exactly a duration_gap alert.
    """
    ax = _axes(ax)
    dh = duration_history.sort_index()
    idx = pd.DatetimeIndex(dh.index)
    bench = dh["benchmark_duration"].astype(float).to_numpy()
    warn, breach = _limits(thresholds, "duration_gap")
    handles = []
    if breach is not None:
        ax.fill_between(idx, bench - breach, bench + breach, color=style.BREACH_FILL, lw=0)
        handles.append(Patch(color=style.BREACH_FILL, label=f"breach band ±{fmt.years(breach)}"))
    if warn is not None:
        ax.fill_between(idx, bench - warn, bench + warn, color=style.WARN_FILL, lw=0)
        handles.append(Patch(color=style.WARN_FILL, label=f"warn band ±{fmt.years(warn)}"))
    (lb,) = ax.plot(idx, bench, color=style.BENCHMARK, lw=1.2, label="Benchmark")
    (lp,) = ax.plot(
        idx,
        dh["portfolio_duration"].astype(float),
        color=style.PORTFOLIO,
        lw=1.5,
        label="Portfolio",
    )
    ax.set_ylabel("Duration (years)")
    ax.set_xlabel("Date")
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, 2)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %y"))
    ax.yaxis.set_major_locator(MaxNLocator(6))
    ax.set_xlim(idx.min(), idx.max())
    ax.set_title("Duration vs benchmark (years)")
    ax.legend(handles=[lp, lb, *handles], loc="upper left", ncol=2, fontsize=6.5)
    lo = np.nanmin([dh["portfolio_duration"].min(), (bench - (breach or 0)).min()])
    hi = np.nanmax([dh["portfolio_duration"].max(), (bench + (breach or 0)).max()])
    pad = (hi - lo) * 0.08 if hi > lo else 0.5
    ax.set_ylim(lo - pad, hi + pad + (hi - lo) * 0.35)  # head-room for the legend
    return ax


def dv01_chart(positions: pd.DataFrame, ax: Axes | None = None, top_n: int = 12) -> Axes:
    """Horizontal bars of DV01 by holding (currency per 1 bp), largest first."""
    ax = _axes(ax)
    d = positions.set_index("ticker")["dv01"].astype(float).dropna()
    d = d[d.abs() > 0]
    total = len(d)
    top = d.reindex(d.abs().sort_values(ascending=False).index[:top_n])[::-1]
    y = np.arange(len(top))
    ax.barh(y, top.values, color=style.ACCENT, height=0.7)
    ax.set_yticks(y, top.index)
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.money(v)))
    ax.set_xlabel("DV01 ($ per 1 bp)")
    rest = d.drop(top.index).sum()
    title = f"DV01 by holding — {_shown(len(top), total, 'holdings')}"
    ax.set_title(title)
    if total > len(top):
        ax.text(
            0.98,
            0.02,
            f"other {total - len(top)}: {fmt.dv01(rest)}",
            ha="right",
            va="bottom",
            transform=ax.transAxes,
            fontsize=6.5,
            color=style.MUTED,
        )
    ax.grid(axis="y", visible=False)
    return ax


# ---------------------------------------------------------------------------------------------
# Tables and text
# ---------------------------------------------------------------------------------------------


LINE_FACTOR = 1.6  # table row height in multiples of the font size


@dataclass(frozen=True)
class Column:
    """One table column: header, how to turn a row into text, alignment, relative width."""

    header: str
    cell: Callable[[pd.Series], str]
    align: str = "right"
    width: float = 1.0
    colour: Callable[[pd.Series], str] | None = None  # per-cell text colour (else the row's)


def _clip(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[: max(max_chars - 1, 1)] + "…"


def table(
    ax: Axes,
    df: pd.DataFrame,
    columns: Sequence[Column],
    title: str = "",
    max_rows: int | None = None,
    row_fill: Callable[[pd.Series], str] | None = None,
    row_colour: Callable[[pd.Series], str] | None = None,
    note: str = "",
    fontsize: float = style.TABLE_SIZE,
    empty: str = "none",
) -> Axes:
    """Draw ``df`` as a compact text table filling ``ax``.

    Rows beyond ``max_rows`` (default: as many as fit) are left out and the title says
    "top N of M". Cells too long for their column are shortened with an ellipsis, so text
    never spills into a neighbour.
    """
    ax.set_axis_off()
    fig = ax.figure
    bbox = ax.get_position()
    width_in = bbox.width * fig.get_figwidth()
    height_in = bbox.height * fig.get_figheight()
    line_in = fontsize * LINE_FACTOR / 72.0
    fit = max(int(height_in / line_in) - 1 - (1 if note else 0), 1)
    limit = min(fit, max_rows) if max_rows else fit
    n_total = len(df)
    shown = df.iloc[:limit]
    if title:
        suffix = f" (top {len(shown)} of {n_total})" if n_total > len(shown) else ""
        ax.set_title(title + suffix, loc="left")
    widths = np.array([c.width for c in columns], dtype=float)
    widths = widths / widths.sum()
    lefts = np.concatenate([[0.0], np.cumsum(widths)[:-1]])
    char_in = fontsize * 0.6 / 72.0
    max_chars = [max(int(w * width_in / char_in), 3) for w in widths]
    row_h = line_in / height_in
    pad = 0.006

    def x_of(i: int) -> tuple[float, str]:
        a = columns[i].align
        if a == "left":
            return lefts[i] + pad, "left"
        if a == "center":
            return lefts[i] + widths[i] / 2, "center"
        return lefts[i] + widths[i] - pad, "right"

    top = 1.0
    ax.add_patch(
        Rectangle(
            (0, top - row_h),
            1,
            row_h,
            transform=ax.transAxes,
            color=style.HEADER_FILL,
            lw=0,
            clip_on=False,
        )
    )
    for i, c in enumerate(columns):
        x, ha = x_of(i)
        ax.text(
            x,
            top - row_h / 2,
            _clip(c.header, max_chars[i]),
            ha=ha,
            va="center",
            fontsize=fontsize,
            fontweight="bold",
            transform=ax.transAxes,
            color=style.TEXT,
        )
    if shown.empty:
        ax.text(
            pad,
            top - 1.5 * row_h,
            empty,
            ha="left",
            va="center",
            fontsize=fontsize,
            color=style.MUTED,
            transform=ax.transAxes,
            style="italic",
        )
    for r, (_, row) in enumerate(shown.iterrows()):
        yc = top - (r + 1.5) * row_h
        fill = row_fill(row) if row_fill else (style.ROW_FILL if r % 2 else "white")
        if fill and fill != "white":
            ax.add_patch(
                Rectangle(
                    (0, yc - row_h / 2),
                    1,
                    row_h,
                    transform=ax.transAxes,
                    color=fill,
                    lw=0,
                    clip_on=False,
                )
            )
        colour = row_colour(row) if row_colour else style.TEXT
        for i, c in enumerate(columns):
            x, ha = x_of(i)
            ax.text(
                x,
                yc,
                _clip(c.cell(row), max_chars[i]),
                ha=ha,
                va="center",
                fontsize=fontsize,
                transform=ax.transAxes,
                color=c.colour(row) if c.colour else colour,
            )
    if note:
        n_rows = max(len(shown), 1)
        ax.text(
            pad,
            top - (n_rows + 1.6) * row_h,
            note,
            ha="left",
            va="top",
            fontsize=fontsize - 0.5,
            color=style.MUTED,
            transform=ax.transAxes,
        )
    return ax


def severity_row_fill(row: pd.Series) -> str:
    """Row fill for tables that carry a ``severity`` column."""
    return style.severity_fill(row.get("severity", ""))


def _active_colour(row: pd.Series) -> str:
    v = row.get("active_weight")
    # negative as printed: "-0.0 pp" does not exist, so -0.0004 is not purple
    return style.NEGATIVE if v is not None and round(float(v) * 100, 1) < 0 else style.TEXT


def exposure_table(ax: Axes, exposure: pd.DataFrame, key: str, title: str) -> Axes:
    """Portfolio / benchmark / active weight per group or rating bucket (percent)."""
    df = exposure.copy()
    df = df.reindex(df["active_weight"].abs().sort_values(ascending=False).index)
    cols = [
        Column(key.split("_")[0].capitalize(), lambda r: fmt.text(r[key]), "left", 1.2),
        Column("Portf.", lambda r: fmt.pct(r["portfolio_weight"])),
        Column("Bench.", lambda r: fmt.pct(r["benchmark_weight"])),
        Column("Active", lambda r: fmt.pp(r["active_weight"]), colour=_active_colour),
    ]
    return table(ax, df, cols, title=title)


def text_block(
    ax: Axes,
    title: str,
    lines: Sequence[tuple[str, str]],
    fontsize: float = style.TABLE_SIZE,
    wrap: int | None = None,
) -> Axes:
    """Draw a titled list of (colour, text) lines, wrapped to fit the Axes width.

    Lines that do not fit the Axes height are left out and the last line says how many.
    """
    import textwrap

    ax.set_axis_off()
    if title:
        ax.set_title(title, loc="left")
    fig = ax.figure
    pos = ax.get_position()
    height_in = pos.height * fig.get_figheight()
    if wrap is None:
        wrap = max(int(pos.width * fig.get_figwidth() / (fontsize * 0.58 / 72.0)), 20)
    line = fontsize * 1.45 / 72.0 / height_in
    capacity = max(int(1.0 / line), 1)
    wrapped = [
        (c, k, part) for c, txt in lines for k, part in enumerate(textwrap.wrap(txt, wrap) or [""])
    ]
    if len(wrapped) > capacity:
        left_out = len(wrapped) - capacity + 1
        wrapped = [
            *wrapped[: capacity - 1],
            (style.MUTED, 0, f"… {left_out} more line(s) not shown"),
        ]
    y = 1.0 - line / 2
    for colour, k, part in wrapped:
        ax.text(
            0.0 if k == 0 else 0.02,
            y,
            part,
            ha="left",
            va="center",
            fontsize=fontsize,
            color=colour,
            transform=ax.transAxes,
            fontweight="bold" if colour == style.BREACH else "normal",
        )
        y -= line
    return ax


# ---------------------------------------------------------------------------------------------
# Page 2 charts
# ---------------------------------------------------------------------------------------------


def _week_axis(ax: Axes, weeks: pd.DatetimeIndex) -> None:
    step = max(int(np.ceil(len(weeks) / 9)), 1)
    pos = np.arange(len(weeks))
    ax.set_xticks(pos[::step], [w.strftime("%d %b") for w in weeks[::step]])
    ax.set_xlim(-0.7, len(weeks) - 0.3)
    ax.set_xlabel("Week ending (Friday)")


def weekly_alert_days_chart(weekly: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Per week: trading days with >= 1 WARN and with >= 1 BREACH alert (side-by-side bars)."""
    ax = _axes(ax)
    weeks = pd.DatetimeIndex(weekly.index)
    x = np.arange(len(weeks))
    ax.bar(x - 0.2, weekly["warn_days"], width=0.4, color=style.WARN, label="days with WARN")
    ax.bar(x + 0.2, weekly["breach_days"], width=0.4, color=style.BREACH, label="days with BREACH")
    ax.plot(
        x,
        weekly["alert_days"],
        color=style.TEXT,
        lw=0,
        marker="_",
        ms=7,
        label="days with any alert",
    )
    _week_axis(ax, weeks)
    ax.set_ylim(0, 6.2)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Alert days (trading days per week)")
    ax.set_title(f"Weekly alert days — last {len(weeks)} weeks")
    ax.legend(loc="upper left", ncol=3, fontsize=6.5)
    return ax


def weekly_peak_chart(weekly: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Per week: the largest number of alerts open on one day (stacked WARN + BREACH lines)."""
    ax = _axes(ax)
    weeks = pd.DatetimeIndex(weekly.index)
    x = np.arange(len(weeks))
    ax.plot(
        x, weekly["peak_alerts"], color=style.TEXT, lw=1.4, marker="o", ms=2.5, label="all alerts"
    )
    ax.plot(
        x, weekly["peak_breach"], color=style.BREACH, lw=1.2, marker="o", ms=2.5, label="BREACH"
    )
    ax.plot(x, weekly["peak_warn"], color=style.WARN, lw=1.2, marker="o", ms=2.5, label="WARN")
    _week_axis(ax, weeks)
    top = float(np.nanmax(weekly[["peak_alerts"]].to_numpy())) if len(weekly) else 1.0
    ax.set_ylim(0, max(top, 1.0) * 1.3)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Peak daily alerts (count)")
    ax.set_title("Weekly peak of daily alerts")
    ax.legend(loc="upper left", ncol=3, fontsize=6.5)
    return ax


def drivers_chart(
    drivers: pd.DataFrame,
    by: str,
    ax: Axes | None = None,
    top_n: int = 10,
    title: str | None = None,
) -> Axes:
    """Alert days per rule or holding over the look-back window, BREACH vs WARN bars."""
    ax = _axes(ax)
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
    ax.set_title(title or f"Drivers by {by} ({_shown(len(d), total, what)})")
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


# ---------------------------------------------------------------------------------------------
# Page 3 charts
# ---------------------------------------------------------------------------------------------

SCENARIOS = ("PRE", "POST_BM", "POST_CONS")


def scenario_active_chart(
    comparison: pd.DataFrame,
    thresholds: Thresholds | None = None,
    ax: Axes | None = None,
    top_n: int = 15,
) -> Axes:
    """Draw grouped bars of active weight per ticker for PRE, POST_BM and POST_CONS.

    Tickers are the ``top_n`` largest |PRE active weight|; warn/breach limits drawn as lines.
    """
    ax = _axes(ax)
    wide = comparison.pivot_table(
        index="ticker", columns="scenario", values="active_weight", aggfunc="first"
    )
    if "PRE" in wide:
        order = wide["PRE"].abs().sort_values(ascending=False).index
    else:
        order = wide.abs().max(axis=1).sort_values(ascending=False).index
    total = len(order)
    tickers = list(order[:top_n])
    x = np.arange(len(tickers))
    present = [s for s in SCENARIOS if s in wide.columns]
    w = 0.8 / max(len(SCENARIOS), 1)
    for k, s in enumerate(SCENARIOS):
        off = (k - 1) * w
        if s in present:
            ax.bar(
                x + off,
                wide.loc[tickers, s].to_numpy(dtype=float),
                width=w,
                color=style.SCENARIO_COLOURS[s],
                label=s,
            )
        else:
            ax.bar([0], [0], width=0, color=style.SCENARIO_COLOURS[s], label=f"{s} (infeasible)")
    warn, breach = _limits(thresholds, "active_weight")
    for lim, colour in ((warn, style.WARN), (breach, style.BREACH)):
        if lim is not None:
            for sgn in (-1, 1):
                ax.axhline(sgn * lim, color=colour, lw=0.8, ls="--")
    ax.axhline(0, color=style.TEXT, lw=0.6)
    ax.set_xticks(x, tickers, rotation=0 if len(tickers) <= 16 else 45)
    pct_axis(ax.yaxis, 0, signed=True)
    ax.set_ylabel("Active weight (% of market value)")
    ax.set_xlabel("Ticker (largest |active weight| before rebalancing first)")
    ax.set_title(
        "Active weights before and after rebalancing — " + _shown(len(tickers), total, "tickers")
    )
    ax.grid(axis="x", visible=False)
    ax.legend(
        loc="upper right",
        ncol=3,
        fontsize=6.5,
        frameon=True,
        facecolor="white",
        edgecolor="#CCCCCC",
        framealpha=0.95,
    )
    return ax
