"""Comparing output folders: every CSV's bytes and every manifest without its creation time."""

from __future__ import annotations

import json
from pathlib import Path


def csv_files(out: Path) -> dict[str, bytes]:
    """Every CSV under OUT (packs and firm view), relative path -> bytes."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.csv"))}


def manifests(out: Path) -> dict[str, dict]:
    """Every manifest without its volatile field (creation time)."""
    found = {}
    for p in sorted(out.rglob("manifest.json")):
        m = json.loads(p.read_text())
        m.pop("created")
        found[p.relative_to(out).as_posix()] = m
    return found
