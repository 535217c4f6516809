"""item_summary (the live workshop's aggregation) agrees with merge_stakeholder_scores."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from smartspec.discovery.stakeholders import item_summary, merge_stakeholder_scores

ITEMS = ["C10", "C26", "C28", "M72"]

score_rows = st.lists(st.tuples(st.sampled_from([f"s{i}" for i in range(6)]),
                                st.sampled_from(ITEMS), st.integers(1, 5), st.integers(1, 5)),
                      max_size=24)
data_scores = st.lists(st.one_of(st.none(), st.floats(0, 1)), min_size=len(ITEMS),
                       max_size=len(ITEMS))


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(rows=score_rows, data=data_scores, threshold=st.sampled_from([0.0, 0.1, 0.25, 0.5]))
def test_item_summary_matches_the_frame_aggregation(rows, data, threshold):
    unique = {(h, a): (h, a, c, o) for h, a, c, o in rows}  # one score per stakeholder and item
    table = pd.DataFrame(list(unique.values()),
                         columns=["stakeholder", "activity", "capacity", "opportunity"])
    cands = pd.DataFrame({"score": [math.nan if v is None else v for v in data]},
                         index=pd.Index(ITEMS, name="activity"))
    merged = merge_stakeholder_scores(cands, table, threshold=threshold) if len(table) else None
    for item, value in zip(ITEMS, data, strict=True):
        mine = [(h, c, o) for h, a, c, o in unique.values() if a == item]
        got = item_summary(mine, value, threshold=threshold)
        if merged is None or not mine:
            assert got["n_stakeholders"] == 0 and not got["disagreement"]
            assert math.isnan(got["stakeholder_score"])
            continue
        row = merged.loc[item]
        assert got["n_stakeholders"] == int(row["n_stakeholders"])
        for key in ("capacity_mean", "capacity_sd", "opportunity_mean", "opportunity_sd",
                    "stakeholder_score", "stakeholder_sd", "score_difference"):
            assert _same(float(got[key]), float(row[key])), (item, key, got[key], row[key])
        assert got["disagreement"] == bool(row["disagreement"])


def test_item_summary_by_hand():
    got = item_summary([("ana", 5, 5), ("ben", 1, 3)], 0.2)
    assert got["capacity_mean"] == 3 and got["opportunity_mean"] == 4
    assert got["stakeholder_score"] == (1.0 + 0.25) / 2
    assert math.isclose(got["score_difference"], 0.625 - 0.2)
    assert got["disagreement"] and got["n_stakeholders"] == 2
    lone = item_summary([("ana", 3, 3)], None)
    assert math.isnan(lone["capacity_sd"]) and not lone["disagreement"]
