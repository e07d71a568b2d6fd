"""Keep secrets in notification URLs out of every message and log line.

Apprise URLs carry their credentials inside the URL: a Telegram bot token sits where a host
would be (``tgram://TOKEN/CHAT``), Slack tokens are path segments (``slack://T/B/C``), e-mail
and webhooks carry ``user:password@`` and ``?token=`` query keys. :func:`redact` keeps the
scheme, and the host only for schemes whose host is a network address (webhooks, e-mail);
everything else becomes ``***``. :func:`scrub` removes a URL's secrets from free text such as
Apprise's own log lines (whose "privacy" mode still shows a password's first and last
characters).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

MASK = "***"
# Schemes whose host part is a real server (not a token): the host is kept.
HOST_SCHEMES = frozenset(
    {"json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos", "http", "https"}
)
_URL_RE = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")
# Apprise's privacy form of a secret: first character, '...', last character.
_PRIVACY_RE = re.compile(r"(?<![A-Za-z0-9])[^\s/:@?&=#.]\.\.\.[^\s/:@?&=#.](?![A-Za-z0-9])")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://(.*)$", re.DOTALL)


def _split(url: str) -> tuple[str, str, str, str] | None:
    """(scheme, userinfo, hostport, rest) or None when ``url`` has no ``scheme://``."""
    m = _SCHEME_RE.match(url.strip())
    if m is None:
        return None
    scheme, after = m.group(1).lower(), m.group(2)
    cut = min((i for i in (after.find(c) for c in "/?#") if i >= 0), default=len(after))
    netloc, rest = after[:cut], after[cut:]
    userinfo, _, hostport = netloc.rpartition("@")
    return scheme, userinfo, hostport, rest


def redact(url: str) -> str:
    """Mask the secrets of a notification URL.

    Parameters
    ----------
    url : str
        An Apprise URL.

    Returns
    -------
    str
        ``scheme://`` + (``***@`` when there is a user part) + the host and port for network
        schemes (:data:`HOST_SCHEMES`), ``***`` for the host of token schemes + ``/***`` when
        anything follows (path, query, fragment). A string without ``scheme://`` gives
        ``***``.

    Examples
    --------
    >>> redact("tgram://bottoken/ChatID")
    'tgram://***'
    >>> redact("json://user:pass@127.0.0.1:8080/path?token=x")
    'json://***@127.0.0.1:8080/***'
    """
    parts = _split(str(url))
    if parts is None:
        return MASK
    scheme, userinfo, hostport, rest = parts
    if scheme not in HOST_SCHEMES:
        return f"{scheme}://{MASK}"
    user = f"{MASK}@" if userinfo else ""
    tail = f"/{MASK}" if rest.strip("/") else ""
    return f"{scheme}://{user}{hostport}{tail}"


def secrets_of(url: str) -> list[str]:
    """List the pieces :func:`redact` masks in ``url``, raw and decoded, longest first."""
    parts = _split(str(url))
    if parts is None:
        pieces = [str(url).strip()]
    else:
        scheme, userinfo, hostport, rest = parts
        secret = userinfo + "@" + rest if scheme in HOST_SCHEMES else f"{userinfo}@{hostport}{rest}"
        pieces = [p for p in re.split(r"[/:@?&=#,+]", secret) if p]
        if scheme in HOST_SCHEMES:
            # query keys such as `token` are not secret; their values are
            pieces = [p for p in pieces if p not in _query_keys(rest)]
        else:
            pieces.append(f"{hostport}{rest}")
    out = {p for p in pieces if p} | {unquote(p) for p in pieces if p}
    return sorted(out, key=len, reverse=True)


def _query_keys(rest: str) -> set[str]:
    query = rest.partition("?")[2].partition("#")[0]
    return {kv.partition("=")[0] for kv in query.split("&") if "=" in kv}


def scrub(text: str, urls: list[str] | tuple[str, ...] = ()) -> str:
    """``text`` with every URL in it redacted and the secrets of ``urls`` masked.

    Secrets of three characters or more are masked wherever they occur; shorter ones only
    as whole words (so ``T`` in ``slack://T/B/C`` does not mangle "Teams"). Apprise's privacy
    form (first character ``...`` last character) is masked too.
    """
    out = _URL_RE.sub(lambda m: redact(m.group(0)), str(text))
    for u in urls:
        for s in secrets_of(u):
            if len(s) >= 3:
                out = out.replace(s, MASK)
            else:
                out = re.sub(rf"(?<![A-Za-z0-9]){re.escape(s)}(?![A-Za-z0-9])", MASK, out)
    return _PRIVACY_RE.sub(MASK, out)
