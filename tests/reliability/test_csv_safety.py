"""CSV formula injection: every text cell of every CSV fimonitor writes is neutralised.

Security names, groups, sectors, rating buckets and the portfolio name carry the OWASP
payloads; the run is legal (exit 0) and every CSV it writes is read back cell by cell: no cell
starts with ``=``, ``+``, ``@``, tab or carriage return, a cell starting with ``-`` is a plain
number, and numbers stay numbers (negative numbers carry no ``'``).
"""

from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest
from helpers.hostile import FORMULA_START, run_cli
from helpers.tiny import TINY_SECURITIES

from fimonitor.fileio import csv_text, neutralise

PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def cells(path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [c for row in csv.reader(fh) for c in row]


def assert_safe(paths) -> int:
    """Every cell of every CSV is safe; returns the number of negative numbers seen."""
    negatives = 0
    for p in paths:
        for c in cells(p):
            if c.startswith("-") and NUMBER.match(c):
                negatives += 1
                continue
            assert not c.startswith(FORMULA_START), (p.name, c)
    return negatives


def master_with(payload: str) -> str:
    payload = payload.replace("\r", "")  # a bare CR in an input CSV splits the row (an error)
    df = pd.read_csv(io.StringIO(TINY_SECURITIES), dtype=str)
    df.loc[df["ticker"] == "TSY", "name"] = payload
    df.loc[df["ticker"] == "IGC", "sector"] = payload
    df.loc[df["ticker"] == "HYB", "rating_bucket"] = payload
    df.loc[df["ticker"] == "BILL", "group"] = "x" + payload  # a group name starts like text
    df.loc[df["ticker"] == "IGC", "group"] = payload
    return df.to_csv(index=False)


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"p{i}" for i in range(len(PAYLOADS))])
def test_pack_csvs_are_neutralised(ws, capsys, payload):
    ws.edit("tiny/security_master.csv", master_with(payload))
    name = payload.replace("\r", " ").replace("\t", " ").strip() or "x"
    ws.edit(
        "tiny/monitor.yaml",
        lambda t: re.sub(
            r"(?m)^portfolio_name:.*$", lambda _: f"portfolio_name: {json.dumps(name)}", t
        ),
    )
    code, _, err = run_cli(["pack", "--data", ws.fmt("{tiny}"), "--out", ws.fmt("{tmp}/o")], capsys)
    assert code == 0, err
    written = sorted((ws.root / "tmp" / "o" / "20240209").glob("*.csv"))
    assert len(written) >= 10
    negatives = assert_safe(written)
    assert negatives > 0  # numbers stay numbers: negative values are written bare
    text = "".join(p.read_text() for p in written)
    assert "'" + payload.lstrip("\t\r")[:5] in text or "'" + payload[:5] in text


def test_history_and_metrics_stdout_are_neutralised(ws, capsys):
    ws.edit("tiny/monitor.yaml", lambda t: t.replace("Tiny Test Book", "'=1+2'", 1))
    assert run_cli(["pack", "--data", ws.fmt("{tiny}"), "--out", ws.fmt("{tmp}/o")], capsys)[0] == 0
    code, out, err = run_cli(
        ["history", "--db", ws.fmt("sqlite:///{tmp}/o/fimonitor.sqlite"), "--csv"], capsys
    )
    assert code == 0, err
    assert "'=1+2" in out and not any(c.startswith("=") for c in out.replace("\n", ",").split(","))


def test_dca_and_rebalance_csvs_are_neutralised(ws, capsys):
    ws.edit("pf/dca.yaml", lambda t: t.replace("name: dca-demo", "name: '=1+2'"))
    dca = ["dca", "run", "--portfolio", ws.fmt("{pf}/dca.yaml"), "--amount", "1000",
           "--frequency", "monthly", "--start", "2026-01-01", "--end", "2026-04-30",
           "--data", ws.fmt("{demo}"), "--out", ws.fmt("{tmp}/dca"), "--no-record"]  # fmt: skip
    code, _, err = run_cli(dca, capsys)
    assert code == 0, err
    assert_safe(sorted((ws.root / "tmp" / "dca").glob("*.csv")))
    reb = ["rebalance", "--portfolio", ws.fmt("{pf}/etf_tiered.yaml"), "--no-record",
           "--csv", ws.fmt("{tmp}/orders.csv")]  # fmt: skip
    code, _, err = run_cli(reb, capsys)
    assert code == 0, err
    assert_safe([ws.root / "tmp" / "orders.csv"])


def test_csv_text_unit():
    """The one CSV writer: text neutralised, numbers and dates untouched, index and header too."""
    df = pd.DataFrame(
        {
            "name": ["=1+1", "+x", "-x", "@x", "\tx", "\rx", "ok", "-1.5", None],
            "value": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0, -9.0],
            "when": pd.to_datetime(["2026-04-30"] * 9),
        },
        index=pd.Index(["=A", "b", "c", "d", "e", "f", "g", "h", "i"], name="=idx"),
    )
    text = csv_text(df, index=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["'=idx", "name", "value", "when"]
    assert [r[1] for r in rows[1:]] == [
        "'=1+1",
        "'+x",
        "'-x",
        "'@x",
        "'\tx",
        "'\nx",
        "ok",
        "-1.5",
        "",
    ]
    assert [r[2] for r in rows[1:]] == [
        "-1.5",
        "2.0",
        "-3.0",
        "4.0",
        "5.0",
        "6.0",
        "7.0",
        "8.0",
        "-9.0",
    ]
    assert rows[1][0] == "'=A" and rows[1][3] == "2026-04-30"
    assert neutralise(-1) == -1 and neutralise("-1e-3") == "-1e-3" and neutralise("x") == "x"


@pytest.mark.parametrize("index", [True, False])
def test_float_matrix_fast_path_writes_what_pandas_writes(index):
    """An all-float table takes the row-by-row ``repr`` path: text identical to pandas.

    Checked on hostile labels (commas, quotes, formula starts, CR, LF, None) and on values
    whose text is easy to get wrong (NaN, signed zero, infinities, subnormal, huge, 0.1+0.2).
    """
    import numpy as np

    from fimonitor import fileio

    rng = np.random.default_rng(7)
    values = rng.standard_normal((30, 6))
    values[0] = [np.nan, -0.0, np.inf, -np.inf, 1e16, 1e-5]
    values[1] = [1.0, 1.2345678901234568e17, 5e-324, 1.7976931348623157e308, -1e-300, 0.1 + 0.2]
    labels = ["A,B", 'q"x', "=cmd", "-1.5", "T\r1", None] + [f"T{i}" for i in range(24)]
    frame = pd.DataFrame(
        values,
        index=pd.Index(labels, name="=t"),
        columns=["c1", "=c2", "a,b", 'x"y', "-3", "line\nb"],
    )
    assert fileio._is_float_matrix(frame, index)
    expected = pd.DataFrame({i: frame.iloc[:, i] for i in range(frame.shape[1])}, index=frame.index)
    expected.columns = ["c1", "'=c2", "a,b", 'x"y', "-3", "line\nb"]
    if index:
        expected.index = pd.Index(["A,B", 'q"x', "'=cmd", "-1.5", "T\n1", None, *labels[6:]])
        expected.index.name = "'=t"
    assert csv_text(frame, index=index) == expected.to_csv(index=index, lineterminator="\n")
    back = pd.read_csv(io.StringIO(csv_text(frame, index=index)), index_col=0 if index else None)
    np.testing.assert_array_equal(back.to_numpy(), values)  # full precision round trip
