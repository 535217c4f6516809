#!/usr/bin/env python
"""Build the datasets shipped inside ``smartspec.datasets`` from the reference data.

Usage::

    python scripts/build_datasets.py [SOURCE_DIR] [--out OUT_DIR]

``SOURCE_DIR`` defaults to ``../shared/data`` relative to the repository root (the layout that
``/work/shared/data/README.md`` documents); ``OUT_DIR`` defaults to
``src/smartspec/datasets/files``. Every output is a zstd-compressed Parquet file plus one
``MANIFEST.json`` that records, for each output, the SHA-256 of the source files it was built
from, its row count and its coverage. The build is deterministic: the same inputs give
byte-identical Parquet files.

What the build does (nothing else is changed; no value is invented):

* **SBS 2015** (``sbs_r_nuts06_r2``): keeps the NUTS level-2 rows, all NACE levels. NUTS 2013
  codes that became a *pure recode* by NUTS 2021 (e.g. FR71 -> FRK2) are rewritten to their
  NUTS 2021 code, using Eurostat's correspondence tables; regions that were split, merged,
  boundary-shifted or discontinued keep their source code. The per-region decision is written
  to ``sbs_2015_region_codes.parquet``.
* **nama_10r_3empers**: reshaped to ``region, nuts_level, activity, year, value``; the
  ``EU27_2020`` aggregate is dropped.
* **Context indicators**: columns renamed to explicit names (units in ``MANIFEST.json`` and in
  ``smartspec.datasets.context_indicators_metadata``).
* **NACE Rev. 2**: adds ``code_eurostat`` (``C``, ``C10``, ``C101``, ``C1011``), the code form
  used by Eurostat's dissemination database, so that SBS activity codes join on it.
* **ESCO**, **BACI**: columns renamed; BACI country codes mapped to ISO3.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT = REPO_ROOT / "src" / "smartspec" / "datasets" / "files"

SBS_FILE = "employment/eurostat_sbs_r_nuts06_r2_2015_persons_employed.csv.gz"
NAMA_FILE = "employment/eurostat_nama_10r_3empers_a10.csv.gz"
CONTEXT_FILE = "context/eurostat_nuts2_context_indicators_2007_2018.csv.gz"
NACE_FILE = "classifications/nace_rev2_en_de_fr_it_sl.csv"
CHAIN_FILE = "classifications/nuts_correspondence/nuts_chain_to_2021_level2_3.csv"
CHANGES_FILE = "classifications/nuts_correspondence/nuts_changes_only_by_level.csv"
SR_FILE = "classifications/nuts_sr_2021_2024_codes.csv"
ESCO_OCC_FILE = "esco/esco_occupations_en.csv.gz"
ESCO_ISCO_FILE = "esco/esco_isco08_groups_en.csv.gz"
ESCO_HIER_FILE = "esco/esco_skills_hierarchy_en.csv.gz"
ESCO_SKILLS_FILE = "esco/esco_skills_text_en.csv.gz"
ESCO_ICT_FILE = "esco/esco_ict_occupation_skill_sample.csv.gz"
BACI_FILE = "trade/baci_hs96_hs2_exports_2024_v202601.csv.gz"
BACI_COUNTRIES_FILE = "trade/baci_country_codes_V202601.csv"
HS_CHAPTERS_FILE = "trade/hs96_chapters.txt"

#: Context indicator columns: source name -> (shipped name, label, unit, Eurostat table).
CONTEXT_VARIABLES: dict[str, tuple[str, str, str, str]] = {
    "region_gdp": (
        "gdp_million_eur",
        "Gross domestic product at current market prices",
        "million EUR",
        "tgs00003",
    ),
    "region_population": (
        "population",
        "Population on 1 January",
        "persons",
        "tgs00096",
    ),
    "unemployment_rate_t": (
        "unemployment_rate",
        "Unemployment rate, total",
        "% of the labour force",
        "tgs00010",
    ),
    "unemployment_rate_m": (
        "unemployment_rate_male",
        "Unemployment rate, males",
        "% of the male labour force",
        "tgs00010",
    ),
    "unemployment_rate_f": (
        "unemployment_rate_female",
        "Unemployment rate, females",
        "% of the female labour force",
        "tgs00010",
    ),
    "disp_income_household": (
        "disposable_income_per_inhabitant",
        "Disposable income of private households per inhabitant",
        "PPS (purchasing power standard, based on final consumption) per inhabitant",
        "tgs00026",
    ),
    "life_expectancy_t": (
        "life_expectancy",
        "Life expectancy at birth, total",
        "years",
        "tgs00101",
    ),
    "life_expectancy_m": (
        "life_expectancy_male",
        "Life expectancy at birth, males",
        "years",
        "tgs00101",
    ),
    "life_expectancy_f": (
        "life_expectancy_female",
        "Life expectancy at birth, females",
        "years",
        "tgs00101",
    ),
    "gender_employ_gap": (
        "gender_employment_gap",
        "Gender employment gap (male minus female employment rate)",
        "percentage points",
        "tepsr_lm220",
    ),
    "broadband_access_household": (
        "broadband_households",
        "Households with broadband access",
        "% of households",
        "tgs00049",
    ),
    "patents": (
        "patents_per_million",
        "Patent applications to the EPO by priority year",
        "per million inhabitants",
        "tgs00040",
    ),
}

#: Non-overlapping A*10 activity set of nama_10r_3empers (the default of regional_employment).
NAMA_A10 = ("A", "B-E", "F", "G-I", "J", "K", "L", "M-N", "O-Q", "R-U")

NACE_LEVEL_NAMES = {1: "section", 2: "division", 3: "group", 4: "class"}
NACE_LEVEL_PLURALS = {1: "sections", 2: "divisions", 3: "groups", 4: "classes"}


class BuildError(RuntimeError):
    """A source file does not look the way the build expects."""


# --------------------------------------------------------------------------- helpers
def sha256(path: Path) -> str:
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_csv(source: Path, relpath: str, **kwargs: object) -> pd.DataFrame:
    """Read one source CSV, naming the file in any error."""
    path = source / relpath
    if not path.is_file():
        raise BuildError(f"missing source file {path}")
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""], **kwargs)  # type: ignore[arg-type]
    except Exception as exc:  # pragma: no cover - reraised with the file name
        raise BuildError(f"cannot read {path}: {exc}") from exc


def require_columns(frame: pd.DataFrame, columns: Iterable[str], relpath: str) -> None:
    """Raise :class:`BuildError` when ``frame`` lacks one of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BuildError(f"{relpath}: missing column(s) {missing}; found {list(frame.columns)}")


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as a deterministic zstd Parquet file (no pandas index)."""
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    # Drop the pandas metadata blob: it embeds the pandas version, which would make the
    # output depend on the build environment. Column types fully describe the data.
    table = table.replace_schema_metadata(None)
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=19,
        use_dictionary=True,
        write_statistics=False,
    )


def _str(series: pd.Series) -> pd.Series:
    """Cast to Python-object strings, keeping missing values as None."""
    return series.astype(object).where(series.notna(), None)


# --------------------------------------------------------------------------- NUTS recoding
STATUSES = ("unchanged", "recoded", "split", "merged", "boundary_shift", "discontinued")


def classify_change(change_type: str, note: str, code_from: str, code_to: str | None) -> str:
    """Classify one chained NUTS change description into one of :data:`STATUSES`.

    The order matters: a row that is both recoded and boundary-shifted is a boundary shift
    (the area changed, so the data cannot simply be relabelled).
    """
    text = change_type.lower()
    if "approximate" in note.lower():
        # The chain paired the codes by label only, across a boundary shift.
        return "boundary_shift"
    if "split" in text:
        return "split"
    if "merge" in text:
        return "merged"
    if "boundary" in text:
        return "boundary_shift"
    if code_to is None or "discontinued" in text:
        return "discontinued"
    if code_to != code_from:
        return "recoded"
    return "unchanged"


def sbs_region_codes(
    codes: Iterable[str],
    chain: pd.DataFrame,
    changes: pd.DataFrame,
    sr2021: pd.DataFrame,
) -> pd.DataFrame:
    """Decide, per NUTS level-2 code of the SBS file, its NUTS 2021 code and status.

    Parameters
    ----------
    codes
        The NUTS level-2 codes as they appear in the source (mostly NUTS 2013).
    chain
        ``nuts_chain_to_2021_level2_3.csv`` (Eurostat correspondences chained to 2021).
    changes
        ``nuts_changes_only_by_level.csv`` (used for NO/IS, which the chain lacks).
    sr2021
        ``nuts_sr_2021_2024_codes.csv`` (NUTS 2021 codes including statistical regions).

    Returns
    -------
    pandas.DataFrame
        Columns ``code_2013`` (the source code), ``code_2021`` (the single NUTS 2021
        successor, missing when there is none), ``region`` (the code used in the shipped
        panel: ``code_2021`` for ``unchanged``/``recoded``, else the source code),
        ``status``, ``nuts_version`` (the NUTS version the source code belongs to),
        ``label`` and ``note``.
    """
    chain2 = chain[chain["level"].astype(str) == "2"]
    changes2 = changes[
        (changes["level"].astype(str) == "2") & (changes["version_from"].astype(str) == "2016")
    ]
    valid_2021 = set(sr2021.loc[sr2021["level"].astype(str) == "2", "code_2021"].dropna())
    sr_labels = dict(
        zip(sr2021["code_2021"].astype(str), sr2021["label"].fillna("").astype(str), strict=True)
    )
    rows = []
    for code in sorted(set(codes)):
        r13 = chain2[(chain2["code_from"] == code) & (chain2["version_from"].astype(str) == "2013")]
        r10 = chain2[(chain2["code_from"] == code) & (chain2["version_from"].astype(str) == "2010")]
        rch = changes2[changes2["code_from"] == code]
        if len(r13):
            version = "2013"
            label = str(r13["label"].iloc[0])
            if len(r13) > 1:
                status, code_2021 = "split", None
                note = "several NUTS 2021 successors: " + ", ".join(
                    sorted(r13["code_to"].dropna().astype(str))
                )
            else:
                row = r13.iloc[0]
                code_to = None if pd.isna(row["code_to"]) else str(row["code_to"])
                note_src = "" if pd.isna(row["note"]) else str(row["note"])
                status = classify_change(str(row["change_type"]), note_src, code, code_to)
                code_2021 = code_to
                note = str(row["change_type"])
        elif len(rch) or (code[:2] in {"NO", "IS"} and code in valid_2021):
            # Norway and Iceland are statistical regions, absent from the EU chain. Their
            # level-2 codes did not change between 2013 and 2016; 2016->2021 changes come from
            # the official NUTS2016-NUTS2021 change sheet.
            version = "2013"
            if len(rch):
                row = rch.iloc[0]
                code_to = None if pd.isna(row["code_to"]) else str(row["code_to"])
                status = classify_change(str(row["change_type"]), "", code, code_to)
                if str(row["change_type"]).strip().lower() in {"renamed", "name change"}:
                    status = "unchanged"
                code_2021 = code_to
                label = str(row["label"])
                note = f"2016->2021: {row['change_type']}"
            else:
                status, code_2021 = "unchanged", code
                label = sr_labels.get(code, "")
                note = "statistical region code unchanged in NUTS 2021"
        else:
            # Not a NUTS 2013 code: Eurostat's table still lists older codes (NUTS 2010 or
            # earlier) with no values. They keep their code and are marked discontinued.
            status, code_2021 = "discontinued", None
            if len(r10):
                version = "2010"
                label = str(r10["label"].iloc[0])
                note = "NUTS 2010 code, not valid in NUTS 2013; " + " / ".join(
                    sorted(set(r10["change_type"].astype(str)))
                )
            else:
                version = "2006 or earlier"
                label = ""
                note = "code older than NUTS 2010, not valid in NUTS 2013"
        region = code_2021 if status in {"unchanged", "recoded"} else code
        rows.append(
            {
                "code_2013": code,
                "code_2021": code_2021,
                "region": region,
                "status": status,
                "nuts_version": version,
                "label": label,
                "note": note,
            }
        )
    table = pd.DataFrame(rows)
    unknown = set(table["status"]) - set(STATUSES)
    if unknown:  # pragma: no cover - guarded by classify_change
        raise BuildError(f"unknown NUTS status {unknown}")
    duplicated = table["region"][table["region"].duplicated()]
    if len(duplicated):
        raise BuildError(f"NUTS recoding collides on {sorted(duplicated)}")
    return table


# --------------------------------------------------------------------------- datasets
def nace_table(source: Path) -> pd.DataFrame:
    """NACE Rev. 2 with the Eurostat code form (``C10``) added."""
    nace = read_csv(source, NACE_FILE, dtype=str)
    langs = ("en", "de", "fr", "it", "sl")
    require_columns(
        nace, ["level", "code", "parent", "section", *[f"label_{x}" for x in langs]], NACE_FILE
    )
    nace["level"] = nace["level"].astype(int)
    bad = nace[~nace["level"].isin(NACE_LEVEL_NAMES)]
    if len(bad):
        raise BuildError(f"{NACE_FILE}: row {bad.index[0] + 2}: level {bad['level'].iloc[0]}")
    compact = nace["code"].str.replace(".", "", regex=False)
    nace["code_eurostat"] = nace["section"].where(
        nace["level"] == 1, nace["section"] + compact
    )
    by_code = dict(zip(nace["code"], nace["code_eurostat"], strict=True))
    nace["parent_eurostat"] = nace["parent"].map(by_code)
    nace["level_name"] = nace["level"].map(NACE_LEVEL_NAMES)
    if nace["code_eurostat"].duplicated().any():
        raise BuildError(f"{NACE_FILE}: duplicated Eurostat codes")
    columns = [
        "level",
        "level_name",
        "code",
        "code_eurostat",
        "parent",
        "parent_eurostat",
        "section",
        *[f"label_{x}" for x in langs],
    ]
    return nace[columns]


def build_sbs(source: Path, nace: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The SBS 2015 NUTS2 frame and its region-code table."""
    sbs = read_csv(source, SBS_FILE, dtype={"geo": str, "nace_r2": str, "flag": str})
    require_columns(
        sbs,
        ["year", "geo", "nuts_level", "nace_r2", "nace_level", "persons_employed", "flag"],
        SBS_FILE,
    )
    sbs = sbs[sbs["nuts_level"] == 2]
    unknown = sorted(set(sbs["nace_r2"]) - set(nace["code_eurostat"]))
    if unknown:
        raise BuildError(f"{SBS_FILE}: activity codes not in NACE Rev. 2: {unknown}")
    known = dict(zip(nace["code_eurostat"], nace["level_name"], strict=True))
    mismatch = sbs[sbs["nace_r2"].map(known) != sbs["nace_level"]]
    if len(mismatch):
        row = mismatch.index[0] + 2
        raise BuildError(
            f"{SBS_FILE}: row {row}: nace_level {mismatch['nace_level'].iloc[0]!r} "
            f"does not match NACE level of {mismatch['nace_r2'].iloc[0]!r}"
        )
    if sbs.duplicated(["geo", "nace_r2"]).any():
        raise BuildError(f"{SBS_FILE}: duplicated (geo, nace_r2) rows")
    chain = read_csv(source, CHAIN_FILE, dtype=str)
    changes = read_csv(source, CHANGES_FILE, dtype=str)
    sr2021 = read_csv(source, SR_FILE, dtype=str)
    codes = sbs_region_codes(sbs["geo"].unique(), chain, changes, sr2021)
    filled = (
        sbs[sbs["nace_level"] == "division"]
        .groupby("geo")["persons_employed"]
        .count()
        .rename("n_division_values")
    )
    codes = codes.merge(filled, left_on="code_2013", right_index=True, how="left")
    codes["n_division_values"] = codes["n_division_values"].fillna(0).astype("int64")
    codes["obsolete"] = codes["nuts_version"] != "2013"
    stale = codes[codes["obsolete"] & (codes["n_division_values"] > 0)]
    if len(stale):
        raise BuildError(f"{SBS_FILE}: pre-2013 NUTS codes hold values: {list(stale.code_2013)}")
    region = dict(zip(codes["code_2013"], codes["region"], strict=True))
    frame = pd.DataFrame(
        {
            "region": _str(sbs["geo"].map(region)),
            "activity": _str(sbs["nace_r2"]),
            "activity_level": _str(sbs["nace_level"]),
            "year": sbs["year"].astype("int16"),
            "value": sbs["persons_employed"].astype("float64"),
            "flag": _str(sbs["flag"]),
        }
    ).sort_values(["region", "activity"], kind="stable")
    codes = codes[
        [
            "code_2013",
            "code_2021",
            "region",
            "status",
            "nuts_version",
            "obsolete",
            "label",
            "n_division_values",
            "note",
        ]
    ]
    for column in ("code_2013", "code_2021", "region", "status", "nuts_version", "label", "note"):
        codes[column] = _str(codes[column])
    return frame, codes


def build_nama(source: Path) -> pd.DataFrame:
    """nama_10r_3empers in long form, without the EU aggregate."""
    nama = read_csv(source, NAMA_FILE, dtype={"geo": str, "nace_r2": str})
    require_columns(nama, ["geo", "nuts_level", "nace_r2", "year", "persons_employed"], NAMA_FILE)
    nama = nama[nama["nuts_level"].between(0, 3) & ~nama["geo"].str.startswith("EU")]
    bad = nama[nama["geo"].str.len() != nama["nuts_level"] + 2]
    if len(bad):
        raise BuildError(f"{NAMA_FILE}: row {bad.index[0] + 2}: code/level mismatch")
    if nama.duplicated(["geo", "nace_r2", "year"]).any():
        raise BuildError(f"{NAMA_FILE}: duplicated (geo, nace_r2, year) rows")
    frame = pd.DataFrame(
        {
            "region": _str(nama["geo"]),
            "nuts_level": nama["nuts_level"].astype("int8"),
            "activity": _str(nama["nace_r2"]),
            "year": nama["year"].astype("int16"),
            "value": nama["persons_employed"].astype("float64"),
        }
    )
    return frame.sort_values(["nuts_level", "region", "activity", "year"], kind="stable")


def build_context(source: Path) -> pd.DataFrame:
    """The NUTS2 context indicators with explicit column names."""
    ctx = read_csv(source, CONTEXT_FILE, dtype={"NUTS_ID": str, "CNTR_CODE": str})
    require_columns(ctx, ["year", "NUTS_ID", "CNTR_CODE", "NUTS_NAME", *CONTEXT_VARIABLES], CONTEXT_FILE)
    if ctx.duplicated(["NUTS_ID", "year"]).any():
        raise BuildError(f"{CONTEXT_FILE}: duplicated (NUTS_ID, year) rows")
    frame = pd.DataFrame(
        {
            "region": _str(ctx["NUTS_ID"]),
            "year": ctx["year"].astype("int16"),
            "country": _str(ctx["CNTR_CODE"]),
            "name": _str(ctx["NUTS_NAME"]),
        }
    )
    for column, (name, *_rest) in CONTEXT_VARIABLES.items():
        frame[name] = ctx[column].astype("float64")
    return frame.sort_values(["region", "year"], kind="stable")


def build_esco(source: Path) -> dict[str, pd.DataFrame]:
    """The ESCO tables with snake_case columns."""
    occ = read_csv(source, ESCO_OCC_FILE, dtype=str)
    require_columns(
        occ, ["conceptUri", "iscoGroup", "preferredLabel", "altLabels", "description"], ESCO_OCC_FILE
    )
    occupations = pd.DataFrame(
        {
            "uri": _str(occ["conceptUri"]),
            "isco_group": _str(occ["iscoGroup"]),
            "label": _str(occ["preferredLabel"]),
            "alt_labels": _str(occ["altLabels"]),
            "description": _str(occ["description"]),
        }
    ).sort_values("uri", kind="stable")

    isco = read_csv(source, ESCO_ISCO_FILE, dtype=str)
    require_columns(isco, ["conceptUri", "code", "preferredLabel", "description"], ESCO_ISCO_FILE)
    isco_groups = pd.DataFrame(
        {
            "uri": _str(isco["conceptUri"]),
            "code": _str(isco["code"]),
            "level": isco["code"].str.len().astype("int8"),
            "parent": _str(isco["code"].str[:-1].where(isco["code"].str.len() > 1)),
            "label": _str(isco["preferredLabel"]),
            "description": _str(isco["description"]),
        }
    ).sort_values("code", kind="stable")
    missing_parent = set(isco_groups["parent"].dropna()) - set(isco_groups["code"])
    if missing_parent:
        raise BuildError(f"{ESCO_ISCO_FILE}: parents without a row: {sorted(missing_parent)}")

    hier = read_csv(source, ESCO_HIER_FILE, dtype=str)
    uri_cols = [f"Level {i} URI" for i in range(4)]
    label_cols = [f"Level {i} preferred term" for i in range(4)]
    require_columns(hier, [*uri_cols, *label_cols, "Description", "Scope note"], ESCO_HIER_FILE)
    records = []
    for idx, row in hier.iterrows():
        depth = max(i for i in range(4) if isinstance(row[uri_cols[i]], str))
        if any(not isinstance(row[uri_cols[i]], str) for i in range(depth)):
            raise BuildError(f"{ESCO_HIER_FILE}: row {int(idx) + 2}: gap in the hierarchy")  # type: ignore[call-overload]
        uri = row[uri_cols[depth]]
        records.append(
            {
                "uri": uri,
                "code": uri.rstrip("/").rsplit("/", 1)[-1],
                "level": depth,
                "label": row[label_cols[depth]],
                "parent_uri": row[uri_cols[depth - 1]] if depth else None,
                "level_0_uri": row[uri_cols[0]],
                "level_1_uri": row[uri_cols[1]] if depth >= 1 else None,
                "level_2_uri": row[uri_cols[2]] if depth >= 2 else None,
                "description": row["Description"] if isinstance(row["Description"], str) else None,
                "scope_note": row["Scope note"] if isinstance(row["Scope note"], str) else None,
            }
        )
    hierarchy = pd.DataFrame(records)
    if hierarchy["uri"].duplicated().any():
        raise BuildError(f"{ESCO_HIER_FILE}: a concept appears twice")
    hierarchy["level"] = hierarchy["level"].astype("int8")

    skills_src = read_csv(source, ESCO_SKILLS_FILE, dtype=str)
    require_columns(skills_src, ["id", "description"], ESCO_SKILLS_FILE)
    skills = pd.DataFrame(
        {"uri": _str(skills_src["id"]), "text": _str(skills_src["description"])}
    ).sort_values("uri", kind="stable")

    ict = read_csv(source, ESCO_ICT_FILE, dtype=str)
    require_columns(
        ict, ["occupation_uri", "occupation_label", "skill_label", "skill_uri"], ESCO_ICT_FILE
    )
    ict_sample = pd.DataFrame(
        {
            "occupation_uri": _str(ict["occupation_uri"]),
            "occupation_label": _str(ict["occupation_label"]),
            "skill_uri": _str(ict["skill_uri"]),
            "skill_label": _str(ict["skill_label"]),
        }
    )
    return {
        "esco_occupations": occupations,
        "esco_isco08_groups": isco_groups,
        "esco_skill_hierarchy": hierarchy,
        "esco_skills": skills,
        "esco_ict_occupation_skills": ict_sample,
    }


def build_trade(source: Path) -> dict[str, pd.DataFrame]:
    """BACI 2024 HS2 exports keyed by ISO3, with country and chapter labels."""
    countries = read_csv(source, BACI_COUNTRIES_FILE, dtype=str)
    require_columns(
        countries,
        ["country_code", "country_name", "country_iso2", "country_iso3"],
        BACI_COUNTRIES_FILE,
    )
    countries = pd.DataFrame(
        {
            "code": countries["country_code"].astype("int32"),
            "iso3": _str(countries["country_iso3"]),
            "iso2": _str(countries["country_iso2"]),
            "name": _str(countries["country_name"]),
        }
    ).sort_values("code", kind="stable")

    chapters_path = source / HS_CHAPTERS_FILE
    if not chapters_path.is_file():
        raise BuildError(f"missing source file {chapters_path}")
    chapter_rows = []
    for lineno, line in enumerate(chapters_path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        match = re.fullmatch(r"(\d{2}):\s*(.+)", line.strip())
        if match is None:
            raise BuildError(f"{HS_CHAPTERS_FILE}: line {lineno}: expected 'NN: label'")
        chapter_rows.append({"chapter": match.group(1), "label": match.group(2)})
    chapters = pd.DataFrame(chapter_rows)

    baci = read_csv(source, BACI_FILE)
    require_columns(baci, ["i", "hs2", "v"], BACI_FILE)
    by_code = dict(zip(countries["code"], countries["iso3"], strict=True))
    iso3 = baci["i"].map(by_code)
    if iso3.isna().any():
        row = int(iso3.isna().to_numpy().nonzero()[0][0]) + 2
        raise BuildError(f"{BACI_FILE}: row {row}: country code {baci['i'][row - 2]} unknown")
    exporters = baci[["i"]].assign(iso3=iso3).drop_duplicates()
    if exporters["iso3"].duplicated().any():
        raise BuildError(f"{BACI_FILE}: two exporter codes share one ISO3 code")
    chapter = baci["hs2"].astype(int).map("{:02d}".format)
    unknown = set(chapter) - set(chapters["chapter"])
    if unknown:
        raise BuildError(f"{BACI_FILE}: HS chapters without label: {sorted(unknown)}")
    frame = pd.DataFrame(
        {
            "region": _str(iso3),
            "activity": _str(chapter),
            "year": pd.Series(2024, index=baci.index, dtype="int16"),
            "value": baci["v"].astype("float64"),
        }
    ).sort_values(["region", "activity"], kind="stable")
    if frame.duplicated(["region", "activity"]).any():
        raise BuildError(f"{BACI_FILE}: duplicated (exporter, chapter) rows")
    return {"baci_hs2_exports_2024": frame, "baci_countries": countries, "hs96_chapters": chapters}


# --------------------------------------------------------------------------- coverage
def _span(years: pd.Series) -> str:
    lo, hi = int(years.min()), int(years.max())
    return str(lo) if lo == hi else f"{lo}-{hi}"


def coverage(outputs: dict[str, tuple[pd.DataFrame, list[str]]]) -> dict[str, dict[str, object]]:
    """Coverage figures per public dataset, computed from the built tables.

    ``smartspec.datasets.catalogue`` reads them from the manifest so that listing the
    datasets does not load them.
    """
    sbs = outputs["sbs_2015_nuts2"][0]
    codes = outputs["sbs_2015_region_codes"][0]
    current = set(codes.loc[~codes["obsolete"], "region"])
    div = sbs[(sbs["activity_level"] == "division") & sbs["region"].isin(current)]
    all_div = sbs[sbs["activity_level"] == "division"]
    nama = outputs["nama_10r_3empers"][0]
    nama_a10 = nama[nama["activity"].isin(NAMA_A10)]
    ctx = outputs["context_nuts2_2007_2018"][0]
    nace = outputs["nace_rev2"][0]
    trade = outputs["baci_hs2_exports_2024"][0]
    esco = {
        "esco_occupations": ("occupations", outputs["esco_occupations"][0]),
        "esco_skills": ("skills", outputs["esco_skills"][0]),
        "esco_skill_hierarchy": ("skill groups (levels 0-3)", outputs["esco_skill_hierarchy"][0]),
        "esco_isco_groups": ("ISCO-08 groups", outputs["esco_isco08_groups"][0]),
    }
    ict = outputs["esco_ict_occupation_skills"][0]
    result: dict[str, dict[str, object]] = {
        "sbs_employment": {
            "years": _span(sbs["year"]),
            "regions": div["region"].nunique(),
            "activities": div["activity"].nunique(),
            "rows": len(div),
            "filled_share": round(float(div["value"].notna().mean()), 4),
            "regions_with_obsolete": all_div["region"].nunique(),
            "rows_with_obsolete": len(all_div),
            "filled_share_with_obsolete": round(float(all_div["value"].notna().mean()), 4),
            "coverage": (
                f"{div['region'].nunique()} NUTS2 regions x "
                f"{div['activity'].nunique()} NACE divisions"
            ),
        },
        "regional_employment": {
            "years": _span(nama["year"]),
            "regions": {
                str(level): int(n)
                for level, n in nama_a10.groupby("nuts_level")["region"].nunique().items()
            },
            "activities": nama_a10["activity"].nunique(),
            "rows": len(nama_a10),
            "coverage": (
                f"{nama['region'][nama['nuts_level'] == 2].nunique()} NUTS2 / "
                f"{nama['region'][nama['nuts_level'] == 3].nunique()} NUTS3 regions x "
                f"{nama_a10['activity'].nunique()} A*10 sections (+TOTAL)"
            ),
        },
        "context_indicators": {
            "years": _span(ctx["year"]),
            "regions": ctx["region"].nunique(),
            "variables": len(CONTEXT_VARIABLES),
            "rows": len(ctx),
            "coverage": f"{ctx['region'].nunique()} NUTS2 regions x {len(CONTEXT_VARIABLES)} indicators",
        },
        "nace": {
            "years": "",
            "rows": len(nace),
            "coverage": (
                f"{len(nace)} codes ("
                + ", ".join(
                    f"{int((nace['level'] == level).sum())} {plural}"
                    for level, plural in NACE_LEVEL_PLURALS.items()
                )
                + "), 5 languages"
            ),
        },
        "trade_hs2": {
            "years": _span(trade["year"]),
            "regions": trade["region"].nunique(),
            "activities": trade["activity"].nunique(),
            "rows": len(trade),
            "coverage": (
                f"{trade['region'].nunique()} exporters x {trade['activity'].nunique()} HS chapters"
            ),
        },
        "esco_occupation_skills_sample": {
            "years": "",
            "rows": len(ict),
            "coverage": (
                f"{ict['occupation_uri'].nunique()} ICT occupations x "
                f"{ict['skill_uri'].nunique()} skills ({len(ict)} links)"
            ),
        },
    }
    for name, (what, frame) in esco.items():
        result[name] = {"years": "", "rows": len(frame), "coverage": f"{len(frame):,} {what}"}
    return result


# --------------------------------------------------------------------------- main
def build(source: Path, out: Path) -> dict[str, dict[str, object]]:
    """Build every shipped file from ``source`` into ``out``; return the manifest."""
    source = source.resolve()
    if not source.is_dir():
        raise BuildError(f"source directory {source} does not exist")
    out.mkdir(parents=True, exist_ok=True)

    nace = nace_table(source)
    sbs, sbs_codes = build_sbs(source, nace)
    outputs: dict[str, tuple[pd.DataFrame, list[str]]] = {
        "nace_rev2": (nace, [NACE_FILE]),
        "sbs_2015_nuts2": (sbs, [SBS_FILE]),
        "sbs_2015_region_codes": (sbs_codes, [SBS_FILE, CHAIN_FILE, CHANGES_FILE, SR_FILE]),
        "nama_10r_3empers": (build_nama(source), [NAMA_FILE]),
        "context_nuts2_2007_2018": (build_context(source), [CONTEXT_FILE]),
    }
    esco_sources = {
        "esco_occupations": [ESCO_OCC_FILE],
        "esco_isco08_groups": [ESCO_ISCO_FILE],
        "esco_skill_hierarchy": [ESCO_HIER_FILE],
        "esco_skills": [ESCO_SKILLS_FILE],
        "esco_ict_occupation_skills": [ESCO_ICT_FILE],
    }
    for name, frame in build_esco(source).items():
        outputs[name] = (frame, esco_sources[name])
    trade_sources = {
        "baci_hs2_exports_2024": [BACI_FILE, BACI_COUNTRIES_FILE],
        "baci_countries": [BACI_COUNTRIES_FILE],
        "hs96_chapters": [HS_CHAPTERS_FILE],
    }
    for name, frame in build_trade(source).items():
        outputs[name] = (frame, trade_sources[name])

    manifest: dict[str, dict[str, object]] = {}
    for name, (frame, sources) in sorted(outputs.items()):
        target = out / f"{name}.parquet"
        write_parquet(frame, target)
        manifest[name] = {
            "file": target.name,
            "rows": len(frame),
            "columns": list(frame.columns),
            "bytes": target.stat().st_size,
            "sources": {s: sha256(source / s) for s in sources},
        }
    manifest["_coverage"] = coverage(outputs)
    manifest["_context_variables"] = {
        name: {"source_column": col, "label": label, "unit": unit, "eurostat_table": table}
        for col, (name, label, unit, table) in CONTEXT_VARIABLES.items()
    }
    (out / "MANIFEST.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        manifest = build(args.source, args.out)
    except BuildError as exc:
        print(f"build_datasets: error: {exc}", file=sys.stderr)
        return 1
    total = 0
    for name, entry in manifest.items():
        if name.startswith("_"):
            continue
        total += int(entry["bytes"])  # type: ignore[call-overload]
        print(f"{entry['file']:<40} {entry['rows']:>9,} rows {int(entry['bytes']) / 1024:>9.1f} KiB")  # type: ignore[call-overload]
    print(f"{'total':<40} {'':>14} {total / 1024:>9.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
