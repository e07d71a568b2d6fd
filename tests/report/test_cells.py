"""CellText draws each cell exactly where a Text per cell would (PDF operators and pixels)."""

from __future__ import annotations

import io

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from fimonitor.report import style
from fimonitor.report.cells import CellText

# strings with and without ascenders/descenders, glyphs deeper than "p" ("_", "|"), taller
# than "l" ("Å"), non-Latin-1 ("→", "Σ", "−"), a dollar sign and a leading space
CELLS = [
    (0.02, 0.95, "Status", "left", style.TEXT, 7.0, "bold", "normal"),
    (0.50, 0.95, "Prev → now", "center", style.TEXT, 7.0, "bold", "normal"),
    (0.98, 0.95, "Value", "right", style.TEXT, 7.0, "bold", "normal"),
    (0.02, 0.85, "persisting", "left", style.BREACH, 6.3, "normal", "normal"),
    (0.50, 0.85, "WARN → BREACH", "center", style.WARN, 6.3, "normal", "normal"),
    (0.98, 0.85, "+1.25 pp", "right", style.NEGATIVE, 6.3, "normal", "normal"),
    (0.02, 0.75, "POST_MIN | ÅSA", "left", style.TEXT, 6.6, "normal", "normal"),
    (0.50, 0.75, "Σ weight × duration", "center", style.MUTED, 6.6, "normal", "italic"),
    (0.98, 0.75, "−$1,234,567", "right", style.TEXT, 6.6, "bold", "normal"),
    (0.02, 0.65, " 0.40 %", "left", style.OK, 9.0, "normal", "normal"),
    (0.98, 0.65, "aceo", "right", style.TEXT, 12.5, "bold", "normal"),
]


def _figure(one_artist: bool, dpi: float = 100.0) -> Figure:
    with style.pack_style():
        fig = Figure(figsize=(4, 3), dpi=dpi)
        ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
        ax.set_axis_off()
        cells = ax.add_artist(CellText(ax.transAxes)) if one_artist else None
        for x, y, text, ha, colour, size, weight, slant in CELLS:
            if one_artist:
                cells.add(
                    x,
                    y,
                    text,
                    ha=ha,
                    colour=colour,
                    fontsize=size,
                    fontweight=weight,
                    fontstyle=slant,
                )
            else:
                ax.text(
                    x,
                    y,
                    text,
                    ha=ha,
                    va="center",
                    transform=ax.transAxes,
                    color=colour,
                    fontsize=size,
                    fontweight=weight,
                    style=slant,
                )
    return fig


def _pdf(fig: Figure) -> bytes:
    buf = io.BytesIO()
    with style.pack_style(), PdfPages(buf, metadata={"CreationDate": None}) as pdf:
        pdf.savefig(fig)
    return buf.getvalue()


def test_pdf_is_byte_identical_to_one_text_per_cell():
    assert _pdf(_figure(True)) == _pdf(_figure(False))


@pytest.mark.parametrize("dpi", [72.0, 150.0])
def test_agg_pixels_identical_to_one_text_per_cell(dpi):
    a, b = FigureCanvasAgg(_figure(True, dpi)), FigureCanvasAgg(_figure(False, dpi))
    a.draw()
    b.draw()
    pa, pb = np.asarray(a.buffer_rgba()), np.asarray(b.buffer_rgba())
    assert (pa != 255).any()  # something was drawn
    assert np.array_equal(pa, pb)


def test_texts_in_order_and_bad_alignment_refused():
    fig = _figure(True)
    (cells,) = [a for a in fig.axes[0].get_children() if isinstance(a, CellText)]
    assert cells.get_texts() == [c[2] for c in CELLS]
    with pytest.raises(ValueError, match="ha must be"):
        cells.add(0, 0, "x", ha="middle")


def test_empty_and_non_finite_cells_draw_nothing():
    with style.pack_style():
        fig = Figure(figsize=(2, 1))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        cells = ax.add_artist(CellText(ax.transAxes))
        cells.add(0.5, 0.5, "", fontsize=7)
        cells.add(float("nan"), 0.5, "nan anchor", fontsize=7)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        assert (np.asarray(canvas.buffer_rgba())[..., :3] == 255).all()


def test_window_extent_is_the_union_of_the_text_boxes():
    one, many = _figure(True), _figure(False)
    ra, rb = FigureCanvasAgg(one).get_renderer(), FigureCanvasAgg(many).get_renderer()
    (cells,) = [a for a in one.axes[0].get_children() if isinstance(a, CellText)]
    texts = [t for t in many.axes[0].texts]
    expected = Bbox.union([t.get_window_extent(rb) for t in texts])
    assert np.allclose(cells.get_window_extent(ra).bounds, expected.bounds, atol=1e-9)
    assert cells.get_window_extent().bounds == cells.get_window_extent(ra).bounds


def test_remembered_measures_draw_what_fresh_ones_draw():
    """A cell measured on an earlier draw (another page, dpi or font) is placed the same."""
    fresh = _pdf(_figure(False))
    for _ in range(2):  # the second round reads every measure from the memo
        assert _pdf(_figure(True)) == fresh
    for dpi in (72.0, 150.0, 72.0):  # Agg measures in pixels: one memo entry per resolution
        a, b = FigureCanvasAgg(_figure(True, dpi)), FigureCanvasAgg(_figure(False, dpi))
        a.draw()
        b.draw()
        assert np.array_equal(np.asarray(a.buffer_rgba()), np.asarray(b.buffer_rgba()))


def test_a_changed_font_family_is_measured_again():
    def widths(family: str) -> list[float]:
        with style.pack_style(), mpl.rc_context({"font.family": family}):
            fig = Figure(figsize=(4, 1))
            ax = fig.add_axes((0, 0, 1, 1))
            cells = ax.add_artist(CellText(ax.transAxes))
            cells.add(0.0, 0.5, "Wide WWW text", fontsize=8)
            text = ax.text(0.0, 0.2, "Wide WWW text", fontsize=8, va="center")
            renderer = FigureCanvasAgg(fig).get_renderer()
            return [cells.get_window_extent(renderer).width, text.get_window_extent(renderer).width]

    sans, mono = widths("sans-serif"), widths("monospace")
    assert sans[0] == pytest.approx(sans[1]) and mono[0] == pytest.approx(mono[1])
    assert sans[0] != pytest.approx(mono[0])
