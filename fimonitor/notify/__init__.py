"""Alerts where people look: notification messages, when to send them, and sending.

Messages are pure functions of a run's frames (:func:`pack_message`,
:func:`policy_message`); :func:`should_send` decides from ``--notify-on``; :func:`send`
delivers through Apprise (Telegram, Slack, Teams, e-mail, JSON webhooks…) and never raises
unless strict. Secrets in URLs never reach a message or a log line (:func:`redact`).
See ``docs/notify.md``.
"""

from __future__ import annotations

from fimonitor.notify.decide import DEFAULT_MODE, MODES, check_mode, should_send
from fimonitor.notify.message import Message, alert_changes, pack_message, policy_message
from fimonitor.notify.redact import redact, scrub
from fimonitor.notify.send import Outcome, send, validate_urls
from fimonitor.notify.settings import NotifySettings, parse_notify

__all__ = [
    "DEFAULT_MODE",
    "MODES",
    "Message",
    "NotifySettings",
    "Outcome",
    "alert_changes",
    "check_mode",
    "pack_message",
    "parse_notify",
    "policy_message",
    "redact",
    "scrub",
    "send",
    "should_send",
    "validate_urls",
]
