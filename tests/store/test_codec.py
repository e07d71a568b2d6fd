"""The compact correlation format and the frame-to-rows conversion, against hand-made cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from fimonitor.errors import InputError
from fimonitor.store import codec


def test_condense_hand_case() -> None:
    m = np.array([[1.0, 0.5, -0.25], [0.5, 1.0, 0.125], [-0.25, 0.125, 1.0]])
    blob = codec.condense(m)
    assert blob == np.array([0.5, -0.25, 0.125], dtype="<f4").tobytes()  # (0,1), (0,2), (1,2)
    np.testing.assert_array_equal(codec.expand(blob, 3), m.astype(np.float32))
    assert codec.condense(np.ones((1, 1))) == b""
    with pytest.raises(InputError, match="square"):
        codec.condense(np.ones((2, 3)))
    with pytest.raises(InputError, match="3 tickers holds 2 values"):
        codec.expand(blob[:8], 3)


def test_round_trip_precision_and_nan() -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(size=(30, 200))
    m = np.corrcoef(x.T)
    m[0, 5] = m[5, 0] = np.nan
    back = codec.expand(codec.condense(m), 200)
    assert back.dtype == np.float32 and (back == back.T)[~np.isnan(back)].all()
    err = np.abs(back.astype(float) - m)
    assert np.nanmax(err) < 6e-8  # float32: half an ulp at 1 is 6e-8
    assert np.isnan(back[0, 5]) and np.isnan(back[5, 0])
    pv = codec.expand(codec.condense(m), 200, diagonal=np.nan)
    assert np.isnan(np.diag(pv)).all()


def test_top_pairs_against_a_plain_sort() -> None:
    rng = np.random.default_rng(5)
    n = 30
    m = np.corrcoef(rng.normal(size=(50, n)).T)
    m[1, 2] = m[2, 1] = np.nan
    names = [f"T{i}" for i in range(n)]
    top = codec.top_pairs(m, names, 25)
    naive = sorted(
        ((abs(m[i, j]), i, j) for i in range(n) for j in range(i + 1, n) if not np.isnan(m[i, j])),
        key=lambda t: -t[0],
    )[:25]
    assert top["pair_rank"].tolist() == list(range(1, 26))
    assert list(zip(top["ticker_1"], top["ticker_2"], strict=True)) == [
        (names[i], names[j]) for _, i, j in naive
    ]
    np.testing.assert_array_equal(top["correlation"], [m[i, j] for _, i, j in naive])
    assert len(codec.top_pairs(m, names, 10_000)) == n * (n - 1) // 2 - 1  # NaN pair left out
    assert codec.top_pairs(np.ones((1, 1)), ["A"], 5).empty


def test_frame_rows_kinds() -> None:
    df = pd.DataFrame(
        {
            "x": [1.5, "2", np.nan],
            "t": ["a", np.nan, 3],
            "d": ["2025-06-02", None, pd.Timestamp("2025-06-03")],
            "b": [True, "false", "yes"],
            "i": [1.4, np.nan, 2.6],
        }
    )
    spec = [
        ("x", "x", "float", True),
        ("key", "t", "key", True),
        ("text", "t", "str", False),
        ("d", "d", "date", False),
        ("b", "b", "bool", True),
        ("i", "i", "int", True),
        ("absent", "zz", "float", False),
    ]
    rows = codec.frame_rows(df, spec, {"portfolio_id": "p"}, "frame")
    assert rows[0] == {
        "x": 1.5,
        "key": "a",
        "text": "a",
        "d": dt.date(2025, 6, 2),
        "b": True,
        "i": 1,
        "absent": None,
        "portfolio_id": "p",
    }
    assert rows[1]["x"] == 2.0 and rows[1]["key"] == "" and rows[1]["text"] is None
    assert rows[2]["x"] is None and rows[2]["text"] == "3" and rows[2]["b"] is True
    assert all(type(r["x"]) in (float, type(None)) for r in rows)
    with pytest.raises(InputError, match=r"frame is missing column\(s\) x"):
        codec.frame_rows(df.drop(columns="x"), spec, {}, "frame")
    with pytest.raises(InputError, match="frame: row 2: t is blank"):
        codec.frame_rows(df, [("text", "t", "str", True)], {}, "frame")
    with pytest.raises(InputError, match=r"frame\.d: not a date: 'soon'"):
        codec.frame_rows(df.assign(d="soon"), spec, {}, "frame")
