"""The one severity classifier of the monitoring rules: WARN / BREACH against two limits.

A *max*-type limit is crossed when the value exceeds it, a *min*-type limit when the value is
below it. "Exceeds" means by more than :data:`EPS` = 1e-12 (in the value's own unit), so that
floating-point noise (0.80 − 0.77 = 0.030000000000000027) does not turn "exactly at the limit"
into an alert. BREACH is checked first; a value that crosses only ``warn`` is WARN.

Policy alerts of the portfolio-file rebalancer have their own levels (see
:mod:`fimonitor.policy`); this vocabulary is the monitoring rules' only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BREACH", "EPS", "NONE", "SEVERITY_NAMES", "WARN", "classify", "severity_name"]

EPS = 1e-12
NONE, WARN, BREACH = 0, 1, 2
SEVERITY_NAMES = {WARN: "WARN", BREACH: "BREACH"}


def classify(
    values: np.ndarray | list[float] | float,
    warn: float | None,
    breach: float | None,
    kind: str = "max",
) -> tuple[np.ndarray, np.ndarray]:
    """Severity codes and the crossed limit of each value, elementwise.

    Parameters
    ----------
    values : array_like of float
        The measured values, in the unit of the limits (NaN never alerts).
    warn, breach : float or None
        The two limits; ``None`` is a level that never fires.
    kind : {"max", "min"}
        ``"max"``: alert when the value is above a limit; ``"min"``: below it.

    Returns
    -------
    code : numpy.ndarray of int
        0 (no alert), 1 (WARN) or 2 (BREACH), the shape of ``values``.
    limit : numpy.ndarray of float
        The limit crossed (``breach`` for BREACH, ``warn`` for WARN), NaN where no alert.

    Notes
    -----
    For ``kind="max"``: BREACH when ``v > breach + EPS``, else WARN when ``v > warn + EPS``.
    For ``kind="min"``: BREACH when ``v < breach - EPS``, else WARN when ``v < warn - EPS``.
    """
    v = np.asarray(values, dtype=float)
    inf = np.inf if kind == "max" else -np.inf
    w = inf if warn is None else warn
    b = inf if breach is None else breach
    with np.errstate(invalid="ignore"):
        if kind == "max":
            is_b, is_w = v > b + EPS, v > w + EPS
        else:
            is_b, is_w = v < b - EPS, v < w - EPS
    code = np.where(is_b, BREACH, np.where(is_w, WARN, NONE))
    limit = np.where(is_b, b, np.where(is_w, w, np.nan))
    return code, limit


def severity_name(code: int) -> str | None:
    """``"WARN"``, ``"BREACH"`` or None for a severity code of :func:`classify`."""
    return SEVERITY_NAMES.get(int(code))
