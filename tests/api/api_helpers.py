"""Constants and helpers shared by the API tests."""

from __future__ import annotations

from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
AS_OFS = ("2026-04-09", "2026-04-16", "2026-04-23", "2026-04-30")
TOKEN = "test-token-0123456789"
PORTFOLIO = "Demo Core Fixed Income"


def raw_get(client, raw_path: str, **kw) -> httpx.Response:
    """GET a path exactly as given (no client-side normalisation of ``..`` or escapes)."""
    url = httpx.URL("http://testserver").copy_with(raw_path=raw_path.encode("ascii"))
    return client.get(url, **kw)
