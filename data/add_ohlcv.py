"""Add real ``open,high,low,volume`` columns to the demo ``prices.csv`` (reproducible).

Usage: python data/add_ohlcv.py --source DIR [--prices data/prices.csv] [--check]

``DIR`` holds the daily bars of the ``SmokeBellow/invest-tech`` repository at commit
``7599244b13a8efec530d89f944e94a2ef773eba0`` (files ``data/<TICKER>.csv``, or the same files
gzipped as ``<TICKER>.csv.gz``; columns ``symbol,date,open,high,low,close,volume``; Financial
Modeling Prep end-of-day bars, **as traded, not split-adjusted**). The ticker is taken from the
file name (the source's last rows have a blank ``symbol``).

What it does, and nothing else:

* every existing line of ``prices.csv`` is kept byte for byte and gets four fields appended
  (``open,high,low,volume``); no row is added or removed, so ``latest`` cannot move;
* the four fields are filled for the tickers of ``SOURCE_TICKERS`` on the dates both files
  have, copied as text from the source; left empty everywhere else;
* XLK and XLE split 2:1 on 2025-12-05 and ``prices.csv``'s ``close`` is split-adjusted, so for
  them before that date open/high/low are divided by 2 and volume multiplied by 2 (exact
  decimal arithmetic) — the same adjustment the ``close`` column carries;
* it refuses to write (exit 1) unless, on every filled row, the source close (split-adjusted)
  agrees with ``prices.csv``'s ``close`` within 0.02 %, and every old line is unchanged.

``--check`` rebuilds in memory and exits 1 if the file on disk differs (used by the tests when
the source is available).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import sys
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE_TICKERS = ("IEF", "QQQ", "SGOV", "SHY", "SPY", "TLT", "XLE", "XLF", "XLK", "XLV")
SPLITS = {"XLK": ("2025-12-05", 2), "XLE": ("2025-12-05", 2)}  # ticker -> (ex-date, ratio)
NEW = ("open", "high", "low", "volume")
TOLERANCE = 2e-4


def _read_source(folder: Path, ticker: str) -> dict[str, tuple[str, str, str, str, str]]:
    """Map date -> (open, high, low, close, volume) as text, split-adjusted to today's shares."""
    plain, gz = folder / f"{ticker}.csv", folder / f"{ticker}.csv.gz"
    if plain.is_file():
        text = plain.read_text()
    elif gz.is_file():
        text = gzip.decompress(gz.read_bytes()).decode()
    else:
        raise SystemExit(f"add_ohlcv: {plain} not found")
    split_date, ratio = SPLITS.get(ticker, ("0000-00-00", 1))
    out: dict[str, tuple[str, str, str, str, str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        vals = (row["open"], row["high"], row["low"], row["close"], row["volume"])
        if row["date"] in out:
            raise SystemExit(f"add_ohlcv: {ticker} {row['date']} appears twice in the source")
        if row["date"] < split_date and ratio != 1:
            o, h, lo, c = (str(Decimal(v) / ratio) for v in vals[:4])
            vals = (o, h, lo, c, str(int(vals[4]) * ratio))
        out[row["date"]] = vals
    return out


def build(prices_text: str, source: Path) -> tuple[str, dict[str, int]]:
    """Return the new prices.csv text and the number of filled rows per ticker."""
    lines = prices_text.split("\n")
    header = lines[0]
    if header != "date,ticker,close,adj_close":
        raise SystemExit(f"add_ohlcv: unexpected header {header!r} (already has OHLCV?)")
    bars = {t: _read_source(source, t) for t in SOURCE_TICKERS}
    filled = dict.fromkeys(SOURCE_TICKERS, 0)
    out = [header + "," + ",".join(NEW)]
    for number, line in enumerate(lines[1:], start=2):
        if line == "":
            out.append(line)
            continue
        date, ticker, close, _ = line.split(",")
        bar = bars.get(ticker, {}).get(date)
        if bar is None:
            out.append(line + ",,,,")
            continue
        o, h, lo, c, v = bar
        if close == "" or abs(float(close) / float(c) - 1) > TOLERANCE:
            raise SystemExit(
                f"add_ohlcv: prices.csv row {number}, ticker {ticker}, {date}: close {close!r} "
                f"disagrees with the source close {c}"
            )
        filled[ticker] += 1
        out.append(f"{line},{o},{h},{lo},{v}")
    new_text = "\n".join(out)
    # the old columns must be byte-identical: strip the four appended fields again
    old_again = [ln.rsplit(",", 4)[0] if ln else ln for ln in new_text.split("\n")]
    if old_again != lines:
        raise SystemExit("add_ohlcv: an existing line changed; refusing to write")
    return new_text, filled


def main() -> int:
    """Rebuild (or with ``--check`` verify) prices.csv; return the exit code."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, required=True, metavar="DIR")
    ap.add_argument("--prices", type=Path, default=HERE / "prices.csv")
    ap.add_argument("--check", action="store_true", help="verify only; write nothing")
    a = ap.parse_args()
    current = a.prices.read_text()
    if a.check:
        base = "\n".join(ln.rsplit(",", 4)[0] if ln else ln for ln in current.split("\n"))
        new_text, filled = build(base, a.source)
        same = new_text == current
        print(f"{a.prices}: {'matches' if same else 'DIFFERS from'} the rebuild")
        return 0 if same else 1
    new_text, filled = build(current, a.source)
    a.prices.write_text(new_text)
    digest = hashlib.sha256(new_text.encode()).hexdigest()
    print(f"filled {sum(filled.values())} rows: {filled}")
    print(f"{a.prices} sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
