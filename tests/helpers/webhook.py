"""A JSON webhook on 127.0.0.1 and a guard that fails a test on any other connection.

Both fixtures are registered by ``tests/conftest.py``. A module that sends notifications sets
``pytestmark = pytest.mark.usefixtures("loopback_only")``: any connection or name lookup
outside the loopback interface then fails the test, and proxies are switched off so requests
go straight to the server.
``hook()`` starts a server and returns ``(port, received)``; ``received`` collects
``{"path", "headers", "json"}`` per POST.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
from typing import ClassVar

import pytest

LOCAL = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture
def loopback_only(monkeypatch):
    """Fail on any connection or DNS lookup that is not the loopback interface."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo
    violations: list[str] = []  # checked after the test: a library may swallow the error

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in LOCAL:
            violations.append(f"connect {address!r}")
            raise OSError("network access outside 127.0.0.1 is blocked in tests")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOCAL:
            violations.append(f"lookup {host!r}")
            raise socket.gaierror("name lookup outside 127.0.0.1 is blocked in tests")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    yield violations
    assert violations == [], "network access outside 127.0.0.1"


class Hook(http.server.BaseHTTPRequestHandler):
    status = 200
    received: ClassVar[list[dict]] = []

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n)
        self.received.append(
            {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
        )
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def hook():
    """A JSON webhook on 127.0.0.1 (free port) that records what it receives."""

    def start(status: int = 200):
        handler = type("Hook", (Hook,), {"status": status, "received": []})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        servers.append(server)
        return server.server_address[1], handler.received

    servers: list[http.server.ThreadingHTTPServer] = []
    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def free_closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
