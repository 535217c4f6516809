"""Reading the Parquet files shipped in ``smartspec/datasets/files``.

Every file is parsed once per process (:func:`functools.lru_cache`) and callers only ever get
copies, so a caller that modifies what it received cannot corrupt what the next caller gets.
The files are written by ``scripts/build_datasets.py``; ``MANIFEST.json`` next to them records
the SHA-256 of every source file and the coverage of every dataset.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["DatasetFileError", "files_dir", "manifest", "read_table"]


class DatasetFileError(FileNotFoundError):
    """A shipped dataset file is missing or unreadable (a broken installation)."""


def files_dir() -> Path:
    """Directory that holds the shipped dataset files."""
    return Path(str(resources.files("smartspec.datasets") / "files"))


@lru_cache(maxsize=1)
def manifest() -> dict[str, Any]:
    """The parsed ``MANIFEST.json`` written by the build script (cached; do not modify)."""
    path = files_dir() / "MANIFEST.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DatasetFileError(
            f"{path} is missing: reinstall smartspec or run scripts/build_datasets.py"
        ) from exc


@cache
def _parquet(name: str) -> pd.DataFrame:
    """Parse ``files/<name>.parquet`` once. The result is shared: never hand it out."""
    path = files_dir() / f"{name}.parquet"
    if not path.is_file():
        raise DatasetFileError(
            f"dataset file {path} is missing: reinstall smartspec or run "
            "scripts/build_datasets.py"
        )
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pragma: no cover - corrupt installation
        raise DatasetFileError(f"cannot read dataset file {path}: {exc}") from exc


def read_table(name: str) -> pd.DataFrame:
    """Return a private copy of the shipped table ``name`` (file stem, e.g. ``"nace_rev2"``).

    Parameters
    ----------
    name
        Stem of a Parquet file in :func:`files_dir`.

    Returns
    -------
    pandas.DataFrame
        A deep copy, safe to modify.
    """
    return _parquet(name).copy()


def cache_info() -> Any:
    """Cache statistics of the Parquet reader (hits, misses, currsize)."""
    return _parquet.cache_info()


def clear_cache() -> None:
    """Forget every parsed file (mainly for tests and benchmarks)."""
    _parquet.cache_clear()
    manifest.cache_clear()
