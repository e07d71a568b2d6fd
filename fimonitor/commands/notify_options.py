"""The notification flags shared by ``pack``, ``batch``, ``rebalance`` and ``dca run``.

A command calls :func:`add_arguments` on its parser and, before doing its work,
:func:`settings_from` with the ``notify:`` settings of its file (``monitor.yaml`` or the
portfolio file), so that a bad URL stops the run at once (exit 2). After the work, it builds
a message with :func:`fimonitor.notify.pack_message` or
:func:`fimonitor.notify.policy_message`, asks :func:`fimonitor.notify.should_send`, and calls
:func:`fimonitor.notify.send` with ``strict=settings.strict``.

Precedence: ``--notify`` URLs replace the file's URLs (so one URL can be tried on its own);
``--notify-on`` replaces the file's ``on``; ``--notify-strict`` or the file's ``strict: true``
makes delivery strict; ``--no-notify`` turns everything off.
"""

from __future__ import annotations

import argparse

from fimonitor.notify import MODES, NotifySettings, validate_urls


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--notify URL`` (repeatable), ``--notify-on``, ``--notify-strict``, ``--no-notify``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser; the flags go into a "notifications" group.
    """
    g = parser.add_argument_group("notifications (see docs/notify.md)")
    g.add_argument(
        "--notify",
        action="append",
        default=None,
        metavar="URL",
        help="send the result to this Apprise URL (tgram://, slack://, workflows://, "
        "mailto://, json://…); repeatable; replaces the file's notify: URLs",
    )
    g.add_argument(
        "--notify-on",
        choices=MODES,
        default=None,
        help="change (default): new or cured alerts / any orders; breach: any BREACH; "
        "always: every run",
    )
    g.add_argument(
        "--notify-strict",
        action="store_true",
        default=False,
        help="a failed notification fails the command (default: one warning line, exit 0)",
    )
    g.add_argument(
        "--no-notify",
        action="store_true",
        default=False,
        help="send nothing, even when the file configures notify:",
    )


def settings_from(
    args: argparse.Namespace, file_settings: NotifySettings | None = None
) -> NotifySettings:
    """Return the notification settings of a run: the flags over the file's ``notify:``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments (flags missing from the namespace count as not given).
    file_settings : NotifySettings or None
        From :func:`fimonitor.notify.parse_notify` on the command's file.

    Returns
    -------
    NotifySettings
        With validated URLs (possibly none).

    Raises
    ------
    InputError
        A URL with an unknown scheme or that Apprise rejects, naming ``--notify`` or the
        file and the redacted URL (exit 2).
    """
    base = file_settings if file_settings is not None else NotifySettings()
    if getattr(args, "no_notify", False):
        return NotifySettings(on=base.on, source="--no-notify")
    cli_urls = getattr(args, "notify", None)
    if cli_urls:
        urls, source = tuple(cli_urls), "--notify"
    else:
        urls, source = base.urls, base.source
    settings = NotifySettings(
        urls=validate_urls(urls, source),
        on=getattr(args, "notify_on", None) or base.on,
        strict=bool(getattr(args, "notify_strict", False)) or base.strict,
        source=source,
    )
    return settings
