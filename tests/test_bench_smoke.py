"""Smoke test of benchmarks/peers.py: the generators, a tiny run and the JSON line (< 10 s)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import _peerdata  # noqa: E402
import peers  # noqa: E402

KEYS = {"speedup_vs_py_ecomplexity", "speedup_vs_economic_complexity", "ratio_to_floor",
        "max_abs_diff_vs_peers", "sparse_seconds", "sparse_peak_rss_gb"}


def test_world_trade_from_tests_data():
    wide = _peerdata.world_trade_wide()
    assert wide.shape == (226, 785)
    assert "0011" in wide.columns  # product codes keep their leading zeros
    assert (wide.to_numpy() >= 0).all()
    small = _peerdata.world_trade_wide(n_countries=10, n_products=20)
    assert small.shape == (10, 20)


def test_perturbed_panel_is_reproducible_and_starts_at_base():
    base = _peerdata.world_trade_wide(n_countries=8, n_products=12)
    panel = _peerdata.perturbed_panel(base, 4, seed=1)
    assert list(panel) == [2000, 2001, 2002, 2003]
    pd.testing.assert_frame_equal(panel[2000], base)
    again = _peerdata.perturbed_panel(base, 4, seed=1)
    pd.testing.assert_frame_equal(panel[2003], again[2003])
    assert ((panel[2003] == 0) == (base == 0)).all().all()  # zeros stay zero


def test_synthetic_panel_is_nested_count_data():
    panel = _peerdata.synthetic_regional_panel(120, 60, 2, seed=3)
    x = panel[2001].to_numpy()
    assert x.shape == (120, 60)
    assert (x >= 0).all() and (x == np.round(x)).all()
    m = (x / x.sum(1, keepdims=True) / (x.sum(0) / x.sum()) >= 1).astype(float)
    d, u = m.sum(1), m.sum(0)
    # nestedness: diverse regions are present in rarer activities
    assert np.corrcoef(d, m @ u / d)[0, 1] < -0.3


def test_sparse_presence_has_exact_nnz():
    m, rows, cols = _peerdata.sparse_presence(50, 2000, 3000, seed=2)
    assert m.shape == (50, 2000) and m.nnz == 3000
    assert set(np.unique(m.data)) == {1.0}
    assert len(rows) == 50 and len(cols) == 2000 and cols.is_unique


def test_to_long_and_stack_roundtrip():
    panel = _peerdata.synthetic_regional_panel(10, 8, 2, seed=4)
    long = _peerdata.to_long(panel)
    assert list(long.columns) == ["year", "region", "activity", "value"]
    assert (long["value"] > 0).all()
    back = long[long["year"] == 2001].pivot(index="region", columns="activity", values="value")
    back = back.reindex(index=panel[2001].index, columns=panel[2001].columns).fillna(0.0)
    np.testing.assert_array_equal(back.to_numpy(), panel[2001].to_numpy())
    assert _peerdata.to_stack(panel).shape == (2, 10, 8)


def test_quick_run_prints_json_last(capsys):
    out = peers.main(["--quick", "--skip-sparse", "--repeats", "1", "--peer-repeats", "1"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert json.loads(lines[-1]) == out
    assert set(out) == KEYS
    assert set(out["ratio_to_floor"]) == {"a", "b", "c"}
    assert all(v > 0 for v in out["ratio_to_floor"].values())
    if {"ecomplexity", "economic_complexity"} <= set(peers.load_peers()):
        assert all(v > 0 for v in out["speedup_vs_py_ecomplexity"].values())
        assert out["max_abs_diff_vs_peers"] < 1e-8
    else:
        assert out["max_abs_diff_vs_peers"] is None or out["max_abs_diff_vs_peers"] < 1e-8


def test_quick_run_without_peers(capsys):
    out = peers.main(["--quick", "--skip-sparse", "--skip-peers", "--repeats", "1"])
    assert out["speedup_vs_py_ecomplexity"] == {"a": None, "b": None, "c": None}
    assert out["max_abs_diff_vs_peers"] is None
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == out


def test_sparse_job_in_child_process():
    res = peers.run_sparse(100, 3000, 4000, top_k=5)
    assert res["input_nnz"] == 4000
    assert 0 < res["seconds"] < 30
    assert 0 < res["rss_before_gb"] <= res["peak_rss_gb"] < 4
    assert res["links"] > 0


def test_max_abs_diff_ignores_undefined_cells():
    a = np.array([1.0, np.nan, 3.0])
    b = np.array([1.5, 2.0, np.nan])
    assert peers.max_abs_diff(a, b) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="shapes differ"):
        peers.max_abs_diff(a, b[:2])
