"""Patch layer of the embedded AWS emulator.

Every module in this package corrects one place where moto (pinned in requirements.txt) answers
differently from AWS for the modules the project uses. Each module documents the moto behaviour,
what AWS does and how the patch fixes it, and exposes ``apply()``; ``apply()`` is idempotent.
``apply_all()`` applies every module of the package in name order, before moto serves a request.
The table of patches, with the tests that prove them, is in lab/emulator/README.md.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def discover() -> list[ModuleType]:
    """Import every patch module of this package, in name order."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__))
    return [importlib.import_module(f"{__name__}.{name}") for name in names if name[0] != "_"]


def apply_all() -> list[str]:
    """Apply every patch; return the names of the patches applied."""
    applied: list[str] = []
    for module in discover():
        module.apply()
        applied.append(module.__name__.rsplit(".", 1)[-1])
    return applied
