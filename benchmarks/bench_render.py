"""Rendering CPU of the monitoring pack's pages, in-process (issue 18: cheaper pages).

Usage: python benchmarks/bench_render.py [--data data] [--repeat 5] [--as-of latest] [--warm]

Builds the demo pack once, then renders its pages ``--repeat`` times after one warm-up and
prints the median CPU time (``time.process_time``: user + sys of this process, the figure to
compare on a shared machine) of each step of :func:`fimonitor.report.render.write_report`:
building the three Figures, drawing them into the PDF, rasterising the PNGs; and of the whole
``write_report`` call. Each round starts with no remembered string layouts
(:func:`fimonitor.report.pdftext.forget`), as a single pack does; ``--warm`` keeps them, as
the later dates of a batch do (an upper bound: every string of the same date repeats). It
also counts the ``Text.draw`` calls per page (every Text artist matplotlib asks to draw,
visible or not) and the garbage collections one ``write_report`` triggers. Run it on two
checkouts (``--root``) to compare before and after.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Print the CPU table and the Text.draw counts."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="book folder (default: data/)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--as-of", default="latest")
    ap.add_argument("--root", type=Path, default=HERE.parent, help="the checkout to time")
    ap.add_argument("--warm", action="store_true", help="keep string layouts between rounds")
    args = ap.parse_args()
    sys.path.insert(0, str(args.root))

    import matplotlib.figure as mfigure
    import matplotlib.text as mtext
    from matplotlib.backends.backend_pdf import PdfPages

    try:  # checkouts before the shaped-text PDF writer draw with PdfPages
        from fimonitor.report import pdftext
    except ImportError:
        pdftext = None
    from fimonitor.pipeline import build_pack, load_inputs
    from fimonitor.report import render, style
    from fimonitor.report.pages import build_pages

    book, cfg = load_inputs(args.data or args.root / "data")
    pack = build_pack(book, cfg, args.as_of)

    counts: Counter[str] = Counter()
    draw = mtext.Text.draw

    def counted(self, renderer):  # the Text artists matplotlib is asked to draw
        counts["drawn"] += 1
        if not (self.get_visible() and self.get_text()):
            counts["blank"] += 1
        return draw(self, renderer)

    mtext.Text.draw = counted
    starts: list[int] = []  # the count when each page's drawing starts
    figure_draw = mfigure.Figure.draw

    def page(self, renderer):
        starts.append(counts["drawn"])
        return figure_draw(self, renderer)

    mfigure.Figure.draw = page
    collections = Counter()

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            collections[info["generation"]] += 1

    steps: dict[str, list[float]] = {"build": [], "pdf": [], "png": [], "write_report": []}
    per_page: list[int] = []
    blank = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(args.repeat + 1):
            # the steps, as write_report runs them (collector paused when it pauses it)
            pause = getattr(render, "collector_paused", None)
            t0 = time.process_time()
            with pause() if pause else _null(), style.pack_style():
                pages = build_pages(pack)
                t1 = time.process_time()
                counts.clear()
                starts.clear()
                if pdftext is not None and not args.warm:
                    pdftext.forget()
                if pdftext is None:
                    with PdfPages(folder / "p.pdf", metadata=render.pdf_metadata(pack)) as pdf:
                        for _, fig in pages:
                            pdf.savefig(fig)
                else:
                    figs = [fig for _, fig in pages]
                    pdftext.write_pdf(figs, folder / "p.pdf", render.pdf_metadata(pack))
                ends = [*starts[1:], counts["drawn"]]
                per_page = [b - a for a, b in zip(starts, ends, strict=True)]
                blank = counts["blank"]
            t2 = time.process_time()
            sizes = [fig.get_size_inches() for _, fig in pages]
            del pages
            pngs = [folder / f"p{k}.png" for k in range(len(sizes))]
            render.rasterise(folder / "p.pdf", pngs, sizes, style.PNG_DPI)
            t3 = time.process_time()
            gc.callbacks.append(on_gc)
            collections.clear()
            if pdftext is not None and not args.warm:
                pdftext.forget()
            render.write_report(pack, folder)
            t4 = time.process_time()
            gc.callbacks.remove(on_gc)
            if i:  # the first round warms caches (fonts, imports)
                for k, v in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                    steps[k].append(v)
    print(f"median CPU s of {args.repeat} runs (after one warm-up), as-of {pack.as_of.date()}")
    for k, v in steps.items():
        print(f"  {k:<13} {statistics.median(v):6.3f}")
    print(f"Text.draw calls per page: {per_page} (total {sum(per_page)}, blank or hidden {blank})")
    gcs = [collections[g] for g in (0, 1, 2)]
    print(f"garbage collections in one write_report (generation 0/1/2): {gcs}")


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    main()
