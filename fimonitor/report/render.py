"""The one writer of the monitoring pack's PDF and PNG pages.

``write_report(pack, folder)`` draws the three pages of :mod:`fimonitor.report.pages` once, as
the pages of ``YYYYMMDD_FixedIncome_MonitoringPack_3pages.pdf``, and rasterises each PDF page
with PDFium (``pypdfium2``) into a 150-dpi ``YYYYMMDD_<page>.png``: the PNG is a picture of the
PDF page, and matplotlib draws each figure once instead of once per format (the Agg redraw
cost ~6x the rasterisation; ``benchmarks/bench_pack.py``). The PDF is written by
:func:`fimonitor.report.pdftext.write_pdf` (matplotlib's PDF backend, each string shaped
once per process); the PNGs are rasterised on a second thread while the caller's
``meanwhile`` (the pack's CSVs) runs. ``folder`` is an existing
(temporary) folder that the pipeline renames into place, so a failing render never leaves a
partial pack behind.
"""

from __future__ import annotations

import gc
import logging
import math
import struct
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium

from fimonitor.dates import stamp as date_stamp
from fimonitor.report import format as fmt
from fimonitor.report import style
from fimonitor.report.pages import PAGE_TITLES, build_pages
from fimonitor.report.pdftext import write_pdf
from fimonitor.results import Pack

log = logging.getLogger(__name__)

PDF_SUFFIX = "FixedIncome_MonitoringPack_3pages.pdf"
PNG_SUFFIXES = ("one_page_summary", "weekly_pack", "rebalance_pack")
# zlib level of the PNG pages (rows unfiltered, see png_bytes). Mean CPU and size of the three
# demo pages at zlib levels 1 / 3 / 6: unfiltered 15.5 / 18.0 / 37.5 ms for 342 / 329 / 328 KiB;
# Pillow's encoder (adaptive row filters) 40.4 / 43.0 / 62.0 ms for 395 / 386 / 419 KiB
PNG_LEVEL = 1
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def stamp(pack: Pack) -> str:
    """``YYYYMMDD`` of the pack's as-of date (the prefix of every file name)."""
    return date_stamp(pack.as_of)


def report_names(pack: Pack) -> list[str]:
    """File names written by :func:`write_report`: the PDF first, then the three PNGs."""
    s = stamp(pack)
    return [f"{s}_{PDF_SUFFIX}", *(f"{s}_{p}.png" for p in PNG_SUFFIXES)]


def pdf_metadata(pack: Pack) -> dict[str, object]:
    """PDF document info: title, as-of (Subject), version (Creator, Keywords).

    ``CreationDate`` is None so that the same pack gives a byte-identical PDF.
    """
    as_of = fmt.date(pack.as_of)
    return {
        "Title": f"{pack.portfolio_name} — Fixed Income Monitoring Pack — {as_of}",
        "Subject": f"as-of {as_of}; pages: {'; '.join(PAGE_TITLES)}",
        "Author": "fimonitor",
        "Creator": f"fimonitor {pack.version}",
        "Keywords": f"fimonitor {pack.version}; as_of={as_of}; fixed income; monitoring",
        "CreationDate": None,
    }


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside the block (restored on exit).

    Notes
    -----
    Building and drawing the three pages allocates some 10^5 short-lived container objects
    (artists, transforms, paths), which trigger ~400 automatic collections per pack; the
    full ones walk every object the process holds (~3 x 10^5 after importing pandas, scipy
    and matplotlib): ~0.2 s of CPU per pack, ~15 % of rendering
    (``benchmarks/bench_render.py``). Nothing in the block needs the collector: the pages'
    reference cycles are freed by the first automatic collection after it. A collector that
    was already disabled stays disabled. The switch is process-wide: when several threads
    render at once, the block that paused the collector first turns it back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def write_report(
    pack: Pack,
    folder: Path,
    *,
    png: bool = True,
    meanwhile: Callable[[], None] | None = None,
) -> list[Path]:
    """Render the 3-page PDF and the three PNG pages of ``pack`` into ``folder``.

    Parameters
    ----------
    pack : the computed monitoring pack (only read).
    folder : an existing folder; files are named ``YYYYMMDD_...`` from ``pack.as_of``.
    png : False writes the PDF only (batches with ``--no-png``).
    meanwhile : called once the PDF is written, while the PNGs are rasterised on a second
        thread (PDFium, the pixel copy and zlib run without the interpreter lock): the pack
        writes its CSVs there. Its exception is raised after the rasterising thread ends.

    Returns
    -------
    list of Path : the PDF, then the PNGs for pages 1, 2 and 3.
    """
    folder = Path(folder)
    names = report_names(pack)
    pdf_path = folder / names[0]
    png_paths = [folder / n for n in names[1:]]
    # Figures are built without pyplot, so rendering never touches the user's backend
    # (a notebook keeps its inline backend) and nothing needs closing.
    with collector_paused(), style.pack_style():
        pages = build_pages(pack)
        write_pdf([fig for _, fig in pages], pdf_path, pdf_metadata(pack))
        log.info("rendered pages %s -> %s", ", ".join(n for n, _ in pages), pdf_path.name)
    if not png:
        if meanwhile is not None:
            meanwhile()
        return [pdf_path]
    sizes = [fig.get_size_inches() for _, fig in pages]
    del pages
    if meanwhile is None:
        rasterise(pdf_path, png_paths, sizes, style.PNG_DPI)
    else:
        with ThreadPoolExecutor(1, thread_name_prefix="fimonitor-png") as pool:
            pngs = pool.submit(rasterise, pdf_path, png_paths, sizes, style.PNG_DPI)
            meanwhile()
            pngs.result()
    return [pdf_path, *png_paths]


def rasterise(pdf_path: Path, png_paths: list[Path], sizes: list, dpi: int) -> None:
    """Write page ``i`` of ``pdf_path`` as the RGB PNG ``png_paths[i]`` at ``dpi``.

    Parameters
    ----------
    pdf_path : the PDF (one page per PNG).
    png_paths : the PNG files to write, in page order.
    sizes : each page's (width, height) in inches; the image is ``floor(size x dpi)`` pixels,
        the size matplotlib's own PNG writer gives (PDFium rounds up, so one edge pixel row
        or column may be cut).
    dpi : pixels per inch.

    Notes
    -----
    PDFium renders on a white page with anti-aliased text and paths, straight into RGB byte
    order; :func:`png_bytes` encodes the pixels. The PNG carries no text chunks (no software
    name or date; only the pHYs resolution, as matplotlib writes), so the same PDF gives
    byte-identical PNGs.
    """
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        for i, (png, (w_in, h_in)) in enumerate(zip(png_paths, sizes, strict=True)):
            page = doc[i]
            try:
                bitmap = page.render(scale=dpi / 72.0, rev_byteorder=True)
                rgb = bitmap.to_numpy()[: math.floor(h_in * dpi), : math.floor(w_in * dpi)]
                Path(png).write_bytes(png_bytes(rgb, dpi))
                log.info("rasterised page %d -> %s", i + 1, Path(png).name)
            finally:
                page.close()
    finally:
        doc.close()


def png_bytes(rgb: np.ndarray, dpi: float, level: int = PNG_LEVEL) -> bytes:
    """The PNG file of an ``(height, width, 3)`` uint8 RGB image (8 bits per channel).

    Parameters
    ----------
    rgb : the pixels, row by row from the top.
    dpi : the resolution stored in the pHYs chunk (pixels per metre ``round(dpi / 0.0254)``,
        as Pillow and matplotlib write it).
    level : the zlib compression level of the image data.

    Returns
    -------
    bytes : signature, IHDR, pHYs, one IDAT, IEND.

    Notes
    -----
    Every row is stored unfiltered (filter type 0). On the mostly-white pages of the pack,
    zlib alone finds the long runs; per-row adaptive filtering (what Pillow does) costs more
    than the whole compression and gives larger files here (``render.PNG_LEVEL``).
    """
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (h, w, 3) uint8 image, not {rgb.shape} {rgb.dtype}")
    h, w, _ = rgb.shape
    rows = np.zeros((h, 1 + 3 * w), dtype=np.uint8)  # column 0: the filter type byte (0)
    rows[:, 1:] = rgb.reshape(h, 3 * w)
    ppm = int(dpi / 0.0254 + 0.5)
    return b"".join(
        [
            PNG_SIGNATURE,
            _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)),
            _chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
            _chunk(b"IDAT", zlib.compress(rows.data, level)),
            _chunk(b"IEND", b""),
        ]
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC-32 of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
