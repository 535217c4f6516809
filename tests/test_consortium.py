"""Consortium builder: MILP against brute force, infeasibility diagnosis, inputs."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pandas as pd
import pytest

from smartspec.strategy.actors import HELIX, Actor, actors_frame, demo_actors
from smartspec.strategy.consortium import (
    ConsortiumInfeasible,
    build_consortium,
    coverage_matrix,
)

TYPES = ["firm", "university", "public_authority", "civil_society", "research_organisation",
         "cluster_organisation", "finance"]
REGIONS = ["AT31", "AT312", "DE21", "DE27", "ITC4"]


def brute_force(actors, reqs, *, size, required_helix, max_external=None, home=None,
                partners=None, budget=None, cost=None, min_capacity=None, capacity=None,
                drop=()):
    """(best objective, fewest members among optimal subsets) or (None, None)."""
    a = coverage_matrix(actors, list(reqs)).to_numpy()
    w = np.array(list(reqs.values()))
    best, fewest = None, None
    for k in range(len(actors) + 1):
        if ("size_min" not in drop and k < size[0]) or ("size_max" not in drop and k > size[1]):
            continue
        for subset in itertools.combinations(range(len(actors)), k):
            members = [actors[i] for i in subset]
            if home is not None:
                ext = [not m.region.startswith(home) for m in members]
                if "regions" not in drop and partners is not None and any(
                        e and not any(m.region.startswith(p) for p in partners)
                        for e, m in zip(ext, members, strict=True)):
                    continue
                if (max_external is not None and "max_external" not in drop
                        and sum(ext) > max_external):
                    continue
            if any(f"helix:{h}" not in drop and not any(m.helix == h for m in members)
                   for h in required_helix):
                continue
            if budget is not None and "budget" not in drop and \
                    sum(cost[i] for i in subset) > budget + 1e-9:
                continue
            if min_capacity is not None and "min_capacity" not in drop and \
                    sum(capacity[i] for i in subset) < min_capacity - 1e-9:
                continue
            covered = a[list(subset)].sum(axis=0) > 0 if subset else np.zeros(len(w), bool)
            value = float(w[covered].sum())
            if best is None or value > best + 1e-9:
                best, fewest = value, k
            elif abs(value - best) <= 1e-9:
                fewest = min(fewest, k)
    return best, fewest


def random_case(rng: random.Random):
    n = rng.randint(3, 9)
    m = rng.randint(1, 6)
    caps = [f"cap{j}" for j in range(m)]
    actors = []
    for i in range(n):
        held = [c for c in caps if rng.random() < 0.35]
        actors.append(Actor(f"actor {i}", rng.choice(TYPES), rng.choice(REGIONS),
                            technologies=held, size=rng.randint(0, 50)))
    reqs = {c: float(rng.choice([1, 1, 2, 3, 0.5, 2.5])) for c in caps}
    smin = rng.randint(1, 4)
    kw = {
        "size": (smin, smin + rng.randint(0, 4)),
        "required_helix": tuple(h for h in ("industry", "academia", "government")
                                if rng.random() < 0.5),
    }
    if rng.random() < 0.6:
        kw["home_region"] = "AT31"
        kw["max_external"] = rng.choice([None, 0, 1, 2])
        kw["partner_regions"] = rng.choice([None, ["DE21"], ["DE21", "DE27"], []])
    cost = [float(rng.randint(1, 20)) for _ in range(n)]
    if rng.random() < 0.4:
        kw["cost"] = cost
        kw["budget"] = float(rng.randint(5, 60))
    capacity = [a.size for a in actors]
    if rng.random() < 0.3:
        kw["min_capacity"] = float(rng.randint(10, 120))
    return actors, reqs, kw, cost, capacity


def test_milp_matches_brute_force_on_random_cases():
    rng = random.Random(20240611)
    n_feasible = n_infeasible = 0
    for _ in range(250):
        actors, reqs, kw, cost, capacity = random_case(rng)
        bf_kw = dict(size=kw["size"], required_helix=kw["required_helix"],
                     max_external=kw.get("max_external"), home=kw.get("home_region"),
                     partners=kw.get("partner_regions"), budget=kw.get("budget"), cost=cost,
                     min_capacity=kw.get("min_capacity"), capacity=capacity)
        best, fewest = brute_force(actors, reqs, **bf_kw)
        if best is None:
            n_infeasible += 1
            with pytest.raises(ConsortiumInfeasible) as err:
                build_consortium(actors, reqs, **kw)
            # every constraint named as the culprit really is one
            for name in err.value.constraints:
                assert brute_force(actors, reqs, **bf_kw, drop=(name,))[0] is not None, name
            assert err.value.reasons
            continue
        n_feasible += 1
        res = build_consortium(actors, reqs, **kw)
        assert res.status == "optimal"
        assert res.objective == pytest.approx(best, abs=1e-6)
        assert len(res.members) == fewest          # fewest members among optimal consortia
        assert res.coverage == pytest.approx(best / sum(reqs.values()))
        # the returned consortium satisfies the constraints
        assert kw["size"][0] <= len(res.members) <= kw["size"][1]
        for h in kw["required_helix"]:
            assert any(m.helix == h for m in res.members)
        if kw.get("max_external") is not None:
            assert len(res.external) <= kw["max_external"]
        if kw.get("budget") is not None:
            assert res.total_cost <= kw["budget"] + 1e-9
    assert n_feasible > 50 and n_infeasible > 20   # both branches exercised


def test_coverage_semantics():
    actors = [
        Actor("A", "firm", "AT31", activities=["C2841"], skills=["Welding"]),
        Actor("B", "university", "AT31", technologies=["Digital Twins"]),
    ]
    cov = coverage_matrix(actors, ["C28", "28.41", "C2842", "welding", "digital twins", "C"])
    assert cov.to_numpy().tolist() == [[1, 1, 0, 1, 0, 1], [0, 0, 0, 0, 1, 0]]


def test_demo_consortium():
    actors = demo_actors()
    reqs = {"C28": 3, "C26": 1, "J62": 1, "M72": 2, "collaborative robots": 1}
    res = build_consortium(actors, reqs, size=(3, 6), home_region="AT31",
                           partner_regions=["DE21", "DE27"], max_external=1)
    assert res.coverage == 1.0 and res.uncovered == []
    assert res.by_helix["industry"] >= 1 and res.by_helix["academia"] >= 1
    assert res.by_helix["government"] >= 1
    assert all(m.region in ("AT31", "DE21", "DE27") for m in res.members)
    assert len(res.external) <= 1


def test_dataframe_candidates_with_cost_column():
    actors = demo_actors()[:12]
    frame = actors_frame(actors).assign(cost=[float(10 + i) for i in range(12)])
    res = build_consortium(frame, ["C28", "C22"], size=(1, 3), required_helix=(),
                           budget=100, cost="cost")
    assert res.coverage == 1.0
    # no demo actor holds both; the cheapest covering pair is actors 0 (C28) and 2 (C22)
    assert [m.name for m in res.members] == [actors[0].name, actors[2].name]
    assert res.total_cost == 22.0


def test_scores_break_ties():
    actors = [Actor("A", "firm", "AT31", technologies=["x"]),
              Actor("B", "firm", "AT31", technologies=["x"])]
    pick = build_consortium(actors, ["x"], size=(1, 2), required_helix=(),
                            scores={"A": 0.1, "B": 0.9})
    assert [m.name for m in pick.members] == ["B"]
    pick = build_consortium(actors, ["x"], size=(1, 2), required_helix=(),
                            scores=[0.9, 0.1])
    assert [m.name for m in pick.members] == ["A"]


# ---------------------------------------------------------------------------------------------
# infeasibility diagnosis, one constraint at a time
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def pool() -> list[Actor]:
    return [
        Actor("F1", "firm", "AT31", technologies=["a"], size=20),
        Actor("F2", "firm", "AT31", technologies=["b"], size=30),
        Actor("U1", "university", "AT31", technologies=["c"], size=400),
        Actor("G1", "public_authority", "AT31", size=10),
        Actor("F3", "firm", "DE21", technologies=["d"], size=50),
        Actor("U2", "university", "DE21", technologies=["d"], size=300),
        Actor("G2", "public_authority", "ITC4", size=5),
    ]


def diagnose(pool, **kw) -> ConsortiumInfeasible:
    with pytest.raises(ConsortiumInfeasible) as err:
        build_consortium(pool, ["a", "b", "c", "d"], **kw)
    return err.value


def test_infeasible_size_minimum(pool):
    err = diagnose(pool, size=(6, 8), home_region="AT31", partner_regions=["DE21"],
                   max_external=1)
    assert err.constraints == ["size_min", "max_external"]
    assert "size minimum 6 exceeds the 5 actors that can be selected (4 from the home region " \
           "plus at most 1 from outside)" in str(err)


def test_infeasible_size_maximum(pool):
    err = diagnose(pool, size=(1, 2))
    assert "size maximum 2 is smaller than the 3 required helix types" in str(err)
    assert "size_max" in err.constraints


def test_infeasible_missing_helix(pool):
    err = diagnose(pool, required_helix=("industry", "civil_society"))
    assert err.constraints == ["helix:civil_society"]
    assert "no actor of helix 'civil_society' is available among the candidates" in str(err)
    err = diagnose(pool[:3] + pool[4:], home_region="AT31", partner_regions=["DE21"])
    assert "no actor of helix 'government' is available within the allowed regions (home " \
           "AT31; partners: DE21) (1 outside them)" in str(err)
    assert set(err.constraints) == {"helix:government", "regions"}


def test_infeasible_external_limit(pool):
    local = [a for a in pool if a.region == "AT31" and a.helix != "academia"]
    err = diagnose(local + pool[4:], home_region="AT31", max_external=0)
    assert "actors of helix 'academia' exist only outside the home region, but max_external " \
           "is 0" in str(err)
    assert "max_external" in err.constraints


def test_infeasible_budget(pool):
    cost = {"F1": 5, "F2": 5, "U1": 50, "G1": 5, "F3": 5, "U2": 40, "G2": 1}
    err = diagnose(pool, budget=30, cost=cost)
    # dropping the budget, or the need for a (costly) university, makes it feasible
    assert err.constraints == ["helix:academia", "budget"]
    assert "budget 30 is below the cheapest consortium that meets the other constraints (46)" \
        in str(err)


def test_infeasible_capacity(pool):
    err = diagnose(pool, size=(3, 3), min_capacity=1000)
    assert "min_capacity" in err.constraints
    assert "minimum capacity 1,000 exceeds the largest capacity a consortium meeting the " \
           "other constraints can reach (460)" in str(err)


def test_infeasible_combination(pool):
    # each constraint alone is satisfiable; budget and capacity together are not
    cost = {a.name: float(a.size) for a in pool}
    err = diagnose(pool, size=(3, 4), budget=400, cost=cost, min_capacity=420)
    assert err.constraints == ["budget", "min_capacity"]
    assert "budget 400 is below the cheapest consortium that meets the other constraints " \
           "(425)" in str(err)
    assert "(390)" in str(err)


def test_infeasible_two_causes_no_single_culprit(pool):
    err = diagnose([a for a in pool if a.helix == "industry"],
                   required_helix=("industry", "academia", "government"))
    assert err.constraints == []          # dropping one helix alone does not help
    assert len(err.reasons) == 2
    assert "'academia'" in err.reasons[0] and "'government'" in err.reasons[1]


def test_no_candidates():
    with pytest.raises(ConsortiumInfeasible, match="no candidate actors"):
        build_consortium([], ["a"])


@pytest.mark.parametrize("kw, message", [
    ({"size": (0, 3)}, "1 <= min <= max"),
    ({"size": (4, 3)}, "1 <= min <= max"),
    ({"required_helix": ("industry", "church")}, "unknown helix"),
    ({"budget": 10}, "needs per-actor costs"),
    ({"budget": -1, "cost": [1] * 7}, "below zero"),
    ({"max_external": 1}, "needs home_region"),
    ({"cost": [1, 2]}, "2 values for 7 candidates"),
    ({"cost": [-1] * 7, "budget": 3}, "non-negative"),
    ({"coverage": np.ones((2, 2))}, "shape"),
])
def test_parameter_validation(pool, kw, message):
    with pytest.raises(ValueError, match=message):
        build_consortium(pool, ["a", "b"], **kw)
    with pytest.raises(ValueError, match="positive"):
        build_consortium(pool, {"a": 0.0})
    with pytest.raises(ValueError, match="empty"):
        build_consortium(pool, [])


def test_helix_mapping_used(pool):
    res = build_consortium(pool, ["a"], size=(3, 3))
    assert sorted(HELIX[m.actor_type] for m in res.members) == ["academia", "government",
                                                                 "industry"]
    assert isinstance(res.covered, dict) and res.covered == {"a": True}
    frame = pd.DataFrame([m.to_dict() for m in res.members])
    assert set(frame["name"]) <= {a.name for a in pool}
