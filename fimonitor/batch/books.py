"""The books of a batch: a ``books.yaml`` list or a folder of book folders.

``books.yaml`` is a list of mappings ``{name, data, config, tags}``; ``data`` (the book's
input folder) and ``config`` (its rules file, default ``<data>/monitor.yaml``) are relative to
the YAML file's folder; ``tags`` is an optional list of strings. ``--books DIR`` without a
``books.yaml`` takes every sub-folder holding a ``monitor.yaml`` as a book named after the
folder. A book's name is its ``portfolio_id`` in the history database and its folder under
the output root, so names must be unique and usable as folder names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fimonitor.errors import ConfigError, InputError
from fimonitor.fileio import read_yaml

__all__ = ["BookSpec", "read_books"]

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
RESERVED = {"firm"}
KEYS = ("name", "data", "config", "tags")


@dataclass(frozen=True)
class BookSpec:
    """One book of a batch.

    Attributes
    ----------
    name : str
        Folder under OUT and ``portfolio_id`` in the history database.
    data : Path
        The book's input folder (CONTRACT section 2).
    config : Path
        The book's rules file.
    tags : tuple of str
        Free labels (e.g. a desk or a client), kept for the firm view.
    """

    name: str
    data: Path
    config: Path
    tags: tuple[str, ...] = field(default_factory=tuple)


def _check_name(name: object, file: Path, row: int | None) -> str:
    text = str(name).strip() if name is not None else ""
    if not NAME.match(text) or text.lower() in RESERVED:
        raise ConfigError(
            f"book name {text!r} is not a folder name (letters, digits, _ . -; not 'firm')",
            file=file,
            row=row,
        )
    return text


def _from_yaml(path: Path) -> list[BookSpec]:
    raw = read_yaml(path)
    if isinstance(raw, dict) and "books" in raw:
        raw = raw["books"]
    if not isinstance(raw, list) or not raw:
        raise ConfigError(
            "expected a non-empty list of books {name, data, config, tags}", file=path
        )
    base = path.parent
    books = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ConfigError(f"book {i} is not a mapping", file=path)
        unknown = sorted(set(item) - set(KEYS))
        if unknown:
            raise ConfigError(f"book {i}: unknown key {unknown[0]!r}", file=path)
        name = _check_name(item.get("name"), path, None)
        if item.get("data") is None:
            raise ConfigError(f"book {name}: 'data' (input folder) is missing", file=path)
        data = (base / str(item["data"])).resolve()
        config = (
            (base / str(item["config"])).resolve() if item.get("config") else data / "monitor.yaml"
        )
        tags = item.get("tags") or ()
        if isinstance(tags, str):
            tags = (tags,)
        books.append(BookSpec(name, data, config, tuple(str(t) for t in tags)))
    return books


def _from_folder(folder: Path) -> list[BookSpec]:
    books = [
        BookSpec(_check_name(d.name, d, None), d.resolve(), (d / "monitor.yaml").resolve())
        for d in sorted(folder.iterdir())
        if d.is_dir() and (d / "monitor.yaml").is_file()
    ]
    if not books:
        raise InputError(f"books folder {folder} has no sub-folder with a monitor.yaml")
    return books


def read_books(path: str | Path) -> list[BookSpec]:
    """Read the books of a batch.

    Parameters
    ----------
    path : str or Path
        A ``books.yaml`` file, or a folder: its ``books.yaml`` when present, else every
        sub-folder with a ``monitor.yaml``.

    Returns
    -------
    list of BookSpec
        In file (or folder-name) order.

    Raises
    ------
    InputError
        A missing path, a bad entry, or a duplicate name (one line naming it).
    """
    path = Path(path)
    if path.is_dir():
        books = _from_yaml(path / "books.yaml") if (path / "books.yaml").is_file() else None
        books = books if books is not None else _from_folder(path)
    elif path.is_file():
        books = _from_yaml(path)
    else:
        raise InputError(f"books file or folder {path} does not exist")
    seen: set[str] = set()
    for b in books:
        if b.name in seen:
            raise ConfigError(f"book name {b.name!r} is used twice", file=path)
        seen.add(b.name)
    return books
