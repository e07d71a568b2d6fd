"""Legal edge inputs: exit 0 with the right as-of, a note where a person needs one."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers.hostile import run_cli

from fimonitor.errors import cut, fmt_date, fmt_number


def truncate_prices(text: str, last: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join([lines[0], *[ln for ln in lines[1:] if ln[:10] <= last]])


@pytest.mark.parametrize("saturday", ["2024-02-03", "2024-02-04"])
def test_weekend_after_a_friday_close_resolves_to_that_friday(ws, capsys, saturday):
    ws.edit("tiny/prices.csv", lambda t: truncate_prices(t, "2024-02-02"))
    ws.edit("tiny/transactions.csv", lambda t: truncate_prices(t, "2024-02-02"))
    argv = ["pack", "--data", str(ws.tiny), "--out", str(ws.root / "tmp" / "o")]
    code, out, err = run_cli([*argv, "--as-of", saturday], capsys)
    assert code == 0, err
    assert out.strip().endswith("20240202")
    assert f"as-of {saturday} is not an NYSE trading day; using 2024-02-02" in err
    assert "00:00:00" not in err


def test_a_stray_row_of_one_ticker_does_not_move_latest(ws, capsys):
    """TSY alone priced on 2024-02-09 (others stop 2024-01-31): latest stays fully priced."""

    def stray(text: str) -> str:
        lines = text.splitlines(keepends=True)
        keep = [ln for ln in lines[1:] if ln[:10] <= "2024-01-31"]
        return "".join([lines[0], *keep, "2024-02-09,TSY,85.0,85.0\n"])

    ws.edit("tiny/prices.csv", stray)
    ws.edit("tiny/transactions.csv", lambda t: truncate_prices(t, "2024-01-31"))
    out = ws.root / "tmp" / "o"
    code, got, err = run_cli(["pack", "--data", str(ws.tiny), "--out", str(out)], capsys)
    assert code == 0, err
    # 2024-01-31 is the last date every held and benchmark ticker is priced; 2024-02-09 is
    # 7 NYSE sessions after it, beyond the 5-session limit
    assert got.strip().endswith("20240131")
    assert not (out / "20240209").exists()


def test_transactions_after_the_as_of_date_are_reported(ws, capsys):
    out = ws.root / "tmp" / "o"
    argv = ["pack", "--data", str(ws.tiny), "--out", str(out), "--as-of", "2024-02-02"]
    code, _, err = run_cli(argv, capsys)
    assert code == 0, err
    dq = pd.read_csv(out / "20240202" / "data_quality.csv")
    row = dq[dq["item"] == "transactions after as-of"]
    assert len(row) == 1
    assert row["detail"].iloc[0].startswith("3 transaction(s) dated after 2024-02-02")


def test_message_formatting():
    assert fmt_number(1e7) == "10,000,000"
    assert fmt_number(1234.5) == "1,234.5"
    assert fmt_number(-0.25) == "-0.25"
    assert fmt_date(pd.Timestamp("2026-04-30")) == "2026-04-30"
    assert fmt_date(pd.Timestamp("2026-04-30 12:30")) == "2026-04-30T12:30:00"
    assert cut("x" * 1000) == "x" * 119 + "…"
    assert cut(list(range(10_000))) == "<list of 10000 items>"
    assert cut("a\nb") == "a b"
