"""Lazy public names for the sub-packages' ``__init__`` modules.

A sub-package lists its public face as ``name -> module``; each name is imported from its
module on first use, so importing one module of a package does not import all the others.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[list[str], Callable[[str], Any]]:
    """Return ``__all__`` and a module ``__getattr__`` serving ``exports`` lazily.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : dict
        Public name -> the submodule (relative to ``package``) that defines it.

    Returns
    -------
    names : list of str
        The sorted public names (the package's ``__all__``).
    getattr : callable
        The package's module-level ``__getattr__`` (PEP 562).
    """

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(import_module(f"{package}.{exports[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return sorted(exports), __getattr__
