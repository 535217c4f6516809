"""Tests for smartspec.evidence.dynamics: risk sets, entry AUC, shift-share."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from smartspec.evidence._matrix import LabelledSparse
from smartspec.evidence.dynamics import EntryAUC, entries, entry_auc, exits, shift_share
from smartspec.evidence.relatedness import density, proximity

REGIONS = ["a", "b", "c"]
ACTS = ["x", "y", "z"]


def frame(rows: list[list[float]], regions=REGIONS, acts=ACTS) -> pd.DataFrame:
    return pd.DataFrame(rows, index=pd.Index(regions, name="region"), columns=acts)


@pytest.fixture
def panel() -> dict[int, pd.DataFrame]:
    return {
        2010: frame([[1, 0, 0], [0, 1, 0], [0, 0, 0]]),
        2011: frame([[1, 1, 0], [0, 0, 0], [0, 0, 1]]),
        2012: frame([[0, 1, 1], [1, 0, 0], [0, 0, 1]]),
    }


# --------------------------------------------------------------------------------------------
# entries / exits
# --------------------------------------------------------------------------------------------


def test_entries_risk_sets_hand_computed(panel) -> None:
    out = entries(panel)
    assert out.index.names == ["year", "region"]
    assert list(out.index.get_level_values("year").unique()) == [2010, 2011]
    assert list(out.columns) == ACTS
    nan = np.nan
    expected_2010 = np.array([[nan, 1, 0], [0, nan, 0], [0, 0, 1]])
    expected_2011 = np.array([[nan, nan, 1], [1, 0, 0], [0, 0, nan]])
    np.testing.assert_array_equal(out.loc[2010].to_numpy(), expected_2010)
    np.testing.assert_array_equal(out.loc[2011].to_numpy(), expected_2011)
    # entry rate over the risk set, not over all cells
    assert out.loc[2010].stack().mean() == pytest.approx(2 / 7)


def test_exits_risk_sets_hand_computed(panel) -> None:
    out = exits(panel)
    nan = np.nan
    expected_2010 = np.array([[0, nan, nan], [nan, 1, nan], [nan, nan, nan]])
    expected_2011 = np.array([[1, 0, nan], [nan, nan, nan], [nan, nan, 0]])
    np.testing.assert_array_equal(out.loc[2010].to_numpy(), expected_2010)
    np.testing.assert_array_equal(out.loc[2011].to_numpy(), expected_2011)


def test_horizon_in_years(panel) -> None:
    out = entries(panel, horizon=2)
    assert list(out.index.get_level_values("year").unique()) == [2010]
    nan = np.nan
    np.testing.assert_array_equal(out.to_numpy(), [[nan, 1, 1], [1, nan, 0], [0, 0, 1]])
    # irregular years: only pairs (t, t + h) that exist
    gappy = {2010: panel[2010], 2012: panel[2012]}
    with pytest.raises(ValueError, match=r"no pair of years \(t, t \+ 1\)"):
        entries(gappy)
    assert list(entries(gappy, horizon=2).index.get_level_values(0).unique()) == [2010]
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="horizon"):
            entries(panel, horizon=bad)


def test_multiindex_and_sparse_input_match_mapping(panel) -> None:
    long = pd.concat(panel, names=["year", "region"])
    pd.testing.assert_frame_equal(entries(long), entries(panel))
    shuffled = exits(long.sample(frac=1, random_state=1))  # labels in order of appearance
    pd.testing.assert_frame_equal(shuffled.loc[exits(panel).index], exits(panel))
    sparse = {y: LabelledSparse(sp.csr_array(f.to_numpy(dtype=float)), f.index, f.columns)
              for y, f in panel.items()}
    pd.testing.assert_frame_equal(entries(sparse), entries(panel))
    # order of years in the mapping does not matter
    pd.testing.assert_frame_equal(entries(dict(reversed(list(panel.items())))), entries(panel))


def test_panel_validation(panel) -> None:
    with pytest.raises(ValueError, match="non-binary"):
        entries({2010: panel[2010] * 2, 2011: panel[2011]})
    with pytest.raises(TypeError, match="integers"):
        entries({"2010": panel[2010], "2011": panel[2011]})
    with pytest.raises(TypeError):
        entries([panel[2010], panel[2011]])
    with pytest.raises(ValueError, match="MultiIndex"):
        entries(panel[2010])
    with pytest.raises(ValueError, match="missing"):
        entries(panel, missing="drop")
    neg = panel[2011].astype(float)
    neg.loc["b", "z"] = -1
    with pytest.raises(ValueError, match=r"m_by_year\[2011\].*\(b, z\)"):
        entries({2010: panel[2010], 2011: neg})


def test_missing_policies() -> None:
    m0 = frame([[1, 0], [0, 0]], regions=["a", "b"], acts=["x", "y"])
    m1 = frame([[1, 1], [1, 0]], regions=["a", "c"], acts=["x", "y"])  # b gone, c new
    with pytest.raises(ValueError, match=r"regions missing in 2010: c.*regions missing in 2011: b"):
        entries({2010: m0, 2011: m1})
    zero = entries({2010: m0, 2011: m1}, missing="zero").loc[2010]
    assert list(zero.index) == ["a", "b", "c"]
    np.testing.assert_array_equal(zero.to_numpy(), [[np.nan, 1], [0, 0], [1, 0]])
    excl = entries({2010: m0, 2011: m1}, missing="exclude").loc[2010]
    np.testing.assert_array_equal(excl.to_numpy(), [[np.nan, 1], [np.nan] * 2, [np.nan] * 2])
    # NaN cells: raise by default, excluded from the risk set with "exclude"
    m1n = frame([[1, np.nan], [0, 1]], regions=["a", "b"], acts=["x", "y"])
    with pytest.raises(ValueError, match=r"\(a, y\)"):
        entries({2010: m0, 2011: m1n})
    np.testing.assert_array_equal(entries({2010: m0, 2011: m1n}, missing="exclude").to_numpy(),
                                  [[np.nan, np.nan], [0, 1]])
    np.testing.assert_array_equal(entries({2010: m0, 2011: m1n}, missing="zero").to_numpy(),
                                  [[np.nan, 0], [0, 1]])


panels = st.tuples(st.integers(2, 5), st.integers(2, 5), st.integers(2, 4)).flatmap(
    lambda s: st.lists(st.lists(st.lists(st.integers(0, 1), min_size=s[1], max_size=s[1]),
                                min_size=s[0], max_size=s[0]), min_size=s[2], max_size=s[2]))


def _panel(arrs: list[list[list[int]]]) -> dict[int, pd.DataFrame]:
    arr = np.array(arrs, dtype=float)
    _, n, p = arr.shape
    return {2000 + t: pd.DataFrame(arr[t], index=[f"r{i}" for i in range(n)],
                                   columns=[f"a{j}" for j in range(p)]) for t in range(len(arr))}


@settings(max_examples=40, deadline=None)
@given(panels, st.randoms(use_true_random=False))
def test_entries_exits_partition_and_permutation(arrs, rnd) -> None:
    pnl = _panel(arrs)
    ent, ex = entries(pnl), exits(pnl)
    # every observed cell is in exactly one risk set; together they rebuild M(t + 1)
    assert (ent.isna() ^ ex.isna()).all().all()
    start = pd.concat({y: pnl[y] for y in list(pnl)[:-1]}, names=["year", "region"])
    end = pd.concat({y: pnl[y + 1] for y in list(pnl)[:-1]}, names=["year", "region"])
    rebuilt = ent.where(start.to_numpy() == 0, 1 - ex)
    np.testing.assert_array_equal(rebuilt.to_numpy(), end.to_numpy())
    # permuting regions and activities permutes the output
    regions, acts = list(pnl[2000].index), list(pnl[2000].columns)
    rnd.shuffle(regions)
    rnd.shuffle(acts)
    perm = entries({y: f.loc[regions, acts] for y, f in pnl.items()})
    assert list(perm.columns) == acts
    pd.testing.assert_frame_equal(perm.reindex(index=ent.index, columns=ent.columns), ent,
                                  check_names=False)


# --------------------------------------------------------------------------------------------
# entry AUC
# --------------------------------------------------------------------------------------------


def _reference_density(m: pd.DataFrame, phi: pd.DataFrame) -> pd.DataFrame:
    """density_ci = sum_j M_cj phi_ij / sum_j phi_ij, written out independently."""
    phi = phi.loc[m.columns, m.columns].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = m.to_numpy(dtype=float) @ phi / phi.sum(axis=0)
    return pd.DataFrame(values, index=m.index, columns=m.columns)


def _brute_auc(pnl, phi=None, horizon=1):
    """Pairwise AUC over (entry, non-entry) pairs, ties 1/2; pooled and per region."""
    pooled, per = [], {}
    for y in sorted(pnl):
        if y + horizon not in pnl:
            continue
        m0, m1 = pnl[y], pnl[y + horizon]
        ph = proximity(m0) if phi is None else phi
        d = _reference_density(m0, ph).round(12)  # equal densities tie despite rounding noise
        for r in m0.index:
            for a in m0.columns:
                if m0.loc[r, a] == 0 and np.isfinite(d.loc[r, a]):
                    cell = (d.loc[r, a], m1.loc[r, a] == 1)
                    pooled.append(cell)
                    per.setdefault(r, []).append(cell)

    def auc(cells):
        pos = [s for s, y in cells if y]
        neg = [s for s, y in cells if not y]
        if not pos or not neg:
            return np.nan
        wins = sum(1.0 if p > n else 0.5 if p == n else 0.0
                   for p, n in itertools.product(pos, neg))
        return wins / (len(pos) * len(neg))

    return auc(pooled), {r: auc(c) for r, c in per.items()}, len(pooled)


def test_density_of_relatedness_module_matches_reference() -> None:
    rng = np.random.default_rng(3)
    m = pd.DataFrame((rng.random((6, 5)) < 0.5).astype(float), index=list("abcdef"),
                     columns=list("vwxyz"))
    phi = pd.DataFrame(rng.random((5, 5)), index=m.columns, columns=m.columns)
    pd.testing.assert_frame_equal(density(m, phi), _reference_density(m, phi))


def test_auc_perfect_reversed_and_tied() -> None:
    rng = np.random.default_rng(7)
    regions = [f"r{i}" for i in range(8)]
    acts = [f"a{j}" for j in range(6)]
    m0 = pd.DataFrame((rng.random((8, 6)) < 0.4).astype(float), index=regions, columns=acts)
    phi = pd.DataFrame(rng.random((6, 6)), index=acts, columns=acts)
    d = _reference_density(m0, phi).to_numpy()
    at_risk = m0.to_numpy() == 0
    cut = np.median(d[at_risk])
    # perfect: exactly the at-risk cells with density above the median enter
    m1 = pd.DataFrame(np.where(at_risk, (d > cut).astype(float), 1.0), index=regions,
                      columns=acts)
    res = entry_auc({2000: m0, 2001: m1}, phi)
    assert isinstance(res, EntryAUC)
    assert res.auc == 1.0
    assert res.n_at_risk == int(at_risk.sum())
    assert res.n_entries == int((at_risk & (d > cut)).sum())
    assert res.start_years == (2000,) and res.horizon == 1 and res.by_region is None
    # reversed: the least related enter
    m1r = pd.DataFrame(np.where(at_risk, (d < cut).astype(float), 1.0), index=regions,
                       columns=acts)
    assert entry_auc({2000: m0, 2001: m1r}, phi).auc == 0.0
    # uniform proximity: density is the same for every at-risk cell of a region; if every
    # region has the same diversity all scores tie and the AUC is exactly 1/2
    m0t = pd.DataFrame([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], index=list("abc"),
                       columns=list("wxyz"), dtype=float)
    m1t = pd.DataFrame([[1, 1, 0, 0], [0, 1, 0, 1], [0, 0, 1, 0]], index=list("abc"),
                       columns=list("wxyz"), dtype=float)
    flat = pd.DataFrame(1.0 - np.eye(4), index=m0t.columns, columns=m0t.columns)
    res = entry_auc({1: m0t, 2: m1t}, flat, by="region")
    assert res.auc == 0.5
    assert res.by_region.loc["a", "auc"] == 0.5
    assert np.isnan(res.by_region.loc["c", "auc"])  # no entry in c: undefined
    assert res.by_region.loc["c", "n_at_risk"] == 3
    assert res.by_region.loc["c", "n_entries"] == 0


def test_auc_no_entries_is_nan(panel) -> None:
    phi = pd.DataFrame(0.5, index=ACTS, columns=ACTS)
    res = entry_auc({2010: panel[2010], 2011: panel[2010]}, phi)
    assert np.isnan(res.auc) and res.n_entries == 0 and res.n_at_risk > 0


@settings(max_examples=25, deadline=None)
@given(panels, st.booleans())
def test_auc_matches_brute_force(arrs, fixed_phi) -> None:
    pnl = _panel(arrs)
    acts = pnl[2000].columns
    phi = None
    if fixed_phi:
        rng = np.random.default_rng(len(acts))
        phi = pd.DataFrame(np.round(rng.random((len(acts), len(acts))), 1), index=acts,
                           columns=acts)
    res = entry_auc(pnl, phi, by="region")
    pooled, per, n_evaluated = _brute_auc(pnl, phi)
    np.testing.assert_allclose(res.auc, pooled, atol=1e-12)
    assert res.n_at_risk == n_evaluated
    for r, value in per.items():
        np.testing.assert_allclose(res.by_region.loc[r, "auc"], value, atol=1e-12)
    # the evaluated cells are the at-risk cells of entries() (less undefined densities)
    ent = entries(pnl)
    assert res.n_at_risk <= int(ent.notna().sum().sum())
    assert res.n_entries <= int((ent == 1).sum().sum())
    assert res.by_region["n_at_risk"].sum() == res.n_at_risk
    assert res.by_region["n_entries"].sum() == res.n_entries


def test_auc_options(panel) -> None:
    acts = panel[2010].columns
    rng = np.random.default_rng(11)
    phi = pd.DataFrame(rng.random((3, 3)) + 0.1, index=acts, columns=acts)
    full = entry_auc(panel, phi, by="region")
    # restricting to regions evaluates only them (densities still use all regions)
    sub = entry_auc(panel, phi, by="region", region=["a", "b"])
    assert list(sub.by_region.index) == ["a", "b"]
    pd.testing.assert_frame_equal(sub.by_region, full.by_region.loc[["a", "b"]])
    one = entry_auc(panel, phi, region="c")
    assert one.n_at_risk == full.by_region.loc["c", "n_at_risk"]
    with pytest.raises(ValueError, match="unknown region"):
        entry_auc(panel, phi, region="zz")
    # phi per start year, and phi covering extra activities
    per_year = {2010: phi, 2011: phi}
    assert entry_auc(panel, per_year).auc == full.auc
    with pytest.raises(ValueError, match="2011"):
        entry_auc(panel, {2010: phi})
    big = pd.DataFrame(0.5, index=[*acts, "extra"], columns=[*acts, "extra"])
    assert entry_auc(panel, big).n_at_risk == full.n_at_risk
    with pytest.raises(ValueError, match="z"):
        entry_auc(panel, phi.drop(index="z", columns="z"))
    with pytest.raises(ValueError, match="by"):
        entry_auc(panel, phi, by="year")
    # an unobserved end cell (missing="exclude") leaves the evaluation
    holey = dict(panel)
    holey[2011] = panel[2011].astype(float)
    holey[2011].loc["c", "x"] = np.nan  # (c, x) is at risk in 2010 and in 2011
    res = entry_auc(holey, phi, missing="exclude")
    assert res.n_at_risk == full.n_at_risk - 2  # unknown end of 2010->11, start of 2011->12
    # horizon 2 pools only 2010 -> 2012
    assert entry_auc(panel, phi, horizon=2).start_years == (2010,)


def test_auc_undefined_density_is_left_out() -> None:
    # activity z is never present: with min_conditional proximity its column of phi is 0,
    # so its density is undefined (NaN) and those cells are not evaluated
    m0 = frame([[1, 0, 0], [0, 1, 0], [1, 1, 0]])
    m1 = frame([[1, 1, 1], [0, 1, 0], [1, 1, 0]])
    res = entry_auc({1: m0, 2: m1})
    assert res.n_at_risk == 2  # (a, y) and (b, x); the three z cells are dropped
    assert res.n_entries == 1


# --------------------------------------------------------------------------------------------
# shift-share
# --------------------------------------------------------------------------------------------


@pytest.fixture
def ss() -> tuple[pd.DataFrame, pd.DataFrame]:
    x0 = pd.DataFrame([[10, 0], [5, 5]], index=["AT1", "DE1"], columns=["x", "y"])
    x1 = pd.DataFrame([[12, 3], [5, 9]], index=["AT1", "DE1"], columns=["x", "y"])
    return x0, x1


def test_shift_share_hand_computed(ss) -> None:
    x0, x1 = ss
    out = shift_share(x0, x1)
    assert list(out.columns) == ["start", "end", "change", "national", "industry_mix",
                                 "competitive"]
    # E0 = 20, E1 = 29: G = .45; g_x = 2/15, g_y = 7/5
    g, gx, gy = 0.45, 2 / 15, 1.4
    assert out.loc["AT1", "national"] == pytest.approx(10 * g)
    assert out.loc["AT1", "industry_mix"] == pytest.approx(10 * (gx - g))
    assert out.loc["AT1", "competitive"] == pytest.approx(5 - 10 * g - 10 * (gx - g))
    assert out.loc["DE1", "industry_mix"] == pytest.approx(5 * (gx - g) + 5 * (gy - g))
    assert out.loc["DE1", "competitive"] == pytest.approx(5 * (0 - gx) + 5 * (0.8 - gy))
    cells = shift_share(x0, x1, cells=True)
    assert cells.index.names == ["region", "activity"]
    # AT1/y starts at 0: no national or mix share, the whole change is competitive
    assert tuple(cells.loc[("AT1", "y")]) == (0, 3, 3, 0, 0, 3)
    assert cells.loc[("AT1", "x"), "competitive"] == pytest.approx(10 * (0.2 - gx))
    pd.testing.assert_frame_equal(cells.groupby(level="region").sum(), out,
                                  check_names=False)


def test_shift_share_national_groups(ss) -> None:
    x0, x1 = ss
    by_country = shift_share(x0, x1, "nuts")
    # each region is its own country here: AT grows 50 %, x in AT 20 %, y in AT from 0
    assert by_country.loc["AT1", "national"] == pytest.approx(5.0)
    assert by_country.loc["AT1", "industry_mix"] == pytest.approx(10 * (0.2 - 0.5))
    assert by_country.loc["AT1", "competitive"] == pytest.approx(3.0)
    assert by_country.loc["DE1", "competitive"] == pytest.approx(0.0, abs=1e-12)
    pd.testing.assert_frame_equal(shift_share(x0, x1, {"AT1": "AT", "DE1": "DE"}), by_country)
    pd.testing.assert_frame_equal(shift_share(x0, x1, pd.Series({"AT1": 1, "DE1": 1})),
                                  shift_share(x0, x1))
    with pytest.raises(ValueError, match="DE1"):
        shift_share(x0, x1, {"AT1": "AT"})
    with pytest.raises(ValueError, match="nuts"):
        shift_share(x0, x1, "country")


def test_shift_share_alignment_and_errors(ss) -> None:
    x0, x1 = ss
    x1b = x1.assign(z=[1, 0])
    with pytest.raises(ValueError, match="activities missing from x_start: z"):
        shift_share(x0, x1b)
    out = shift_share(x0, x1b, missing="zero")
    assert out.loc["AT1", "end"] == 16
    assert out.loc["AT1", "competitive"] == pytest.approx(shift_share(
        x0.assign(z=0), x1b).loc["AT1", "competitive"])
    neg = x1.astype(float)
    neg.loc["DE1", "y"] = -2
    with pytest.raises(ValueError, match=r"\(DE1, y\)"):
        shift_share(x0, neg)
    # an activity absent everywhere at the start: all its change is competitive
    z0 = x0.assign(z=0)
    z1 = x1.assign(z=[4, 6])
    cells = shift_share(z0, z1, cells=True)
    assert cells.xs("z", level="activity")["competitive"].tolist() == [4, 6]
    assert (cells.xs("z", level="activity")[["national", "industry_mix"]] == 0).all().all()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.integers(0, 10_000), st.booleans(),
       st.floats(0.1, 100))
def test_shift_share_identity_sparse_and_scaling(n, p, seed, grouped, c) -> None:
    rng = np.random.default_rng(seed)
    idx = [f"{'AB'[i % 2]}X{i}" for i in range(n)]
    cols = [f"k{j}" for j in range(p)]
    x0 = pd.DataFrame(rng.integers(0, 20, (n, p)) * (rng.random((n, p)) < 0.7), index=idx,
                      columns=cols)
    x1 = pd.DataFrame(rng.integers(0, 20, (n, p)) * (rng.random((n, p)) < 0.7), index=idx,
                      columns=cols)
    nat = "nuts" if grouped else None
    out = shift_share(x0, x1, nat)
    comps = out[["national", "industry_mix", "competitive"]].sum(axis=1)
    np.testing.assert_allclose(comps, out["change"], atol=1e-9)
    np.testing.assert_allclose(out["change"], x1.sum(axis=1) - x0.sum(axis=1))
    cells = shift_share(x0, x1, nat, cells=True)
    np.testing.assert_allclose(cells[["national", "industry_mix", "competitive"]].sum(axis=1),
                               cells["change"], atol=1e-9)
    assert ((cells["start"] > 0) | (cells["end"] > 0)).all()
    # within each reference group: national shares add up to the group's change E1 - E0
    # (when E0 > 0), and the competitive shares of an activity add up to 0 when the group had
    # it at the start (E_i0 > 0), to its whole end total otherwise
    group = (lambda ix: ix.str[:2]) if grouped else (lambda ix: np.zeros(len(ix)))
    for _, grp in out.groupby(group(out.index)):
        if grp["start"].sum() > 0:
            assert grp["national"].sum() == pytest.approx(grp["change"].sum(), abs=1e-9)
    regions = cells.index.get_level_values("region")
    by_act = cells.groupby([group(regions), cells.index.get_level_values("activity")]).sum()
    expected = np.where(by_act["start"] > 0, 0.0, by_act["end"])
    np.testing.assert_allclose(by_act["competitive"], expected, atol=1e-9)
    # sparse input gives the same answer; scaling both periods scales every component
    ls0 = LabelledSparse(sp.csr_array(x0.to_numpy(dtype=float)), x0.index, x0.columns)
    ls1 = LabelledSparse(sp.csr_array(x1.to_numpy(dtype=float)), x1.index, x1.columns)
    pd.testing.assert_frame_equal(shift_share(ls0, ls1, nat), out, atol=1e-9)
    pd.testing.assert_frame_equal(shift_share(x0 * c, x1 * c, nat), out * c, atol=1e-7,
                                  rtol=1e-9)
    # permuting regions and activities permutes the output
    perm = shift_share(x0.iloc[::-1, ::-1], x1.iloc[::-1, ::-1], nat)
    pd.testing.assert_frame_equal(perm.loc[out.index], out, atol=1e-9)
