"""Atomic writes and YAML reading: the one place that knows how files are replaced safely.

A file is written to a temporary file in the same folder, flushed, then swapped in with
:func:`os.replace` (atomic on POSIX and Windows); on any failure the temporary file is removed
and the target is left exactly as it was. :func:`atomic_folder` does the same for a folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from fimonitor.errors import ConfigError


def atomic_write_bytes(
    path: str | Path, data: bytes, *, check: Callable[[], None] | None = None
) -> None:
    """Replace ``path`` by ``data``; ``check()`` runs just before the swap and may raise.

    An existing file keeps its permission bits; a new one gets 0644.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
        os.chmod(tmp, mode)
        if check is not None:
            check()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str, **kw: Any) -> None:
    """Replace ``path`` by ``text`` (UTF-8, newlines as given)."""
    atomic_write_bytes(path, text.encode("utf-8"), **kw)


def atomic_write_csv(frame: pd.DataFrame, path: str | Path, *, index: bool = False) -> None:
    """Replace ``path`` by ``frame`` as CSV (full precision, LF line ends)."""
    atomic_write_text(path, frame.to_csv(index=index, lineterminator="\n"))


@contextlib.contextmanager
def atomic_folder(final: str | Path) -> Iterator[Path]:
    """Yield a temp folder; on success it replaces ``final``; on failure it is removed."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    backup = None
    if final.exists():
        backup = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(final, backup)
    try:
        os.replace(tmp, final)
    except BaseException:
        if backup is not None:
            os.replace(backup, final)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def sha256_file(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes (read in 1 MiB chunks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def atomic_write_files(folder: str | Path, files: dict[str, Any], *, dpi: int = 120) -> None:
    """Write several files into ``folder``, each replaced atomically, all or none prepared.

    Every payload is first written into a temporary folder inside ``folder``; only when all
    were written is each moved into place with :func:`os.replace`.

    Parameters
    ----------
    folder : path
        The destination folder (created when missing).
    files : dict
        File name -> payload: a DataFrame (CSV, no index, ISO dates, LF line ends),
        ``bytes``, ``str`` (UTF-8) or an object with ``savefig`` (a matplotlib Figure, saved
        at ``dpi``).
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".write.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        for name, payload in files.items():
            target = tmp / name
            if isinstance(payload, pd.DataFrame):
                payload.to_csv(target, index=False, lineterminator="\n", date_format="%Y-%m-%d")
            elif isinstance(payload, bytes):
                target.write_bytes(payload)
            elif isinstance(payload, str):
                target.write_text(payload, encoding="utf-8")
            else:
                payload.savefig(target, dpi=dpi)
        for name in files:
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file; a missing file or bad YAML is a :class:`ConfigError` with the line."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("file not found", file=path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise ConfigError(
            f"not valid YAML ({getattr(exc, 'problem', exc)})", file=path, row=row
        ) from exc
