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
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator

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


def exact_digits(values: Sequence[float], least: int = 0, most: int = 4) -> int:
    """Fewest decimals (>= ``least``) that print every value exactly (``2.5`` -> 1)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    for d in range(least, most + 1):
        if np.all(np.abs(np.round(v, d) - v) <= 1e-9 * np.maximum(1.0, np.abs(v))):
            return d
    return most


class PctFormatter(Formatter):
    """Percent tick labels of a fraction axis showing each tick's real value.

    All ticks of the axis share the fewest decimals that print every one of them exactly:
    ticks at ±2.5 % and ±5 % print ``-2.5 %``, ``+5.0 %`` (never "±2 %").
    """

    def __init__(self, signed: bool = False, least: int = 0) -> None:
        self.signed, self.least = signed, least
        self._digits: int | None = None

    def format_ticks(self, values):  # noqa: D102 (matplotlib API)
        self._digits = exact_digits(np.asarray(values, dtype=float) * 100.0, self.least)
        try:
            return [self(v, i) for i, v in enumerate(values)]
        finally:
            self._digits = None

    def __call__(self, x, pos=None):  # noqa: D102 (matplotlib API)
        d = self._digits
        if d is None:
            d = exact_digits([x * 100.0], self.least)
        return fmt.pct(x, d, signed=self.signed)


def pct_axis(axis, digits: int = 0, signed: bool = False) -> None:
    """Tick labels of a fraction axis in percent, each tick's real value (``0.025`` -> 2.5 %).

    ``digits`` is the least number of decimals; more are used when a tick needs them.
    """
    axis.set_major_formatter(PctFormatter(signed=signed, least=digits))


def money_axis(axis) -> None:
    """Tick labels of a currency axis, each tick's real value (decimals only when needed)."""

    def f(v, _):
        return fmt.money(v, exact_digits([v], 0, 2))

    axis.set_major_formatter(FuncFormatter(f))


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
            limits.append(f"±{fmt.pct(lim, exact_digits([lim * 100]))} {label}")
    span = max([abs(top).max() if len(top) else 0.01, *(v for v in (warn, breach) if v)]) * 1.15
    ax.set_xlim(-span, span)
    ax.xaxis.set_major_locator(MaxNLocator(5, symmetric=True))
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
    port = dh["portfolio_duration"].astype(float).to_numpy()
    warn, breach = _limits(thresholds, "duration_gap")
    outer = max(v for v in (warn, breach, 0.0) if v is not None)
    lo = np.nanmin([np.nanmin(port), np.nanmin(bench - outer)])
    hi = np.nanmax([np.nanmax(port), np.nanmax(bench + outer)])
    pad = (hi - lo) * 0.08 if hi > lo else 0.5
    y0, y1 = lo - pad, hi + pad + (hi - lo) * 0.35  # head-room for the legend
    handles = []
    # zones by |gap|: none (no fill) <= warn < WARN (amber) <= breach < BREACH (red)
    zones = []
    if warn is not None:
        top = bench + breach if breach is not None else np.full_like(bench, y1)
        bottom = bench - breach if breach is not None else np.full_like(bench, y0)
        zones.append(("WARN", bench + warn, top, style.WARN_FILL, f"WARN zone |gap| > {warn:g} y"))
        zones.append(("WARN", bottom, bench - warn, style.WARN_FILL, None))
    if breach is not None:
        zones.append(
            ("BREACH", bench + breach, np.full_like(bench, y1), style.BREACH_FILL,
             f"BREACH zone |gap| > {breach:g} y")
        )
        zones.append(("BREACH", np.full_like(bench, y0), bench - breach, style.BREACH_FILL, None))
    for sev, a, b, colour, label in zones:
        ax.fill_between(idx, a, b, color=colour, lw=0, gid=f"zone:{sev}")
        if label:
            handles.append(Patch(color=colour, label=label))
    (lb,) = ax.plot(idx, bench, color=style.BENCHMARK, lw=1.2, label="Benchmark")
    (lp,) = ax.plot(idx, port, color=style.PORTFOLIO, lw=1.5, label="Portfolio")
    ax.set_ylabel("Duration (years)")
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, 2)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %y"))
    ax.yaxis.set_major_locator(MaxNLocator(6))
    if len(idx):
        ax.set_xlim(idx.min(), idx.max())
        ax.set_xlabel(f"Date (daily to {fmt.date(idx.max())}; white: within ±{warn or 0:g} y)")
    ax.set_title("Duration vs benchmark (years)")
    ax.legend(handles=[lp, lb, *handles], loc="upper left", ncol=2, fontsize=6.2)
    ax.set_ylim(y0, y1)
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
    money_axis(ax.xaxis)
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


def exposure_table(
    ax: Axes,
    exposure: pd.DataFrame,
    key: str,
    title: str,
    labels: dict | None = None,
    alerting: dict | None = None,
) -> Axes:
    """Portfolio / benchmark / active weight per group or rating bucket (percent).

    Groups are printed with their display labels (:func:`fimonitor.report.format.group_label`)
    and ordered by |active weight|; rating buckets follow the rating scale (AAA … D, NR, cash).
    ``alerting`` maps a group code to the severity of its alert today: that row is filled
    with the severity colour.
    """
    df = exposure.copy()
    alerting = alerting or {}
    if key == "rating_bucket":
        df = df.iloc[np.argsort(df[key].map(fmt.rating_rank).to_numpy(), kind="stable")]
        name = lambda r: fmt.text(r[key])  # noqa: E731
    else:
        df = df.reindex(df["active_weight"].abs().sort_values(ascending=False).index)
        name = lambda r: fmt.group_label(r[key], labels)  # noqa: E731
    cols = [
        Column(key.split("_")[0].capitalize(), name, "left", 1.2),
        Column("Portf.", lambda r: fmt.pct(r["portfolio_weight"])),
        Column("Bench.", lambda r: fmt.pct(r["benchmark_weight"])),
        Column("Active", lambda r: fmt.pp(r["active_weight"]), colour=_active_colour),
    ]
    fill = None
    if alerting:
        fill = lambda r: style.severity_fill(alerting.get(str(r[key]), ""))  # noqa: E731
    return table(ax, df, cols, title=title, row_fill=fill)


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

    ax = _axes(ax)
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
    shown_txt = _shown(n, total, "rule/holding pairs that alerted")
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
        ax.text(0.5, 0.5, "no alerts in the look-back window", ha="center", va="center",
                transform=ax.transAxes, color=style.MUTED)
    return ax


def rolling_risk_chart(rolling: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Rolling 60-day annualised volatility and tracking error (percent) over time."""
    ax = _axes(ax)
    r = rolling.copy()
    if "date" in r.columns:
        r = r.set_index("date")
    r.index = pd.DatetimeIndex(r.index)
    r = r.dropna(how="all")
    if r.empty:
        ax.text(0.5, 0.5, "not enough history for 60-day risk", ha="center", va="center",
                transform=ax.transAxes, color=style.MUTED)
        ax.set_title("Rolling 60-day volatility and tracking error")
        ax.set_xlabel("Date")
        return ax
    last = r.iloc[-1]
    ax.plot(r.index, r["volatility"], color=style.PORTFOLIO, lw=1.3,
            label=f"Volatility (now {fmt.pct(last['volatility'], 2)})")
    ax.plot(r.index, r["tracking_error"], color=style.ACCENT, lw=1.3,
            label=f"Tracking error (now {fmt.pct(last['tracking_error'], 2)})")
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

SCENARIOS = ("PRE", "POST_MIN", "POST_BM", "POST_CONS")


def scenario_active_chart(
    comparison: pd.DataFrame,
    thresholds: Thresholds | None = None,
    ax: Axes | None = None,
    top_n: int = 15,
) -> Axes:
    """Draw grouped bars of active weight per ticker for PRE, POST_MIN, POST_BM and POST_CONS.

    Tickers are the ``top_n`` largest |PRE active weight|; warn/breach limits drawn as lines.
    POST_BM is drawn as diamond markers on its value (≈ 0: "at benchmark"), so it stays
    visible where a bar would have zero height.
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
    bars = [s for s in SCENARIOS if s != "POST_BM"]
    w = 0.8 / len(bars)
    for k, s in enumerate(bars):
        off = (k - (len(bars) - 1) / 2) * w
        if s in present:
            ax.bar(
                x + off,
                wide.loc[tickers, s].to_numpy(dtype=float),
                width=w,
                color=style.SCENARIO_COLOURS[s],
                label=s,
                gid=f"bars:{s}",
            )
        else:
            ax.bar([0], [0], width=0, color=style.SCENARIO_COLOURS[s], label=f"{s} (not computed)")
    if "POST_BM" in present:
        ax.plot(
            x,
            wide.loc[tickers, "POST_BM"].to_numpy(dtype=float),
            ls="none",
            marker="D",
            ms=3.5,
            mfc="white",
            mec=style.SCENARIO_COLOURS["POST_BM"],
            mew=1.1,
            label="POST_BM (at benchmark ≈ 0)",
            gid="markers:POST_BM",
            zorder=3,
        )
    warn, breach = _limits(thresholds, "active_weight")
    for lim, colour in ((warn, style.WARN), (breach, style.BREACH)):
        if lim is not None:
            for sgn in (-1, 1):
                ax.axhline(sgn * lim, color=colour, lw=0.8, ls="--")
    ax.axhline(0, color=style.TEXT, lw=0.6)
    ax.set_xticks(x, tickers, rotation=0 if len(tickers) <= 16 else 45)
    pct_axis(ax.yaxis, 0, signed=True)
    ax.set_ylabel("Active weight (% of market value)")
    lims = ", ".join(
        f"±{fmt.pct(v, exact_digits([v * 100]))} {n}"
        for v, n in ((warn, "warn"), (breach, "breach"))
        if v is not None
    )
    ax.set_xlabel(
        "Ticker (largest |active weight| before rebalancing first)"
        + (f" · dashed: {lims}" if lims else "")
    )
    ax.set_title(
        "Active weights before and after rebalancing — " + _shown(len(tickers), total, "tickers")
    )
    ax.grid(axis="x", visible=False)
    ax.legend(
        loc="upper right",
        ncol=2,
        fontsize=6.3,
        frameon=True,
        facecolor="white",
        edgecolor="#CCCCCC",
        framealpha=0.95,
    )
    return ax


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
    ax = _axes(ax)
    a = attribution[attribution["period"] == period].copy() if len(attribution) else attribution
    if a is None or a.empty:
        ax.text(0.5, 0.5, f"no {period} attribution", ha="center", va="center",
                transform=ax.transAxes, color=style.MUTED)
        ax.set_title(f"Attribution by group, {period}")
        return ax
    a = a.reindex(a["total"].abs().sort_values(ascending=True).index)
    y = np.arange(len(a))
    sel = a["selection"].astype(float) + a["interaction"].astype(float)
    ax.barh(y + 0.2, a["allocation"].astype(float), height=0.4, color=style.ACCENT,
            label="allocation", gid="bars:allocation")
    ax.barh(y - 0.2, sel, height=0.4, color=style.PORTFOLIO, label="selection + interaction",
            gid="bars:selection")
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
    ax = _axes(ax)
    d = daily.copy()
    d["date"] = pd.to_datetime(d["date"])
    d = d[d["date"] <= pd.Timestamp(as_of)].tail(days)
    if d.empty:
        ax.text(0.5, 0.5, "no return history", ha="center", va="center",
                transform=ax.transAxes, color=style.MUTED)
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
    ax.set_title(
        f"Cumulative active return to {fmt.date(d['date'].max())}: {fmt.pp(act[-1], 2)}"
    )
    return ax


def key_rate_chart(
    krd: pd.DataFrame,
    as_of: object,
    thresholds: Thresholds | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Active DV01 by key rate (portfolio − benchmark scaled to the portfolio, $ per bp)."""
    ax = _axes(ax)
    act = krd[krd["ticker"] == "ACTIVE"] if len(krd) else krd
    if act is None or act.empty:
        ax.set_title("Active DV01 by key rate")
        ax.text(0.5, 0.5, "no key-rate durations", ha="center", va="center",
                transform=ax.transAxes, color=style.MUTED)
        return ax
    v = act.set_index("tenor")["krd_dv01"].astype(float)
    warn, breach = _limits(thresholds, "key_rate_dv01")
    sev = _severity(v, warn, breach)
    y = np.arange(len(v))[::-1]
    ax.barh(y, v.to_numpy(), color=_bar_colours(sev, style.ACCENT), height=0.6, gid="bars:krd")
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
        Column("Scenario", lambda r: SCENARIO_LABELS.get(str(r["scenario"]),
                                                         fmt.text(r["scenario"])), "left", 1.9),
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
