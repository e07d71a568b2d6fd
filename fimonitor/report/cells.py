"""Many one-line texts drawn as one artist: the cells of a table, the lines of a text block.

A table drawn as one :class:`matplotlib.text.Text` per cell costs matplotlib a whole artist per
cell (creation, properties, layout, graphics context, draw call). :class:`CellText` holds all of
a table's cells and draws them in one ``draw`` call, each where
``ax.text(x, y, s, ha=ha, va="center", transform=ax.transAxes)`` would draw it: the same
baseline and left edge, computed the way ``Text`` computes them, so the PDF's text operators
are the same (``tests/report/test_cells.py`` compares both ways, and the demo pack's PDF is
byte-identical to the one drawn with a ``Text`` per cell).

Text is plain: ``$`` is a dollar sign (never mathtext, as in the pack style), one line per cell.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import matplotlib as mpl
from matplotlib import colors as mcolors
from matplotlib.artist import Artist, allow_rasterization
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.transforms import Bbox

__all__ = ["Cell", "CellText"]


@dataclass(frozen=True)
class Cell:
    """One text: anchor (x, y) in the artist's coordinates, alignment, colour, font."""

    x: float
    y: float
    text: str
    ha: str
    colour: str
    font: FontProperties


class CellText(Artist):
    """One-line texts, vertically centred on their anchors, drawn by one artist.

    Parameters
    ----------
    transform : the coordinates of the anchors (e.g. ``ax.transAxes``).

    Notes
    -----
    For a cell of width ``w``, ascent ``a = max(h - d, A)`` and descent ``d = max(d, D)``
    (``h, d`` the measured height and descent of the string; ``A, D`` the font's typographic
    ascender and descender at the cell's size: what ``Text`` uses for one line), the baseline
    is at ``y - a + (a + d) / 2`` and the left edge at ``x``, ``x - w / 2`` or ``x - w`` for
    ``ha`` left, center or right (display units).
    """

    zorder = 3  # where Text artists are drawn

    def __init__(self, transform) -> None:
        super().__init__()
        self.set_transform(transform)
        self.set_clip_on(False)  # as Axes.text: never clipped to the Axes
        self.cells: list[Cell] = []
        self._fonts: dict[tuple, FontProperties] = {}

    def add(
        self,
        x: float,
        y: float,
        text: str,
        *,
        ha: str = "left",
        colour: str = "black",
        fontsize: float = 10.0,
        fontweight: str = "normal",
        fontstyle: str = "normal",
    ) -> None:
        """Add the text ``text`` anchored at ``(x, y)`` (``ha`` left, center or right)."""
        if ha not in ("left", "center", "right"):
            raise ValueError(f"ha must be left, center or right, not {ha!r}")
        key = (fontsize, fontweight, fontstyle)
        font = self._fonts.get(key)
        if font is None:  # the rc defaults in force now (the pack style), as Text would take
            font = FontProperties(size=fontsize, weight=fontweight, style=fontstyle)
            self._fonts[key] = font
        self.cells.append(Cell(float(x), float(y), str(text), ha, colour, font))
        self.stale = True

    def get_texts(self) -> list[str]:
        """The cells' texts, in drawing order."""
        return [c.text for c in self.cells]

    def _placed(self, renderer) -> Iterator[tuple[Cell, float, float, float, float, float]]:
        """Each drawable cell: baseline start (x, y), width, ascent, descent (display units).

        ``y`` is measured upwards (before any renderer flip); cells with an empty text or a
        non-finite anchor are left out (as ``Text`` does).
        """
        cells = [c for c in self.cells if c.text]
        if not cells:
            return
        dpi = self.get_figure(root=True).dpi
        measure = _measurer(renderer)
        anchors = self.get_transform().transform([(c.x, c.y) for c in cells])
        floors: dict[int, tuple[float, float]] = {}
        for c, (px, py) in zip(cells, anchors, strict=True):
            if not (abs(px) < float("inf") and abs(py) < float("inf")):
                continue  # NaN or infinite anchor: not drawn (as Text)
            fk = id(c.font)
            if fk not in floors:
                floors[fk] = _ascent_descent(c.font, dpi)
            min_a, min_d = floors[fk]
            w, h, d = measure(c.text, c.font)
            # Text._get_layout for one line (linespacing "normal", no line gap), in its order
            # of operations so that the floats are the same
            a = max(h - d, min_a)
            d = max(d, min_d)
            y0 = 0.0 - a
            ymin = y0 - d
            offsetx = 0 if c.ha == "left" else w if c.ha == "right" else (0 + w) / 2
            offsety = (ymin + 0) / 2
            yield c, (0.0 - offsetx) + px, (y0 - offsety) + py, w, a, d

    @allow_rasterization
    def draw(self, renderer) -> None:
        """Draw every non-empty cell with one graphics context."""
        if not self.get_visible():
            return
        renderer.open_group("celltext", self.get_gid())
        _, canvas_h = renderer.get_canvas_width_height()
        gc = renderer.new_gc()
        gc.set_alpha(self.get_alpha())
        gc.set_url(self.get_url())
        gc.set_antialiased(mpl.rcParams["text.antialiased"])
        gc.set_snap(self.get_snap())
        self._set_gc_clip(gc)
        for c, x, y, *_ in self._placed(renderer):
            if renderer.flipy():
                y = canvas_h - y
            gc.set_foreground(mcolors.to_rgba(c.colour), isRGBA=True)
            renderer.draw_text(gc, x, y, c.text, c.font, 0.0, ismath=False, mtext=None)
        gc.restore()
        renderer.close_group("celltext")
        self.stale = False

    def get_window_extent(self, renderer=None) -> Bbox:
        """The union of the cells' text boxes (display units), each as ``Text`` measures it.

        Lets ``bbox_inches="tight"`` and layout engines see the cells. Without ``renderer``
        the canvas's (Agg) renderer is used; a canvas without one gives an empty box.
        """
        if renderer is None:
            get_renderer = getattr(self.get_figure(root=True).canvas, "get_renderer", None)
            if get_renderer is None:
                return Bbox.null()
            renderer = get_renderer()
        boxes = [
            Bbox.from_bounds(x, y - d, w, a + d) for _, x, y, w, a, d in self._placed(renderer)
        ]
        if not boxes or not self.get_visible():
            return Bbox.null()
        return Bbox.union(boxes)


# (renderer class, pixels per point, rc signature, text, font file, family, size, weight,
# style)
# -> (width, height, descent); see _measurer
_METRICS: dict[tuple, tuple[float, float, float]] = {}
_METRICS_MAX = 50_000  # entries kept (~10 MB); emptied when full
_RC_KEYS = (
    "font.family",
    "font.sans-serif",
    "font.serif",
    "font.monospace",
    "font.stretch",
    "font.variant",
    "text.hinting",
    "text.hinting_factor",
    "text.kerning_factor",
    "pdf.use14corefonts",
    "ps.useafm",
)


def _measurer(renderer) -> Callable[[str, FontProperties], tuple[float, float, float]]:
    """``renderer.get_text_width_height_descent`` for plain text, remembered across draws.

    Notes
    -----
    A string's measure depends only on the string, the font (file, size, weight, style), the
    renderer's class and resolution and the text rcParams, all in the key; the same string
    on the next page or the next pack of a batch is measured once. Measuring costs
    FreeType/HarfBuzz ~9 µs per glyph; most of a pack's cells (headers, tickers, labels)
    repeat from page to page and from date to date.
    """
    get = renderer.get_text_width_height_descent
    owner = type(getattr(get, "__self__", renderer))
    rc = mpl.rcParams
    scope = (owner, renderer.points_to_pixels(1.0), tuple(str(rc[k]) for k in _RC_KEYS))
    files: dict[int, tuple] = {}

    def measure(text: str, font: FontProperties) -> tuple[float, float, float]:
        fk = id(font)
        if fk not in files:
            files[fk] = (
                findfont(font),
                tuple(font.get_family()),
                font.get_size_in_points(),
                font.get_weight(),
                font.get_style(),
            )
        key = (*scope, text, *files[fk])
        out = _METRICS.get(key)
        if out is None:
            out = get(text, font, ismath=False)
            if len(_METRICS) >= _METRICS_MAX:
                _METRICS.clear()
            _METRICS[key] = out
        return out

    return measure


def _ascent_descent(font: FontProperties, dpi: float) -> tuple[float, float]:
    """The font's typographic ascender and descender at its size and ``dpi`` (display units).

    From the OS/2 table (else hhea) of the font file ``font`` resolves to, the floor ``Text``
    puts under each line's measured ascent and descent.
    """
    return _file_ascent_descent(findfont(font), font.get_size_in_points(), dpi)


@functools.lru_cache(maxsize=256)
def _file_ascent_descent(path: str, size: float, dpi: float) -> tuple[float, float]:
    """:func:`_ascent_descent` of the font file ``path`` (the tables never change)."""
    ft = get_font(path)
    for table_name, ascent_key, descent_key in (
        ("OS/2", "sTypoAscender", "sTypoDescender"),
        ("hhea", "ascent", "descent"),
    ):
        table = ft.get_sfnt_table(table_name)
        if table is None:
            continue
        scale = 1 / ft.get_sfnt_table("head")["unitsPerEm"] * size * dpi / 72
        return table[ascent_key] * scale, -table[descent_key] * scale
    return 0.0, 0.0
