"""The one writer of the monitoring pack's PDF and PNG pages.

``write_report(pack, folder)`` renders the three pages of :mod:`fimonitor.report.pages` once
and saves each as a page of ``YYYYMMDD_FixedIncome_MonitoringPack_3pages.pdf`` and as a 150-dpi
``YYYYMMDD_<page>.png``. ``folder`` is an existing (temporary) folder that the pipeline renames
into place, so a failing render never leaves a partial pack behind.
"""

from __future__ import annotations

import logging
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages

from fimonitor.dates import stamp as date_stamp
from fimonitor.report import format as fmt
from fimonitor.report import style
from fimonitor.report.pages import PAGE_TITLES, build_pages
from fimonitor.results import Pack

log = logging.getLogger(__name__)

PDF_SUFFIX = "FixedIncome_MonitoringPack_3pages.pdf"
PNG_SUFFIXES = ("one_page_summary", "weekly_pack", "rebalance_pack")


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


def write_report(pack: Pack, folder: Path, *, png: bool = True) -> list[Path]:
    """Render the 3-page PDF and the three PNG pages of ``pack`` into ``folder``.

    Parameters
    ----------
    pack : the computed monitoring pack (only read).
    folder : an existing folder; files are named ``YYYYMMDD_...`` from ``pack.as_of``.
    png : False writes the PDF only (batches with ``--no-png``).

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
    with style.pack_style():
        pages = build_pages(pack)
        with PdfPages(pdf_path, metadata=pdf_metadata(pack)) as pdf:
            for (name, fig), png_path in zip(pages, png_paths, strict=True):
                pdf.savefig(fig)
                if png:
                    fig.savefig(png_path, dpi=style.PNG_DPI, metadata={"Software": None})
                log.info("rendered page %s", name)
    return [pdf_path, *(png_paths if png else [])]
