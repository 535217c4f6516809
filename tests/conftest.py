"""Shared fixtures: the reference data shipped (compressed) in tests/data/."""

from __future__ import annotations

import pandas as pd
import pytest

from _reference_data import read_reference


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Keep the on-disk caches (activity-space layouts ...) out of the user's home."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SMARTSPEC_CACHE_DIR", str(tmp_path_factory.mktemp("smartspec-cache")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def world_trade() -> pd.DataFrame:
    """R economiccomplexity's world trade input, 226 countries x 785 SITC products (wide)."""
    long = read_reference("world_trade_avg_1998_to_2000", dtype={"product": str})
    wide = long.pivot_table(index="country", columns="product", values="value",
                            aggfunc="sum", fill_value=0.0)
    wide.columns = wide.columns.astype(str)
    wide.index = wide.index.astype(str)
    return wide
