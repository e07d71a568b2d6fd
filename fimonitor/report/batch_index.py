"""``OUT/index.html`` of a batch output root: the firm pages and every book's packs.

Lists ``OUT/firm/YYYYMMDD/`` (PDF, PNG, CSVs) newest first, then one row per book folder
``OUT/<book>/`` with links to its packs ``OUT/<book>/YYYYMMDD/`` (newest first) and to the
book's own ``index.html`` (written by :func:`fimonitor.report.write.write_pack`), then the
packs written straight into ``OUT/YYYYMMDD/`` by ``fimonitor pack --out OUT``. Written
atomically by ``fimonitor batch`` and, when ``OUT`` holds a ``firm/`` folder, by
:func:`fimonitor.report.index.write_index` (so a single pack written there keeps the firm view).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from fimonitor import __version__
from fimonitor.fileio import atomic_write_text

__all__ = ["render_batch_index", "write_batch_index"]

STAMP = re.compile(r"^\d{8}$")


def _stamps(folder: Path) -> list[str]:
    return sorted(
        (d.name for d in folder.iterdir() if d.is_dir() and STAMP.match(d.name)), reverse=True
    )


def render_batch_index(out: Path) -> str:
    """Return the HTML text of the batch index of ``out`` (relative links only)."""
    esc = html.escape
    out = Path(out)
    firm_rows = []
    firm = out / "firm"
    for s in _stamps(firm) if firm.is_dir() else []:
        links = [
            f'<a href="firm/{s}/{esc(f.name)}">{esc(f.name)}</a>'
            for f in sorted((firm / s).iterdir())
            if f.is_file()
        ]
        firm_rows.append(f"<tr><td>{s[:4]}-{s[4:6]}-{s[6:]}</td><td>{' · '.join(links)}</td></tr>")
    book_rows = []
    for d in sorted(p for p in out.iterdir() if p.is_dir() and p.name != "firm"):
        packs = _stamps(d)
        if not packs:
            continue
        links = " · ".join(f'<a href="{esc(d.name)}/{s}/">{s}</a>' for s in packs[:10])
        more = f" (+{len(packs) - 10})" if len(packs) > 10 else ""
        book_rows.append(
            f'<tr><td><a href="{esc(d.name)}/index.html">{esc(d.name)}</a></td>'
            f"<td>{links}{more}</td></tr>"
        )
    n_books = len(book_rows)
    top = _stamps(out)  # packs written straight into OUT by `fimonitor pack --out OUT`
    if top:
        links = " · ".join(f'<a href="{s}/">{s}</a>' for s in top[:10])
        more = f" (+{len(top) - 10})" if len(top) > 10 else ""
        book_rows.append(f"<tr><td>(this folder)</td><td>{links}{more}</td></tr>")
    firm_body = "\n".join(firm_rows) or '<tr><td colspan="2">no firm page yet</td></tr>'
    book_body = "\n".join(book_rows) or '<tr><td colspan="2">no book packs yet</td></tr>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fimonitor batch</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em; color: #222; }}
h1, h2 {{ color: #1F4E79; }}
table {{ border-collapse: collapse; }}
th, td {{ padding: 0.3em 0.9em; border-bottom: 1px solid #ddd; text-align: left; }}
th {{ background: #E8EEF4; }}
</style>
</head>
<body>
<h1>Fixed-income monitoring: firm view</h1>
<h2>Firm summary</h2>
<table><thead><tr><th>As of</th><th>Files</th></tr></thead>
<tbody>
{firm_body}
</tbody></table>
<h2>Books ({n_books})</h2>
<table><thead><tr><th>Book</th><th>Packs (newest first)</th></tr></thead>
<tbody>
{book_body}
</tbody></table>
<p><small>fimonitor {esc(__version__)}</small></p>
</body>
</html>
"""


def write_batch_index(out: Path) -> Path:
    """Write ``out/index.html`` (see the module docstring); returns its path."""
    target = Path(out) / "index.html"
    atomic_write_text(target, render_batch_index(Path(out)))
    return target
