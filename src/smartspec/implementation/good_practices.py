"""Good-practice library for clusters: search by text and tags, recommendations for actions.

The shipped library (``implementation/data/good_practices.json``) holds 36 practices written in
smartspec's own words from well-known public cluster and smart specialisation practices (cluster
excellence labelling, Euroclusters, living labs, test-before-invest, vouchers, Vanguard pilots,
S3 thematic platforms, Alpine cross-border cooperation, foresight ...). Each entry is tagged by
action type, cluster maturity, TA mode (Foray's modes of transformation) and region type, and
names its public source (programme or initiative, with a year).

Users can add their own entries (``load_practices(extra=...)``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from smartspec.strategy.actions import ACTION_TYPES, Action
from smartspec.strategy.generation import TA_MODES, normalise_mode

__all__ = [
    "CLUSTER_MATURITIES",
    "REGION_TYPES",
    "TA_MODES",
    "GoodPractice",
    "Recommendation",
    "load_practices",
    "recommend_practices",
    "region_types",
    "search_practices",
]

#: Stages of cluster development.
CLUSTER_MATURITIES: tuple[str, ...] = ("emerging", "developing", "mature")
#: Region types used to tag practices.
REGION_TYPES: tuple[str, ...] = ("metropolitan", "mountain", "rural", "industrial", "border")


@dataclass(frozen=True)
class GoodPractice:
    """One good practice.

    Attributes
    ----------
    key, title, summary : identifier, title and a short description in the project's words.
    action_types : the action types it supports (:data:`~smartspec.strategy.actions.ACTION_TYPES`).
    cluster_maturity : subset of :data:`CLUSTER_MATURITIES`.
    ta_modes : subset of :data:`TA_MODES`.
    region_types : subset of :data:`REGION_TYPES`.
    source : the public programme or initiative it comes from, with a year.
    tags : free keywords.
    """

    key: str
    title: str
    summary: str
    action_types: tuple[str, ...]
    cluster_maturity: tuple[str, ...]
    ta_modes: tuple[str, ...]
    region_types: tuple[str, ...]
    source: str
    tags: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (tuples as lists)."""
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in fields(self)}


@dataclass(frozen=True)
class Recommendation:
    """A recommended practice for an action, with its score and the reasons."""

    practice: GoodPractice
    score: float
    reasons: tuple[str, ...]


_VOCAB = {
    "action_types": ACTION_TYPES,
    "cluster_maturity": CLUSTER_MATURITIES,
    "ta_modes": TA_MODES,
    "region_types": REGION_TYPES,
}


def _practice(raw: Mapping[str, Any], where: str) -> GoodPractice:
    names = {f.name for f in fields(GoodPractice)}
    unknown = set(raw) - names
    missing = {"key", "title", "summary", "action_types", "source"} - set(raw)
    if unknown or missing:
        raise ValueError(f"{where}: unknown fields {sorted(unknown)}, missing {sorted(missing)}")
    values: dict[str, Any] = dict(raw)
    for name in ("action_types", "cluster_maturity", "ta_modes", "region_types", "tags"):
        items = values.get(name)
        if items is None:
            items = list(_VOCAB.get(name, ()))  # untagged = fits all
        if isinstance(items, str):
            items = [s.strip() for s in items.split(";") if s.strip()]
        values[name] = tuple(items)
        allowed = _VOCAB.get(name)
        if allowed is not None:
            bad = [v for v in values[name] if v not in allowed]
            if bad:
                raise ValueError(f"{where}: {name} has unknown value(s) {bad}; allowed: "
                                 f"{', '.join(allowed)}")
    for name in ("key", "title", "summary", "source"):
        if not str(values[name]).strip():
            raise ValueError(f"{where}: {name} is empty")
    return GoodPractice(**values)


@lru_cache(maxsize=1)
def _shipped() -> tuple[GoodPractice, ...]:
    text = resources.files("smartspec.implementation").joinpath(
        "data/good_practices.json").read_text(encoding="utf-8")
    return tuple(_practice(p, f"good_practices.json entry {i + 1}")
                 for i, p in enumerate(json.loads(text)["practices"]))


def load_practices(extra: str | Path | Iterable[Mapping[str, Any] | GoodPractice] | None = None
                   ) -> list[GoodPractice]:
    """The good-practice library, plus user entries (a JSON file or records) if given.

    Raises
    ------
    ValueError
        For entries with unknown fields or tags outside the vocabularies, or duplicate keys.
    """
    practices = list(_shipped())
    if extra is None:
        return practices
    if isinstance(extra, str | Path):
        data = json.loads(Path(extra).read_text(encoding="utf-8"))
        records = data["practices"] if isinstance(data, dict) else data
        origin = str(extra)
    else:
        records = list(extra)
        origin = "extra practices"
    keys = {p.key for p in practices}
    for i, rec in enumerate(records):
        p = rec if isinstance(rec, GoodPractice) else _practice(rec, f"{origin} entry {i + 1}")
        if p.key in keys:
            raise ValueError(f"{origin} entry {i + 1}: duplicate practice key {p.key!r}")
        keys.add(p.key)
        practices.append(p)
    return practices


# --------------------------------------------------------------------------------------------
# search
# --------------------------------------------------------------------------------------------
def _fold(text: str) -> str:
    """Lower-case, accent-free text for matching ("Québec" -> "quebec")."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


_WORD = re.compile(r"[a-z0-9]+")


def _terms(text: str) -> list[str]:
    return [t for t in _WORD.findall(_fold(text)) if len(t) > 1]


def _check_values(name: str, values: Iterable[str] | None) -> set[str]:
    if values is None:
        return set()
    if isinstance(values, str):
        values = [values]
    chosen = set(values)
    if name == "ta_modes":
        chosen = {normalise_mode(v) or "" for v in chosen}
    allowed = _VOCAB[name]
    bad = sorted(chosen - set(allowed))
    if bad:
        raise ValueError(f"unknown {name} {bad}; allowed: {', '.join(allowed)}")
    return chosen


def search_practices(text: str | None = None, *,
                     action_types: str | Iterable[str] | None = None,
                     cluster_maturity: str | Iterable[str] | None = None,
                     ta_modes: str | Iterable[str] | None = None,
                     region_types: str | Iterable[str] | None = None,
                     tags: str | Iterable[str] | None = None,
                     practices: Sequence[GoodPractice] | None = None,
                     limit: int | None = None) -> list[GoodPractice]:
    """Find practices by text and tags.

    Filters (``action_types``, ``cluster_maturity``, ``ta_modes``, ``region_types``, ``tags``)
    keep a practice when it has **at least one** of the given values for each filter given
    (tags compared case- and accent-insensitively).

    The text query is split into words; a practice matches when every word occurs in its
    title, summary, tags, source or action types (case- and accent-insensitive, prefix match:
    "voucher" finds "vouchers"). Matches are ranked by

    .. math:: s = \\sum_{w} (3\\,[w \\in \\text{title}] + 2\\,[w \\in \\text{tags}]
              + [w \\in \\text{summary, source, types}]) + 5\\,[\\text{phrase in title or tags}]

    with ties broken by key. Without text, the filtered practices come in library order.

    Returns
    -------
    list of GoodPractice, best first.
    """
    pool = list(practices) if practices is not None else load_practices()
    filters = {name: _check_values(name, value) for name, value in (
        ("action_types", action_types), ("cluster_maturity", cluster_maturity),
        ("ta_modes", ta_modes), ("region_types", region_types))}
    wanted_tags = ({_fold(tags)} if isinstance(tags, str)
                   else {_fold(t) for t in tags} if tags is not None else set())
    kept = []
    for p in pool:
        if any(chosen and not chosen & set(getattr(p, name)) for name, chosen in
               filters.items()):
            continue
        if wanted_tags and not wanted_tags & {_fold(t) for t in p.tags}:
            continue
        kept.append(p)
    if text is None or not text.strip():
        return kept[:limit] if limit is not None else kept
    words = _terms(text)
    phrase = _fold(text).strip()
    scored = []
    for p in kept:
        title = _terms(p.title)
        tag_words = _terms(" ".join(p.tags))
        body = _terms(" ".join([p.summary, p.source, " ".join(p.action_types).replace("_", " "),
                                " ".join(p.ta_modes), " ".join(p.region_types)]))
        score = 0.0
        ok = True
        for w in words:
            hit = 0.0

            def has(pool_words: list[str], w: str = w) -> bool:
                return any(x.startswith(w) for x in pool_words)

            if has(title):
                hit += 3
            if has(tag_words):
                hit += 2
            if has(body):
                hit += 1
            if hit == 0:
                ok = False
                break
            score += hit
        if not ok:
            continue
        if len(words) > 1 and (phrase in _fold(p.title) or
                               any(phrase in _fold(t) for t in p.tags)):
            score += 5
        scored.append((score, p))
    scored.sort(key=lambda sp: (-sp[0], sp[1].key))
    out = [p for _, p in scored]
    return out[:limit] if limit is not None else out


def recommend_practices(action: Action | str, ta_mode: str | None = None,
                        region_type: str | Iterable[str] | None = None,
                        maturity: str | None = None, *,
                        practices: Sequence[GoodPractice] | None = None,
                        limit: int = 5) -> list[Recommendation]:
    """Recommend practices for an action, with the reason for each.

    A practice is a candidate when it supports the action's type. Its score is
    ``1`` (action type) ``+ 0.5`` if it suits ``ta_mode`` ``+ 0.4`` if it suits the cluster
    ``maturity`` ``+ 0.3`` if it was used in one of the ``region_type`` s ``+ 0.1`` per word of
    the action's title/description found in the practice's title or tags (at most 0.3).
    Ties are broken by key.

    Parameters
    ----------
    action : Action or action type
    ta_mode : one of :data:`TA_MODES`, optional
    region_type : one or several of :data:`REGION_TYPES` (see :func:`region_types`), optional
    maturity : one of :data:`CLUSTER_MATURITIES`, optional
        (see :func:`smartspec.implementation.critical_mass.maturity_from_ratio`).
    limit : int, default 5

    Returns
    -------
    list of Recommendation, best first.
    """
    action_type = action if isinstance(action, str) else action.action_type
    if action_type not in ACTION_TYPES:
        raise ValueError(f"unknown action type {action_type!r}; types are "
                         f"{', '.join(ACTION_TYPES)}")
    ta_mode = normalise_mode(ta_mode)
    if maturity is not None and maturity not in CLUSTER_MATURITIES:
        raise ValueError(f"unknown maturity {maturity!r}; use {', '.join(CLUSTER_MATURITIES)}")
    regions = _check_values("region_types", region_type)
    words: set[str] = set()
    if isinstance(action, Action):
        stop = {"the", "and", "for", "of", "in", "to", "on", "with", "ta", "a", "an"}
        words = {w for w in _terms(f"{action.title} {action.description}")
                 if w not in stop and len(w) > 3}
    out = []
    for p in practices if practices is not None else load_practices():
        if action_type not in p.action_types:
            continue
        score = 1.0
        reasons = [f"a practice for '{action_type.replace('_', ' ')}' actions"]
        if ta_mode is not None and ta_mode in p.ta_modes:
            score += 0.5
            reasons.append(f"suits TAs in the '{ta_mode.replace('_', ' ')}' mode")
        if maturity is not None and maturity in p.cluster_maturity:
            score += 0.4
            reasons.append(f"fits {maturity} clusters")
        shared = regions & set(p.region_types)
        if shared:
            score += 0.3
            reasons.append(f"used in {', '.join(sorted(shared))} regions")
        if words:
            target = set(_terms(p.title + " " + " ".join(p.tags)))
            common = sorted(w for w in words if any(t.startswith(w) or w.startswith(t)
                                                    for t in target if len(t) > 3))
            if common:
                score += min(0.3, 0.1 * len(common))
                reasons.append(f"matches the action's wording ({', '.join(common[:3])})")
        reasons.append(f"source: {p.source}")
        out.append(Recommendation(p, round(score, 4), tuple(reasons)))
    out.sort(key=lambda r: (-r.score, r.practice.key))
    return out[:limit]


def region_types(region: str) -> tuple[str, ...]:
    """Region types of a NUTS region for the recommendations, from the shipped typologies.

    Rules (NUTS 2021, :func:`smartspec.datasets.regions`): ``mountain`` if the region is
    mountainous (a majority of its NUTS-3 children), ``border`` if it is a border region,
    ``metropolitan`` if metropolitan, otherwise ``rural``; ``industrial`` when manufacturing
    (NACE section C) has a larger share of business-economy employment than in the median
    NUTS-2 region (Eurostat SBS 2015; only for regions in that table).

    Returns
    -------
    tuple of str (possibly empty for an unknown region).
    """
    from smartspec.datasets import regions, sbs_employment

    code = str(region).strip().upper()
    out: list[str] = []
    try:
        table = regions(level=None)
    except Exception:  # pragma: no cover - geo data missing in a stripped build
        table = None
    if table is not None and code in table.index:
        row = table.loc[code]
        for flag, name in (("mountainous", "mountain"), ("border", "border"),
                           ("metropolitan", "metropolitan")):
            value = row.get(flag)
            if value is True or (value is not None and str(value) == "True"):
                out.append(name)
        if "metropolitan" not in out:
            out.append("rural")
    panel = sbs_employment("section")
    matrix = panel.matrix()
    if code in matrix.index and "C" in matrix.columns:
        share = matrix["C"] / matrix.sum(axis=1, skipna=True)
        value = share.get(code)
        if value is not None and value == value and value > share.median(skipna=True):
            out.append("industrial")
    return tuple(out)
