"""fileio: float_rows (orjson for the positional range, repr elsewhere) and FileCache."""

from __future__ import annotations

import numpy as np
import pytest

from fimonitor import fileio


def reference(values: np.ndarray) -> list[str]:
    """Each row joined from Python's repr, NaN as an empty field (pandas' to_csv text)."""
    return [",".join("" if v != v else repr(v) for v in row) for row in values.tolist()]


def magnitudes(n: int, seed: int) -> np.ndarray:
    """Values of every magnitude from 1e-9 to 1e20, both signs, short and long digits."""
    rng = np.random.default_rng(seed)
    mant = rng.uniform(1, 10, n)
    exp = rng.integers(-9, 21, n)
    v = mant * 10.0**exp * rng.choice([-1.0, 1.0], n)
    short = np.array(
        [
            round(x, int(d))
            for x, d in zip(rng.uniform(-1, 1, n), rng.integers(1, 17, n), strict=True)
        ]
    )
    ints = rng.integers(-(10**15), 10**15, n).astype(float)
    return np.concatenate([v, short, ints])


@pytest.mark.parametrize("seed", [0, 1])
def test_positional_values_are_written_as_repr(seed):
    """Rows that orjson formats: every value 0 or 1e-4 <= |x| < 1e16 (2 x 300,000 values)."""
    v = magnitudes(100_000, seed)
    v = v[(v == 0) | ((np.abs(v) >= 1e-4) & (np.abs(v) < 1e16))]
    v = np.concatenate([v, [0.0, -0.0, 1e-4, 9.999999999999998e15, 0.1 + 0.2, 1 / 3, 2.5]])
    v = v[: len(v) // 50 * 50].reshape(-1, 50)
    v[::7, 3] = np.nan
    assert fileio.float_rows(v) == reference(v)


def test_mixed_rows_and_small_blocks(monkeypatch):
    """Rows with tiny, huge or infinite values go through repr; blocks join back in order."""
    monkeypatch.setattr(fileio, "_BLOCK", 64)  # many orjson calls of a few rows each
    v = magnitudes(20_000, 3)[: 60_000 // 40 * 40].reshape(-1, 40)
    v[5] = np.inf
    v[6, 0] = -np.inf
    v[7, 1] = 5e-324
    v[8] = np.nan
    v[9, 2:5] = 1e-6  # three adjacent equal fields to replace (they share commas)
    v[10, :] = -2.5e-5  # a whole row of them
    got = fileio.float_rows(v)
    assert got == reference(v)
    assert got[8] == "," * 39


def test_correlation_sized_matrix_round_trips():
    """A 300 x 300 matrix of values in [-1, 1] (the correlations.csv case) reads back exactly."""
    rng = np.random.default_rng(5)
    r = np.tanh(rng.standard_normal((300, 300)))
    r[0, 0] = 1e-5  # one row through repr
    rows = fileio.float_rows(r)
    assert rows == reference(r)
    back = np.array([[float(x) for x in row.split(",")] for row in rows])
    np.testing.assert_array_equal(back, r)


def test_file_cache_keeps_one_version_per_file_and_at_most_keep(tmp_path):
    """fileio.FileCache: a file read once until it changes; the oldest file goes past ``keep``."""
    reads: list[str] = []

    def read(path):
        reads.append(path.name)
        return path.read_text()

    cache = fileio.FileCache(read, keep=2)
    a, b, c = (tmp_path / n for n in ("a", "b", "c"))
    for p in (a, b, c):
        p.write_text(p.name)
    assert cache(a) == "a" and cache(a) == "a" and reads == ["a"]
    a.write_text("a, longer")  # a new version replaces the old one
    assert cache(a) == "a, longer" and reads == ["a", "a"]
    cache(b)
    cache(c)  # keep=2: a goes
    assert cache(b) == "b" and reads == ["a", "a", "b", "c"]
    cache(a)  # b (the oldest) goes
    assert reads[-1] == "a"
    (tmp_path / "to_c").symlink_to(c)
    assert cache(tmp_path / "to_c") == "c" and reads[-1] == "a"  # a link is its target: kept
    (tmp_path / "to_b").symlink_to(b)
    assert cache(tmp_path / "to_b") == "b" and reads[-1] == "to_b"  # read by the caller's name


def test_rows_holding_the_mark_value_itself():
    """A row that also holds the stand-in value (or its negative) is fixed field by field."""
    mark = fileio._MARK
    v = np.array(
        [
            [mark, 1e-6, 0.5, -mark, 1e-6],  # the mark's text appears twice more than marked
            [1e-6, mark, 1e-7, 1e-7, np.inf],  # adjacent marked fields around a real one
            [-(mark), 2.0, 3.0, np.nan, 1e300],
            [1e-6, 1e-6, 1e-6, 1e-6, 1e-6],  # a row of marked fields only
        ]
    )
    assert fileio.float_rows(v) == reference(v)
