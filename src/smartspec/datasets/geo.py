"""NUTS regions: names, typologies, boundaries, neighbours and the Interreg Alpine Space.

Everything here is read from files shipped with the package (built by
``scripts/build_geo.py``); nothing is downloaded. Tables are parsed once and cached, so repeated
calls are fast; every call returns a fresh copy that the caller may modify.

Sources and licences
--------------------
* Boundaries and the MOUNT_TYPE / URBN_TYPE / COAST_TYPE attributes: Eurostat GISCO, NUTS 2021,
  EPSG:4326, scales 1:60 million (all levels) and 1:3 million (levels 2 and 3). **Any map drawn
  from these boundaries must show** :data:`GISCO_ATTRIBUTION`; GISCO's terms restrict some
  commercial uses (see ``DATA_SOURCES.md``).
* Border / mountainous / metropolitan / coastal / island / capital flags: the Eurostat NUTS-3
  typologies sheet of the NUTS 2021-2024 workbook (EU-27 only). Source: Eurostat.
* NUTS 2024 codes and labels: the Eurostat NUTS 2021-2024 workbook (codes list, including the
  statistical regions of CH, LI, NO, IS and the candidate countries). Source: Eurostat.

Geometry representation
-----------------------
``geometry`` columns hold GeoJSON geometry dicts (``{"type": "MultiPolygon", "coordinates":
...}``, lon/lat, EPSG:4326). Convert with ``shapely.geometry.shape(d)`` when needed.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "ALPINE_SPACE_NUTS2",
    "ALPINE_SPACE_NUTS2_2014_2020",
    "ALPINE_SPACE_NUTS2_2021_2027",
    "GISCO_ATTRIBUTION",
    "alpine_space",
    "centroid_distances",
    "neighbours",
    "regions",
    "regions_geojson",
]

#: Attribution required by GISCO wherever its boundaries are shown (maps, exports).
GISCO_ATTRIBUTION = "© EuroGeographics for the administrative boundaries"
#: Mean Earth radius (IUGG) used for great-circle distances, in km.
EARTH_RADIUS_KM = 6371.0088

#: Interreg Alpine Space cooperation area (programmes 2014-2020 and 2021-2027), as NUTS 2021
#: level-2 codes. Source: Interreg Alpine Space programme documents (cooperation area: all of
#: Austria, Slovenia, Liechtenstein and Switzerland; Oberbayern, Schwaben, Freiburg and Tübingen
#: in Germany; Rhône-Alpes, Provence-Alpes-Côte d'Azur, Franche-Comté and Alsace in France;
#: Piemonte, Valle d'Aosta, Liguria, Lombardia, Bolzano, Trento, Veneto and Friuli-Venezia
#: Giulia in Italy). The French regions are given by their NUTS 2016/2021 codes (Rhône-Alpes =
#: FRK2, formerly FR71; PACA = FRL0, formerly FR82; Franche-Comté = FRC2, formerly FR43; Alsace
#: = FRF1, formerly FR42), which are pure recodes of the same areas. 35 regions in 7 countries.
#: Interreg Alpine Space programme area 2014-2020 at NUTS 2 (NUTS 2021 codes) - the area of the
#: S3-4AlpClusters project (2016-2019). In Germany only Oberbayern, Schwaben, Freiburg, Tübingen.
ALPINE_SPACE_NUTS2_2014_2020: tuple[str, ...] = (
    "AT11", "AT12", "AT13", "AT21", "AT22", "AT31", "AT32", "AT33", "AT34",
    "CH01", "CH02", "CH03", "CH04", "CH05", "CH06", "CH07",
    "DE13", "DE14", "DE21", "DE27",
    "FRC2", "FRF1", "FRK2", "FRL0",
    "ITC1", "ITC2", "ITC3", "ITC4", "ITH1", "ITH2", "ITH3", "ITH4",
    "LI00",
    "SI03", "SI04",
)
#: Interreg Alpine Space programme area 2021-2027 at NUTS 2, as listed in the programme document
#: (version 1, 7 July 2021): the 2014-2020 area plus the whole of Bavaria and Baden-Württemberg.
ALPINE_SPACE_NUTS2_2021_2027: tuple[str, ...] = tuple(sorted(
    set(ALPINE_SPACE_NUTS2_2014_2020)
    | {"DE11", "DE12", "DE22", "DE23", "DE24", "DE25", "DE26"}
))
#: The current programme area (2021-2027).
ALPINE_SPACE_NUTS2: tuple[str, ...] = ALPINE_SPACE_NUTS2_2021_2027
_ALPINE_PERIODS = {"2021-2027": ALPINE_SPACE_NUTS2_2021_2027,
                   "2014-2020": ALPINE_SPACE_NUTS2_2014_2020}

_FILES = Path(__file__).resolve().parent / "files"
_GEOJSON = {
    ("60M", None): "geo_nuts2021_60M.geojson.gz",
    ("3M", 2): "geo_nuts2021_03M_levl2.geojson.gz",
    ("3M", 3): "geo_nuts2021_03M_levl3.geojson.gz",
}
_MOUNT = {1: "surface > 50 % mountain", 2: "population > 50 % in mountain areas",
          3: "surface and population > 50 % mountain", 4: "non-mountain"}
_URBN = {1: "predominantly urban", 2: "intermediate", 3: "predominantly rural"}
_COAST = {1: "coastal (on coast)", 2: "coastal (population within 50 km)", 3: "non-coastal"}


# ---------------------------------------------------------------------------------------------
# cached loaders (never hand the cached objects out)
# ---------------------------------------------------------------------------------------------
def _path(name: str) -> Path:
    path = _FILES / name
    if not path.exists():
        raise FileNotFoundError(f"{path}: shipped geo file missing; run scripts/build_geo.py")
    return path


@lru_cache(maxsize=1)
def _regions_table() -> pd.DataFrame:
    df = pd.read_parquet(_path("geo_regions.parquet"))
    df["mountain_type"] = df["mount_type"].map(_MOUNT)
    df["urban_rural"] = df["urbn_type"].map(_URBN)
    df["coastal_type"] = df["coast_type"].map(_COAST)
    for col in ("mount_type", "urbn_type", "coast_type"):
        df[col] = df[col].astype("Int8")
    flags = ["border", "mountainous", "metropolitan", "coastal", "island", "capital"]
    order = ["version", "code", "name", "native_name", "country", "level", "lon", "lat",
             "mount_type", "mountain_type", "urbn_type", "urban_rural", "coast_type",
             "coastal_type", *flags, *(f"{f}_share" for f in flags), "typology_n3",
             "typology_source"]
    return df[order]


@lru_cache(maxsize=1)
def _neighbours_table() -> pd.DataFrame:
    return pd.read_parquet(_path("geo_neighbours.parquet"))


@lru_cache(maxsize=3)
def _features(resolution: str, level: int | None) -> tuple[tuple[str, int, str, str], ...]:
    """(NUTS_ID, LEVL_CODE, feature JSON, geometry JSON) per feature.

    Kept as JSON text so that every call can hand out fresh dicts cheaply (``json.loads`` is
    about three times faster than ``copy.deepcopy``).
    """
    key = (resolution, None if resolution == "60M" else level)
    with gzip.open(_path(_GEOJSON[key]), "rt", encoding="utf-8") as fh:
        collection = json.load(fh)
    return tuple((f["properties"]["NUTS_ID"], int(f["properties"]["LEVL_CODE"]), json.dumps(f),
                  json.dumps(f["geometry"])) for f in collection["features"])


def _check_level(level: int | None, allow_none: bool = True) -> None:
    if level is None and allow_none:
        return
    if level not in (0, 1, 2, 3):
        raise ValueError(f"level must be 0, 1, 2 or 3{' or None' if allow_none else ''}, got {level!r}")


def _check_resolution(resolution: str, level: int | None) -> str:
    res = {"60m": "60M", "3m": "3M", "03m": "3M"}.get(str(resolution).lower())
    if res is None:
        raise ValueError(f"geometry/resolution must be '60M' or '3M', got {resolution!r}")
    if res == "3M" and level not in (2, 3):
        raise ValueError("1:3M boundaries are shipped for NUTS levels 2 and 3 only; "
                         f"use '60M' for level {level!r}")
    return res


def _features_for(level: int | None, resolution: str) -> list[tuple[str, int, str, str]]:
    if resolution == "60M":
        return [f for f in _features("60M", None) if level is None or f[1] == level]
    return list(_features("3M", level))


# ---------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------
def regions(
    level: int | None = 2,
    version: int = 2021,
    geometry: Literal["60M", "3M"] | None = None,
    *,
    country: str | None = None,
) -> pd.DataFrame:
    """NUTS regions with names, typologies and (optionally) boundaries.

    Parameters
    ----------
    level : {0, 1, 2, 3} or None, default 2
        NUTS level; ``None`` for all levels.
    version : {2021, 2024}
        NUTS version. 2021 covers GISCO's full coverage (EU-27, CH, LI, NO, IS, the UK and the
        candidate countries: 2,010 regions). 2024 comes from Eurostat's code list (NUTS and
        statistical regions) without GISCO attributes or boundaries; its centroid is copied
        from 2021 where the code and area are unchanged.
    geometry : {"60M", "3M"}, optional
        Add a ``geometry`` column of GeoJSON dicts at scale 1:60 million (all levels) or
        1:3 million (levels 2 and 3). Maps drawn from it must show :data:`GISCO_ATTRIBUTION`,
        which is also stored in ``df.attrs["attribution"]``.
    country : str, optional
        Keep one country (two-letter Eurostat code, e.g. ``"AT"``; Greece is ``"EL"``).

    Returns
    -------
    pandas.DataFrame
        Indexed by NUTS code. Columns:

        * ``code, name`` (Latin script), ``native_name``, ``country``, ``level``;
        * ``lon, lat``: centroid of the region's largest polygon (main land mass), computed
          from the 1:3M boundaries (levels 2-3) or 1:60M (levels 0-1) in a local
          equirectangular projection;
        * GISCO typologies, NUTS 3 only (GISCO leaves levels 0-2 unclassified):
          ``mount_type`` (1 > 50 % of surface in mountain areas, 2 > 50 % of population,
          3 both, 4 non-mountain), ``urbn_type`` (1 predominantly urban, 2 intermediate,
          3 predominantly rural), ``coast_type`` (1 on the coast, 2 > 50 % of population
          within 50 km of it, 3 non-coastal), and their labels ``mountain_type``,
          ``urban_rural``, ``coastal_type``. The MOUNT_TYPE meanings are GISCO's documented
          ones, but against the Eurostat 2024 sheet code 2 mostly matches "> 50 % of surface":
          codes 1 and 2 may be swapped in this release, so prefer ``mountainous`` below;
        * NUTS-3 typology flags aggregated to every level: ``border_share``,
          ``mountainous_share``, ``metropolitan_share``, ``coastal_share``, ``island_share``,
          ``capital_share`` = share of the region's NUTS-3 children flagged in the Eurostat
          NUTS-3 typologies (2024 sheet; 2021 codes matched directly or via code changes), and
          boolean ``border``, ``mountainous``, ``metropolitan``, ``coastal``, ``island``,
          ``capital`` = share ≥ 0.5 (a majority of children). "border" means a land border
          (internal or external). Outside the EU-27 sheet (CH, LI, NO, IS, ...), mountainous and
          coastal fall back to GISCO's NUTS-3 MOUNT_TYPE ∈ {1, 2, 3} and COAST_TYPE ∈ {1, 2};
          the other flags are missing. ``typology_n3`` counts the children with data and
          ``typology_source`` names the source.

    Examples
    --------
    >>> r = regions(2)
    >>> r.loc["AT34", "name"]
    'Vorarlberg'
    """
    _check_level(level)
    if version not in (2021, 2024):
        raise ValueError(f"version must be 2021 or 2024, got {version!r}")
    table = _regions_table()
    df = table[table["version"] == version]
    if level is not None:
        df = df[df["level"] == level]
    if country is not None:
        df = df[df["country"] == str(country).upper()]
    df = df.drop(columns="version").set_index("code", drop=False).sort_index()
    df.index.name = "NUTS_ID"
    df = df.copy()
    if geometry is not None:
        if version != 2021:
            raise ValueError("boundaries are shipped for NUTS 2021 only (GISCO); use version=2021")
        res = _check_resolution(geometry, level)
        geoms = {code: geom for code, _, _, geom in _features_for(level, res)}
        df["geometry"] = [json.loads(geoms[c]) if c in geoms else None for c in df.index]
        df.attrs["attribution"] = GISCO_ATTRIBUTION
        df.attrs["geometry_source"] = f"GISCO NUTS 2021, 1:{res[:-1]} million, EPSG:4326"
    return df


def regions_geojson(level: int | None = 2, resolution: Literal["60M", "3M"] = "60M") -> dict:
    """GISCO NUTS 2021 boundaries as a GeoJSON FeatureCollection, ready for Plotly.

    Use with ``plotly.express.choropleth(df, geojson=fc, locations="code",
    featureidkey="properties.NUTS_ID")``. Any map must show :data:`GISCO_ATTRIBUTION`; it is
    also attached as the collection's ``"attribution"`` member.

    Parameters
    ----------
    level : {0, 1, 2, 3} or None
        NUTS level (``None``: all levels, 1:60M only).
    resolution : {"60M", "3M"}
        Scale 1:60 million (all levels, ~200 kB) or 1:3 million (levels 2 and 3).

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "features": [...], "attribution": ...}``; each
        feature's properties hold NUTS_ID, LEVL_CODE, CNTR_CODE, NAME_LATN, NUTS_NAME,
        MOUNT_TYPE, URBN_TYPE, COAST_TYPE.
    """
    _check_level(level)
    res = _check_resolution(resolution, level)
    return {
        "type": "FeatureCollection",
        "features": [json.loads(feat) for _, _, feat, _ in _features_for(level, res)],
        "attribution": GISCO_ATTRIBUTION,
    }


def neighbours(level: int = 2, include_distances: bool = True) -> pd.DataFrame:
    """Land neighbours of NUTS 2021 regions (levels 2 and 3), both directions.

    Adjacency was computed at build time from GISCO's 1:3M polygons with shapely: two regions
    are neighbours when their boundaries come within 0.001° (≈ 70-110 m) of each other. The
    1:3M polygons are topologically consistent, so this equals exact contact except for 5
    NUTS-3 pairs across estuaries. Pairs that meet only at a point (e.g. corners, or AT34 and
    DE14 on Lake Constance) are included with a ``shared_border_km`` below ~0.5 km; filter on
    it for rook contiguity.

    Regions separated by sea are not neighbours, whatever the bridges or ferries: islands
    (Corse FRM0, Sicilia ITG1, Sardegna ITG2, Malta, Cyprus, Iceland, the Balearics ...) have
    no neighbours, and regions with no land contact do not appear in the table at all.

    Parameters
    ----------
    level : {2, 3}
    include_distances : bool, default True
        Include ``shared_border_km`` and ``centroid_distance_km``.

    Returns
    -------
    pandas.DataFrame
        Columns ``region, neighbour, cross_border`` (the two are in different countries),
        ``shared_border_km`` (great-circle length of the common boundary on the 1:3M
        polygons: generalised, so shorter than the true border) and ``centroid_distance_km``
        (great-circle distance between centroids, see :func:`regions`). Each pair appears in
        both directions.
    """
    if level not in (2, 3):
        raise ValueError(f"neighbours are shipped for NUTS levels 2 and 3, got {level!r}")
    nb = _neighbours_table()
    out = nb[nb["level"] == level].drop(columns="level").reset_index(drop=True)
    if not include_distances:
        out = out.drop(columns=["shared_border_km", "centroid_distance_km"])
    return out.copy()


def centroid_distances(level: int = 2, version: int = 2021) -> pd.DataFrame:
    """Great-circle distances (km) between all region centroids of one level.

    d = 2R·asin(√(sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2))), R = 6371.0088 km, on the centroids
    of :func:`regions` (main land mass).

    Returns
    -------
    pandas.DataFrame
        Square, symmetric, zero diagonal; index and columns are the NUTS codes (regions
        without a centroid are left out).
    """
    _check_level(level, allow_none=False)
    r = regions(level, version=version)[["lon", "lat"]].dropna()
    lon, lat = np.radians(r["lon"].to_numpy()), np.radians(r["lat"].to_numpy())
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    np.fill_diagonal(d, 0.0)
    return pd.DataFrame(d, index=pd.Index(r.index, name="region"),
                        columns=pd.Index(r.index, name="neighbour"))


def alpine_space(level: int = 2, geometry: Literal["60M", "3M"] | None = None, *,
                 period: Literal["2021-2027", "2014-2020"] = "2021-2027") -> pd.DataFrame:
    """Regions of the Interreg Alpine Space cooperation area (NUTS 2021).

    AT, SI, LI and CH entirely, and the programme's regions of DE, FR and IT. For
    ``period="2021-2027"`` (default, the current programme) level 2 is
    :data:`ALPINE_SPACE_NUTS2_2021_2027` (42 regions: AT ×9, CH ×7, DE ×11 - all of Bavaria
    and Baden-Württemberg -, FR ×4, IT ×8, LI ×1, SI ×2); for ``"2014-2020"`` (the period of the
    S3-4AlpClusters project) it is :data:`ALPINE_SPACE_NUTS2_2014_2020` (35 regions, DE13, DE14,
    DE21 and DE27 only in Germany). Level 3 is every NUTS-3 region inside them. Sources: Interreg
    Alpine Space programme 2021-2027 (programme document, version 1, 7 July 2021) and the
    2014-2020 cooperation area.

    Parameters
    ----------
    level : {2, 3}
    period : {"2021-2027", "2014-2020"}
    geometry : {"60M", "3M"}, optional
        See :func:`regions`; maps must show :data:`GISCO_ATTRIBUTION`.

    Returns
    -------
    pandas.DataFrame
        The :func:`regions` rows of the programme area, with an ``alpine_nuts2`` column (the
        level-2 parent).
    """
    if level not in (2, 3):
        raise ValueError(f"the Alpine Space is defined at NUTS levels 2 and 3, got {level!r}")
    if period not in _ALPINE_PERIODS:
        raise ValueError(f"period must be one of {sorted(_ALPINE_PERIODS)}, got {period!r}")
    codes = _ALPINE_PERIODS[period]
    r = regions(level, geometry=geometry)
    parent = r.index.str[:4]
    out = r[parent.isin(codes)].copy()
    missing = sorted(set(codes) - set(out.index.str[:4]))
    if missing:  # pragma: no cover - guarded by the tests
        raise RuntimeError(f"Alpine Space codes absent from the NUTS 2021 files: {missing}")
    out["alpine_nuts2"] = out.index.str[:4]
    out.attrs.update(r.attrs)
    out.attrs["programme"] = f"Interreg Alpine Space {period}"
    return out
