"""The frame-to-rows conversion, against hand-made cases (the correlation codec: analytics)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from fimonitor.errors import InputError
from fimonitor.store import codec


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
