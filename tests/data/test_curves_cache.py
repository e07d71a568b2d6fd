"""read_treasury_curve keeps the parsed curve per file: same tables as a fresh read."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from fimonitor.analytics.exposures import compute_history
from fimonitor.analytics.performance_tables import performance_tables
from fimonitor.data import curves
from fimonitor.errors import InputError

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def parses(monkeypatch):
    """Count the file parses behind read_treasury_curve."""
    n = [0]
    read = curves.read_curve

    def counted(*args, **kwargs):
        n[0] += 1
        return read(*args, **kwargs)

    monkeypatch.setattr(curves, "read_curve", counted)
    return n


def _copy(folder: Path, name: str = "treasury_yields.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(DATA / "treasury_yields.csv", folder / name))


def test_kept_curve_equals_a_fresh_read(tmp_path, parses):
    path = _copy(tmp_path / "a")
    first = curves.read_treasury_curve(path)
    again = curves.read_treasury_curve(str(path))
    assert parses[0] == 1  # the second call did not parse
    assert again is not first  # each caller gets its own frame
    fresh = curves.read_treasury_curve(_copy(tmp_path / "b"))  # another file: parsed
    assert parses[0] == 2
    pd.testing.assert_frame_equal(again, fresh)


def test_changing_the_returned_frame_leaves_the_kept_curve(tmp_path, parses):
    path = _copy(tmp_path)
    a = curves.read_treasury_curve(path)
    expected = a.copy()
    a.iloc[0, 0] = -1.0
    a[99.0] = 0.0
    b = curves.read_treasury_curve(path)
    assert parses[0] == 1
    pd.testing.assert_frame_equal(b, expected)


def test_a_rewritten_file_is_read_again(tmp_path, parses):
    path = _copy(tmp_path / "a")
    before = curves.read_treasury_curve(path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-4]) + "\n")  # drop the last four dates
    after = curves.read_treasury_curve(path)
    assert parses[0] == 2
    pd.testing.assert_frame_equal(after, before.iloc[:-4])


def test_missing_file_is_still_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"treasury_yields\.csv"):
        curves.read_treasury_curve(tmp_path / "treasury_yields.csv")


def test_performance_tables_same_with_a_kept_curve(tiny_book, tmp_path, parses):
    """The pack's rate attribution from a kept curve equals the one from a fresh read."""
    for name in ("a", "b"):
        _copy(tmp_path / name)
    h = compute_history(tiny_book)
    first = performance_tables(replace(tiny_book, data_dir=tmp_path / "a"), h, h.dates[-1])
    kept = performance_tables(replace(tiny_book, data_dir=tmp_path / "a"), h, h.dates[-1])
    assert parses[0] == 1
    fresh = performance_tables(replace(tiny_book, data_dir=tmp_path / "b"), h, h.dates[-1])
    assert parses[0] == 2
    for name in fresh:
        pd.testing.assert_frame_equal(kept[name], fresh[name])
        pd.testing.assert_frame_equal(first[name], fresh[name])
    assert fresh["rate_attribution"].notna().any().any()
