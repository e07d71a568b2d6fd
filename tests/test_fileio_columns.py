"""fileio: the column-by-column CSV writer gives pandas ``to_csv``'s text, byte for byte."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fimonitor import fileio


def pandas_text(frame: pd.DataFrame) -> str:
    """The reference: csv_text's pandas path (neutralised cells, then ``to_csv``)."""
    return fileio._pandas_csv(frame, index=False, date_format="%Y-%m-%d")


def mixed_frame(n: int, seed: int) -> pd.DataFrame:
    """Every kind of cell the fast path takes: floats of all sizes, ints, bools, awkward text."""
    rng = np.random.default_rng(seed)
    words = [
        "plain",
        "",
        "with, comma",
        'say "hi"',
        "two\nlines",
        "cr\rinside",
        "crlf\r\nend",
        "=SUM(A1)",
        "+1",
        "-2.5",
        "@home",
        "\tTab",
        "Ünïcode 債券 «x»",
        " padded ",
        "None",
        "nan",
    ]
    floats = rng.standard_normal(n) * 10.0 ** rng.integers(-9, 20, n)
    floats[rng.random(n) < 0.2] = np.nan
    floats[:4] = [np.inf, -np.inf, -0.0, 1e-5]
    text = np.array(rng.choice(words, n), dtype=object)
    text[rng.random(n) < 0.2] = None
    return pd.DataFrame(
        {
            "ticker": pd.Series(rng.choice(words, n), dtype="str"),
            "value": floats,
            "count": rng.integers(-(10**12), 10**12, n),
            "flag": rng.random(n) < 0.5,
            "note": text,
            "=formula header": np.round(rng.random(n), 4),
            "with,comma": pd.Series([None] * n, dtype=object),
        }
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_column_csv_is_to_csv(seed):
    """Random mixed tables (NaN, None, inf, unicode, quotes, newlines, formulas) match."""
    frame = mixed_frame(500, seed)
    got = fileio._column_csv(frame)
    assert got is not None
    assert got == pandas_text(frame)
    assert fileio.csv_text(frame) == got


def test_column_csv_edges():
    """No rows, a missing-only text column, numeric labels; what it leaves to pandas."""
    frame = mixed_frame(20, 3)
    assert fileio._column_csv(frame.iloc[:0]) == pandas_text(frame.iloc[:0])
    numeric_labels = pd.DataFrame({0: ["a", None], 1: [1.5, np.nan]})
    assert fileio._column_csv(numeric_labels) == pandas_text(numeric_labels)
    dated = frame.assign(day=pd.Timestamp("2026-01-02"))
    assert fileio._column_csv(dated) is None  # dates: date_format is pandas'
    assert fileio.csv_text(dated) == pandas_text(dated)
    for other in (
        frame[["ticker"]],  # one column: the csv module quotes a lone empty field
        frame.assign(cat=pd.Categorical(["x"] * 20)),
        frame.assign(mixed=pd.Series([1, "a"] * 10, dtype=object)),
        frame.assign(nullable=pd.array([1, None] * 10, dtype="Int64")),
        frame.assign(small=np.ones(20, dtype=np.float32)),
    ):
        assert fileio._column_csv(other) is None
        assert fileio.csv_text(other) == pandas_text(other)
