"""Send a :class:`~fimonitor.notify.message.Message` through Apprise.

Apprise is imported inside the functions that need it (about 0.08 s to import and 0.15 s to
load its plugins on first use), so commands that do not notify never pay for it. While
Apprise runs, its logger is detached from the application's handlers and captured in
memory: Apprise logs request URLs that contain tokens (at DEBUG) and its "privacy" mode
still shows a password's first and last characters. Only our own lines, with URLs redacted,
reach the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from fimonitor.errors import InputError, NotifyError
from fimonitor.notify.message import Message
from fimonitor.notify.redact import redact, scrub

log = logging.getLogger(__name__)
APPRISE_LOGGER = "apprise"
_LOCK = threading.RLock()
QUIET_LOGGERS = (APPRISE_LOGGER, "urllib3", "requests", "httpx", "httpcore")
_LEVELS = {"info": "info", "warning": "warning", "failure": "failure", "success": "success"}


@dataclass(frozen=True)
class Outcome:
    """The result of one URL.

    Attributes
    ----------
    url : str
        The URL, redacted (:func:`fimonitor.notify.redact`).
    ok : bool
        True when the service accepted the message.
    detail : str
        Why it failed (Apprise's reason, secrets removed); empty on success.
    """

    url: str
    ok: bool
    detail: str = ""


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(record.getMessage())
        except Exception:  # a malformed record must not break sending
            self.lines.append(record.levelname)


@contextmanager
def _quiet_apprise() -> Iterator[_Capture]:
    """Route Apprise's and its HTTP stack's loggers to memory only, for the block.

    urllib3 logs request paths at DEBUG (a Telegram bot token is part of the path), so it is
    held back too. Only Apprise's WARNING and ERROR lines are kept, for :class:`Outcome`.
    """
    with _LOCK:  # loggers are process-wide: one sender at a time swaps them
        cap = _Capture()
        sink = logging.NullHandler()
        saved = []
        for name in QUIET_LOGGERS:
            lg = logging.getLogger(name)
            saved.append((lg, lg.level, lg.propagate, lg.handlers[:]))
            lg.handlers = [cap if name == APPRISE_LOGGER else sink]
            lg.propagate = False
            if name == APPRISE_LOGGER:
                lg.setLevel(logging.WARNING)
        try:
            yield cap
        finally:
            for lg, level, propagate, handlers in saved:
                lg.handlers = handlers
                lg.propagate = propagate
                lg.setLevel(level)


def _joined(lines: list[str], limit: int = 300) -> str:
    """Apprise's distinct log lines joined with '; ', at most ``limit`` characters."""
    text = "; ".join(dict.fromkeys(line.strip() for line in lines if line.strip()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _asset():
    import apprise

    # No custom plugin folders, no persistent storage on disk, Apprise's own secure logging.
    return apprise.AppriseAsset(plugin_paths=[], storage_mode="memory", secure_logging=True)


def _schemes() -> frozenset[str]:
    from apprise.plugins import N_MGR

    return frozenset(s.lower() for s in N_MGR.schemas(include_disabled=False))


def validate_urls(urls: Sequence[str], source: str = "--notify") -> tuple[str, ...]:
    """Check notification URLs before a run starts.

    Parameters
    ----------
    urls : sequence of str
        Apprise URLs.
    source : str
        The flag or file the URLs came from, named in the error (``--notify``,
        ``monitor.yaml: notify``).

    Returns
    -------
    tuple of str
        The URLs, stripped.

    Raises
    ------
    InputError
        An unknown scheme, or a URL the scheme's plugin rejects (missing token, chat id…).
        The message names ``source`` and the redacted URL, never the secret.
    """
    urls = tuple(str(u).strip() for u in urls)
    if not urls:
        return urls
    with _quiet_apprise() as cap:
        import apprise

        asset = _asset()
        known = _schemes()
        for u in urls:
            scheme = u.partition("://")[0].lower() if "://" in u else ""
            if scheme not in known:
                raise InputError(
                    f"{source}: {redact(u)}: unknown notification scheme {scheme!r} "
                    "(Apprise knows e.g. tgram, slack, workflows, mailto, json; "
                    "see docs/notify.md)"
                )
            if apprise.Apprise.instantiate(u, asset=asset) is None:
                why = scrub(_joined(cap.lines), [u]) if cap.lines else "rejected by Apprise"
                raise InputError(f"{source}: {redact(u)}: not a valid {scheme}:// URL ({why})")
    return urls


def _send_one(url: str, message: Message, asset) -> Outcome:
    import apprise

    with _quiet_apprise() as cap:
        try:
            plugin = apprise.Apprise.instantiate(url, asset=asset)
            if plugin is None:
                ok, why = False, "not a valid notification URL"
            else:
                ok = bool(
                    plugin.notify(
                        body=message.body,
                        title=message.title,
                        notify_type=apprise.NotifyType(_LEVELS.get(message.level, "info")),
                        body_format=apprise.NotifyFormat.TEXT,
                    )
                )
                why = ""
        except Exception as exc:  # a broken plugin must not break the run
            ok, why = False, f"{type(exc).__name__}: {exc}"
        if not ok and cap.lines and not why:
            why = _joined(cap.lines)
    return Outcome(redact(url), ok, "" if ok else scrub(why or "not delivered", [url]))


def send(urls: Sequence[str], message: Message, *, strict: bool = False) -> list[Outcome]:
    """Send ``message`` to every URL, one at a time.

    Parameters
    ----------
    urls : sequence of str
        Apprise URLs (see docs/notify.md); an empty sequence sends nothing and does not
        import Apprise.
    message : Message
        Title, plain-text body and level.
    strict : bool
        False (default): a failure is logged as one WARNING line per URL (redacted) and
        returned. True: after trying every URL, raise :class:`NotifyError` if any failed.

    Returns
    -------
    list of Outcome
        One per URL, in order, with redacted URLs.

    Raises
    ------
    NotifyError
        Only when ``strict`` and at least one URL failed; one line, secrets removed.
    """
    urls = [str(u).strip() for u in urls]
    if not urls:
        return []
    with _quiet_apprise():
        asset = _asset()  # the first import logs its locale set-up
    outcomes = [_send_one(u, message, asset) for u in urls]
    failed = [o for o in outcomes if not o.ok]
    if failed and strict:
        first = failed[0]
        raise NotifyError(
            f"notification failed for {len(failed)} of {len(outcomes)} URL(s): "
            f"{first.url}: {first.detail}"
        )
    for o in failed:
        log.warning("notification to %s failed: %s", o.url, o.detail)
    for o in outcomes:
        if o.ok:
            log.info("notification sent to %s", o.url)
    return outcomes
