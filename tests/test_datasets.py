"""Tests of smartspec.datasets on the real data shipped in the package.

Reference figures come from the data README (/work/shared/data/README.md, summarised in
DATA_SOURCES.md), not from the code under test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartspec import datasets
from smartspec.data.panel import Panel
from smartspec.datasets import _loaders, _panels

ALPINE_NUTS2_2021 = {
    # Interreg Alpine Space programme 2021-2027, EU member-state regions present in SBS.
    "AT": ["AT11", "AT12", "AT13", "AT21", "AT22", "AT31", "AT32", "AT33", "AT34"],
    "DE": ["DE11", "DE12", "DE13", "DE14", "DE21", "DE22", "DE23", "DE24", "DE25", "DE26",
           "DE27"],
    "FR": ["FRC2", "FRF1", "FRK2", "FRL0"],
    "IT": ["ITC1", "ITC2", "ITC3", "ITC4", "ITH1", "ITH2", "ITH3", "ITH4"],
    "SI": ["SI03", "SI04"],
}


# --------------------------------------------------------------------------- SBS
@pytest.fixture(scope="module")
def sbs() -> Panel:
    return datasets.sbs_employment()


def test_sbs_is_a_panel_with_meta(sbs: Panel) -> None:
    assert isinstance(sbs, Panel)
    meta = sbs.meta
    assert (meta.region_classification, meta.region_version, meta.region_level) == ("NUTS", 2021, 2)
    assert meta.activity_classification == "NACE Rev. 2"
    assert meta.activity_level == "division"
    assert meta.measure == "persons employed"
    assert meta.source is not None and "Eurostat" in meta.source.attribution
    assert "sbs_r_nuts06_r2" in meta.source.name
    assert sbs.years == [2015]


def test_sbs_de21_manufacturing_divisions(sbs: Panel) -> None:
    matrix = sbs.matrix(2015)
    manufacturing = [c for c in matrix.columns if re.fullmatch(r"C(1\d|2\d|3[0-3])", c)]
    assert len(manufacturing) == 24
    assert matrix.loc["DE21", manufacturing].sum() == pytest.approx(396_651)
    # Section C for DE21 is published as 398,403 (README).
    section = datasets.sbs_employment("section").matrix()
    assert section.loc["DE21", "C"] == pytest.approx(398_403)


def test_sbs_french_regions_recoded_to_nuts2021(sbs: Panel) -> None:
    regions = set(sbs.regions)
    for old, new in [("FR71", "FRK2"), ("FR43", "FRC2"), ("FR82", "FRL0"), ("FR42", "FRF1")]:
        assert new in regions
        assert old not in regions
    table = datasets.sbs_employment_regions().set_index("code_2013")
    assert table.loc["FR71", "code_2021"] == "FRK2"
    assert table.loc["FR71", "status"] == "recoded"


def test_sbs_changed_regions_keep_2013_codes(sbs: Panel) -> None:
    table = datasets.sbs_employment_regions().set_index("code_2013")
    expected = {
        "HU10": "split", "PL12": "split", "LT00": "split", "UKM3": "split",
        "HR04": "split", "UKM2": "boundary_shift", "IE01": "discontinued",
        "DE21": "unchanged", "SI03": "unchanged",
    }
    for code, status in expected.items():
        assert table.loc[code, "status"] == status, code
        assert code in sbs.regions, code
    assert table.loc["UKM2", "code_2021"] == "UKM7"  # successor known, but areas differ
    assert set(table["status"]) <= {
        "unchanged", "recoded", "split", "merged", "boundary_shift", "discontinued"
    }
    # The panel's region column is a bijection of the source codes.
    assert table["region"].is_unique


def test_sbs_recodes_agree_with_nuts_module() -> None:
    """The build-time recoding agrees with smartspec.data.nuts (derived independently)."""
    from smartspec.data import nuts

    table = datasets.sbs_employment_regions().query("not obsolete").set_index("code_2013")
    eu = table[~table.index.str[:2].isin(["NO", "IS"])]
    report = nuts.recode_codes(eu.index, 2013, 2021)
    recoded = eu["status"] == "recoded"
    assert report.loc[recoded[recoded].index, "pure"].all()
    assert (report.loc[recoded[recoded].index, "code_to"] == eu.loc[recoded, "code_2021"]).all()
    unchanged = eu.index[eu["status"] == "unchanged"]
    assert (report.loc[unchanged, "code_to"] == unchanged).all()
    changed = eu.index[eu["status"].isin(["split", "merged", "boundary_shift", "discontinued"])]
    assert not (report.loc[changed, "pure"] & report.loc[changed, "code_to"].notna()).any()


def test_sbs_alpine_regions_present(sbs: Panel) -> None:
    regions = set(sbs.regions)
    for country, codes in ALPINE_NUTS2_2021.items():
        assert set(codes) <= regions, country
    matrix = sbs.matrix()
    alpine = [c for codes in ALPINE_NUTS2_2021.values() for c in codes]
    # The README reports 83 % filled for "the Alpine regions" without listing them; for the
    # 34 EU regions of the 2021-2027 programme area the share is 88 %. Both are well above
    # the 77 % of the whole file.
    assert matrix.loc[alpine].notna().to_numpy().mean() > 0.8


def test_sbs_flags_preserved(sbs: Panel) -> None:
    flags = sbs.frame["flag"].astype(object)
    values = sbs.frame["value"]
    assert {"c_or_missing", "d", "corrupt_excel"} <= set(flags.dropna())
    assert values[flags.eq("c_or_missing").to_numpy()].isna().all()
    assert values[flags.eq("corrupt_excel").to_numpy()].isna().all()
    d_values = values[flags.eq("d").to_numpy()]
    assert d_values.notna().any()  # "d" keeps its published value
    corrupt = sbs.frame[flags.eq("corrupt_excel").to_numpy()]
    assert set(corrupt["region"].astype(str)) == {"IS00"}


def test_sbs_counts_and_completeness_match_readme() -> None:
    full = datasets.sbs_employment(include_obsolete=True)
    # README: 77 % of the NUTS2 x division cells are filled (the file lists 327 codes).
    assert len(full.regions) == 327
    assert len(full.activities) == 68
    assert len(full) == 22_103
    assert full.frame["value"].notna().mean() == pytest.approx(0.77, abs=0.005)
    default = datasets.sbs_employment()
    obsolete = datasets.sbs_employment_regions().query("obsolete")
    assert len(default.regions) == 327 - len(obsolete) == 292
    assert not set(obsolete["region"]) & set(default.regions)
    # Obsolete codes never hold values, so dropping them loses nothing.
    assert default.frame["value"].sum() == pytest.approx(full.frame["value"].sum())


def test_sbs_levels() -> None:
    sections = datasets.sbs_employment("section")
    groups = datasets.sbs_employment("group")
    assert set(sections.activities) == set("BCDEFGHIJLMN")
    assert all(re.fullmatch(r"G4[5-7]\d", a) for a in groups.activities)
    assert groups.meta.activity_level == "group"
    with pytest.raises(ValueError, match="level must be one of"):
        datasets.sbs_employment("class")  # type: ignore[arg-type]


def test_sbs_activities_join_nace(sbs: Panel) -> None:
    nace = datasets.nace()
    divisions = nace[nace["level_name"] == "division"].set_index("code_eurostat")
    assert set(sbs.activities) <= set(divisions.index)
    assert divisions.loc["C10", "label"] == "Manufacture of food products"
    assert divisions.loc["C10", "code"] == "10"
    sections = datasets.nace_hierarchy("division", "section")
    assert {sections[a] for a in sbs.activities} == set("BCDEFGHIJLMNS")


# --------------------------------------------------------------------------- nama_10r_3empers
def test_regional_employment_austria_totals() -> None:
    national = datasets.regional_employment(0, include_total=True)
    assert national.matrix(2015).loc["AT", "TOTAL"] == pytest.approx(4_285_500)
    nuts2 = datasets.regional_employment(2, include_total=True).matrix(2015)
    austria = [r for r in nuts2.index if r.startswith("AT") and not r.endswith("Z")]
    assert len(austria) == 9
    assert nuts2.loc[austria, "TOTAL"].sum() == pytest.approx(4_284_800)


def test_regional_employment_default_activities_are_a10_and_sum_to_total() -> None:
    panel = datasets.regional_employment(2)
    assert list(panel.activities) == sorted(datasets.REGIONAL_A10)
    assert panel.meta.region_version == 2016 and panel.meta.region_level == 2
    both = datasets.regional_employment(2, include_total=True).matrix(2015)
    at = both.loc["AT34"]
    assert at[list(datasets.REGIONAL_A10)].sum() == pytest.approx(at["TOTAL"], rel=2e-3)


def test_regional_employment_levels_and_caveats() -> None:
    for level in (0, 1, 3):
        panel = datasets.regional_employment(level, include_total=True)
        assert {len(r) for r in panel.regions} == {level + 2}
    # 1995-1999 exists only for CZ, EE, IT, LU and PT, at every level.
    for level in (0, 3):
        frame = datasets.regional_employment(level, include_total=True).frame
        early = frame.loc[frame["year"] < 2000, "region"].astype(str).str[:2]
        assert set(early) == {"CZ", "EE", "IT", "LU", "PT"}
    # France: totals only.
    france = datasets.regional_employment(2, include_total=True).frame
    fr = france[france["region"].astype(str).str.startswith("FR")]
    assert set(fr["activity"].astype(str)) == {"TOTAL"}
    assert set(fr["year"]) == {2017, 2018}
    assert not any(str(r).startswith("EU") for r in datasets.regional_employment(0).regions)


def test_regional_employment_custom_activities_and_errors() -> None:
    panel = datasets.regional_employment(1, activities=["C", "B-E"])
    assert set(panel.activities) == {"B-E", "C"}
    assert "G-J" in datasets.regional_employment_activities()
    with pytest.raises(ValueError, match="unknown activity"):
        datasets.regional_employment(2, activities=["XX"])
    with pytest.raises(ValueError, match="level must be"):
        datasets.regional_employment(4)
    with pytest.raises(TypeError):
        datasets.regional_employment(2, activities="A")


# --------------------------------------------------------------------------- context
def test_context_indicators_wide_and_metadata() -> None:
    ctx = datasets.context_indicators()
    assert ctx["region"].nunique() == 332
    assert sorted(ctx["year"].unique()) == list(range(2007, 2019))
    assert not ctx.duplicated(["region", "year"]).any()
    meta = datasets.context_indicators_metadata()
    assert set(meta.index) <= set(ctx.columns)
    assert meta.loc["gdp_million_eur", "unit"] == "million EUR"
    assert meta.loc["gdp_million_eur", "eurostat_table"] == "tgs00003"
    assert meta.loc["patents_per_million", "years"] == "2007-2012"
    assert ctx.attrs["metadata"]["population"]["eurostat_table"] == "tgs00096"
    assert ctx.attrs["attribution"].startswith("Source: Eurostat")
    de24 = ctx.set_index(["region", "year"]).loc[("DE24", 2007)]
    assert de24["gdp_million_eur"] == pytest.approx(28_827.06)


def test_context_indicators_long() -> None:
    long = datasets.context_indicators("long")
    wide = datasets.context_indicators()
    variables = list(datasets.context_indicators_metadata().index)
    assert len(long) == int(wide[variables].notna().sum().sum())
    assert long["value"].notna().all()
    with pytest.raises(ValueError):
        datasets.context_indicators("tidy")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- NACE
def test_nace_codes_and_languages() -> None:
    table = datasets.nace("all")
    assert len(table) == 996
    assert table["level_name"].value_counts().to_dict() == {
        "class": 615, "group": 272, "division": 88, "section": 21,
    }
    assert [c for c in table.columns if c.startswith("label_")] == [
        f"label_{x}" for x in datasets.NACE_LANGUAGES
    ]
    assert table["code_eurostat"].is_unique
    c10 = table.set_index("code_eurostat").loc["C10"]
    assert c10["label_en"] == "Manufacture of food products"
    de = datasets.nace("de").set_index("code").loc["10", "label"]
    assert de == c10["label_de"]
    with pytest.raises(ValueError, match="lang"):
        datasets.nace("es")


def test_nace_hierarchy() -> None:
    div = datasets.nace_hierarchy()
    assert len(div) == 88 and div["C10"] == "C" and div["S95"] == "S"
    cls = datasets.nace_hierarchy("class", "division", code_form="official")
    assert len(cls) == 615 and cls["10.11"] == "10"
    same = datasets.nace_hierarchy("group", "group")
    assert (same.index == same.to_numpy()).all()
    with pytest.raises(ValueError, match="finer"):
        datasets.nace_hierarchy("section", "division")
    with pytest.raises(ValueError):
        datasets.nace_hierarchy("division", "sector")  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["division", "group", "class"]), st.sampled_from(["section", "division"]))
def test_nace_hierarchy_is_prefix_consistent(from_level: str, to_level: str) -> None:
    """Property: in Eurostat form every ancestor code is a prefix of its descendant."""
    if datasets.NACE_LEVELS[to_level] > datasets.NACE_LEVELS[from_level]:
        return
    mapping = datasets.nace_hierarchy(from_level, to_level)  # type: ignore[arg-type]
    assert all(child.startswith(parent) for child, parent in mapping.items())


# --------------------------------------------------------------------------- ESCO
def test_esco_tables() -> None:
    occ = datasets.esco_occupations()
    assert len(occ) == 2942 and occ["uri"].is_unique
    isco = datasets.esco_isco_groups()
    assert len(isco) == 619
    # The armed forces appear only as major group "0": the unit groups 0110/0210/0310 of
    # 21 military occupations have no row of their own.
    unmatched = occ.loc[~occ["isco_group"].isin(isco["code"]), "isco_group"]
    assert set(unmatched) == {"0110", "0210", "0310"} and len(unmatched) == 21
    assert isco["level"].value_counts().to_dict() == {4: 433, 3: 130, 2: 43, 1: 13}
    assert set(isco["parent"].dropna()) <= set(isco["code"])
    skills = datasets.esco_skills()
    assert len(skills) == 13_939 and skills["uri"].is_unique
    hierarchy = datasets.esco_skill_hierarchy()
    assert hierarchy["level"].value_counts().sort_index().tolist() == [4, 24, 153, 475]
    assert set(hierarchy.loc[hierarchy["level"] == 0, "code"]) == {"S", "K", "L", "A"}
    assert set(hierarchy["parent_uri"].dropna()) <= set(hierarchy["uri"])
    sample = datasets.esco_occupation_skills_sample()
    assert sample["occupation_uri"].nunique() == 91
    # 6 of the 91 occupations (cloud engineer, blockchain developer, ...) are newer than the
    # v1.0 occupation list.
    assert sample.loc[~sample["occupation_uri"].isin(occ["uri"]), "occupation_uri"].nunique() == 6
    assert sample["skill_uri"].dropna().isin(skills["uri"]).mean() > 0.99
    assert len(sample) == 1970


# --------------------------------------------------------------------------- trade
def test_trade_hs2() -> None:
    panel = datasets.trade_hs2()
    assert len(panel.regions) == 226
    assert len(panel.activities) == 96
    assert "77" not in panel.activities and "01" in panel.activities
    assert panel.meta.unit == "thousand USD" and panel.meta.region_classification == "ISO3"
    assert "Etalab" in panel.meta.source.licence  # type: ignore[union-attr]
    labels = datasets.trade_hs2_labels()
    assert set(labels["regions"].index) == set(panel.regions)
    assert labels["regions"]["AUT"] == "Austria"
    assert labels["activities"]["97"].startswith("Works of art")
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]{2}", r) for r in panel.regions)
    assert len(datasets.trade_countries()) == 238
    assert len(datasets.hs2_chapters()) == 98


# --------------------------------------------------------------------------- catalogue etc.
def test_catalogue_matches_data() -> None:
    cat = datasets.catalogue().set_index("name")
    assert set(cat.index) == set(datasets.DATASETS)
    for name in cat.index:
        assert callable(getattr(datasets, name))
        assert cat.loc[name, "licence"] and cat.loc[name, "attribution"]
    assert cat.loc["sbs_employment", "rows"] == len(datasets.sbs_employment())
    assert cat.loc["trade_hs2", "coverage"] == "226 exporters x 96 HS chapters"
    assert cat.loc["nace", "rows"] == 996
    assert cat.loc["regional_employment", "years"] == "1995-2018"


def test_attribution() -> None:
    assert datasets.attribution("sbs_employment") == "Source: Eurostat (sbs_r_nuts06_r2)"
    assert "CEPII" in datasets.attribution("trade_hs2")
    assert "ESCO" in datasets.attribution("esco_skills")
    with pytest.raises(KeyError, match="unknown dataset"):
        datasets.attribution("nope")


def test_manifest_records_sources() -> None:
    manifest = json.loads((datasets.files_dir() / "MANIFEST.json").read_text(encoding="utf-8"))
    for name, entry in manifest.items():
        if name.startswith("_"):
            continue
        assert (datasets.files_dir() / entry["file"]).is_file()
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in entry["sources"].values())
    # No validation output of the R package is shipped.
    assert not any("economiccomplexity" in s for e in manifest.values() if "sources" in e
                   for s in e["sources"])


def test_shipped_size_is_small() -> None:
    own = [p for p in datasets.files_dir().iterdir()
           if not p.name.startswith(("nuts_", "geo_"))]
    assert sum(p.stat().st_size for p in own) < 15 * 2**20


# --------------------------------------------------------------------------- caching
def test_files_are_parsed_once() -> None:
    datasets.clear_cache()
    datasets.sbs_employment()
    misses = _loaders.cache_info().misses
    datasets.sbs_employment()
    datasets.sbs_employment_regions()
    assert _loaders.cache_info().misses == misses
    assert _panels.cached_panel.cache_info().hits >= 1


def test_callers_cannot_corrupt_the_cache() -> None:
    first = datasets.sbs_employment()
    first.frame["value"] = np.nan  # a careless caller
    again = datasets.sbs_employment()
    assert again is not first
    assert again.frame["value"].notna().any()
    table = datasets.nace()
    table.loc[:, "label"] = "x"
    assert datasets.nace()["label"].iloc[0] != "x"
    ctx = datasets.context_indicators()
    ctx.loc[:, "population"] = -1.0
    assert (datasets.context_indicators()["population"].dropna() > 0).all()
    esco = datasets.esco_occupations()
    esco["label"] = "x"
    assert (datasets.esco_occupations()["label"] != "x").all()
    hierarchy = datasets.nace_hierarchy()
    hierarchy.iloc[0] = "Z"
    assert datasets.nace_hierarchy().iloc[0] != "Z"


def test_missing_file_error_names_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(_loaders, "files_dir", lambda: tmp_path)
    _loaders._parquet.cache_clear()
    try:
        with pytest.raises(datasets.DatasetFileError, match="sbs_2015_nuts2.parquet"):
            _loaders.read_table("sbs_2015_nuts2")
    finally:
        _loaders._parquet.cache_clear()


# --------------------------------------------------------------------------- CLI
def test_cli_lists_datasets() -> None:
    from typer.testing import CliRunner

    from smartspec.cli import app

    result = CliRunner().invoke(app, ["datasets"], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    for name in ("sbs_employment", "regional_employment", "trade_hs2", "Etalab"):
        assert name in result.output
    assert "226 exporters" in result.output


def test_frames_have_expected_dtypes(sbs: Panel) -> None:
    assert pd.api.types.is_float_dtype(sbs.frame["value"])
    assert pd.api.types.is_integer_dtype(sbs.frame["year"])


# --------------------------------------------------------------------------- build script
def _build_module():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "scripts" / "build_datasets.py"
    spec = importlib.util.spec_from_file_location("build_datasets", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("change_type", "note", "code_to", "expected"),
    [
        ("2013->2016: unchanged | 2016->2021: unchanged", "", "AT11", "unchanged"),
        ("2013->2016: recoded | 2016->2021: unchanged", "", "FRK2", "recoded"),
        ("2013->2016: boundary shift; lost ex-UKM24 | 2016->2021: unchanged", "", "UKM7",
         "boundary_shift"),
        ("2013->2016: discontinued; split into new HU11 and HU12", "", None, "split"),
        ("2010->2013: Merged | 2013->2016: unchanged", "", "DE40", "merged"),
        ("2013->2016: discontinued", "no single 2021 successor: split/merge/discontinued", None,
         "discontinued"),
        ("2010->2013: Boundary shift -> New region", "paired by label (derived, approximate)",
         "SI03", "boundary_shift"),
    ],
)
def test_build_classify_change(change_type: str, note: str, code_to: str | None,
                               expected: str) -> None:
    build = _build_module()
    code_from = {"FRK2": "FR71", "UKM7": "UKM2", "SI03": "SI01", "DE40": "DE41"}.get(
        code_to or "", code_to or "XX00"
    )
    assert build.classify_change(change_type, note, code_from, code_to) == expected


SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.mark.skipif(not SHARED.is_dir(), reason="reference data folder not available")
def test_build_reproduces_shipped_files(tmp_path: Path) -> None:
    build = _build_module()
    manifest = build.build(SHARED, tmp_path)
    for name, entry in manifest.items():
        if name.startswith("_"):
            continue
        built = (tmp_path / entry["file"]).read_bytes()
        shipped = (datasets.files_dir() / entry["file"]).read_bytes()
        assert built == shipped, entry["file"]
    assert (tmp_path / "MANIFEST.json").read_text() == (
        datasets.files_dir() / "MANIFEST.json"
    ).read_text()
