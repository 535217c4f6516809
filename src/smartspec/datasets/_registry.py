"""Provenance of the shipped datasets: sources, licences, attribution, catalogue.

The facts here (table codes, licences, attribution wording) are documented in the project's
``DATA_SOURCES.md``; the coverage figures come from ``MANIFEST.json``, which the build script
computes from the data themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ._loaders import manifest

if TYPE_CHECKING:  # pragma: no cover
    from smartspec.data.panel import Source

__all__ = ["DATASETS", "DatasetInfo", "attribution", "catalogue", "source"]

EUROSTAT_LICENCE = "Commission reuse policy (Decision 2011/833/EU)"
ESCO_LICENCE = "Commission reuse policy (Decision 2011/833/EU)"
BACI_LICENCE = "Etalab Open Licence 2.0"


@dataclass(frozen=True)
class DatasetInfo:
    """Static description of one shipped dataset.

    Attributes
    ----------
    name
        Public name; also the name of the loader function in :mod:`smartspec.datasets`.
    title
        One-line description.
    source
        Producer and table code (e.g. ``"Eurostat sbs_r_nuts06_r2"``).
    licence, attribution
        Licence and the attribution text to show wherever the data are shown.
    url
        Where the original data are published.
    notes
        Provenance of the copy shipped here and main caveats.
    """

    name: str
    title: str
    source: str
    licence: str
    attribution: str
    url: str | None = None
    notes: str | None = None


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            name="sbs_employment",
            title="Persons employed by NUTS2 region and NACE Rev. 2 division, 2015 (SBS)",
            source="Eurostat sbs_r_nuts06_r2",
            licence=EUROSTAT_LICENCE,
            attribution="Source: Eurostat (sbs_r_nuts06_r2)",
            url="https://ec.europa.eu/eurostat/databrowser/view/sbs_r_nuts06_r2/default/table",
            notes=(
                "Structural business statistics, indicator V16110 (persons employed), business "
                "economy B-N excluding K, plus S95. Unmodified Eurostat extract kept in the "
                "teaching repository EricMarcon/Cours-Diversite-Concentration. NUTS 2013 codes; "
                "pure recodes rewritten to NUTS 2021, other changed regions keep their 2013 code."
            ),
        ),
        DatasetInfo(
            name="regional_employment",
            title="Employment (persons) by NUTS 0-3 region and NACE A*10 section, 1995-2018",
            source="Eurostat nama_10r_3empers",
            licence=EUROSTAT_LICENCE,
            attribution="Source: Eurostat (nama_10r_3empers)",
            url="https://ec.europa.eu/eurostat/databrowser/view/nama_10r_3empers/default/table",
            notes=(
                "Regional accounts, NUTS 2016 codes. Copy from the Data Commons import "
                "(datacommonsorg/data, commit cf373044cc6f), reshaped to long form; missing "
                "cells were dropped upstream. France has totals only (2017-18)."
            ),
        ),
        DatasetInfo(
            name="context_indicators",
            title="NUTS2 context indicators (GDP, population, unemployment, ...), 2007-2018",
            source="Eurostat regional tables (tgs00003, tgs00096, tgs00010 and 5 more)",
            licence=EUROSTAT_LICENCE,
            attribution="Source: Eurostat",
            url="https://ec.europa.eu/eurostat/web/regions/database",
            notes=(
                "Tables tgs00003 (GDP), tgs00096 (population), tgs00010 (unemployment), "
                "tgs00026 (disposable income), tgs00101 (life expectancy), tepsr_lm220 (gender "
                "employment gap), tgs00049 (broadband), tgs00040 (EPO patents). "
                "Extracted with the R package eurostat and joined onto NUTS 2021 regions by "
                "andrea-ballatore/open-geo-data-education (geometry dropped). Regions recoded "
                "after 2013 can be missing."
            ),
        ),
        DatasetInfo(
            name="nace",
            title="NACE Rev. 2 classification, 996 codes, labels in EN/DE/FR/IT/SL",
            source="Eurostat NACE Rev. 2 (RAMON export)",
            licence=EUROSTAT_LICENCE,
            attribution="Source: Eurostat (NACE Rev. 2)",
            url="https://ec.europa.eu/eurostat/web/nace",
            notes="Adds code_eurostat (e.g. 'C10'), the code form used by Eurostat tables.",
        ),
        DatasetInfo(
            name="esco_occupations",
            title="ESCO v1.0 occupations with ISCO-08 group, labels and description",
            source="ESCO v1.0 (European Commission)",
            licence=ESCO_LICENCE,
            attribution="Source: ESCO v1.0, European Commission",
            url="https://esco.ec.europa.eu/",
        ),
        DatasetInfo(
            name="esco_skills",
            title="ESCO v1.0 skills: URI and one text field (label, alternative labels, definition)",
            source="ESCO v1.0 (European Commission)",
            licence=ESCO_LICENCE,
            attribution="Source: ESCO v1.0, European Commission",
            url="https://esco.ec.europa.eu/",
        ),
        DatasetInfo(
            name="esco_skill_hierarchy",
            title="ESCO v1.0 skills pillar hierarchy, skill groups at levels 0-3",
            source="ESCO v1.0 (European Commission)",
            licence=ESCO_LICENCE,
            attribution="Source: ESCO v1.0, European Commission",
            url="https://esco.ec.europa.eu/",
        ),
        DatasetInfo(
            name="esco_isco_groups",
            title="ISCO-08 groups as published in ESCO v1.0",
            source="ESCO v1.0 (European Commission) / ILO ISCO-08",
            licence=ESCO_LICENCE,
            attribution="Source: ESCO v1.0, European Commission",
            url="https://esco.ec.europa.eu/",
        ),
        DatasetInfo(
            name="esco_occupation_skills_sample",
            title="ESCO v1.0 occupation-skill links for 91 ICT occupations (sample only)",
            source="ESCO v1.0 (European Commission)",
            licence=ESCO_LICENCE,
            attribution="Source: ESCO v1.0, European Commission",
            url="https://esco.ec.europa.eu/",
            notes="Only the 91 ICT occupations; the full relation table is not shipped.",
        ),
        DatasetInfo(
            name="trade_hs2",
            title="Exports by country and HS chapter, 2024 (thousand USD)",
            source="CEPII BACI HS96, version 202601",
            licence=BACI_LICENCE,
            attribution=(
                "Source: CEPII BACI (version 202601), Gaulier & Zignago (2010), "
                "Etalab Open Licence 2.0"
            ),
            url="https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
            notes=(
                "Exporter totals per HS 1996 chapter (2 digits). Country codes mapped to ISO3 "
                "with BACI's country table; 'S19' is BACI's code for 'Other Asia, nes'."
            ),
        ),
    )
}


def _info(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise KeyError(f"unknown dataset {name!r}; known datasets: {known}") from None


def attribution(name: str) -> str:
    """Attribution text to show wherever dataset ``name`` is shown (tables, maps, reports).

    Parameters
    ----------
    name
        A dataset name as listed by :func:`catalogue` (e.g. ``"sbs_employment"``).

    Returns
    -------
    str
        For example ``"Source: Eurostat (sbs_r_nuts06_r2)"``.

    Raises
    ------
    KeyError
        If ``name`` is not a shipped dataset.
    """
    return _info(name).attribution


def source(name: str) -> Source:
    """The :class:`smartspec.data.panel.Source` describing dataset ``name``."""
    from smartspec.data.panel import Source

    info = _info(name)
    return Source(
        name=info.source,
        licence=info.licence,
        attribution=info.attribution,
        url=info.url,
        notes=info.notes,
    )


def catalogue() -> pd.DataFrame:
    """One row per shipped dataset, without loading any of them.

    Returns
    -------
    pandas.DataFrame
        Columns ``name`` (also the loader function), ``description``, ``source``,
        ``licence``, ``attribution``, ``years``, ``coverage`` (regions x activities, or entity
        counts) and ``rows`` (rows of the default table).
    """
    coverage = manifest().get("_coverage", {})
    rows = []
    for name, info in DATASETS.items():
        cov = coverage.get(name, {})
        rows.append(
            {
                "name": name,
                "description": info.title,
                "source": info.source,
                "licence": info.licence,
                "attribution": info.attribution,
                "years": str(cov.get("years", "")),
                "coverage": str(cov.get("coverage", "")),
                "rows": int(cov.get("rows", 0)),
            }
        )
    return pd.DataFrame(rows)
