"""`fimonitor prices update`: download (fake, never the network), validate, merge, replace.

The recorded data in ``tests/data/yfinance/`` are real rows of the shared prices file laid out
the way yfinance 1.7 returns them (see the README there).
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yfinance

from fimonitor.cli import main
from fimonitor.data import sources, update
from fimonitor.data.quality import stale_tickers
from fimonitor.data.sources import fetch_prices, parse_yfinance_frame
from fimonitor.data.update import read_price_file, update_prices
from fimonitor.errors import DownloadError, SchemaError

DATA = Path(__file__).resolve().parent / "yfinance"
RECORDED_PRICES = DATA / "prices_2026-06-01_2026-07-31.csv"
RECORDED_DOWNLOAD = DATA / "download_2026-07-17_2026-07-31.csv"
TICKERS = ["IEF", "MBB", "SPY", "TLT"]
YF_LOG = logging.getLogger("yfinance")


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """No test may reach Yahoo: the real entry points raise; waits are recorded, not slept."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test tried to use the network through yfinance")

    monkeypatch.setattr(yfinance, "download", refuse)
    monkeypatch.setattr(yfinance.Ticker, "history", refuse)
    waits: list[float] = []
    monkeypatch.setattr(sources, "_pause", waits.append)
    return waits


def recorded_download() -> pd.DataFrame:
    return pd.read_csv(RECORDED_DOWNLOAD, header=[0, 1], index_col=0, parse_dates=True)


def yf_frame(rows: list[tuple[str, str, float, float]], tickers: list[str]) -> pd.DataFrame:
    """A yfinance-1.7-shaped answer from (date, ticker, close, adj_close) rows."""
    long = pd.DataFrame(rows, columns=["date", "ticker", "close", "adj_close"])
    long["date"] = pd.to_datetime(long["date"])
    close = long.pivot(index="date", columns="ticker", values="close").reindex(columns=tickers)
    adj = long.pivot(index="date", columns="ticker", values="adj_close").reindex(columns=tickers)
    nan = pd.DataFrame(np.nan, index=close.index, columns=tickers)
    frame = pd.concat(
        {"Adj Close": adj, "Close": close, "High": nan, "Low": nan, "Open": nan, "Volume": nan},
        axis=1,
        names=["Price", "Ticker"],
    )
    frame.index.name = "Date"
    return frame


class FakeYahoo:
    """Called like ``yfinance.download``; serves a frame, mimicking yfinance's failure modes.

    unknown: tickers answered as all-NaN columns with yfinance's "no timezone found" log line.
    silent: tickers answered as all-NaN columns with no message (a partial answer).
    fail_first: the first N calls raise ``ConnectionError``.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        unknown: tuple[str, ...] = (),
        silent: tuple[str, ...] = (),
        fail_first: int = 0,
    ) -> None:
        self.frame = frame
        self.unknown = unknown
        self.silent = silent
        self.fail_first = fail_first
        self.calls: list[dict[str, object]] = []

    def __call__(self, tickers, start=None, end=None, **kwargs):
        self.calls.append({"tickers": list(tickers), "start": start, "end": end, **kwargs})
        if len(self.calls) <= self.fail_first:
            raise ConnectionError("Connection reset by peer")
        idx = self.frame.index
        rows = (idx >= pd.Timestamp(start)) & (idx < pd.Timestamp(end) if end else True)
        out = self.frame.loc[rows]
        have = set(out.columns.get_level_values(1))
        fields = list(dict.fromkeys(out.columns.get_level_values(0)))
        cols = pd.MultiIndex.from_product([fields, sorted(t.upper() for t in tickers)])
        out = out.reindex(columns=cols)
        out.columns.names = ["Price", "Ticker"]
        for t in tickers:
            if t in self.unknown:
                YF_LOG.error(f"['{t}']: possibly delisted; no timezone found")
            if t in self.silent or t in self.unknown or t not in have:
                out.loc[:, (slice(None), t)] = np.nan
        return out


def make_book(
    folder: Path,
    until: str = "2026-07-24",
    *,
    master: tuple[str, ...] = ("IEF", "MBB", "TLT"),
    benchmark: tuple[str, ...] = ("TLT", "SPY", "IEF"),
) -> Path:
    """A data folder: recorded prices up to ``until`` (real lines, byte for byte) + ticker files."""
    lines = RECORDED_PRICES.read_text().split("\n")
    body = [ln for ln in lines[1:] if ln and ln[:10] <= until]
    (folder / "prices.csv").write_text("\n".join([lines[0], *body]) + "\n")
    sm = ["ticker,name,group,sector,rating_bucket,is_cash_proxy"]
    sm += [f"{t},{t} fund,treasury,Treasury,AAA,false" for t in master]
    (folder / "security_master.csv").write_text("\n".join(sm) + "\n")
    w = 1.0 / len(benchmark)
    bw = ["ticker,weight", *(f"{t},{w}" for t in benchmark)]
    (folder / "benchmark_weights.csv").write_text("\n".join(bw) + "\n")
    return folder


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["prices", "update", *args])
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------------------------- parsing


def test_recorded_frame_parses_to_the_stored_rows() -> None:
    got = parse_yfinance_frame(recorded_download(), [*TICKERS, "ZZZZ"])
    want = pd.read_csv(RECORDED_PRICES, parse_dates=["date"])
    want = want[want["date"] >= "2026-07-17"].reset_index(drop=True)
    assert list(got.columns) == ["date", "ticker", "close", "adj_close"]
    assert "ZZZZ" not in set(got["ticker"])  # all-NaN column = no rows
    pd.testing.assert_frame_equal(
        got.astype({"ticker": str}), want.astype({"ticker": str}), check_dtype=False
    )
    assert got.loc[got["ticker"] == "MBB", "close"].isna().all()  # blank stays blank


def test_recorded_frame_matches_what_yfinance_download_builds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Run yfinance 1.7's own download() with a fake Ticker serving the recorded rows."""
    import yfinance.multi
    import yfinance.utils

    recorded = recorded_download()

    class Prices:
        _last_error = None

    class FakeTicker:
        def __init__(self, ticker: str) -> None:
            self.ticker = ticker
            self._price_history = Prices()

        def history(self, start=None, end=None, **kwargs):
            if self.ticker not in TICKERS:
                self._price_history._last_error = "possibly delisted; no timezone found"
                return yfinance.utils.empty_df()
            one = recorded.xs(self.ticker, axis=1, level=1)
            one = one[["Open", "High", "Low", "Close", "Adj Close", "Volume"]]
            rows = (one.index >= pd.Timestamp(start)) & (one.index < pd.Timestamp(end))
            one = one[rows].copy()
            one.index = one.index.tz_localize("America/New_York").rename("Date")
            return one

    monkeypatch.setattr(yfinance.multi, "Ticker", FakeTicker)
    seen: list[pd.DataFrame] = []

    def real_download(tickers, **kwargs):
        seen.append(yfinance.multi.download(tickers, **kwargs))
        return seen[-1]

    result = fetch_prices([*TICKERS, "ZZZZ"], "2026-07-17", "2026-07-31", downloader=real_download)
    built = seen[0]
    assert isinstance(built.columns, pd.MultiIndex)
    assert list(built.columns.names) == ["Price", "Ticker"]
    assert list(built.columns) == list(recorded.columns)
    pd.testing.assert_frame_equal(
        built, recorded, check_dtype=False, check_index_type=False, check_freq=False
    )
    assert result.failures == {
        "ZZZZ": "unknown or delisted ticker: possibly delisted; no timezone found"
    }
    assert len(result.prices) == 4 * 11


def test_parse_accepts_ticker_grouping_flat_columns_and_timezones() -> None:
    rec = recorded_download()
    by_ticker = rec.swaplevel(0, 1, axis=1)
    a = parse_yfinance_frame(rec, TICKERS)
    b = parse_yfinance_frame(by_ticker, TICKERS)
    pd.testing.assert_frame_equal(a, b)
    flat = rec.xs("TLT", axis=1, level=1)
    flat.index = flat.index.tz_localize("America/New_York")
    c = parse_yfinance_frame(flat, ["tlt"])  # lower-case request, Yahoo answers upper-case
    assert set(c["ticker"]) == {"tlt"}
    np.testing.assert_allclose(c["close"], a.loc[a["ticker"] == "TLT", "close"])
    assert (c["date"].to_numpy() == a.loc[a["ticker"] == "TLT", "date"].to_numpy()).all()
    with pytest.raises(DownloadError, match="Adj Close"):
        parse_yfinance_frame(rec.drop(columns="Adj Close", level=0), TICKERS)


def test_downloader_gets_unadjusted_close_options() -> None:
    fake = FakeYahoo(recorded_download())
    fetch_prices(["TLT"], "2026-07-20", "2026-07-24", downloader=fake)
    call = fake.calls[0]
    assert call["auto_adjust"] is False and call["actions"] is False
    assert call["group_by"] == "column" and call["progress"] is False
    assert call["start"] == "2026-07-20" and call["end"] == "2026-07-25"  # yfinance end exclusive


# ----------------------------------------------------------------------------- success and merge


def test_success_adds_only_new_rows_and_keeps_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    book = make_book(tmp_path)
    before = (book / "prices.csv").read_bytes()
    fake = FakeYahoo(recorded_download())
    monkeypatch.setattr(yfinance, "download", fake)
    code, out, err = run_cli(capsys, "--data", str(book))
    assert code == 0, err
    after = (book / "prices.csv").read_bytes()
    # every stored line kept byte for byte, and the result is exactly the real file to 07-31
    assert after == RECORDED_PRICES.read_bytes()
    old_lines, new_lines = before.split(b"\n"), after.split(b"\n")
    assert set(old_lines) <= set(new_lines)
    added = [ln for ln in new_lines if ln not in set(old_lines)]
    assert len(added) == 20 and all(ln[:10] > b"2026-07-24" for ln in added)
    assert "added 20 row(s) for 4 ticker(s), 2026-07-27 .. 2026-07-31" in out
    # default tickers: security master then benchmark; the anchor date is downloaded too
    assert sorted(fake.calls[0]["tickers"]) == ["IEF", "MBB", "SPY", "TLT"]
    assert fake.calls[0]["start"] == "2026-07-24"
    end = update.default_end() + pd.Timedelta(days=1)  # yfinance's end is exclusive
    assert fake.calls[0]["end"] == f"{end:%Y-%m-%d}"
    assert err == ""


def test_second_run_is_up_to_date_and_leaves_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    book = make_book(tmp_path, until="2026-07-31")
    digest = sha(book / "prices.csv")
    mtime = os.stat(book / "prices.csv").st_mtime_ns
    monkeypatch.setattr(yfinance, "download", FakeYahoo(recorded_download()))
    code, out, _ = run_cli(capsys, "--data", str(book))
    assert code == 0
    assert "already up to date" in out
    assert sha(book / "prices.csv") == digest
    assert os.stat(book / "prices.csv").st_mtime_ns == mtime  # not even rewritten


def test_adj_close_is_chained_on_the_anchor_date(tmp_path: Path) -> None:
    """Yahoo re-bases Adj Close after a distribution; the join must keep the true return."""
    (tmp_path / "prices.csv").write_text(
        "date,ticker,close,adj_close\n2026-07-30,AAA,100.0,98.0\n2026-07-31,AAA,101.0,99.0\n"
    )
    # new base: the stored 99.0 is now 98.0; the next day returns 99.96/98 - 1 = +2 %
    answer = yf_frame(
        [("2026-07-31", "AAA", 101.0, 98.0), ("2026-08-03", "AAA", 100.8, 99.96)], ["AAA"]
    )
    rep = update_prices(tmp_path, ["AAA"], downloader=FakeYahoo(answer), today="2026-08-04")
    assert rep.written
    lines = (tmp_path / "prices.csv").read_text().splitlines()
    assert lines[-1] == "2026-08-03,AAA,100.8,100.98"  # 99 * 99.96 / 98
    stored = pd.read_csv(tmp_path / "prices.csv")
    ret = stored["adj_close"].iloc[-1] / stored["adj_close"].iloc[-2] - 1
    assert ret == pytest.approx(99.96 / 98.0 - 1, abs=1e-8)
    assert rep.differences.empty  # the anchor's close agrees; its adj_close is not compared


def test_overlap_kept_and_reported_or_replaced(tmp_path: Path) -> None:
    book = make_book(tmp_path, until="2026-07-31")
    rec = recorded_download()
    rec.loc["2026-07-29", ("Close", "TLT")] = 90.0  # Yahoo now says something else
    stored = (book / "prices.csv").read_text()
    rep = update_prices(
        book, ["TLT"], start="2026-07-28", downloader=FakeYahoo(rec), today="2026-08-01"
    )
    assert not rep.written and rep.added.empty
    d = rep.differences
    assert len(d) == 1
    assert (d["ticker"].iloc[0], d["column"].iloc[0]) == ("TLT", "close")
    assert (d["stored"].iloc[0], d["downloaded"].iloc[0]) == (82.85, 90.0)
    assert (book / "prices.csv").read_text() == stored

    rep = update_prices(
        book,
        ["TLT"],
        start="2026-07-28",
        replace_overlap=True,
        downloader=FakeYahoo(rec),
        today="2026-08-01",
    )
    assert rep.written and len(rep.replaced) == 1
    new = (book / "prices.csv").read_text().split("\n")
    old = stored.split("\n")
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert changed == [("2026-07-29,TLT,82.85,82.849998", "2026-07-29,TLT,90.0,82.849998")]


def test_gap_longer_than_a_week_gives_a_note(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text("date,ticker,close,adj_close\n2026-07-01,AAA,10.0,10.0\n")
    answer = yf_frame(
        [
            ("2026-07-01", "AAA", 10.0, 10.0),
            ("2026-07-02", "AAA", 10.5, 10.5),
            ("2026-07-13", "AAA", 11.0, 11.0),
        ],
        ["AAA"],
    )
    rep = update_prices(tmp_path, ["AAA"], downloader=FakeYahoo(answer), today="2026-07-14")
    assert rep.written and len(rep.added) == 2
    assert rep.notes == ("AAA: no prices between 2026-07-02 and 2026-07-13 (11 days)",)


def test_crlf_close_only_file_sorted_by_date(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_bytes(
        b"date,ticker,close\r\n2026-07-30,BBB,20.5\r\n2026-07-30,CCC,30.25\r\n"
        b"2026-07-31,BBB,20.75\r\n2026-07-31,CCC,30.125\r\n"
    )
    answer = yf_frame(
        [
            ("2026-07-31", "BBB", 20.75, 20.0),
            ("2026-07-31", "CCC", 30.125, 29.0),
            ("2026-08-03", "BBB", 21.123456, 20.4),
            ("2026-08-03", "CCC", 31.0, 30.0),
        ],
        ["BBB", "CCC"],
    )
    rep = update_prices(tmp_path, ["CCC", "BBB"], downloader=FakeYahoo(answer), today="2026-08-04")
    assert rep.written
    assert (tmp_path / "prices.csv").read_bytes() == (
        b"date,ticker,close\r\n2026-07-30,BBB,20.5\r\n2026-07-30,CCC,30.25\r\n"
        b"2026-07-31,BBB,20.75\r\n2026-07-31,CCC,30.125\r\n"
        b"2026-08-03,BBB,21.1235\r\n2026-08-03,CCC,31.0\r\n"  # close: at least 4 decimals
    )


def test_new_ticker_starts_at_the_files_first_date(tmp_path: Path) -> None:
    make_book(tmp_path)
    fake = FakeYahoo(recorded_download())
    (tmp_path / "prices.csv").write_text(
        "date,ticker,close,adj_close\n2026-07-17,TLT,84.52,84.519997\n"
    )
    rep = update_prices(tmp_path, ["TLT", "SPY"], downloader=fake, today="2026-08-01")
    # one call: TLT's anchor date and SPY's first date coincide
    assert [(sorted(c["tickers"]), c["start"]) for c in fake.calls] == [
        (["SPY", "TLT"], "2026-07-17")
    ]
    assert set(rep.added["ticker"]) == {"TLT", "SPY"}
    assert len(rep.added) == 10 + 11


# ----------------------------------------------------------------------------- failures


def test_empty_answer_no_network_exit_2_file_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What yfinance 1.7 does offline: logs DNS errors, returns an empty frame, raises nothing."""
    book = make_book(tmp_path)
    digest = sha(book / "prices.csv")

    def offline(tickers, **kwargs):
        YF_LOG.error("Cookie/crumb fetch failed (DNSError), continuing without crumb")
        YF_LOG.error(
            f"{list(tickers)}: DNSError('Failed to perform, curl: (6) Could not resolve host: "
            "query2.finance.yahoo.com. See https://curl.se/libcurl/c/libcurl-errors.html')"
        )
        return recorded_download().iloc[:0]

    monkeypatch.setattr(yfinance, "download", offline)
    code, out, err = run_cli(capsys, "--data", str(book))
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("fimonitor: error: download failed, prices.csv unchanged: ")
    assert "IEF, MBB, TLT, SPY: no network" in err
    assert "Could not resolve host: query2.finance.yahoo.com." in err
    assert sha(book / "prices.csv") == digest


def test_empty_answer_without_any_message(tmp_path: Path) -> None:
    book = make_book(tmp_path)
    digest = sha(book / "prices.csv")
    with pytest.raises(DownloadError, match=r"unchanged: TLT: no prices returned$"):
        update_prices(book, ["TLT"], downloader=lambda t, **k: pd.DataFrame(), today="2026-08-01")
    assert sha(book / "prices.csv") == digest


def test_partial_answer_exit_2_unless_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    book = make_book(tmp_path)
    digest = sha(book / "prices.csv")
    monkeypatch.setattr(yfinance, "download", FakeYahoo(recorded_download(), silent=("SPY",)))
    code, _, err = run_cli(capsys, "--data", str(book))
    assert code == 2 and err.count("\n") == 1
    assert "partial answer, prices.csv unchanged: SPY: no prices returned" in err
    assert "--allow-partial" in err
    assert sha(book / "prices.csv") == digest

    code, out, err = run_cli(capsys, "--data", str(book), "--allow-partial")
    assert code == 0
    assert "missing SPY: no prices returned" in err
    assert "added 15 row(s) for 3 ticker(s)" in out
    stored = pd.read_csv(book / "prices.csv")
    assert stored.groupby("ticker")["date"].max().to_dict() == {
        "IEF": "2026-07-31",
        "MBB": "2026-07-31",
        "SPY": "2026-07-24",
        "TLT": "2026-07-31",
    }


def test_yahoo_error_retried_then_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    _no_network: list[float],
) -> None:
    book = make_book(tmp_path)
    digest = sha(book / "prices.csv")
    fake = FakeYahoo(recorded_download(), fail_first=99)
    monkeypatch.setattr(yfinance, "download", fake)
    code, _, err = run_cli(capsys, "--data", str(book), "--tickers", "TLT", "SPY")
    assert code == 2 and err.count("\n") == 1
    assert "Yahoo error for TLT, SPY: ConnectionError: Connection reset by peer" in err
    assert "(after 4 tries)" in err
    assert len(fake.calls) == 4
    assert _no_network == [1.0, 2.0, 4.0]  # exponential back-off between the tries
    assert sha(book / "prices.csv") == digest


def test_retry_then_success(tmp_path: Path) -> None:
    book = make_book(tmp_path)
    waits: list[float] = []
    fake = FakeYahoo(recorded_download(), fail_first=2)
    rep = update_prices(book, ["TLT"], downloader=fake, sleep=waits.append, today="2026-08-01")
    assert rep.written and rep.attempts == 3 and len(fake.calls) == 3
    assert waits == [1.0, 2.0]
    assert len(rep.added) == 5


def test_transient_ticker_failure_is_retried_alone(tmp_path: Path) -> None:
    book = make_book(tmp_path)
    rec = recorded_download()
    calls: list[list[str]] = []

    def rate_limited_once(tickers, **kwargs):
        calls.append(sorted(tickers))
        out = FakeYahoo(rec)(tickers, **kwargs)
        if len(calls) == 1:
            YF_LOG.error("['SPY']: YFRateLimitError('Too Many Requests. Rate limited.')")
            out.loc[:, (slice(None), "SPY")] = np.nan
        return out

    waits: list[float] = []
    rep = update_prices(
        book, ["TLT", "SPY"], downloader=rate_limited_once, sleep=waits.append, today="2026-08-01"
    )
    assert calls == [["SPY", "TLT"], ["SPY"]] and waits == [1.0]
    assert rep.written and not rep.missing and len(rep.added) == 10


def test_unknown_ticker_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    book = make_book(tmp_path)
    digest = sha(book / "prices.csv")
    monkeypatch.setattr(yfinance, "download", FakeYahoo(recorded_download(), unknown=("ZZZZ",)))
    code, _, err = run_cli(capsys, "--data", str(book), "--tickers", "TLT", "ZZZZ")
    assert code == 2 and err.count("\n") == 1
    assert "ZZZZ: unknown or delisted ticker: possibly delisted; no timezone found" in err
    assert sha(book / "prices.csv") == digest


def test_non_positive_price_rejected(tmp_path: Path) -> None:
    book = make_book(tmp_path)
    digest = sha(book / "prices.csv")
    rec = recorded_download()
    rec.loc["2026-07-28", ("Close", "IEF")] = 0.0
    with pytest.raises(DownloadError, match=r"close 0.0 for IEF on 2026-07-28 .*must be positive"):
        update_prices(book, ["IEF"], downloader=FakeYahoo(rec), today="2026-08-01")
    assert sha(book / "prices.csv") == digest


def test_duplicate_rows_in_answer_rejected(tmp_path: Path) -> None:
    book = make_book(tmp_path)
    rec = recorded_download()
    doubled = pd.concat([rec, rec.iloc[[-1]]])
    with pytest.raises(DownloadError, match="repeats ticker TLT on 2026-07-31"):
        update_prices(book, ["TLT"], downloader=lambda t, **k: doubled, today="2026-08-01")


def test_failed_write_leaves_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = make_book(tmp_path)
    digest = sha(book / "prices.csv")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    import fimonitor.fileio

    monkeypatch.setattr(fimonitor.fileio.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        update_prices(book, ["TLT"], downloader=FakeYahoo(recorded_download()), today="2026-08-01")
    assert sha(book / "prices.csv") == digest
    assert sorted(p.name for p in book.iterdir()) == [
        "benchmark_weights.csv",
        "prices.csv",
        "security_master.csv",
    ]


def test_bad_prices_file_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "prices.csv").write_text(
        "date,ticker,close\n2026-07-30,TLT,82.8\n2026-07-31,TLT,abc\n"
    )
    # spreadsheet rows (header = row 1): the second data line is row 3, as in ``pack``
    with pytest.raises(
        SchemaError, match=r"prices.csv: row 3, ticker TLT, column close: close 'abc'"
    ):
        read_price_file(tmp_path / "prices.csv")
    code, _, err = run_cli(capsys, "--data", str(tmp_path), "--tickers", "TLT")
    assert code == 2 and "row 3, ticker TLT" in err
    with pytest.raises(SystemExit) as usage:
        run_cli(capsys, "--data", str(tmp_path), "--start", "31/07/2026")
    assert usage.value.code == 2
    assert "'31/07/2026' is not a date YYYY-MM-DD" in capsys.readouterr().err


def test_default_tickers_union_without_cash(tmp_path: Path) -> None:
    make_book(tmp_path, master=("BIL", "TLT", "CASH"), benchmark=("TLT", "AGG"))
    assert update.default_tickers(tmp_path) == ["BIL", "TLT", "AGG"]


def test_no_network_stops_after_first_chunk_and_progress_bar(
    capsys: pytest.CaptureFixture[str],
) -> None:
    calls: list[list[str]] = []

    def offline(tickers, **kwargs):
        calls.append(list(tickers))
        YF_LOG.error(f"{list(tickers)}: DNSError('Could not resolve host: query2')")
        return pd.DataFrame()

    res = fetch_prices(list("ABCDEF"), "2026-07-01", downloader=offline, chunk_size=2)
    assert calls == [["A", "B"]] and res.attempts == 1
    assert set(res.failures) == set("ABCDEF")
    assert all(v.startswith("no network") for v in res.failures.values())

    fake = FakeYahoo(recorded_download())
    fetch_prices(TICKERS, "2026-07-20", downloader=fake, chunk_size=1, progress=True)
    assert len(fake.calls) == 4
    assert "downloading" in capsys.readouterr().err  # tqdm bar on stderr


# ----------------------------------------------------------------------------- stale helper


def test_stale_tickers() -> None:
    dates = pd.to_datetime(["2026-04-28", "2026-04-29", "2026-04-30", "2026-05-01"])
    close = pd.DataFrame(
        {
            "AAA": [1.0, 1.0, 1.0, 1.0],
            "BBB": [1.0, 1.0, np.nan, np.nan],
            "CCC": [np.nan] * 4,
        },
        index=dates,
    )
    got = stale_tickers(close, ["AAA", "BBB", "CCC", "DDD", "CASH"], "2026-04-30")
    assert list(got.columns) == ["ticker", "last_price_date", "days_stale", "sessions_stale"]
    assert got["ticker"].tolist() == ["BBB", "CCC", "DDD"]
    assert got["last_price_date"].iloc[0] == pd.Timestamp("2026-04-29")
    assert got["last_price_date"].iloc[1:].isna().all()
    assert got["days_stale"].iloc[0] == 1 and got["days_stale"].iloc[1:].isna().all()
    assert got["sessions_stale"].iloc[0] == 1 and got["sessions_stale"].iloc[1:].isna().all()
    # staleness counts NYSE sessions: Friday 2026-04-24 -> Monday 2026-04-27 is 1 session
    fri = close.reindex(pd.to_datetime(["2026-04-24", "2026-04-27"]))
    fri.loc["2026-04-24", "AAA"] = 1.0
    assert stale_tickers(fri, ["AAA"], "2026-04-27")["sessions_stale"].iloc[0] == 1
    # the price after the as-of date does not count; a current book gives an empty frame
    assert stale_tickers(close, ["AAA"], "2026-04-30").empty
    # on the real recorded rows: only MBB (no unadjusted close at all) is stale
    rec = pd.read_csv(RECORDED_PRICES, parse_dates=["date"])
    panel = rec.pivot(index="date", columns="ticker", values="close")
    got = stale_tickers(panel, TICKERS, "2026-07-31")
    assert got["ticker"].tolist() == ["MBB"]


def test_download_prices_simple_form() -> None:
    fake = FakeYahoo(recorded_download())
    got = sources.download_prices(["TLT", "MBB"], "2026-07-29", "2026-07-30", downloader=fake)
    assert got["date"].tolist() == [pd.Timestamp("2026-07-29"), pd.Timestamp("2026-07-30")] * 2
    assert got["ticker"].tolist() == ["MBB", "MBB", "TLT", "TLT"]
    assert got["adj_close"].tolist() == [93.230003, 93.290001, 82.849998, 82.800003]
    np.testing.assert_array_equal(got["close"].isna(), [True, True, False, False])
    np.testing.assert_allclose(got["close"].iloc[2:], [82.85, 82.8])
    with pytest.raises(DownloadError, match="TLT: no prices returned"):
        sources.download_prices(["TLT"], "2026-08-01", downloader=lambda t, **k: pd.DataFrame())


def test_default_end_keeps_intraday_prices_out() -> None:
    ny = "America/New_York"
    assert update.default_end(pd.Timestamp("2026-08-04 15:59", tz=ny)) == pd.Timestamp("2026-08-03")
    assert update.default_end(pd.Timestamp("2026-08-04 18:00", tz=ny)) == pd.Timestamp("2026-08-04")
    # 23:30 UTC is 19:30 in New York (EDT): the day is complete
    assert update.default_end(pd.Timestamp("2026-08-04 23:30", tz="UTC")) == pd.Timestamp(
        "2026-08-04"
    )
    assert update.default_end("2026-08-04") == pd.Timestamp("2026-08-04")


# ----------------------------------------------------------------------------- open/high/low/volume

OHLCV_HEADER = "date,ticker,close,adj_close,open,high,low,volume"


def ohlcv_answer() -> pd.DataFrame:
    """The recorded answer with Open/High/Low/Volume filled from Close (MBB's Close is blank)."""
    rec = recorded_download()
    for k, t in enumerate(TICKERS):
        close = rec[("Close", t)]
        rec[("Open", t)] = close - 0.25
        rec[("High", t)] = close + 0.5
        rec[("Low", t)] = close - 0.75
        rec[("Volume", t)] = 1000.0 * (k + 1) + np.arange(len(rec))
    return rec


def ohlcv_book(folder: Path) -> Path:
    """make_book with the OHLCV header; every other stored line carries OHLCV values."""
    book = make_book(folder)
    lines = (book / "prices.csv").read_text().split("\n")
    body = [ln + (",1.5,2.5,0.5,1200" if i % 2 else ",,,,") for i, ln in enumerate(lines[1:-1])]
    (book / "prices.csv").write_text("\n".join([OHLCV_HEADER, *body]) + "\n")
    return book


def test_parse_keeps_ohlcv_only_when_asked() -> None:
    rec = ohlcv_answer()
    assert list(parse_yfinance_frame(rec, TICKERS).columns) == list(sources.LONG_COLUMNS)
    got = parse_yfinance_frame(rec, TICKERS, ohlcv=True)
    assert list(got.columns) == [*sources.LONG_COLUMNS, "open", "high", "low", "volume"]
    tlt = got[got["ticker"] == "TLT"].set_index("date")
    np.testing.assert_allclose(tlt["high"], rec[("Close", "TLT")].to_numpy() + 0.5, rtol=1e-12)
    np.testing.assert_allclose(tlt["volume"], 4000.0 + np.arange(len(rec)), rtol=0)
    flat = parse_yfinance_frame(rec.xs("TLT", axis=1, level=1), ["TLT"], ohlcv=True)
    pd.testing.assert_frame_equal(flat, tlt.reset_index()[flat.columns], check_like=False)
    no_open = parse_yfinance_frame(rec.drop(columns="Open", level=0), TICKERS, ohlcv=True)
    assert no_open["open"].isna().all() and no_open["low"].notna().any()


def test_ohlcv_header_gets_fetched_values_and_old_lines_stay(tmp_path: Path) -> None:
    book = ohlcv_book(tmp_path)
    before = (book / "prices.csv").read_bytes()
    rec = ohlcv_answer()
    rep = update_prices(book, TICKERS, downloader=FakeYahoo(rec), today="2026-08-01")
    assert rep.written and len(rep.added) == 20
    after = (book / "prices.csv").read_bytes()
    old, new = before.split(b"\n"), after.split(b"\n")
    assert new[0] == OHLCV_HEADER.encode() and set(old) <= set(new)
    # each new line = the real recorded line + the answer's values, formatted independently
    recorded = {tuple(ln.split(",")[:2]): ln for ln in RECORDED_PRICES.read_text().split()}
    added = [ln.decode() for ln in new if ln and ln not in set(old)]
    assert len(added) == 20
    for line in added:
        day, t = line[:10], line.split(",")[1]
        o, h, lo, v = (rec.loc[day, (f, t)] for f in ("Open", "High", "Low", "Volume"))
        prices = ["" if np.isnan(x) else repr(round(float(x), 4)) for x in (o, h, lo)]
        want = recorded[(day, t)] + "," + ",".join([*prices, str(int(v))])
        assert line == want
    assert "2026-07-31,TLT,82.25,82.25,82.0,82.75,81.5,4010" in added
    assert any(ln.startswith("2026-07-27,MBB,,") and ln.endswith(",,,,2006") for ln in added)


def test_file_without_ohlcv_header_keeps_its_columns(tmp_path: Path) -> None:
    book = make_book(tmp_path)
    fake = FakeYahoo(ohlcv_answer())
    rep = update_prices(book, TICKERS, downloader=fake, today="2026-08-01")
    assert rep.written and list(rep.added.columns) == ["date", "ticker", "close", "adj_close"]
    assert (book / "prices.csv").read_bytes() == RECORDED_PRICES.read_bytes()


def test_download_without_ohlcv_leaves_blanks(tmp_path: Path) -> None:
    book = ohlcv_book(tmp_path)
    before = set((book / "prices.csv").read_text().split("\n"))
    update_prices(book, TICKERS, downloader=FakeYahoo(recorded_download()), today="2026-08-01")
    recorded = RECORDED_PRICES.read_text().split("\n")[1:]
    added = [ln for ln in (book / "prices.csv").read_text().split("\n") if ln not in before]
    assert added == [ln + ",,,," for ln in recorded if ln[:10] > "2026-07-24"]
    no_fields = recorded_download().drop(columns=["Open", "High", "Low", "Volume"], level=0)
    (tmp_path / "b").mkdir()
    book2 = ohlcv_book(tmp_path / "b")  # the answer has no Open/High/Low/Volume field at all
    update_prices(book2, TICKERS, downloader=FakeYahoo(no_fields), today="2026-08-01")
    assert (book2 / "prices.csv").read_text() == (book / "prices.csv").read_text()


def test_negative_volume_exit_2_file_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    book = ohlcv_book(tmp_path)
    digest = sha(book / "prices.csv")
    rec = ohlcv_answer()
    rec.loc["2026-07-29", ("Volume", "IEF")] = -5.0
    monkeypatch.setattr(yfinance, "download", FakeYahoo(rec))
    code, _, err = run_cli(capsys, "--data", str(book), "--tickers", *TICKERS)
    assert code == 2 and err.count("\n") == 1, err
    assert "ticker IEF, column volume: volume -5.0 must not be negative on 2026-07-29" in err
    assert sha(book / "prices.csv") == digest
    rec.loc["2026-07-29", ("Volume", "IEF")] = np.inf
    with pytest.raises(DownloadError, match=r"volume inf for IEF on 2026-07-29 \(must be finite"):
        update_prices(book, ["IEF"], downloader=FakeYahoo(rec), today="2026-08-01")
    assert sha(book / "prices.csv") == digest
