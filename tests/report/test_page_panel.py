"""A Panel draws a table or text block exactly where an Axes panel draws it (pixels, title)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from fimonitor.report import figures, style
from fimonitor.report.figures import Column
from fimonitor.report.panel import Panel

RECT = (0.08, 0.1, 0.6, 0.55)
ROWS = pd.DataFrame(
    {
        "name": ["Treasury", "IG credit", "High yield → Σ", "Cash"],
        "w": [0.41, 0.3125, -0.0712, 0.04],
        "sev": ["", "WARN", "BREACH", ""],
    }
)
COLUMNS = [
    Column("Group", lambda r: r["name"], "left", 1.4),
    Column("Weight", lambda r: f"{r['w'] * 100:+.2f} %"),
    Column("Severity", lambda r: r["sev"] or "–", "center"),
]


def _page(kind: str, what: str, dpi: float = 100.0) -> Figure:
    with style.pack_style():
        fig = Figure(figsize=(5, 3.5), dpi=dpi)
        fig.text(0.05, 0.95, "a page title", fontsize=9)  # figure text as the pages have
        where = fig.add_axes(RECT) if kind == "axes" else Panel(fig, RECT)
        if what == "table":
            figures.table(
                where,
                ROWS,
                COLUMNS,
                title="Exposure by group (top 4)",
                row_fill=figures.severity_row_fill,
                note="Weight: % of market value",
            )
        else:
            lines = [(style.BREACH, "POST_CONS leaves BREACH cash weight 0.40 %" * 2)]
            lines.append((style.TEXT, "• group weight · High yield ≤ 10.00 %"))
            figures.text_block(where, "Binding constraints in POST_CONS", lines, fontsize=6.6)
    return fig


def _pixels(fig: Figure) -> np.ndarray:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


@pytest.mark.parametrize("what", ["table", "text"])
@pytest.mark.parametrize("dpi", [72.0, 150.0])
def test_panel_pixels_equal_an_axes_panel(what, dpi):
    a, p = _pixels(_page("axes", what, dpi)), _pixels(_page("panel", what, dpi))
    assert a.shape == p.shape
    assert (a[..., :3] < 250).any()  # something is drawn
    assert np.array_equal(a, p)


def test_panel_title_and_coordinates_are_the_axes_ones():
    fig_a, fig_p = _page("axes", "table"), _page("panel", "table")
    ax = fig_a.axes[0]
    (panel_title,) = [t for t in fig_p.texts if t.get_text().startswith("Exposure")]
    title = ax.get_title("left")
    assert panel_title.get_text() == title
    assert panel_title.get_fontsize() == ax.title.get_fontsize() == 9.0
    assert panel_title.get_fontweight() == ax.title.get_fontweight()
    pt = panel_title.get_transform().transform((0.0, 1.0))
    (ax_title,) = [t for t in ax.get_children() if getattr(t, "get_text", str)() == title]
    at = ax_title.get_transform().transform((0.0, 1.0))
    assert np.array_equal(pt, at)
    panel = Panel(fig_p, RECT)
    corners = [(0, 0), (1, 1), (0.25, 0.75)]
    assert np.array_equal(panel.transAxes.transform(corners), ax.transAxes.transform(corners))
    assert panel.get_position().bounds == pytest.approx(ax.get_position().bounds)
    assert not fig_p.axes  # no Axes on the Panel page


def test_panel_pdf_pages_draw_the_same_text():
    from pypdf import PdfReader

    out = {}
    for kind in ("axes", "panel"):
        buf = io.BytesIO()
        with PdfPages(buf) as pdf:
            pdf.savefig(_page(kind, "table"))
        out[kind] = PdfReader(buf).pages[0].extract_text()
    # the same strings; the order differs (a Panel's artists follow the figure's Axes)
    assert sorted(out["axes"].splitlines()) == sorted(out["panel"].splitlines())
    assert "Exposure by group" in out["panel"] and "-7.12 %" in out["panel"]
