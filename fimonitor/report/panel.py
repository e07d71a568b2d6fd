"""A table or text panel of a page without an Axes: figure-level artists in a rectangle.

The pages' tables and text blocks (:func:`fimonitor.report.figures.table`,
:func:`~fimonitor.report.figures.text_block`) draw text, row fills and a title; they never
use ticks, spines or data limits. An Axes costs matplotlib ~2–4 ms to build (two axes with
their default ticks) and more to draw (title placement measures the axis decorations), for
nothing on the page. :class:`Panel` offers the few Axes members those functions use, with the
same coordinates, and adds every artist to the figure itself:

- ``transAxes``: (0, 0) is the bottom-left and (1, 1) the top-right corner of the rectangle,
  the same transform an Axes at that position has (``BboxTransformTo`` of the rectangle
  in figure coordinates);
- ``set_title(label, loc="left")``: a ``Text`` where an Axes with its axes switched off puts
  its title: the top-left corner raised by ``axes.titlepad`` points, baseline-aligned, in
  ``axes.titlesize`` and ``axes.titleweight`` (``axes.titlecolor`` unless ``auto``);
- ``text``, ``add_patch``, ``add_artist``, ``get_position``, ``figure``.

The page looks the same (the demo pages render pixel-identical); artists are drawn with the
figure's own, after every Axes, by z-order (fills, then text).
"""

from __future__ import annotations

import matplotlib as mpl
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.transforms import Bbox, BboxTransformTo, ScaledTranslation, TransformedBbox

__all__ = ["Panel"]


class Panel:
    """A rectangle of ``fig`` (figure fractions ``left, bottom, width, height``) for text.

    Parameters
    ----------
    fig : the page.
    rect : ``(left, bottom, width, height)`` in figure coordinates, as for ``fig.add_axes``.
    """

    def __init__(self, fig: Figure, rect: tuple[float, float, float, float]) -> None:
        self.figure = fig
        self._position = Bbox.from_bounds(*rect)
        self.transAxes = BboxTransformTo(TransformedBbox(self._position, fig.transSubfigure))
        self._titles: dict[str, Text] = {}

    def get_position(self) -> Bbox:
        """The rectangle in figure coordinates (a copy)."""
        return self._position.frozen()

    def add_artist(self, artist: Artist) -> Artist:
        """Add ``artist`` to the figure (its transform unchanged, never clipped)."""
        return self.figure.add_artist(artist)

    def add_patch(self, patch: Patch) -> Patch:
        """Add ``patch`` to the figure, as :meth:`add_artist`."""
        return self.figure.add_artist(patch)

    def text(self, x: float, y: float, s: str, **kwargs) -> Text:
        """A figure text at ``(x, y)`` (panel coordinates unless ``transform`` is given)."""
        kwargs.setdefault("transform", self.transAxes)
        return self.figure.text(x, y, s, **kwargs)

    def set_title(self, label: str, loc: str = "left") -> Text:
        """The panel's title above its top edge, as ``Axes.set_title(label, loc=loc)`` draws it.

        ``loc`` is left, center or right (x = 0, 0.5, 1 of the panel).
        """
        x = {"left": 0.0, "center": 0.5, "right": 1.0}[loc]
        rc = mpl.rcParams
        pad = ScaledTranslation(0.0, rc["axes.titlepad"] / 72, self.figure.dpi_scale_trans)
        title = self._titles.get(loc)
        if title is None:
            title = self.figure.text(
                x,
                1.0 if rc["axes.titley"] is None else rc["axes.titley"],
                "",
                transform=self.transAxes + pad,
            )
            colour = rc["axes.titlecolor"]
            if str(colour).lower() != "auto":
                title.set_color(colour)
            self._titles[loc] = title
        title.set_text(label)
        title.update(
            {
                "fontsize": rc["axes.titlesize"],
                "fontweight": rc["axes.titleweight"],
                "verticalalignment": "baseline",
                "horizontalalignment": loc,
            }
        )
        return title

    def get_title(self, loc: str = "left") -> str:
        """The title's text at ``loc`` ("" when none)."""
        title = self._titles.get(loc)
        return title.get_text() if title is not None else ""
