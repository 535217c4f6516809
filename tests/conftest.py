"""Shared fixtures: the reference data shipped (compressed) in tests/data/."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Keep the on-disk caches (activity-space layouts ...) out of the user's home."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SMARTSPEC_CACHE_DIR", str(tmp_path_factory.mktemp("smartspec-cache")))
    yield
    mp.undo()


def read_reference(name: str, **kwargs) -> pd.DataFrame:
    """Read ``tests/data/<name>.csv.gz`` with product codes kept as strings."""
    return pd.read_csv(DATA / f"{name}.csv.gz", **kwargs)


@pytest.fixture(scope="session")
def world_trade() -> pd.DataFrame:
    """R economiccomplexity's world trade input, 226 countries x 785 SITC products (wide)."""
    long = read_reference("world_trade_avg_1998_to_2000", dtype={"product": str})
    wide = long.pivot_table(index="country", columns="product", values="value",
                            aggfunc="sum", fill_value=0.0)
    wide.columns = wide.columns.astype(str)
    wide.index = wide.index.astype(str)
    return wide
