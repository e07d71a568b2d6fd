"""One visual style for every page of the monitoring pack.

Colours, font sizes and the page geometry live here so that figures and pages never pick
their own. Page size is A4 landscape in inches (297 x 210 mm).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl

PAGE_SIZE: tuple[float, float] = (11.69, 8.27)  # A4 landscape, inches
PNG_DPI: int = 150

# Severity scheme shared by charts, tables and the data-quality list.
WARN = "#E69F00"  # amber
BREACH = "#C0392B"  # red
OK = "#2E7D32"  # green
WARN_FILL = "#FDF0D5"
BREACH_FILL = "#F6D5D1"

PORTFOLIO = "#1F4E79"  # dark blue
BENCHMARK = "#7F7F7F"  # grey
ACCENT = "#4A90C2"  # light blue
POSITIVE = "#1F4E79"
NEGATIVE = "#8E44AD"

# Scenario colours on the rebalance page.
SCENARIO_COLOURS: dict[str, str] = {
    "PRE": "#B0B0B0",
    "POST_MIN": "#2A9D8F",  # teal: the least trade, shown first
    "POST_BM": "#4A90C2",
    "POST_CONS": "#1F4E79",
}

TEXT = "#222222"
MUTED = "#666666"
GRID = "#DDDDDD"
HEADER_FILL = "#E8EEF4"
ROW_FILL = "#F7F9FB"

TITLE_SIZE = 15
SUBTITLE_SIZE = 9
AXES_TITLE_SIZE = 9
LABEL_SIZE = 7.5
TICK_SIZE = 7
TABLE_SIZE = 7
FOOTER_SIZE = 6.5

RC: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": LABEL_SIZE,
    "axes.titlesize": AXES_TITLE_SIZE,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": LABEL_SIZE,
    "axes.labelcolor": TEXT,
    # titles at the top edge + axes.titlepad: matplotlib then skips re-placing each title at
    # every draw (it measures both axes' tick labels to look for decorations above the Axes;
    # the pack has none there, so the titles land where they did, pixel-identical). No
    # offset text ("+6" above a flat axis) either, which the title would have dodged: a flat
    # axis shows its full values
    "axes.titley": 1.0,
    "axes.formatter.useoffset": False,
    "axes.edgecolor": "#999999",
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": GRID,
    "grid.linewidth": 0.5,
    "xtick.labelsize": TICK_SIZE,
    "ytick.labelsize": TICK_SIZE,
    "xtick.color": TEXT,
    "ytick.color": TEXT,
    "legend.fontsize": TICK_SIZE,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    # Type 3 glyph procedures: text stays extractable and searchable (pypdf, PDFium) and the
    # PDF is written ~0.6 s faster than Type 42 (no fontTools subsetting; bench_pack.py)
    "pdf.fonttype": 3,
    "svg.hashsalt": "fimonitor",
    "text.parse_math": False,  # "$" in money text is a dollar sign, never mathtext
}


def severity_colour(severity: str) -> str:
    """Colour for a WARN/BREACH severity (anything else: normal text colour)."""
    return {"BREACH": BREACH, "WARN": WARN}.get(str(severity).upper(), TEXT)


def severity_fill(severity: str) -> str:
    """Light background fill for a WARN/BREACH table row (white otherwise)."""
    return {"BREACH": BREACH_FILL, "WARN": WARN_FILL}.get(str(severity).upper(), "white")


@contextmanager
def pack_style() -> Iterator[None]:
    """Apply the pack style to every figure created inside the block."""
    with mpl.rc_context(RC):
        yield
