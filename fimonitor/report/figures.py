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
from fimonitor.report.cells import CellText
from fimonitor.report.panel import Panel
from fimonitor.severity import classify

Thresholds = dict

# Scenario order in every rebalance table and chart (PRE first, the least trade next).
SCENARIOS = ("PRE", "POST_MIN", "POST_BM", "POST_CONS")


def new_axes(ax: Axes | None, size: tuple[float, float] = (6.0, 3.5)) -> Axes:
    """``ax``, or the Axes of a new stand-alone Figure when ``ax`` is None."""
    if ax is not None:
        return ax
    fig = Figure(figsize=size, layout="constrained")  # no pyplot: nothing global, no leaks
    return fig.add_subplot()


def rule_limits(thresholds: Thresholds | None, rule: str) -> tuple[float | None, float | None]:
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


def max_severity(values: pd.Series, warn: float | None, breach: float | None) -> pd.Series:
    """WARN/BREACH/'' for the absolute value of a max-type measure (the rules' classifier)."""
    code, _ = classify(values.abs().to_numpy(dtype=float), warn, breach, "max")
    names = np.array(["", "WARN", "BREACH"], dtype=object)
    return pd.Series(names[code], index=values.index, dtype=object)


def bar_colours(sev: pd.Series, base: str = style.PORTFOLIO) -> list[str]:
    """Bar colours: BREACH red, WARN amber, else ``base``."""
    return [{"BREACH": style.BREACH, "WARN": style.WARN}.get(s, base) for s in sev]


def shown_text(n_shown: int, n_total: int, what: str) -> str:
    """Return 'top N of M <what>' when items were left out, else 'all M <what>'."""
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
    as_of: object = None,
) -> Axes:
    """Signed horizontal bars of the largest |active weight| holdings, with ±warn/±breach lines.

    Parameters
    ----------
    positions : DataFrame with ``ticker, active_weight`` (fractions of market value).
    thresholds : ``pack.thresholds``; ``active_weight`` -> (warn, breach) draws the limits.
    top_n : number of bars; the title states "top N of M".
    """
    ax = new_axes(ax)
    aw = positions.set_index("ticker")["active_weight"].astype(float).dropna()
    aw = aw[aw.abs() > 0]
    total = len(aw)
    top = aw.reindex(aw.abs().sort_values(ascending=False).index[:top_n])[::-1]
    warn, breach = rule_limits(thresholds, "active_weight")
    sev = max_severity(top, warn, breach)
    y = np.arange(len(top))
    ax.barh(y, top.values, color=bar_colours(sev), height=0.7)
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
    label = "Active weight (% of market value)" + (
        f" at {fmt.date(as_of)}" if as_of is not None else ""
    )
    if limits:
        label += "\ndashed: " + ", ".join(limits)
    ax.set_xlabel(label)
    ax.set_title(f"Active weights — {shown_text(len(top), total, 'tickers')}")
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
    ax = new_axes(ax)
    dh = duration_history.sort_index()
    idx = pd.DatetimeIndex(dh.index)
    bench = dh["benchmark_duration"].astype(float).to_numpy()
    port = dh["portfolio_duration"].astype(float).to_numpy()
    warn, breach = rule_limits(thresholds, "duration_gap")
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
            (
                "BREACH",
                bench + breach,
                np.full_like(bench, y1),
                style.BREACH_FILL,
                f"BREACH zone |gap| > {breach:g} y",
            )
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


def dv01_chart(
    positions: pd.DataFrame, ax: Axes | None = None, top_n: int = 12, as_of: object = None
) -> Axes:
    """Horizontal bars of DV01 by holding (currency per 1 bp), largest first."""
    ax = new_axes(ax)
    d = positions.set_index("ticker")["dv01"].astype(float).dropna()
    d = d[d.abs() > 0]
    total = len(d)
    top = d.reindex(d.abs().sort_values(ascending=False).index[:top_n])[::-1]
    y = np.arange(len(top))
    ax.barh(y, top.values, color=style.ACCENT, height=0.7)
    ax.set_yticks(y, top.index)
    ax.xaxis.set_major_locator(MaxNLocator(4))
    money_axis(ax.xaxis)
    ax.set_xlabel("DV01 ($ per 1 bp)" + (f" at {fmt.date(as_of)}" if as_of is not None else ""))
    rest = d.drop(top.index).sum()
    title = f"DV01 by holding — {shown_text(len(top), total, 'holdings')}"
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


def text_panel(ax: Axes | Panel) -> Axes | Panel:
    """Turn ``ax`` into a bare panel for a table or text: no frame, ticks or grid.

    The x and y axes are hidden as well as switched off: matplotlib otherwise still builds
    (and measures) the default ticks and labels of both axes to place the title, although
    none of them is drawn. A :class:`~fimonitor.report.panel.Panel` (what the pages use: no
    Axes at all) is returned as it is.
    """
    if isinstance(ax, Panel):
        return ax
    ax.set_axis_off()
    ax.xaxis.set_visible(False)
    ax.yaxis.set_visible(False)
    return ax


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
    ax: Axes | Panel,
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
    text_panel(ax)
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
    # every cell in one artist (cells.py): one draw call per table, not one Text per cell
    cells = ax.add_artist(CellText(ax.transAxes))
    for i, c in enumerate(columns):
        x, ha = x_of(i)
        cells.add(
            x,
            top - row_h / 2,
            _clip(c.header, max_chars[i]),
            ha=ha,
            colour=style.TEXT,
            fontsize=fontsize,
            fontweight="bold",
        )
    if shown.empty:
        cells.add(
            pad,
            top - 1.5 * row_h,
            empty,
            colour=style.MUTED,
            fontsize=fontsize,
            fontstyle="italic",
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
            cells.add(
                x,
                yc,
                _clip(c.cell(row), max_chars[i]),
                ha=ha,
                colour=c.colour(row) if c.colour else colour,
                fontsize=fontsize,
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
    ax: Axes | Panel,
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
    ax: Axes | Panel,
    title: str,
    lines: Sequence[tuple[str, str]],
    fontsize: float = style.TABLE_SIZE,
    wrap: int | None = None,
) -> Axes:
    """Draw a titled list of (colour, text) lines, wrapped to fit the Axes width.

    Lines that do not fit the Axes height are left out and the last line says how many.
    """
    import textwrap

    text_panel(ax)
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
    cells = ax.add_artist(CellText(ax.transAxes))
    for colour, k, part in wrapped:
        cells.add(
            0.0 if k == 0 else 0.02,
            y,
            part,
            colour=colour,
            fontsize=fontsize,
            fontweight="bold" if colour == style.BREACH else "normal",
        )
        y -= line
    return ax
