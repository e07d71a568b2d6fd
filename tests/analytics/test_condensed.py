"""The one codec of condensed symmetric matrices, against hand-made cases and plain loops."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import squareform

from fimonitor.analytics import condensed as cd
from fimonitor.errors import InputError


def test_condense_hand_case() -> None:
    m = np.array([[1.0, 0.5, -0.25], [0.5, 1.0, 0.125], [-0.25, 0.125, 1.0]])
    blob = cd.condense(m)
    assert blob == np.array([0.5, -0.25, 0.125], dtype="<f4").tobytes()  # (0,1), (0,2), (1,2)
    np.testing.assert_array_equal(cd.expand(blob, 3), m.astype(np.float32))
    assert cd.condense(np.ones((1, 1))) == b""
    with pytest.raises(InputError, match="square"):
        cd.condense(np.ones((2, 3)))
    with pytest.raises(InputError, match="3 tickers holds 2 values"):
        cd.expand(blob[:8], 3)


def test_round_trip_precision_and_nan() -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(size=(30, 200))
    m = np.corrcoef(x.T)
    m[0, 5] = m[5, 0] = np.nan
    back = cd.expand(cd.condense(m), 200)
    assert back.dtype == np.float32 and (back == back.T)[~np.isnan(back)].all()
    err = np.abs(back.astype(float) - m)
    assert np.nanmax(err) < 6e-8  # float32: half an ulp at 1 is 6e-8
    assert np.isnan(back[0, 5]) and np.isnan(back[5, 0])
    pv = cd.expand(cd.condense(m), 200, diagonal=np.nan)
    assert np.isnan(np.diag(pv)).all()


def test_top_pairs_against_a_plain_sort() -> None:
    rng = np.random.default_rng(5)
    n = 30
    m = np.corrcoef(rng.normal(size=(50, n)).T)
    m[1, 2] = m[2, 1] = np.nan
    names = [f"T{i}" for i in range(n)]
    top = cd.top_pairs(cd.upper_rows(m, 0), names, 25)
    naive = sorted(
        ((abs(m[i, j]), i, j) for i in range(n) for j in range(i + 1, n) if not np.isnan(m[i, j])),
        key=lambda t: -t[0],
    )[:25]
    assert top["pair_rank"].tolist() == list(range(1, 26))
    assert list(zip(top["ticker_1"], top["ticker_2"], strict=True)) == [
        (names[i], names[j]) for _, i, j in naive
    ]
    np.testing.assert_array_equal(top["correlation"], [m[i, j] for _, i, j in naive])
    every = cd.top_pairs(cd.upper_rows(m, 0), names, 10_000)
    assert len(every) == n * (n - 1) // 2 - 1  # the NaN pair left out
    assert cd.top_pairs(np.empty(0), ["A"], 5).empty


def test_positions_and_row_blocks_match_squareform() -> None:
    k = 7
    m = np.arange(k * k, dtype=float).reshape(k, k)
    m = m + m.T
    np.fill_diagonal(m, 0.0)
    flat = squareform(m, checks=False)
    np.testing.assert_array_equal(cd.upper_rows(m, 0), flat)
    assert cd.n_pairs(k) == flat.size == 21
    starts = cd.row_starts(k)
    assert starts.tolist() == [0, 6, 11, 15, 18, 20, 21]
    for i0, i1 in ((0, 3), (3, 5), (5, 7)):  # a row block gives a contiguous slice
        block = m[i0:i1, i0:]
        np.testing.assert_array_equal(
            cd.upper_rows(block, 0), flat[starts[i0] : starts[i1] if i1 < k else None]
        )
    i, j = cd.pair_positions(np.arange(flat.size), k)
    want = [(a, b) for a in range(k) for b in range(a + 1, k)]
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == want


def test_top_pairs_from_candidates_equals_the_whole_vector() -> None:
    rng = np.random.default_rng(8)
    n = 40
    m = np.corrcoef(rng.normal(size=(30, n)).T)
    flat = cd.upper_rows(m, 0)
    p = rng.uniform(size=flat.size)
    whole = cd.top_pairs(flat, [f"T{i}" for i in range(n)], 12, p)
    pos = np.flatnonzero(np.abs(flat) >= np.sort(np.abs(flat))[-30])  # a superset
    part = cd.top_pairs(flat[pos], [f"T{i}" for i in range(n)], 12, p[pos], positions=pos)
    assert whole.equals(part)
    np.testing.assert_array_equal(whole["p_value"], p[np.argsort(-np.abs(flat))[:12]])
