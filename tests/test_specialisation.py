"""Tests for smartspec.evidence.specialisation (hand-computed values, identities, invariances)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from smartspec.evidence._matrix import LabelledSparse
from smartspec.evidence.specialisation import specialisation_indices

HIER = {"A1": "A", "A2": "A", "B1": "B"}


@pytest.fixture
def x() -> pd.DataFrame:
    # r1 shares (.5, .5, 0); r2 shares (.25, .25, .5); reference (3, 3, 2) / 8.
    return pd.DataFrame({"A1": [2, 1], "A2": [2, 1], "B1": [0, 2]},
                        index=pd.Index(["r1", "r2"], name="region"))


def test_hand_computed_values(x: pd.DataFrame) -> None:
    out = specialisation_indices(x, HIER)
    assert list(out.columns) == ["krugman", "hoover", "hhi", "entropy", "unrelated_variety",
                                 "related_variety"]
    assert out.index.equals(x.index)
    # r1: |.5-.375| + |.5-.375| + |0-.25| = .5 ; r2: .125 + .125 + .25 = .5
    assert out.loc["r1", "krugman"] == pytest.approx(0.5)
    assert out.loc["r2", "krugman"] == pytest.approx(0.5)
    assert out.loc["r1", "hoover"] == pytest.approx(0.25)
    assert out.loc["r1", "hhi"] == pytest.approx(0.5)
    assert out.loc["r2", "hhi"] == pytest.approx(0.0625 + 0.0625 + 0.25)
    assert out.loc["r1", "entropy"] == pytest.approx(1.0)  # two equal shares: 1 bit
    assert out.loc["r2", "entropy"] == pytest.approx(1.5)  # .25*2*2 + .5*1
    # r1: one group (P_A = 1): UV = 0, RV = H_A = 1 bit.
    assert out.loc["r1", "unrelated_variety"] == pytest.approx(0.0)
    assert out.loc["r1", "related_variety"] == pytest.approx(1.0)
    # r2: P_A = P_B = .5 -> UV = 1; H_A = 1, H_B = 0 -> RV = .5 * 1 = .5.
    assert out.loc["r2", "unrelated_variety"] == pytest.approx(1.0)
    assert out.loc["r2", "related_variety"] == pytest.approx(0.5)


def test_three_groups_hand_computed() -> None:
    # shares (.4, .1, .1, .4) over groups G1 = {a, b}, G2 = {c}, G3 = {d}
    x = pd.DataFrame([[4, 1, 1, 4]], index=["r"], columns=list("abcd"))
    out = specialisation_indices(x, {"a": 1, "b": 1, "c": 2, "d": 3}, base=math.e)
    p = np.array([0.4, 0.1, 0.1, 0.4])
    assert out.loc["r", "entropy"] == pytest.approx(-(p * np.log(p)).sum())
    big_p = np.array([0.5, 0.1, 0.4])
    assert out.loc["r", "unrelated_variety"] == pytest.approx(-(big_p * np.log(big_p)).sum())
    rv = 0.5 * (0.8 * math.log(1 / 0.8) + 0.2 * math.log(1 / 0.2))
    assert out.loc["r", "related_variety"] == pytest.approx(rv)
    # a single region is its own reference
    assert out.loc["r", "krugman"] == pytest.approx(0.0, abs=1e-12)


def test_reference_series(x: pd.DataFrame) -> None:
    ref = pd.Series({"A1": 1.0, "A2": 1.0, "B1": 2.0, "Z9": 100.0})  # Z9 not in x: ignored
    out = specialisation_indices(x, reference=ref)
    # reference shares (.25, .25, .5): r1 -> .25 + .25 + .5 = 1 ; r2 identical -> 0
    assert out.loc["r1", "krugman"] == pytest.approx(1.0)
    assert out.loc["r1", "hoover"] == pytest.approx(0.5)
    assert out.loc["r2", "krugman"] == pytest.approx(0.0, abs=1e-12)
    assert specialisation_indices(x, reference=dict(ref)).equals(out)
    assert "unrelated_variety" not in out.columns


def test_reference_errors(x: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="B1"):
        specialisation_indices(x, reference=pd.Series({"A1": 1.0, "A2": 1.0}))
    with pytest.raises(ValueError, match="A2"):
        specialisation_indices(x, reference=pd.Series({"A1": 1.0, "A2": -1.0, "B1": 1.0}))
    with pytest.raises(ValueError, match="sum to zero"):
        specialisation_indices(x, reference=pd.Series({"A1": 0.0, "A2": 0.0, "B1": 0.0}))
    with pytest.raises(TypeError):
        specialisation_indices(x, reference=[1.0, 2.0, 3.0])


def test_base_rescales_entropies(x: pd.DataFrame) -> None:
    bits = specialisation_indices(x, HIER)
    nats = specialisation_indices(x, HIER, base=np.e)
    for col in ("entropy", "unrelated_variety", "related_variety"):
        np.testing.assert_allclose(nats[col], bits[col] * math.log(2), atol=1e-12)
    for col in ("krugman", "hoover", "hhi"):
        np.testing.assert_allclose(nats[col], bits[col])
    for bad in (1, 0, -2, np.inf):
        with pytest.raises(ValueError, match="base"):
            specialisation_indices(x, base=bad)


def test_zero_total_region_gives_nan_row(x: pd.DataFrame) -> None:
    x2 = pd.concat([x, pd.DataFrame({"A1": [0], "A2": [0], "B1": [0]}, index=["r0"])])
    out = specialisation_indices(x2, HIER)
    assert out.loc["r0"].isna().all()
    # the empty region does not change the others (it adds nothing to the reference)
    pd.testing.assert_frame_equal(out.loc[["r1", "r2"]], specialisation_indices(x, HIER),
                                  check_names=False)
    all_empty = specialisation_indices(x * 0)
    assert all_empty.isna().all().all()


def test_hierarchy_errors_and_forms(x: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"2 activities .*A2, B1"):
        specialisation_indices(x, {"A1": "A", "Z": "Z"})
    with pytest.raises(ValueError, match="B1"):
        specialisation_indices(x, pd.Series({"A1": "A", "A2": "A", "B1": None}))
    with pytest.raises(TypeError):
        specialisation_indices(x, ["A", "A", "B"])
    by_dict = specialisation_indices(x, HIER)
    pd.testing.assert_frame_equal(specialisation_indices(x, pd.Series(HIER)), by_dict)
    pd.testing.assert_frame_equal(specialisation_indices(x, lambda code: code[0]), by_dict)
    # one activity per group: UV = entropy, RV = 0
    flat = specialisation_indices(x, {c: c for c in x.columns})
    np.testing.assert_allclose(flat["unrelated_variety"], flat["entropy"])
    np.testing.assert_allclose(flat["related_variety"], 0.0, atol=1e-12)


def test_bad_input_names_region_and_activity(x: pd.DataFrame) -> None:
    bad = x.astype(float)
    bad.loc["r2", "A2"] = -1.0
    with pytest.raises(ValueError, match=r"r2.*A2|A2.*r2"):
        specialisation_indices(bad)
    nan = x.astype(float)
    nan.loc["r1", "B1"] = np.nan
    with pytest.raises(ValueError, match="r1"):
        specialisation_indices(nan)
    out = specialisation_indices(nan, missing="zero")
    pd.testing.assert_frame_equal(out, specialisation_indices(x))
    with pytest.raises(ValueError, match="non-numeric"):
        specialisation_indices(x.astype(str))


def test_sparse_input_matches_dense() -> None:
    rng = np.random.default_rng(0)
    dense = rng.integers(0, 5, size=(30, 12)) * (rng.random((30, 12)) < 0.4)
    dense[3] = 0  # an empty region
    frame = pd.DataFrame(dense, index=[f"R{i}" for i in range(30)],
                         columns=[f"{'ABC'[j % 3]}{j}" for j in range(12)])
    ls = LabelledSparse(sp.csr_array(dense.astype(float)), frame.index, frame.columns)
    hier = {c: c[0] for c in frame.columns}
    pd.testing.assert_frame_equal(specialisation_indices(ls, hier),
                                  specialisation_indices(frame, hier))
    np.testing.assert_allclose(specialisation_indices(sp.csr_array(dense)).to_numpy(),
                               specialisation_indices(dense).to_numpy())


positive_matrices = st.integers(2, 7).flatmap(
    lambda n: st.integers(2, 8).flatmap(
        lambda p: st.lists(st.lists(st.integers(0, 50), min_size=p, max_size=p),
                           min_size=n, max_size=n)))


def _frame(rows: list[list[int]]) -> pd.DataFrame:
    arr = np.array(rows, dtype=float)
    return pd.DataFrame(arr, index=[f"r{i}" for i in range(arr.shape[0])],
                        columns=[f"{'XY'[j % 2]}{j}" for j in range(arr.shape[1])])


@settings(max_examples=40, deadline=None)
@given(positive_matrices, st.integers(2, 3))
def test_entropy_decomposition_identity(rows: list[list[int]], n_groups: int) -> None:
    x = _frame(rows)
    hier = {c: j % n_groups for j, c in enumerate(x.columns)}
    out = specialisation_indices(x, hier)
    ok = x.sum(axis=1) > 0
    np.testing.assert_allclose(out.loc[ok, "entropy"],
                               out.loc[ok, "unrelated_variety"] + out.loc[ok, "related_variety"],
                               atol=1e-10)
    assert out.loc[~ok].isna().all().all()
    # bounds
    p = x.shape[1]
    sub = out.loc[ok]
    assert (sub["hhi"] >= 1 / p - 1e-12).all() and (sub["hhi"] <= 1 + 1e-12).all()
    assert (sub["entropy"] >= -1e-12).all() and (sub["entropy"] <= math.log2(p) + 1e-12).all()
    assert (sub["krugman"] >= 0).all() and (sub["krugman"] < 2).all()
    assert (sub["related_variety"] >= -1e-12).all()


@settings(max_examples=40, deadline=None)
@given(positive_matrices, st.floats(0.01, 1000), st.randoms(use_true_random=False))
def test_permutation_equivariance_and_scale_invariance(rows: list[list[int]], c: float,
                                                       rnd) -> None:
    x = _frame(rows)
    hier = {col: col[0] for col in x.columns}
    out = specialisation_indices(x, hier)
    r_perm = list(x.index)
    c_perm = list(x.columns)
    rnd.shuffle(r_perm)
    rnd.shuffle(c_perm)
    permuted = specialisation_indices(x.loc[r_perm, c_perm], hier)
    assert list(permuted.index) == r_perm
    pd.testing.assert_frame_equal(permuted.loc[list(x.index)], out, atol=1e-12, rtol=1e-9)
    # invariant to a common scale, and (for all but krugman/hoover) to a per-region scale
    pd.testing.assert_frame_equal(specialisation_indices(x * c, hier), out,
                                  atol=1e-12, rtol=1e-9)
    row_scale = np.linspace(0.5, 3.0, len(x))
    scaled = specialisation_indices(x.mul(row_scale, axis=0), hier)
    cols = ["hhi", "entropy", "unrelated_variety", "related_variety"]
    pd.testing.assert_frame_equal(scaled[cols], out[cols], atol=1e-12, rtol=1e-9)
