"""The pack style pins chart titles at the top edge: nothing above an Axes for them to dodge."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pytest
from helpers.report import make_pack
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from fimonitor.report import pages, style


@pytest.mark.parametrize("n_holdings", [None, 50])
def test_chart_titles_sit_above_their_axes_with_no_offset_text(n_holdings):
    pack = make_pack() if n_holdings is None else make_pack(n_holdings)
    with style.pack_style():
        figs = [pages.summary_page(pack), pages.weekly_page(pack), pages.rebalance_page(pack)]
        for fig in figs:
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            renderer = canvas.get_renderer()
            for ax in fig.axes:
                title = ax.get_title("left")
                if not title:
                    continue
                (t,) = [a for a in ax.get_children() if getattr(a, "get_text", str)() == title]
                box, frame = t.get_window_extent(renderer), ax.get_window_extent(renderer)
                assert box.y0 >= frame.y1, title  # above the Axes: no decoration to dodge
                assert not ax.yaxis.offsetText.get_text(), title
                assert not ax.xaxis.offsetText.get_text(), title


def test_titles_are_where_matplotlib_auto_placement_puts_them():
    """axes.titley = 1 (no re-placement) gives the auto-placed title's position exactly."""

    def title_box(titley):
        with style.pack_style(), mpl.rc_context({"axes.titley": titley}):
            fig = Figure(figsize=(4, 3))
            ax = fig.add_axes((0.15, 0.15, 0.7, 0.6))
            ax.plot([0, 1, 2], [6.001, 6.002, 6.004])  # a flat axis: no offset text in style
            ax.set_xlabel("Date")
            ax.set_title("Duration (years)")
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            return np.asarray(canvas.buffer_rgba()).copy(), ax.yaxis.offsetText.get_text()

    pinned, offset = title_box(1.0)
    auto, _ = title_box(None)
    assert offset == ""
    assert np.array_equal(pinned, auto)
