"""Regional employment by activity: Eurostat SBS 2015 and regional accounts 1995-2018."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import pandas as pd

from ._loaders import _parquet
from ._panels import fresh_panel, register
from ._registry import source

if TYPE_CHECKING:  # pragma: no cover
    from smartspec.data.panel import Panel, PanelMeta

__all__ = [
    "REGIONAL_A10",
    "regional_employment",
    "regional_employment_activities",
    "sbs_employment",
    "sbs_employment_regions",
]

SbsLevel = Literal["section", "division", "group"]
_SBS_LEVELS: tuple[str, ...] = ("section", "division", "group")

#: The non-overlapping A*10 sections of ``nama_10r_3empers`` (their sum is ``TOTAL``).
REGIONAL_A10: tuple[str, ...] = ("A", "B-E", "F", "G-I", "J", "K", "L", "M-N", "O-Q", "R-U")


# --------------------------------------------------------------------------- SBS 2015
@lru_cache(maxsize=1)
def _sbs_regions() -> pd.DataFrame:
    return _parquet("sbs_2015_region_codes")


def sbs_employment_regions() -> pd.DataFrame:
    """How each region code of :func:`sbs_employment` relates to NUTS 2021.

    Returns
    -------
    pandas.DataFrame
        One row per NUTS level-2 code of the source file (327 codes), with columns

        ``code_2013``
            The code as published (mostly NUTS 2013; Eurostat's table also lists 35 older
            codes that hold no values).
        ``code_2021``
            The single NUTS 2021 successor; missing when there is none.
        ``region``
            The code used in the panel: ``code_2021`` when ``status`` is ``unchanged`` or
            ``recoded``, else ``code_2013``.
        ``status``
            ``unchanged``, ``recoded`` (pure recode, same area, e.g. FR71 -> FRK2),
            ``split``, ``merged``, ``boundary_shift`` or ``discontinued``.
        ``nuts_version``
            ``"2013"``, ``"2010"`` or ``"2006 or earlier"``.
        ``obsolete``
            True for codes not valid in NUTS 2013 (they hold no values).
        ``label``, ``n_division_values``, ``note``
            Region name, filled NUTS2 x division cells, and the change as documented in
            Eurostat's correspondence tables.

    Notes
    -----
    Derived at build time from Eurostat's NUTS 2010->2013->2016->2021 correspondence tables
    (see ``DATA_SOURCES.md``). Norway and Iceland are statistical regions; their 2016->2021
    changes come from the official change sheet.
    """
    return _sbs_regions().copy()


@register("sbs_employment")
def _build_sbs(level: str, include_obsolete: bool) -> tuple[pd.DataFrame, PanelMeta]:
    from smartspec.data.panel import PanelMeta

    data = _parquet("sbs_2015_nuts2")
    frame = data.loc[data["activity_level"] == level, ["region", "activity", "year", "value", "flag"]]
    if not include_obsolete:
        codes = _sbs_regions()
        frame = frame[frame["region"].isin(codes.loc[~codes["obsolete"], "region"])]
    frame = frame.reset_index(drop=True).astype({"year": "int64"})
    meta = PanelMeta(
        region_classification="NUTS",
        region_version=2021,
        region_level=2,
        activity_classification="NACE Rev. 2",
        activity_level=level,
        measure="persons employed",
        unit="persons",
        source=source("sbs_employment"),
    )
    return frame, meta


def sbs_employment(
    level: SbsLevel = "division", *, include_obsolete: bool = False
) -> Panel:
    """Persons employed by NUTS2 region and NACE Rev. 2 activity in 2015 (Eurostat SBS).

    Eurostat ``sbs_r_nuts06_r2``, indicator V16110 (persons employed), reference year 2015,
    the business economy B-N without K plus division S95, for EU28 + NO + IS.

    Parameters
    ----------
    level
        ``"division"`` (default, 68 divisions such as ``"C10"``), ``"section"`` (``"B"`` ...
        ``"N"``; S95 is only published as a division) or ``"group"`` (21 groups of
        G45-G47 such as ``"G451"``).
    include_obsolete
        Also return the 35 pre-2013 codes (e.g. ``"DE41"``, ``"ITD1"``, ``"SI01"``) that
        Eurostat's table lists without any value. Off by default; with them the division
        panel has 327 regions and 77 % filled cells, without them 292 regions and 86 %.

    Returns
    -------
    smartspec.data.panel.Panel
        Columns ``region, activity, year, value, flag``. Activity codes use Eurostat's form
        (section letter + digits: ``"C10"``, ``"G451"``); they join
        ``nace()["code_eurostat"]``. ``flag`` is missing for a clean value, ``"d"``
        (definition differs; 64 of these division cells have no value), ``"c_or_missing"`` (confidential or not available; value NaN)
        or ``"corrupt_excel"`` (30 Icelandic cells damaged upstream; value NaN).

    Notes
    -----
    Region codes are **NUTS 2021 where the change since NUTS 2013 is a pure recode**
    (FR71 -> FRK2, FR43 -> FRC2, FR82 -> FRL0, PL11 -> PL71, ...). Regions that were split,
    merged, boundary-shifted or discontinued keep their 2013 code (e.g. HU10, PL12, LT00,
    HR04, IE01, UKM2, NO01); :func:`sbs_employment_regions` lists the status of every code.
    The metadata therefore say NUTS 2021, level 2, with those flagged exceptions.

    Check: DE21 (Oberbayern) manufacturing divisions C10-C33 sum to 396,651 persons, against
    398,403 for section C (confidential divisions are missing from the sum).

    Source: Eurostat (sbs_r_nuts06_r2). See ``DATA_SOURCES.md``.
    """
    if level not in _SBS_LEVELS:
        raise ValueError(f"level must be one of {_SBS_LEVELS}, got {level!r}")
    return fresh_panel("sbs_employment", (level, bool(include_obsolete)))


# --------------------------------------------------------------------------- nama_10r_3empers
def regional_employment_activities() -> list[str]:
    """All activity codes available in :func:`regional_employment` (overlapping ones included).

    ``A, B-E, C, F, G-I, G-J, J, K, K-N, L, M-N, O-Q, O-U, R-U, TOTAL``: the A*10 sections of
    :data:`REGIONAL_A10` plus the aggregates ``C`` (within B-E), ``G-J``, ``K-N``, ``O-U`` and
    ``TOTAL``.
    """
    return sorted(_parquet("nama_10r_3empers")["activity"].unique().tolist())


@register("regional_employment")
def _build_regional(level: int, activities: tuple[str, ...]) -> tuple[pd.DataFrame, PanelMeta]:
    from smartspec.data.panel import PanelMeta

    data = _parquet("nama_10r_3empers")
    mask = (data["nuts_level"] == level) & data["activity"].isin(activities)
    frame = data.loc[mask, ["region", "activity", "year", "value"]].reset_index(drop=True)
    frame = frame.astype({"year": "int64"})
    meta = PanelMeta(
        region_classification="NUTS",
        region_version=2016,
        region_level=level,
        activity_classification="NACE Rev. 2",
        activity_level="A*10 section",
        measure="persons employed",
        unit="persons",
        source=source("regional_employment"),
    )
    return frame, meta


def regional_employment(
    level: int = 2,
    *,
    include_total: bool = False,
    activities: Iterable[str] | None = None,
) -> Panel:
    """Employment (persons) by NUTS region and NACE A*10 section, 1995-2018.

    Eurostat regional accounts table ``nama_10r_3empers`` (employment in persons, all
    employed persons, domestic concept), NUTS 2016 codes.

    Parameters
    ----------
    level
        NUTS level: 0 (31 countries), 1, 2 (307 regions) or 3 (1,304 regions).
    include_total
        Also return the ``TOTAL`` activity (all NACE activities).
    activities
        Activity codes to return instead of the default non-overlapping set
        :data:`REGIONAL_A10` (``A, B-E, F, G-I, J, K, L, M-N, O-Q, R-U``; these sum to
        ``TOTAL``). See :func:`regional_employment_activities` for the available codes;
        mixing overlapping aggregates (e.g. ``B-E`` and ``C``) double counts.

    Returns
    -------
    smartspec.data.panel.Panel
        Columns ``region, activity, year, value`` in persons. Only published cells are
        present (the source dropped missing cells); there is no flag column.

    Notes
    -----
    Coverage caveats (as in the source):

    - **France has totals only** (2017-2018, NUTS 0-2), no sector detail: use an Austrian,
      Italian, German or Slovenian region for multi-year sector work.
    - 1995-1999 exists only for CZ, EE, IT, LU and PT (at every NUTS level, NUTS 3
      included); the other countries start in 2000 or later.
    - In 2018 most regions have totals only.
    - Poland covers 2016-2018, Norway 2008-2017, Serbia 2015-2017; there is no CH, LI or IS.
    - Extra-regio codes end in ``Z``; Northern Ireland's NUTS 3 codes (UKN10-UKN16) do not
      share the prefix of UKN0.
    - In 3 Greek rows ``C`` exceeds ``B-E``, as published.
    - The EU27_2020 aggregate is not included.

    Check: Austria's total for 2015 is 4,285,500 persons; its NUTS2 regions sum to 4,284,800.

    Source: Eurostat (nama_10r_3empers), via the Data Commons import. See ``DATA_SOURCES.md``.
    """
    if isinstance(level, bool) or level not in (0, 1, 2, 3):
        raise ValueError(f"level must be 0, 1, 2 or 3, got {level!r}")
    if activities is None:
        codes = tuple(REGIONAL_A10)
    else:
        if isinstance(activities, str):
            raise TypeError("activities must be an iterable of codes, not a single string")
        codes = tuple(dict.fromkeys(str(a) for a in activities))
        available = set(regional_employment_activities())
        unknown = [c for c in codes if c not in available]
        if unknown:
            raise ValueError(
                f"unknown activity code(s) {unknown}; available: {sorted(available)}"
            )
        if not codes:
            raise ValueError("activities is empty")
    if include_total and "TOTAL" not in codes:
        codes = (*codes, "TOTAL")
    return fresh_panel("regional_employment", (level, codes))
