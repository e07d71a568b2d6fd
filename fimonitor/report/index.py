"""``OUT/index.html``: one page linking every monitoring pack found under the output root.

A pack folder is ``OUT/YYYYMMDD/``; for each, the index shows the date, links to the PDF and
the three PNG pages, and the breach/warn counts read from its ``portfolio_summary.csv``.
The file is written atomically (temp file in the same folder, then ``os.replace``).
"""

from __future__ import annotations

import csv
import html
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from fimonitor import __version__
from fimonitor.fileio import atomic_write_text

log = logging.getLogger(__name__)

PACK_DIR = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
PAGES = (
    ("one_page_summary", "Summary"),
    ("weekly_pack", "Weekly"),
    ("rebalance_pack", "Rebalance"),
)


@dataclass(frozen=True)
class PackEntry:
    """What the index shows for one pack folder."""

    folder: str  # YYYYMMDD
    date: str  # YYYY-MM-DD
    pdf: str | None
    pngs: tuple[tuple[str, str], ...]  # (label, file name)
    n_breach: str
    n_warn: str


def _count(value: str | None) -> str:
    if value is None or value.strip() == "":
        return "–"
    try:
        return str(round(float(value)))
    except ValueError:
        return "–"


def read_counts(summary_csv: Path) -> tuple[str, str]:
    """(n_breach, n_warn) as text from a ``metric,value`` CSV; '–' when unreadable."""
    try:
        with open(summary_csv, newline="", encoding="utf-8") as fh:
            rows = {r.get("metric"): r.get("value") for r in csv.DictReader(fh)}
    except (OSError, csv.Error, UnicodeDecodeError):
        return "–", "–"
    return _count(rows.get("n_breach")), _count(rows.get("n_warn"))


def scan(out_dir: Path) -> list[PackEntry]:
    """Every ``YYYYMMDD`` folder under ``out_dir``, newest first."""
    entries = []
    for d in sorted(Path(out_dir).iterdir(), reverse=True):
        m = PACK_DIR.match(d.name)
        if not d.is_dir() or not m:
            continue
        stamp = d.name
        pdf = d / f"{stamp}_FixedIncome_MonitoringPack_3pages.pdf"
        pngs = tuple(
            (label, f"{stamp}_{suffix}.png")
            for suffix, label in PAGES
            if (d / f"{stamp}_{suffix}.png").is_file()
        )
        n_b, n_w = read_counts(d / "portfolio_summary.csv")
        entries.append(
            PackEntry(
                stamp, "-".join(m.groups()), pdf.name if pdf.is_file() else None, pngs, n_b, n_w
            )
        )
    return entries


def render_index(entries: list[PackEntry]) -> str:
    """Return the HTML text of the index (no external resources, relative links only)."""
    esc = html.escape
    rows = []
    for e in entries:
        pdf = f'<a href="{esc(e.folder)}/{esc(e.pdf)}">PDF</a>' if e.pdf else "–"
        pngs = (
            " · ".join(
                f'<a href="{esc(e.folder)}/{esc(f)}">{esc(label)}</a>' for label, f in e.pngs
            )
            or "–"
        )
        b_cls = ' class="breach"' if e.n_breach not in {"0", "–"} else ""
        w_cls = ' class="warn"' if e.n_warn not in {"0", "–"} else ""
        rows.append(
            f'<tr><td><a href="{esc(e.folder)}/">{esc(e.date)}</a></td><td>{pdf}</td>'
            f"<td>{pngs}</td><td{b_cls}>{esc(e.n_breach)}</td><td{w_cls}>{esc(e.n_warn)}</td>"
            "</tr>"
        )
    body = "\n".join(rows) if rows else '<tr><td colspan="5">no packs yet</td></tr>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fimonitor monitoring packs</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em; color: #222; }}
h1 {{ color: #1F4E79; font-size: 1.4em; }}
table {{ border-collapse: collapse; }}
th, td {{ padding: 0.3em 0.9em; border-bottom: 1px solid #ddd; text-align: left; }}
th {{ background: #E8EEF4; }}
td.breach {{ color: #C0392B; font-weight: bold; }}
td.warn {{ color: #B37400; font-weight: bold; }}
</style>
</head>
<body>
<h1>Fixed-income monitoring packs</h1>
<p>{len(entries)} pack(s), newest first. Counts are the alerts on each as-of date.</p>
<table>
<thead><tr><th>As of</th><th>PDF</th><th>Pages (PNG)</th><th>Breaches</th><th>Warnings</th>\
</tr></thead>
<tbody>
{body}
</tbody>
</table>
<p><small>fimonitor {esc(__version__)}</small></p>
</body>
</html>
"""


def write_index(out_dir: Path) -> Path:
    """Write ``out_dir/index.html`` linking every pack folder; returns its path.

    Written to a temp file in ``out_dir`` and renamed into place, so a reader never sees a
    half-written index.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    text = render_index(scan(out_dir))
    atomic_write_text(target, text)
    log.info("wrote %s", target)
    return target
