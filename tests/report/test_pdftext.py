"""The shaped-text PDF writer writes the bytes matplotlib's PdfPages writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from fimonitor.pipeline import build_pack, load_inputs
from fimonitor.report import pdftext, render, style
from fimonitor.report.pages import build_pages

METADATA = {"Title": "t", "CreationDate": None}
# the same strings at several sizes, weights and angles; kerned pairs ("AV", "To"); glyphs
# outside Latin-1 (one Type 3 subset each); a mathtext string; a text with a link
TEXTS = [
    ("AVA To 1.0 → Σ ≈ −2", 7.0, "normal", 0),
    ("AVA To 1.0 → Σ ≈ −2", 9.5, "normal", 0),
    ("AVA To 1.0 → Σ ≈ −2", 9.5, "bold", 0),
    ("AVA To 1.0 → Σ ≈ −2", 9.5, "normal", 90),
    ("Tracking error (annualised)", 7.0, "normal", 0),
    (r"$\sigma_{TE} = 1.2\%$", 8.0, "normal", 0),
]


def _figures(link: bool = True) -> list[Figure]:
    figs = []
    for k in range(2):
        fig = Figure(figsize=(4, 3))
        ax = fig.add_axes((0.15, 0.15, 0.8, 0.8))
        ax.plot([0, 1, 2], [k, 2, 1])
        ax.set_title(f"page {k + 1}: {TEXTS[0][0]}")
        for i, (s, size, weight, angle) in enumerate(TEXTS):
            t = fig.text(0.05 + 0.12 * (angle != 0), 0.9 - 0.12 * i, s, fontsize=size)
            t.set_fontweight(weight)
            t.set_rotation(angle)
        if link:
            fig.text(0.5, 0.05, "docs", url="https://example.invalid/docs")
        figs.append(fig)
    return figs


def _stock(figs: list[Figure], path: Path) -> bytes:
    with PdfPages(path, metadata=METADATA) as pdf:
        for fig in figs:
            pdf.savefig(fig)
    return path.read_bytes()


def _shaped(figs: list[Figure], path: Path) -> bytes:
    pdftext.write_pdf(figs, path, METADATA)
    return path.read_bytes()


def test_same_bytes_as_pdfpages_cold_and_warm(tmp_path):
    pdftext.forget()
    want = _stock(_figures(), tmp_path / "stock.pdf")
    assert _shaped(_figures(), tmp_path / "cold.pdf") == want
    if pdftext.SHAPES:  # every string at each of its sizes and fonts was remembered
        assert pdftext.remembered() > 0
    assert _shaped(_figures(), tmp_path / "warm.pdf") == want


def test_same_bytes_when_the_memory_is_full(tmp_path, monkeypatch):
    monkeypatch.setattr(pdftext, "MAX_LAYOUTS", 3)
    monkeypatch.setattr(pdftext, "MAX_FONTS", 2)
    pdftext.forget()
    want = _stock(_figures(), tmp_path / "stock.pdf")
    assert _shaped(_figures(), tmp_path / "small.pdf") == want
    assert pdftext.remembered() <= 3
    pdftext.forget()
    assert pdftext.remembered() == 0


def test_without_libraqm_layouts_nothing_is_remembered(tmp_path, monkeypatch):
    monkeypatch.setattr(pdftext, "SHAPES", False)
    pdftext.forget()
    want = _stock(_figures(), tmp_path / "stock.pdf")
    assert _shaped(_figures(), tmp_path / "plain.pdf") == want
    assert pdftext.remembered() == 0


def test_pack_pages_are_the_pdfpages_bytes_for_two_dates(tmp_path):
    """Demo pages of two dates in one process: the second date reuses the first's layouts."""
    book, cfg = load_inputs(Path(__file__).resolve().parents[2] / "data")
    pdftext.forget()
    for as_of in ("2026-04-29", "2026-04-30"):
        pack = build_pack(book, cfg, as_of)
        with style.pack_style():
            want = _stock([f for _, f in build_pages(pack)], tmp_path / "stock.pdf")
            got = _shaped([f for _, f in build_pages(pack)], tmp_path / "shaped.pdf")
        assert got == want, as_of
    assert render.pdf_metadata(pack)["CreationDate"] is None


def test_write_pdf_needs_a_pdf_file(tmp_path):
    fig = _figures(link=False)[0]
    pdftext.ShapedTextCanvas(fig)
    with pytest.raises(TypeError, match="PdfFile"):
        fig.savefig(tmp_path / "x.pdf", format="pdf")
