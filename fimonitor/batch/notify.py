"""The one notification of a batch: firm counts, new/cured alerts per book, the firm page.

Built from the task results with :func:`fimonitor.notify.alert_changes` (new = alerting now
but not at that severity in the previous pack; cured = alerting in the previous pack, not
now), so a batch follows the same ``--notify-on change`` rule as one pack: it sends when any
book has a new or cured alert (or a book failed).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fimonitor.batch.run import BatchResult
from fimonitor.dates import stamp
from fimonitor.notify import Message, alert_changes
from fimonitor.notify.message import MAX_BODY, MAX_TITLE

__all__ = ["batch_message", "book_changes", "has_breach", "has_changes"]

MAX_BOOKS = 20  # books listed in the message before "… and N more"


def book_changes(result: BatchResult) -> dict[str, tuple[int, int]]:
    """Book -> (number of new alerts, number of cured alerts), ok tasks of the latest date."""
    out: dict[str, tuple[int, int]] = {}
    for r in result.results:
        if r.status != "ok" or r.alerts is None:
            continue
        new, cured = alert_changes(r.alerts, r.previous_alerts)
        out[r.book] = (len(new), len(cured))
    return out


def has_changes(result: BatchResult) -> bool:
    """True when any book has a new or cured alert, or any book failed."""
    return bool(result.failures()) or any(n or c for n, c in book_changes(result).values())


def has_breach(result: BatchResult) -> bool:
    """True when any book has a BREACH on its as-of date."""
    return any(r.status == "ok" and r.summary.get("n_breach", 0) > 0 for r in result.results)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def batch_message(result: BatchResult, out: Path) -> Message:
    """Build the batch's message (title: firm counts; body: failures, changes, firm page)."""
    ok = [r for r in result.results if r.status == "ok"]
    failed = result.failures()
    n_b = sum(r.summary["n_breach"] for r in ok)
    n_w = sum(r.summary["n_warn"] for r in ok)
    days = sorted({pd.Timestamp(r.as_of) for r in result.results})
    day = days[-1].date().isoformat() if days else "-"
    books = {r.book for r in result.results} | {p.book.name for p in result.failed_plans}
    title = (
        f"fimonitor batch {day}: {len(books)} books, {len(failed)} failed, {n_b} BREACH, {n_w} WARN"
    )
    lines = [f"Books: {len(books)} ({len(failed)} failed)", f"Alerts: {n_b} BREACH, {n_w} WARN"]
    if failed:
        lines += ["", f"Failed books ({len(failed)}):"]
        lines += [f"- {b}: {s}: {m}" for b, s, m in failed[:MAX_BOOKS]]
    changed = [(b, n, c) for b, (n, c) in book_changes(result).items() if n or c]
    if changed:
        lines += ["", f"New / cured alerts since each book's previous pack ({len(changed)}):"]
        lines += [f"- {b}: {n} new, {c} cured" for b, n, c in changed[:MAX_BOOKS]]
        if len(changed) > MAX_BOOKS:
            lines.append(f"… and {len(changed) - MAX_BOOKS} more")
    else:
        lines += ["", "No alert is new or cured since the previous packs."]
    if days:
        lines += ["", f"Firm page: {Path(out) / 'firm' / stamp(days[-1])}"]
    level = "failure" if n_b or failed else "warning" if n_w else "info"
    return Message(_cut(title, MAX_TITLE), _cut("\n".join(lines), MAX_BODY), level)
