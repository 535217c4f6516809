"""Default inputs of the discovery functions, assembled from the data shipped with smartspec.

The analytic functions of :mod:`smartspec.discovery` never load data themselves; this module
does it once for the command line, the reports and the examples:

* ``panel``: :func:`smartspec.datasets.sbs_employment` (Eurostat SBS 2015, persons employed,
  NUTS 2021 level 2 x NACE Rev. 2 division);
* ``history``: :func:`smartspec.datasets.regional_employment` at level 2 (Eurostat regional
  accounts, NUTS 2016 x NACE A*10 sections, 1995-2018);
* ``context``: :func:`smartspec.datasets.context_indicators` and its metadata;
* ``neighbours`` and ``regions``: :func:`smartspec.datasets.neighbours` and
  :func:`smartspec.datasets.regions` (GISCO NUTS 2021, level 2).

The inputs are loaded once per process and shared: treat them as read only.

Examples
--------
>>> from smartspec.discovery.embedded import embedded_profile
>>> p = embedded_profile("AT31")  # doctest: +SKIP
>>> p.name  # doctest: +SKIP
'Oberösterreich'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from smartspec.data.panel import Panel
from smartspec.discovery.profile import RegionProfile, profile

__all__ = ["DEFAULT_REGION", "EmbeddedInputs", "embedded_profile", "load_inputs"]

#: Oberösterreich (Upper Austria): an Alpine Space manufacturing region with nearly complete SBS
#: data and a long employment history.
DEFAULT_REGION = "AT31"


@dataclass(frozen=True)
class EmbeddedInputs:
    """The shipped inputs of :func:`smartspec.discovery.profile` (shared: do not mutate)."""

    panel: Panel
    history: Panel
    context: pd.DataFrame
    context_meta: pd.DataFrame
    neighbours: pd.DataFrame
    regions: pd.DataFrame
    attribution: str

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`smartspec.discovery.profile`."""
        return {"panel": self.panel, "history": self.history, "context": self.context,
                "context_meta": self.context_meta, "neighbours": self.neighbours,
                "regions": self.regions, "attribution": self.attribution}


@lru_cache(maxsize=1)
def load_inputs() -> EmbeddedInputs:
    """Load (once per process) the default panel, history, context, neighbours and regions.

    Returns
    -------
    EmbeddedInputs
        ``attribution`` names the sources of the context indicators and of the region
        boundaries; the panels carry their own sources.
    """
    from smartspec import datasets

    regions = datasets.regions(2)
    parts = [f"context indicators: {datasets.attribution('context_indicators')}"]
    geo = regions.attrs.get("attribution")
    if geo:
        parts.append(f"regions: {geo}")
    return EmbeddedInputs(
        panel=datasets.sbs_employment(),
        history=datasets.regional_employment(level=2),
        context=datasets.context_indicators(),
        context_meta=datasets.context_indicators_metadata(),
        neighbours=datasets.neighbours(2),
        regions=regions,
        attribution="; ".join(parts),
    )


def embedded_profile(region: str = DEFAULT_REGION, **kwargs: Any) -> RegionProfile:
    """:func:`smartspec.discovery.profile` of ``region`` on the shipped data.

    Keyword arguments override the defaults (e.g. ``top=20``, ``history=None``).
    """
    params = load_inputs().as_kwargs()
    params.update(kwargs)
    return profile(region=region, **params)
