"""Tests for smartspec.discovery.activity_space: backbone, deterministic layout, caching."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartspec import datasets, evidence
from smartspec.discovery import activity_space as asp
from smartspec.discovery.activity_space import (
    activity_space,
    activity_space_layout,
    clear_layout_cache,
    resolve_cache_dir,
)


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTSPEC_CACHE_DIR", str(tmp_path / "cache"))
    clear_layout_cache()
    yield
    clear_layout_cache()


def _phi(n: int = 12, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.random((n, n))
    a = (a + a.T) / 2
    np.fill_diagonal(a, 0.0)
    labels = [f"a{i:02d}" for i in range(n)]
    return pd.DataFrame(a, index=labels, columns=labels)


@pytest.fixture(scope="module")
def sbs_phi() -> pd.DataFrame:
    x = datasets.sbs_employment().matrix(missing="zero")
    x = x[x.sum(axis=1) > 0]
    return evidence.proximity(evidence.presence(x))


def test_backbone_is_spanning_tree_plus_strongest_links() -> None:
    phi = _phi(12)
    lay = activity_space_layout(phi, avg_degree=4, cache_dir=False)
    e = lay.edges
    assert len(e) == 24  # average degree 4 on 12 nodes
    assert int(e["backbone"].sum()) == 11  # spanning tree of a connected graph
    # The tree is a maximum spanning tree: its weight equals Kruskal's on the full graph.
    import networkx as nx

    g = nx.from_pandas_adjacency(phi)
    best = nx.maximum_spanning_tree(g).size(weight="weight")
    assert e.loc[e["backbone"], "proximity"].sum() == pytest.approx(best)
    # The extra links are the strongest links outside the tree.
    extra = e.loc[~e["backbone"], "proximity"]
    vals = phi.to_numpy()
    iu = np.triu_indices(12, 1)
    tree_pairs = {frozenset(p) for p in e.loc[e["backbone"], ["source", "target"]].to_numpy()}
    others = sorted((vals[i, j] for i, j in zip(*iu, strict=True)
                     if frozenset((phi.index[i], phi.index[j])) not in tree_pairs), reverse=True)
    assert sorted(extra, reverse=True) == pytest.approx(others[:13])
    # Positions are centred and scaled to [-1, 1].
    pos = lay.positions
    assert list(pos.index) == list(phi.index)
    assert np.abs(pos.to_numpy()).max() == pytest.approx(1.0)


def test_layout_deterministic_and_memoised() -> None:
    phi = _phi(15)
    a = activity_space_layout(phi, cache_dir=False)
    assert activity_space_layout(phi.copy(), cache_dir=False) is a  # same matrix -> same object
    clear_layout_cache()
    b = activity_space_layout(phi, cache_dir=False)
    assert b is not a
    pd.testing.assert_frame_equal(a.positions, b.positions)
    pd.testing.assert_frame_equal(a.edges, b.edges)
    c = activity_space_layout(phi, seed=7, cache_dir=False)
    assert c.key != a.key
    assert not np.allclose(c.positions.to_numpy(), a.positions.to_numpy())


def test_disk_cache_roundtrip(tmp_path) -> None:
    phi = _phi(10)
    folder = tmp_path / "layouts"
    a = activity_space_layout(phi, cache_dir=folder)
    assert a.origin == "computed"
    files = list(folder.glob("activity_space-*.json"))
    assert [f.name for f in files] == [f"activity_space-{a.key}.json"]
    clear_layout_cache()
    b = activity_space_layout(phi, cache_dir=folder)
    assert b.origin == "disk"
    pd.testing.assert_frame_equal(a.positions, b.positions)
    pd.testing.assert_frame_equal(a.edges, b.edges)


def test_env_cache_dir_and_corrupt_file(tmp_path) -> None:
    assert resolve_cache_dir() == tmp_path / "cache"
    phi = _phi(8)
    a = activity_space_layout(phi)
    path = tmp_path / "cache" / f"activity_space-{a.key}.json"
    assert path.exists()
    path.write_text("{not json", encoding="utf-8")
    clear_layout_cache()
    b = activity_space_layout(phi)
    assert b.origin == "computed"
    pd.testing.assert_frame_equal(a.positions, b.positions)
    assert json.loads(path.read_text(encoding="utf-8"))["key"] == a.key  # rewritten


def test_node_table_flags_region() -> None:
    phi = _phi(6)
    labels = pd.Series({a: f"activity {a}" for a in phi.index})
    pres = pd.Series([1, 0, 1, 0, 0, 0], index=phi.index)
    rca = pd.Series([1.5, 0.2, 3.0, 0.1, 0.0, 0.9], index=phi.index)
    space = activity_space(phi, labels=labels, presence=pres, rca=rca, cache_dir=False)
    nodes = space.nodes
    assert list(nodes.columns[:9]) == ["activity", "label", "x", "y", "ubiquity", "pci",
                                       "present", "rca", "degree"]
    assert list(space.present) == ["a00", "a02"]
    assert nodes["rca"].tolist() == rca.tolist()
    assert nodes.loc["a01", "label"] == "activity a01"
    degree = pd.concat([space.edges["source"], space.edges["target"]]).value_counts()
    assert nodes["degree"].sum() == 2 * len(space.edges)
    assert (nodes["degree"] == degree.reindex(nodes.index).fillna(0)).all()
    # Fresh tables every call: mutating them does not touch the cache.
    space.nodes.loc["a00", "x"] = 99.0
    again = activity_space(phi, presence=pres, cache_dir=False)
    assert again.nodes.loc["a00", "x"] != 99.0


def test_real_proximity_layout(sbs_phi: pd.DataFrame) -> None:
    lay = activity_space_layout(sbs_phi, cache_dir=False)
    n_linked = int((sbs_phi.sum(axis=0) > 0).sum())
    assert len(lay.positions) == 68
    assert int(lay.edges["backbone"].sum()) == n_linked - 1  # the SBS network is connected
    assert len(lay.edges) == round(4 * n_linked / 2)
    assert lay.edges["proximity"].between(0, 1).all()
    assert np.isfinite(lay.positions.to_numpy()).all()
    # Strongly related manufacturing divisions sit closer than the average pair.
    pos = lay.positions.to_numpy()
    d = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1))
    idx = {a: i for i, a in enumerate(lay.positions.index)}
    linked = [d[idx[s], idx[t]] for s, t in lay.edges[["source", "target"]].to_numpy()]
    assert np.mean(linked) < d[np.triu_indices(68, 1)].mean()


def test_invalid_inputs() -> None:
    phi = _phi(4)
    with pytest.raises(ValueError, match="square"):
        activity_space_layout(phi.iloc[:, :3], cache_dir=False)
    bad = phi.copy()
    bad.iloc[0, 1] = -1.0
    with pytest.raises(ValueError, match="negative"):
        activity_space_layout(bad, cache_dir=False)
    bad.iloc[0, 1] = np.nan
    with pytest.raises(ValueError, match="missing"):
        activity_space_layout(bad, cache_dir=False)
    with pytest.raises(TypeError):
        activity_space_layout(phi.to_numpy(), cache_dir=False)
    with pytest.raises(ValueError, match="avg_degree"):
        activity_space_layout(phi, avg_degree=-1, cache_dir=False)
    with pytest.raises(ValueError, match="iterations"):
        activity_space_layout(phi, iterations=0, cache_dir=False)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 9), st.integers(0, 10_000), st.floats(0.0, 0.8))
def test_backbone_spans_every_component(n: int, seed: int, sparsity: float) -> None:
    rng = np.random.default_rng(seed)
    a = rng.random((n, n))
    a[a < sparsity] = 0.0
    a = np.triu(a, 1)
    a = a + a.T
    labels = [f"n{i}" for i in range(n)]
    phi = pd.DataFrame(a, index=labels, columns=labels)
    lay = asp.activity_space_layout(phi, cache_dir=False, iterations=20)
    import networkx as nx

    g = nx.from_numpy_array(a)
    n_comp = nx.number_connected_components(g)
    assert int(lay.edges["backbone"].sum()) == n - n_comp
    assert len(lay.edges) <= int(np.count_nonzero(np.triu(a, 1)))
    assert (lay.edges["proximity"] > 0).all()
    assert lay.positions.shape == (n, 2)
