"""The demo pack's three pages read as text (pypdf): structure, not pixels.

Checks what an analyst must be able to read on the demo pack of 2026-04-30: the signed alert
values and their excess, the streak path and exact age, POST_MIN first as "What to do today",
the rating scale order, group labels, and CASH not rated AAA.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from pypdf import PdfReader

from fimonitor.report import format as fmt


@pytest.fixture(scope="module")
def texts(demo_pack_dir) -> list[str]:
    pdf = next(demo_pack_dir.glob("*_3pages.pdf"))
    reader = PdfReader(pdf)
    assert len(reader.pages) == 3
    return [p.extract_text() for p in reader.pages]


def test_alert_values_keep_their_sign_and_excess(demo_pack_dir, texts):
    a = pd.read_csv(demo_pack_dir / "alerts.csv")
    assert list(a.columns[:6]) == ["date", "rule", "ticker", "value", "limit", "severity"]
    assert list(a.columns[6:]) == ["signed_value", "excess"]
    aw = a[a["rule"] == "active_weight"]
    assert (aw["value"] - aw["signed_value"].abs()).abs().max() < 1e-15
    assert ((aw["excess"] - (aw["value"] - aw["limit"])).abs() < 1e-15).all()
    for _, r in aw.iterrows():
        assert fmt.pp(r["signed_value"], 2) in texts[1]  # the page shows the signed measure
        assert fmt.pp(r["excess"], 2) in texts[1]


def test_streak_path_and_exact_age_on_page_2(demo_pack_dir, texts):
    # the duration gap was a BREACH from 2026-03-16 and is a WARN since 2026-04-15
    assert "BREACH 2026-03-16 → WARN 2026-04-15" in texts[1]
    assert "≥" not in texts[1]  # every age is exact
    assert re.search(r"\b584 d\b", texts[1])  # MBB single-name WARN since 2024-01-02


def test_page_3_opens_with_post_min(demo_pack_dir, texts):
    summary = pd.read_csv(demo_pack_dir / "rebalance_summary.csv").set_index("scenario")
    orders = pd.read_csv(demo_pack_dir / "rebalance_orders.csv")
    n_min = int((orders["scenario"] == "POST_MIN").sum())
    t = texts[2]
    assert "What to do today" in t
    assert f"{n_min} orders" in t
    assert fmt.pct(summary.loc["POST_MIN", "turnover"], 2) in t
    assert t.index("What to do today") < t.index("Trades POST_CONS")
    for reason in orders.loc[orders["scenario"] == "POST_MIN", "reason"]:
        assert reason[:30] in t
    # POST_BM's "ok" names the breach it leaves
    if summary.loc["POST_BM", "n_breach"] > 0:
        assert re.search(r"POST_BM leaves BREACH \S", t)


def test_ratings_in_scale_order_and_cash_not_aaa(demo_pack_dir, texts):
    r = pd.read_csv(demo_pack_dir / "rating_exposure.csv")
    assert "cash" in set(r["rating_bucket"])
    pos = pd.read_csv(demo_pack_dir / "today_positions.csv").set_index("ticker")
    assert pos.loc["CASH", "rating_bucket"] == "cash"
    page = texts[0]
    assert "Exposure by rating" in page
    rows = re.findall(r"^(\S+) [\d.]+ % [\d.]+ % [-+][\d.]+ pp$", page, flags=re.M)
    shown = [b for b in rows if b in set(r["rating_bucket"])]  # order of appearance
    assert sorted(shown) == sorted(r["rating_bucket"])
    assert shown == sorted(r["rating_bucket"], key=fmt.rating_rank)
    assert shown[0] == "AA" and shown[-1] == "cash"
    assert "High yield" in page and "hy_credit" not in page.split("Exposure by rating")[0]
