"""When a run sends its notification (``--notify-on change|always|breach``)."""

from __future__ import annotations

from fimonitor.errors import InputError

MODES = ("change", "always", "breach")
DEFAULT_MODE = "change"
PACK_COMMANDS = ("pack", "batch")
POLICY_COMMANDS = ("rebalance", "dca run")
COMMANDS = (*PACK_COMMANDS, *POLICY_COMMANDS)


def check_mode(mode: str, *, source: str = "--notify-on") -> str:
    """Return ``mode`` lower-cased if it is one of :data:`MODES`; else raise InputError.

    Parameters
    ----------
    mode : str
        The requested mode.
    source : str
        The flag or key named in the error.

    Returns
    -------
    str
        The mode, lower-cased.
    """
    m = str(mode).strip().lower()
    if m not in MODES:
        raise InputError(f"{source}: unknown mode {mode!r}; use one of {', '.join(MODES)}")
    return m


def should_send(
    mode: str, command: str, has_changes: bool, has_breach: bool, has_orders: bool
) -> bool:
    """Whether a run sends its notification.

    Parameters
    ----------
    mode : {'change', 'always', 'breach'}
        ``change`` (the default): for ``pack``/``batch`` when an alert is new or cured since
        the previous pack (``has_changes``); for ``rebalance``/``dca run`` when there are
        orders (``has_orders``). ``breach``: when any alert is a BREACH (for the policy
        commands, the caller passes its URGENT alerts as ``has_breach``). ``always``: every run.
    command : {'pack', 'batch', 'rebalance', 'dca run'}
        The command that ran (``dca`` is read as ``dca run``).
    has_changes, has_breach, has_orders : bool
        Facts about the run.

    Returns
    -------
    bool

    Raises
    ------
    InputError
        An unknown mode or command.
    """
    m = check_mode(mode)
    cmd = "dca run" if command == "dca" else command
    if cmd not in COMMANDS:
        raise InputError(f"notify: unknown command {command!r}; use one of {', '.join(COMMANDS)}")
    if m == "always":
        return True
    if m == "breach":
        return bool(has_breach)
    return bool(has_changes) if cmd in PACK_COMMANDS else bool(has_orders)
