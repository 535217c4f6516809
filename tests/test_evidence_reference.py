"""Agreement with the published outputs of the R package economiccomplexity 2.0.0 (to 1e-8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _reference_data import read_reference
from smartspec import evidence as ev

TOL = 1e-8


def _matrix(name: str) -> pd.DataFrame:
    df = read_reference(name, index_col=0, dtype={"product": str, "country": str})
    df.index = df.index.astype(str)
    df.columns = df.columns.astype(str)
    return df


@pytest.fixture(scope="module")
def m(world_trade):
    return ev.presence(world_trade)


def test_presence_matches_r(m):
    expected = _matrix("expected_balassa_index_discrete")
    assert expected.values.sum() == 31_951
    got = m.loc[expected.index, expected.columns]
    assert (got.to_numpy() == expected.to_numpy()).all()
    assert set(m.index) == set(expected.index) and set(m.columns) == set(expected.columns)


def test_fitness_matches_r(m):
    res = ev.complexity(m, method="fitness", iterations=20)
    fit = read_reference("expected_fitness_country", index_col=0).iloc[:, 0]
    cplx = read_reference("expected_fitness_complexity_product", index_col=0,
                          dtype={"product": str}).iloc[:, 0]
    assert len(fit) == 226 and len(cplx) == 785
    np.testing.assert_allclose(res.eci.loc[fit.index], fit, atol=TOL, rtol=0)
    np.testing.assert_allclose(res.pci.loc[cplx.index], cplx, atol=TOL, rtol=0)
    assert res.fitness is res.eci


def test_product_proximity_matches_r(m):
    expected = _matrix("expected_proximity_product")
    phi = ev.proximity(m, diagonal=1.0)
    got = phi.loc[expected.index, expected.columns]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=TOL, rtol=0)


def test_country_proximity_matches_r(m):
    expected = _matrix("expected_proximity_country")
    phi = ev.proximity(m.T, diagonal=1.0)
    got = phi.loc[expected.index, expected.columns]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=TOL, rtol=0)


def test_sparse_input_matches_dense_reference(m):
    """The same reference values come out of the sparse code path."""
    sparse = ev.LabelledSparse(__import__("scipy.sparse").sparse.csr_array(m.to_numpy()),
                               m.index, m.columns)
    phi = ev.proximity(sparse, diagonal=1.0)
    expected = _matrix("expected_proximity_product")
    dense = phi.to_frame().loc[expected.index, expected.columns]
    np.testing.assert_allclose(dense.to_numpy(), expected.to_numpy(), atol=TOL, rtol=0)
    res = ev.complexity(sparse, method="fitness")
    fit = read_reference("expected_fitness_country", index_col=0).iloc[:, 0]
    np.testing.assert_allclose(res.eci.loc[fit.index], fit, atol=TOL, rtol=0)
