r"""Matching actors to a transformative activity (TA), and the skills profile of a region's firms.

Actor score
-----------
For an actor with activities :math:`A` (NACE divisions), the TA's activity :math:`t`, its gap
activities :math:`G` (capabilities the TA needs that the region lacks) and the skills it needs
:math:`S`, with :math:`\pi(a, b) = 1` if :math:`a = b` and :math:`\min(1, \max(0, \phi_{ab}))`
otherwise (the relatedness :math:`\phi` of :func:`smartspec.evidence.proximity`):

* activity fit :math:`f_t = \max_{a \in A} \pi(a, t)`;
* gap coverage :math:`f_G = \frac{1}{|G|} \sum_{g \in G} \max_{a \in A} \pi(a, g)`;
* skills coverage :math:`f_S = |S_{\text{actor}} \cap S| / |S|`;

and the score is the weighted mean of the components that apply,

.. math:: \text{score} = \frac{w_t f_t + w_G f_G [G \neq \emptyset] + w_S f_S [S \neq \emptyset]}
                               {w_t + w_G [G \neq \emptyset] + w_S [S \neq \emptyset]}

with default weights :math:`w_t = 0.5, w_G = 0.25, w_S = 0.25`; it lies in [0, 1].

Skills profile
--------------
The shipped ESCO v1.0 data hold the skills pillar's groups (levels 0-3) but **not** the links
from individual skills to their groups. :func:`assign_skill_groups` therefore places a skill
given by URI in a group as follows: a skill-group URI is its own group; a ``mapping`` supplied
by the user (e.g. ESCO's ``broaderRelationsSkillPillar`` table) is used as given; otherwise the
group is **inferred** as the group (levels 1-3) whose label, description and scope note are most
similar to the skill's ESCO text (TF-IDF cosine similarity; indicative only, flagged
``method="inferred"`` with its ``similarity``). :func:`region_skill_profile` then aggregates the
firms' skills by group at levels 0-2 following the hierarchy.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import scipy.sparse as sp

from smartspec.strategy.actors import Actor, _division

__all__ = [
    "DEFAULT_MATCH_WEIGHTS",
    "assign_skill_groups",
    "match_actors",
    "region_skill_profile",
    "skill_label",
    "ta_skill_gap",
    "ta_skills_needed",
]

#: Default weights of the score components.
DEFAULT_MATCH_WEIGHTS: dict[str, float] = {"activity": 0.5, "gap": 0.25, "skills": 0.25}

_ESCO_PREFIX = "http://data.europa.eu/esco/skill/"


# --------------------------------------------------------------------------------------------
# actor scores
# --------------------------------------------------------------------------------------------
class _Proximity:
    """Symmetric lookup of pi(a, b) in a dense or sparse labelled proximity matrix."""

    def __init__(self, phi: object | None) -> None:
        self.phi = phi
        if phi is None:
            self.index: dict[str, int] = {}
        elif isinstance(phi, pd.DataFrame):
            if not phi.index.equals(phi.columns):
                raise ValueError("phi must be a square activity x activity matrix with the "
                                 "same labels on both axes")
            self.index = {str(c): i for i, c in enumerate(phi.columns)}
            self.values = phi.to_numpy(dtype=float)
        elif hasattr(phi, "matrix") and hasattr(phi, "cols"):
            self.index = {str(c): i for i, c in enumerate(phi.cols)}  # type: ignore[attr-defined]
            self.values = sp.csr_array(phi.matrix)  # type: ignore[attr-defined]
        else:
            raise TypeError("phi must be a DataFrame or LabelledSparse proximity matrix (or None)")

    def __call__(self, a: str, b: str) -> float:
        if a == b:
            return 1.0
        i, j = self.index.get(a), self.index.get(b)
        if i is None or j is None:
            return 0.0
        v = float(self.values[i, j])
        if math.isnan(v):
            return 0.0
        return min(1.0, max(0.0, v))


def _norm_skill(s: str) -> str:
    s = str(s).strip()
    return s if s.startswith(_ESCO_PREFIX) else " ".join(s.split()).casefold()


def _as_actors(actors: Iterable[Actor] | pd.DataFrame) -> list[Actor]:
    if isinstance(actors, pd.DataFrame):
        from smartspec.strategy.actors import validate_actors

        return validate_actors(actors, origin="actors table")
    out = list(actors)
    for a in out:
        if not isinstance(a, Actor):
            raise TypeError(f"expected Actor records, got {type(a).__name__}")
    return out


def match_actors(actors: Iterable[Actor] | pd.DataFrame, ta_activity: str,
                 phi: object | None = None, *, gap_activities: Iterable[str] | None = None,
                 skills_needed: Iterable[str] | None = None,
                 weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Score how well each actor covers the TA's capability needs and gaps.

    Parameters
    ----------
    actors : list of Actor or actors DataFrame
    ta_activity : the TA's activity (NACE division in Eurostat form, e.g. ``"C28"``).
    phi : activity x activity proximity (DataFrame or LabelledSparse) from
        :func:`smartspec.evidence.proximity`, optional. Without it only exact matches count.
        Values are clipped to [0, 1] (use a bounded method such as ``"min_conditional"``).
    gap_activities : activities the TA needs that the region lacks, optional.
    skills_needed : ESCO skill URIs or labels the TA needs, optional.
    weights : mapping with keys ``activity``, ``gap``, ``skills`` (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per actor, best first: ``name, region, actor_type, helix, activity_fit,
        gap_coverage, skills_coverage, score, closest_activity, matched_skills, id``
        (``gap_coverage`` / ``skills_coverage`` are NaN when not applicable).
    """
    items = _as_actors(actors)
    w = {**DEFAULT_MATCH_WEIGHTS, **(weights or {})}
    unknown = set(w) - set(DEFAULT_MATCH_WEIGHTS)
    if unknown or any(not math.isfinite(v) or v < 0 for v in w.values()):
        raise ValueError(f"weights must be non-negative, with keys {sorted(DEFAULT_MATCH_WEIGHTS)}")
    if w["activity"] <= 0:
        raise ValueError("the activity weight must be positive")
    prox = _Proximity(phi)
    ta = _division(str(ta_activity).strip().upper())
    gaps = list(dict.fromkeys(_division(str(g).strip().upper()) for g in gap_activities or ()))
    needed = list(dict.fromkeys(_norm_skill(s) for s in skills_needed or ()))
    rows = []
    for a in items:
        divisions = a.divisions()
        fits = [(prox(d, ta), d) for d in divisions]
        activity_fit, closest = max(fits, default=(0.0, None))
        gap_cov = (float(np.mean([max((prox(d, g) for d in divisions), default=0.0)
                                  for g in gaps])) if gaps else math.nan)
        held = {_norm_skill(s) for s in a.skills}
        matched = [s for s in needed if s in held]
        skill_cov = len(matched) / len(needed) if needed else math.nan
        num = w["activity"] * activity_fit
        den = w["activity"]
        if gaps:
            num += w["gap"] * gap_cov
            den += w["gap"]
        if needed:
            num += w["skills"] * skill_cov
            den += w["skills"]
        rows.append({
            "name": a.name, "region": a.region, "actor_type": a.actor_type, "helix": a.helix,
            "activity_fit": activity_fit, "gap_coverage": gap_cov,
            "skills_coverage": skill_cov, "score": num / den if den > 0 else 0.0,
            "closest_activity": closest if activity_fit > 0 else None,
            "matched_skills": matched, "id": a.id,
        })
    columns = ["name", "region", "actor_type", "helix", "activity_fit", "gap_coverage",
               "skills_coverage", "score", "closest_activity", "matched_skills", "id"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    frame = frame.sort_values(["score", "activity_fit", "name"], ascending=[False, False, True],
                              kind="stable")
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# skills
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _demo_labels() -> dict[str, str]:
    text = resources.files("smartspec.strategy").joinpath(
        "catalogues/demo_skill_labels.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


@lru_cache(maxsize=1)
def _skill_texts() -> dict[str, str]:
    from smartspec.datasets import esco_skills

    table = esco_skills()
    return dict(zip(table["uri"], table["text"], strict=True))


def skill_label(skill: str) -> str:
    """A readable label for an ESCO skill URI (or the label itself for free text).

    Skill groups get their ESCO label; demo skills their preferred label; other skill URIs the
    first words of their ESCO text (which starts with the preferred label).
    """
    skill = str(skill).strip()
    if not skill.startswith(_ESCO_PREFIX):
        return skill
    if skill in _demo_labels():
        return _demo_labels()[skill]
    groups = _default_groups()
    if skill in groups.index:
        return str(groups.at[skill, "label"])
    text = _skill_texts().get(skill)
    if text is None:
        return skill
    words = text.split()
    return " ".join(words[:5]) + (" ..." if len(words) > 5 else "")


_TOKEN = re.compile(r"[a-z][a-z0-9+#]+")
_STOP = frozenset(
    "the and of or to in for an with on by as is are be this that from at its their such other "
    "including includes include used using use which it into eg ie not can may also all any "
    "these those has have been examples example excludes".split()
)


def _tokens(text: object) -> list[str]:
    return [w for w in _TOKEN.findall(str(text).lower()) if w not in _STOP and len(w) > 2]


@lru_cache(maxsize=1)
def _default_groups() -> pd.DataFrame:
    from smartspec.datasets import esco_skill_hierarchy

    return esco_skill_hierarchy().set_index("uri", drop=False)


class _GroupIndex:
    """TF-IDF vectors of the skill groups' label (x3), description and scope note."""

    def __init__(self, groups: pd.DataFrame) -> None:
        self.groups = groups
        docs = [
            _tokens(f"{lab} {lab} {lab} {desc} {note}")
            for lab, desc, note in zip(groups["label"].fillna(""),
                                       groups["description"].fillna(""),
                                       groups["scope_note"].fillna(""), strict=True)
        ]
        vocab: dict[str, int] = {}
        for doc in docs:
            for w in doc:
                vocab.setdefault(w, len(vocab))
        self.vocab = vocab
        counts = self._counts(docs)
        df = np.asarray((counts > 0).sum(axis=0)).ravel()
        self.idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
        self.matrix = self._normalise(counts)
        self.levels = groups["level"].to_numpy()

    def _counts(self, docs: Sequence[list[str]]) -> sp.csr_array:
        rows, cols = [], []
        for i, doc in enumerate(docs):
            for w in doc:
                j = self.vocab.get(w)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        data = np.ones(len(rows))
        out = sp.csr_array((data, (rows, cols)), shape=(len(docs), len(self.vocab)))
        out.sum_duplicates()
        return out

    def _normalise(self, counts: sp.csr_array) -> sp.csr_array:
        weighted = sp.csr_array(counts.multiply(self.idf[None, :]))
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_array(sp.diags_array(1.0 / norms) @ weighted)

    def best(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Index of the most similar group (levels 1-3) and the similarity, per text."""
        q = self._normalise(self._counts([_tokens(t) for t in texts]))
        sim = (q @ self.matrix.T).toarray()
        sim[:, self.levels < 1] = -1.0
        best = sim.argmax(axis=1)
        return best, sim[np.arange(len(texts)), best]


@lru_cache(maxsize=1)
def _default_index() -> _GroupIndex:
    return _GroupIndex(_default_groups())


def assign_skill_groups(skills: Iterable[str], hierarchy: pd.DataFrame | None = None, *,
                        mapping: Mapping[str, str] | None = None,
                        min_similarity: float = 0.1) -> pd.DataFrame:
    """Place skills in the ESCO skills-pillar hierarchy (see the module docstring).

    Parameters
    ----------
    skills : ESCO skill or skill-group URIs, or free-text labels.
    hierarchy : :func:`smartspec.datasets.esco_skill_hierarchy` (default) or an equivalent.
    mapping : skill URI or label -> group URI, optional; takes precedence over inference.
    min_similarity : float, default 0.1
        Inferred assignments below this similarity are left unassigned.

    Returns
    -------
    pandas.DataFrame
        One row per distinct skill: ``skill, label, group_uri, group_code, group_label,
        level_0_uri, level_1_uri, level_2_uri, method`` (``"group"``, ``"given"``,
        ``"inferred"`` or ``"unassigned"``) and ``similarity`` (inferred only).
    """
    groups = _default_groups() if hierarchy is None else hierarchy.set_index("uri", drop=False)
    index = _default_index() if hierarchy is None else _GroupIndex(groups)
    mapping = dict(mapping or {})
    distinct = list(dict.fromkeys(str(s).strip() for s in skills if str(s).strip()))
    texts = _skill_texts()
    rows: list[dict[str, object]] = []
    to_infer: list[int] = []
    for skill in distinct:
        row: dict[str, object] = {"skill": skill, "label": skill_label(skill), "group_uri": None,
                                  "method": "unassigned", "similarity": math.nan}
        if skill in groups.index:
            row.update(group_uri=skill, method="group")
        elif skill in mapping:
            target = mapping[skill]
            if target not in groups.index:
                raise ValueError(f"mapping gives {target!r} for {skill!r}, which is not a skill "
                                 "group of the hierarchy")
            row.update(group_uri=target, method="given")
        else:
            to_infer.append(len(rows))
            row["_text"] = texts.get(skill, skill)
        rows.append(row)
    if to_infer:
        best, sim = index.best([str(rows[i]["_text"]) for i in to_infer])
        for i, b, s in zip(to_infer, best, sim, strict=True):
            if s >= min_similarity:
                rows[i].update(group_uri=groups.index[b], method="inferred", similarity=float(s))
            else:
                rows[i]["similarity"] = float(s)
    for row in rows:
        row.pop("_text", None)
        g = row["group_uri"]
        if g is None:
            row.update(group_code=None, group_label=None, level_0_uri=None, level_1_uri=None,
                       level_2_uri=None)
            continue
        rec = groups.loc[g]
        lineage = {f"level_{k}_uri": (g if int(rec["level"]) == k else rec[f"level_{k}_uri"])
                   for k in range(3)}
        for k in range(3):
            if int(rec["level"]) < k:
                lineage[f"level_{k}_uri"] = None
            elif isinstance(lineage[f"level_{k}_uri"], float):
                lineage[f"level_{k}_uri"] = None
        row.update(group_code=rec["code"], group_label=rec["label"], **lineage)
    columns = ["skill", "label", "group_uri", "group_code", "group_label", "level_0_uri",
               "level_1_uri", "level_2_uri", "method", "similarity"]
    return pd.DataFrame(rows, columns=columns)


def region_skill_profile(actors: Iterable[Actor] | pd.DataFrame,
                         hierarchy: pd.DataFrame | None = None, *,
                         region: str | None = None,
                         actor_types: Sequence[str] | None = ("firm",),
                         mapping: Mapping[str, str] | None = None,
                         min_similarity: float = 0.1) -> pd.DataFrame:
    """Aggregate the registry's firms' ESCO skills by skill group (levels 0-2).

    Parameters
    ----------
    actors : the registry.
    hierarchy : the ESCO skills-pillar groups (default :func:`smartspec.datasets.esco_skill_hierarchy`).
    region : keep actors whose region code starts with this code (e.g. ``"AT31"`` keeps
        ``"AT31"`` and ``"AT312"``), optional.
    actor_types : actor types to count (default firms only; None for all).
    mapping, min_similarity : see :func:`assign_skill_groups`.

    Returns
    -------
    pandas.DataFrame
        One row per group holding at least one skill: ``uri, code, level, label,
        parent_uri, n_actors`` (actors with ≥ 1 skill in the group), ``share_actors``
        (of the actors counted), ``n_skills`` (distinct skills), ``skills`` (labels),
        ``inferred`` (share of the group's skills placed by inference). Sorted
        hierarchically (by code within the tree). ``attrs``: ``n_actors``,
        ``unassigned`` (skills not placed), ``method`` note.
    """
    items = _as_actors(actors)
    if region is not None:
        items = [a for a in items if a.region.startswith(str(region).upper())]
    if actor_types is not None:
        items = [a for a in items if a.actor_type in set(actor_types)]
    groups = _default_groups() if hierarchy is None else hierarchy.set_index("uri", drop=False)
    all_skills = [s for a in items for s in a.skills]
    placed = assign_skill_groups(all_skills, hierarchy, mapping=mapping,
                                 min_similarity=min_similarity).set_index("skill")
    holders: dict[str, set[int]] = {}
    skills_in: dict[str, set[str]] = {}
    inferred_in: dict[str, set[str]] = {}
    for i, a in enumerate(items):
        for s in dict.fromkeys(str(x).strip() for x in a.skills):
            rec = placed.loc[s]
            for k in range(3):
                g = rec[f"level_{k}_uri"]
                if g is None or (isinstance(g, float) and math.isnan(g)):
                    continue
                holders.setdefault(g, set()).add(i)
                skills_in.setdefault(g, set()).add(s)
                if rec["method"] == "inferred":
                    inferred_in.setdefault(g, set()).add(s)
    n = len(items)
    rows = []
    for g, who in holders.items():
        rec = groups.loc[g]
        rows.append({
            "uri": g, "code": rec["code"], "level": int(rec["level"]), "label": rec["label"],
            "parent_uri": rec["parent_uri"] if isinstance(rec["parent_uri"], str) else None,
            "n_actors": len(who), "share_actors": len(who) / n if n else math.nan,
            "n_skills": len(skills_in[g]),
            "skills": sorted(skill_label(s) for s in skills_in[g]),
            "inferred": len(inferred_in.get(g, ())) / len(skills_in[g]),
        })
    columns = ["uri", "code", "level", "label", "parent_uri", "n_actors", "share_actors",
               "n_skills", "skills", "inferred"]
    frame = pd.DataFrame(rows, columns=columns)
    if not frame.empty:
        path = {}
        for g in frame["uri"]:
            rec = groups.loc[g]
            chain = [rec[f"level_{k}_uri"] for k in range(int(rec["level"]))] + [g]
            path[g] = tuple(str(groups.at[c, "code"]) if isinstance(c, str) else "" for c in chain)
        frame = frame.assign(_path=frame["uri"].map(path)).sort_values("_path")
        frame = frame.drop(columns="_path").reset_index(drop=True)
    unassigned = placed.index[placed["method"] == "unassigned"].tolist()
    frame.attrs.update(
        n_actors=n, unassigned=unassigned,
        method="skills placed in ESCO groups directly, by the given mapping, or inferred by "
               "text similarity (the shipped ESCO data lack skill-to-group links)",
    )
    return frame


def ta_skills_needed(actors: Iterable[Actor] | pd.DataFrame, ta_activity: str, *,
                     phi: object | None = None, min_proximity: float = 1.0,
                     regions: Iterable[str] | None = None) -> list[str]:
    """Skills the TA's activities need, observed in the registry.

    The skills held by registered actors (in any region, or in ``regions``) whose activities
    match the TA: an actor matches when :math:`\\max_a \\pi(a, t) \\ge` ``min_proximity``
    (1 = the TA's own division; lower values admit related activities through ``phi``).
    Skills are returned in order of the number of matching actors holding them.
    """
    if not 0 < min_proximity <= 1:
        raise ValueError(f"min_proximity must be in (0, 1], got {min_proximity}")
    prox = _Proximity(phi)
    ta = _division(str(ta_activity).strip().upper())
    keep = None if regions is None else tuple(str(r).upper() for r in regions)
    counts: dict[str, int] = {}
    for a in _as_actors(actors):
        if keep is not None and not a.region.startswith(keep):
            continue
        if max((prox(d, ta) for d in a.divisions()), default=0.0) >= min_proximity:
            for s in dict.fromkeys(a.skills):
                counts[s] = counts.get(s, 0) + 1
    return sorted(counts, key=lambda s: (-counts[s], skill_label(s)))


def ta_skill_gap(needed_skills: Iterable[str], actors: Iterable[Actor] | pd.DataFrame
                 ) -> list[str]:
    """The needed skills that no registered actor holds (in the order given).

    Skills compare by ESCO URI, or by label case- and space-insensitively.
    """
    held = {_norm_skill(s) for a in _as_actors(actors) for s in a.skills}
    out = []
    for s in needed_skills:
        if _norm_skill(s) not in held and s not in out:
            out.append(s)
    return out
