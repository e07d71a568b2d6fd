"""Atomic writes, safe CSV text and YAML reading: the one place that knows how files are written.

A file is written to a temporary file in the same folder, flushed, then swapped in with
:func:`os.replace` (atomic on POSIX and Windows); on any failure the temporary file is removed
and the target is left exactly as it was. :func:`atomic_folder` does the same for a folder, in
two phases (build, then an optional ``commit`` callback such as the database record, then the
swap), and :func:`recover` restores or cleans what a killed run left behind.

Every CSV the project writes is produced by :func:`csv_text`, which neutralises spreadsheet
formulas (the OWASP rule: a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading ``'``); numbers stay numbers.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import signal
import stat
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from fimonitor.errors import ConfigError, InputError, cut

__all__ = [
    "FORMULA_PREFIXES",
    "FileCache",
    "atomic_folder",
    "atomic_write_bytes",
    "atomic_write_csv",
    "atomic_write_files",
    "atomic_write_text",
    "csv_text",
    "neutralise",
    "read_yaml",
    "recover",
    "sha256_file",
]

#: a text cell starting with one of these is a formula to a spreadsheet
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
#: hidden names of a run's temporary and backup folders: ``.NAME.tmp-PID-HEX``, ``.NAME.old-…``
_HIDDEN = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)-[0-9a-f]{8}$")
_COMMITTED = ".committed"  # marker inside a temp folder whose commit callback succeeded


# ------------------------------------------------------------------ test hooks (kill -9 points)
def checkpoint(name: str) -> None:
    """Test hook: stop here when ``FIMONITOR_TEST_KILL_AT`` / ``_PAUSE_AT`` name this point.

    ``FIMONITOR_TEST_KILL_AT=<name>`` sends SIGKILL to this process (a deterministic
    ``kill -9`` at that point); ``FIMONITOR_TEST_PAUSE_AT=<name>`` sleeps
    ``FIMONITOR_TEST_PAUSE_SECONDS`` (default 1) seconds. Unset, it does nothing.
    Points: ``before_commit``, ``after_commit``, ``between_renames``, ``after_swap``.
    """
    if os.environ.get("FIMONITOR_TEST_PAUSE_AT") == name:
        time.sleep(float(os.environ.get("FIMONITOR_TEST_PAUSE_SECONDS", "1")))
    if os.environ.get("FIMONITOR_TEST_KILL_AT") == name:  # pragma: no cover - the process dies
        os.kill(os.getpid(), signal.SIGKILL)


# ------------------------------------------------------------------ CSV text
def neutralise(value: Any) -> Any:
    """Return ``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula.

    Strings that are plain numbers (``-1.5``, ``+2e3``) are left alone, as are non-strings.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        if _NUMBER.match(value):
            return value
        return "'" + value
    return value


def _safe_column(col: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col):
        return col
    if pd.api.types.is_bool_dtype(col):
        return col
    return col.map(_safe_cell, na_action="ignore")


def _safe_cell(value: Any) -> Any:
    """:func:`neutralise`, then a carriage return inside text becomes a newline (quoted)."""
    value = neutralise(value)
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def _safe_labels(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex) or pd.api.types.is_numeric_dtype(index):
        return index
    if pd.api.types.is_datetime64_any_dtype(index):
        return index
    return pd.Index([_safe_cell(v) for v in index], name=_safe_cell(index.name))


def csv_text(
    frame: pd.DataFrame, *, index: bool = False, date_format: str | None = "%Y-%m-%d"
) -> str:
    """Return ``frame`` as CSV text with every formula-like text cell neutralised.

    Parameters
    ----------
    frame : pd.DataFrame
        The table. Numeric, boolean and date columns are written as they are (full
        precision, dates as ``date_format``); every text cell (and text header, index
        label) that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
        leading ``'`` unless it is a plain number; a carriage return inside a text cell
        becomes a newline, so that the cell is quoted and cannot end a row.
    index : bool
        Write the index as the first column(s).
    date_format : str or None
        Format of datetime values.

    Returns
    -------
    str
        The CSV, LF line ends.
    """
    if _is_float_matrix(frame, index):
        return _float_matrix_csv(frame, index)
    if not index:
        text = _column_csv(frame)
        if text is not None:
            return text
    return _pandas_csv(frame, index=index, date_format=date_format)


def _pandas_csv(frame: pd.DataFrame, *, index: bool, date_format: str | None) -> str:
    """:func:`csv_text` through pandas ``to_csv`` (any table)."""
    safe = frame.copy(deep=False)
    safe = pd.DataFrame(
        {i: _safe_column(safe.iloc[:, i]) for i in range(safe.shape[1])}, index=safe.index
    )
    safe.columns = _safe_labels(pd.Index(frame.columns)) if len(frame.columns) else frame.columns
    if index:
        safe.index = _safe_labels(frame.index)
    return safe.to_csv(index=index, lineterminator="\n", date_format=date_format)


def _column_fields(col: pd.Series) -> list[str] | None:
    """One CSV field per row of ``col`` as pandas ``to_csv`` writes it; None: not handled here.

    float64: :func:`float_rows` (``repr``, NaN empty); int64: ``str``; bool: ``True`` /
    ``False``; text (every value a ``str`` or missing): neutralised (:func:`_safe_cell`) and
    quoted (:func:`_quote`) once per distinct value, missing empty. Anything else (dates,
    categories, nullable or mixed objects) is None and the table goes through pandas.
    """
    dtype = col.dtype
    if dtype == np.float64:
        return float_rows(col.to_numpy()[:, None])
    if dtype == np.bool_:
        return ["True" if v else "False" for v in col.to_numpy().tolist()]
    if dtype == np.int64:
        return [str(v) for v in col.to_numpy().tolist()]
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return None
    if pd.api.types.infer_dtype(col, skipna=True) not in ("string", "empty"):
        return None
    codes, labels = pd.factorize(col, use_na_sentinel=True)  # a missing value: code -1
    text = [_quote(_safe_cell(v)) for v in labels.tolist()]
    text.append("")  # text[-1]: what a missing value is written as
    return [text[c] for c in codes.tolist()]


def _column_csv(frame: pd.DataFrame) -> str | None:
    """:func:`csv_text` without index, built column by column; None when pandas must write it.

    The same text as :func:`_pandas_csv` (``to_csv``, QUOTE_MINIMAL, LF line ends) for
    tables of float64, int64, bool and text columns with one-level labels, two columns or
    more (the csv module quotes a lone empty field, which this does not copy). Each column's
    fields come from :func:`_column_fields` (a float column through orjson, text once per
    distinct value), then rows are joined: ~3x faster than ``to_csv`` on the pack's
    mixed tables (alerts_history, asset_metrics, positions, orders at 1,000 tickers:
    0.09 s -> 0.035 s).
    """
    if frame.shape[1] < 2 or isinstance(frame.columns, pd.MultiIndex):
        return None
    columns = []
    for i in range(frame.shape[1]):
        fields = _column_fields(frame.iloc[:, i])
        if fields is None:
            return None
        columns.append(fields)
    header = ",".join(_quote(v) for v in _safe_labels(pd.Index(frame.columns)))
    return "\n".join([header, *map(",".join, zip(*columns, strict=True)), ""])


def _is_float_matrix(frame: pd.DataFrame, index: bool) -> bool:
    """True for an all-float64 table with plain (one-level, text) row labels."""
    if not len(frame.columns):
        return False
    if isinstance(frame.columns, pd.MultiIndex) or isinstance(frame.index, pd.MultiIndex):
        return False
    if index and (
        pd.api.types.is_numeric_dtype(frame.index)
        or pd.api.types.is_datetime64_any_dtype(frame.index)
    ):
        return False
    return all(dt == np.float64 for dt in frame.dtypes)


def _quote(label: Any) -> str:
    """One CSV field as pandas writes it (QUOTE_MINIMAL): quoted when it holds , " CR or LF."""
    text = "" if label is None or (isinstance(label, float) and label != label) else str(label)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _float_matrix_csv(frame: pd.DataFrame, index: bool) -> str:
    """:func:`csv_text` of an all-float64 table, the same text as pandas ``to_csv``, ~5x faster.

    Each value is its shortest round-trip repr (full precision), NaN an empty field,
    ``inf``/``-inf`` as such; labels neutralised and quoted. Rows go through
    :func:`float_rows`.
    """
    header = [_quote(v) for v in _safe_labels(pd.Index(frame.columns))]
    labels = [_quote(v) for v in _safe_labels(frame.index)] if index else None
    if index:
        name = _safe_cell(frame.index.name)
        header.insert(0, "" if name is None else _quote(name))
    rows = float_rows(frame.to_numpy(dtype=np.float64))
    if labels is not None:
        rows = [f"{label},{row}" for label, row in zip(labels, rows, strict=True)]
    return "\n".join([",".join(header), *rows, ""])


# orjson writes a float64 in positional notation with its shortest round-trip digits, which
# is exactly Python's repr for 0 and for 1e-4 <= |x| < 1e16; below and above, the notations
# differ (orjson 1e-7 / 0.00001 / 1e16, repr 1e-07 / 1e-05 / 1e+16).
_POSITIONAL = (1e-4, 1e16)
_BLOCK = 1 << 20  # values per orjson call: bounds the temporary text at ~20 MB
#: Stand-in for a value orjson would not write as repr: 17 significant digits, so its text
#: (the same in orjson and repr) is never part of another field's text except its negative.
_MARK = 0.30000000000000004
_MARK_TEXT = "0.30000000000000004"


def float_rows(values: np.ndarray) -> list[str]:
    """Each row of a 2-D float64 array as CSV fields: Python ``repr`` text, NaN empty.

    Parameters
    ----------
    values : np.ndarray
        2-D float64 array.

    Returns
    -------
    list of str
        One comma-joined line per row (no line end).

    Notes
    -----
    orjson (Rust, ~0.05 us per value; ``repr`` costs ~0.45 us) formats every value; its text
    is ``repr``'s for 0 and for ``1e-4 <= |x| < 1e16`` (checked on 2.3 M values of every
    magnitude in that range with orjson 3.8, 3.11 and 3.13, and in
    ``tests/test_fileio_floats.py``). The few other values (tiny, huge, infinite: orjson
    writes ``1e-7``, ``0.00001`` and ``null`` where ``repr`` writes ``1e-07``, ``1e-05`` and
    ``inf``) are written as a mark (:data:`_MARK`) and then replaced by their ``repr`` in
    their rows: a row split at the mark's text gives one more part than it has such values
    (else, when the row also holds the mark's value or its negative, the row is split into
    fields and they are put in by position). A 1,000 x 1,000 correlation matrix (1,224
    values below 1e-4 in ~700 rows) takes ~0.07 s instead of ~0.5 s with ``repr``.
    """
    import orjson  # 7 ms of import, paid only by packs that write a matrix

    n_rows, n_cols = values.shape
    if not n_cols:
        return [""] * n_rows
    size = np.abs(values)
    other = ((size < _POSITIONAL[0]) & (size > 0)) | (size >= _POSITIONAL[1])  # inf included
    del size
    fix = np.flatnonzero(other.any(axis=1)).tolist()  # rows holding such a value
    text = np.where(other, _MARK, values) if fix else values  # marked copy: only when needed
    rows: list[str] = []
    step = max(1, _BLOCK // n_cols)
    for start in range(0, n_rows, step):  # blocks of rows bound the temporary text
        block = np.ascontiguousarray(text[start : start + step])
        rows += orjson.dumps(block, option=orjson.OPT_SERIALIZE_NUMPY).decode()[2:-2].split("],[")
    del text
    for i in fix:
        olds = [repr(v) for v in values[i, other[i]].tolist()]
        parts = rows[i].split(_MARK_TEXT)
        if len(parts) == len(olds) + 1:  # exactly the marked fields (the usual case)
            pairs = zip(olds, parts[1:], strict=True)
            rows[i] = "".join([parts[0], *(piece for pair in pairs for piece in pair)])
        else:  # the row holds the mark's value itself: replace field by field
            cells = rows[i].split(",")
            for j, old in zip(np.flatnonzero(other[i]).tolist(), olds, strict=True):
                cells[j] = old
            rows[i] = ",".join(cells)
    return [row.replace("null", "") if "l" in row else row for row in rows]  # NaN -> empty


# ------------------------------------------------------------------ parsed-file cache
class FileCache:
    """Parsed files kept in this process, keyed by the file itself: a changed file is read again.

    Parameters
    ----------
    read : callable
        ``read(path)`` parses a file (and raises its own error for a bad one).
    keep : int or None
        Files kept at most (the oldest goes first); None keeps every file read.

    Notes
    -----
    The key is the real path (a symlink counts as its target, so books sharing one file
    read it once) and the file's inode, size and modification and change times. A new
    version of a path replaces the old one. ``read`` gets the path as the caller gave it; a
    path that cannot be stat'ed is read without caching, so that ``read`` names the problem.
    Callers get the kept object itself.
    """

    def __init__(self, read: Callable[[Path], Any], keep: int | None = None) -> None:
        self._read = read
        self._keep = keep
        self._kept: dict[tuple[str, int, int, int, int], Any] = {}

    def __call__(self, path: str | Path) -> Any:
        """The parsed ``path``: the kept one when the file has not changed, else read now."""
        real = os.path.realpath(path)
        try:
            st = os.stat(real)
        except OSError:
            return self._read(Path(path))
        key = (real, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if key not in self._kept:
            for old in [k for k in self._kept if k[0] == real]:  # an older version of the file
                del self._kept[old]
            while self._keep is not None and len(self._kept) >= self._keep:
                self._kept.pop(next(iter(self._kept)))
            self._kept[key] = self._read(Path(path))
        return self._kept[key]


# ------------------------------------------------------------------ atomic files
def atomic_write_bytes(
    path: str | Path, data: bytes, *, check: Callable[[], None] | None = None
) -> None:
    """Replace ``path`` by ``data``; ``check()`` runs just before the swap and may raise.

    An existing file keeps its permission bits; a new one gets 0644. A ``path`` that is an
    existing folder is an :class:`~fimonitor.errors.InputError`.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{cut(str(path))} is a folder, expected a file name")
    _ensure_folder(path.parent)
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
    """Replace ``path`` by ``frame`` as CSV (:func:`csv_text`: full precision, safe text)."""
    atomic_write_text(path, csv_text(frame, index=index))


def _ensure_folder(folder: Path) -> None:
    """Create ``folder``; a path that exists as a file is an InputError naming it."""
    for p in (folder, *folder.parents):
        if p.exists():
            if not p.is_dir():
                raise InputError(f"output folder {cut(str(folder))}: {cut(str(p))} is a file")
            break
    folder.mkdir(parents=True, exist_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the folder itself (POSIX; a no-op elsewhere)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _recover_unlocked(folder: Path) -> list[str]:
    done: list[str] = []
    if not folder.is_dir():
        return done
    hidden = [
        (m, p)
        for p in sorted(folder.iterdir(), key=lambda q: q.name)
        if (m := _HIDDEN.match(p.name)) is not None
    ]
    hidden = [(m, p) for m, p in hidden if not _alive(int(m["pid"]))]
    # roll forward a committed temp folder; else drop it
    for m, p in hidden:
        if m["kind"] != "tmp":
            continue
        final = folder / m["name"]
        if (p / _COMMITTED).is_file() and p.is_dir():
            (p / _COMMITTED).unlink()
            if final.exists():
                shutil.rmtree(final)
            os.replace(p, final)
            done.append(f"completed {final.name}")
        else:
            shutil.rmtree(p, ignore_errors=True)
            done.append(f"removed {p.name}")
    # restore a hidden earlier folder when its name is empty; else drop it
    for m, p in hidden:
        if m["kind"] != "old" or not p.exists():
            continue
        final = folder / m["name"]
        if final.exists():
            shutil.rmtree(p, ignore_errors=True)
            done.append(f"removed {p.name}")
        else:
            os.replace(p, final)
            done.append(f"restored {final.name}")
    return done


def recover(folder: str | Path) -> list[str]:
    """Restore or clean what killed runs left in ``folder``; return what was done.

    A run's temporary folder is ``.NAME.tmp-PID-HEX`` and the earlier folder it replaces is
    hidden as ``.NAME.old-PID-HEX`` for the instant between two renames. For every such folder
    whose process ``PID`` is no longer alive (a folder of a live run is never touched):

    * a temp folder whose commit had succeeded (it holds a ``.committed`` marker) is moved to
      ``NAME`` (the run is completed: its database record was written);
    * any other temp folder is deleted;
    * a hidden earlier folder is moved back to ``NAME`` when ``NAME`` is missing, else deleted.

    Runs in the same folder are serialised by an exclusive ``flock`` on the folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    with _locked(folder):
        return _recover_unlocked(folder)


@contextlib.contextmanager
def atomic_folder(
    final: str | Path, *, commit: Callable[[Path], None] | None = None
) -> Iterator[Path]:
    """Yield a temp folder; on success it replaces ``final``; on failure it is removed.

    Parameters
    ----------
    final : path
        The folder to publish (e.g. ``OUT/20260430``); its parent is created when missing.
    commit : callable, optional
        ``commit(tmp)`` runs once the temp folder is complete and before the swap, under the
        folder lock (e.g. the database record). When it raises, the temp folder is removed,
        ``final`` is untouched and the exception propagates: folder and commit succeed or
        fail together.

    Notes
    -----
    Order: :func:`recover` the parent; build in ``.NAME.tmp-PID-HEX``; take the lock; run
    ``commit``; mark the temp folder committed; rename ``final`` to ``.NAME.old-PID-HEX``;
    rename the temp folder to ``final``; delete the old folder; release the lock.
    """
    final = Path(final)
    _ensure_folder(final.parent)
    recover(final.parent)
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp = final.parent / f".{final.name}.tmp-{tag}"
    tmp.mkdir()
    try:
        yield tmp
        checkpoint("before_commit")
        with _locked(final.parent):
            if commit is not None:
                commit(tmp)
            (tmp / _COMMITTED).touch()
            checkpoint("after_commit")
            backup = None
            if final.exists():
                backup = final.parent / f".{final.name}.old-{tag}"
                os.replace(final, backup)
            checkpoint("between_renames")
            (tmp / _COMMITTED).unlink()
            try:
                os.replace(tmp, final)
            except BaseException:
                if backup is not None:
                    os.replace(backup, final)
                raise
            checkpoint("after_swap")
            if backup is not None:
                shutil.rmtree(backup, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
        File name -> payload: a DataFrame (:func:`csv_text`: no index, ISO dates, LF line
        ends, formulas neutralised), ``bytes``, ``str`` (UTF-8) or an object with ``savefig``
        (a matplotlib Figure, saved at ``dpi``).
    """
    out = Path(folder)
    _ensure_folder(out)
    recover(out)
    tmp = out / f".write.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        for name, payload in files.items():
            target = tmp / name
            if isinstance(payload, pd.DataFrame):
                target.write_text(csv_text(payload), encoding="utf-8")
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


def is_disk_full(exc: BaseException) -> bool:
    """Tell whether ``exc`` is an out-of-space error (ENOSPC / EDQUOT)."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1))


# ------------------------------------------------------------------ YAML
class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (``*name``): no billion-laughs expansion."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasFound(event.start_mark.line + 1)
        return super().compose_node(parent, index)


class _AliasFound(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file safely.

    Raises
    ------
    ConfigError
        The file is missing, not UTF-8 text, not valid YAML (with the line), or uses a YAML
        alias (``*name``; refused so that a small file cannot expand to gigabytes).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError("file not found", file=path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            file=path,
            row=line,
        ) from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)
    except _AliasFound as exc:
        raise ConfigError(
            "uses a YAML alias (*name); aliases are not allowed, write the value out",
            file=path,
            row=exc.line,
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise ConfigError(
            f"not valid YAML ({cut(str(getattr(exc, 'problem', exc)))})", file=path, row=row
        ) from None


def finite(value: Any) -> bool:
    """Tell whether ``value`` is a real finite number (not bool, NaN or inf)."""
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and bool(np.isfinite(value))
    )
