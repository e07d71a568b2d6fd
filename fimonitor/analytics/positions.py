"""Ledger -> shares and cash on every date (docs/formats.md, input folder), vectorised.

Positions on a date are the cumulative transactions up to and including that date. A
transaction dated on a non-trading day counts from that day on, so it first shows on the
next trading day of the grid.

Cash (currency) accumulates, per ledger row::

    DEPOSIT     +price - fees         WITHDRAWAL  -price - fees
    BUY         -shares*price - fees  SELL        +shares*price - fees
    DIVIDEND    +price - fees         FEE         -price - fees

External flows (for time-weighted returns) are DEPOSIT (+price) and WITHDRAWAL (-price);
fees and dividends are part of performance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fimonitor.data.book import CASH

Panel = pd.DataFrame


def cash_flow(ledger: pd.DataFrame) -> pd.Series:
    """Signed cash effect of each ledger row (currency), aligned with ``ledger``."""
    a = ledger["action"].to_numpy()
    shares = ledger["shares"].fillna(0.0).to_numpy()
    price = ledger["price"].to_numpy()
    fees = ledger["fees"].to_numpy()
    amount = np.select(
        [a == "DEPOSIT", a == "WITHDRAWAL", a == "BUY", a == "SELL", a == "DIVIDEND", a == "FEE"],
        [price, -price, -shares * price, shares * price, price, -price],
        default=0.0,
    )
    return pd.Series(amount - fees, index=ledger.index, name="cash_flow")


def external_flow(ledger: pd.DataFrame) -> pd.Series:
    """Deposits (+) and withdrawals (-) of each ledger row (currency)."""
    a = ledger["action"].to_numpy()
    amt = np.where(
        a == "DEPOSIT", ledger["price"], np.where(a == "WITHDRAWAL", -ledger["price"], 0.0)
    )
    return pd.Series(amt, index=ledger.index, name="external_flow")


def values_as_of(
    panel: pd.DataFrame, dates: pd.DatetimeIndex, before: float = np.nan
) -> pd.DataFrame:
    """Return the row of ``panel`` (indexed by effective dates) in effect on each of ``dates``.

    In effect = the last index <= the date (inclusive); ``before`` fills dates that precede the
    first index.
    """
    dates = pd.DatetimeIndex(dates)
    pos = panel.index.searchsorted(dates, side="right") - 1
    out = np.full((len(dates), panel.shape[1]), before, dtype=float)
    ok = pos >= 0
    out[ok] = panel.to_numpy(dtype=float)[pos[ok]]
    return pd.DataFrame(out, index=dates, columns=panel.columns)


def holdings(
    ledger: pd.DataFrame, dates: pd.DatetimeIndex, tickers: list[str] | None = None
) -> Panel:
    """Shares held on each date (date x ticker) with a ``CASH`` column in currency.

    ``tickers`` fixes the column order (defaults to every traded ticker); CASH is last.
    """
    signed = np.where(
        ledger["action"] == "BUY",
        ledger["shares"],
        np.where(ledger["action"] == "SELL", -ledger["shares"], 0.0),
    )
    trades = pd.DataFrame({"date": ledger["date"], "ticker": ledger["ticker"], "s": signed})
    trades = trades[ledger["action"].isin(["BUY", "SELL"]).to_numpy()]
    by_date = trades.pivot_table(
        index="date", columns="ticker", values="s", aggfunc="sum", fill_value=0.0
    )
    cash = cash_flow(ledger).groupby(ledger["date"]).sum().rename(CASH)
    by_date = by_date.join(cash, how="outer").fillna(0.0)
    if tickers is None:
        tickers = sorted(c for c in by_date.columns if c != CASH)
    by_date = by_date.reindex(columns=[*tickers, CASH], fill_value=0.0)
    shares = values_as_of(by_date.sort_index().cumsum(), dates, before=0.0)
    # exact zeros after a full sale (avoid 1e-13 residues from float sums)
    shares = shares.mask(shares.abs() < 1e-9, 0.0)
    shares.index.name = "date"
    shares.columns.name = "ticker"
    return shares


def flows_on(ledger: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.Series:
    """External flows summed onto the grid: a flow counts on the first grid date >= its date."""
    ext = external_flow(ledger)
    dates = pd.DatetimeIndex(dates)
    pos = dates.searchsorted(ledger["date"].to_numpy(), side="left")
    keep = pos < len(dates)
    out = np.zeros(len(dates))
    np.add.at(out, pos[keep], ext.to_numpy()[keep])
    return pd.Series(out, index=dates, name="external_flow")
