"""The viability and competitiveness check: each rule and the status it triggers."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from smartspec.monitoring import (
    DEFAULT_RULES,
    DiscoveryRun,
    Indicator,
    TAData,
    WorkspaceData,
    check,
    check_all,
    configure_rules,
    discovery_standing,
)

TODAY = dt.date(2026, 6, 30)
HEALTHY = {
    "rca": {2013: 1.4, 2014: 1.5, 2015: 1.45, 2016: 1.5, 2017: 1.6},
    "density": {2013: 0.40, 2014: 0.41, 2015: 0.40, 2016: 0.42, 2017: 0.43},
    "global_growth": {2014: 0.01, 2015: 0.012, 2016: 0.015, 2017: 0.02},
}


def _budget(baseline: float = 0.0, target: float = 1_000_000.0) -> Indicator:
    return Indicator("budget_committed", "output", "Budget committed", "EUR",
                     baseline_value=baseline, baseline_year=2024, target_value=target,
                     target_year=2028)


def _ta(**changes) -> TAData:
    base = TAData("C25", "Metal products", indicators={"budget_committed": _budget()},
                  observations={**HEALTHY, "budget_committed": {2024: 0.0, 2026: 500_000.0}},
                  critical_mass_due=dt.date(2029, 12, 31),
                  helix_baseline=frozenset({"industry", "academia", "government"}),
                  helix_current=frozenset({"industry", "academia", "government"}),
                  context_code="C")
    return replace(base, **changes)


def _ws(ta: TAData, discovery: DiscoveryRun | None = None) -> WorkspaceData:
    return WorkspaceData("demo", tas={ta.activity: ta}, discovery=discovery, today=TODAY)


def _reasons(result, rule):
    return [r for r in result.reasons if r.rule == rule]


def _status(result, rule) -> str:
    found = _reasons(result, rule)
    assert len(found) == 1, found
    return found[0].status


def test_a_healthy_ta_is_green_and_every_rule_says_why():
    res = check(_ws(_ta()), "C25", as_of=2026)
    assert res.status == "green" and res.problems == []
    assert {r.rule for r in res.reasons} >= {"rca_below_one", "rca_falling", "density_falling",
                                             "declining_globally", "output_behind_target",
                                             "critical_mass_late", "helix_lost"}
    assert _status(res, "discovery_rank") == "unknown"  # no discovery re-run given
    assert res.summary == "green: no problem found"
    assert res.to_dict()["reasons"][0]["rule"] == "rca_below_one"


def test_rca_below_one_is_red():
    obs = {**HEALTHY, "rca": {2016: 1.1, 2017: 0.9}}
    res = check(_ws(_ta(observations=obs)), "C25", as_of=2026)
    assert _status(res, "rca_below_one") == "red" and res.status == "red"
    reason = _reasons(res, "rca_below_one")[0]
    assert "RCA 0.90 in 2017 has fallen below 1 (baseline 1.10 in 2016)" in reason.message
    assert reason.evidence["rca"] == 0.9 and reason.evidence["year"] == 2017
    # a TA that was never specialised (diversification) is amber, not red
    rca = Indicator("rca", "context", "RCA", "ratio", baseline_value=0.7, baseline_year=2015,
                    computed=True)
    never = check(_ws(_ta(indicators={"rca": rca}, observations=obs)), "C25", as_of=2026)
    assert _status(never, "rca_below_one") == "amber"
    assert "as it was at the baseline (0.70 in 2015): the region is not (yet) specialised" \
        in never.summary


def test_rca_that_keeps_falling_is_amber():
    obs = {**HEALTHY, "rca": {2014: 2.0, 2015: 1.9, 2016: 1.7, 2017: 1.6}}
    res = check(_ws(_ta(observations=obs)), "C25", as_of=2026)
    assert _status(res, "rca_falling") == "amber" and res.status == "amber"
    assert "fell 3 years in a row, from 2.00 (2014) to 1.60 (2017)" in res.summary
    # one rise in the window breaks the run
    obs["rca"][2016] = 2.1
    assert _status(check(_ws(_ta(observations=obs)), "C25", 2026), "rca_falling") == "green"


def test_dropping_density_is_amber():
    obs = {**HEALTHY, "density": {2014: 0.40, 2015: 0.39, 2016: 0.36, 2017: 0.35}}
    res = check(_ws(_ta(observations=obs)), "C25", as_of=2026)
    assert _status(res, "density_falling") == "amber"
    assert _reasons(res, "density_falling")[0].evidence["change"] == pytest.approx(-0.125)


def test_an_activity_declining_globally_is_amber():
    obs = {**HEALTHY, "global_growth": {2015: -0.01, 2016: -0.02, 2017: -0.01}}
    res = check(_ws(_ta(observations=obs)), "C25", as_of=2026)
    assert _status(res, "declining_globally") == "amber"
    assert "C (data aggregate of C25) is declining in all regions" in res.summary


@pytest.mark.parametrize("value, status", [
    (500_000.0, "green"),    # on the path (expected 500,000 in 2026)
    (400_000.0, "amber"),    # 80 % of the planned progress
    (200_000.0, "red"),      # 40 %: below red_below
])
def test_output_behind_its_target_path(value, status):
    obs = {**HEALTHY, "budget_committed": {2024: 0.0, 2026: value}}
    res = check(_ws(_ta(observations=obs)), "C25", as_of=2026)
    assert _status(res, "output_behind_target") == status
    assert _reasons(res, "output_behind_target")[0].evidence["expected"] == pytest.approx(5e5)


def test_output_without_observation_or_past_its_target_year():
    res = check(_ws(_ta(observations=HEALTHY)), "C25", as_of=2026)
    assert _status(res, "output_behind_target") == "amber"
    assert "no observation since the baseline (2024)" in res.summary
    obs = {**HEALTHY, "budget_committed": {2028: 900_000.0}}
    late = check(_ws(_ta(observations=obs)), "C25", as_of=2029)
    assert _status(late, "output_behind_target") == "red"
    assert "target 1,000,000 for 2028 missed" in late.summary
    obs["budget_committed"] = {2028: 1_000_000.0}
    assert _status(check(_ws(_ta(observations=obs)), "C25", 2029),
                   "output_behind_target") == "green"
    # "lower is better" targets work the same way
    down = Indicator("budget_committed", "output", "Waiting time", "count", direction="lower",
                     baseline_value=10, baseline_year=2024, target_value=2, target_year=2028)
    obs["budget_committed"] = {2026: 9.0}
    res = check(_ws(_ta(indicators={"budget_committed": down}, observations=obs)), "C25", 2026)
    assert _status(res, "output_behind_target") == "red"  # 1 of the 4 units due by 2026


def test_critical_mass_not_reached_by_the_planned_date_is_red():
    obs = {**HEALTHY, "critical_mass_ratio": {2015: 0.7, 2025: 0.85}}
    late = _ta(observations=obs, critical_mass_due=dt.date(2025, 12, 31))
    res = check(_ws(late), "C25", as_of=2026)
    assert _status(res, "critical_mass_late") == "red"
    assert "not reached by the planned date 2025-12-31 (ratio 0.85 in 2025)" in res.summary
    soon = _ta(observations=obs, critical_mass_due=dt.date(2027, 3, 31))
    assert _status(check(_ws(soon), "C25", 2026), "critical_mass_late") == "amber"
    reached = {**obs, "critical_mass_ratio": {2025: 1.05}}
    assert _status(check(_ws(_ta(observations=reached, critical_mass_due=dt.date(2025, 1, 1))),
                         "C25", 2026), "critical_mass_late") == "green"
    assert _status(check(_ws(_ta(critical_mass_due=None)), "C25", 2026),
                   "critical_mass_late") == "unknown"


def test_a_consortium_that_lost_a_helix_type_is_amber():
    res = check(_ws(_ta(helix_current=frozenset({"industry", "government"}))), "C25", 2026)
    assert _status(res, "helix_lost") == "amber"
    assert "lost its academia partner" in res.summary
    gone = check(_ws(_ta(helix_current=None)), "C25", 2026)
    assert _status(gone, "helix_lost") == "amber"
    assert "no consortium any more" in gone.summary


def _run(ranks: dict[str, int], reference: dict[str, int] | None) -> DiscoveryRun:
    frame = lambda r: pd.DataFrame({"rank": r, "label": {k: f"label {k}" for k in r},  # noqa
                                    "score": {k: 1 - v / 100 for k, v in r.items()}})
    return DiscoveryRun(current=frame(ranks), reference=None if reference is None
                        else frame(reference), year=2017, reference_year=2015)


def test_discovery_rank_says_who_overtook_the_ta():
    now = {"C22": 1, "C28": 2, "C25": 3, "C16": 4}
    then = {"C25": 1, "C22": 2, "C28": 5}
    st = discovery_standing(_run(now, then), "C25", top_k=2)
    assert (st.rank, st.reference_rank, st.still_selected) == (3, 1, False)
    assert [o["activity"] for o in st.overtaken_by] == ["C22", "C28"]
    assert st.ahead == ("C22", "C28")
    res = check(_ws(_ta(top_k=2), _run(now, then)), "C25", 2026)
    assert _status(res, "discovery_rank") == "amber"
    assert "ranks C25 3 (was 1) of 4: outside the top 2; overtaken by C22 (now 1, was 2)" \
        in res.summary
    # within the default top 10: still selected, green
    assert _status(check(_ws(_ta(), _run(now, then)), "C25", 2026), "discovery_rank") == "green"
    # no longer a candidate at all
    gone = check(_ws(_ta(), _run({"C22": 1}, then)), "C25", 2026)
    assert _status(gone, "discovery_rank") == "amber"
    assert "no longer among the 1 candidates" in gone.summary
    # without a reference ranking, nobody is said to have overtaken it
    assert discovery_standing(_run(now, None), "C25").overtaken_by == ()


def test_rules_are_configurable_globally_and_per_ta():
    obs = {**HEALTHY, "rca": {2015: 1.2, 2016: 1.1, 2017: 1.05}}
    strict = configure_rules({"rca_falling": {"years": 2, "status": "red"},
                              "discovery_rank": False})
    res = check(_ws(_ta(observations=obs)), "C25", 2026, strict)
    assert _status(res, "rca_falling") == "red"
    assert not _reasons(res, "discovery_rank")
    # the default needs 3 falling years
    assert _status(check(_ws(_ta(observations=obs)), "C25", 2026), "rca_falling") == "unknown"
    # per-TA overrides of the monitoring plan
    per_ta = _ta(observations=obs, rule_overrides={"rca_below_one": {"threshold": 1.1}})
    assert _status(check(_ws(per_ta), "C25", 2026), "rca_below_one") == "red"
    assert DEFAULT_RULES["rca_falling"].params["years"] == 3  # defaults untouched


@pytest.mark.parametrize("overrides, message", [
    ({"rca_sinking": {}}, "unknown rule 'rca_sinking'"),
    ({"rca_falling": {"months": 3}}, "has no parameter 'months'"),
    ({"rca_falling": {"years": 0}}, "must be a positive integer"),
    ({"rca_below_one": {"threshold": "one"}}, "must be a number"),
    ({"helix_lost": {"status": "purple"}}, "status must be 'amber' or 'red'"),
])
def test_bad_rule_configuration_is_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        configure_rules(overrides)


def test_observations_after_as_of_are_ignored():
    obs = {**HEALTHY, "rca": {2016: 1.2, 2017: 1.1, 2019: 0.8}}
    assert _status(check(_ws(_ta(observations=obs)), "C25", 2018), "rca_below_one") == "green"
    assert _status(check(_ws(_ta(observations=obs)), "C25", 2019), "rca_below_one") == "red"


def test_nothing_to_check_is_amber_not_green():
    empty = TAData("C25")
    res = check(WorkspaceData("w", tas={"C25": empty}, today=TODAY), "C25", 2026)
    assert res.status == "amber"
    assert res.reasons[-1].rule == "nothing_checked"
    with pytest.raises(KeyError, match="TA 'C99' is not in workspace 'w'"):
        check(WorkspaceData("w", tas={"C25": empty}), "C99")


def test_check_all_covers_every_ta():
    ws = WorkspaceData("w", tas={"C25": _ta(), "C22": _ta(activity="C22")}, today=TODAY)
    results = check_all(ws, 2026)
    assert list(results) == ["C25", "C22"]
    assert all(r.status == "green" for r in results.values())
