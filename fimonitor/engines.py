"""Pack engines: ways to produce one monitoring pack, all written by one atomic writer.

An engine takes a :class:`PackRequest` and returns a :class:`PackRun` (the written
``OUT/YYYYMMDD`` folder and the as-of note, if the date was moved). Every
engine computes the pack with :func:`fimonitor.pipeline.build_pack` and writes it with
:func:`fimonitor.report.write.write_pack` (``engine=`` its name, ``extra=`` its own files), so
the CSVs, pages and manifest are the same whichever engine ran.

``direct``
    Build and write in this process.
``notebook``
    Also execute the bundled notebook (``fimonitor/notebooks/monitoring_pack.ipynb``) with
    papermill in a scratch folder, check that the tables it wrote equal this process's, and add
    the executed notebook and its HTML to the pack. When the kernel fails, the executed notebook
    is kept as ``OUT/failed/YYYYMMDD_monitoring_pack.ipynb`` and :class:`NotebookError` is
    raised (an internal error: exit code 1).

New engines register with :func:`register`; ``fimonitor pack --engine`` offers
:func:`engine_names`.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fimonitor.dates import stamp
from fimonitor.paths import NOTEBOOK_NAME, default_data_dir, notebook_path
from fimonitor.pipeline import (
    as_of_note,
    build_pack,
    default_db_url,
    load_inputs,
    open_history,
    previous_pack_date,
    publish,
    resolve_as_of,
)

__all__ = [
    "ENGINES",
    "NotebookError",
    "PackRequest",
    "PackRun",
    "engine_names",
    "register",
    "run_engine",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackRequest:
    """What one pack run needs.

    Attributes
    ----------
    as_of : str
        ``YYYY-MM-DD`` or ``"latest"`` (resolved by :func:`fimonitor.pipeline.resolve_as_of`).
    data_dir : Path or None
        The input folder; None uses :func:`fimonitor.paths.default_data_dir`.
    config : Path or None
        The rules file; None uses ``<data_dir>/monitor.yaml``.
    output_dir : Path
        The output root; the pack goes to ``output_dir/YYYYMMDD``.
    db : str or None
        History database URL; None uses ``sqlite:///<output_dir>/fimonitor.sqlite``.
    """

    as_of: str = "latest"
    data_dir: Path | None = None
    config: Path | None = None
    output_dir: Path = Path("outputs")
    db: str | None = None


@dataclass(frozen=True)
class PackRun:
    """What an engine did: the written pack folder and the as-of note (None if not moved)."""

    folder: Path
    note: str | None = None


Engine = Callable[[PackRequest], PackRun]
ENGINES: dict[str, Engine] = {}


class NotebookError(RuntimeError):
    """The notebook kernel failed (not an input problem: the CLI exits with code 1)."""


def register(name: str) -> Callable[[Engine], Engine]:
    """Register an engine under ``name`` (a decorator)."""

    def wrap(fn: Engine) -> Engine:
        ENGINES[name] = fn
        return fn

    return wrap


def engine_names() -> list[str]:
    """Return registered engine names, ``direct`` first."""
    return sorted(ENGINES, key=lambda n: (n != "direct", n))


def run_engine(name: str, request: PackRequest) -> PackRun:
    """Run the engine ``name`` on ``request``."""
    if name not in ENGINES:
        raise KeyError(f"unknown engine {name!r}; known: {', '.join(engine_names())}")
    return ENGINES[name](request)


@register("direct")
def direct(request: PackRequest) -> PackRun:
    """Build the pack in this process and write it (the engine of ``fimonitor pack``)."""
    book, config = load_inputs(request.data_dir or default_data_dir(), request.config)
    out = Path(request.output_dir)
    url = request.db or default_db_url(out)
    store = open_history(url)  # a bad URL fails before anything is computed
    try:
        d = resolve_as_of(book, request.as_of, config.max_stale_days).date
        prev = previous_pack_date(out, store, config.portfolio_name, d)
        pack = build_pack(book, config, request.as_of, previous_as_of=prev)
        folder = publish(pack, out, store or url, config, engine="direct")
    finally:
        if store is not None:
            store.close()
    return PackRun(folder, as_of_note(pack))


@register("notebook")
def notebook(request: PackRequest) -> PackRun:
    """Execute the bundled notebook too, and add it (executed) and its HTML to the pack."""
    import papermill as pm
    from nbconvert import HTMLExporter

    data = Path(request.data_dir or default_data_dir()).resolve()
    book, config = load_inputs(data, request.config)
    out = Path(request.output_dir).resolve()
    url = request.db or default_db_url(out)
    store = open_history(url)  # a bad URL fails before anything is computed
    d = resolve_as_of(book, request.as_of, config.max_stale_days).date
    prev = previous_pack_date(out, store, config.portfolio_name, d)
    pack = build_pack(book, config, request.as_of, previous_as_of=prev)
    s = stamp(pack.as_of)
    with tempfile.TemporaryDirectory(prefix="fimonitor-nb-") as tmp_name:
        tmp = Path(tmp_name)
        executed = tmp / f"{s}_{NOTEBOOK_NAME}"
        params = {
            "as_of": pack.as_of.date().isoformat(),
            "data_dir": str(data),
            "config": str(Path(request.config).resolve()) if request.config else None,
            "output_dir": str(tmp / "pack"),
            "db": f"sqlite:///{(tmp / 'scratch.sqlite').as_posix()}",
            "previous_as_of": prev.date().isoformat() if prev is not None else None,
        }
        try:
            pm.execute_notebook(
                str(notebook_path()),
                str(executed),
                parameters=params,
                cwd=str(tmp),
                progress_bar=False,
                kernel_name="python3",
                log_output=False,
            )
        except Exception as exc:  # a failed cell or a dead kernel
            kept = _keep(executed, out / "failed")
            detail = f"{exc.ename}: {exc.evalue}" if hasattr(exc, "ename") else repr(exc)
            raise NotebookError(
                f"notebook failed ({detail}); executed notebook kept at {kept}"
            ) from exc
        html_text, _ = HTMLExporter().from_filename(str(executed))
        html = tmp / f"{s}_monitoring_pack.html"
        html.write_text(html_text, encoding="utf-8")
        try:
            folder = publish(
                pack,
                out,
                store or url,
                config,
                engine="notebook",
                extra={executed.name: executed, html.name: html},
            )
        finally:
            if store is not None:
                store.close()
        _same_tables(tmp / "pack" / s, folder)
    return PackRun(folder, as_of_note(pack))


def _keep(executed: Path, folder: Path) -> Path | None:
    """Copy the executed notebook (if papermill wrote one) into ``folder``."""
    if not executed.is_file():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(executed, folder / executed.name))


def _same_tables(notebook_pack: Path, folder: Path) -> None:
    """Every CSV the notebook wrote equals, byte for byte, the one written here."""
    for csv in sorted(notebook_pack.glob("*.csv")):
        mine = folder / csv.name
        if not mine.is_file() or mine.read_bytes() != csv.read_bytes():
            raise NotebookError(f"the notebook's {csv.name} differs from the direct engine's")
