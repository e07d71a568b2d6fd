"""The one-click notebook runs top to bottom under papermill and writes the pack.

``fimonitor.pipeline`` is imported at test time (not at collection) so that a missing
``run_pack`` fails this test loudly instead of breaking the collection of the whole suite.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "fimonitor" / "notebooks" / "monitoring_pack.ipynb"  # the package data
USER_COPY = REPO / "notebooks" / "monitoring_pack.ipynb"  # the copy users open
PARAMETERS = {
    "as_of": "latest",
    "data_dir": None,
    "config": None,
    "output_dir": None,
    "db": None,
    "previous_as_of": "auto",
}


def test_user_copy_is_the_package_notebook():
    from fimonitor.paths import notebook_path

    assert notebook_path().resolve() == NOTEBOOK.resolve()
    assert USER_COPY.read_bytes() == NOTEBOOK.read_bytes(), (
        "notebooks/monitoring_pack.ipynb must be a copy of fimonitor/notebooks/: "
        "cp fimonitor/notebooks/monitoring_pack.ipynb notebooks/"
    )


def test_parameters_cell_is_tagged_with_typed_defaults():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    src = tagged[0].source
    ns: dict = {}
    exec(src, ns)  # the cell is plain assignments
    assert {k: ns[k] for k in PARAMETERS} == PARAMETERS
    for name in PARAMETERS:
        line = next(x for x in src.splitlines() if x.startswith(f"{name}:"))
        assert "#" in line, f"{name} has no help comment"
    calls = [c.source for c in nb.cells if c.cell_type == "code" and "run_pack(" in c.source]
    assert len(calls) == 1 and "pack_dir = fimonitor.pipeline.run_pack(" in calls[0]


def test_papermill_sees_every_parameter_with_help():
    import papermill as pm

    found = pm.inspect_notebook(str(NOTEBOOK))
    assert set(found) == set(PARAMETERS)
    assert all(p["help"] for p in found.values())
    for name in ("config", "data_dir", "output_dir", "db"):
        assert found[name]["inferred_type_name"] == "Optional[str]"


def test_papermill_from_the_repository_root(tmp_path):
    """``papermill notebooks/monitoring_pack.ipynb out.ipynb -p as_of D`` run from the root."""
    import subprocess
    import sys

    root = tmp_path / "root"
    (root / "notebooks").mkdir(parents=True)
    (root / "data").symlink_to(REPO / "data", target_is_directory=True)
    (root / "notebooks" / "monitoring_pack.ipynb").write_bytes(USER_COPY.read_bytes())
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "papermill", "notebooks/monitoring_pack.ipynb", "out.ipynb"]
    done = subprocess.run(
        [*cmd, "-p", "as_of", "2026-03-13", "--no-progress-bar"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (root / "outputs" / "20260313" / "portfolio_summary.csv").is_file()


@pytest.mark.slow
def test_run_all_with_defaults_from_notebooks_folder(tmp_path):
    """Run All as a user would: defaults, cwd = notebooks/, data in ../data, pack in ../outputs."""
    from nbclient import NotebookClient

    from fimonitor import pipeline

    assert callable(pipeline.run_pack)
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "data").symlink_to(REPO / "data", target_is_directory=True)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(tmp_path / "notebooks")}},
    ).execute()
    packs = [p for p in (tmp_path / "outputs").iterdir() if p.is_dir()]
    assert len(packs) == 1
    assert (packs[0] / f"{packs[0].name}_FixedIncome_MonitoringPack_3pages.pdf").is_file()


@pytest.mark.slow
def test_notebook_runs_under_papermill(tmp_path):
    import papermill as pm

    from fimonitor import pipeline

    assert callable(pipeline.run_pack)
    out = tmp_path / "out"
    executed = tmp_path / "executed.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK),
        str(executed),
        parameters={
            "as_of": "latest",
            "data_dir": str(REPO / "data"),
            "config": None,
            "output_dir": str(out),
            "db": f"sqlite:///{tmp_path / 'h.sqlite'}",
        },
        cwd=str(NOTEBOOK.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    folders = [p for p in out.iterdir() if p.is_dir()]
    assert len(folders) == 1
    stamp = folders[0].name
    names = {p.name for p in folders[0].iterdir()}
    assert {
        f"{stamp}_FixedIncome_MonitoringPack_3pages.pdf",
        f"{stamp}_one_page_summary.png",
        f"{stamp}_weekly_pack.png",
        f"{stamp}_rebalance_pack.png",
        "portfolio_summary.csv",
        "manifest.json",
    } <= names
    assert (out / "index.html").is_file()

    nb = nbformat.read(executed, as_version=4)
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    images = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    assert len(images) == 3  # the three pages, displayed
    html_tables = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "text/html" in o.get("data", {}) and "<table" in o["data"]["text/html"]
    ]
    assert len(html_tables) >= 4
    manifest = json.loads((folders[0] / "manifest.json").read_text())
    assert manifest["as_of"].replace("-", "") == stamp
