"""The tiny hand-made book whose every number can be checked by hand.

Dates: NYSE sessions 2024-01-29 .. 2024-02-09 (a month change on 2024-02-01).

Securities: TSY (treasury), IGC (ig_credit), HYB (hy_credit, held, not in the benchmark),
BILL (cash proxy), BMK (treasury, in the benchmark, never held).
Benchmark: TSY 50 %, IGC 30 %, BMK 20 %  (given in percent, to exercise normalisation).
Durations: January TSY 6, IGC 8, HYB 4, BILL 0.2, BMK 10; February TSY 6.5, IGC 7.5, ... .
Ledger: deposit 100,000; buys; a dividend; a fee; a withdrawal; a partial sale.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"

TINY_DATES = [
    "2024-01-29",
    "2024-01-30",
    "2024-01-31",
    "2024-02-01",
    "2024-02-02",
    "2024-02-05",
    "2024-02-06",
    "2024-02-07",
    "2024-02-08",
    "2024-02-09",
]
TINY_PRICES = {
    #        29     30     31     01     02     05     06     07     08     09
    "TSY": [100.0, 101.0, 102.0, 100.0, 99.0, 100.0, 101.0, 100.0, 100.0, 102.0],
    "IGC": [50.0, 50.0, 51.0, 52.0, 50.0, 50.0, 49.0, 50.0, 50.0, 51.0],
    "HYB": [80.0, 81.0, 82.0, 84.0, 85.0, 86.0, 88.0, 90.0, 89.0, 88.0],
    "BILL": [100.0] * 10,
    "BMK": [20.0, 20.0, 20.5, 21.0, 21.0, 21.0, 21.0, 21.5, 21.5, 21.0],
}
TINY_SECURITIES = """ticker,name,group,sector,rating_bucket,is_cash_proxy
TSY,Treasury Fund,treasury,Treasury 7-10y,AAA,false
IGC,IG Credit Fund,ig_credit,IG corporate,A,false
HYB,High Yield Fund,hy_credit,HY corporate,BB,false
BILL,T-Bill Fund,cash,T-bills,AAA,true
BMK,Long Treasury Fund,treasury,Treasury 20y+,AAA,false
"""
TINY_DURATIONS = """month,ticker,duration
2024-01,TSY,6
2024-01,IGC,8
2024-01,HYB,4
2024-01,BILL,0.2
2024-01,BMK,10
2024-02,TSY,6.5
2024-02,IGC,7.5
2024-02,HYB,4
2024-02,BILL,0.2
2024-02,BMK,10
"""
TINY_BENCHMARK = """ticker,weight
TSY,50
IGC,30
BMK,20
"""
TINY_TRANSACTIONS = """date,ticker,action,shares,price,fees
2024-01-29,,DEPOSIT,,100000,
2024-01-29,TSY,BUY,400,100,10
2024-01-29,IGC,BUY,600,50,5
2024-01-29,HYB,BUY,200,80,0
2024-01-29,BILL,BUY,100,100,0
2024-02-01,IGC,DIVIDEND,,120,
2024-02-05,CASH,FEE,,25,
2024-02-06,,WITHDRAWAL,,3000,
2024-02-07,HYB,SELL,50,90,3
"""
TINY_RULES = """portfolio_name: Tiny Test Book
lookback_weeks: 2
rules:
  max_single_name_weight: {warn: 0.35, breach: 0.45}
  min_cash_weight: {warn: 0.20, breach: 0.10}
  duration_gap: {warn: 0.50, breach: 1.00}
  active_weight: {warn: 0.10, breach: 0.15}
  group_max_weight:
    hy_credit: {warn: 0.15, breach: 0.20}
rebalance:
  max_single_name_weight: 0.45
  min_cash_weight: 0.05
  duration_band: 0.25
  group_caps: {hy_credit: 0.10}
  whole_shares: true
  min_trade_notional: 0
  max_turnover: null
"""


def write_tiny_book(folder: Path, **overrides: str) -> Path:
    """Write the tiny book's CSVs into ``folder``; ``overrides`` replace a file's text."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        f"{d},{t},{p},{p}"
        for t, ps in TINY_PRICES.items()
        for d, p in zip(TINY_DATES, ps, strict=True)
    ]
    files = {
        "security_master.csv": TINY_SECURITIES,
        "prices.csv": "date,ticker,close,adj_close\n" + "\n".join(rows) + "\n",
        "duration_monthly.csv": TINY_DURATIONS,
        "benchmark_weights.csv": TINY_BENCHMARK,
        "transactions.csv": TINY_TRANSACTIONS,
        "monitor.yaml": TINY_RULES,
    }
    files.update(overrides)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder
