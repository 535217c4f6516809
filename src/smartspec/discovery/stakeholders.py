r"""Stakeholder scores from the entrepreneurial discovery process (EDP), set beside the data.

In phase I of Foray's workshop method, stakeholders (firms, research, public bodies, civil
society) score each candidate domain on two criteria: the region's *capacity* to develop it and
the *opportunity* it offers, each on a 1–5 scale. :func:`merge_stakeholder_scores` validates
such scores, aggregates them per activity and puts them next to the data-driven score, flagging
the candidates where the two views disagree: these are the ones worth discussing in the
workshop.

Aggregation, per activity :math:`i` scored by :math:`n_i` stakeholders :math:`h`:

.. math:: \text{stakeholder\_score}_i = \frac{1}{n_i}\sum_h
          \frac{(\text{capacity}_{hi} + \text{opportunity}_{hi})/2 - 1}{4} \in [0, 1]

(1 on both criteria gives 0, 5 on both gives 1), with the means and standard deviations of each
criterion. Disagreement: :math:`|\text{stakeholder\_score}_i - \text{score}_i| >` ``threshold``
(default 0.25), or — when ``rank_gap`` is given — the ranks of the activity among the scored
activities differ by at least ``rank_gap`` between the two views.

References
----------
Foray, D. (2015). *Smart Specialisation: Opportunities and Challenges for Regional Innovation
Policy*. Routledge. Foray, D., et al. (2012). *Guide to Research and Innovation Strategies for
Smart Specialisation (RIS3)*. European Commission.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["STAKEHOLDER_COLUMNS", "item_summary", "merge_stakeholder_scores",
           "validate_stakeholder_scores"]

#: Required columns of a stakeholder score table (``comment`` and ``region`` are optional).
STAKEHOLDER_COLUMNS: tuple[str, ...] = ("stakeholder", "activity", "capacity", "opportunity")
_SCALE = (1.0, 5.0)
_MAX_LISTED = 10


def _rows(idx: pd.Index) -> str:
    shown = ", ".join(str(i) for i in idx[:_MAX_LISTED])
    return shown + (f" (and {len(idx) - _MAX_LISTED} more)" if len(idx) > _MAX_LISTED else "")


def validate_stakeholder_scores(scores: pd.DataFrame, activities: pd.Index | None = None,
                                *, name: str = "stakeholder scores") -> pd.DataFrame:
    """Check a stakeholder score table and return a clean copy.

    Parameters
    ----------
    scores : DataFrame with columns ``stakeholder``, ``activity``, ``capacity``,
        ``opportunity`` (numbers from 1 to 5) and optionally ``comment`` and ``region``.
    activities : the known (candidate) activities; None skips that check.
    name : how the table is called in error messages (e.g. its file name).

    Raises
    ------
    ValueError
        Naming the rows (index labels) and columns at fault: missing columns, empty cells,
        non-numeric or out-of-range scores, unknown activities, or a stakeholder scoring the
        same activity twice.
    """
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"{name}: expected a DataFrame, got {type(scores).__name__}")
    lacking = [c for c in STAKEHOLDER_COLUMNS if c not in scores.columns]
    if lacking:
        raise ValueError(f"{name}: missing column(s) {lacking}; expected "
                         f"{list(STAKEHOLDER_COLUMNS)} (+ optional 'comment', 'region'), got "
                         f"{list(scores.columns)}")
    out = scores.copy()
    keys = ["stakeholder", "activity"] + (["region"] if "region" in out.columns else [])
    for col in keys:
        empty = out[col].isna() | (out[col].astype(str).str.strip() == "")
        if empty.any():
            raise ValueError(f"{name}: empty '{col}' in row(s) {_rows(out.index[empty])}")
        out[col] = out[col].astype(str).str.strip()
    lo, hi = _SCALE
    for col in ("capacity", "opportunity"):
        num = pd.to_numeric(out[col], errors="coerce")
        bad = num.isna() & out[col].notna()
        if bad.any():
            first = out.loc[bad, col].iloc[0]
            raise ValueError(f"{name}: non-numeric '{col}' in row(s) {_rows(out.index[bad])} "
                             f"(e.g. {first!r}); scores are numbers from 1 to 5")
        if num.isna().any():
            raise ValueError(f"{name}: empty '{col}' in row(s) {_rows(out.index[num.isna()])}")
        off = (num < lo) | (num > hi)
        if off.any():
            vals = ", ".join(f"{num[i]:g}" for i in out.index[off][:_MAX_LISTED])
            raise ValueError(f"{name}: '{col}' out of range 1-5 in row(s) "
                             f"{_rows(out.index[off])} (values {vals})")
        out[col] = num.astype(float)
    if activities is not None:
        unknown = ~out["activity"].isin(pd.Index(activities).astype(str))
        if unknown.any():
            codes = sorted(out.loc[unknown, "activity"].unique())
            raise ValueError(f"{name}: unknown or excluded activity code(s) {codes[:_MAX_LISTED]}"
                             f" in row(s) {_rows(out.index[unknown])}; they must be candidate "
                             "activities (e.g. NACE divisions such as 'C28')")
    dup = out.duplicated(keys, keep=False)
    if dup.any():
        raise ValueError(f"{name}: the same stakeholder scores the same activity more than "
                         f"once in row(s) {_rows(out.index[dup])}")
    return out


def _combined(capacity: Any, opportunity: Any) -> Any:
    """The 0-1 stakeholder score of a capacity and an opportunity score (module docstring)."""
    return ((capacity + opportunity) / 2.0 - 1.0) / 4.0


def _aggregate(scores: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    s = scores.assign(_combined=_combined(scores["capacity"], scores["opportunity"]))
    g = s.groupby(by, sort=False)
    agg = pd.DataFrame({
        "capacity_mean": g["capacity"].mean(),
        "capacity_sd": g["capacity"].std(ddof=1),
        "opportunity_mean": g["opportunity"].mean(),
        "opportunity_sd": g["opportunity"].std(ddof=1),
        "n_stakeholders": g["stakeholder"].nunique().astype("int64"),
        "stakeholder_score": g["_combined"].mean(),
        "stakeholder_sd": g["_combined"].std(ddof=1),
    })
    if "comment" in scores.columns:
        com = scores.dropna(subset=["comment"])
        com = com[com["comment"].astype(str).str.strip() != ""]
        text = (com["stakeholder"] + ": " + com["comment"].astype(str)).groupby(
            [com[c] for c in by], sort=False).agg(" | ".join)
        agg["comments"] = text.reindex(agg.index)
    return agg


def item_summary(scores: Iterable[tuple[str, float, float]], data_score: float | None = None,
                 *, threshold: float = 0.25) -> dict[str, float | int | bool]:
    """The aggregation of :func:`merge_stakeholder_scores` for one activity, in plain Python.

    A live workshop re-aggregates after every score; for its handful of rows this is the same
    arithmetic without the cost of building data frames (the two are tested to agree).

    Parameters
    ----------
    scores : ``(stakeholder, capacity, opportunity)`` of each stakeholder (validated scores).
    data_score : the data-driven score in [0, 1] (None or NaN: unknown).
    threshold : disagreement threshold, as in :func:`merge_stakeholder_scores`.

    Returns
    -------
    dict
        ``capacity_mean``, ``capacity_sd``, ``opportunity_mean``, ``opportunity_sd``,
        ``n_stakeholders``, ``stakeholder_score``, ``stakeholder_sd``, ``score_difference``
        and ``disagreement``; NaN where undefined (no score; a standard deviation of fewer than
        two scores, ``ddof=1``).
    """
    rows = [(str(h), float(c), float(o)) for h, c, o in scores]
    nan = math.nan

    def mean(values: list[float]) -> float:
        return statistics.fmean(values) if values else nan

    def sd(values: list[float]) -> float:
        return statistics.stdev(values) if len(values) >= 2 else nan

    cap = [c for _, c, _ in rows]
    opp = [o for _, _, o in rows]
    combined = [_combined(c, o) for _, c, o in rows]
    score = mean(combined)
    data = nan if data_score is None else float(data_score)
    diff = score - data
    return {"capacity_mean": mean(cap), "capacity_sd": sd(cap),
            "opportunity_mean": mean(opp), "opportunity_sd": sd(opp),
            "n_stakeholders": len({h for h, _, _ in rows}),
            "stakeholder_score": score, "stakeholder_sd": sd(combined),
            "score_difference": diff,
            "disagreement": bool(rows) and not math.isnan(diff) and abs(diff) > threshold}


def merge_stakeholder_scores(cands: pd.DataFrame, scores: pd.DataFrame, *,
                             threshold: float = 0.25, rank_gap: int | None = None
                             ) -> pd.DataFrame:
    """Put aggregated EDP stakeholder scores beside the data-driven candidate scores.

    Parameters
    ----------
    cands : the output of :func:`smartspec.discovery.candidates` — one region (index
        ``activity``) or several (MultiIndex ``(region, activity)``), with a ``score`` column.
    scores : stakeholder table (see :func:`validate_stakeholder_scores`). For several regions
        it needs a ``region`` column; for one region a ``region`` column, if present, must name
        that region.
    threshold : disagreement when ``|stakeholder_score - score|`` exceeds it (in [0, 1]).
    rank_gap : also disagreement when the two rankings of the scored activities differ by at
        least this many places; None (default) uses the score threshold only.

    Returns
    -------
    DataFrame
        ``cands`` with the columns ``capacity_mean``, ``capacity_sd``, ``opportunity_mean``,
        ``opportunity_sd``, ``n_stakeholders``, ``stakeholder_score``, ``stakeholder_sd``,
        (``comments``), ``stakeholder_rank``, ``data_rank`` (ranks among the scored activities
        of the region), ``score_difference`` (stakeholder minus data), ``disagreement`` (bool)
        and ``disagreement_note``. Activities nobody scored have NaN / 0 / False.
    """
    if not isinstance(cands, pd.DataFrame) or "score" not in cands.columns:
        raise TypeError("cands must be a candidates DataFrame with a 'score' column")
    if not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold!r}")
    if rank_gap is not None and (not isinstance(rank_gap, int | np.integer) or rank_gap < 1):
        raise ValueError(f"rank_gap must be a positive integer or None, got {rank_gap!r}")
    batch = isinstance(cands.index, pd.MultiIndex)
    acts = cands.index.get_level_values(-1).unique()
    clean = validate_stakeholder_scores(scores, acts)
    if batch:
        if "region" not in clean.columns:
            raise ValueError("stakeholder scores: candidates for several regions need a "
                             "'region' column in the scores")
        regions = cands.index.get_level_values(0).unique().astype(str)
        unknown = ~clean["region"].isin(regions)
        if unknown.any():
            raise ValueError(f"stakeholder scores: region(s) "
                             f"{sorted(clean.loc[unknown, 'region'].unique())} in row(s) "
                             f"{_rows(clean.index[unknown])} are not among the candidates' "
                             "regions")
        agg = _aggregate(clean, ["region", "activity"])
        agg.index = agg.index.set_names(cands.index.names)
    else:
        if "region" in clean.columns:
            region = cands.attrs.get("region")
            other = clean["region"] != str(region) if region is not None else None
            if other is not None and other.any():
                raise ValueError(f"stakeholder scores: row(s) {_rows(clean.index[other])} are "
                                 f"for another region than {region!r}")
        agg = _aggregate(clean, ["activity"])
        agg.index = agg.index.set_names(cands.index.name)
    out = cands.drop(columns=[c for c in agg.columns if c in cands.columns]).join(agg)
    out["n_stakeholders"] = out["n_stakeholders"].fillna(0).astype("int64")
    scored = out["stakeholder_score"].notna()
    group = out.index.get_level_values(0) if batch else np.zeros(len(out))
    sub = out.loc[scored]
    gsub = pd.Series(np.asarray(group)[scored.to_numpy()], index=sub.index)
    out["stakeholder_rank"] = sub["stakeholder_score"].groupby(gsub).rank(
        ascending=False, method="min")
    out["data_rank"] = sub["score"].groupby(gsub).rank(ascending=False, method="min")
    diff = out["stakeholder_score"] - out["score"]
    out["score_difference"] = diff
    flag = diff.abs() > threshold
    if rank_gap is not None:
        flag |= (out["stakeholder_rank"] - out["data_rank"]).abs() >= rank_gap
    flag &= scored
    out["disagreement"] = flag.astype(bool)
    note = np.where(~flag, "", np.where(diff > 0, "stakeholders rate it higher than the data",
                                        "the data rate it higher than the stakeholders"))
    out["disagreement_note"] = note
    out.attrs = dict(cands.attrs)
    out.attrs["stakeholders"] = {"n": int(clean["stakeholder"].nunique()),
                                 "threshold": float(threshold), "rank_gap": rank_gap}
    return out
