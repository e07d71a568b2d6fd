"""Default locations: the input folder, the output folder and the bundled notebook.

The defaults work from the repository root, from its ``notebooks/`` folder (where a user runs
the notebook) and from an installed wheel (the notebook ships inside the package).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["NOTEBOOK_NAME", "REPO_ROOT", "default_data_dir", "default_output_dir", "notebook_path"]

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_NAME = "monitoring_pack.ipynb"


def default_data_dir() -> Path:
    """Return the input folder used when none is given.

    Returns
    -------
    Path
        ``./data`` when it exists, else ``../data`` (the working directory is ``notebooks/``),
        else the demo book beside the package in a source checkout, else ``./data`` (which
        then fails with "file not found" when read).
    """
    for candidate in (Path("data"), Path("..") / "data", REPO_ROOT / "data"):
        if candidate.is_dir():
            return candidate
    return Path("data")


def default_output_dir(data_dir: str | Path) -> Path:
    """Return ``outputs`` beside the input folder (``data/`` -> ``outputs/``)."""
    return Path(data_dir).parent / "outputs"


def notebook_path() -> Path:
    """Return the monitoring-pack notebook shipped as package data (``fimonitor/notebooks/``)."""
    return Path(str(resources.files("fimonitor") / "notebooks" / NOTEBOOK_NAME))
