"""Behaviour of the evidence indicators on small hand-checked cases, messy data and code paths."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from smartspec import evidence as ev

complexity_mod = importlib.import_module("smartspec.evidence.complexity")
relatedness_mod = importlib.import_module("smartspec.evidence.relatedness")


@pytest.fixture
def x() -> pd.DataFrame:
    return pd.DataFrame(
        [[10.0, 0.0, 5.0, 1.0], [2.0, 8.0, 0.0, 4.0], [0.0, 3.0, 3.0, 9.0], [6.0, 6.0, 1.0, 0.0]],
        index=["R1", "R2", "R3", "R4"], columns=["A", "B", "C", "D"],
    )


def _sparse(df: pd.DataFrame) -> ev.LabelledSparse:
    return ev.LabelledSparse(sp.csr_array(df.to_numpy(dtype=float)), df.index, df.columns)


# --- RCA / presence --------------------------------------------------------------------------
def test_rca_hand_computed(x):
    r = ev.rca(x)
    total = x.to_numpy().sum()
    expected = (10 / 16) / (18 / total)
    assert r.loc["R1", "A"] == pytest.approx(expected)
    assert r.loc["R1", "B"] == 0.0
    assert list(r.index) == list(x.index) and list(r.columns) == list(x.columns)


def test_rca_zero_row_is_nan_and_does_not_spread(x):
    y = x.copy()
    y.loc["R5"] = 0.0
    r = ev.rca(y)
    assert r.loc["R5"].isna().all()
    pd.testing.assert_frame_equal(r.drop("R5"), ev.rca(x))


def test_rca_sparse_matches_dense(x):
    dense = ev.rca(x)
    s = ev.rca(_sparse(x))
    assert isinstance(s, ev.LabelledSparse)
    np.testing.assert_allclose(s.to_frame().to_numpy(), dense.fillna(0).to_numpy())


def test_presence_threshold(x):
    m1 = ev.presence(x)
    m2 = ev.presence(x, threshold=2.0)
    r = ev.rca(x)
    assert ((r >= 1).astype(int) == m1).all().all()
    assert (m2 <= m1).all().all()
    assert m1.dtypes.unique().tolist() == [np.dtype("int8")]
    with pytest.raises(ValueError, match="threshold"):
        ev.presence(x, threshold=0)


def test_diversity_ubiquity(x):
    m = ev.presence(x)
    assert ev.diversity(m).to_dict() == m.sum(axis=1).astype(float).to_dict()
    assert ev.ubiquity(m).to_dict() == m.sum(axis=0).astype(float).to_dict()
    assert ev.diversity(_sparse(m)).equals(ev.diversity(m))


# --- messy data ------------------------------------------------------------------------------
def test_negative_values_name_region_and_activity(x):
    y = x.copy()
    y.loc["R3", "C"] = -1.0
    with pytest.raises(ValueError, match=r"negative.*\(R3, C\).*regions: R3.*activities: C"):
        ev.rca(y)


def test_infinite_values_are_rejected(x):
    y = x.copy()
    y.loc["R2", "D"] = np.inf
    with pytest.raises(ValueError, match=r"infinite.*R2.*D"):
        ev.presence(y)


def test_non_numeric_values_are_rejected(x):
    y = x.astype(object)
    y.loc["R4", "B"] = "n/a"
    with pytest.raises(ValueError, match=r"non-numeric.*B.*R4"):
        ev.rca(y)


def test_missing_policy(x):
    y = x.copy()
    y.loc["R1", "D"] = np.nan
    with pytest.raises(ValueError, match=r"missing.*\(R1, D\).*missing='zero'"):
        ev.rca(y)
    z = x.copy()
    z.loc["R1", "D"] = 0.0
    pd.testing.assert_frame_equal(ev.rca(y, missing="zero"), ev.rca(z))
    with pytest.raises(ValueError, match="missing must be one of"):
        ev.rca(x, missing="drop")


def test_negative_sparse_values_are_named(x):
    y = x.copy()
    y.loc["R2", "A"] = -3
    with pytest.raises(ValueError, match=r"\(R2, A\)"):
        ev.rca(_sparse(y))


def test_duplicated_labels_are_rejected(x):
    y = x.copy()
    y.index = ["R1", "R1", "R3", "R4"]
    with pytest.raises(ValueError, match="duplicated region"):
        ev.rca(y)


def test_non_binary_presence_is_rejected(x):
    with pytest.raises(ValueError, match="non-binary"):
        ev.complexity(x)
    with pytest.raises(ValueError, match="non-binary"):
        ev.proximity(x)


# --- complexity ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wt_m(world_trade):
    return ev.presence(world_trade)


def _reference_eigen(m: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force ECI/PCI: second eigenvector of the full non-symmetric matrices."""
    a = m.to_numpy(dtype=float)
    d, u = a.sum(1), a.sum(0)
    mr = (a / d[:, None]) @ (a / u[None, :]).T
    mp = (a / u[None, :]).T @ (a / d[:, None])
    out = []
    for mat in (mr, mp):
        w, v = np.linalg.eig(mat)
        vec = np.real(v[:, np.argsort(np.real(w))[-2]])
        out.append((vec - vec.mean()) / vec.std(ddof=1))
    eci, pci = out
    if np.corrcoef(eci, d)[0, 1] < 0:
        eci = -eci
    if np.corrcoef(pci, (a.T @ eci) / u)[0, 1] < 0:
        pci = -pci
    return eci, pci


def test_eigenvector_matches_brute_force(wt_m):
    res = ev.complexity(wt_m)
    eci, pci = _reference_eigen(wt_m)
    np.testing.assert_allclose(res.eci.to_numpy(), eci, atol=1e-8)
    np.testing.assert_allclose(res.pci.to_numpy(), pci, atol=1e-8)
    assert np.corrcoef(res.eci, ev.diversity(wt_m))[0, 1] > 0
    assert res.eci.std(ddof=1) == pytest.approx(1.0)
    assert 0 < res.eigenvalue < 1


def test_ddof_zero_rescales(wt_m):
    r1, r0 = ev.complexity(wt_m), ev.complexity(wt_m, ddof=0)
    n = len(r1.eci)
    np.testing.assert_allclose(r0.eci, r1.eci * np.sqrt(n / (n - 1)), atol=1e-10)
    assert r0.eci.std(ddof=0) == pytest.approx(1.0)


@pytest.mark.parametrize("transpose", [False, True])
def test_eigen_solvers_agree(wt_m, monkeypatch, transpose):
    """LAPACK, explicit ARPACK and implicit Lanczos paths give the same ECI/PCI."""
    m = wt_m.T if transpose else wt_m
    base = ev.complexity(m)
    monkeypatch.setattr(complexity_mod, "SMALL_EIGEN_MAX", 10**9)
    lapack = ev.complexity(m)
    monkeypatch.setattr(complexity_mod, "DENSE_EIGEN_MAX", 10)
    lanczos = ev.complexity(m)
    for other in (lapack, lanczos):
        np.testing.assert_allclose(other.eci, base.eci, atol=1e-8)
        np.testing.assert_allclose(other.pci, base.pci, atol=1e-8)


def test_sparse_complexity_matches_dense(wt_m):
    dense = ev.complexity(wt_m)
    sparse = ev.complexity(_sparse(wt_m))
    np.testing.assert_allclose(sparse.eci, dense.eci, atol=1e-9)
    np.testing.assert_allclose(sparse.pci, dense.pci, atol=1e-9)


def test_empty_row_and_column_are_nan_not_contagious(wt_m):
    y = wt_m.reindex(index=[*wt_m.index, "zzz_empty"], columns=[*wt_m.columns, "9999"],
                     fill_value=0)
    for method in ("eigenvector", "reflections", "fitness"):
        res = ev.complexity(y, method=method)
        ref = ev.complexity(wt_m, method=method)
        assert np.isnan(res.eci["zzz_empty"]) and np.isnan(res.pci["9999"])
        assert res.eci.drop("zzz_empty").notna().all()
        np.testing.assert_allclose(res.eci.drop("zzz_empty"), ref.eci, atol=1e-9)
        np.testing.assert_allclose(res.pci.drop("9999"), ref.pci, atol=1e-9)
        assert list(res.excluded_regions) == ["zzz_empty"]


def test_reflections_iteration_convention(wt_m):
    """Region value from reflection 18, activity value from reflection 19 (iterations=20)."""
    a = wt_m.to_numpy(dtype=float)
    d, u = a.sum(1), a.sum(0)
    kc, kp = [d], [u]
    for _ in range(19):
        kc, kp = kc + [(a @ kp[-1]) / d], kp + [(a.T @ kc[-1]) / u]
    eci = (kc[18] - kc[18].mean()) / kc[18].std(ddof=1)
    pci = (kp[19] - kp[19].mean()) / kp[19].std(ddof=1)
    res = ev.complexity(wt_m, method="reflections", iterations=20)
    np.testing.assert_allclose(res.eci.to_numpy(), eci, atol=1e-8)
    np.testing.assert_allclose(res.pci.to_numpy(), pci, atol=1e-8)


def test_reflections_converge_to_eigenvector(wt_m):
    eig = ev.complexity(wt_m)
    errs = [np.abs(ev.complexity(wt_m, method="reflections", iterations=i).eci - eig.eci).max()
            for i in (10, 40, 160)]
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 1e-8


def test_complexity_argument_checks(wt_m):
    with pytest.raises(ValueError, match="method"):
        ev.complexity(wt_m, method="pagerank")
    with pytest.raises(ValueError, match="iterations"):
        ev.complexity(wt_m, method="reflections", iterations=1)
    with pytest.raises(ValueError, match="ddof"):
        ev.complexity(wt_m, ddof=-1)
    with pytest.raises(ValueError, match="at least two"):
        ev.complexity(pd.DataFrame([[1, 0], [0, 0]]))


def test_disconnected_network_warns():
    m = pd.DataFrame([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    with pytest.warns(RuntimeWarning, match="disconnected"):
        ev.complexity(m)


# --- proximity -------------------------------------------------------------------------------
@pytest.fixture
def m_small() -> pd.DataFrame:
    return pd.DataFrame(
        [[1, 1, 0, 1], [1, 1, 1, 0], [0, 1, 1, 0], [1, 0, 0, 1], [1, 1, 0, 0]],
        index=list("abcde"), columns=list("PQRS"),
    )


def test_proximity_methods_hand_computed(m_small):
    # ubiquities P=4, Q=4, R=2, S=2; co-occurrences P-Q=3, P-S=2, Q-R=2, R-S=0
    mc = ev.proximity(m_small)
    assert mc.loc["P", "Q"] == pytest.approx(3 / 4)
    assert mc.loc["P", "S"] == pytest.approx(2 / 4)
    assert mc.loc["Q", "R"] == pytest.approx(2 / 4)
    assert mc.loc["R", "S"] == 0 and mc.loc["P", "P"] == 0
    cos = ev.proximity(m_small, method="cosine")
    assert cos.loc["P", "S"] == pytest.approx(2 / np.sqrt(8))
    assoc = ev.proximity(m_small, method="association")
    assert assoc.loc["P", "Q"] == pytest.approx(5 * 3 / 16)
    jac = ev.proximity(m_small, method="jaccard")
    assert jac.loc["Q", "R"] == pytest.approx(2 / (4 + 2 - 2))
    assert (mc.to_numpy() == mc.to_numpy().T).all()
    kept = ev.proximity(m_small, diagonal=None)
    assert kept.loc["R", "R"] == 1.0
    with pytest.raises(ValueError, match="method"):
        ev.proximity(m_small, method="pmi")


def test_proximity_zero_ubiquity_activity(m_small):
    y = m_small.copy()
    y["Z"] = 0
    phi = ev.proximity(y)
    assert (phi["Z"] == 0).all() and (phi.loc["Z"] == 0).all()


@pytest.mark.parametrize("method", ["min_conditional", "cosine", "association", "jaccard"])
def test_sparse_proximity_matches_dense(wt_m, method):
    dense = ev.proximity(wt_m, method=method, diagonal=1.0)
    sparse = ev.proximity(_sparse(wt_m), method=method, diagonal=1.0)
    np.testing.assert_allclose(sparse.to_frame().to_numpy(), dense.to_numpy(), atol=1e-12)


def _dense_topk_reference(phi: pd.DataFrame, k: int) -> set[tuple[str, str]]:
    """Links kept: among the k strongest of either end (values distinct in the test data)."""
    a = phi.to_numpy().copy()
    np.fill_diagonal(a, -np.inf)
    keep = set()
    for i in range(a.shape[0]):
        for j in np.argsort(-a[i], kind="stable")[:k]:
            if a[i, j] > 0:
                keep.add(tuple(sorted((phi.index[i], phi.columns[j]))))
    return keep


def test_top_k_dense_and_blocked_sparse_agree(wt_m, monkeypatch):
    k = 5
    full = ev.proximity(wt_m, method="cosine")
    dense_k = ev.proximity(wt_m, method="cosine", top_k=k)
    monkeypatch.setattr(relatedness_mod, "BLOCK_WORK", 50_000)  # force many column blocks
    sparse_k = ev.proximity(_sparse(wt_m), method="cosine", top_k=k)
    f = full.to_numpy().copy()
    np.fill_diagonal(f, 0.0)
    for got in (dense_k.to_frame().to_numpy(), sparse_k.to_frame().to_numpy()):
        kept = got > 0
        # Kept links carry the full proximity value, and the matrix stays symmetric.
        np.testing.assert_allclose(got[kept], f[kept], atol=1e-12)
        assert (got == got.T).all()
        # Each activity's k strongest values are all kept (tie-proof comparison of values).
        top_full = np.sort(f, axis=1)[:, -k:]
        top_got = np.sort(got, axis=1)[:, -k:]
        np.testing.assert_allclose(top_got, top_full, atol=1e-12)
        assert kept.sum() <= 2 * k * len(f)


def test_top_k_matches_definition_on_small_case(m_small):
    phi = ev.proximity(m_small, method="jaccard")
    got = ev.proximity(m_small, method="jaccard", top_k=1).to_frame()
    links = {tuple(sorted((i, j))) for i in got.index for j in got.columns if got.loc[i, j] > 0}
    assert links == _dense_topk_reference(phi, 1)
    with pytest.raises(ValueError, match="top_k"):
        ev.proximity(m_small, top_k=0)


def test_top_k_keeps_diagonal_when_asked(m_small):
    got = ev.proximity(_sparse(m_small), top_k=2, diagonal=1.0).to_frame()
    assert (np.diag(got.to_numpy()) == 1.0).all()


# --- co-occurrence ---------------------------------------------------------------------------
def test_cooccurrence_counts_items_once():
    pairs = pd.DataFrame({
        "patent": [1, 1, 1, 2, 2, 3, 3, 3],
        "cpc": ["A", "B", "B", "A", "C", "A", "B", "C"],
    })
    c = ev.cooccurrence(pairs, item="patent", activity="cpc")
    assert c.loc["A", "A"] == 3 and c.loc["B", "B"] == 2 and c.loc["C", "C"] == 2
    assert c.loc["A", "B"] == 2 and c.loc["A", "C"] == 2 and c.loc["B", "C"] == 1
    s = ev.cooccurrence(pairs, item="patent", activity="cpc", sparse=True)
    pd.testing.assert_frame_equal(s.to_frame(), c, check_names=False)
    with pytest.raises(ValueError, match="missing column"):
        ev.cooccurrence(pairs)


def test_normalise_cooccurrence_equals_proximity(m_small):
    c = ev.cooccurrence(
        m_small.stack().loc[lambda s: s == 1].reset_index().rename(
            columns={"level_0": "item", "level_1": "activity"}))
    for method in ("min_conditional", "cosine", "association", "jaccard"):
        got = ev.normalise_cooccurrence(c, method, n=len(m_small))
        exp = ev.proximity(m_small, method=method)
        pd.testing.assert_frame_equal(got, exp, check_names=False)
    with pytest.raises(ValueError, match="needs n"):
        ev.normalise_cooccurrence(c, "association")


# --- density and outlook ---------------------------------------------------------------------
def test_density_hand_computed(m_small):
    phi = ev.proximity(m_small)
    dens = ev.density(m_small, phi)
    # region c has Q and R; density of P = (phi_PQ + phi_PR) / sum_j phi_Pj
    row = phi.loc["P"]
    assert dens.loc["c", "P"] == pytest.approx((row["Q"] + row["R"]) / row.sum())
    assert ((dens >= 0) & (dens <= 1)).all().all()
    rd = ev.relatedness_density(m_small, phi)
    pd.testing.assert_frame_equal(rd, dens * 100)


def test_density_isolated_activity_is_nan(m_small):
    y = m_small.copy()
    y["Z"] = 0
    dens = ev.density(y, ev.proximity(y))
    assert dens["Z"].isna().all() and dens.drop(columns="Z").notna().all().all()


def test_density_sparse_matches_dense(wt_m):
    phi = ev.proximity(wt_m, top_k=20)
    dense = ev.density(wt_m, phi)
    sparse = ev.density(_sparse(wt_m), phi)
    np.testing.assert_allclose(sparse.to_frame().to_numpy(), dense.fillna(0).to_numpy(),
                               atol=1e-12)
    full = ev.density(wt_m, ev.proximity(wt_m))
    assert full.shape == wt_m.shape


def test_density_checks_phi_labels(m_small):
    phi = ev.proximity(m_small).drop(index="S", columns="S")
    with pytest.raises(ValueError, match="no row/column for activities"):
        ev.density(m_small, phi)


def test_opportunity_matches_loops(m_small):
    phi = ev.proximity(m_small, diagonal=1.0)
    pci = pd.Series([0.5, -1.0, 1.5, 0.2], index=m_small.columns)
    out = ev.opportunity(m_small, phi, pci)
    a, p, q = m_small.to_numpy(float), phi.to_numpy(), pci.to_numpy()
    dens = (a @ p) / p.sum(axis=0)
    for r in range(a.shape[0]):
        coi = sum(dens[r, i] * (1 - a[r, i]) * q[i] for i in range(4))
        assert out.coi.iloc[r] == pytest.approx(coi)
        for i in range(4):
            gain = sum(p[i, j] / p[:, j].sum() * (1 - a[r, j]) * q[j] for j in range(4))
            assert out.cog.iloc[r, i] == pytest.approx(gain - dens[r, i] * q[i])


def test_opportunity_requires_pci_for_every_activity(m_small):
    phi = ev.proximity(m_small)
    with pytest.raises(ValueError, match="pci has no value"):
        ev.opportunity(m_small, phi, pd.Series([1.0], index=["P"]))


# --- pipeline --------------------------------------------------------------------------------
def test_pipeline_matches_single_functions(world_trade, wt_m):
    res = ev.pipeline(world_trade, diagonal=1.0)
    phi = ev.proximity(wt_m, diagonal=1.0)
    cx = ev.complexity(wt_m)
    np.testing.assert_allclose(res.eci.iloc[0], cx.eci, atol=1e-10)
    np.testing.assert_allclose(res.pci.iloc[0], cx.pci, atol=1e-10)
    np.testing.assert_allclose(res.proximity[0], phi.to_numpy(), atol=1e-14)
    np.testing.assert_allclose(res.frame("density"), ev.density(wt_m, phi), atol=1e-12)
    assert (res.frame("presence") == wt_m).all().all()


def test_pipeline_panel_batches_years(world_trade):
    rng = np.random.default_rng(1)
    panel = {year: world_trade * rng.lognormal(0, 0.2, world_trade.shape)
             for year in (2001, 2002, 2003)}
    res = ev.pipeline(panel)
    assert res.years == [2001, 2002, 2003]
    for year, x in panel.items():
        m = ev.presence(x)
        cx = ev.complexity(m)
        np.testing.assert_allclose(res.eci.loc[year], cx.eci, atol=1e-8)
        np.testing.assert_allclose(res.frame("density", year),
                                   ev.density(m, ev.proximity(m)), atol=1e-12)
    with pytest.raises(KeyError):
        res.frame("rca", 1999)


def test_pipeline_aligns_missing_labels(world_trade):
    a = world_trade.iloc[:, :400]
    b = world_trade.iloc[:, 100:]
    res = ev.pipeline({1: a, 2: b})
    assert len(res.activities) == world_trade.shape[1]
    assert np.isnan(res.pci.loc[1].iloc[-1])  # activity absent in year 1


def test_no_runtime_warnings_on_real_data(world_trade):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ev.pipeline(world_trade)


def test_sparse_end_to_end_never_densifies_activity_pairs():
    """rca -> presence -> complexity -> top-k proximity -> density on a sparse input whose
    activity x activity matrix is never formed (heavy-tailed popularity, many blocks)."""
    rng = np.random.default_rng(5)
    n, p, nnz = 300, 20_000, 60_000
    pop = rng.lognormal(0.0, 1.5, p)
    cols = rng.choice(p, size=nnz, p=pop / pop.sum())
    rows = rng.integers(0, n, size=nnz)
    vals = rng.lognormal(3.0, 1.0, size=nnz)
    x = ev.LabelledSparse(sp.csr_array((vals, (rows, cols)), shape=(n, p)),
                          pd.Index([f"R{i}" for i in range(n)]),
                          pd.Index([f"A{j}" for j in range(p)]))
    m = ev.presence(x)
    assert isinstance(m, ev.LabelledSparse) and m.matrix.nnz <= x.matrix.nnz
    cx = ev.complexity(m)
    assert cx.eci.notna().sum() == int((ev.diversity(m) > 0).sum())
    phi = ev.proximity(m, top_k=10)
    assert isinstance(phi, ev.LabelledSparse) and phi.shape == (p, p)
    assert phi.matrix.nnz <= 2 * 10 * p
    dens = ev.density(m, phi)
    assert isinstance(dens, ev.LabelledSparse)
    assert dens.matrix.data.min() >= 0 and dens.matrix.data.max() <= 1 + 1e-12


def test_pipeline_leaves_its_input_untouched(world_trade):
    before = world_trade.copy()
    ev.pipeline(world_trade)
    ev.pipeline({2000: world_trade, 2001: world_trade * 2})
    pd.testing.assert_frame_equal(world_trade, before)
