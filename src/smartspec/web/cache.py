"""Cache of the expensive evidence computations, per workspace and data version.

The evidence profile of a workspace's home region and its candidate TAs (for given weights)
depend only on the evidence data and the parameters. They are computed once per process and
kept in a bounded LRU keyed by ``(workspace id, data version, kind, region, parameters)``:
when a workspace records a new data version (e.g. a new data year is imported), its next
request computes afresh, and the old entries age out. Concurrent requests for the same key
wait for one computation instead of repeating it.

Each server process has its own cache (nothing is shared between uvicorn workers; the keys
carry the data version read from the database, so no worker serves stale evidence).

Cached values are shared between requests: treat them as read-only.

Examples
--------
>>> cache = EvidenceCache(maxsize=64)
>>> cache.get_or_compute(("k",), lambda: 41 + 1)
42
>>> cache.stats()["hits"], cache.stats()["misses"]
(0, 1)
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

__all__ = ["EvidenceCache", "get_cache", "weights_key"]

T = TypeVar("T")


def weights_key(weights: Mapping[str, float] | None) -> tuple[tuple[str, float], ...]:
    """A hashable, order-free key of a weight mapping (rounded to 1e-6)."""
    if not weights:
        return ()
    return tuple(sorted((str(k), round(float(v), 6)) for k, v in weights.items()))


class EvidenceCache:
    """A thread-safe LRU cache with one computation per key at a time.

    Parameters
    ----------
    maxsize : int
        Entries kept; the least recently used one goes first.
    """

    def __init__(self, maxsize: int = 256) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize}")
        self.maxsize = int(maxsize)
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._hits = 0
        self._misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of ``key``, computed with ``compute()`` when missing.

        An exception of ``compute`` is not cached: it propagates, and the next call retries.
        """
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self._hits += 1
                return self._data[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._data:  # computed by another thread meanwhile
                    self._data.move_to_end(key)
                    self._hits += 1
                    return self._data[key]
                self._misses += 1
            try:
                value = compute()
            finally:
                with self._lock:
                    self._key_locks.pop(key, None)
            with self._lock:
                self._data[key] = value
                self._data.move_to_end(key)
                while len(self._data) > self.maxsize:
                    self._data.popitem(last=False)
            return value

    def invalidate(self, workspace_id: int | None = None) -> int:
        """Drop every entry (or those of one workspace); returns how many were dropped."""
        with self._lock:
            if workspace_id is None:
                n = len(self._data)
                self._data.clear()
                return n
            keys = [k for k in self._data if isinstance(k, tuple) and k and k[0] == workspace_id]
            for k in keys:
                del self._data[k]
            return len(keys)

    def stats(self) -> dict[str, int]:
        """``hits``, ``misses`` and ``size``."""
        with self._lock:
            return {"hits": self._hits, "misses": self._misses, "size": len(self._data)}

    # ----------------------------------------------------------------- evidence of a workspace

    @staticmethod
    def _base_key(workspace: Any, kind: str) -> tuple[Any, ...]:
        region = workspace.home_region
        if region is None:
            raise ValueError(f"workspace {workspace.slug!r} has no home region")
        return (workspace.id, workspace.data_version or "", kind, region)

    def profile(self, workspace: Any) -> Any:
        """The evidence profile (:class:`smartspec.discovery.profile.RegionProfile`) of the
        workspace's home region on the shipped data."""
        from smartspec.discovery.embedded import embedded_profile

        key = self._base_key(workspace, "profile")
        return self.get_or_compute(key, lambda: embedded_profile(key[3]))

    def candidates(self, workspace: Any, weights: Mapping[str, float] | None = None,
                   top_k: int = 15) -> Any:
        """The candidate TAs of the home region (:func:`smartspec.discovery._cli.
        embedded_candidates`) for ``weights`` (sub-score -> weight; missing keys keep their
        defaults) and robustness ``top_k``.

        Raises
        ------
        ValueError
            Unknown sub-score, negative or non-finite weights, all weights zero.
        """
        from smartspec.discovery._cli import embedded_candidates
        from smartspec.discovery.scoring import validate_weights

        clean = None
        if weights:
            if any(not math.isfinite(float(v)) for v in weights.values()):
                raise ValueError("weights must be finite numbers")
            validate_weights(weights)
            clean = {k: float(v) for k, v in weights.items()}
        key = (*self._base_key(workspace, "candidates"), weights_key(clean), int(top_k))
        return self.get_or_compute(
            key, lambda: embedded_candidates(key[3], weights=clean, top_k=int(top_k)))


def get_cache(request: Any) -> EvidenceCache:
    """The application's evidence cache (``request.app.state.cache``)."""
    return request.app.state.cache
