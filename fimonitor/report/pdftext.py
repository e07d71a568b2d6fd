"""The PDF writer of the pack's pages: matplotlib's PDF backend, each string shaped once.

matplotlib (3.11 and later) draws a string into a PDF in two passes over its characters: it
shapes the string with libraqm (``FT2Font._layout``: glyph indices, offsets, kerning) and then
loads every glyph through FreeType again, although the PDF writer only reads the indices and
offsets. Both cost ~10 us a character here, for ~7,800 characters on the three pages of a
pack, most of them the same from one page and one as-of date to the next (labels, headers,
tickers): 20 % of a pack's strings repeat within it and ~75 % of the characters of a batch's
next date were already drawn for an earlier one.

:func:`write_pdf` draws each figure with :class:`ShapedTextRendererPdf`, which is
matplotlib's ``RendererPdf`` with one difference: the font it hands to the text drawing is
:class:`ShapedFont`, which remembers each layout for the life of the process (keyed by font,
size, string, load flags, font features and language) and does not load glyphs the PDF writer
does not read. Everything else (glyph subsetting, the Type 3 font programs, text operators,
paths, images) is matplotlib's own code, so the PDF is byte-identical to the one ``PdfPages``
writes (``tests/report/test_pdftext.py`` compares the two; it fails if a matplotlib release
changes what the layout is used for). With a matplotlib that has no ``FT2Font._layout``
(before 3.11) the renderer hands over the plain font and nothing is remembered.

Demo pack (``benchmarks/bench_render.py``, CPU): drawing the PDF pages 0.58 -> 0.46 s for one
pack; 0.59 -> 0.38 s for each further date of a batch.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib as mpl
from matplotlib import ft2font
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_pdf import FigureCanvasPdf, PdfFile, RendererPdf
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font

__all__ = ["ShapedFont", "ShapedTextRendererPdf", "forget", "remembered", "write_pdf"]

SHAPES = hasattr(FT2Font, "_layout")  # matplotlib >= 3.11 shapes text with libraqm
# Layouts (all fonts and sizes together) and sized fonts remembered at most; past either, the
# memory starts again. A layout is ~100 bytes a character; a pack draws ~500 distinct strings
# of ~13 characters, in ~10 sized fonts.
MAX_LAYOUTS = 50_000
MAX_FONTS = 512

_fonts: dict[tuple[int, float], ShapedFont] = {}
_layouts: dict[tuple, object] = {}  # layouts and measures
_lock = threading.Lock()


class LayoutItem(NamedTuple):
    """One glyph of a shaped string, as ``FT2Font._layout`` gives it (offsets in points)."""

    ft_object: Any
    char: str
    glyph_index: int
    x: float
    y: float
    prev_kern: float


class ShapedFont:
    """A font at one size whose string layouts are remembered.

    Parameters
    ----------
    font : the ``FT2Font`` that matplotlib's ``_get_font_ttf`` set to ``size``.
    size : the size in points (part of the layout's key: offsets are rounded at each size).

    Notes
    -----
    Every attribute but ``_layout`` and ``load_glyph`` is the font's own. The glyphs of a
    remembered layout name a ``ShapedFont`` too (the font itself, or the fallback font that
    has the glyph), whose ``load_glyph`` does nothing: matplotlib's PDF text drawing loads
    each glyph after the layout only to mirror the Agg path, and never reads it.
    """

    __slots__ = ("_font", "_size", "face_index", "fname")

    def __init__(self, font: FT2Font, size: float) -> None:
        self._font = font
        self._size = size
        self.fname = font.fname  # read for every glyph drawn (glyph subsetting)
        self.face_index = font.face_index

    def __getattr__(self, name: str) -> Any:
        return getattr(self._font, name)

    def _layout(
        self, text: str, flags: Any, features: Any = None, language: Any = None
    ) -> list[LayoutItem]:
        """The font's ``_layout`` of ``text``, computed once per key (see the class notes)."""
        key = (id(self._font), self._size, text, flags, features, language)
        items = _layouts.get(key)
        if items is None:
            items = [
                LayoutItem(
                    shaped(g.ft_object, self._size), g.char, g.glyph_index, g.x, g.y, g.prev_kern
                )
                for g in self._font._layout(text, flags, features=features, language=language)
            ]
            _remember(key, items)
        return items

    def measure(self, text: str) -> tuple[float, float, float]:
        """Width, height and descent of ``text`` in points, computed once per key.

        What matplotlib's PDF renderer measures for a line of plain text: the font's
        ``set_text`` without hinting, then its width and height (ink, from the origin to the
        top) and descent, which FreeType gives in 1/64 points.
        """
        key = (id(self._font), self._size, text, "measure")
        out = _layouts.get(key)
        if out is None:
            font = self._font
            font.set_text(text, 0.0, flags=ft2font.LoadFlags.NO_HINTING)  # matplotlib >= 3.10
            w, h = font.get_width_height()
            out = (w / 64, h / 64, font.get_descent() / 64)
            _remember(key, out)
        return out

    def load_glyph(self, glyph_index: int, flags: Any = None) -> None:
        """Do nothing (the PDF writer reads the layout only; see the class notes)."""
        return None


def _remember(key: tuple, value: object) -> None:
    """Keep ``value`` (a layout or a measure) under ``key``; a full memory starts again."""
    with _lock:
        if len(_layouts) >= MAX_LAYOUTS:
            _layouts.clear()
        _layouts[key] = value


def shaped(font: FT2Font, size: float) -> ShapedFont:
    """The one :class:`ShapedFont` of ``font`` at ``size`` (it keeps ``font`` alive).

    Parameters
    ----------
    font : a matplotlib ``FT2Font`` (matplotlib keeps one per font file and thread).
    size : the size in points.
    """
    key = (id(font), size)
    out = _fonts.get(key)
    if out is None:
        with _lock:
            if len(_fonts) >= MAX_FONTS:  # the layouts' keys name these fonts: both go
                _fonts.clear()
                _layouts.clear()
            out = _fonts.setdefault(key, ShapedFont(font, size))
    return out


def remembered() -> int:
    """Number of remembered layouts and measures (all fonts and sizes)."""
    return len(_layouts)


def forget() -> None:
    """Drop every remembered layout and sized font (the next strings are shaped anew)."""
    with _lock:
        _fonts.clear()
        _layouts.clear()


class ShapedTextRendererPdf(RendererPdf):
    """matplotlib's PDF renderer, whose text drawing gets a :class:`ShapedFont`."""

    def _get_font_ttf(self, prop: FontProperties) -> FT2Font | ShapedFont:
        font = super()._get_font_ttf(prop)
        return shaped(font, prop.get_size_in_points()) if SHAPES else font

    def get_text_width_height_descent(
        self, s: str, prop: FontProperties, ismath: bool | str
    ) -> tuple[float, float, float]:
        """Width, height and descent of ``s`` in points; plain text measured once per size."""
        if ismath or not SHAPES or mpl.rcParams["pdf.use14corefonts"]:
            return super().get_text_width_height_descent(s, prop, ismath)
        return self._get_font_ttf(prop).measure(s)


class ShapedTextCanvas(FigureCanvasPdf):
    """A PDF canvas that draws a figure as the next page of an open ``PdfFile``."""

    def print_pdf(
        self, filename: PdfFile, *, bbox_inches_restore: object = None, **kwargs: object
    ) -> None:
        """Draw the figure as a new page of ``filename`` (a ``PdfFile``), as matplotlib does.

        The steps of ``FigureCanvasPdf.print_pdf`` for a page of ``PdfPages``, with
        :class:`ShapedTextRendererPdf` as the renderer. ``savefig`` passes the colours and
        resolution it has already applied to the figure (``kwargs``), as it does to
        matplotlib's own ``print_pdf``, which ignores them too.
        """
        if not isinstance(filename, PdfFile):
            raise TypeError(f"ShapedTextCanvas draws into a PdfFile, not {type(filename)}")
        dpi = self.figure.dpi
        self.figure.dpi = 72  # there are 72 PDF points to an inch
        width, height = self.figure.get_size_inches()
        try:
            filename.newPage(width, height)
            renderer = MixedModeRenderer(
                self.figure,
                width,
                height,
                dpi,
                ShapedTextRendererPdf(filename, dpi, height, width),
                bbox_inches_restore=bbox_inches_restore,
            )
            self.figure.draw(renderer)
            renderer.finalize()
        finally:
            filename.endStream()


def write_pdf(figures: Iterable[Figure], path: Path, metadata: dict[str, object]) -> None:
    """Write ``figures`` as the pages of the PDF ``path``, in order.

    Parameters
    ----------
    figures : the pages (each figure's canvas becomes a :class:`ShapedTextCanvas`).
    path : the file to write (replaced).
    metadata : the PDF document information (as ``PdfPages``' ``metadata``).

    Notes
    -----
    The same file ``PdfPages(path, metadata=metadata)`` and one ``savefig`` per figure would
    write. A failure leaves an incomplete file: the pack writes into a temporary folder that
    is discarded on error.
    """
    file = PdfFile(path, metadata=metadata)
    try:
        for fig in figures:
            ShapedTextCanvas(fig)  # the figure's canvas from now on
            fig.savefig(file, format="pdf")
        file.finalize()
    finally:
        file.close()
