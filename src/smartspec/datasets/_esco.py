"""ESCO v1.0 (European Skills, Competences, Qualifications and Occupations)."""

from __future__ import annotations

import pandas as pd

from ._loaders import read_table

__all__ = [
    "esco_isco_groups",
    "esco_occupation_skills_sample",
    "esco_occupations",
    "esco_skill_hierarchy",
    "esco_skills",
]


def esco_occupations() -> pd.DataFrame:
    """The 2,942 ESCO v1.0 occupations.

    Returns
    -------
    pandas.DataFrame
        Columns ``uri`` (ESCO concept URI), ``isco_group`` (4-digit ISCO-08 unit group,
        joins :func:`esco_isco_groups` ``code``; the 21 military occupations use unit groups
        0110/0210/0310, which that table covers only as major group ``"0"``), ``label``
        (preferred English label),
        ``alt_labels`` (alternative labels separated by newlines; may be missing) and
        ``description``.

    Source: ESCO v1.0, European Commission.
    """
    return read_table("esco_occupations")


def esco_skills() -> pd.DataFrame:
    """The 13,939 ESCO v1.0 skills and knowledge concepts.

    Returns
    -------
    pandas.DataFrame
        Columns ``uri`` and ``text``: one field holding the preferred label, the alternative
        labels and the definition, separated by spaces (as shipped upstream, meant for text
        matching). The preferred label alone is not available for every skill.

    Source: ESCO v1.0, European Commission.
    """
    return read_table("esco_skills")


def esco_skill_hierarchy() -> pd.DataFrame:
    """The ESCO v1.0 skills pillar: 656 skill groups at levels 0-3.

    Level 0 has the four pillars ``S`` (skills), ``K`` (knowledge, whose lower levels follow
    ISCED-F fields), ``L`` (language skills and knowledge) and ``A`` (transversal skills).

    Returns
    -------
    pandas.DataFrame
        Columns ``uri``, ``code`` (the last URI segment, e.g. ``"S1.1.1"`` or ``"0011"``),
        ``level`` (0-3), ``label``, ``parent_uri`` (missing at level 0), ``level_0_uri``,
        ``level_1_uri``, ``level_2_uri`` (the ancestors, missing above the concept's own
        level), ``description`` and ``scope_note``.

    Notes
    -----
    Individual skills (:func:`esco_skills`) are not linked to these groups in the shipped
    data.

    Source: ESCO v1.0, European Commission.
    """
    return read_table("esco_skill_hierarchy")


def esco_isco_groups() -> pd.DataFrame:
    """The 619 ISCO-08 groups as published in ESCO v1.0.

    Returns
    -------
    pandas.DataFrame
        619 rows with columns ``uri``, ``code`` (1 to 4 digits), ``level`` (number of digits: 1 major, 2
        sub-major, 3 minor, 4 unit group), ``parent`` (code of the enclosing group, missing for
        major groups), ``label`` and ``description``.

    Notes
    -----
    The armed forces occupations appear only as major group ``"0"``: their sub-major, minor
    and unit groups (e.g. ``"0110"``) have no row.

    Source: ESCO v1.0, European Commission (ISCO-08: International Labour Organization).
    """
    return read_table("esco_isco08_groups")


def esco_occupation_skills_sample() -> pd.DataFrame:
    """Occupation -> skill links of ESCO v1.0 for 91 ICT occupations only.

    Returns
    -------
    pandas.DataFrame
        1,970 rows with columns ``occupation_uri``, ``occupation_label``, ``skill_uri`` and
        ``skill_label``. 47 links have a label but no skill URI upstream.

    Notes
    -----
    This is a sample: the full ESCO occupation-skill relation table and any industry <->
    occupation crosswalk are **not** shipped. Use it for demonstrations and tests; design
    skill features for user-supplied matrices.

    Six of the 91 occupations (computer vision engineer, embedded systems security engineer,
    blockchain developer, cloud engineer, ICT change and configuration manager, blockchain
    architect) are not in the v1.0 list of :func:`esco_occupations`: the sample appears to
    come from a later ESCO release. One skill URI is not in :func:`esco_skills`.

    Source: ESCO v1.0, European Commission.
    """
    return read_table("esco_ict_occupation_skills")
