"""smartspec.monitoring (pure parts): indicators, observations, context indicators, outputs,
the RIS3 self-assessment."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartspec.monitoring import (
    FACTORS,
    RIS3_STEPS,
    AssessmentError,
    Indicator,
    IndicatorError,
    ObservationError,
    activity_code,
    activity_space,
    aggregate_scores,
    context_series,
    evidence_by_year,
    helix_types,
    matrix_checksum,
    output_values,
    parse_observations_csv,
    progress_towards_target,
    spider_chart,
    standard_indicators,
    validate_observation,
    validate_scores,
)
from smartspec.strategy.actions import Action

THIS_YEAR = dt.date.today().year


# ------------------------------------------------------------------------------- indicators
def test_standard_indicators_cover_the_three_kinds():
    inds = {i.key: i for i in standard_indicators()}
    assert {"rca", "employment", "density", "eci", "global_growth"} <= set(inds)
    assert {"actions_completed", "consortium_size", "projects_funded", "budget_committed",
            "budget_spent", "partners_engaged"} <= set(inds)
    assert {"new_firms", "employment_ta", "patents", "cofunding_leveraged"} <= set(inds)
    assert {i.kind for i in inds.values()} == {"context", "output", "result"}
    for ind in inds.values():
        assert ind.validated() == ind  # every shipped definition is valid and canonical
        assert ind.definition and ind.source and ind.unit
    assert [i.key for i in standard_indicators(["result"])][0] == "new_firms"
    with pytest.raises(ValueError, match="unknown indicator kinds"):
        standard_indicators(["impact"])


def test_target_path_is_linear_and_clipped():
    ind = Indicator("budget_committed", "output", "Budget", "EUR", baseline_value=0,
                    baseline_year=2024, target_value=4_000_000, target_year=2028).validated()
    assert ind.expected(2023) == 0
    assert ind.expected(2025) == pytest.approx(1_000_000)
    assert ind.expected(2026) == pytest.approx(2_000_000)
    assert ind.expected(2030) == 4_000_000
    p = progress_towards_target(ind, 2026, 1_500_000)
    assert p == {"expected": pytest.approx(2e6), "planned": pytest.approx(0.5),
                 "achieved": pytest.approx(0.375)}
    # "lower is better": achieved is still positive when the value moves toward the target
    down = Indicator("x", "result", "X", "ratio", direction="lower", baseline_value=10,
                     baseline_year=2020, target_value=5, target_year=2025).validated()
    assert progress_towards_target(down, 2022, 8)["achieved"] == pytest.approx(0.4)
    assert Indicator("y", "result", "Y").expected(2025) is None


@pytest.mark.parametrize("changes, message", [
    ({"key": "Bad Key"}, "lower-case"),
    ({"kind": "impact"}, "kind must be one of"),
    ({"direction": "up"}, "direction must be"),
    ({"name": " "}, "a name is required"),
    ({"baseline_value": "lots", "baseline_year": 2020}, "baseline value must be a number"),
    ({"baseline_value": 1, "baseline_year": 1800}, "baseline year must be a year between"),
    ({"baseline_value": 1}, "give both the baseline value and its year"),
    ({"target_value": 2, "target_year": 2030}, "a target needs a baseline"),
    ({"baseline_value": 1, "baseline_year": 2030, "target_value": 2, "target_year": 2030},
     "must be before the target year"),
])
def test_bad_indicator_definitions_are_refused(changes, message):
    fields = {"key": "patents", "kind": "result", "name": "Patents", "unit": "count"}
    fields.update(changes)
    with pytest.raises(IndicatorError, match=message):
        Indicator(**fields).validated()


def test_units_are_compared_in_canonical_spelling():
    ind = Indicator("cofunding", "result", "Co-funding", "euro").validated()
    assert ind.unit == "EUR"
    inds = {"cofunding": ind}
    assert validate_observation(inds, "cofunding", 2024, "12,500", "€").value == 12500.0


# ---------------------------------------------------------------------------- observations
INDS = {i.key: i for i in standard_indicators()}


@pytest.mark.parametrize("key, year, value, unit, message", [
    ("patents", 2024, "twelve", None, r"indicator 'patents' \(2024\): value must be a number, "
                                      r"got 'twelve'"),
    ("patents", 2024, float("nan"), None, "value must be finite"),
    ("patents", 2024, None, None, "value must be a number"),
    ("patents", 1900, 3, None, r"year 1900 is out of range \(1950-"),
    ("patents", THIS_YEAR + 1, 3, None, f"year {THIS_YEAR + 1} is out of range"),
    ("patents", "2024.5", 3, None, "year must be an integer"),
    ("patent", 2024, 3, None, r"unknown indicator 'patent' .*did you mean 'patents'"),
    ("budget_committed", 2024, 100, "persons", "unit 'persons' does not match the "
                                               "indicator's unit 'EUR'"),
    ("rca", 2015, 1.2, None, "context indicator computed from the evidence data"),
])
def test_each_bad_observation_is_refused_with_a_clear_message(key, year, value, unit, message):
    with pytest.raises(ObservationError, match=message):
        validate_observation(INDS, key, year, value, unit, where="form")


def test_a_good_observation_is_normalised():
    obs = validate_observation(INDS, " new_firms ", "2023", " 4 ", "Number", note="  survey  ")
    assert (obs.key, obs.year, obs.value, obs.unit, obs.note) == ("new_firms", 2023, 4.0,
                                                                  "count", "survey")
    assert validate_observation(INDS, "rca", 2015, 1.1, allow_computed=True).value == 1.1


def test_observations_csv_is_parsed_with_row_numbers(tmp_path):
    path = tmp_path / "obs.csv"
    path.write_text("Indicator;Year;Value;Unit;Note;TA\nnew_firms;2024;3;count;survey;C25\n"
                    "\npatents;2024;x;;;C25\n", encoding="utf-8-sig")
    rows = parse_observations_csv(path)
    assert [(r["row"], r["key"], r["value"], r["ta"]) for r in rows] == [
        (2, "new_firms", "3", "C25"), (4, "patents", "x", "C25")]
    with pytest.raises(ObservationError, match="unknown column 'colour'"):
        parse_observations_csv("indicator,year,value,colour\nx,1,2,red\n")
    with pytest.raises(ObservationError, match="missing column"):
        parse_observations_csv("indicator,value\nx,2\n")
    with pytest.raises(ObservationError, match=r"row 2: 2 values for 3 columns"):
        parse_observations_csv("indicator,year,value\nx,1\n")
    with pytest.raises(ObservationError, match="no observations"):
        parse_observations_csv("indicator,year,value\n")


# ---------------------------------------------------------------------- context indicators
@pytest.mark.parametrize("activity, codes, expected", [
    ("C25", ["A", "BDE", "C", "F"], "C"),
    ("D35", ["A", "BDE", "C", "F"], "BDE"),
    ("D35", ["A", "B-E", "F"], "B-E"),
    ("C25", ["A", "B-E", "F"], "B-E"),
    ("J62", ["A", "B-E", "J"], "J"),
    ("M72", ["A", "M-N"], "M-N"),
    ("C25", ["C25", "C", "B-E"], "C25"),
])
def test_a_division_maps_to_the_finest_aggregate_of_the_data(activity, codes, expected):
    assert activity_code(activity, codes) == expected


def test_an_uncovered_activity_is_refused():
    with pytest.raises(ValueError, match="activity 'K64' is not covered"):
        activity_code("K64", ["A", "B-E"])


def test_activity_space_does_not_count_twice():
    m = pd.DataFrame({"A": [1.0, 2.0], "B-E": [10.0, 8.0], "C": [9.0, 5.0], "F": [3.0, 3.0],
                      "TOTAL": [14.0, 13.0]}, index=["R1", "R2"])
    x, notes = activity_space(m)
    assert sorted(x.columns) == ["A", "BDE", "C", "F"]
    assert x["BDE"].tolist() == [1.0, 3.0]
    assert x.sum(axis=1).tolist() == [14.0, 13.0]
    assert any("BDE" in n for n in notes) and any("TOTAL" in n for n in notes)
    with pytest.raises(ValueError, match="C exceeds B-E"):
        activity_space(pd.DataFrame({"B-E": [1.0], "C": [5.0]}, index=["R1"]))


def _toy_years() -> dict[int, pd.DataFrame]:
    """Four regions x four activities over three years; R1 grows in C, shrinks elsewhere."""
    acts = ["A", "B-E", "C", "F", "J"]
    base = pd.DataFrame([[5, 30, 25, 10, 5], [20, 12, 8, 15, 10], [8, 15, 10, 20, 25],
                         [10, 10, 6, 12, 30]], index=["R1", "R2", "R3", "R4"], columns=acts,
                        dtype=float)
    out = {}
    for i, year in enumerate((2015, 2016, 2017)):
        m = base.copy()
        m.loc["R1", ["B-E", "C"]] += [3 * i, 3 * i]
        m.loc["R2", "C"] -= i
        m.loc["R2", "B-E"] -= i
        out[year] = m
    return out


def test_context_series_follows_rca_employment_and_growth():
    years = _toy_years()
    ev = evidence_by_year(years, checksums={y: matrix_checksum(m) for y, m in years.items()})
    s = context_series(ev, "R1", "C25")
    assert s.attrs["code"] == "C"
    m = years[2016].drop(columns="B-E").assign(BDE=years[2016]["B-E"] - years[2016]["C"])
    share_r = m.loc["R1", "C"] / m.loc["R1"].sum()
    share_all = m["C"].sum() / m.to_numpy().sum()
    assert s.at[2016, "rca"] == pytest.approx(share_r / share_all)
    assert s.at[2017, "employment"] == 31.0
    assert math.isnan(s.at[2015, "global_growth"])
    total = [years[y]["C"].sum() for y in (2015, 2016)]
    assert s.at[2016, "global_growth"] == pytest.approx(total[1] / total[0] - 1)
    assert s["rca"].is_monotonic_increasing
    assert ((s["density"] >= 0) & (s["density"] <= 1)).all()
    assert s["eci"].notna().all()


def test_growth_over_a_gap_is_annualised_and_uses_regions_seen_twice():
    years = _toy_years()
    years = {2015: years[2015], 2017: years[2017].drop(index="R4")}
    ev = evidence_by_year(years)
    s = context_series(ev, "R2", "C10")
    both = ["R1", "R2", "R3"]
    ratio = years[2017].loc[both, "C"].sum() / years[2015].loc[both, "C"].sum()
    assert s.at[2017, "global_growth"] == pytest.approx(ratio ** 0.5 - 1)


def test_thin_years_and_missing_regions_give_no_structural_indicators():
    years = _toy_years()
    years[2018] = years[2017].loc[["R1", "R2"]]  # a thin year: 2 of 4 regions
    ev = evidence_by_year(years)
    assert ev[2018].thin and not ev[2017].thin
    s = context_series(ev, "R1", "C25")
    assert math.isnan(s.at[2018, "rca"]) and s.at[2018, "employment"] == 31.0
    assert any("too few regions" in n for n in s.attrs["notes"])
    with pytest.raises(ValueError, match="region 'XX99' is in none of the data years"):
        context_series(ev, "XX99", "C25")
    with pytest.raises(ValueError, match="no data years"):
        context_series({}, "R1", "C25")


def test_checksum_ignores_order_and_sees_changes():
    m = _toy_years()[2015]
    assert matrix_checksum(m) == matrix_checksum(m.iloc[::-1, ::-1])
    changed = m.copy()
    changed.iloc[0, 0] += 1
    assert matrix_checksum(changed) != matrix_checksum(m)


def test_context_indicators_on_the_shipped_regional_accounts():
    from smartspec import datasets

    panel = datasets.regional_employment(level=2, activities=(*datasets.REGIONAL_A10, "C"))
    ev = evidence_by_year({y: panel.matrix(y) for y in (2014, 2015, 2016, 2017)})
    s = context_series(ev, "AT31", "C25")
    assert s.attrs["code"] == "C"
    # Upper Austria is a manufacturing region: location quotient well above 1
    assert (s["rca"] > 1.3).all()
    assert s.at[2017, "employment"] == pytest.approx(173300.0)


# ----------------------------------------------------------------------------------- outputs
def test_output_values_from_actions_and_consortium():
    actions = [
        Action("a", "consortium_creation", status="done", owner=1, participants=[2, 3],
               committed=100.0, spent=80.0),
        Action("b", "collaborative_rnd", status="in_progress", owner=4, participants=[3],
               committed=1000.0, spent=200.0),
        Action("c", "funding_search", status="planned", owner=5, participants=[6]),
        Action("d", "pilot_testbed", status="cancelled", owner=7, committed=500.0, spent=50.0),
    ]
    values = output_values(actions, consortium_members=[object()] * 5)
    assert values == {"actions_completed": 1.0, "consortium_size": 5.0,
                      "projects_funded": 2.0, "budget_committed": 1100.0,
                      "budget_spent": 330.0, "partners_engaged": 4.0}
    assert output_values([], None)["consortium_size"] == 0.0


def test_helix_types_of_actor_types():
    assert helix_types(["firm", "cluster_organisation", "university"]) == {"industry",
                                                                           "academia"}
    with pytest.raises(ValueError, match="unknown actor type 'bank'"):
        helix_types(["bank"])


# -------------------------------------------------------------------------- self-assessment
def test_the_six_ris3_steps_have_three_to_five_factors_each():
    assert [s.number for s in RIS3_STEPS] == [1, 2, 3, 4, 5, 6]
    assert all(3 <= len(s.factors) <= 5 for s in RIS3_STEPS)
    assert len(FACTORS) == sum(len(s.factors) for s in RIS3_STEPS)
    assert RIS3_STEPS[5].title.startswith("Integration of monitoring")


def test_scores_are_aggregated_per_factor_and_step():
    rows = [{"participant": p, "factor": f, "score": s}
            for p, scores in {"P1": (4, 2, 5), "P2": (2, 2, 3), "P3": (3, 5, 4)}.items()
            for f, s in zip(("s1_assets", "s1_outward", "s6_data"), scores, strict=True)]
    factors, steps = aggregate_scores(validate_scores(rows))
    row = factors.set_index("factor").loc["s1_assets"]
    assert (row["n"], row["mean"], row["median"], row["min"], row["max"]) == (3, 3.0, 3.0, 2, 4)
    assert row["std"] == pytest.approx(1.0)
    assert factors.set_index("factor").loc["s2_body", "n"] == 0
    by_step = steps.set_index("step")
    assert by_step.at[1, "mean"] == pytest.approx((3.0 + 3.0) / 2)
    assert by_step.at[6, "mean"] == pytest.approx(4.0)
    assert math.isnan(by_step.at[3, "mean"]) and by_step.at[1, "n_participants"] == 3


def test_wide_scores_are_accepted():
    wide = pd.DataFrame({"participant": ["P1", "P2"], "s2_helix": [1, ""],
                         "s5_plan": ["4", "5"]})
    long = validate_scores(wide)
    assert sorted(zip(long["participant"], long["factor"], long["score"], strict=True)) == [
        ("P1", "s2_helix", 1), ("P1", "s5_plan", 4), ("P2", "s5_plan", 5)]


@pytest.mark.parametrize("rows, message", [
    ([{"participant": "P1", "factor": "s9_magic", "score": 3}], "unknown factor 's9_magic'"),
    ([{"participant": "P1", "factor": "s1_assets", "score": 6}], "integer from 0 to 5, got 6"),
    ([{"participant": "P1", "factor": "s1_assets", "score": 2.5}], "integer from 0 to 5"),
    ([{"participant": "P1", "factor": "s1_assets", "score": "high"}], "got 'high'"),
    ([{"participant": "", "factor": "s1_assets", "score": 2}], "participant label"),
    ([{"participant": "P1", "factor": "s1_assets", "score": 2}] * 2, "scored 's1_assets' twice"),
    ([], "participant"),
])
def test_bad_scores_are_refused(rows, message):
    with pytest.raises(AssessmentError, match=message):
        validate_scores(rows, origin="workshop.csv")


def test_spider_chart_draws_one_closed_trace_per_assessment():
    chart = spider_chart({"2025-03-14": {1: 3.0, 2: 2.0, 3: 3.5, 4: 4.0, 5: 2.0, 6: 1.0},
                          "2026-03-13": {1: 3.2, 2: 3.0, 3: 3.5, 4: 4.0, 5: 3.0, 6: 2.5}})
    traces = chart.figure.data
    assert [t.type for t in traces] == ["scatterpolar", "scatterpolar"]
    assert traces[1].fill == "toself" and traces[0].fill == "none"
    assert traces[1].r[0] == traces[1].r[-1] == 3.2 and len(traces[1].theta) == 7
    assert chart.figure.layout.polar.radialaxis.range == (0, 5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(FACTORS)), st.integers(0, 5)), min_size=1,
                max_size=30, unique_by=lambda t: t[0]))
def test_step_means_stay_within_the_scale(items):
    rows = [{"participant": "P1", "factor": f, "score": s} for f, s in items]
    factors, steps = aggregate_scores(validate_scores(rows))
    means = steps["mean"].dropna()
    assert ((means >= 0) & (means <= 5)).all()
    assert factors["n"].sum() == len(items)
    by_factor = factors.set_index("factor")["mean"]
    assert all(by_factor[f] == s for f, s in items)  # one participant: the mean is the score
    step_of = {f: FACTORS[f].step for f, _ in items}
    for step, mean in steps.set_index("step")["mean"].dropna().items():
        mine = [s for f, s in items if step_of[f] == step]
        assert np.isclose(mean, np.mean(mine))
