"""Actors: validation, CSV/Excel import, demo registry; matching and the skills profile."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartspec import datasets
from smartspec.strategy.actors import (
    ACTOR_TYPES,
    HELIX,
    HELIX_TYPES,
    Actor,
    ActorValidationError,
    actors_frame,
    demo_actors,
    normalise_actor_type,
    normalise_nace,
    read_actors,
    validate_actor,
    validate_actors,
)
from smartspec.strategy.matching import (
    assign_skill_groups,
    match_actors,
    region_skill_profile,
    skill_label,
    ta_skill_gap,
    ta_skills_needed,
)

ESCO = "http://data.europa.eu/esco/skill/"
WELDING = ESCO + "2fcd95a4-1f9a-41cf-95a9-4701bde476b4"      # operate welding equipment
ML = ESCO + "3a2d5b45-56e4-4f5a-a55a-4a4a65afdc43"           # machine learning
CNC = ESCO + "bf942c60-8539-4951-83ee-63f770da1cb8"          # program a CNC controller

HEADER = "name,actor_type,region,activities,technologies,skills,size,contact_role,fictional\n"


def write(tmp_path: Path, text: str, name: str = "actors.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(exc: ActorValidationError) -> list[tuple[str, int | None, str | None]]:
    return [(p.kind, p.row, p.column) for p in exc.problems]


# ---------------------------------------------------------------------------------------------
# vocabulary
# ---------------------------------------------------------------------------------------------
def test_helix_covers_every_actor_type():
    assert set(HELIX) == set(ACTOR_TYPES)
    assert set(HELIX.values()) == set(HELIX_TYPES)
    assert HELIX["cluster_organisation"] == "industry"
    assert HELIX["public_authority"] == "government"


def test_normalisers():
    assert normalise_nace("28.41") == "C2841"
    assert normalise_nace("c28") == "C28"
    assert normalise_nace("28") == "C28"
    assert normalise_nace("C99") is None
    assert normalise_actor_type("Research organisation") == "research_organisation"
    assert normalise_actor_type("SME") == "firm"
    assert normalise_actor_type("spaceship") is None


# ---------------------------------------------------------------------------------------------
# reading and validation
# ---------------------------------------------------------------------------------------------
def test_read_valid_csv(tmp_path):
    path = write(tmp_path, HEADER +
                 f'Alpha GmbH,firm,AT31,C28;28.41,robots,{WELDING};laser cutting,120,'
                 'head of R&D,no\n'
                 'Uni X,University,AT31,,,,,"transfer office",\n')
    actors = read_actors(path)
    assert [a.name for a in actors] == ["Alpha GmbH", "Uni X"]
    a = actors[0]
    assert a.activities == ["C28", "C2841"]
    assert a.skills == [WELDING, "laser cutting"]
    assert a.size == 120 and a.fictional is False and a.helix == "industry"
    assert actors[1].actor_type == "university" and actors[1].size is None


def test_semicolon_delimited_csv_and_aliases(tmp_path):
    path = write(tmp_path, "Organisation;Type;NUTS;NACE;Employees\n"
                           "Beta AG;company;de21;C29|C27;50\n")
    (actor,) = read_actors(path)
    assert (actor.name, actor.actor_type, actor.region) == ("Beta AG", "firm", "DE21")
    assert actor.activities == ["C29", "C27"] and actor.size == 50


def test_unknown_actor_type_is_named(tmp_path):
    path = write(tmp_path, HEADER + "Alpha,spaceship,AT31,,,,,,\n")
    with pytest.raises(ActorValidationError) as err:
        read_actors(path)
    assert problems_of(err.value) == [("unknown actor type", 2, "actor_type")]
    message = str(err.value)
    assert str(path) in message and "row 2" in message and "'spaceship'" in message
    assert "firm" in message and "civil_society" in message  # the allowed types are listed


def test_duplicate_names_within_a_region(tmp_path):
    path = write(tmp_path, HEADER +
                 "Alpha GmbH,firm,AT31,,,,,,\n"
                 "Beta,firm,AT31,,,,,,\n"
                 "alpha   gmbh,university,AT31,,,,,,\n"   # same name, case/space-insensitive
                 "Alpha GmbH,firm,DE21,,,,,,\n")          # another region: allowed
    with pytest.raises(ActorValidationError) as err:
        read_actors(path)
    assert problems_of(err.value) == [("duplicate actor", 4, "name")]
    assert "first at row 2" in str(err.value)


def test_duplicate_against_existing_registry():
    existing = [Actor("Alpha GmbH", "firm", "AT31", id=7)]
    frame = pd.DataFrame([{"name": "ALPHA GmbH", "actor_type": "firm", "region": "AT31"}])
    with pytest.raises(ActorValidationError, match="duplicate|already used"):
        validate_actors(frame, existing=existing)
    # validating the stored actor itself (same id) is not a duplicate
    assert validate_actor(Actor("Alpha GmbH", "firm", "AT31", id=7), existing=existing).id == 7


def test_negative_and_bad_sizes(tmp_path):
    path = write(tmp_path, HEADER +
                 "A,firm,AT31,,,,-5,,\n"
                 "B,firm,AT31,,,,twelve,,\n"
                 "C,firm,AT31,,,,12.5,,\n"
                 "D,firm,AT31,,,,12.0,,\n")
    with pytest.raises(ActorValidationError) as err:
        read_actors(path)
    assert problems_of(err.value) == [("negative size", 2, "size"), ("bad size", 3, "size"),
                                      ("bad size", 4, "size")]


def test_bad_nuts_codes_and_unknown_nace(tmp_path):
    path = write(tmp_path, HEADER +
                 "A,firm,Austria,,,,,,\n"
                 "B,firm,AT3100,,,,,,\n"
                 "C,firm,AT31,C28;Z99;28.4,,,,,\n")
    with pytest.raises(ActorValidationError) as err:
        read_actors(path)
    assert problems_of(err.value) == [("bad NUTS code", 2, "region"),
                                      ("bad NUTS code", 3, "region"),
                                      ("unknown NACE code", 4, "activities")]
    assert "'Z99'" in str(err.value)


def test_known_regions_option():
    frame = pd.DataFrame([{"name": "A", "actor_type": "firm", "region": "ZZ99"}])
    with pytest.raises(ActorValidationError, match="not a known NUTS code"):
        validate_actors(frame, known_regions=["AT31"])


def test_unknown_esco_uri_personal_data_and_formula(tmp_path):
    path = write(tmp_path, HEADER +
                 f"A,firm,AT31,,,{ESCO}not-a-skill,,,\n"
                 "B,firm,AT31,,,,,jane.doe@example.org,\n"
                 "=HYPERLINK(1),firm,AT31,,,,,,\n"
                 "D,firm,AT31,,,,,,perhaps\n")
    with pytest.raises(ActorValidationError) as err:
        read_actors(path)
    assert problems_of(err.value) == [("unknown ESCO skill", 2, "skills"),
                                      ("personal data", 3, "contact_role"),
                                      ("formula cell", 4, "name"),
                                      ("bad flag", 5, "fictional")]


def test_all_problems_collected_in_one_error(tmp_path):
    path = write(tmp_path, HEADER +
                 "A,spaceship,AT31,,,,,,\n"
                 "B,firm,nowhere,,,,-1,,\n"
                 ",firm,AT31,,,,,,\n")
    with pytest.raises(ActorValidationError) as err:
        read_actors(path)
    assert err.value.kinds == {"unknown actor type", "bad NUTS code", "negative size",
                               "missing name"}
    assert len(err.value.problems) == 4


@pytest.mark.parametrize("text, fragment", [
    (HEADER + "A,firm,AT31,,,,,,,extra\n", "expected 9 fields"),
    (HEADER + "A,firm,AT31\n", "expected 9 fields"),
    (HEADER + '"A,firm,AT31,,,,,,\n', "unclosed quote"),
    ("", "file is empty"),
    ("name,actor_type,region,name\nA,firm,AT31,B\n", "duplicate column"),
])
def test_malformed_csv(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ActorValidationError) as err:
        read_actors(path)
    assert "malformed CSV" in err.value.kinds
    assert fragment in str(err.value)


def test_binary_file_and_missing_columns(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"name,actor_type\x00\x01\x02")
    with pytest.raises(ActorValidationError, match="NUL bytes"):
        read_actors(path)
    with pytest.raises(ActorValidationError, match=r"required column\(s\) 'region'"):
        read_actors(write(tmp_path, "name,actor_type\nA,firm\n"))
    with pytest.raises(FileNotFoundError):
        read_actors(tmp_path / "missing.csv")


def test_excel_import_reports_sheet_rows(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["name", "actor_type", "region", "activities", "size"])
    sheet.append(["Alpha", "firm", "AT31", "C28", 10])
    sheet.append([None, None, None, None, None])          # blank row keeps numbering
    sheet.append(["Beta", "public authority", "AT31", "O84", -3])
    path = tmp_path / "actors.xlsx"
    book.save(path)
    with pytest.raises(ActorValidationError) as err:
        read_actors(path)
    assert problems_of(err.value) == [("negative size", 4, "size")]
    sheet["E4"] = 3
    book.save(path)
    actors = read_actors(path)
    assert [(a.name, a.actor_type, a.size) for a in actors] == [
        ("Alpha", "firm", 10), ("Beta", "public_authority", 3)]


def test_frame_round_trip():
    actors = demo_actors()[:5]
    again = validate_actors(actors_frame(actors))
    assert again == actors


# ---------------------------------------------------------------------------------------------
# demo registry
# ---------------------------------------------------------------------------------------------
def test_demo_actors_are_fictional_and_complete():
    actors = demo_actors()
    assert 25 <= len(actors) <= 40
    assert all(a.fictional and a.name.endswith("(fictional)") for a in actors)
    assert {a.actor_type for a in actors} == set(ACTOR_TYPES)
    home = [a for a in actors if a.region == "AT31"]
    assert {a.helix for a in home} == set(HELIX_TYPES)
    assert {a.region for a in actors} >= {"AT31", "AT12", "AT32", "DE21", "DE27"}
    uris = set(datasets.esco_skills()["uri"])
    skills = {s for a in actors for s in a.skills}
    assert skills and skills <= uris           # real ESCO skill URIs only
    assert all(a.contact_role and "@" not in a.contact_role for a in actors)


def test_demo_actors_relocated():
    actors = demo_actors("AT32")
    assert sum(a.region == "AT32" for a in actors) == 25 + 2
    assert demo_actors() != actors
    with pytest.raises(ValueError):
        demo_actors("Oberösterreich")


# ---------------------------------------------------------------------------------------------
# matching
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def phi() -> pd.DataFrame:
    codes = ["C28", "C27", "C26", "J62"]
    values = np.array([[0.0, 0.6, 0.3, 0.1],
                       [0.6, 0.0, 0.5, 0.2],
                       [0.3, 0.5, 0.0, 0.4],
                       [0.1, 0.2, 0.4, 0.0]])
    return pd.DataFrame(values, index=codes, columns=codes)


def test_match_actors_formula(phi):
    actors = [
        Actor("Machines", "firm", "AT31", activities=["C2841"], skills=[CNC]),
        Actor("Electro", "firm", "AT31", activities=["C27", "J62"], skills=[ML, CNC]),
        Actor("Bank", "finance", "AT31", activities=["K64"]),
    ]
    out = match_actors(actors, "C28", phi, gap_activities=["C26", "J62"],
                       skills_needed=[CNC, ML]).set_index("name")
    m = out.loc["Machines"]
    assert m.activity_fit == 1.0 and m.closest_activity == "C28"
    assert m.gap_coverage == pytest.approx((0.3 + 0.1) / 2)
    assert m.skills_coverage == 0.5
    assert m.score == pytest.approx((0.5 * 1 + 0.25 * 0.2 + 0.25 * 0.5) / 1.0)
    e = out.loc["Electro"]
    assert e.activity_fit == pytest.approx(0.6)
    assert e.gap_coverage == pytest.approx((0.5 + 1.0) / 2)   # C27~C26 0.5, J62 itself
    assert e.skills_coverage == 1.0
    assert e.score == pytest.approx(0.5 * 0.6 + 0.25 * 0.75 + 0.25 * 1.0)
    assert out.loc["Bank"].score == 0.0
    assert list(out.index) == ["Electro", "Machines", "Bank"]      # best first
    assert ((out["score"] >= 0) & (out["score"] <= 1)).all()


def test_match_actors_components_optional(phi):
    actors = [Actor("A", "firm", "AT31", activities=["C27"])]
    out = match_actors(actors, "C28", phi)
    assert math.isnan(out.loc[0, "gap_coverage"]) and math.isnan(out.loc[0, "skills_coverage"])
    assert out.loc[0, "score"] == pytest.approx(0.6)     # activity fit alone
    assert match_actors(actors, "C28").loc[0, "score"] == 0.0  # no phi: exact matches only
    with pytest.raises(ValueError, match="weights"):
        match_actors(actors, "C28", phi, weights={"activity": -1})


def test_match_actors_with_real_proximity():
    from smartspec.evidence import presence, proximity, rca

    m = datasets.sbs_employment().matrix().fillna(0.0)
    phi = proximity(presence(rca(m, missing="zero"), missing="zero"))
    out = match_actors(demo_actors(), "C28", phi)
    assert out.iloc[0]["activity_fit"] == 1.0
    related = out[(out["activity_fit"] > 0) & (out["activity_fit"] < 1)]
    assert len(related) > 0                     # related activities score through phi


def test_assign_skill_groups_methods():
    table = assign_skill_groups([
        ESCO + "S5",                      # a group: itself
        WELDING,                          # inferred by text
        "basket weaving",                 # free text, inferred from the words
        "xyzzy plugh",                    # free text, nothing similar
        ML,
    ], mapping={ML: ESCO + "S5.1"})
    by = table.set_index("skill")
    assert by.loc[ESCO + "S5", "method"] == "group"
    assert by.loc[ESCO + "S5", "level_1_uri"] == ESCO + "S5"
    assert by.loc[ESCO + "S5", "level_0_uri"] == ESCO + "S"
    assert pd.isna(by.loc[ESCO + "S5", "level_2_uri"])
    assert by.loc[ML, "method"] == "given" and by.loc[ML, "level_2_uri"] == ESCO + "S5.1"
    weld = by.loc[WELDING]
    assert weld["method"] == "inferred" and weld["similarity"] > 0.3
    assert weld["group_code"].startswith("S7.1")   # joining parts (welding) group
    assert by.loc["basket weaving", "group_label"] == "handicrafts"
    assert by.loc["xyzzy plugh", "method"] == "unassigned"
    with pytest.raises(ValueError, match="not a skill group"):
        assign_skill_groups([ML], mapping={ML: "nope"})


def test_region_skill_profile_follows_the_hierarchy():
    actors = [
        Actor("A", "firm", "AT31", skills=[ESCO + "S5.1", ESCO + "S5.2"]),
        Actor("B", "firm", "AT312", skills=[ESCO + "S5.1", ESCO + "S8"]),
        Actor("C", "university", "AT31", skills=[ESCO + "S2"]),   # not a firm
        Actor("D", "firm", "DE21", skills=[ESCO + "S2"]),          # other region
    ]
    prof = region_skill_profile(actors, region="AT31").set_index("code")
    assert prof.attrs["n_actors"] == 2
    assert set(prof.index) == {"S", "S5", "S5.1", "S5.2", "S8"}
    assert prof.loc["S", "n_actors"] == 2 and prof.loc["S", "n_skills"] == 3
    assert prof.loc["S5", "n_actors"] == 2 and prof.loc["S5", "n_skills"] == 2
    assert prof.loc["S5.2", "n_actors"] == 1 and prof.loc["S5.2", "share_actors"] == 0.5
    assert prof.loc["S8", "level"] == 1 and (prof["inferred"] == 0).all()
    assert list(prof.index) == ["S", "S5", "S5.1", "S5.2", "S8"]  # hierarchical order


def test_region_skill_profile_on_demo_registry():
    prof = region_skill_profile(demo_actors(), region="AT31")
    assert set(prof["level"]) == {0, 1, 2}
    roots = prof[prof["level"] == 0]
    firms = [a for a in demo_actors() if a.region == "AT31" and a.actor_type == "firm"]
    assert prof.attrs["n_actors"] == len(firms)
    assert roots["n_actors"].max() <= len(firms)
    # each group's count is at most its parent's
    counts = prof.set_index("uri")["n_actors"]
    for _, row in prof.dropna(subset=["parent_uri"]).iterrows():
        assert row["n_actors"] <= counts[row["parent_uri"]]


def test_ta_skill_gap_and_needed():
    actors = demo_actors()
    needed = ta_skills_needed(actors, "C28", regions=["DE21", "DE27"])
    assert needed      # skills of partner firms active in C28
    home = [a for a in actors if a.region == "AT31"]
    gap = ta_skill_gap(needed, home)
    held = {s for a in home for s in a.skills}
    assert gap == [s for s in needed if s not in held]
    assert ta_skill_gap(["Welding", "new skill"], [Actor("A", "firm", "AT31",
                                                         skills=["welding"])]) == ["new skill"]
    assert skill_label(WELDING) == "operate welding equipment"
    assert skill_label(ESCO + "S5") == "working with computers"
