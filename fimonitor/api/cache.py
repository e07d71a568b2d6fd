"""A response cache for the JSON history endpoints, valid until the database changes.

The history database changes only when a pack or an event is recorded, while dashboards poll
the same URLs again and again. :class:`ResponseCache` is an ASGI middleware (placed inside the
access checks, so a cached answer is still only given to an authorised caller) that keeps the
body of successful ``GET /portfolios...`` and ``GET /assets...`` responses, keyed by the Host
header, raw path and query string, together with the database *version* they were computed from:

- SQLite file: ``(mtime_ns, size)`` of the file and of its ``-wal`` journal (a commit changes
  one of them);
- any other database: the time, rounded down to ``ttl`` seconds (answers at most ``ttl`` old).

A request whose key is cached under the current version is answered from memory; anything else
goes to the app. At most ``max_entries`` responses are kept (least recently used dropped).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

CACHED_PREFIXES = ("/portfolios", "/assets")


def sqlite_version(path: Path) -> Callable[[], tuple]:
    """A version function for a SQLite file (its and its WAL's mtime and size)."""
    wal = Path(f"{path}-wal")

    def version() -> tuple:
        out = []
        for p in (path, wal):
            try:
                st = os.stat(p)
                out += [st.st_mtime_ns, st.st_size]
            except OSError:
                out += [0, 0]
        return tuple(out)

    return version


def ttl_version(ttl: float = 2.0) -> Callable[[], tuple]:
    """A version function that changes every ``ttl`` seconds."""
    return lambda: (int(time.monotonic() // ttl),)


class ResponseCache:
    """ASGI middleware: serve repeated GETs of the JSON history endpoints from memory."""

    def __init__(self, app, version: Callable[[], tuple], max_entries: int = 512) -> None:
        self.app = app
        self.version = version
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[bytes, tuple[tuple, list, bytes]] = OrderedDict()

    async def __call__(self, scope, receive, send) -> None:
        """Answer from memory when the key is cached under the current version."""
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope.get("method") != "GET" or not path.startswith(CACHED_PREFIXES):
            await self.app(scope, receive, send)
            return
        host = next((v for k, v in scope.get("headers", ()) if k == b"host"), b"")
        raw = scope.get("raw_path") or path.encode()
        key = host + b" " + raw + b"?" + scope.get("query_string", b"")  # `next` links hold host
        version = self.version()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] == version:
                self._entries.move_to_end(key)
        if hit is not None and hit[0] == version:
            await send({"type": "http.response.start", "status": 200, "headers": hit[1]})
            await send({"type": "http.response.body", "body": hit[2]})
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        if start.get("status") == 200:
            with self._lock:
                self._entries[key] = (version, list(start.get("headers", [])), b"".join(chunks))
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
