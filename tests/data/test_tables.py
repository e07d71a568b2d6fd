"""The one table reader (``fimonitor.data.tables``): row numbers, messages, weights.

Every error path names file, spreadsheet row (header = row 1), ticker and column through
the one helper :func:`first_bad_row`; the same bad line of ``prices.csv`` gets the same row
number in ``pack`` (``load_book``/``read_prices``) and in ``prices update``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fimonitor.cli import main
from fimonitor.data.loaders import read_prices
from fimonitor.data.tables import (
    WEIGHT_SUM_TOL,
    first_bad_row,
    normalise_weights,
    parse_dates,
    parse_numbers,
    read_curve_file,
    read_returns_file,
    read_table,
    read_weights_file,
    spreadsheet_rows,
    weight_scale,
)
from fimonitor.data.update import read_price_file
from fimonitor.errors import InputError, SchemaError


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------- the helper
def test_spreadsheet_rows_start_at_two() -> None:
    assert spreadsheet_rows(3).tolist() == [2, 3, 4]
    assert spreadsheet_rows(0).tolist() == []


def test_first_bad_row_names_file_row_ticker_column(tmp_path: Path) -> None:
    df = pd.DataFrame({"ticker": ["A", "B", "C"], "x": ["1", "-2", "-3"], "row": [2, 3, 4]})
    mask = np.array([False, True, True])
    with pytest.raises(SchemaError) as err:
        first_bad_row(df, mask, tmp_path / "f.csv", lambda r: f"x {r['x']} is bad", column="x")
    assert str(err.value) == "f.csv: row 3, ticker B, column x: x -2 is bad"
    assert (err.value.row, err.value.ticker, err.value.column) == (3, "B", "x")
    first_bad_row(df, np.zeros(3, bool), "f.csv", "never")  # no bad row: no error
    with pytest.raises(InputError, match=r"^f\.csv: row 2, ticker A: plain$"):
        first_bad_row(df, [True, False, False], "f.csv", "plain", exc=InputError)


def test_blank_ticker_is_not_named(tmp_path: Path) -> None:
    df = pd.DataFrame({"ticker": ["", "B"], "row": [2, 3]})
    with pytest.raises(SchemaError, match=r"^f\.csv: row 2: gone$"):
        first_bad_row(df, [True, False], "f.csv", "gone")


# ----------------------------------------------------------------------------- read_table
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"^t\.csv: file is empty"),
        ("a,b\n1,2\n", r"^t\.csv: missing column\(s\) ticker; expected ticker,b, found a,b$"),
        ("ticker,b\n", r"^t\.csv: has no data rows$"),
        ('ticker,b\n"x,1\n', r"^t\.csv: cannot be parsed as CSV"),
    ],
)
def test_read_table_file_errors(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "t.csv", text)
    with pytest.raises(SchemaError, match=message):
        read_table(path, ("ticker", "b"), nonempty=True)


def test_read_table_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^nope\.csv: file not found$"):
        read_table(tmp_path / "nope.csv", ("a",))


def test_read_table_strips_and_numbers_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", "\ufeffTicker , Weight\n a ,1\n\nb, 2 \n")
    df = read_table(path, ("ticker", "weight"), lower_columns=True)
    assert df.to_dict("list") == {"ticker": ["a", "b"], "weight": ["1", "2"], "row": [2, 3]}


# ----------------------------------------------------------------------------- parsers
def _text(**cols: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(cols)
    df["row"] = spreadsheet_rows(len(df))
    return df


@pytest.mark.parametrize(
    ("values", "kwargs", "message"),
    [
        (["1", "x"], {"blank_ok": True}, r"row 3, ticker B, column v: v 'x' is not a number"),
        (["1", "inf"], {"blank_ok": True}, r"row 3, ticker B, column v: v 'inf' is not a number"),
        (["", "1"], {"blank_ok": False}, r"row 2, ticker A, column v: v is blank"),
        (["1", "-1"], {"blank_ok": True, "minimum": 0.0}, r"row 3.*v -1 must not be negative"),
        (
            ["0", "1"],
            {"blank_ok": True, "minimum": 0.0, "strict": True},
            r"row 2.*must be positive",
        ),
        (["3", "1"], {"blank_ok": True, "minimum": 2.0}, r"row 3.*v 1 must be >= 2"),
    ],
)
def test_parse_numbers_errors(values, kwargs, message) -> None:
    df = _text(ticker=["A", "B"], v=values)
    with pytest.raises(SchemaError, match=r"^x\.csv: " + message):
        parse_numbers(df, "v", "x.csv", **kwargs)


def test_parse_numbers_blanks_and_values() -> None:
    df = _text(v=["1.5", "", ".", "-2"])
    got = parse_numbers(df, "v", "x.csv", blank_ok=True, blanks=("", "."))
    np.testing.assert_array_equal(got.to_numpy(), [1.5, np.nan, np.nan, -2.0])


def test_parse_dates_error_and_month_format() -> None:
    df = _text(ticker=["A", "B"], d=["2024-01-02", "2024-02-30"])
    with pytest.raises(SchemaError, match=r"row 3, ticker B, column d: d '2024-02-30' is not a"):
        parse_dates(df, "d", "x.csv")
    months = parse_dates(_text(m=["2024-01", "2024-12"]), "m", "x.csv", fmt="%Y-%m")
    assert months.tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-01")]
    with pytest.raises(SchemaError, match=r"is not a date \(YYYY-MM\)"):
        parse_dates(_text(m=["2024-13"]), "m", "x.csv", fmt="%Y-%m")


# ----------------------------------------------------------------------------- weights
def test_weight_scale_against_hand_sums() -> None:
    sums = pd.Series([1.0, 100.0, 1.004, 99.6, 0.99, 101.0, 50.0])
    got = weight_scale(sums)
    # accepted within 0.5 % of 1 or of 100, the divisor being the sum itself
    want = [1.0, 100.0, 1.004, 99.6, np.nan, np.nan, np.nan]
    np.testing.assert_array_equal(got.to_numpy(), want)
    assert WEIGHT_SUM_TOL == 0.005


def test_normalise_weights_percent_equals_fractions() -> None:
    frac = pd.Series({"A": 0.6, "B": 0.4})
    pct = pd.Series({"A": 60.0, "B": 40.0})
    pd.testing.assert_series_equal(normalise_weights(frac), normalise_weights(pct))
    off = normalise_weights(pd.Series({"A": 60.2, "B": 40.0}))  # within tolerance: rescaled
    assert off.sum() == pytest.approx(1.0, abs=1e-15)
    assert off["A"] == pytest.approx(60.2 / 100.2)
    with pytest.raises(InputError, match=r"^t\.yaml: targets sum to 90; expected 1"):
        normalise_weights(pd.Series({"A": 50, "B": 40}), file="t.yaml", what="targets")


# ----------------------------------------------------------------------------- metrics files
def test_read_weights_file_percent_and_errors(tmp_path: Path) -> None:
    pct = read_weights_file(_write(tmp_path, "w.csv", "ticker,weight\nagg,60\nTLT,40\n"))
    frac = read_weights_file(_write(tmp_path, "f.csv", "Ticker,Weight\nAGG,0.6\nTLT,0.4\n"))
    pd.testing.assert_series_equal(pct, frac)
    assert pct.to_dict() == {"AGG": 0.6, "TLT": 0.4}
    cases = {
        "ticker,weight\nAGG,60\nTLT,-40\n": r"w\.csv: row 3, ticker TLT, column weight: weight "
        r"-40 must not be negative",
        "ticker,weight\nAGG,60\nagg,40\n": r"w\.csv: row 3, ticker agg, column ticker: duplicate",
        "ticker,weight\nAGG,60\n,40\n": r"w\.csv: row 3, column ticker: ticker is blank",
        "ticker,weight\nAGG,60\nTLT,30\n": r"w\.csv: weights sum to 90; expected 1",
        "ticker,weight\nAGG,x\n": r"w\.csv: row 2, ticker AGG, column weight: weight 'x' is not",
    }
    for text, message in cases.items():
        with pytest.raises(InputError, match="^" + message):
            read_weights_file(_write(tmp_path, "w.csv", text))


def test_read_returns_file(tmp_path: Path) -> None:
    got = read_returns_file(
        _write(tmp_path, "r.csv", "date,return\n2024-01-03,0.02\n2024-01-02,-0.01\n")
    )
    assert got.index.tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    assert got.tolist() == [-0.01, 0.02]
    with pytest.raises(SchemaError, match=r"^r\.csv: row 3, column return: return is blank"):
        read_returns_file(_write(tmp_path, "r.csv", "date,return\n2024-01-02,0.01\n2024-01-03,\n"))


def test_read_curve_file(tmp_path: Path) -> None:
    text = "date,DGS10,DGS2,OTHER\n2024-01-03,4.1,.,x\n2024-01-02,,4.3,y\n"
    got = read_curve_file(_write(tmp_path, "y.csv", text), ("DGS",), required=True)
    assert list(got.columns) == ["DGS10", "DGS2"]
    np.testing.assert_array_equal(got.to_numpy(), [[np.nan, 4.3], [4.1, np.nan]])
    assert read_curve_file(tmp_path / "absent.csv", ("DGS",), required=False) is None
    bad = {
        "date,DGS10\n2024-01-02,4\n2024-01-03,four\n": r"row 3, column DGS10: DGS10 'four' is not",
        "date,DGS10\n2024-01-02,4\n2024-01-02,4\n": r"row 3, column date: duplicate date",
        "date,DGS10\n2024-01-02,4\n02/01/2024,4\n": r"row 3, column date: date '02/01/2024'",
        "date,X\n2024-01-02,4\n": r"no yield columns starting with DGS",
    }
    for text, message in bad.items():
        with pytest.raises(SchemaError, match=r"^y\.csv: " + message):
            read_curve_file(_write(tmp_path, "y.csv", text), ("DGS",), required=True)
    with pytest.raises(InputError, match="file not found"):
        read_curve_file(tmp_path / "absent.csv", ("DGS",), required=True)


# ----------------------------------------------------------------------------- prices: one row
GOOD = ["2026-07-29,TLT,82.1,80.0", "2026-07-30,TLT,82.8,80.5", "2026-07-31,IEF,95.0,94.0"]
BAD_LINES = {
    "not a number": ("2026-07-31,TLT,abc,81.0", r"row 4, ticker TLT, column close: close 'abc'"),
    "bad date": ("31/07/2026,TLT,82.0,81.0", r"row 4, ticker TLT, column date: date '31/07/2026'"),
    "not positive": ("2026-07-31,TLT,0,81.0", r"row 4, ticker TLT, column close: close 0.0 must"),
    "duplicate": (
        "2026-07-30,TLT,82.8,80.5",
        r"row 4, ticker TLT: duplicate date/ticker "
        r"\(2026-07-30, TLT\)",
    ),
    "blank ticker": ("2026-07-31,,82.0,81.0", r"row 4, column ticker: ticker is blank"),
    "no price": ("2026-07-31,TLT,,", r"row 4, ticker TLT, column close: close \(and adj_close\)"),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_same_bad_line_same_row_in_pack_and_prices_update(tmp_path: Path, case: str) -> None:
    line, message = BAD_LINES[case]
    # the bad line is the third data line: spreadsheet row 4 (header = row 1)
    path = _write(
        tmp_path,
        "prices.csv",
        "date,ticker,close,adj_close\n" + "\n".join([*GOOD[:2], line, GOOD[2]]) + "\n",
    )
    with pytest.raises(SchemaError, match=r"^prices\.csv: " + message) as pack_err:
        read_prices(path)
    with pytest.raises(SchemaError, match=r"^prices\.csv: " + message) as update_err:
        read_price_file(path)
    assert str(pack_err.value) == str(update_err.value)
    assert pack_err.value.row == 4


def test_same_row_through_both_commands(tiny_dir: Path, capsys: pytest.CaptureFixture) -> None:
    prices = tiny_dir / "prices.csv"
    lines = prices.read_text().splitlines()
    lines[7] = lines[7].replace(lines[7].split(",")[2], "abc", 1)  # the 7th data line: row 8
    prices.write_text("\n".join(lines) + "\n")
    assert main(["pack", "--data", str(tiny_dir), "--out", str(tiny_dir / "out")]) == 2
    pack_err = capsys.readouterr().err
    assert main(["prices", "update", "--data", str(tiny_dir), "--tickers", "TSY"]) == 2
    update_err = capsys.readouterr().err
    assert "prices.csv: row 8, ticker TSY, column close: close 'abc' is not a number" in pack_err
    assert "prices.csv: row 8, ticker TSY, column close: close 'abc' is not a number" in update_err


def test_wrong_field_count_is_a_spreadsheet_row(tmp_path: Path) -> None:
    path = _write(tmp_path, "prices.csv", "date,ticker,close\n2026-07-30,TLT,1\n2026-07-31,TLT\n")
    with pytest.raises(SchemaError, match=r"^prices\.csv: row 3: 2 fields, expected 3$"):
        read_price_file(path)


@pytest.mark.parametrize("second", ["82.8", "x"])
def test_without_adj_close_it_equals_close(tmp_path: Path, second: str) -> None:
    """The fast numeric path and the text path (taken when a value does not parse) agree."""
    path = _write(tmp_path, "prices.csv", f"date,ticker,close\n2026-07-30,TLT,{second}\n")
    if second == "x":
        with pytest.raises(SchemaError, match=r"row 2, ticker TLT, column close: close 'x'"):
            read_prices(path)
        return
    got = read_prices(path)
    assert got[["close", "adj_close", "row"]].to_numpy().tolist() == [[82.8, 82.8, 2]]


# ----------------------------------------------------------------------------- the input folder
FOLDER_CASES = {
    "master: blank group": (
        "security_master.csv",
        lambda t: t.replace("HYB,High Yield Fund,hy_credit", "HYB,High Yield Fund,", 1),
        r"security_master\.csv: row 4, ticker HYB, column group: group is blank",
    ),
    "master: CASH listed": (
        "security_master.csv",
        lambda t: t + "CASH,Cash,cash,Cash,AAA,true\n",
        r"security_master\.csv: row 7, ticker CASH, column ticker: CASH is built in",
    ),
    "durations: not a number": (
        "duration_monthly.csv",
        lambda t: t.replace("2024-01,HYB,4", "2024-01,HYB,four", 1),
        r"duration_monthly\.csv: row 4, ticker HYB, column duration: duration 'four' is not",
    ),
    "durations: out of range": (
        "duration_monthly.csv",
        lambda t: t.replace("2024-01,HYB,4", "2024-01,HYB,61", 1),
        r"duration_monthly\.csv: row 4, ticker HYB, column duration: duration 61 years is",
    ),
    "durations: duplicate": (
        "duration_monthly.csv",
        lambda t: t + "2024-01,TSY,6\n",
        r"duration_monthly\.csv: row 12, ticker TSY: duplicate month/ticker \(2024-01, TSY\)",
    ),
    "benchmark: negative": (
        "benchmark_weights.csv",
        lambda t: t.replace("IGC,30", "IGC,-30", 1),
        r"benchmark_weights\.csv: row 3, ticker IGC, column weight: weight -30 must not be",
    ),
    "benchmark: blank effective date": (
        "benchmark_weights.csv",
        lambda t: "ticker,weight,effective_date\nTSY,50,2024-01-02\nIGC,30,\nBMK,20,2024-01-02\n",
        r"benchmark_weights\.csv: row 3, ticker IGC, column effective_date: effective_date is",
    ),
    "ledger: negative fees": (
        "transactions.csv",
        lambda t: t.replace("2024-01-29,IGC,BUY,600,50,5", "2024-01-29,IGC,BUY,600,50,-5", 1),
        r"transactions\.csv: row 4, ticker IGC, column fees: fees -5 must not be negative",
    ),
}


@pytest.mark.parametrize("case", sorted(FOLDER_CASES))
def test_input_folder_errors_name_file_row_ticker_column(tmp_path: Path, case: str) -> None:
    from helpers.tiny import (
        TINY_BENCHMARK,
        TINY_DURATIONS,
        TINY_SECURITIES,
        TINY_TRANSACTIONS,
        write_tiny_book,
    )

    from fimonitor.data.loaders import load_book

    name, edit, message = FOLDER_CASES[case]
    base = {
        "security_master.csv": TINY_SECURITIES,
        "duration_monthly.csv": TINY_DURATIONS,
        "benchmark_weights.csv": TINY_BENCHMARK,
        "transactions.csv": TINY_TRANSACTIONS,
    }[name]
    data = write_tiny_book(tmp_path / "d", **{name: edit(base)})
    with pytest.raises(InputError, match="^" + message):
        load_book(data)


# ------------------------------------------------- prices fast path: checks per distinct label
def test_fast_path_finds_duplicates_after_normalising_labels(tmp_path: Path) -> None:
    """' tlt' and 'TLT' on the same date are one pair (labels are normalised before the check)."""
    path = _write(
        tmp_path,
        "prices.csv",
        "date,ticker,close,adj_close\n2026-07-29,TLT,82.1,80.0\n"
        "2026-07-30,TLT,82.8,80.5\n 2026-07-30 , tlt ,82.8,80.5\n",
    )
    with pytest.raises(SchemaError, match=r"row 4, ticker TLT: duplicate date/ticker"):
        read_prices(path)


def test_fast_path_reports_value_errors_before_duplicates(tmp_path: Path) -> None:
    """Same order as the text path: a bad value on a later row wins over an earlier repeat."""
    path = _write(
        tmp_path,
        "prices.csv",
        "date,ticker,close,adj_close\n2026-07-29,TLT,82.1,80.0\n"
        "2026-07-29,TLT,82.1,80.0\n2026-07-30,IEF,-1,80.0\n",
    )
    with pytest.raises(SchemaError, match=r"row 4, ticker IEF, column close: close -1.0 must"):
        read_prices(path)


def test_fast_path_bad_label_names_its_first_row(tmp_path: Path) -> None:
    """A bad ticker used on many rows is reported at its first row, as row-by-row checks do."""
    rows = [f"2026-07-{d:02d},TLT,82.0,81.0" for d in range(1, 20)]
    rows[6] = "2026-07-07,T LT,82.0,81.0"
    rows[9] = "2026-07-10,T LT,82.0,81.0"
    path = _write(tmp_path, "prices.csv", "date,ticker,close,adj_close\n" + "\n".join(rows))
    with pytest.raises(SchemaError, match=r"^prices\.csv: row 8, column ticker: ticker 'T LT'"):
        read_prices(path)
    assert read_prices(_write(tmp_path, "ok.csv", "date,ticker,close\n2026-07-01,tlt,1\n"))[
        "ticker"
    ].tolist() == ["TLT"]


def test_absent_ohlv_panels_are_read_only_nan_and_take_no_memory(tmp_path: Path) -> None:
    """A prices file without open/high/low/volume gives NaN panels backed by one broadcast NaN."""
    from helpers.tiny import write_tiny_book

    from fimonitor.data.loaders import load_book

    book = load_book(write_tiny_book(tmp_path))
    assert "open" not in (tmp_path / "prices.csv").read_text().splitlines()[0]
    for name in ("open", "high", "low", "volume"):
        panel = getattr(book, name)
        assert panel.shape == book.close.shape and panel.isna().all().all()
        arr = panel._mgr.blocks[0].values
        assert arr.strides == (0, 0) and not arr.flags.writeable
        with pytest.raises((ValueError, TypeError)):
            panel.iloc[0, 0] = 1.0
