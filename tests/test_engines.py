"""Pack engines: the registry, and a failing notebook kernel (exit 1, notebook kept)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_tiny_book

from fimonitor import engines
from fimonitor.cli import main


def test_registry_names_both_engines_and_the_cli_offers_them():
    from fimonitor.commands.pack import ENGINE_CHOICES

    assert engines.engine_names() == ["direct", "notebook"]
    assert tuple(engines.engine_names()) == ENGINE_CHOICES
    with pytest.raises(KeyError, match="unknown engine"):
        engines.run_engine("nope", engines.PackRequest())


def test_direct_engine_writes_through_the_one_writer(tmp_path):
    data = write_tiny_book(tmp_path / "d")
    run = engines.run_engine(
        "direct", engines.PackRequest(as_of="2024-02-03", data_dir=data, output_dir=tmp_path / "o")
    )
    assert run.folder == tmp_path / "o" / "20240202"
    assert "2024-02-03 is not an NYSE trading day" in run.note
    manifest = json.loads((run.folder / "manifest.json").read_text())
    assert manifest["engine"] == "direct"
    assert (tmp_path / "o" / "fimonitor.sqlite").is_file()


def _failing_notebook(path: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        "as_of = 'latest'\ndata_dir = None\nconfig = None\noutput_dir = None\ndb = None"
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("raise RuntimeError('kernel-side failure')")]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_failed_notebook_exits_1_and_keeps_the_executed_notebook(tmp_path, monkeypatch, capsys):
    data = write_tiny_book(tmp_path / "d")
    bad = _failing_notebook(tmp_path / "bad.ipynb")
    monkeypatch.setattr(engines, "notebook_path", lambda: bad)
    out = tmp_path / "o"
    code = main(["pack", "--data", str(data), "--out", str(out), "--engine", "notebook"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "notebook failed" in err and "kernel-side failure" in err
    kept = out / "failed" / "20240209_monitoring_pack.ipynb"
    assert kept.is_file()
    assert "kernel-side failure" in kept.read_text()
    assert not (out / "20240209").exists()  # no pack folder written
