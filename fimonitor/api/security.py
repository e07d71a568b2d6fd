"""Access rules of the API: problem details, bearer tokens, the session cookie, GET only.

:class:`AccessMiddleware` is a plain ASGI middleware that runs before routing:

1. every method other than GET (HEAD included) gets 405 (``POST /login`` is the one exception:
   the sign-in form submits there);
2. when tokens are configured, every path except :data:`OPEN_PATHS` (and ``/docs/static/``)
   needs ``Authorization: Bearer <token>`` or the session cookie set by ``/login``; otherwise
   401 (``GET /`` from a browser is sent to ``/login`` instead).

Tokens are compared with :func:`hmac.compare_digest` against every configured token (no early
exit). The cookie holds ``HMAC-SHA256(key, token)`` with a random key made when the app is
created, never the token itself; restarting the server signs everyone out.
Errors are RFC 9457 problem details (``application/problem+json``) with one sentence in
``detail``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from http import HTTPStatus
from http.cookies import SimpleCookie
from pathlib import Path

from fimonitor.errors import InputError

COOKIE = "fimonitor_session"
COOKIE_MAX_AGE = 12 * 3600
OPEN_PATHS = frozenset({"/health", "/login", "/docs", "/openapi.json", "/docs/openapi-3.0.json"})
PROBLEM_TYPE = "application/problem+json"
ENV_TOKENS = "FIMONITOR_API_TOKENS"


def problem_body(status: int, detail: str, instance: str | None = None) -> bytes:
    """An RFC 9457 problem document: ``type, title, status, detail`` (+ ``instance``)."""
    doc = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        doc["instance"] = instance
    return json.dumps(doc).encode()


def read_tokens(env_value: str | None, token_file: str | Path | None) -> tuple[str, ...]:
    """Tokens from ``FIMONITOR_API_TOKENS`` (comma-separated) and a token file (one a line).

    Blank entries and lines starting with ``#`` are skipped; surrounding spaces are stripped.
    A token file that cannot be read is an :class:`~fimonitor.errors.InputError`.
    """
    tokens = [t.strip() for t in (env_value or "").split(",")]
    if token_file is not None:
        try:
            lines = Path(token_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"--token-file {token_file}: cannot read it ({exc})") from exc
        tokens += [ln.strip() for ln in lines if not ln.strip().startswith("#")]
    return tuple(dict.fromkeys(t for t in tokens if t))


class TokenCheck:
    """Constant-time checks of bearer tokens and session cookies."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self.tokens = tuple(t.encode() for t in tokens)
        self._key = secrets.token_bytes(32)
        self._cookies = tuple(self.cookie_for(t) for t in self.tokens)

    @property
    def enabled(self) -> bool:
        """Whether any token is configured (otherwise everything is open)."""
        return bool(self.tokens)

    def cookie_for(self, token: str | bytes) -> bytes:
        """The session cookie value for a token: hex HMAC-SHA256 under this app's key."""
        raw = token.encode() if isinstance(token, str) else token
        return hmac.new(self._key, raw, hashlib.sha256).hexdigest().encode()

    @staticmethod
    def _any(candidate: bytes, valid: tuple[bytes, ...]) -> bool:
        ok = False
        for v in valid:  # every comparison runs: the time does not tell which token matched
            ok |= hmac.compare_digest(candidate, v)
        return ok

    def token_ok(self, token: str | bytes) -> bool:
        """Whether ``token`` is one of the configured tokens."""
        raw = token.encode() if isinstance(token, str) else token
        return self._any(raw, self.tokens)

    def request_ok(self, headers: dict[bytes, bytes]) -> bool:
        """Bearer header or session cookie present and valid."""
        auth = headers.get(b"authorization", b"")
        scheme, _, value = auth.partition(b" ")
        if scheme.lower() == b"bearer" and value.strip():
            return self.token_ok(value.strip())
        cookie = headers.get(b"cookie")
        if cookie:
            jar = SimpleCookie()
            try:
                jar.load(cookie.decode("latin-1"))
            except Exception:  # a malformed Cookie header is simply no session
                return False
            morsel = jar.get(COOKIE)
            if morsel is not None:
                return self._any(morsel.value.encode("latin-1"), self._cookies)
        return False


class AccessMiddleware:
    """ASGI middleware: GET only (405) and token or cookie required (401)."""

    def __init__(self, app, check: TokenCheck) -> None:
        self.app = app
        self.check = check

    async def __call__(self, scope, receive, send) -> None:
        """Apply the method and credential rules, then pass the request on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        method = scope.get("method", "GET")
        if method != "GET" and not (method == "POST" and path == "/login"):
            await _send_problem(
                send,
                405,
                f"{method} is not allowed: this API is read-only (GET only).",
                path,
                extra=[(b"allow", b"GET")],
            )
            return
        if self.check.enabled and not _is_open(path):
            headers = dict(scope.get("headers") or [])
            if not self.check.request_ok(headers):
                accept = headers.get(b"accept", b"")
                if path == "/" and b"text/html" in accept:
                    await _send(send, 303, b"", [(b"location", b"/login")], b"text/plain")
                    return
                await _send_problem(
                    send,
                    401,
                    "A valid bearer token (Authorization: Bearer ...) or a session from /login "
                    "is required.",
                    path,
                    extra=[(b"www-authenticate", b'Bearer realm="fimonitor"')],
                )
                return
        await self.app(scope, receive, send)


def _is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith("/docs/static/")


async def _send(send, status: int, body: bytes, extra: list, content_type: bytes) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_problem(send, status: int, detail: str, path: str, extra: list) -> None:
    await _send(send, status, problem_body(status, detail, path), extra, PROBLEM_TYPE.encode())
