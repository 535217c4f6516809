"""Property-based tests of the evidence indicators (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from smartspec import evidence as ev

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def value_matrices(draw, min_side: int = 3, max_side: int = 12) -> pd.DataFrame:
    """Non-negative region x activity values with mostly positive rows and columns."""
    n = draw(st.integers(min_side, max_side))
    p = draw(st.integers(min_side, max_side))
    vals = draw(arrays(np.float64, (n, p),
                       elements=st.one_of(st.just(0.0), st.floats(0.5, 1e6))))
    return pd.DataFrame(vals, index=[f"r{i}" for i in range(n)],
                        columns=[f"a{j}" for j in range(p)])


@st.composite
def permutations(draw, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    rp = draw(st.permutations(range(df.shape[0])))
    cp = draw(st.permutations(range(df.shape[1])))
    return np.array(rp), np.array(cp)


def _permute(df: pd.DataFrame, rp, cp) -> pd.DataFrame:
    return df.iloc[rp, cp]


@SETTINGS
@given(value_matrices(), st.floats(1e-3, 1e6))
def test_rca_invariant_to_scaling(x, c):
    np.testing.assert_allclose(ev.rca(x * c).to_numpy(), ev.rca(x).to_numpy(), rtol=1e-9,
                               equal_nan=True)
    assert (ev.presence(x * c) == ev.presence(x)).all().all() or \
        np.allclose(ev.rca(x * c).fillna(0), ev.rca(x).fillna(0), rtol=1e-9)


@SETTINGS
@given(st.data())
def test_rca_presence_equivariant(data):
    x = data.draw(value_matrices())
    rp, cp = data.draw(permutations(x))
    y = _permute(x, rp, cp)
    pd.testing.assert_frame_equal(ev.rca(y), ev.rca(x).loc[y.index, y.columns],
                                  check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(ev.presence(y), ev.presence(x).loc[y.index, y.columns])
    pd.testing.assert_series_equal(ev.diversity(ev.presence(y)),
                                   ev.diversity(ev.presence(x)).loc[y.index])


def _nondegenerate(m: pd.DataFrame, ratio: float = 1.0) -> bool:
    """Connected enough for a unique second eigenvector (and lambda3 <= ratio * lambda2)."""
    a = m.to_numpy(float)
    a = a[a.sum(1) > 0][:, a.sum(0) > 0]
    if min(a.shape) < 3:
        return False
    mr = (a / a.sum(1)[:, None]) @ (a / a.sum(0)[None, :]).T
    w = np.sort(np.real(np.linalg.eigvals(mr)))[::-1]
    return (w[0] - w[1] > 1e-3 and w[1] - w[2] > 1e-3 and w[2] <= ratio * w[1]
            and np.std(a.sum(1)) > 0)


@SETTINGS
@given(st.data())
def test_complexity_equivariant(data):
    x = data.draw(value_matrices(min_side=4))
    m = ev.presence(x)
    assume(_nondegenerate(m))
    rp, cp = data.draw(permutations(m))
    mp = _permute(m, rp, cp)
    for method in ("eigenvector", "reflections", "fitness"):
        a, b = ev.complexity(m, method=method), ev.complexity(mp, method=method)
        np.testing.assert_allclose(b.eci.to_numpy(), a.eci.loc[mp.index].to_numpy(),
                                   atol=1e-7, equal_nan=True)
        np.testing.assert_allclose(b.pci.to_numpy(), a.pci.loc[mp.columns].to_numpy(),
                                   atol=1e-7, equal_nan=True)


@SETTINGS
@given(st.data(), st.sampled_from(["min_conditional", "cosine", "association", "jaccard"]))
def test_proximity_density_equivariant_and_bounded(data, method):
    x = data.draw(value_matrices())
    m = ev.presence(x)
    rp, cp = data.draw(permutations(m))
    mp = _permute(m, rp, cp)
    phi, phip = ev.proximity(m, method=method), ev.proximity(mp, method=method)
    pd.testing.assert_frame_equal(phip, phi.loc[mp.columns, mp.columns])
    dens, densp = ev.density(m, phi), ev.density(mp, phip)
    pd.testing.assert_frame_equal(densp, dens.loc[mp.index, mp.columns], check_exact=False,
                                  rtol=1e-12)
    vals = dens.to_numpy()
    finite = vals[np.isfinite(vals)]
    assert ((finite >= -1e-12) & (finite <= 1 + 1e-12)).all()
    # NaN only for activities with no link at all.
    isolated = phi.sum(axis=0).to_numpy() == 0
    assert np.isnan(vals[:, isolated]).all() and np.isfinite(vals[:, ~isolated]).all()


@SETTINGS
@given(value_matrices())
def test_density_is_weighted_share_of_present_neighbours(x):
    m = ev.presence(x)
    phi = ev.proximity(m, diagonal=1.0)
    dens = ev.density(m, phi)
    full = pd.DataFrame(1, index=m.index, columns=m.columns)
    assert (ev.density(full, phi).fillna(1) >= dens.fillna(0) - 1e-12).all().all()


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(value_matrices(min_side=5, max_side=14))
def test_reflections_approach_eigenvector(x):
    m = ev.presence(x)
    assume(_nondegenerate(m, ratio=0.9))
    eig = ev.complexity(m)
    err = [np.nanmax(np.abs(ev.complexity(m, method="reflections", iterations=i).eci - eig.eci))
           for i in (20, 400)]
    assert err[1] <= err[0] + 1e-9
    assert err[1] < 1e-5
