"""Pack files for ``/packs``: which file a URL may reach, and its validator.

A URL names ``[book/]YYYYMMDD/file``. It is served only when every part is a plain name
(``YYYYMMDD`` eight digits, book and file ``[A-Za-z0-9][A-Za-z0-9_.-]*``: no separator, no
``..``, no leading dot), the file is one that :func:`fimonitor.report.index.pack_files` lists
for that pack (its manifest's outputs), no part of the path is a symlink, and the resolved path
lies inside the resolved packs folder. Anything else is "not found" — the API never says why.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import threading
from pathlib import Path

from fimonitor.report.index import BOOK_DIR, FILE_NAME, PACK_DIR, pack_files

MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".ipynb": "application/x-ipynb+json",
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".png": "image/png",
}

_etag_lock = threading.Lock()
_etags: dict[tuple[str, int, int], str] = {}


def resolve(packs_dir: Path, book: str | None, stamp: str, name: str) -> Path | None:
    """The file's real path, or None when the URL must not reach a file (see module doc)."""
    if not PACK_DIR.match(stamp) or not FILE_NAME.match(name):
        return None
    if book is not None and not BOOK_DIR.match(book):
        return None
    root = Path(packs_dir).resolve()
    parent = Path(packs_dir) if book is None else Path(packs_dir) / book
    folder = parent / stamp
    candidate = folder / name
    if any(p.is_symlink() for p in (parent, folder, candidate)):
        return None
    if not folder.is_dir() or name not in pack_files(folder):
        return None
    try:
        real = candidate.resolve(strict=True)
    except OSError:
        return None
    if not real.is_relative_to(root) or real.parent != folder.resolve() or not real.is_file():
        return None
    return real


def etag(path: Path) -> str:
    """Strong ETag: the quoted sha256 of the content (cached by path, mtime and size)."""
    st = os.stat(path)
    key = (str(path), st.st_mtime_ns, st.st_size)
    with _etag_lock:
        cached = _etags.get(key)
    if cached is not None:
        return cached
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    tag = f'"{h.hexdigest()}"'
    with _etag_lock:
        _etags[key] = tag
    return tag


def media_type(path: Path) -> str:
    """Content type by extension (``application/octet-stream`` when unknown)."""
    return MEDIA_TYPES.get(path.suffix.lower()) or (
        mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )


def etag_matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an ``If-None-Match`` header matches ``tag`` (``*`` or a list, weak or strong)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(t.strip().removeprefix("W/") == tag for t in if_none_match.split(","))
