"""A single pack written into a batch's output root keeps the batch index (firm view, books)."""

from __future__ import annotations

from pathlib import Path

from fimonitor.report.batch_index import render_batch_index
from fimonitor.report.index import write_index


def _batch_root(root: Path) -> Path:
    (root / "firm" / "20260430").mkdir(parents=True)
    (root / "firm" / "20260430" / "20260430_firm_summary.pdf").write_bytes(b"%PDF")
    for book in ("core", "credit<x>"):
        (root / book / "20260430").mkdir(parents=True)
    (root / "20260424").mkdir()  # a pack written by `fimonitor pack --out root`
    return root


def test_write_index_in_a_batch_root_writes_the_batch_index(tmp_path: Path) -> None:
    root = _batch_root(tmp_path / "out")
    page = write_index(root).read_text(encoding="utf-8")
    assert 'href="firm/20260430/20260430_firm_summary.pdf"' in page
    assert 'href="core/20260430/"' in page
    assert "credit&lt;x&gt;" in page and "credit<x>" not in page  # names are escaped
    assert "<h2>Books (2)</h2>" in page  # the root's own packs are not a book
    assert '(this folder)</td><td><a href="20260424/">20260424</a>' in page
    assert page == render_batch_index(root)


def test_write_index_without_firm_folder_is_the_dashboard(tmp_path: Path) -> None:
    root = tmp_path / "out"
    (root / "20260424").mkdir(parents=True)
    page = write_index(root).read_text(encoding="utf-8")
    assert "firm view" not in page
