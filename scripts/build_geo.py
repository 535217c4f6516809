"""Build the NUTS / GISCO files shipped in ``smartspec/datasets/files``.

Reads the reference data (default ``../shared/data`` relative to the repository root, or
``--data DIR``) and writes, into ``src/smartspec/datasets/files``:

``geo_nuts2021_60M.geojson.gz``, ``geo_nuts2021_03M_levl2.geojson.gz``, ``geo_nuts2021_03M_levl3.geojson.gz``
    Byte-for-byte copies of the GISCO NUTS 2021 files (EPSG:4326): 1:60 million, all levels;
    1:3 million, levels 2 and 3. Attribution: "© EuroGeographics for the administrative
    boundaries".
``geo_regions.parquet``
    One row per region and NUTS version (2021 from GISCO, 2024 from the Eurostat codes list):
    names, country, level, GISCO typology codes, NUTS-3 typology shares aggregated from the
    Eurostat NUTS-3 typologies sheet, and a centroid (lon/lat) of the main land mass.
``geo_neighbours.parquet``
    Land adjacency of NUTS 2021 regions at levels 2 and 3, computed here from the 1:3M
    polygons with shapely (see :func:`adjacency`).
``nuts_correspondence.parquet``, ``nuts_changes.parquet``
    Compact copies of ``nuts_correspondence_full_2010_2013_2016_2021.csv`` and
    ``nuts_changes_only_by_level.csv`` (every row and column, as strings).

Run ``python scripts/build_geo.py`` from the repository root. The script is deterministic.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely import STRtree
from shapely.geometry import shape

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "smartspec" / "datasets" / "files"

#: Adjacency tolerance in degrees (about 70-110 m in Europe). GISCO's 1:3M polygons are
#: topologically consistent, so exact contact already finds almost every pair; the tolerance only
#: closes hairline gaps (it adds 5 NUTS-3 pairs on river estuaries and 0 NUTS-2 pairs).
TOLERANCE_DEG = 1e-3
EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius

GEO_COPIES = {
    "NUTS_RG_60M_2021_4326.geojson.gz": "geo_nuts2021_60M.geojson.gz",
    "NUTS_RG_03M_2021_4326_LEVL_2.geojson.gz": "geo_nuts2021_03M_levl2.geojson.gz",
    "NUTS_RG_03M_2021_4326_LEVL_3.geojson.gz": "geo_nuts2021_03M_levl3.geojson.gz",
}

PARQUET = {"compression": "zstd", "compression_level": 19, "index": False}


# --------------------------------------------------------------------------------------------
# geometry helpers
# --------------------------------------------------------------------------------------------
def read_features(path: Path) -> list[dict]:
    """Features of a gzip GeoJSON FeatureCollection."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        collection = json.load(fh)
    if collection.get("type") != "FeatureCollection":
        raise ValueError(f"{path}: not a GeoJSON FeatureCollection")
    return collection["features"]


def main_part(geom: shapely.Geometry) -> shapely.Geometry:
    """Largest polygon of a (multi)polygon, by area in degrees² (enough to rank parts)."""
    parts = shapely.get_parts(geom)
    return parts[int(np.argmax(shapely.area(parts)))]


def local_centroid(geom: shapely.Geometry) -> tuple[float, float]:
    """Centroid (lon, lat) of ``geom`` computed in a local equirectangular projection.

    x = lon·cos(φ0), y = lat with φ0 the latitude of the bounding-box centre, which removes the
    east-west stretching of plain lon/lat coordinates.
    """
    minx, miny, maxx, maxy = geom.bounds
    k = math.cos(math.radians((miny + maxy) / 2))
    projected = shapely.transform(geom, lambda xy: xy * np.array([k, 1.0]))
    c = projected.centroid
    return c.x / k, c.y


def geodesic_length_km(geom: shapely.Geometry) -> float:
    """Great-circle length (km) of the linear parts of ``geom`` (haversine per segment)."""
    total = 0.0
    for part in shapely.get_parts(geom):
        if part.is_empty or part.geom_type not in ("LineString", "LinearRing"):
            if part.geom_type in ("MultiLineString", "GeometryCollection"):
                total += geodesic_length_km(part)
            continue
        xy = np.radians(shapely.get_coordinates(part))
        if len(xy) < 2:
            continue
        lon, lat = xy[:, 0], xy[:, 1]
        dlat, dlon = np.diff(lat), np.diff(lon)
        a = np.sin(dlat / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(dlon / 2) ** 2
        total += float(np.sum(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))))
    return total


def haversine_km(lon1, lat1, lon2, lat2):
    """Great-circle distance in km (haversine formula, mean Earth radius 6371.0088 km)."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def adjacency(ids: list[str], geoms: np.ndarray, tolerance: float = TOLERANCE_DEG) -> pd.DataFrame:
    """Pairs of polygons whose distance is at most ``tolerance`` degrees (both directions).

    ``shared_border_km`` is the great-circle length of region A's boundary that lies within
    ``tolerance`` of region B: the common border, or a fraction of a kilometre where the two only
    meet at a point (quadripoints) or across a hairline gap.
    """
    tree = STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=tolerance)
    rows = []
    boundaries = shapely.boundary(geoms)
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        near = shapely.intersection(boundaries[i], shapely.buffer(geoms[j], tolerance))
        km = geodesic_length_km(near)
        rows.append((ids[i], ids[j], km))
        rows.append((ids[j], ids[i], km))
    return pd.DataFrame(rows, columns=["region", "neighbour", "shared_border_km"])


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------
MOUNT = {1: "surface > 50 % mountain", 2: "population > 50 % in mountain areas",
         3: "surface and population > 50 % mountain", 4: "non-mountain"}
URBN = {1: "predominantly urban", 2: "intermediate", 3: "predominantly rural"}
COAST = {1: "coastal (on coast)", 2: "coastal (population within 50 km)", 3: "non-coastal"}


def _code(value) -> float:
    """GISCO typology code → float (NaN for missing and 0 = 'no classification')."""
    if value is None or value == 0:
        return float("nan")
    return float(value)


FLAG_COLUMNS = ("border", "mountainous", "metropolitan", "coastal", "island", "capital")
SHEET_SOURCE = "Eurostat NUTS-3 typologies 2024"
GISCO_SOURCE = "GISCO NUTS 2021 MOUNT_TYPE/COAST_TYPE (mountainous, coastal only)"


def typology_flags(typ: pd.DataFrame, codes_map: pd.DataFrame, nuts3: pd.DataFrame | pd.Index
                   ) -> pd.DataFrame:
    """Per NUTS-3 code: boolean flags from the 2024 NUTS-3 typologies sheet (GISCO fallback).

    ``nuts3`` is either an Index of codes (2024 codes: matched directly) or the 2021 GISCO
    NUTS-3 table (columns code, mount_type, coast_type). 2021 codes are matched to the sheet
    directly or through the codes list's 2021 → 2024 column (code changes); codes absent from
    the sheet (outside the EU-27, or boundary changed in 2024) fall back to the GISCO
    attributes: mountainous = MOUNT_TYPE in {1, 2, 3}, coastal = COAST_TYPE in {1, 2}.
    """
    t = typ.rename(columns={"NUTS-3 Code": "code_2024"})
    flags = pd.DataFrame({
        "code_2024": t["code_2024"],
        "border": t["Border"].str.strip().ne("Non-border"),
        "mountainous": t["Mountanious regions"].str.strip().ne("non-mountain"),
        "metropolitan": t["Metropolitan regions"].str.strip().ne("non-metropolitan region"),
        "coastal": t["Coastal regions"].str.strip().eq("coastal"),
        "island": t["Island regions"].str.strip().eq("Island"),
        "capital": t["Capital regions"].str.strip().eq("Capital region"),
    })
    flags[list(FLAG_COLUMNS)] = flags[list(FLAG_COLUMNS)].astype(float)
    flags["source"] = SHEET_SOURCE
    if isinstance(nuts3, pd.Index):
        return flags.rename(columns={"code_2024": "code"}).set_index("code").reindex(nuts3)
    m = codes_map[(codes_map["kind"] == "NUTS") & (codes_map["level"] == "3")]
    m = m[(m["code_2021"] != "") & (m["code_2024"] != "")][["code_2021", "code_2024"]]
    link = nuts3[["code", "mount_type", "coast_type"]].merge(m, left_on="code", right_on="code_2021",
                                                             how="left")
    link["code_2024"] = link["code_2024"].fillna(link["code"])
    out = link.merge(flags, on="code_2024", how="left").set_index("code")
    fb = out["source"].isna() & out["mount_type"].notna()
    out.loc[fb, "mountainous"] = out.loc[fb, "mount_type"].isin([1, 2, 3]).astype(float)
    out.loc[fb, "coastal"] = out.loc[fb, "coast_type"].isin([1, 2]).astype(float)
    out.loc[fb, "source"] = GISCO_SOURCE
    return out[[*FLAG_COLUMNS, "source"]]


def aggregate_typologies(flags3: pd.DataFrame, codes: pd.Index) -> pd.DataFrame:
    """Share of NUTS-3 children flagged, for each code of ``codes`` (any level 0-3).

    share = (# NUTS-3 children flagged) / (# NUTS-3 children with data for that flag); the
    boolean flag is ``share >= 0.5`` (a majority of the children; for a NUTS-3 code, its own
    flag). ``typology_n3`` counts the children with data and ``typology_source`` says where the
    flags come from.
    """
    known = flags3[flags3["source"].notna()]
    out = []
    for code in codes:
        kids = known[known.index.str.startswith(code)]
        row: dict = {"code": code, "typology_n3": len(kids)}
        sources = sorted(set(kids["source"]))
        row["typology_source"] = " + ".join(sources) if sources else None
        for c in FLAG_COLUMNS:
            vals = kids[c].dropna()
            row[f"{c}_share"] = round(float(vals.mean()), 4) if len(vals) else float("nan")
        out.append(row)
    res = pd.DataFrame(out).set_index("code")
    for c in FLAG_COLUMNS:
        share = res[f"{c}_share"]
        res[c] = pd.array([pd.NA if np.isnan(s) else bool(s >= 0.5) for s in share], dtype="boolean")
    return res


def build_regions(data: Path) -> tuple[pd.DataFrame, dict[int, tuple[list[str], np.ndarray]]]:
    geo = data / "geo"
    f60 = read_features(geo / "NUTS_RG_60M_2021_4326.geojson.gz")
    props = pd.DataFrame([f["properties"] for f in f60])
    geoms60 = {f["properties"]["NUTS_ID"]: shape(f["geometry"]) for f in f60}
    detailed: dict[int, tuple[list[str], np.ndarray]] = {}
    for lev in (2, 3):
        feats = read_features(geo / f"NUTS_RG_03M_2021_4326_LEVL_{lev}.geojson.gz")
        ids = [f["properties"]["NUTS_ID"] for f in feats]
        detailed[lev] = (ids, np.array([shape(f["geometry"]) for f in feats], dtype=object))
    g3 = {c: g for lev in (2, 3) for c, g in zip(*detailed[lev], strict=True)}

    reg = pd.DataFrame({
        "code": props["NUTS_ID"].astype(str),
        "name": props["NAME_LATN"].astype(str).str.strip(),
        "native_name": props["NUTS_NAME"].astype(str).str.strip(),
        "country": props["CNTR_CODE"].astype(str),
        "level": props["LEVL_CODE"].astype(int),
        "mount_type": [_code(v) for v in props["MOUNT_TYPE"]],
        "urbn_type": [_code(v) for v in props["URBN_TYPE"]],
        "coast_type": [_code(v) for v in props["COAST_TYPE"]],
    })
    # GISCO only classifies NUTS 3; level 0-2 codes are 0 ("no classification") -> NaN
    cent = [local_centroid(main_part(g3.get(c, geoms60[c]))) for c in reg["code"]]
    reg["lon"] = [round(x, 5) for x, _ in cent]
    reg["lat"] = [round(y, 5) for _, y in cent]

    cls = data / "classifications"
    codes = pd.read_csv(cls / "nuts_sr_2021_2024_codes.csv", dtype=str, keep_default_na=False)
    typ = pd.read_csv(cls / "nuts3_2024_typologies.csv", dtype=str, keep_default_na=False)
    flags3 = typology_flags(typ, codes, reg[reg["level"] == 3])
    agg = aggregate_typologies(flags3, pd.Index(reg["code"]))
    reg = reg.merge(agg, left_on="code", right_index=True, how="left")
    reg.insert(0, "version", 2021)

    # NUTS 2024 (and statistical regions): code list only, no geometry
    c24 = codes[codes["code_2024"] != ""]
    r24 = pd.DataFrame({
        "version": 2024,
        "code": c24["code_2024"],
        "name": c24["label"].where(c24["label"] != "", None),  # level 0: filled below
        "native_name": None,
        "country": c24["country"],
        "level": c24["level"].astype(int),
    })
    r24 = r24[~r24["code"].str.endswith("Z")]  # drop extra-regio codes (not in GISCO either)
    r24 = r24.drop_duplicates("code")
    nuts3_24 = typ.rename(columns={"NUTS-3 Code": "code"})["code"]
    flags24 = typology_flags(typ, codes, pd.Index(nuts3_24))
    agg24 = aggregate_typologies(flags24, pd.Index(r24["code"]))
    r24 = r24.merge(agg24, left_on="code", right_index=True, how="left")
    r24 = r24.merge(reg[["code", "lon", "lat"]], on="code", how="left")  # same code ⇒ centroid kept only if
    changed = set(c24.loc[c24["change"].str.contains("Boundary|New|Split|Merged", regex=True), "code_2024"])
    r24.loc[r24["code"].isin(changed), ["lon", "lat"]] = np.nan  # ...the area is unchanged
    names21 = reg.set_index("code")["name"]
    r24["name"] = r24["name"].fillna(r24["code"].map(names21))
    out = pd.concat([reg, r24], ignore_index=True)
    out["version"] = out["version"].astype("int16")
    out["level"] = out["level"].astype("int8")
    return out, detailed


def build_neighbours(regions: pd.DataFrame, detailed) -> pd.DataFrame:
    r = regions[regions["version"] == 2021].set_index("code")
    frames = []
    for lev in (2, 3):
        ids, geoms = detailed[lev]
        adj = adjacency(ids, geoms)
        adj.insert(0, "level", lev)
        frames.append(adj)
    nb = pd.concat(frames, ignore_index=True)
    nb["cross_border"] = r.loc[nb["region"], "country"].to_numpy() != r.loc[nb["neighbour"], "country"].to_numpy()
    nb["centroid_distance_km"] = haversine_km(
        r.loc[nb["region"], "lon"].to_numpy(), r.loc[nb["region"], "lat"].to_numpy(),
        r.loc[nb["neighbour"], "lon"].to_numpy(), r.loc[nb["neighbour"], "lat"].to_numpy(),
    ).round(2)
    nb["shared_border_km"] = nb["shared_border_km"].round(2)
    nb["level"] = nb["level"].astype("int8")
    return nb.sort_values(["level", "region", "neighbour"], ignore_index=True)[
        ["level", "region", "neighbour", "cross_border", "shared_border_km", "centroid_distance_km"]
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data",
                        help="reference data folder (default: ../shared/data)")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder")
    args = parser.parse_args(argv)
    data, out = args.data, args.out
    if not (data / "geo").is_dir():
        raise SystemExit(f"{data}: no geo/ folder; pass --data DIR")
    out.mkdir(parents=True, exist_ok=True)

    for src, dst in GEO_COPIES.items():
        shutil.copyfile(data / "geo" / src, out / dst)

    regions, detailed = build_regions(data)
    regions.to_parquet(out / "geo_regions.parquet", **PARQUET)
    build_neighbours(regions, detailed).to_parquet(out / "geo_neighbours.parquet", **PARQUET)

    corr = data / "classifications" / "nuts_correspondence"
    for src, dst in (("nuts_correspondence_full_2010_2013_2016_2021.csv", "nuts_correspondence.parquet"),
                     ("nuts_changes_only_by_level.csv", "nuts_changes.parquet")):
        df = pd.read_csv(corr / src, dtype=str, keep_default_na=False)
        df.to_parquet(out / dst, **PARQUET)

    for p in sorted(out.glob("*")):
        if p.name.startswith(("geo_", "nuts_")):
            print(f"{p.name:40s} {p.stat().st_size / 1024:8.1f} KiB")


if __name__ == "__main__":
    main()
