"""Real datasets shipped with smartspec, usable offline.

Every loader returns real published data, copied into the package by
``scripts/build_datasets.py`` (sources, licences and transformations: ``DATA_SOURCES.md``).
Each file is parsed once per process; later calls take milliseconds and return private copies.

Panels (:class:`smartspec.data.Panel`)
    :func:`sbs_employment`
        Eurostat SBS 2015, persons employed, NUTS2 x NACE division (EU28 + NO + IS).
    :func:`regional_employment`
        Eurostat regional accounts, persons employed, NUTS 0-3 x A*10 sections, 1995-2018.
    :func:`trade_hs2`
        CEPII BACI 2024 exports, country x HS chapter, thousand USD.

Tables (:class:`pandas.DataFrame`)
    :func:`context_indicators`, :func:`nace`, :func:`nace_hierarchy`, the ESCO tables
    (:func:`esco_occupations`, :func:`esco_skills`, :func:`esco_skill_hierarchy`,
    :func:`esco_isco_groups`, :func:`esco_occupation_skills_sample`), :func:`catalogue`.

Always show :func:`attribution` next to the data (tables, maps, reports).

Examples
--------
>>> from smartspec import datasets
>>> panel = datasets.sbs_employment()
>>> panel.matrix().loc["DE21", "C10"]  # doctest: +SKIP
>>> datasets.attribution("sbs_employment")
'Source: Eurostat (sbs_r_nuts06_r2)'
"""

from __future__ import annotations

from ._classifications import NACE_LANGUAGES, NACE_LEVELS, nace, nace_hierarchy
from ._context import context_indicators, context_indicators_metadata
from ._employment import (
    REGIONAL_A10,
    regional_employment,
    regional_employment_activities,
    sbs_employment,
    sbs_employment_regions,
)
from ._esco import (
    esco_isco_groups,
    esco_occupation_skills_sample,
    esco_occupations,
    esco_skill_hierarchy,
    esco_skills,
)
from ._loaders import DatasetFileError, files_dir
from ._registry import DATASETS, DatasetInfo, attribution, catalogue
from ._trade import hs2_chapters, trade_countries, trade_hs2, trade_hs2_labels

__all__ = [
    "DATASETS",
    "NACE_LANGUAGES",
    "NACE_LEVELS",
    "REGIONAL_A10",
    "DatasetFileError",
    "DatasetInfo",
    "attribution",
    "catalogue",
    "clear_cache",
    "context_indicators",
    "context_indicators_metadata",
    "esco_isco_groups",
    "esco_occupation_skills_sample",
    "esco_occupations",
    "esco_skill_hierarchy",
    "esco_skills",
    "files_dir",
    "hs2_chapters",
    "nace",
    "nace_hierarchy",
    "regional_employment",
    "regional_employment_activities",
    "sbs_employment",
    "sbs_employment_regions",
    "trade_countries",
    "trade_hs2",
    "trade_hs2_labels",
]

try:  # region and geometry helpers (smartspec.datasets.geo, GISCO NUTS 2021)
    from .geo import alpine_space, neighbours, regions
except ImportError:  # pragma: no cover - module not available in this build
    pass
else:
    __all__ += ["alpine_space", "neighbours", "regions"]


def clear_cache() -> None:
    """Forget every parsed dataset (the next call reads the files again)."""
    from . import _classifications, _employment
    from ._loaders import clear_cache as _clear_files
    from ._panels import clear_panel_cache

    _clear_files()
    clear_panel_cache()
    _classifications._hierarchy.cache_clear()
    _employment._sbs_regions.cache_clear()
