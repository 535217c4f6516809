"""Building :class:`~smartspec.data.panel.Panel` objects from shipped tables, with caching.

A panel is built once per set of arguments and cached; every call returns a fresh
:class:`Panel` around a copy of the cached frame, so that callers cannot corrupt the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from smartspec.data.panel import Panel, PanelMeta

__all__ = ["cached_panel", "clear_panel_cache", "fresh_panel"]

_BUILDERS: dict[str, Callable[..., tuple[pd.DataFrame, PanelMeta]]] = {}


def register(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func(*key) -> (frame, meta)`` as the builder of panel ``name``."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        _BUILDERS[name] = func
        return func

    return decorator


@lru_cache(maxsize=64)
def cached_panel(name: str, key: tuple[Hashable, ...]) -> Panel:
    """The panel ``name`` built from the arguments ``key`` (shared: never hand it out)."""
    from smartspec.data.panel import Panel

    frame, meta = _BUILDERS[name](*key)
    return Panel(frame, meta, origin=f"smartspec.datasets.{name}")


def fresh_panel(name: str, key: tuple[Hashable, ...]) -> Panel:
    """A new :class:`Panel` equal to the cached one, around a private copy of its frame."""
    from smartspec.data.panel import Panel

    panel = cached_panel(name, key)
    return Panel(panel.frame.copy(), panel.meta, origin=f"smartspec.datasets.{name}")


def clear_panel_cache() -> None:
    """Forget every cached panel."""
    cached_panel.cache_clear()
