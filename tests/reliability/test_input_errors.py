"""Bad input: exit code 2, one line naming the file and the row/ticker, no output folder."""

from __future__ import annotations

import re

import pytest
from conftest import TINY_DURATIONS, TINY_SECURITIES, TINY_TRANSACTIONS, write_tiny_book

from fimonitor.cli import main


def _prices_with(edit) -> str:
    from conftest import TINY_DATES, TINY_PRICES

    rows = [
        [d, t, str(p), str(p)]
        for t, ps in TINY_PRICES.items()
        for d, p in zip(TINY_DATES, ps, strict=True)
    ]
    rows = edit(rows)
    return "date,ticker,close,adj_close\n" + "\n".join(",".join(r) for r in rows) + "\n"


def _bad_close(rows):
    rows[6][2] = "abc"  # data row 7 -> file row 8
    return rows


def _dup_price(rows):
    return [*rows, rows[3]]


def _drop_tsy_tail(rows):
    return [r for r in rows if not (r[1] == "TSY" and r[0] >= "2024-01-31")]


CASES = [
    (
        "prices: not a number",
        {"prices.csv": _prices_with(_bad_close)},
        r"prices\.csv: row 8, ticker TSY, column close: close 'abc' is not a number",
    ),
    (
        "prices: duplicate",
        {"prices.csv": _prices_with(_dup_price)},
        r"prices\.csv: row 52, ticker TSY: duplicate date/ticker",
    ),
    (
        "prices: missing column",
        {"prices.csv": "date,ticker,price\n2024-01-29,TSY,1\n"},
        r"prices\.csv: missing column\(s\) close",
    ),
    (
        "master: duplicate ticker",
        {"security_master.csv": TINY_SECURITIES + "TSY,Again,treasury,x,AAA,false\n"},
        r"security_master\.csv: row 7, ticker TSY: duplicate ticker",
    ),
    (
        "master: bad flag",
        {
            "security_master.csv": TINY_SECURITIES.replace(
                "HY corporate,BB,false", "HY corporate,BB,maybe"
            )
        },
        r"security_master\.csv: row 4, ticker HYB, column is_cash_proxy",
    ),
    (
        "ledger: unknown ticker",
        {"transactions.csv": TINY_TRANSACTIONS.replace("2024-01-29,HYB,BUY", "2024-01-29,XYZ,BUY")},
        r"transactions\.csv: row 5, ticker XYZ: ticker is not in security_master\.csv",
    ),
    (
        "ledger: sell beyond holdings",
        {
            "transactions.csv": TINY_TRANSACTIONS.replace(
                "2024-02-07,HYB,SELL,50", "2024-02-07,HYB,SELL,250"
            )
        },
        r"transactions\.csv: row 10, ticker HYB: SELL of 250 shares on 2024-02-07 exceeds the "
        r"200 shares held",
    ),
    (
        "ledger: negative shares",
        {"transactions.csv": TINY_TRANSACTIONS.replace("TSY,BUY,400", "TSY,BUY,-400")},
        r"transactions\.csv: row 3, ticker TSY, column shares: BUY shares must be a positive",
    ),
    (
        "ledger: bad action",
        {"transactions.csv": TINY_TRANSACTIONS.replace("IGC,DIVIDEND", "IGC,COUPON")},
        r"transactions\.csv: row 7, ticker IGC, column action: action 'COUPON' is not one of",
    ),
    (
        "ledger: bad date",
        {
            "transactions.csv": TINY_TRANSACTIONS.replace(
                "2024-02-05,CASH,FEE", "2024-02-31,CASH,FEE"
            )
        },
        r"transactions\.csv: row 8, ticker CASH, column date: date '2024-02-31' is not a date",
    ),
    (
        "benchmark: weights do not sum",
        {"benchmark_weights.csv": "ticker,weight\nTSY,50\nIGC,40\n"},
        r"benchmark_weights\.csv: row 2: weights sum to 90; expected 1 \(fractions\) or 100",
    ),
    (
        "benchmark: unknown ticker",
        {"benchmark_weights.csv": "ticker,weight\nTSY,50\nNOPE,50\n"},
        r"benchmark_weights\.csv: row 3, ticker NOPE: ticker is not in security_master",
    ),
    (
        "durations: bad month",
        {"duration_monthly.csv": TINY_DURATIONS.replace("2024-02,IGC", "Feb-24,IGC")},
        r"duration_monthly\.csv: row 8, ticker IGC, column month: month 'Feb-24' is not a date",
    ),
    (
        "durations: missing for a held ticker",
        {
            "duration_monthly.csv": "\n".join(
                line for line in TINY_DURATIONS.splitlines() if ",HYB," not in line
            )
            + "\n"
        },
        r"duration_monthly\.csv: ticker HYB: no duration for 2024-02",
    ),
    (
        "rules: unknown key",
        {"monitor.yaml": "rules:\n  max_weight: {warn: 0.2}\n"},
        r"monitor\.yaml: unknown key 'max_weight' in rules; valid keys: max_single_name_weight",
    ),
    (
        "rules: warn above breach",
        {"monitor.yaml": "rules:\n  duration_gap: {warn: 2, breach: 1}\n"},
        r"monitor\.yaml: rules\.duration_gap: warn \(2\.0\) must not exceed breach \(1\.0\)",
    ),
]


@pytest.mark.parametrize(("name", "files", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, name, files, pattern):
    data = write_tiny_book(tmp_path / "data", **files)
    out = tmp_path / "out"
    code = main(["pack", "--data", str(data), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert re.search(pattern, lines[0]), lines[0]
    assert not out.exists() or not any(out.iterdir())


def test_held_ticker_stale_beyond_limit(tmp_path, capsys):
    """An explicit as-of date is refused; ``latest`` moves back to the last valued date."""
    data = write_tiny_book(tmp_path / "data", **{"prices.csv": _prices_with(_drop_tsy_tail)})
    out = tmp_path / "out"
    code = main(["pack", "--data", str(data), "--out", str(out), "--as-of", "2024-02-09"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert re.search(r"prices\.csv: ticker TSY: no price on the as-of date 2024-02-09", err)
    assert not out.exists() or not any(out.iterdir())
    # TSY's last close is 2024-01-30; 5 NYSE sessions later is 2024-02-06
    assert main(["pack", "--data", str(data), "--out", str(out)]) == 0
    assert (out / "20240206").is_dir() and not (out / "20240209").exists()


def test_as_of_after_the_last_price_is_an_input_error(tmp_path, capsys):
    data = write_tiny_book(tmp_path / "data")
    code = main(
        ["pack", "--data", str(data), "--out", str(tmp_path / "o"), "--as-of", "2024-03-01"]
    )
    assert code == 2
    assert "as-of 2024-03-01 is after the last price date 2024-02-09" in capsys.readouterr().err


def test_validate_reports_ok_and_bad(tmp_path, capsys):
    data = write_tiny_book(tmp_path / "data")
    assert main(["validate", "--data", str(data)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = write_tiny_book(tmp_path / "bad", **{"prices.csv": _prices_with(_bad_close)})
    assert main(["validate", "--data", str(bad)]) == 2
    assert "prices.csv: row 8" in capsys.readouterr().err


def test_a_failing_run_keeps_the_earlier_pack(tmp_path, capsys):
    from fimonitor import pipeline

    data = write_tiny_book(tmp_path / "data")
    out = tmp_path / "out"
    first = pipeline.run_pack(data_dir=data, output_dir=out, render=False)
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    (data / "transactions.csv").write_text(TINY_TRANSACTIONS.replace("TSY,BUY,400", "TSY,BUY,-400"))
    assert main(["pack", "--data", str(data), "--out", str(out)]) == 2
    after = {p.name: p.read_bytes() for p in first.iterdir()}
    assert before == after
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
