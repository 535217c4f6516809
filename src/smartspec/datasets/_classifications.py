"""The NACE Rev. 2 activity classification (Eurostat), in five languages."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import pandas as pd

from ._loaders import _parquet

__all__ = ["NACE_LANGUAGES", "NACE_LEVELS", "nace", "nace_hierarchy"]

#: Languages of the shipped labels.
NACE_LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "it", "sl")
#: NACE levels, from the coarsest (1) to the finest (4).
NACE_LEVELS: dict[str, int] = {"section": 1, "division": 2, "group": 3, "class": 4}

NaceLevel = Literal["section", "division", "group", "class"]
CodeForm = Literal["eurostat", "official"]

_BASE = ["level", "level_name", "code", "code_eurostat", "parent", "parent_eurostat", "section"]


def nace(lang: str = "en") -> pd.DataFrame:
    """All 996 NACE Rev. 2 codes (21 sections, 88 divisions, 272 groups, 615 classes).

    Parameters
    ----------
    lang
        Label language: ``"en"``, ``"de"``, ``"fr"``, ``"it"``, ``"sl"``, or ``"all"`` for one
        ``label_<lang>`` column per language.

    Returns
    -------
    pandas.DataFrame
        Columns

        ``level`` (1-4) and ``level_name`` (section, division, group, class);
        ``code``
            The official code: ``"C"``, ``"10"``, ``"10.1"``, ``"10.11"``;
        ``code_eurostat``
            The form used in Eurostat tables such as SBS: section letter followed by the
            digits without dots, ``"C"``, ``"C10"``, ``"C101"``, ``"C1011"``. Activity codes
            of :func:`smartspec.datasets.sbs_employment` join on this column;
        ``parent``, ``parent_eurostat``
            The parent code in both forms (missing for sections);
        ``section``
            The section letter;
        ``label`` (or ``label_en`` ... ``label_sl`` when ``lang="all"``).

    Source: Eurostat (NACE Rev. 2), RAMON export.
    """
    if lang == "all":
        columns = [*_BASE, *(f"label_{x}" for x in NACE_LANGUAGES)]
        return _parquet("nace_rev2")[columns].copy()
    if lang not in NACE_LANGUAGES:
        raise ValueError(f"lang must be one of {NACE_LANGUAGES} or 'all', got {lang!r}")
    frame = _parquet("nace_rev2")[[*_BASE, f"label_{lang}"]]
    return frame.rename(columns={f"label_{lang}": "label"})


@lru_cache(maxsize=32)
def _hierarchy(from_level: str, to_level: str, code_form: str) -> pd.Series:
    table = _parquet("nace_rev2")
    column = "code_eurostat" if code_form == "eurostat" else "code"
    parent_column = "parent_eurostat" if code_form == "eurostat" else "parent"
    parent = dict(zip(table[column], table[parent_column], strict=True))
    level = dict(zip(table[column], table["level"], strict=True))
    start, stop = NACE_LEVELS[from_level], NACE_LEVELS[to_level]
    codes = table.loc[table["level"] == start, column].tolist()
    targets = []
    for code in codes:
        node = code
        while level[node] > stop:
            node = parent[node]
        targets.append(node)
    result = pd.Series(targets, index=pd.Index(codes, name=from_level), name=to_level)
    return result.astype(object)


def nace_hierarchy(
    from_level: NaceLevel = "division",
    to_level: NaceLevel = "section",
    *,
    code_form: CodeForm = "eurostat",
) -> pd.Series:
    """Map each NACE code at ``from_level`` to its ancestor at ``to_level``.

    Parameters
    ----------
    from_level, to_level
        ``"section"``, ``"division"``, ``"group"`` or ``"class"``; ``to_level`` must be the
        same as or coarser than ``from_level``.
    code_form
        ``"eurostat"`` (default; ``"C10" -> "C"``, ``"C101" -> "C10"``) or ``"official"``
        (``"10" -> "C"``, ``"10.1" -> "10"``).

    Returns
    -------
    pandas.Series
        Indexed by the ``from_level`` codes, values are the ``to_level`` codes.

    Examples
    --------
    >>> nace_hierarchy("division", "section")["C10"]
    'C'
    >>> nace_hierarchy("class", "division", code_form="official")["10.11"]
    '10'
    """
    for name, value in (("from_level", from_level), ("to_level", to_level)):
        if value not in NACE_LEVELS:
            raise ValueError(f"{name} must be one of {tuple(NACE_LEVELS)}, got {value!r}")
    if code_form not in ("eurostat", "official"):
        raise ValueError(f"code_form must be 'eurostat' or 'official', got {code_form!r}")
    if NACE_LEVELS[to_level] > NACE_LEVELS[from_level]:
        raise ValueError(
            f"to_level {to_level!r} is finer than from_level {from_level!r}; "
            "a hierarchy maps a code to one of its ancestors"
        )
    return _hierarchy(from_level, to_level, code_form).copy()
