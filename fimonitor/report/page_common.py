"""What every page of the pack shares: the title band and footer, tiles, alert wording.

Alert text on the pages: the signed measure (:func:`signed_value`), the excess over the crossed
limit (:func:`excess_text`), the streak's severity path (:func:`streak_path`) and its exact age
(:func:`age_text`), group codes with their display labels (:func:`who`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch

from fimonitor.report import format as fmt
from fimonitor.report import style
from fimonitor.report.cells import CellText
from fimonitor.results import Pack

PAGE_TITLES: tuple[str, str, str] = ("One-page summary", "Weekly monitoring pack", "Rebalance pack")
N_PAGES = len(PAGE_TITLES)
STATUS_ORDER = {"new": 0, "persisting": 1, "cured": 2}
SEVERITY_ORDER = {"BREACH": 0, "WARN": 1}


# ---------------------------------------------------------------------------------------------
# Page frame: title band and footer
# ---------------------------------------------------------------------------------------------


def new_page(pack: Pack, page: int, subtitle: str) -> Figure:
    """A blank A4-landscape page with the title band (name, page title, as-of) and footer."""
    fig = Figure(figsize=style.PAGE_SIZE)
    as_of = fmt.date(pack.as_of)
    text = page_text(fig)
    text.add(
        0.03,
        0.962,
        f"{pack.portfolio_name} — {PAGE_TITLES[page - 1]}",
        fontsize=style.TITLE_SIZE,
        fontweight="bold",
        colour=style.PORTFOLIO,
    )
    text.add(
        0.97,
        0.962,
        f"As of {as_of}",
        fontsize=style.TITLE_SIZE - 2,
        fontweight="bold",
        colour=style.TEXT,
        ha="right",
    )
    text.add(0.03, 0.933, subtitle, fontsize=style.SUBTITLE_SIZE, colour=style.MUTED)
    fig.add_artist(Line2D([0.03, 0.97], [0.918, 0.918], color=style.PORTFOLIO, lw=0.8))
    sources = ", ".join(sorted(pack.inputs)) if pack.inputs else "input folder"
    if len(sources) > 110:  # keep clear of the right-hand footer
        sources = f"{len(pack.inputs)} input files"
    fig.add_artist(Line2D([0.03, 0.97], [0.032, 0.032], color="#BBBBBB", lw=0.5))
    text.add(
        0.03,
        0.018,
        f"fimonitor {pack.version} · source: {sources} (sha256 in manifest.json)",
        fontsize=style.FOOTER_SIZE,
        colour=style.MUTED,
    )
    text.add(
        0.97,
        0.018,
        f"{pack.portfolio_name} · as of {as_of} · page {page} of {N_PAGES}",
        fontsize=style.FOOTER_SIZE,
        colour=style.MUTED,
        ha="right",
    )
    return fig


def page_text(fig: Figure) -> CellText:
    """The page's one-line texts (title band, footer, tiles, boxes): one artist per page.

    Each text is placed as ``fig.text(x, y, s, ha=ha, va="center")`` places it (figure
    coordinates); :class:`~fimonitor.report.cells.CellText` draws them all in one call and
    remembers their measures from page to page.
    """
    for artist in fig.artists:
        if isinstance(artist, CellText) and artist.get_gid() == "page_text":
            return artist
    text = CellText(fig.transSubfigure)
    text.set_gid("page_text")
    return fig.add_artist(text)


def metric_value(pack: Pack, name: str) -> object:
    """Value of ``name`` in the pack's ``metric,value`` summary (None when absent)."""
    s = pack.summary.set_index("metric")["value"] if len(pack.summary) else pd.Series()
    return s.get(name)


def num(x: object) -> float:
    """``x`` as a float; NaN when it is not a number."""
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def previous_counts(pack: Pack) -> tuple[float, float]:
    """(n_breach, n_warn) of the previous pack: from the summary, else from alerts_history."""
    b, w = num(metric_value(pack, "n_breach_prev")), num(metric_value(pack, "n_warn_prev"))
    if np.isfinite(b) and np.isfinite(w):
        return b, w
    h = pack.alerts_history
    if pack.previous_as_of is None or h is None or h.empty:
        return float("nan"), float("nan")
    prev = h[pd.to_datetime(h["date"]) == pd.Timestamp(pack.previous_as_of)]
    return float((prev["severity"] == "BREACH").sum()), float((prev["severity"] == "WARN").sum())


def tile(
    fig: Figure,
    rect: tuple[float, float, float, float],
    label: str,
    value: str,
    sub: str = "",
    colour: str = style.TEXT,
) -> None:
    """A headline tile: small label, large value (in ``colour``), small sub-line."""
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
    text = page_text(fig)
    text.add(x + 0.008, y + h - 0.016, label, fontsize=6.8, colour=style.MUTED)
    text.add(x + 0.008, y + h * 0.45, value, fontsize=12.5, fontweight="bold", colour=colour)
    if sub:
        text.add(x + 0.008, y + 0.012, sub, fontsize=6.5, colour=style.MUTED)


def alert_severity(pack: Pack) -> dict[tuple[str, str], str]:
    """(rule, ticker) -> severity of today's alerts (ticker "" for portfolio-level rules)."""
    a = pack.alerts
    if a is None or a.empty:
        return {}
    t = a["ticker"].fillna("").astype(str)
    return dict(zip(zip(a["rule"], t, strict=True), a["severity"], strict=True))


def group_labels(pack: Pack) -> dict:
    """Configured display labels of group codes (``labels: {groups: …}`` in monitor.yaml)."""
    return (getattr(pack, "display", None) or {}).get("group_labels", {}) or {}


def who(row: pd.Series, labels: dict | None = None) -> str:
    """Who an alert is about: the ticker, the group's label, or "portfolio"."""
    t = fmt.text(row.get("ticker"))
    if t == fmt.MISSING:
        return "portfolio"
    return fmt.group_label(t, labels) if row.get("rule") == "group_max_weight" else t


def alert_text(row: pd.Series, labels: dict | None = None) -> str:
    """Return "<rule label> · <who>" for an alert row."""
    return f"{fmt.rule_label(row['rule'])} · {who(row, labels)}"


def signed_value(row: pd.Series) -> str:
    """The alert's measure with its sign (active weight in pp, duration gap in years)."""
    rule = str(row.get("rule"))
    v = row.get("signed_value")
    if not np.isfinite(num(v)):
        v = row.get("value")
    if rule == "active_weight":
        return fmt.pp(v, 2)
    return fmt.rule_value(rule, v, signed=rule in fmt.YEAR_RULES | fmt.DV01_RULES)


def excess_text(row: pd.Series) -> str:
    """How far beyond the crossed limit (pp for weights, years for the duration gap)."""
    ex = num(row.get("excess"))
    if not np.isfinite(ex):
        ex = abs(num(row.get("value")) - num(row.get("limit")))
    rule = str(row.get("rule"))
    if rule in fmt.YEAR_RULES or rule in fmt.DV01_RULES:
        return fmt.rule_value(rule, ex, signed=True)
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
    a = num(row.get("age_days"))
    return fmt.count(a) + " d" if np.isfinite(a) else fmt.MISSING


def pack_frame(pack: Pack, name: str) -> pd.DataFrame:
    """A Pack table that may not exist yet (older packs): empty frame when absent."""
    v = getattr(pack, name, None)
    return v if isinstance(v, pd.DataFrame) else pd.DataFrame()
