"""Reading the reference files shipped (compressed) in tests/data/."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DATA = Path(__file__).parent / "data"


def read_reference(name: str, **kwargs) -> pd.DataFrame:
    """Read ``tests/data/<name>.csv.gz`` with product codes kept as strings."""
    return pd.read_csv(DATA / f"{name}.csv.gz", **kwargs)
