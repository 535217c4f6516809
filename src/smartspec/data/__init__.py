"""The data layer: the :class:`Panel` model and importers for user and open data.

>>> from smartspec.data import read
>>> panel, report = read("employment.csv")          # doctest: +SKIP
>>> panel.matrix(2015)                               # doctest: +SKIP

Names from :mod:`smartspec.data.nuts` (e.g. ``recode``) are re-exported lazily when that module
is installed.
"""

from __future__ import annotations

import importlib
from typing import Any

from smartspec.data.io import (
    LARGE_FILE_BYTES,
    DataImportError,
    ImportResult,
    ValidationReport,
    read,
)
from smartspec.data.panel import (
    INCOMPLETE_FLAG,
    MISSING_FLAG,
    Panel,
    PanelMeta,
    PanelValidationError,
    Problem,
    Source,
    UnknownCodeWarning,
)

__all__ = [
    "INCOMPLETE_FLAG",
    "LARGE_FILE_BYTES",
    "MISSING_FLAG",
    "DataImportError",
    "ImportResult",
    "Panel",
    "PanelMeta",
    "PanelValidationError",
    "Problem",
    "Source",
    "UnknownCodeWarning",
    "ValidationReport",
    "read",
]

#: Optional sibling modules whose public names are re-exported on first access.
_LAZY_MODULES = ("smartspec.data.nuts",)
_LAZY_DEFAULT_NAMES = {"smartspec.data.nuts": ("recode",)}


def __getattr__(name: str) -> Any:
    if not name.startswith("_"):
        for module_name in _LAZY_MODULES:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:  # the optional module is not there
                if exc.name != module_name:
                    raise
                continue
            exported = getattr(module, "__all__", _LAZY_DEFAULT_NAMES.get(module_name, ()))
            if name in exported:
                return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
