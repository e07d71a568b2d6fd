"""``OUT/index.html``: the dashboard page built from the pack folders under the output root.

Pack folders are ``OUT/YYYYMMDD/`` (one book) and ``OUT/<book>/YYYYMMDD/`` (a batch of books).
:func:`scan_packs` finds both; :func:`pack_files` says which files of a pack may be linked or
served: the ``outputs`` listed in its ``manifest.json`` (plus the manifest itself), or, for a
folder without a manifest that lists outputs, the regular files present whose extension is in
:data:`ALLOWED_EXTENSIONS`. The page is the same template as ``fimonitor serve``'s dashboard
(:mod:`fimonitor.report.dashboard`), fed here from each pack's ``portfolio_summary.csv`` and
``alerts.csv``. The file is written atomically (temp file in the same folder, then
``os.replace``).
"""

from __future__ import annotations

import csv
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fimonitor.fileio import atomic_write_text
from fimonitor.report.batch_index import write_batch_index
from fimonitor.report.dashboard import (
    Dashboard,
    PackRow,
    PortfolioView,
    TrendPoint,
    open_alerts,
    render_dashboard,
)

log = logging.getLogger(__name__)

PACK_DIR = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
BOOK_DIR = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")
ALLOWED_EXTENSIONS = (".pdf", ".png", ".csv", ".html", ".ipynb", ".json")
PAGES = (
    ("one_page_summary", "Summary"),
    ("weekly_pack", "Weekly"),
    ("rebalance_pack", "Rebalance"),
)


@dataclass(frozen=True)
class PackInfo:
    """One pack folder: ``book`` is None for the single-book layout ``OUT/YYYYMMDD``."""

    book: str | None
    stamp: str  # YYYYMMDD
    date: str  # YYYY-MM-DD
    path: Path
    files: dict[str, str | None]  # servable file name -> sha256 from the manifest (or None)
    portfolio_name: str | None

    @property
    def rel(self) -> str:
        """``YYYYMMDD`` or ``book/YYYYMMDD`` (the folder's path under the output root)."""
        return self.stamp if self.book is None else f"{self.book}/{self.stamp}"


def _count(value: str | None) -> str:
    if value is None or value.strip() == "":
        return "–"
    try:
        return str(round(float(value)))
    except ValueError:
        return "–"


def read_counts(summary_csv: Path) -> tuple[str, str]:
    """(n_breach, n_warn) as text from a ``metric,value`` CSV; '–' when unreadable."""
    rows = read_summary(summary_csv)
    return _count(rows.get("n_breach")), _count(rows.get("n_warn"))


def read_summary(summary_csv: Path) -> dict[str, str]:
    """``metric -> value`` (text) of a ``portfolio_summary.csv``; empty when unreadable."""
    try:
        with open(summary_csv, newline="", encoding="utf-8") as fh:
            return {str(r.get("metric")): r.get("value") or "" for r in csv.DictReader(fh)}
    except (OSError, csv.Error, UnicodeDecodeError):
        return {}


def read_manifest(folder: Path) -> dict:
    """The pack's ``manifest.json`` as a dict; empty when missing or unreadable."""
    path = folder / "manifest.json"
    if path.is_symlink() or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def pack_files(folder: Path, manifest: dict | None = None) -> dict[str, str | None]:
    """The files of a pack that may be linked or served, name -> sha256 (None when unknown).

    The manifest's ``outputs`` (name -> sha256) plus ``manifest.json`` itself; without a
    manifest listing outputs, the regular (non-symlink) files present with an extension in
    :data:`ALLOWED_EXTENSIONS`. Only plain names (no separators, no leading dot) qualify.
    """
    manifest = read_manifest(folder) if manifest is None else manifest
    outputs = manifest.get("outputs")
    if isinstance(outputs, dict) and outputs:
        files = {
            str(k): (str(v) if isinstance(v, str) else None)
            for k, v in outputs.items()
            if FILE_NAME.match(str(k))
        }
        files["manifest.json"] = None
        return files
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return {}
    return {
        p.name: None
        for p in entries
        if FILE_NAME.match(p.name)
        and p.suffix.lower() in ALLOWED_EXTENSIONS
        and not p.is_symlink()
        and p.is_file()
    }


def _pack(folder: Path, book: str | None) -> PackInfo | None:
    m = PACK_DIR.match(folder.name)
    if not m or folder.is_symlink() or not folder.is_dir():
        return None
    manifest = read_manifest(folder)
    name = manifest.get("portfolio_name")
    return PackInfo(
        book=book,
        stamp=folder.name,
        date="-".join(m.groups()),
        path=folder,
        files=pack_files(folder, manifest),
        portfolio_name=str(name) if name else None,
    )


def scan_packs(out_dir: Path) -> list[PackInfo]:
    """Every pack under ``out_dir`` (``YYYYMMDD/`` and ``<book>/YYYYMMDD/``), newest first."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    packs: list[PackInfo] = []
    for d in sorted(out_dir.iterdir()):
        if d.is_symlink() or not d.is_dir():
            continue
        if PACK_DIR.match(d.name):
            info = _pack(d, None)
            if info is not None:
                packs.append(info)
        elif BOOK_DIR.match(d.name):
            packs.extend(p for p in (_pack(s, d.name) for s in sorted(d.iterdir())) if p)
    packs.sort(key=lambda p: (p.stamp, p.book or ""), reverse=True)
    return packs


def pack_row(info: PackInfo, prefix: str = "", folder_links: bool = True) -> PackRow:
    """The dashboard row of one pack; hrefs are ``prefix + rel + '/' + file``."""
    base = f"{prefix}{info.rel}/"
    files = info.files
    pdf = f"{info.stamp}_FixedIncome_MonitoringPack_3pages.pdf"
    pngs = tuple(
        (label, base + f"{info.stamp}_{suffix}.png")
        for suffix, label in PAGES
        if f"{info.stamp}_{suffix}.png" in files
    )
    csvs = tuple((n, base + n) for n in sorted(files) if n.endswith(".csv"))
    notebook = next((base + n for n in sorted(files) if n.endswith(".html")), None)
    n_b, n_w = read_counts(info.path / "portfolio_summary.csv")
    return PackRow(
        book=info.book or info.portfolio_name or "–",
        date=info.date,
        folder_href=base if folder_links else None,
        pdf=base + pdf if pdf in files else None,
        pngs=pngs,
        csvs=csvs,
        notebook=notebook,
        n_breach=n_b,
        n_warn=n_w,
    )


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def static_dashboard(out_dir: Path) -> Dashboard:
    """The dashboard data read from the pack folders (trend = one point per pack)."""
    packs = scan_packs(out_dir)
    snaps, alert_frames = [], []
    for p in packs:
        s = read_summary(p.path / "portfolio_summary.csv")
        name = p.book or p.portfolio_name or s.get("portfolio_name") or "portfolio"
        snaps.append(
            {
                "portfolio": name,
                "as_of": p.date,
                "n_breach": _float(s.get("n_breach")),
                "n_warn": _float(s.get("n_warn")),
                "duration_gap": _float(s.get("duration_gap")),
                "market_value": _float(s.get("market_value")),
            }
        )
        try:
            a = pd.read_csv(p.path / "alerts.csv", dtype={"ticker": str})
        except (OSError, ValueError):
            continue
        if {"rule", "severity"} <= set(a.columns) and len(a):
            alert_frames.append(a.assign(portfolio=name, as_of=p.date))
    snap = pd.DataFrame(
        snaps,
        columns=["portfolio", "as_of", "n_breach", "n_warn", "duration_gap", "market_value"],
    ).sort_values(["portfolio", "as_of"])
    history = pd.concat(alert_frames, ignore_index=True) if alert_frames else pd.DataFrame()
    return Dashboard(
        title="Fixed-income monitoring",
        portfolios=portfolio_views(snap),
        alerts=open_alerts(history, snap),
        packs=tuple(pack_row(p) for p in packs),
    )


def portfolio_views(snap: pd.DataFrame) -> tuple[PortfolioView, ...]:
    """Build one view per portfolio from snapshot rows.

    ``snap`` has columns ``portfolio, as_of, n_breach, n_warn, duration_gap, market_value``
    (any order); a portfolio's trend is every one of its rows, oldest first.
    """
    views = []
    snap = snap.sort_values(["portfolio", "as_of"])
    for name, g in snap.groupby("portfolio", sort=True):
        recs = g.to_dict("records")
        trend = tuple(
            TrendPoint(str(r["as_of"])[:10], r["n_breach"], r["n_warn"], r["duration_gap"])
            for r in recs
        )
        last = recs[-1]
        views.append(
            PortfolioView(
                name=str(name),
                as_of=str(last["as_of"])[:10],
                n_breach=last["n_breach"],
                n_warn=last["n_warn"],
                market_value=last["market_value"],
                duration_gap=last["duration_gap"],
                trend=trend,
            )
        )
    return tuple(views)


def render_index(out_dir: Path) -> str:
    """The HTML text of ``OUT/index.html`` (relative links only, no external resources)."""
    return render_dashboard(static_dashboard(out_dir))


def write_index(out_dir: Path) -> Path:
    """Write ``out_dir/index.html`` (the dashboard over every pack folder); returns its path.

    Written to a temp file in ``out_dir`` and renamed into place, so a reader never sees a
    half-written index. In a batch's output root (it has a ``firm/`` folder) the page is the
    batch index instead (:mod:`fimonitor.report.batch_index`: firm pages, books, and the
    packs written straight into ``out_dir``).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if (out_dir / "firm").is_dir():  # a batch's output root: keep its firm view and books
        return write_batch_index(out_dir)
    target = out_dir / "index.html"
    atomic_write_text(target, render_index(out_dir))
    log.info("wrote %s", target)
    return target
