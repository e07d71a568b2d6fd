"""``notify:`` blocks of ``monitor.yaml`` and portfolio files -> :class:`NotifySettings`.

Accepted forms::

    notify: json://hooks.example.com/fimonitor          # one URL
    notify: [tgram://TOKEN/CHAT, mailto://u:p@example.com]   # a list of URLs
    notify:
      urls: [tgram://TOKEN/CHAT]
      on: change          # change | always | breach
      strict: false       # true: a failed notification fails the run

Parsing is structural only (no Apprise import); :func:`fimonitor.notify.validate_urls`
checks the schemes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fimonitor.errors import ConfigError, InputError
from fimonitor.notify.decide import DEFAULT_MODE, check_mode
from fimonitor.notify.redact import redact

KEYS = ("urls", "on", "strict")


@dataclass(frozen=True)
class NotifySettings:
    """Where and when to notify.

    Attributes
    ----------
    urls : tuple of str
        Apprise URLs; empty means no notification.
    on : str
        ``change``, ``always`` or ``breach`` (see :func:`fimonitor.notify.should_send`).
    strict : bool
        A failed notification raises :class:`fimonitor.errors.NotifyError`.
    source : str
        Where the settings came from (``monitor.yaml: notify``, ``--notify``), for messages.
    """

    urls: tuple[str, ...] = ()
    on: str = DEFAULT_MODE
    strict: bool = False
    source: str = "--notify"

    @property
    def enabled(self) -> bool:
        """True when there is at least one URL."""
        return bool(self.urls)


def _urls(raw: Any, source: str, where: str) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)):
        raise ConfigError(f"{where} must be a URL or a list of URLs", file=source)
    out = []
    for i, u in enumerate(items):
        if not isinstance(u, str) or not u.strip():
            raise ConfigError(f"{where}[{i}] must be a non-empty URL string", file=source)
        if "://" not in u:
            raise ConfigError(
                f"{where}[{i}] {redact(u)} is not a URL (expected scheme://…, "
                "e.g. tgram://, slack://, mailto://, json://)",
                file=source,
            )
        out.append(u.strip())
    return tuple(out)


def parse_notify(obj: Any, source: str) -> NotifySettings:
    """Read a ``notify:`` value.

    Parameters
    ----------
    obj : None, str, list of str or dict
        The parsed YAML value under ``notify:``; None gives settings with no URLs.
    source : str
        The file name, used in error messages (``monitor.yaml``).

    Returns
    -------
    NotifySettings

    Raises
    ------
    ConfigError
        An unknown key (the valid ones are listed), a bad mode, a non-boolean ``strict`` or
        an entry that is not a URL. URLs in messages are redacted.
    """
    where = "notify"
    label = f"{source}: notify"
    if obj is None:
        return NotifySettings(source=label)
    if isinstance(obj, (str, list, tuple)):
        return NotifySettings(urls=_urls(obj, source, where), source=label)
    if not isinstance(obj, dict):
        raise ConfigError(
            "notify must be a URL, a list of URLs or a mapping {urls, on, strict}", file=source
        )
    # PyYAML (YAML 1.1) reads a bare `on:` key as the boolean True: take it as "on".
    obj = {("on" if k is True else k): v for k, v in obj.items()}
    unknown = sorted(str(k) for k in obj if k not in KEYS)
    if unknown:
        raise ConfigError(
            f"notify: unknown key {unknown[0]!r}; valid keys are {', '.join(KEYS)}", file=source
        )
    urls = _urls(obj.get("urls") or [], source, "notify.urls")
    on = obj.get("on") or DEFAULT_MODE
    try:
        mode = check_mode(on, source="notify.on")
    except InputError as exc:
        raise ConfigError(exc.problem, file=source) from None
    strict = obj.get("strict", False)
    if not isinstance(strict, bool):
        raise ConfigError(f"notify.strict must be true or false, got {strict!r}", file=source)
    return NotifySettings(urls=urls, on=mode, strict=strict, source=label)
