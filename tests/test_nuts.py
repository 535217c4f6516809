"""NUTS correspondence and recoding (smartspec.data.nuts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from smartspec.data import nuts
from smartspec.data.panel import Panel, PanelMeta


def make_panel(rows, version=2013, flag=None):
    frame = pd.DataFrame(rows, columns=["region", "activity", "year", "value"])
    if flag is not None:
        frame["flag"] = flag
    return Panel(frame, PanelMeta(region_version=version, region_level=2, measure="persons"))


def by_code(panel: Panel) -> dict[tuple[str, str, int], float]:
    f = panel.frame
    return {(str(r), str(a), int(y)): v for r, a, y, v in
            zip(f["region"], f["activity"], f["year"], f["value"], strict=True)}


# --- correspondence ---------------------------------------------------------------------------
def test_official_tables_shipped_in_full():
    full = nuts.official_table()
    assert len(full) == 5928
    assert set(full["version_from"]) == {2010, 2013, 2016}
    assert len(nuts.official_changes()) == 662


def test_change_types_are_the_documented_ones():
    c = nuts.correspondence(2010, 2021)
    assert set(c["change_type"]) <= set(nuts.CHANGE_TYPES)
    assert set(c["change_type"]) == set(nuts.CHANGE_TYPES)


@pytest.mark.parametrize(("old", "new"), [("FR71", "FRK2"), ("FR43", "FRC2"), ("FR82", "FRL0"),
                                          ("FR42", "FRF1")])
@pytest.mark.parametrize("version", [2010, 2013])
def test_french_alpine_regions_are_pure_recodes(old, new, version):
    c = nuts.correspondence(version, 2021, level=2)
    row = c[c["code_from"] == old]
    assert row[["code_to", "change_type"]].values.tolist() == [[new, "recode"]]
    assert bool(row["pure"].iloc[0])
    assert f"{new}={old}" in row["detail"].iloc[0]  # Eurostat's own "new = old" note


def test_slovenia_2010_is_a_boundary_shift_not_a_recode():
    c = nuts.correspondence(2010, 2013, level=2)
    si = c[c["code_from"].isin(["SI01", "SI02"])]
    assert set(si["change_type"]) == {"boundary_shift"}
    assert not si["pure"].any()
    assert set(si["code_to"]) == {"SI03", "SI04"}
    # SI035 Zasavska = SI015 + parts of SI021: western municipalities moved east
    assert set(si.loc[si["code_from"] == "SI02", "code_to"]) == {"SI03", "SI04"}


def test_splits_merges_and_unchanged():
    c = nuts.correspondence(2013, 2021)
    split = c[c["code_from"] == "HU10"]
    assert set(split["code_to"]) == {"HU11", "HU12"} and set(split["change_type"]) == {"split"}
    hr = c[c["code_from"] == "HR04"]
    assert set(hr["code_to"]) == {"HR02", "HR05", "HR06"}
    merge = c[c["code_from"].isin(["DE915", "DE919"])]
    assert set(merge["code_to"]) == {"DE91C"} and set(merge["change_type"]) == {"merge"}
    assert merge["merge_complete"].all()
    at = c[c["code_from"] == "AT13"]
    assert at[["code_to", "change_type"]].values.tolist() == [["AT13", "unchanged"]]


def test_partial_merge_is_not_complete():
    # DE80J = DE80C + DE80B + DE802 + parts of DE808: summing the whole ones would be wrong
    c = nuts.correspondence(2010, 2013, level=3)
    into = c[c["code_to"] == "DE80J"]
    assert {"DE80C", "DE80B", "DE802", "DE808"} <= set(into["code_from"])
    assert not into["merge_complete"].any()
    assert into.loc[into["code_from"] == "DE808", "change_type"].iloc[0] == "boundary_shift"


def test_every_old_code_accounted_for_and_pure_links_one_to_one():
    for v in (2010, 2013, 2016):
        c = nuts.correspondence(v, 2021)
        old = set(nuts.official_table().query("version_from == @v and code_from != ''")["code_from"])
        assert old == set(c["code_from"].dropna())
        pure = c[c["pure"]]
        assert not pure["code_from"].duplicated().any()
        assert not pure["code_to"].duplicated().any()


def test_correspondence_same_version_is_identity():
    c = nuts.correspondence(2021, 2021, level=2)
    assert (c["code_from"] == c["code_to"]).all() and set(c["change_type"]) == {"unchanged"}
    assert "CH01" in set(c["code_from"])


@pytest.mark.parametrize(("frm", "to"), [(2021, 2016), (2012, 2021), (2010, 2030)])
def test_bad_versions(frm, to):
    with pytest.raises(ValueError, match="NUTS"):
        nuts.correspondence(frm, to)


def test_recode_codes_table():
    t = nuts.recode_codes(["FR71", "SI01", "HU10", "AT13", "EU28", "FR71"], 2013)
    assert list(t.index) == ["FR71", "SI01", "HU10", "AT13", "EU28"]
    assert t.loc["FR71", "code_to"] == "FRK2" and t.loc["FR71", "pure"]
    assert t.loc["HU10", "successors"] == ("HU11", "HU12") and pd.isna(t.loc["HU10", "code_to"])
    assert t.loc["EU28", "change_type"] == "unknown"
    # SI01 is not a NUTS 2013 code any more
    assert t.loc["SI01", "change_type"] == "unknown"


# --- recode(panel) ----------------------------------------------------------------------------
ROWS_2013 = [("FR71", "C", 2015, 100.0), ("FR43", "C", 2015, 20.0), ("FR82", "C", 2015, 35.5),
             ("AT13", "C", 2015, 7.0), ("AT13", "F", 2015, np.nan), ("FR71", "C", 2014, 99.0)]


def test_pure_recodes_applied_silently_and_values_preserved():
    p = make_panel(ROWS_2013)
    out, report = nuts.recode(p, return_report=True)
    assert out.meta.region_version == 2021 and p.meta.region_version == 2013
    assert out.meta.measure == "persons"
    got = by_code(out)
    assert got[("FRK2", "C", 2015)] == 100.0 and got[("FRK2", "C", 2014)] == 99.0
    assert got[("FRC2", "C", 2015)] == 20.0 and got[("FRL0", "C", 2015)] == 35.5
    assert got[("AT13", "C", 2015)] == 7.0 and np.isnan(got[("AT13", "F", 2015)])
    assert len(out.frame) == len(p.frame)
    assert set(map(tuple, report.recoded.values)) == {("FR71", "FRK2"), ("FR43", "FRC2"),
                                                      ("FR82", "FRL0")}
    assert report.ok and report.refused.empty and report.kept.empty
    assert "FR71" in set(p.regions)  # input untouched


def test_recode_keeps_flags():
    p = make_panel([("FR71", "C", 2015, 1.0), ("FR71", "F", 2015, np.nan)], flag=[None, "c"])
    out = nuts.recode(p)
    f = out.frame.set_index(["region", "activity"])
    assert f.loc[("FRK2", "F"), "flag"] == "c"


def test_slovenia_2010_refused_by_default():
    p = make_panel([("SI01", "C", 2010, 5.0), ("SI02", "C", 2010, 6.0),
                    ("AT13", "C", 2010, 1.0)], version=2010)
    with pytest.raises(nuts.NutsRecodeError) as err:
        nuts.recode(p)
    msg = str(err.value)
    assert "SI01" in msg and "SI02" in msg and "boundary_shift" in msg and "SI03" in msg
    refused = err.value.report.refused
    assert set(refused["code"]) == {"SI01", "SI02"}
    assert set(refused["change_type"]) == {"boundary_shift"}


def test_slovenia_kept_and_flagged_with_keep():
    p = make_panel([("SI01", "C", 2010, 5.0), ("FR71", "C", 2010, 6.0)], version=2010)
    out, report = nuts.recode(p, strategy="keep", return_report=True)
    assert set(out.regions) == {"SI01", "FRK2"}
    assert by_code(out)[("SI01", "C", 2010)] == 5.0
    assert report.kept[["code", "change_type"]].values.tolist() == [["SI01", "boundary_shift"]]
    assert "SI01" in report.summary() and "not comparable" in report.summary()


def test_split_refused_and_kept():
    p = make_panel([("HU10", "C", 2013, 50.0)])
    with pytest.raises(nuts.NutsRecodeError, match="HU10.*split.*HU11, HU12"):
        nuts.recode(p)
    out, report = nuts.recode(p, strategy="keep", return_report=True)
    assert list(out.regions) == ["HU10"]
    assert report.kept["successors"].iloc[0] == ("HU11", "HU12")
    with pytest.raises(nuts.NutsRecodeError):  # merge strategy still refuses splits
        nuts.recode(p, strategy="merge")


def test_merge_strategy_sums_complete_merges():
    rows = [("DE915", "C", 2015, 10.0), ("DE919", "C", 2015, 5.0),
            ("DE915", "F", 2015, 1.0), ("DE919", "F", 2015, np.nan),
            ("DE915", "G", 2015, 3.0), ("DE111", "C", 2015, 2.0)]
    p = make_panel(rows)
    with pytest.raises(nuts.NutsRecodeError, match="merge"):
        nuts.recode(p)
    out, report = nuts.recode(p, strategy="merge", return_report=True)
    got = by_code(out)
    assert got[("DE91C", "C", 2015)] == 15.0
    assert np.isnan(got[("DE91C", "F", 2015)])  # one part missing -> missing
    assert np.isnan(got[("DE91C", "G", 2015)])  # one part absent -> missing, not a partial sum
    assert got[("DE111", "C", 2015)] == 2.0
    assert set(report.merged["code_from"]) == {"DE915", "DE919"}
    flags = out.frame.set_index(["region", "activity"])["flag"]
    assert flags[("DE91C", "G")] == "incomplete" and flags[("DE91C", "F")] == "incomplete"
    assert pd.isna(flags[("DE91C", "C")])
    assert len(out.frame) == 4


def test_recode_collision_with_existing_code():
    p = make_panel([("FR71", "C", 2015, 1.0), ("FRK2", "C", 2015, 2.0)])
    with pytest.raises(nuts.NutsRecodeError, match="already present"):
        nuts.recode(p)


def test_recode_needs_a_version_and_nuts():
    frame = pd.DataFrame({"region": ["AT13"], "activity": ["C"], "year": [2015], "value": [1.0]})
    with pytest.raises(ValueError, match="from_version"):
        nuts.recode(Panel(frame, PanelMeta()))
    with pytest.raises(ValueError, match="not NUTS"):
        nuts.recode(Panel(frame, PanelMeta(region_classification="ISO3", region_version=2013)))
    with pytest.raises(ValueError, match="strategy"):
        nuts.recode(Panel(frame, PanelMeta(region_version=2013)), strategy="guess")
    same = nuts.recode(Panel(frame, PanelMeta(region_version=2016)), from_version=2021)
    assert same.meta.region_version == 2021 and list(same.regions) == ["AT13"]


def test_unknown_codes_left_unchanged_and_reported():
    p = make_panel([("EU28", "C", 2015, 9.0), ("FR71", "C", 2015, 1.0)])
    out, report = nuts.recode(p, return_report=True)
    assert set(out.regions) == {"EU28", "FRK2"} and report.unknown == ("EU28",)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["FR71", "FR43", "FR82", "AT13", "AT34", "DE21", "ITC4", "EL11"]),
                min_size=1, max_size=8, unique=True),
       st.lists(st.floats(0, 1e6, allow_nan=False), min_size=8, max_size=8))
def test_pure_recode_is_a_value_preserving_bijection(codes, values):
    rows = [(c, "C", 2015, v) for c, v in zip(codes, values, strict=False)]
    p = make_panel(rows, version=2010)
    out, report = nuts.recode(p, return_report=True)
    mapping = dict(report.recoded.values.tolist())
    before = {mapping.get(r, r): v for (r, _, _), v in by_code(p).items()}
    after = {r: v for (r, _, _), v in by_code(out).items()}
    assert before == after


# --- CLI --------------------------------------------------------------------------------------
def test_cli_regions_alpine_and_country():
    from smartspec.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["regions", "--alpine"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "42 regions" in res.output and "Vorarlberg" in res.output and "FRK2" in res.output
    res = runner.invoke(app, ["regions", "--alpine", "--period", "2014-2020"], terminal_width=200)
    assert res.exit_code == 0 and "35 regions" in res.output and "DE11" not in res.output
    res = runner.invoke(app, ["regions", "--country", "AT", "--level", "2"], terminal_width=200)
    assert res.exit_code == 0 and "AT34" in res.output and "DE21" not in res.output
    assert "9 regions" in res.output
    res = runner.invoke(app, ["regions", "--country", "LI", "--level", "3"], terminal_width=200)
    assert res.exit_code == 0 and "LI000" in res.output
    res = runner.invoke(app, ["regions", "--country", "XX"])
    assert res.exit_code == 1
