"""The portfolio file of the policy rebalancer and DCA (YAML) -> frozen dataclasses.

Layout (docs/formats.md, portfolio file; keys marked * are fimonitor additions, all optional)::

    name: my-etfs                  # *  portfolio id (default: the file name without extension)
    cash: 600                      # cash held now (currency)
    cash_reserve: 0                # cash never invested (currency)
    min_investment_per_stock: 1.0  # *  DCA: smaller purchases are skipped (currency)
    targets: {PLTR: 30, technology: 20, ...}   # ticker or category -> target (percent or fraction)
    categories: {technology: [XLK, VGT]}       # the first ticker receives buys
    prices: {VGT: 600.0}           # *  prices of tickers that are not held (currency per share)
    holdings:
      PLTR: {shares: 300, price: 150.0, avg_cost: 60.0, purchase_date: 2024-01-02}
      XLE:  {lots: [{date: 2025-03-03, shares: 10, cost: 70.0}], price: 60.0}
    recent_sales:                  # *  sales before today, for the wash-sale guard
      - {date: 2026-04-20, ticker: XLE, shares: 5, price: 60.0, cost: 70.0}
    policy: {...}                  # see :class:`Policy`

Units after loading: targets are fractions summing to 1 (a file may give percentages summing to
100; the sum decides); every percentage of the ``policy:`` section (drift_threshold, tiers,
concentration, max_turnover, trailing_stop, harvest_loss_pct) is given in percent in the file,
as the contract shows, and stored here as a fraction. Money is in currency units, ``cost`` and
``avg_cost`` per share. Unknown keys are rejected, listing the valid ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from fimonitor.data.tables import ticker_problem
from fimonitor.dates import parse_date
from fimonitor.errors import ConfigError, cut, fmt_number
from fimonitor.fileio import read_yaml

TOP_KEYS = (
    "name",
    "cash",
    "cash_reserve",
    "min_investment_per_stock",
    "targets",
    "categories",
    "prices",
    "holdings",
    "recent_sales",
    "policy",
)
HOLDING_KEYS = ("shares", "price", "avg_cost", "lots", "purchase_date")
LOT_KEYS = ("date", "shares", "cost")
SALE_KEYS = ("date", "ticker", "shares", "price", "cost")
POLICY_KEYS = (
    "method",
    "drift_threshold",
    "tiers",
    "concentration",
    "min_trade_dollars",
    "max_trades_per_session",
    "max_turnover",
    "fractional_shares",
    "trailing_stop",
    "tax",
)
TIER_KEYS = ("full_above", "partial_above")
CONCENTRATION_KEYS = ("above", "trim_to", "urgent")
TAX_KEYS = ("enabled", "short_term_days", "wash_sale_days", "harvest_loss_pct", "substitutes")
METHODS = ("threshold", "calendar", "tiered")
TARGET_SUM_TOL = 1e-6  # relative tolerance on the sum of targets (1 or 100)


@dataclass(frozen=True)
class Lot:
    """One purchase: ``date`` (NaT when unknown), ``shares``, ``cost`` per share (NaN unknown)."""

    date: pd.Timestamp
    shares: float
    cost: float


@dataclass(frozen=True)
class Holding:
    """A position. ``lots`` always holds at least one lot (built from shares/avg_cost if absent).

    ``price`` is the price given in the file (currency per share) or None; ``avg_cost`` is the
    average cost per share (NaN when unknown).
    """

    ticker: str
    shares: float
    price: float | None
    avg_cost: float
    lots: tuple[Lot, ...]

    @property
    def first_purchase(self) -> pd.Timestamp:
        """Earliest known lot date (NaT when no lot is dated)."""
        dates = [lot.date for lot in self.lots if not pd.isna(lot.date)]
        return min(dates) if dates else pd.NaT


@dataclass(frozen=True)
class Sale:
    """A past sale, used only by the wash-sale guard (loss when ``price < cost``)."""

    date: pd.Timestamp
    ticker: str
    shares: float
    price: float
    cost: float

    @property
    def is_loss(self) -> bool:
        """True when sold below cost (``price < cost``)."""
        return self.price < self.cost


@dataclass(frozen=True)
class ConcentrationRule:
    """A weight strictly above ``above`` is trimmed to ``trim_to`` (fractions)."""

    above: float
    trim_to: float
    urgent: bool = False


@dataclass(frozen=True)
class TaxPolicy:
    """Tax-aware selling. ``harvest_loss_pct`` is a fraction (0.10 = a lot down more than 10 %).

    A lot held more than ``short_term_days`` calendar days is long-term. ``substitutes`` maps
    a ticker to the fund that receives its exposure when a loss is harvested.
    """

    enabled: bool = False
    short_term_days: int = 365
    wash_sale_days: int = 30
    harvest_loss_pct: float = 0.10
    substitutes: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))


DEFAULT_CONCENTRATION = (
    ConcentrationRule(above=0.50, trim_to=0.40, urgent=True),
    ConcentrationRule(above=0.40, trim_to=0.35, urgent=False),
)


@dataclass(frozen=True)
class Policy:
    """The ``policy:`` section. Every weight-like number is a fraction of total value.

    method            threshold | calendar | tiered
    drift_threshold   threshold: trade back to target when |drift| exceeds this
    full_above        tiered: |drift| above this -> to target
    partial_above     tiered: |drift| above this -> to target ± partial_above/2
    concentration     rules checked from the highest ``above`` down; the first that matches wins
    min_trade_dollars a row whose trade is smaller (currency) does not trade
    max_trades_per_session  at most this many rows trade (largest |drift| first), or None
    max_turnover      Σ|policy trade notional| / total value at most this, or None
    fractional_shares whole shares unless true
    trailing_stop     alert when the close is more than this below its peak since purchase
    """

    method: str = "threshold"
    drift_threshold: float = 0.05
    full_above: float = 0.10
    partial_above: float = 0.05
    concentration: tuple[ConcentrationRule, ...] = DEFAULT_CONCENTRATION
    min_trade_dollars: float = 0.0
    max_trades_per_session: int | None = None
    max_turnover: float | None = None
    fractional_shares: bool = False
    trailing_stop: float | None = None
    tax: TaxPolicy = field(default_factory=TaxPolicy)


@dataclass(frozen=True)
class Portfolio:
    """A whole portfolio file. ``targets`` are fractions summing to 1 (key: ticker or category).

    ``categories`` maps a category to its tickers (the first receives buys); ``prices`` holds
    file prices of tickers that are not held.
    """

    name: str
    cash: float
    cash_reserve: float
    targets: MappingProxyType
    categories: MappingProxyType
    holdings: MappingProxyType
    prices: MappingProxyType
    recent_sales: tuple[Sale, ...]
    policy: Policy
    min_investment_per_stock: float = 1.0
    source: Path | None = None

    def file_prices(self) -> dict[str, float]:
        """Every price given in the file (holding prices win over ``prices:``)."""
        out = dict(self.prices)
        out.update({t: h.price for t, h in self.holdings.items() if h.price is not None})
        return out

    def target_tickers(self) -> list[str]:
        """Tickers that may receive buys: ticker targets and each category's first ticker."""
        return [self.categories[k][0] if k in self.categories else k for k in self.targets]

    def ticker_targets(self) -> tuple[dict[str, float], list[str]]:
        """Targets per buying ticker: a category's target goes to its first ticker.

        Returns
        -------
        targets : dict
            Ticker -> target weight (fractions summing to 1).
        notes : list of str
            ``"category <name> -> <ticker>"`` for each category so mapped.
        """
        out: dict[str, float] = {}
        notes = []
        for key, w in self.targets.items():
            ticker = self.categories[key][0] if key in self.categories else key
            if key in self.categories:
                notes.append(f"category {key} -> {ticker}")
            out[ticker] = out.get(ticker, 0.0) + w
        return out, notes


# --------------------------------------------------------------------------- parsing helpers
def _check_keys(raw: dict, allowed: tuple[str, ...], *, file: Path, where: str) -> None:
    unknown = sorted(str(k) for k in set(raw) - set(allowed))
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in {where}; valid keys: {', '.join(allowed)}", file=file
        )


def _mapping(raw: Any, *, file: Path, where: str) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(raw).__name__}", file=file)
    return raw


def _number(
    value: Any,
    *,
    file: Path,
    key: str,
    ticker: str | None = None,
    positive: bool = False,
    allow_none: bool = False,
) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(
            f"{key} must be a finite number, got {cut(repr(value))}", file=file, ticker=ticker
        )
    v = float(value)
    if v < 0 or (positive and v == 0):
        word = "positive" if positive else "non-negative"
        raise ConfigError(f"{key} must be {word}, got {fmt_number(v)}", file=file, ticker=ticker)
    return v


def _percent(value: Any, *, file: Path, key: str, allow_none: bool = False) -> float | None:
    v = _number(value, file=file, key=key, allow_none=allow_none)
    return None if v is None else v / 100.0


def _date(value: Any, *, file: Path, key: str, ticker: str | None = None) -> pd.Timestamp:
    if value is None:
        return pd.NaT
    return parse_date(value, key, file=file, ticker=ticker, error=ConfigError)


def _bool(value: Any, *, file: Path, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}", file=file)
    return value


def _ticker(value: Any, *, file: Path, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            f"{where}: a ticker must be a non-empty string, got {cut(repr(value))}", file=file
        )
    ticker = value.strip().upper()
    problem = ticker_problem(ticker)
    if problem is not None:
        raise ConfigError(f"{where}: {problem}", file=file)
    return ticker


def _holding(ticker: str, raw: Any, *, file: Path) -> Holding:
    raw = _mapping(raw, file=file, where=f"holdings.{ticker}")
    _check_keys(raw, HOLDING_KEYS, file=file, where=f"holdings.{ticker}")
    price = _number(
        raw.get("price"), file=file, key="price", ticker=ticker, positive=True, allow_none=True
    )
    avg_cost = _number(
        raw.get("avg_cost"), file=file, key="avg_cost", ticker=ticker, allow_none=True
    )
    purchase = _date(raw.get("purchase_date"), file=file, key="purchase_date", ticker=ticker)
    lots: list[Lot] = []
    if raw.get("lots") is not None:
        if not isinstance(raw["lots"], list) or not raw["lots"]:
            raise ConfigError(
                "lots must be a non-empty list of {date, shares, cost}", file=file, ticker=ticker
            )
        for i, lot in enumerate(raw["lots"], start=1):
            lot = _mapping(lot, file=file, where=f"holdings.{ticker}.lots[{i}]")
            _check_keys(lot, LOT_KEYS, file=file, where=f"holdings.{ticker}.lots[{i}]")
            for key in ("shares", "cost"):
                if lot.get(key) is None:
                    raise ConfigError(f"lot {i} needs {key}", file=file, ticker=ticker)
            lots.append(
                Lot(
                    date=_date(lot.get("date"), file=file, key=f"lot {i} date", ticker=ticker),
                    shares=_number(
                        lot["shares"],
                        file=file,
                        key=f"lot {i} shares",
                        ticker=ticker,
                        positive=True,
                    ),
                    cost=_number(lot["cost"], file=file, key=f"lot {i} cost", ticker=ticker),
                )
            )
    lot_shares = sum(lot.shares for lot in lots)
    if raw.get("shares") is None and not lots:
        raise ConfigError("needs shares (or lots)", file=file, ticker=ticker)
    shares = (
        _number(raw["shares"], file=file, key="shares", ticker=ticker)
        if raw.get("shares") is not None
        else lot_shares
    )
    if lots and not math.isclose(shares, lot_shares, rel_tol=1e-9, abs_tol=1e-9):
        raise ConfigError(
            f"shares {fmt_number(shares)} differ from the sum of its lots {fmt_number(lot_shares)}",
            file=file,
            ticker=ticker,
        )
    if lots:
        lot_avg = sum(lot.shares * lot.cost for lot in lots) / lot_shares
        avg_cost = lot_avg if avg_cost is None else avg_cost
    elif shares > 0:
        lots.append(
            Lot(date=purchase, shares=shares, cost=float("nan") if avg_cost is None else avg_cost)
        )
    return Holding(
        ticker=ticker,
        shares=shares,
        price=price,
        avg_cost=float("nan") if avg_cost is None else avg_cost,
        lots=tuple(lots),
    )


def _targets(raw: Any, *, file: Path) -> dict[str, float]:
    raw = _mapping(raw, file=file, where="targets")
    if not raw:
        raise ConfigError("targets is missing or empty", file=file)
    values = {str(k).strip(): _number(v, file=file, key=f"targets.{k}") for k, v in raw.items()}
    total = sum(values.values())
    if math.isclose(total, 100.0, rel_tol=TARGET_SUM_TOL):
        scale = 100.0
    elif math.isclose(total, 1.0, rel_tol=TARGET_SUM_TOL):
        scale = 1.0
    else:
        raise ConfigError(
            f"targets sum to {fmt_number(total)}; they must sum to 100 (percent) or 1 (fractions)",
            file=file,
        )
    return {k: v / scale for k, v in values.items()}


def _policy(raw: Any, *, file: Path) -> Policy:
    raw = _mapping(raw, file=file, where="policy")
    _check_keys(raw, POLICY_KEYS, file=file, where="policy")
    kw: dict[str, Any] = {}
    if raw.get("method") is not None:
        if raw["method"] not in METHODS:
            raise ConfigError(
                f"policy.method {raw['method']!r} is not one of {', '.join(METHODS)}", file=file
            )
        kw["method"] = raw["method"]
    if raw.get("drift_threshold") is not None:
        kw["drift_threshold"] = _percent(
            raw["drift_threshold"], file=file, key="policy.drift_threshold"
        )
    tiers = _mapping(raw.get("tiers"), file=file, where="policy.tiers")
    _check_keys(tiers, TIER_KEYS, file=file, where="policy.tiers")
    for key in TIER_KEYS:
        if tiers.get(key) is not None:
            kw[key] = _percent(tiers[key], file=file, key=f"policy.tiers.{key}")
    if kw.get("partial_above", 0.05) > kw.get("full_above", 0.10):
        raise ConfigError("policy.tiers: partial_above must not exceed full_above", file=file)
    if "concentration" in raw:
        rules_raw = raw["concentration"] or []
        if not isinstance(rules_raw, list):
            raise ConfigError(
                "policy.concentration must be a list of {above, trim_to, urgent}", file=file
            )
        rules = []
        for i, r in enumerate(rules_raw, start=1):
            r = _mapping(r, file=file, where=f"policy.concentration[{i}]")
            _check_keys(r, CONCENTRATION_KEYS, file=file, where=f"policy.concentration[{i}]")
            if r.get("above") is None or r.get("trim_to") is None:
                raise ConfigError(f"policy.concentration[{i}] needs above and trim_to", file=file)
            above = _percent(r["above"], file=file, key=f"policy.concentration[{i}].above")
            trim = _percent(r["trim_to"], file=file, key=f"policy.concentration[{i}].trim_to")
            if trim > above:
                raise ConfigError(
                    f"policy.concentration[{i}]: trim_to must not exceed above", file=file
                )
            urgent = _bool(
                r.get("urgent", False), file=file, key=f"policy.concentration[{i}].urgent"
            )
            rules.append(ConcentrationRule(above=above, trim_to=trim, urgent=urgent))
        kw["concentration"] = tuple(sorted(rules, key=lambda c: -c.above))
    if raw.get("min_trade_dollars") is not None:
        kw["min_trade_dollars"] = _number(
            raw["min_trade_dollars"], file=file, key="policy.min_trade_dollars"
        )
    if raw.get("max_trades_per_session") is not None:
        v = raw["max_trades_per_session"]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(
                f"policy.max_trades_per_session must be a positive integer, got {v!r}", file=file
            )
        kw["max_trades_per_session"] = v
    for key in ("max_turnover", "trailing_stop"):
        if raw.get(key) is not None:
            kw[key] = _percent(raw[key], file=file, key=f"policy.{key}")
    if raw.get("fractional_shares") is not None:
        kw["fractional_shares"] = _bool(
            raw["fractional_shares"], file=file, key="policy.fractional_shares"
        )
    tax = _mapping(raw.get("tax"), file=file, where="policy.tax")
    _check_keys(tax, TAX_KEYS, file=file, where="policy.tax")
    tkw: dict[str, Any] = {}
    if tax.get("enabled") is not None:
        tkw["enabled"] = _bool(tax["enabled"], file=file, key="policy.tax.enabled")
    for key in ("short_term_days", "wash_sale_days"):
        if tax.get(key) is not None:
            v = tax[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ConfigError(
                    f"policy.tax.{key} must be a whole number of days, got {v!r}", file=file
                )
            tkw[key] = v
    if tax.get("harvest_loss_pct") is not None:
        tkw["harvest_loss_pct"] = _percent(
            tax["harvest_loss_pct"], file=file, key="policy.tax.harvest_loss_pct"
        )
    subs = _mapping(tax.get("substitutes"), file=file, where="policy.tax.substitutes")
    tkw["substitutes"] = MappingProxyType(
        {
            _ticker(k, file=file, where="policy.tax.substitutes"): _ticker(
                v, file=file, where="policy.tax.substitutes"
            )
            for k, v in subs.items()
        }
    )
    kw["tax"] = TaxPolicy(**tkw)
    return Policy(**kw)


def parse_portfolio(raw: Any, *, file: Path | str = "portfolio.yaml") -> Portfolio:
    """Validate a parsed YAML document and build a :class:`Portfolio`.

    Raises
    ------
    ConfigError
        On an unknown key, a bad value, targets not summing to 100 or 1, a ticker listed in
        two categories, or shares that differ from the sum of their lots.
    """
    file = Path(file)
    raw = _mapping(raw, file=file, where="the top level")
    _check_keys(raw, TOP_KEYS, file=file, where="the top level")
    cash = _number(raw.get("cash", 0.0), file=file, key="cash")
    reserve = _number(raw.get("cash_reserve", 0.0), file=file, key="cash_reserve")
    min_inv = _number(
        raw.get("min_investment_per_stock", 1.0), file=file, key="min_investment_per_stock"
    )
    targets = _targets(raw.get("targets"), file=file)

    cats_raw = _mapping(raw.get("categories"), file=file, where="categories")
    categories: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for name, tickers in cats_raw.items():
        name = str(name).strip()
        if not isinstance(tickers, list) or not tickers:
            raise ConfigError(f"categories.{name} must be a non-empty list of tickers", file=file)
        members = tuple(_ticker(t, file=file, where=f"categories.{name}") for t in tickers)
        for t in members:
            if t in owner:
                raise ConfigError(
                    f"ticker is in categories {owner[t]!r} and {name!r}", file=file, ticker=t
                )
            owner[t] = name
        categories[name] = members
    # a target key is a category name (as written) or a ticker (upper-cased)
    norm_targets: dict[str, float] = {}
    for key, w in targets.items():
        k = key if key in categories else _ticker(key, file=file, where="targets")
        if k in owner:
            raise ConfigError(
                f"ticker has its own target and is also in category {owner[k]!r}",
                file=file,
                ticker=k,
            )
        norm_targets[k] = norm_targets.get(k, 0.0) + w
    unused = [c for c in categories if c not in norm_targets]
    if unused:
        raise ConfigError(f"category {unused[0]!r} has no target", file=file)

    holds_raw = _mapping(raw.get("holdings"), file=file, where="holdings")
    holdings: dict[str, Holding] = {}
    for t, h in holds_raw.items():
        ticker = _ticker(t, file=file, where="holdings")
        if ticker in holdings:
            raise ConfigError("listed twice in holdings", file=file, ticker=ticker)
        holdings[ticker] = _holding(ticker, h, file=file)

    prices_raw = _mapping(raw.get("prices"), file=file, where="prices")
    prices = {
        _ticker(t, file=file, where="prices"): _number(
            p, file=file, key="prices", ticker=str(t), positive=True
        )
        for t, p in prices_raw.items()
    }

    sales_raw = raw.get("recent_sales") or []
    if not isinstance(sales_raw, list):
        raise ConfigError(
            "recent_sales must be a list of {date, ticker, shares, price, cost}", file=file
        )
    sales = []
    for i, s in enumerate(sales_raw, start=1):
        s = _mapping(s, file=file, where=f"recent_sales[{i}]")
        _check_keys(s, SALE_KEYS, file=file, where=f"recent_sales[{i}]")
        missing = [k for k in SALE_KEYS if s.get(k) is None]
        if missing:
            raise ConfigError(f"recent_sales[{i}] needs {missing[0]}", file=file)
        tk = _ticker(s["ticker"], file=file, where=f"recent_sales[{i}]")
        sales.append(
            Sale(
                date=_date(s["date"], file=file, key=f"recent_sales[{i}].date", ticker=tk),
                ticker=tk,
                shares=_number(s["shares"], file=file, key=f"recent_sales[{i}].shares", ticker=tk),
                price=_number(s["price"], file=file, key=f"recent_sales[{i}].price", ticker=tk),
                cost=_number(s["cost"], file=file, key=f"recent_sales[{i}].cost", ticker=tk),
            )
        )

    name = str(raw["name"]) if raw.get("name") is not None else file.stem
    return Portfolio(
        name=name,
        cash=cash,
        cash_reserve=reserve,
        targets=MappingProxyType(norm_targets),
        categories=MappingProxyType(categories),
        holdings=MappingProxyType(holdings),
        prices=MappingProxyType(prices),
        recent_sales=tuple(sales),
        policy=_policy(raw.get("policy"), file=file),
        min_investment_per_stock=min_inv,
        source=file,
    )


def load_portfolio(path: str | Path) -> Portfolio:
    """Read and validate a portfolio YAML file; every problem is a :class:`ConfigError`."""
    return parse_portfolio(read_yaml(path), file=Path(path))
