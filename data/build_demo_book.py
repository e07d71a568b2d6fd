"""Rebuild the derived files of the bundled demo book.

    python data/build_demo_book.py            # rebuild everything below, then self-check
    python data/build_demo_book.py --no-check # skip the alert self-check

Writes, next to this script:

* ``security_master.csv``  - one row per ticker of prices.csv (static table below);
* ``benchmark_weights.csv`` - a US core fixed-income proxy (Bloomberg US Aggregate-like mix);
* ``duration_monthly.csv`` - model durations and convexities from the funds' index rules
  (``fimonitor durations model``, rows in ``duration_model.csv``), with the empirical estimate
  (``fimonitor durations estimate``) as a second column;
* ``key_rate_durations_monthly.csv`` - the model's key-rate durations (2, 5, 10, 30 y);
* ``transactions.csv``     - a made-up institutional book traded at real prices (the ``close``
  of the day; ``adj_close`` for MBB, the one held fund whose ``price_field`` is ``adj_close``).

Inputs (never modified): ``prices.csv``, ``dividends.csv``, ``treasury_yields.csv``,
``fred_rates_extra.csv`` (real, see PROVENANCE.md). Everything is deterministic: no randomness,
so a rerun reproduces the files byte for byte.

The book (all amounts in USD): 10,000,000 deposited on 2024-01-02 and invested the same day at
the real prices of that day; a mid-month review each month (trades only where a holding is more
than REBALANCE_BAND away from its target); distributions booked on their ex-dates for the shares
held (funds valued on ``close`` only: MBB is valued on its total-return ``adj_close``, so its
distributions are already in the price and get no DIVIDEND rows); a quarterly management fee
(2.5 bp of the book's value on the last session of each quarter); trade fees of 1 bp of
notional + 5 per ticket; and the story of target changes in STORY, which makes the monitoring
rules fire and clear.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
START = "2024-01-02"
END = "2026-04-30"
DEPOSIT = 10_000_000.0
FEE_BPS_TRADE = 1.0  # bp of notional per ticket
FEE_FIXED = 5.0  # per ticket
MGMT_FEE_BPS_QUARTER = 2.5  # 10 bp a year, charged quarterly on the book's value
REBALANCE_BAND = 0.005  # trade a holding only when |weight - target| exceeds this
REVIEW_DAY = 15  # monthly review on the first session on/after this day of the month

# ---------------------------------------------------------------------------- security master
# ticker: (name-or-None -> etf_meta.csv long_name, group, sector, rating_bucket, price_field)
# rating_bucket: approximate average credit quality (see PROVENANCE.md). US Treasury and agency
# paper is AA since all three agencies rate the US AA+/Aa1 (Moody's, May 2025).
MASTER: dict[str, tuple[str | None, str, str, str, str]] = {
    "BIL": (None, "cash", "Treasury bills 1-3 months", "AA", "close"),
    "SGOV": (None, "cash", "Treasury bills 0-3 months", "AA", "close"),
    "SHV": (
        "iShares Short Treasury Bond ETF",
        "cash",
        "Treasury bills 0-1 year",
        "AA",
        "adj_close",
    ),
    "SHY": (None, "treasury", "Treasury 1-3y", "AA", "close"),
    "IEI": (None, "treasury", "Treasury 3-7y", "AA", "close"),
    "IEF": (None, "treasury", "Treasury 7-10y", "AA", "close"),
    "TLH": ("iShares 10-20 Year Treasury Bond ETF", "treasury", "Treasury 10-20y", "AA", "close"),
    "TLT": (None, "treasury", "Treasury 20y+", "AA", "close"),
    "GOVT": (None, "treasury", "Treasury all maturities", "AA", "close"),
    "TIP": (None, "tips", "TIPS all maturities", "AA", "close"),
    "SCHP": (None, "tips", "TIPS all maturities", "AA", "close"),
    "LQD": (None, "ig_credit", "IG corporate long/intermediate", "A", "close"),
    "VCIT": (None, "ig_credit", "IG corporate intermediate (5-10y)", "BBB", "close"),
    "VCSH": (None, "ig_credit", "IG corporate short (1-5y)", "A", "close"),
    "IGSB": (None, "ig_credit", "IG corporate short (1-5y)", "A", "close"),
    "HYG": (None, "hy_credit", "High-yield corporate", "BB", "close"),
    "JNK": (None, "hy_credit", "High-yield corporate", "BB", "close"),
    "MBB": ("iShares MBS ETF", "mbs", "Agency MBS", "AA", "adj_close"),
    "AGG": (None, "aggregate", "US aggregate core", "AA", "close"),
    "BND": (None, "aggregate", "US aggregate core", "AA", "close"),
    "EMB": (None, "em", "EM USD sovereign", "BB", "close"),
    "MUB": (None, "muni", "Municipal national", "AA", "close"),
    "VTEB": (None, "muni", "Municipal national", "AA", "close"),
    "BNDX": (None, "international", "International aggregate (USD-hedged)", "A", "close"),
    "SPY": (None, "equity", "US equity large cap", "NR", "close"),
    "VTI": (None, "equity", "US equity total market", "NR", "close"),
    "QQQ": (None, "equity", "US equity large cap growth", "NR", "close"),
    "TQQQ": (None, "equity", "Leveraged equity (3x Nasdaq-100)", "NR", "close"),
    "SQQQ": (None, "equity", "Inverse equity (-3x Nasdaq-100)", "NR", "close"),
    "VEA": (None, "equity", "Developed ex-US equity", "NR", "close"),
    "VWO": (None, "equity", "Emerging markets equity", "NR", "close"),
    "XLK": (None, "equity", "Technology", "NR", "close"),
    "XLV": (None, "equity", "Health care", "NR", "close"),
    "XLF": (None, "equity", "Financials", "NR", "close"),
    "XLE": (None, "equity", "Energy", "NR", "close"),
    "VDE": (None, "equity", "Energy", "NR", "close"),
    "XLI": (None, "equity", "Industrials", "NR", "close"),
    "XLU": (None, "equity", "Utilities", "NR", "close"),
    "XLP": (None, "equity", "Consumer staples", "NR", "close"),
    "AAPL": ("Apple Inc.", "equity", "Technology", "NR", "adj_close"),
    "MSFT": ("Microsoft Corporation", "equity", "Technology", "NR", "adj_close"),
    "NVDA": ("NVIDIA Corporation", "equity", "Technology", "NR", "adj_close"),
    "GOOGL": ("Alphabet Inc. Class A", "equity", "Communication services", "NR", "adj_close"),
    "TSLA": ("Tesla, Inc.", "equity", "Consumer discretionary", "NR", "adj_close"),
}
CASH_PROXIES = {"BIL", "SGOV", "SHV"}

# ---------------------------------------------------------------------------- benchmark
# US core fixed-income proxy, roughly the Bloomberg US Aggregate mix (see PROVENANCE.md):
# Treasuries 45 % along the curve, agency MBS 27 %, IG credit 25 %, and a 3 % T-bill
# liquidity sleeve that matches the mandate's cash floor.
BENCHMARK = {
    "SGOV": 0.03,
    "SHY": 0.09,
    "IEI": 0.10,
    "IEF": 0.09,
    "TLT": 0.07,
    "GOVT": 0.10,
    "MBB": 0.27,
    "LQD": 0.08,
    "VCIT": 0.08,
    "VCSH": 0.05,
    "IGSB": 0.04,
}

# ---------------------------------------------------------------------------- the book
# Target weights (fractions of the book); the remainder is the CASH target.
# MBB (the benchmark's 27 % agency-MBS sleeve) is held close to, and slightly under, its
# benchmark weight. It is valued on adj_close (no unadjusted close exists in the data), so it
# gets no DIVIDEND rows. Note the mandate's single-name limits (monitor.yaml: WARN above 20 %,
# BREACH above 25 %) sit below the benchmark's own 27 % MBB weight, and active_weight BREACHes
# beyond 5 % off benchmark: no MBB weight avoids both, so the book keeps MBB between ~22.5 %
# and 25 % (a standing single-name WARN, never a BREACH; active WARN only while it is tilted
# away below 24 %). MBB is "pinned": pro-rata funding of a tilt never touches it; only story
# entries that name it move it.
BASE = {
    "BIL": 0.010,
    "SGOV": 0.025,
    "SHY": 0.090,
    "IEI": 0.100,
    "IEF": 0.090,
    "TLT": 0.065,
    "GOVT": 0.100,
    "TIP": 0.015,
    "MBB": 0.245,
    "LQD": 0.075,
    "VCIT": 0.075,
    "VCSH": 0.045,
    "IGSB": 0.035,
    "HYG": 0.015,
    "EMB": 0.010,
}
PINNED = {"MBB"}  # not scaled when another target changes
BAND = {"MBB": 0.0025}  # tighter review band: MBB sits just under the 25 % single-name limit
KEEP_WEIGHT_ON_WITHDRAWAL = ("MBB",)  # sold pro rata on a withdrawal, so its weight holds

# (date, kind, payload, note). kinds: "target" (set the named targets, fund them pro rata from
# the other non-cash, non-pinned targets so all targets keep summing to INVESTED, then trade to
# them) and "withdraw" (amount, paid by selling MBB down to its weight, then cash proxies, then
# SHY).
INVESTED = 0.995  # the remaining 0.5 % is the CASH target
STORY: list[tuple[str, str, object, str]] = [
    (
        "2024-06-17",
        "withdraw",
        450_000.0,
        "client withdrawal paid from MBB (pro rata), cash and T-bill funds -> cash floor "
        "breached until July",
    ),
    ("2024-07-15", "target", {}, "July review rebuilds the T-bill sleeve"),
    (
        "2024-09-16",
        "target",
        {"GOVT": 0.215},
        "Treasury sleeve consolidated into GOVT -> single-name WARN, GOVT active BREACH",
    ),
    ("2024-11-15", "target", {"GOVT": 0.100}, "consolidation unwound"),
    ("2025-03-17", "target", {"TIP": 0.065}, "inflation hedge: TIPS overweight (TIP active)"),
    ("2025-06-16", "target", {"TIP": 0.015}, "TIPS tilt closed"),
    ("2025-09-15", "target", {"HYG": 0.057, "JNK": 0.028}, "high-yield tilt starts (HY 8.5 %)"),
    (
        "2025-11-17",
        "target",
        {"HYG": 0.075, "JNK": 0.040, "MBB": 0.232},
        "HY tilt extended, funded partly out of MBS -> hy_credit over 10 % (WARN), MBB active WARN",
    ),
    (
        "2025-12-15",
        "withdraw",
        650_000.0,
        "year-end client withdrawal paid from MBB (pro rata), cash, T-bills and SHY "
        "-> cash floor BREACH",
    ),
    (
        "2026-01-15",
        "target",
        {"HYG": 0.100, "JNK": 0.058, "SGOV": 0.012, "BIL": 0.008, "MBB": 0.226},
        "HY tilt pushed past 15 % (BREACH); T-bill sleeve only partly rebuilt (cash WARN)",
    ),
    (
        "2026-02-17",
        "target",
        {"HYG": 0.045, "JNK": 0.028, "SGOV": 0.025, "BIL": 0.010, "MBB": 0.245},
        "risk committee: HY cut back under 10 %, cash floor restored, MBS sleeve rebuilt",
    ),
    (
        "2026-03-16",
        "target",
        {"TLT": 0.205},
        "long-duration call: TLT overweight -> duration gap BREACH, TLT single-name WARN",
    ),
    (
        "2026-04-15",
        "target",
        {"TLT": 0.155, "HYG": 0.040, "JNK": 0.062, "SHY": 0.063, "VCSH": 0.025, "IGSB": 0.016},
        "TLT trimmed under 20 % (gap WARN stays open); JNK added back (hy_credit WARN open); "
        "both funded mostly from the short end (SHY, VCSH, IGSB)",
    ),
]


# ---------------------------------------------------------------------------- helpers
def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write atomically (temp file in the same folder, then os.replace)."""
    from fimonitor.fileio import atomic_write_csv

    atomic_write_csv(frame, path)


def build_security_master(data_dir: Path) -> pd.DataFrame:
    """security_master.csv rows for every ticker of prices.csv."""
    meta = pd.read_csv(data_dir / "etf_meta.csv").set_index("ticker")["long_name"]
    tickers = sorted(pd.read_csv(data_dir / "prices.csv", usecols=["ticker"])["ticker"].unique())
    missing = [t for t in tickers if t not in MASTER]
    if missing:
        raise SystemExit(f"security master: no entry for {missing}")
    rows = []
    for t in tickers:
        name, group, sector, rating, field = MASTER[t]
        rows.append(
            {
                "ticker": t,
                "name": name or meta[t],
                "group": group,
                "sector": sector,
                "rating_bucket": rating,
                "is_cash_proxy": "true" if t in CASH_PROXIES else "false",
                "price_field": field,
            }
        )
    return pd.DataFrame(rows)


PRIMARY_BENCHMARK = "US_AGG_PROXY"
# second benchmark: the Treasury funds of the primary in the same proportions (weights / 0.48,
# 12 decimals, TLT takes the rounding residual so that the weights sum to exactly 1)
TREASURY_BENCHMARK = "US_TREASURY_PROXY"
TREASURY_FUNDS = ("SGOV", "SHY", "IEI", "IEF", "TLT", "GOVT")


def treasury_benchmark() -> dict[str, float]:
    sleeve = sum(BENCHMARK[t] for t in TREASURY_FUNDS)
    w = {t: round(BENCHMARK[t] / sleeve, 12) for t in TREASURY_FUNDS}
    w["TLT"] = round(1.0 - sum(v for t, v in w.items() if t != "TLT"), 12)
    return w


def build_benchmark() -> pd.DataFrame:
    total = sum(BENCHMARK.values())
    assert abs(total - 1.0) < 1e-12, total
    frames = [
        pd.DataFrame(
            {
                "benchmark": name,
                "ticker": list(w),
                "weight": list(w.values()),
                "effective_date": START,
            }
        )
        for name, w in ((PRIMARY_BENCHMARK, BENCHMARK), (TREASURY_BENCHMARK, treasury_benchmark()))
    ]
    return pd.concat(frames, ignore_index=True)


def build_durations(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """duration_monthly.csv and key_rate_durations_monthly.csv (as `fimonitor durations model`)."""
    sys.path.insert(0, str(HERE.parent))
    from fimonitor.analytics.duration_folder import model_from_folder

    return model_from_folder(data_dir)


class Book:
    """Running state of the simulated ledger (shares, cash, rows)."""

    def __init__(self, close: pd.DataFrame, dividends: pd.DataFrame) -> None:
        self.close = close
        self.div = dividends
        self.shares: dict[str, int] = {}
        self.cash = 0.0
        self.rows: list[dict] = []
        self.targets: dict[str, float] = {}

    # -- valuation
    def px(self, date: pd.Timestamp, ticker: str) -> float:
        p = self.close.at[date, ticker]
        if not (p > 0):
            raise SystemExit(f"no real price for {ticker} on {date.date()}")
        return float(p)

    def value(self, date: pd.Timestamp) -> float:
        return self.cash + sum(n * self.px(date, t) for t, n in self.shares.items() if n)

    # -- ledger rows
    def _row(self, date, ticker, action, shares, price, fees) -> None:
        self.rows.append(
            {
                "date": date.strftime("%Y-%m-%d"),
                "ticker": ticker,
                "action": action,
                "shares": shares,
                "price": price,
                "fees": fees,
            }
        )

    def deposit(self, date, amount: float) -> None:
        self.cash += amount
        self._row(date, "CASH", "DEPOSIT", None, round(amount, 2), 0.0)

    def withdraw(self, date, amount: float) -> None:
        assert self.cash >= amount - 1e-6, (date, self.cash, amount)
        self.cash -= amount
        self._row(date, "CASH", "WITHDRAWAL", None, round(amount, 2), 0.0)

    def fee(self, date, amount: float) -> None:
        amount = round(amount, 2)
        assert self.cash >= amount, (date, self.cash, amount)
        self.cash -= amount
        self._row(date, "CASH", "FEE", None, amount, 0.0)

    def dividend(self, date, ticker: str, per_share: float) -> None:
        n = self.shares.get(ticker, 0)
        if n <= 0:
            return
        amount = round(n * per_share, 2)
        self.cash += amount
        self._row(date, ticker, "DIVIDEND", None, amount, 0.0)

    def trade(self, date, ticker: str, n: int) -> None:
        if n == 0:
            return
        p = self.px(date, ticker)
        fees = round(abs(n) * p * FEE_BPS_TRADE * 1e-4 + FEE_FIXED, 2)
        if n > 0:
            cost = n * p + fees
            assert cost <= self.cash + 1e-6, (date, ticker, n, cost, self.cash)
            self.cash -= cost
            self._row(date, ticker, "BUY", n, p, fees)
        else:
            held = self.shares.get(ticker, 0)
            assert -n <= held, (date, ticker, n, held)
            self.cash += -n * p - fees
            self._row(date, ticker, "SELL", -n, p, fees)
        self.shares[ticker] = self.shares.get(ticker, 0) + n

    # -- policy
    def rebalance(self, date, band: float = REBALANCE_BAND) -> None:
        """Trade holdings more than ``band`` (or BAND[ticker]) off target back to target.

        Sells first.

        Whole shares; buys never spend more cash than is there (largest shortfall first);
        a ticker whose distribution goes ex on this date is not traded (keeps DIVIDEND rows
        equal to the shares held on the ex-date).
        """
        v = self.value(date)
        ex_today = set(self.div.loc[self.div["date"] == date, "ticker"])
        names = sorted(set(self.targets) | {t for t, n in self.shares.items() if n})
        orders = {}
        for t in names:
            if t in ex_today:
                continue
            p = self.px(date, t)
            w = self.shares.get(t, 0) * p / v
            tgt = self.targets.get(t, 0.0)
            if abs(w - tgt) > min(band, BAND.get(t, band)) or (tgt == 0.0 and w > 0):
                orders[t] = math.floor(tgt * v / p) - self.shares.get(t, 0)
        for t, n in sorted(orders.items()):
            if n < 0:
                self.trade(date, t, n)
        # cash proxies first (the cash floor), then the largest shortfalls
        buys = sorted(
            (
                (t not in CASH_PROXIES, -n * self.px(date, t), t, n)
                for t, n in orders.items()
                if n > 0
            )
        )
        for _, _, t, n in buys:
            p = self.px(date, t)
            afford = math.floor((self.cash - FEE_FIXED) / (p * (1 + FEE_BPS_TRADE * 1e-4)))
            self.trade(date, t, max(0, min(n, afford)))

    def raise_cash(self, date, amount: float, keep: tuple[str, ...] = ()) -> None:
        """Cash for ``amount`` going out of the book.

        First the funds in ``keep`` are sold down to their target weight of the book after the
        outflow (so the outflow does not lift their weight); then cash proxies (SGOV, then BIL),
        then SHY, until cash covers ``amount``.
        """
        after = self.value(date) - amount
        for t in keep:
            if t in self.div.loc[self.div["date"] == date, "ticker"].to_numpy():
                continue
            p = self.px(date, t)
            n = self.shares.get(t, 0) - math.floor(self.targets.get(t, 0.0) * after / p)
            self.trade(date, t, -min(max(n, 0), self.shares.get(t, 0)))
        for t in ("SGOV", "BIL", "SHY"):
            need = amount - self.cash
            if need <= 0:
                return
            p = self.px(date, t)
            n = min(self.shares.get(t, 0), math.ceil((need + FEE_FIXED) / (p * (1 - 1e-4))) + 1)
            self.trade(date, t, -n)
        if self.cash < amount:
            raise SystemExit(f"cannot fund withdrawal of {amount} on {date.date()}")


def retarget(targets: dict[str, float], changes: dict[str, float]) -> dict[str, float]:
    """Set ``changes``; scale the other targets so the total is INVESTED.

    Cash proxies and PINNED funds are not scaled (they move only when named in ``changes``).
    """
    out = {**targets, **changes}
    fixed = {t for t in out if t in changes or t in CASH_PROXIES or t in PINNED}
    free = [t for t in out if t not in fixed]
    room = INVESTED - sum(out[t] for t in fixed)
    scale = room / sum(out[t] for t in free)
    if not 0.5 < scale < 1.5:
        raise SystemExit(f"target change {changes} leaves no room to fund it")
    for t in free:
        out[t] *= scale
    return out


def sessions_of(close: pd.DataFrame) -> pd.DatetimeIndex:
    return close.index[(close.index >= START) & (close.index <= END)]


def review_dates(sessions: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """First session on/after REVIEW_DAY of every month after the start month."""
    out = []
    for period in pd.period_range(START, END, freq="M")[1:]:
        day = pd.Timestamp(period.year, period.month, REVIEW_DAY)
        later = sessions[sessions >= day]
        if len(later) and later[0].to_period("M") == period:
            out.append(later[0])
    return out


def build_transactions(data_dir: Path) -> pd.DataFrame:
    prices = pd.read_csv(data_dir / "prices.csv", parse_dates=["date"])
    sec = pd.DataFrame(MASTER, index=["name", "group", "sector", "rating", "field"]).T
    on_close = set(sec.index[sec["field"] == "close"])
    # valuation price = the ticker's price_field (as the loader does): close, or adj_close for
    # the funds without an unadjusted close (MBB)
    close = prices.pivot(index="date", columns="ticker", values="close").sort_index()
    adj = prices.pivot(index="date", columns="ticker", values="adj_close").sort_index()
    on_adj = [t for t in close.columns if t not in on_close]
    close[on_adj] = adj[on_adj]
    div = pd.read_csv(data_dir / "dividends.csv", parse_dates=["date"])
    div = div[(div["date"] >= START) & (div["date"] <= END) & div["ticker"].isin(on_close)]
    sessions = sessions_of(close)

    book = Book(close, div)
    start = sessions[0]
    book.deposit(start, DEPOSIT)
    book.targets = dict(BASE)
    book.rebalance(start, band=0.0)

    story = {pd.Timestamp(d): (k, p, note) for d, k, p, note in STORY}
    for d in story:
        if d not in sessions:
            raise SystemExit(f"story date {d.date()} is not a trading day")
    reviews = set(review_dates(sessions))
    qends = {
        d
        for d in sessions.to_series().groupby(sessions.to_period("Q")).max()
        if d.month in (3, 6, 9, 12)
    }  # the last session of each calendar quarter
    div_by_date = {d: g for d, g in div.groupby("date")}

    for d in sessions[1:]:
        # distributions first: shares held on the ex-date (no trade in that ticker today)
        if d in div_by_date:
            for _, r in div_by_date[d].iterrows():
                book.dividend(d, r["ticker"], float(r["dividend"]))
        if d in story:
            kind, payload, _note = story[d]
            if kind == "withdraw":
                book.raise_cash(d, float(payload), keep=KEEP_WEIGHT_ON_WITHDRAWAL)
                book.withdraw(d, float(payload))
            elif kind == "target":
                book.targets = retarget(book.targets, payload)
                book.rebalance(d, band=0.0)
        elif d in reviews:
            book.rebalance(d)
        if d in qends:
            amount = round(book.value(d) * MGMT_FEE_BPS_QUARTER * 1e-4, 2)
            if book.cash < amount:
                book.raise_cash(d, amount)
            book.fee(d, amount)
        assert book.cash >= -1e-6, (d, book.cash)

    tx = pd.DataFrame(book.rows, columns=["date", "ticker", "action", "shares", "price", "fees"])
    tx["shares"] = tx["shares"].astype("Int64")
    return tx


# ---------------------------------------------------------------------------- self-check
def self_check(data_dir: Path, config: Path) -> None:
    """Run the package's analytics + rule engine on the rebuilt book and print the alert story."""
    sys.path.insert(0, str(HERE.parent))
    from fimonitor.analytics.exposures import compute_history
    from fimonitor.config import load_config
    from fimonitor.data.loaders import load_book
    from fimonitor.rules.engine import evaluate

    book = load_book(data_dir)
    cfg = load_config(config)
    hist = compute_history(book)
    alerts = evaluate(hist, cfg.rules)
    last = hist.dates[-1]
    window = alerts[alerts["date"] > last - pd.Timedelta(weeks=26)]
    print(
        f"book {hist.dates[0].date()}..{last.date()}: value {hist.total_value.iloc[-1]:,.0f}, "
        f"cash+proxies {hist.cash_weight.iloc[-1]:.2%}, duration "
        f"{hist.portfolio_duration.iloc[-1]:.2f} vs {hist.benchmark_duration.iloc[-1]:.2f}"
    )
    print("alert days per month over the whole history (rule, ticker):")
    whole = alerts.assign(
        key=alerts["rule"] + " " + alerts["ticker"].fillna(""),
        month=alerts["date"].dt.to_period("M"),
    )
    print(
        whole.groupby(["key", "month"])
        .size()
        .unstack()
        .fillna(0)
        .astype(int)
        .to_string(max_cols=40)
    )
    key = window["rule"] + " " + window["ticker"].fillna("")
    spans = (
        window.assign(key=key, month=window["date"].dt.to_period("M"))
        .groupby(["key", "month"])["severity"]
        .agg(lambda s: f"{(s == 'BREACH').sum()}B/{(s == 'WARN').sum()}W")
        .unstack()
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print("alert days per month in the 26-week window (B=BREACH, W=WARN):")
        print(spans.fillna("").to_string())
        print("alerts on the last date:")
        print(alerts[alerts["date"] == last].to_string(index=False))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=HERE)
    ap.add_argument("--no-check", action="store_true")
    args = ap.parse_args(argv)
    d = args.data
    _write_csv(build_security_master(d), d / "security_master.csv")
    _write_csv(build_benchmark(), d / "benchmark_weights.csv")
    durations, key_rates = build_durations(d)
    _write_csv(durations, d / "duration_monthly.csv")
    _write_csv(key_rates, d / "key_rate_durations_monthly.csv")
    _write_csv(build_transactions(d), d / "transactions.csv")
    if not args.no_check:
        self_check(d, d / "monitor.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
