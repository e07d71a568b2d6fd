"""Prices for the portfolio-file tools (``rebalance``, ``dca``) from a data folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fimonitor.data.loaders import read_prices
from fimonitor.errors import InputError
from fimonitor.policy.portfolio import Portfolio

__all__ = ["needed_tickers", "price_panel", "prices_on"]


def price_panel(data_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Valuation prices and where they fell back to ``adj_close``, from ``DIR/prices.csv``.

    Parameters
    ----------
    data_dir : path
        A folder holding ``prices.csv``.

    Returns
    -------
    panel : DataFrame
        Date x ticker valuation price (currency per share): ``close``, or ``adj_close``
        where ``close`` is blank.
    fallback : DataFrame
        Date x ticker, True where ``panel`` holds ``adj_close`` (so the caller can say so).
    """
    path = Path(data_dir) / "prices.csv"
    if not path.is_file():
        raise InputError("file not found", file=path)
    long = read_prices(path)
    close = long.pivot(index="date", columns="ticker", values="close").sort_index()
    adj = long.pivot(index="date", columns="ticker", values="adj_close").sort_index()
    fallback = close.isna() & adj.notna()
    return close.where(~fallback, adj), fallback


def needed_tickers(portfolio: Portfolio) -> list[str]:
    """Held, target, category, substitute and default-fund tickers (prices a run may need)."""
    out = [*portfolio.holdings, *portfolio.target_tickers()]
    out += [portfolio.origin.default_fund] if portfolio.origin.default_fund else []
    out += [t for members in portfolio.categories.values() for t in members]
    out += [*portfolio.policy.tax.substitutes.values()]
    return list(dict.fromkeys(out))


def prices_on(
    panel: pd.DataFrame, fallback: pd.DataFrame, as_of: pd.Timestamp, portfolio: Portfolio
) -> tuple[dict[str, float], list[str]]:
    """Prices of :func:`needed_tickers` on ``as_of`` and notes on ``adj_close`` fallbacks.

    A ticker with no price that day is left out; a fallback is noted only when the portfolio
    file does not give the price itself.
    """
    prices: dict[str, float] = {}
    notes: list[str] = []
    file_prices = portfolio.file_prices()
    for t in needed_tickers(portfolio):
        if t in panel.columns and pd.notna(panel.at[as_of, t]):
            prices[t] = float(panel.at[as_of, t])
            if fallback.at[as_of, t] and t not in file_prices:
                notes.append(
                    f"{t}: close is blank on {as_of:%Y-%m-%d}; valued on adj_close {prices[t]:.2f}"
                )
    return prices, notes
