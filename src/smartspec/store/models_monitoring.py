"""ORM models of element 5, monitoring and evaluation (issue 6): indicators, data versions,
self-assessments. Shares :class:`smartspec.store.models.Base`; created by migration 0003."""

from __future__ import annotations
