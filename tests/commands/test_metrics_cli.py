"""`fimonitor metrics` and `fimonitor history` through the CLI entry point."""

from __future__ import annotations

import io
import math
import re
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fimonitor.analytics.risk import METRICS, risk_metrics
from fimonitor.cli import main
from fimonitor.store import db


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _write_returns(path: Path, seed: int, n: int = 120) -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2024-01-02", periods=n)
    s = pd.Series(rng.normal(0.0003, 0.005, n), index=idx)
    pd.DataFrame({"date": idx.strftime("%Y-%m-%d"), "return": [repr(x) for x in s]}).to_csv(
        path, index=False
    )
    return s


def test_metrics_prints_every_metric(tmp_path: Path) -> None:
    r = _write_returns(tmp_path / "r.csv", 1)
    b = _write_returns(tmp_path / "b.csv", 2)
    (tmp_path / "w.csv").write_text("ticker,weight\nAGG,60\nTLT,40\n")
    code, out, err = _run(
        "metrics",
        "--returns",
        str(tmp_path / "r.csv"),
        "--benchmark",
        str(tmp_path / "b.csv"),
        "--rf",
        "0.0001",
        "--weights",
        str(tmp_path / "w.csv"),
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "metric,value"
    got = {k: float(v) for k, v in (ln.split(",") for ln in lines[1:])}
    assert list(got) == list(METRICS)
    want = risk_metrics(r, b, rf=0.0001).set_index("metric")["value"]
    for k in METRICS[:-1]:
        assert got[k] == pytest.approx(want[k], rel=1e-12), k
    assert got["effective_n"] == pytest.approx(1 / (0.36 + 0.16))


def test_metrics_without_benchmark_leaves_relative_blank(tmp_path: Path) -> None:
    _write_returns(tmp_path / "r.csv", 3)
    code, out, _ = _run("metrics", "--returns", str(tmp_path / "r.csv"))
    assert code == 0
    rows = dict(ln.split(",") for ln in out.splitlines()[1:])
    assert rows["beta"] == "" and rows["effective_n"] == ""
    assert not math.isnan(float(rows["volatility"]))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "date,return\n2024-01-02,0.01\n2024-01-03,abc\n",
            r"r\.csv: row 3, column return: "
            r"return 'abc' is not a number",
        ),
        ("date,return\n2024-01-02,0.01\n2024-13-03,0.02\n", r"r\.csv: row 3, column date"),
        ("day,return\n2024-01-02,0.01\n", r"r\.csv: missing column\(s\) date"),
        ("date,return\n2024-01-02,0.01\n2024-01-02,0.02\n", r"row 3.*duplicate date"),
        ("", r"r\.csv: file is empty"),
    ],
)
def test_metrics_bad_csv_is_one_line_exit_2(tmp_path: Path, text: str, match: str) -> None:
    (tmp_path / "r.csv").write_text(text)
    code, out, err = _run("metrics", "--returns", str(tmp_path / "r.csv"))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert re.search(match, err), err


def test_metrics_missing_file(tmp_path: Path) -> None:
    code, _, err = _run("metrics", "--returns", str(tmp_path / "nope.csv"))
    assert code == 2 and "nope.csv: file not found" in err


def test_history_lists_snapshots(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'out' / 'fimonitor.sqlite'}"
    empty = pd.DataFrame(columns=["metric", "value"])
    perf = {"market_value": 1234.5, "duration_gap": 0.25, "n_breach": 1, "n_warn": 2}
    for day in ("2025-06-02", "2025-06-09"):
        db.record_pack(
            url,
            portfolio_id="demo",
            as_of=day,
            performance=perf,
            risk_metrics=pd.DataFrame({"metric": ["volatility"], "value": [0.05]}),
            alerts=pd.DataFrame(columns=["date", "rule", "ticker", "value", "limit", "severity"]),
            allocations=pd.DataFrame({"ticker": ["A"], "weight": [1.0]}),
            correlations=empty,
        )
    code, out, err = _run("history", "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert out.splitlines()[0].startswith("2 snapshots in sqlite:///")
    assert "2025-06-02" in out and "2025-06-09" in out and "1,234.50" in out
    code, out, _ = _run("history", "--db", url, "--csv")
    assert code == 0
    csv = pd.read_csv(io.StringIO(out))
    assert csv["as_of"].tolist() == ["2025-06-02", "2025-06-09"]
    assert csv["n_risk_metrics"].tolist() == [1, 1]
    code, out, _ = _run("history", "--db", url, "--events")
    assert code == 0 and out.startswith("no rebalancing events")


def test_history_missing_database_exit_2(tmp_path: Path) -> None:
    code, _, err = _run("history", "--db", f"sqlite:///{tmp_path / 'x' / 'h.sqlite'}")
    assert code == 2 and "no history database" in err
    assert not (tmp_path / "x").exists()
