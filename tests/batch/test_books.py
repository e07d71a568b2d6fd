"""Books file, executor flag, demo books, firm page and the batch message (no pack builds)."""

from __future__ import annotations

import pandas as pd
import pytest
from pypdf import PdfReader

from fimonitor.batch import SerialExecutor, parse_executor, read_books
from fimonitor.batch.demo import BROKEN_TICKER, write_demo_books
from fimonitor.batch.firm import firm_tables, worst_alert
from fimonitor.batch.firm_page import rank_books, write_firm_page
from fimonitor.batch.notify import batch_message, has_changes
from fimonitor.batch.run import BatchResult, exit_code
from fimonitor.batch.worker import BookPlan, TaskResult, previous_pack_date
from fimonitor.errors import InputError


def test_books_yaml_and_folder(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "monitor.yaml").write_text("rules: {}\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "monitor.yaml").write_text("rules: {}\n")
    (tmp_path / "notabook").mkdir()
    books = read_books(tmp_path)
    assert [b.name for b in books] == ["a", "b"]
    assert books[0].config == (tmp_path / "a" / "monitor.yaml").resolve()
    y = tmp_path / "list.yaml"
    y.write_text(
        "- {name: x, data: a, config: b/monitor.yaml, tags: [desk1]}\n- {name: y, data: b}\n"
    )
    books = read_books(y)
    assert [(b.name, b.data.name, b.config.parent.name, b.tags) for b in books] == [
        ("x", "a", "b", ("desk1",)),
        ("y", "b", "b", ()),
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- {name: x, data: a}\n- {name: x, data: b}\n", "used twice"),
        ("- {name: 'a/b', data: a}\n", "not a folder name"),
        ("- {name: firm, data: a}\n", "not a folder name"),
        ("- {name: x}\n", "'data'"),
        ("- {name: x, data: a, colour: red}\n", "unknown key 'colour'"),
        ("{}\n", "non-empty list"),
    ],
)
def test_bad_books_file_is_one_line(tmp_path, text, problem):
    y = tmp_path / "books.yaml"
    y.write_text(text)
    with pytest.raises(InputError, match=problem) as err:
        read_books(y)
    assert "\n" not in str(err.value) and "books.yaml" in str(err.value)


def test_missing_books_path(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_books(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("text", "kind", "workers", "address"),
    [
        ("serial", "serial", None, None),
        ("process:3", "process", 3, None),
        ("dask", "dask", None, None),
        ("dask:tcp://10.0.0.1:8786", "dask", None, "tcp://10.0.0.1:8786"),
    ],
)
def test_parse_executor(text, kind, workers, address):
    spec = parse_executor(text)
    assert (spec.kind, spec.workers, spec.address) == (kind, workers, address)
    assert str(spec) == text


@pytest.mark.parametrize("text", ["threads", "process:0", "process:x", "serial:2"])
def test_bad_executor(text):
    with pytest.raises(InputError, match="--executor"):
        parse_executor(text)


def test_serial_executor_carries_exceptions():
    ex = SerialExecutor()
    assert ex.submit(divmod, 7, 2).result() == (3, 1)
    with pytest.raises(ZeroDivisionError):
        ex.submit(divmod, 1, 0).result()


def test_demo_books_are_deterministic_and_share_prices(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_demo_books(a, 4, broken=True)
    write_demo_books(b, 4, broken=True)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert {(a / f"book_{i}" / "prices.csv").resolve() for i in range(1, 5)} == {
        (a / "_shared" / "prices.csv").resolve()
    }
    ledgers = [pd.read_csv(a / f"book_{i}" / "transactions.csv") for i in range(1, 5)]
    assert BROKEN_TICKER in set(ledgers[3]["ticker"]) and BROKEN_TICKER not in set(
        ledgers[0]["ticker"]
    )
    assert not ledgers[0].equals(ledgers[1])  # different sizes
    buys = ledgers[0][ledgers[0]["action"] == "BUY"]["shares"]
    assert (buys == buys.round()).all()  # whole shares
    benches = {(a / f"book_{i}" / "benchmark_weights.csv").read_text() for i in range(1, 4)}
    assert len(benches) == 3
    for i in range(1, 4):
        w = pd.read_csv(a / f"book_{i}" / "benchmark_weights.csv")["weight"]
        assert w.sum() == pytest.approx(1.0)
    assert [x.name for x in read_books(a)] == ["book_1", "book_2", "book_3", "book_4"]


def test_previous_pack_date():
    dates = pd.bdate_range("2026-01-01", "2026-01-31")
    assert previous_pack_date(dates, pd.Timestamp("2026-01-16"), None) == pd.Timestamp("2026-01-09")
    assert previous_pack_date(dates, pd.Timestamp("2026-01-12"), None) == pd.Timestamp("2026-01-05")
    assert previous_pack_date(dates, pd.Timestamp("2026-01-12"), pd.Timestamp("2026-01-06")) is None


def _alerts(rows):
    return pd.DataFrame(rows, columns=["date", "rule", "ticker", "value", "limit", "severity"])


def test_worst_alert_hand_case():
    a = _alerts(
        [
            ("2026-01-02", "active_weight", "TLT", 0.06, 0.05, "BREACH"),  # excess 20 %
            ("2026-01-02", "duration_gap", None, 1.5, 1.0, "BREACH"),  # excess 50 %
            ("2026-01-02", "max_single_name_weight", "MBB", 0.5, 0.2, "WARN"),  # 150 %, WARN
        ]
    )
    assert worst_alert(a) == "BREACH duration_gap"
    assert worst_alert(a.iloc[[0, 2]]) == "BREACH active_weight TLT"
    assert worst_alert(a.iloc[0:0]) == ""


def _results():
    day = pd.Timestamp("2026-01-02")
    a = _alerts([(day, "active_weight", "TLT", 0.06, 0.05, "BREACH")])
    ok = TaskResult(
        "b1",
        day,
        "ok",
        pack="b1/20260102",
        summary={
            "market_value": 100.0,
            "duration_gap": 0.5,
            "portfolio_dv01": 2.0,
            "n_breach": 1,
            "n_warn": 0,
        },
        alerts=a,
        previous_alerts=a.iloc[0:0],
        dv01_by_group=pd.Series({"treasury": 1.5, "mbs": 0.5}),
    )
    bad = TaskResult("b2", day, "internal_error", "RuntimeError: boom")
    return day, [ok, bad]


def test_firm_tables_and_page(tmp_path):
    from fimonitor.batch.books import BookSpec

    day, results = _results()
    failed = [BookPlan(BookSpec("b0", tmp_path, tmp_path / "m.yaml"), status="input_error")]
    summary, alerts, dv01 = firm_tables(day, results, failed, ["b0", "b1", "b2"])
    assert list(summary["book"]) == ["b0", "b1", "b2"]
    assert list(summary["status"]) == ["input_error", "ok", "internal_error"]
    assert summary.loc[1, "worst_alert"] == "BREACH active_weight TLT"
    assert list(alerts["book"]) == ["b1"]
    assert dv01.set_index("group")["portfolio_dv01"].to_dict() == {"mbs": 0.5, "treasury": 1.5}
    assert list(rank_books(summary)["book"]) == ["b2", "b0", "b1"]
    pdf, png = write_firm_page(day, summary, alerts, dv01, tmp_path)
    assert len(PdfReader(pdf).pages) == 1 and png.stat().st_size > 10_000
    assert "Firm summary" in PdfReader(pdf).pages[0].extract_text()


def test_exit_code_and_message(tmp_path):
    day, results = _results()
    assert exit_code(BatchResult(results[:1])) == 0
    assert exit_code(BatchResult(results)) == 1
    res = BatchResult([results[0], TaskResult("b3", day, "input_error", "x")])
    assert exit_code(res) == 2
    assert has_changes(BatchResult(results[:1]))  # the BREACH is new
    msg = batch_message(res, tmp_path)
    assert msg.title == "fimonitor batch 2026-01-02: 2 books, 1 failed, 1 BREACH, 0 WARN"
    assert "- b1: 1 new, 0 cured" in msg.body and "- b3: input_error: x" in msg.body
    assert msg.level == "failure"
