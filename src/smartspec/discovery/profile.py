r"""The evidence profile of a region (element 1 of the S3 model).

:func:`profile` gathers, for one region of a region x activity panel, what a regional
development agency needs to read its innovation capabilities:

* **specialisations**: the activities ranked by their location quotient (RCA) against all
  regions of the panel (the "EU" level: EU-28 + NO + IS for the embedded SBS data) and against
  the regions of the same country (two-letter NUTS prefix), with employment and shares;
* **cluster stars** after the European Cluster Observatory (:func:`cluster_stars`);
* **specialisation and diversification indices** (Krugman, Hoover, HHI, entropy, related and
  unrelated variety; :func:`smartspec.evidence.specialisation_indices`);
* **complexity**: the region's ECI and rank, the PCI of its activities
  (:func:`smartspec.evidence.complexity`);
* **relatedness**: its place in the activity space, with its specialisations flagged
  (:mod:`smartspec.discovery.activity_space`), and the relatedness density of every activity;
* **peers**: structurally similar regions and neighbours, compared side by side
  (:mod:`smartspec.discovery.peers`);
* **history** from a multi-year panel (:mod:`smartspec.discovery.history`);
* **context indicators** and their trends (:func:`context_summary`).

The function is pure: the caller passes the data (see :mod:`smartspec.discovery.embedded` for
the shipped defaults). Missing (confidential) cells of the panel are counted as zero, and the
profile says how many there are. The region-independent computations (RCA, presence,
complexity, proximity, density, indices, stars, peer vectors, layout) are done once per panel
and year and cached in memory, keyed by a hash of the panel's content, so that profiling a second
region of the same panel takes milliseconds.
"""

from __future__ import annotations

import difflib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd

from smartspec import evidence
from smartspec.data.panel import Panel
from smartspec.discovery.activity_space import ActivitySpace, activity_space, clear_layout_cache
from smartspec.discovery.history import (
    NACE_A10_LABELS,
    HistoryUnavailable,
    RegionHistory,
    clear_history_cache,
    panel_key,
    region_history,
)
from smartspec.discovery.peers import (
    SimilarityTransform,
    neighbour_regions,
    profile_vectors,
    similarity_to,
    structural_peers,
)

__all__ = [
    "ActivitySpace",
    "RegionHistory",
    "RegionProfile",
    "Stars",
    "clear_profile_cache",
    "cluster_stars",
    "context_summary",
    "profile",
]

_CACHE_SIZE = 8
_BASES: OrderedDict[tuple, _Base] = OrderedDict()
_LOCK = threading.Lock()


# --------------------------------------------------------------------------------------------
# cluster stars
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stars:
    """Cluster stars of every region (rows) in every activity (columns); see :func:`cluster_stars`.

    Attributes
    ----------
    size, specialisation, focus : DataFrame of bool
    count : DataFrame of int (0-3), the number of stars.
    """

    size: pd.DataFrame
    specialisation: pd.DataFrame
    focus: pd.DataFrame

    @property
    def count(self) -> pd.DataFrame:
        return (self.size.astype(np.int64) + self.specialisation.astype(np.int64)
                + self.focus.astype(np.int64))


def _top_share(values: np.ndarray, top: float) -> np.ndarray:
    """True where a value is among the top ``top`` share of its column (ties included), > 0.

    With :math:`n` rows, the cut-off of a column is its :math:`k`-th largest value,
    :math:`k = \\lceil top \\cdot n \\rceil`; every value at or above it (and positive) is in.
    """
    n = values.shape[0]
    k = max(1, math.ceil(top * n - 1e-9))
    if k >= n:
        cut = values.min(axis=0)
    else:
        cut = -np.partition(-values, k - 1, axis=0)[k - 1]
    return (values >= cut[None, :]) & (values > 0)


def cluster_stars(x: pd.DataFrame, *, size_top: float = 0.10, specialisation_lq: float = 2.0,
                  focus_top: float = 0.10, missing: Literal["raise", "zero"] = "zero") -> Stars:
    r"""Cluster "stars" in the manner of the European Cluster Observatory.

    For employment :math:`x_{ri}` of region :math:`r` in activity :math:`i`:

    * **size** star: :math:`x_{ri}` is among the top ``size_top`` (10 %) of the regions for that
      activity;
    * **specialisation** star: the location quotient :math:`LQ_{ri} = RCA_{ri}` (see
      :func:`smartspec.evidence.rca`) is at least ``specialisation_lq`` (2);
    * **focus** star: the activity's share of the region's employment,
      :math:`x_{ri} / \sum_j x_{rj}`, is among the top ``focus_top`` (10 %) of the regions.

    "Top 10 %" means at or above the :math:`\lceil 0.1\,n \rceil`-th largest value over the
    :math:`n` regions (ties share the star); a zero never earns a star. The European Cluster
    Observatory applies these tests to cluster categories (groups of related industries);
    here they apply to whatever activities the panel holds (e.g. NACE divisions). The thresholds
    are parameters.

    Parameters
    ----------
    x : DataFrame (regions x activities) of non-negative employment.
    size_top, focus_top : float in (0, 1]
    specialisation_lq : float > 0
    missing : {"raise", "zero"}, default "zero". Missing cells count as zero by default.

    Returns
    -------
    Stars

    References
    ----------
    Ketels, C., & Protsiv, S. (2014). *European Cluster Panorama 2014*. European Cluster
    Observatory, Center for Strategy and Competitiveness, Stockholm School of Economics, for the
    European Commission (DG Enterprise and Industry). Methodology of the Observatory's star
    rating (size, specialisation, focus).

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [90, 5, 5], "b": [10, 95, 95]}, index=["r1", "r2", "r3"])
    >>> cluster_stars(x, size_top=0.3).count
        a  b
    r1  3  0
    r2  0  2
    r3  0  2
    """
    for name, v in (("size_top", size_top), ("focus_top", focus_top)):
        if not (isinstance(v, int | float) and 0 < v <= 1):
            raise ValueError(f"{name} must be in (0, 1], got {v!r}")
    if not (np.isfinite(specialisation_lq) and specialisation_lq > 0):
        raise ValueError(f"specialisation_lq must be a positive number, got {specialisation_lq!r}")
    r = evidence.rca(x, missing=missing)
    if not isinstance(r, pd.DataFrame):  # LabelledSparse
        r = r.to_frame()
    vals = r.to_numpy(dtype=float)
    raw = x.to_numpy(dtype=float, na_value=np.nan)
    raw = np.nan_to_num(raw, nan=0.0)
    tot = raw.sum(axis=1, keepdims=True)
    share = np.divide(raw, tot, out=np.zeros_like(raw), where=tot > 0)
    wrap = lambda a: pd.DataFrame(a, index=x.index, columns=x.columns)  # noqa: E731
    with np.errstate(invalid="ignore"):
        spec = np.nan_to_num(vals, nan=0.0) >= specialisation_lq
    return Stars(size=wrap(_top_share(raw, size_top)), specialisation=wrap(spec & (raw > 0)),
                 focus=wrap(_top_share(share, focus_top)))


# --------------------------------------------------------------------------------------------
# labels and hierarchy
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _nace_labels() -> dict[str, str]:
    """NACE Rev. 2 labels (Eurostat codes) from the shipped classification; empty if absent."""
    try:
        from smartspec import datasets

        table = datasets.nace("en")
    except (ImportError, OSError, KeyError, ValueError):  # labels are optional: codes instead
        return {}
    return {str(c): str(lab) for c, lab in zip(table["code_eurostat"], table["label"],
                                               strict=True)}


def _labels(panel: Panel, activities: pd.Index,
            labels: pd.Series | Mapping[str, str] | None) -> pd.Series:
    out = pd.Series(np.nan, index=activities, dtype=object)
    if labels is not None:
        given = pd.Series(labels, dtype=object) if isinstance(labels, Mapping) else labels
        if not isinstance(given, pd.Series):
            raise TypeError("labels: expected a Series or mapping activity -> label, got "
                            f"{type(labels).__name__}")
        out = given.reindex(activities).astype(object)
    if str(panel.meta.activity_classification).upper().startswith("NACE"):
        nace = {**NACE_A10_LABELS, **_nace_labels()}
        out = out.combine_first(pd.Series(nace, dtype=object).reindex(activities))
    out = out.where(out.notna(), pd.Series(activities, index=activities, dtype=object))
    return out.astype(str).rename("label")


def _hierarchy(panel: Panel, activities: pd.Index, hierarchy: object) -> object:
    if hierarchy is not None:
        return hierarchy
    codes = [str(a) for a in activities]
    if str(panel.meta.activity_classification).upper().startswith("NACE") and \
            all(c[:1].isalpha() for c in codes):
        return pd.Series([c[0] for c in codes], index=activities)  # NACE division -> section
    return None


# --------------------------------------------------------------------------------------------
# region-independent base, cached per panel and year
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Base:
    year: int
    x: pd.DataFrame            # zero-filled employment of the regions with a positive total
    missing: pd.DataFrame      # bool: cell missing in the source (counted as zero)
    labels: pd.Series
    rca: pd.DataFrame
    presence: pd.DataFrame
    eci: pd.Series
    eci_rank: pd.Series
    pci: pd.Series
    ubiquity: pd.Series
    diversity: pd.Series
    phi: pd.DataFrame
    density: pd.DataFrame
    indices: pd.DataFrame
    country: pd.Series | None
    share: pd.DataFrame
    share_eu: pd.Series
    share_national: pd.DataFrame | None
    rca_national: pd.DataFrame | None
    country_size: pd.Series | None
    stars: Stars
    vectors: pd.DataFrame
    top_activity: pd.Series


def clear_profile_cache() -> None:
    """Forget the cached region-independent computations (and the layouts in memory)."""
    with _LOCK:
        _BASES.clear()
    clear_history_cache()
    clear_layout_cache()


def _build_base(panel: Panel, year: int, labels: pd.Series | Mapping[str, str] | None,
                hierarchy: object, threshold: float, size_top: float, specialisation_lq: float,
                focus_top: float, similarity: SimilarityTransform) -> _Base:
    raw = panel.matrix(year)
    raw.index = raw.index.astype(str)
    raw.columns = raw.columns.astype(str)
    raw.index.name, raw.columns.name = "region", "activity"
    x = raw.fillna(0.0)
    keep = x.sum(axis=1) > 0
    x, raw = x.loc[keep], raw.loc[keep]
    if len(x) < 2:
        raise ValueError(f"the panel has fewer than two regions with data in {year}")
    acts = x.columns
    lab = _labels(panel, acts, labels)
    rca = evidence.rca(x)
    pres = evidence.presence(x, threshold)
    cx = evidence.complexity(pres)
    eci = cx.eci
    eci_rank = eci.rank(ascending=False, method="min")
    phi = evidence.proximity(pres)
    dens = evidence.density(pres, phi)
    hier = _hierarchy(panel, acts, hierarchy)
    indices = evidence.specialisation_indices(x, hier)
    tot = x.sum(axis=1)
    share = x.div(tot, axis=0)
    share_eu = (x.sum(axis=0) / tot.sum()).rename("share_eu")

    country = share_nat = rca_nat = country_size = None
    if str(panel.meta.region_classification).upper().startswith("NUTS"):
        country = pd.Series(x.index.str[:2], index=x.index, name="country")
        nat = x.groupby(country.to_numpy()).sum()
        nat_share = nat.div(nat.sum(axis=1), axis=0)
        share_nat = nat_share.reindex(country.to_numpy())
        share_nat.index = x.index
        with np.errstate(divide="ignore", invalid="ignore"):
            rca_nat = share / share_nat.where(share_nat > 0)
        country_size = country.value_counts()

    stars = cluster_stars(x, size_top=size_top, specialisation_lq=specialisation_lq,
                          focus_top=focus_top)
    vectors = profile_vectors(rca, similarity)
    rca0 = rca.where(x > 0)
    top_act = rca0.idxmax(axis=1, skipna=True) if rca0.notna().any().any() else \
        pd.Series(np.nan, index=x.index)
    return _Base(
        year=int(year), x=x, missing=raw.isna(), labels=lab, rca=rca, presence=pres, eci=eci,
        eci_rank=eci_rank, pci=cx.pci, ubiquity=pres.sum(axis=0).rename("ubiquity"),
        diversity=pres.sum(axis=1).rename("diversity"), phi=phi, density=dens, indices=indices,
        country=country, share=share, share_eu=share_eu, share_national=share_nat,
        rca_national=rca_nat, country_size=country_size, stars=stars, vectors=vectors,
        top_activity=top_act,
    )


def _base(panel: Panel, year: int, **params: object) -> _Base:
    lab = params["labels"]
    lab_key = None if lab is None else tuple(sorted((str(k), str(v)) for k, v in
                                                    dict(lab).items()))
    hier = params["hierarchy"]
    hier_key: Hashable
    if hier is None or isinstance(hier, Callable) and not isinstance(hier, Mapping | pd.Series):
        hier_key = None if hier is None else id(hier)
    else:
        hier_key = tuple(sorted((str(k), str(v)) for k, v in dict(hier).items()))
    key = (panel_key(panel), int(year), lab_key, hier_key,
           *(params[k] for k in ("threshold", "size_top", "specialisation_lq", "focus_top",
                                 "similarity")))
    with _LOCK:
        hit = _BASES.get(key)
        if hit is not None:
            _BASES.move_to_end(key)
            return hit
    base = _build_base(panel, year, **params)  # type: ignore[arg-type]
    with _LOCK:
        _BASES[key] = base
        while len(_BASES) > _CACHE_SIZE:
            _BASES.popitem(last=False)
    return base


# --------------------------------------------------------------------------------------------
# context indicators
# --------------------------------------------------------------------------------------------
_RATE_WORDS = ("rate", "share", "gap", "expectancy", "households", "percent")
_RATE_UNITS = ("%", "percent", "percentage", "year")


def _is_rate(name: str, unit: str | None) -> bool:
    if unit:
        u = unit.lower()
        return any(w in u for w in _RATE_UNITS)
    return any(w in name.lower() for w in _RATE_WORDS)


def context_summary(context: pd.DataFrame, region: str, *, meta: pd.DataFrame | None = None,
                    window: int = 5) -> pd.DataFrame:
    r"""Latest value and recent trend of every context indicator of ``region``.

    Parameters
    ----------
    context : DataFrame
        Either wide (columns ``region``, ``year`` and one numeric column per indicator, as
        :func:`smartspec.datasets.context_indicators` returns) or long (columns ``region``,
        ``year``, ``indicator``, ``value``).
    region : the region code.
    meta : DataFrame, optional
        Indexed by indicator, with columns ``label`` and ``unit`` (e.g.
        :func:`smartspec.datasets.context_indicators_metadata`).
    window : int, default 5
        The trend runs from the earliest value at most ``window`` years before the latest one.

    Returns
    -------
    DataFrame
        One row per indicator with at least one value for the region: ``indicator``, ``label``,
        ``unit``, ``latest``, ``year``, ``trend_from`` (start year of the trend), ``cagr``
        :math:`(v_t / v_s)^{1/(t-s)} - 1` (levels: GDP, population, patents ...),
        ``change_per_year`` :math:`(v_t - v_s)/(t - s)` (rates, shares and years, e.g. the
        unemployment rate in percentage points per year), ``trend`` (the one of the two that
        suits the indicator's unit) and ``trend_kind`` (``"cagr"`` or ``"change per year"``).
        Rates are recognised by a unit with "%", "percent(age)" or "year", or without a unit by
        the indicator's name.
    """
    if not isinstance(context, pd.DataFrame):
        raise TypeError(f"context: expected a DataFrame, got {type(context).__name__}")
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    lacking = [c for c in ("region", "year") if c not in context.columns]
    if lacking:
        raise ValueError(f"context: missing column(s) {lacking}; columns are "
                         f"{list(context.columns)}")
    sub = context[context["region"].astype(str).to_numpy() == region]
    if {"indicator", "value"} <= set(context.columns):
        long = sub[["year", "indicator", "value"]].copy()
    else:
        cols = [c for c in context.columns if c not in ("region", "year")
                and pd.api.types.is_numeric_dtype(context[c])
                and not pd.api.types.is_bool_dtype(context[c])]
        long = sub.melt(id_vars="year", value_vars=cols, var_name="indicator")
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    long = long.dropna(subset=["value"])
    rows = []
    for ind, g in long.groupby("indicator", sort=False):
        g = g.sort_values("year")
        y1, v1 = int(g["year"].iloc[-1]), float(g["value"].iloc[-1])
        early = g[g["year"] >= y1 - window]
        y0, v0 = int(early["year"].iloc[0]), float(early["value"].iloc[0])
        label = unit = None
        if meta is not None and ind in meta.index:
            label = meta.at[ind, "label"] if "label" in meta.columns else None
            unit = meta.at[ind, "unit"] if "unit" in meta.columns else None
        cagr = chg = float("nan")
        if y1 > y0:
            chg = (v1 - v0) / (y1 - y0)
            if v0 > 0 and v1 > 0:
                cagr = (v1 / v0) ** (1.0 / (y1 - y0)) - 1.0
        rate = _is_rate(str(ind), None if unit is None or pd.isna(unit) else str(unit))
        rows.append({
            "indicator": str(ind), "label": str(label) if label is not None else str(ind),
            "unit": str(unit) if unit is not None and not pd.isna(unit) else "",
            "latest": v1, "year": y1, "trend_from": y0, "cagr": cagr, "change_per_year": chg,
            "trend": chg if rate else cagr,
            "trend_kind": "change per year" if rate else "cagr",
        })
    cols = ["indicator", "label", "unit", "latest", "year", "trend_from", "cagr",
            "change_per_year", "trend", "trend_kind"]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------------------------
# the profile
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegionProfile:
    """The evidence profile of one region (see :func:`profile`).

    Attributes
    ----------
    region, name, country : str
    year : int
        The cross-section year of the panel.
    attribution : str
        Data sources to show with the profile.
    specialisations : DataFrame
        Indexed by activity, the ``top`` activities by RCA with positive employment, sorted by
        ``rca`` descending. Columns: ``label``, ``employment``, ``share`` (of the region's
        employment), ``rca`` (LQ against all regions), ``rca_national`` (LQ against the regions
        of the same country), ``share_national``, ``share_eu`` (the activity's share of national
        and all-region employment), ``pci``, ``stars`` (0-3), ``size_star``,
        ``specialisation_star``, ``focus_star``, ``density`` and ``missing`` (True where the
        source cell is missing/confidential and counted as zero).
    indices : Series
        ``krugman``, ``hoover``, ``hhi``, ``entropy``, ``related_variety``,
        ``unrelated_variety`` (bits; NaN without an activity hierarchy) and ``diversity``.
    eci : float; eci_rank : int (1 = most complex); n_regions : int (regions ranked).
    activity_space : ActivitySpace
    peers : DataFrame
        One row per peer: ``region``, ``name``, ``kind`` (``"structural"`` or ``"neighbour"``),
        ``similarity`` (cosine of the specialisation profiles, in [-1, 1]), ``country``,
        ``eci``, ``eci_rank``, ``diversity``, ``employment``, ``krugman``, ``top_activity``,
        ``top_activity_label``, ``top_rca``, ``in_panel``, ``cross_border``, ``distance_km``.
        A neighbour that is also a structural peer appears twice.
    comparison : DataFrame
        The same key indicators side by side: one column per region (the region first, then
        its peers), one row per indicator.
    history : RegionHistory or None
    context : DataFrame or None (see :func:`context_summary`)
    density : Series
        Relatedness density of every activity for the region.
    presence : Series
        0/1 specialisation (RCA >= threshold) of every activity.
    rca, employment : Series over every activity.
    total_employment : float
    missing_cells : int
        Cells of the region missing in the source and counted as zero.
    notes : tuple of str
        Caveats (missing cells, unavailable history ...).
    """

    region: str
    name: str
    country: str
    year: int
    attribution: str
    specialisations: pd.DataFrame
    indices: pd.Series
    eci: float
    eci_rank: int
    n_regions: int
    activity_space: ActivitySpace
    peers: pd.DataFrame
    comparison: pd.DataFrame
    history: RegionHistory | None
    context: pd.DataFrame | None
    density: pd.Series
    presence: pd.Series
    rca: pd.Series
    employment: pd.Series
    total_employment: float
    missing_cells: int
    notes: tuple[str, ...]


def _close_codes(code: str, available: pd.Index, names: pd.Series) -> str:
    avail = [str(a) for a in available]
    close = difflib.get_close_matches(code.upper(), avail, n=6, cutoff=0.5)
    same = [a for a in avail if a[:2] == code[:2].upper() and a not in close]
    listed = close + same[: max(0, 12 - len(close))]
    named = names[names.index.isin(avail)].astype(str)
    if len(named):
        lower = {n.casefold(): c for c, n in named.items()}
        hits = difflib.get_close_matches(code.casefold(), list(lower), n=3, cutoff=0.75)
        listed = [f"{lower[h]} ({named[lower[h]]})" for h in hits] + \
            [c for c in listed if c not in {lower[h] for h in hits}]
    return ", ".join(listed) if listed else "none"


def _resolve_region(region: object, available: pd.Index, what: str, names: pd.Series) -> str:
    if not isinstance(region, str):
        raise TypeError(f"region must be a str, got {type(region).__name__}")
    if region in available:
        return region
    up = region.strip().upper()
    if up in available:
        return up
    raise ValueError(f"region {region!r} is not in {what}; close codes: "
                     f"{_close_codes(region.strip(), available, names)}")


def _region_names(regions: pd.DataFrame | None, context: pd.DataFrame | None) -> pd.Series:
    if regions is not None:
        if not isinstance(regions, pd.DataFrame) or "name" not in regions.columns:
            raise ValueError("regions: expected a DataFrame with a 'name' column (and region "
                             "codes as index or in a 'code'/'region' column)")
        for col in ("code", "region"):
            if col in regions.columns:
                return pd.Series(regions["name"].to_numpy(), index=regions[col].astype(str))
        return pd.Series(regions["name"].to_numpy(), index=regions.index.astype(str))
    if context is not None and {"region", "name"} <= set(context.columns):
        names = context[["region", "name"]].dropna().drop_duplicates("region")
        return pd.Series(names["name"].to_numpy(), index=names["region"].astype(str))
    return pd.Series(dtype=object)


def _indicator_row(base: _Base, r: str, names: pd.Series) -> dict[str, object]:
    if r not in base.x.index:
        return {"name": str(names.get(r, r)), "in_panel": False}
    top = base.top_activity.get(r)
    ok = isinstance(top, str)
    return {
        "name": str(names.get(r, r)),
        "country": r[:2] if base.country is not None else "",
        "eci": float(base.eci[r]),
        "eci_rank": float(base.eci_rank[r]),
        "diversity": int(base.diversity[r]),
        "employment": float(base.x.loc[r].sum()),
        "krugman": float(base.indices.at[r, "krugman"]),
        "top_activity": top if ok else None,
        "top_activity_label": base.labels[top] if ok else None,
        "top_rca": float(base.rca.at[r, top]) if ok else float("nan"),
        "in_panel": True,
    }


def _peers(base: _Base, region: str, n_peers: int, neighbours: pd.DataFrame | None,
           names: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    sim = similarity_to(base.vectors, region)
    rows = []
    for r, s in structural_peers(sim, region, n_peers).items():
        rows.append({"region": r, "kind": "structural", "similarity": float(s),
                     **_indicator_row(base, r, names)})
    if neighbours is not None:
        nb = neighbour_regions(neighbours, region)
        for r, info in nb.iterrows():
            rows.append({
                "region": r, "kind": "neighbour",
                "similarity": float(sim[r]) if r in sim.index else float("nan"),
                **_indicator_row(base, r, names),
                "cross_border": bool(info["cross_border"]) if "cross_border" in info else None,
                "distance_km": float(info["centroid_distance_km"])
                if "centroid_distance_km" in info else float("nan"),
            })
    cols = ["region", "name", "kind", "similarity", "country", "eci", "eci_rank", "diversity",
            "employment", "krugman", "top_activity", "top_activity_label", "top_rca",
            "in_panel", "cross_border", "distance_km"]
    peers = pd.DataFrame(rows, columns=cols)
    peers["in_panel"] = peers["in_panel"].astype(bool)
    for c in ("similarity", "eci", "eci_rank", "employment", "krugman", "top_rca",
              "distance_km"):
        peers[c] = pd.to_numeric(peers[c], errors="coerce").astype(float)

    own = {"region": region, "kind": "region", "similarity": 1.0,
           **_indicator_row(base, region, names)}
    table = [own] + [r for r in peers.to_dict("records")]
    seen: dict[str, dict] = {}
    for row in table:
        r = row["region"]
        if r in seen:  # a neighbour that is also a structural peer
            seen[r]["kind"] = f"{seen[r]['kind']} + {row['kind']}"
            continue
        seen[r] = dict(row)
    order = ["name", "kind", "similarity", "eci", "eci_rank", "diversity", "employment",
             "krugman", "top_activity", "top_activity_label", "top_rca"]
    comparison = pd.DataFrame({r: [row.get(k) for k in order] for r, row in seen.items()},
                              index=pd.Index(order, name="indicator"), dtype=object)
    return peers, comparison


def profile(panel: Panel, region: str, *, history: Panel | None = None,
            context: pd.DataFrame | None = None, neighbours: pd.DataFrame | None = None,
            regions: pd.DataFrame | None = None, n_peers: int = 8, top: int | None = 15,
            year: int | None = None,
            labels: pd.Series | Mapping[str, str] | None = None,
            hierarchy: Mapping | pd.Series | Callable | None = None,
            threshold: float = 1.0, size_top: float = 0.10, specialisation_lq: float = 2.0,
            focus_top: float = 0.10, similarity: SimilarityTransform = "rsca",
            history_horizon: int = 5, context_meta: pd.DataFrame | None = None,
            context_window: int = 5, attribution: str | None = None, layout_seed: int = 0,
            cache_dir: str | bool | None = None) -> RegionProfile:
    r"""The evidence profile of ``region``.

    Parameters
    ----------
    panel : Panel
        Region x activity panel (e.g. :func:`smartspec.datasets.sbs_employment`); the
        cross-section of ``year`` (default: the latest) is used. Missing cells count as zero.
    region : str
        A region code of the panel (case-insensitive). Unknown codes raise ``ValueError``
        listing close codes.
    history : Panel, optional
        Multi-year panel for the history section (e.g.
        :func:`smartspec.datasets.regional_employment` at level 2; the region code must exist in
        it as given, see :mod:`smartspec.discovery.history`). Default: ``panel`` itself when it
        has several years, else no history.
    context : DataFrame, optional
        Context indicators (see :func:`context_summary`).
    neighbours : DataFrame, optional
        Adjacent pairs (``region``, ``neighbour``, ...), e.g. :func:`smartspec.datasets.neighbours`.
    regions : DataFrame, optional
        Region names (column ``name``; codes in the index or a ``code`` column), e.g.
        :func:`smartspec.datasets.regions`.
    n_peers : int, default 8
        Number of structurally similar regions.
    top : int or None, default 15
        Number of specialisations listed (None: all activities with employment).
    year : int, optional
    labels : Series or mapping activity -> label, optional
        Activity names. For NACE panels the names of the shipped NACE Rev. 2 classification
        are used by default.
    hierarchy : mapping, Series or callable, optional
        Activity -> group for related/unrelated variety. Default for NACE codes: the section
        (first letter of the division code).
    threshold : float, default 1
        RCA threshold of presence (specialisation).
    size_top, specialisation_lq, focus_top
        Thresholds of the cluster stars (see :func:`cluster_stars`).
    similarity : {"rsca", "log1p", "rca"}
        Transform of the RCA profiles for the structural peers (see
        :mod:`smartspec.discovery.peers`).
    history_horizon : int, default 5
        Window in years of entries and exits.
    context_meta : DataFrame, optional
        Labels and units of the context indicators.
    context_window : int, default 5
        Years over which context trends are computed.
    attribution : str, optional
        Extra source text appended to the attribution (e.g. of the context data).
    layout_seed : int, default 0
        Seed of the activity-space layout.
    cache_dir : path, bool or None
        Disk cache of the layout (see :func:`~smartspec.discovery.activity_space.activity_space_layout`).

    Returns
    -------
    RegionProfile

    Notes
    -----
    RCA "EU" is the location quotient against all regions of the panel; "national" against the
    regions of the panel sharing the two-letter NUTS prefix (countries with a single region get
    NaN). ECI/PCI use the eigenvector method on the presence matrix (RCA >= ``threshold``),
    proximity is the minimum conditional probability (Hidalgo et al. 2007) and density the
    share of an activity's proximity mass on the region's specialisations.

    Examples
    --------
    >>> from smartspec.discovery.embedded import load_inputs
    >>> p = profile(**load_inputs().as_kwargs(), region="AT31")  # doctest: +SKIP
    >>> p.specialisations.index[0]  # doctest: +SKIP
    'C24'
    """
    if not isinstance(panel, Panel):
        raise TypeError(f"panel: expected a smartspec Panel, got {type(panel).__name__}")
    if isinstance(n_peers, bool) or not isinstance(n_peers, int | np.integer) or n_peers < 0:
        raise ValueError(f"n_peers must be a non-negative integer, got {n_peers!r}")
    if top is not None and (isinstance(top, bool) or not isinstance(top, int | np.integer)
                            or top < 1):
        raise ValueError(f"top must be a positive integer or None, got {top!r}")
    if history is not None and not isinstance(history, Panel):
        raise TypeError(f"history: expected a smartspec Panel, got {type(history).__name__}")
    years = panel.years
    if not years:
        raise ValueError("panel: the panel is empty")
    if year is None:
        year = years[-1]
    elif int(year) not in years:
        raise ValueError(f"year {year} is not in the panel (years: {years})")
    year = int(year)

    base = _base(panel, year, labels=labels, hierarchy=hierarchy, threshold=float(threshold),
                 size_top=float(size_top), specialisation_lq=float(specialisation_lq),
                 focus_top=float(focus_top), similarity=similarity)
    src = panel.meta.source
    data_name = src.name if src is not None else "the panel"
    names = _region_names(regions, context)
    region = _resolve_region(region, base.x.index, f"{data_name} ({year}, regions with data)",
                             names)
    notes: list[str] = []

    # --- specialisations --------------------------------------------------------------------
    emp = base.x.loc[region]
    n_missing = int(base.missing.loc[region].sum())
    if n_missing:
        notes.append(f"{n_missing} of {len(emp)} cells of {region} are missing or confidential "
                     f"in {data_name} and counted as zero")
    country = region[:2] if base.country is not None else ""
    stars = base.stars
    spec = pd.DataFrame({
        "label": base.labels,
        "employment": emp,
        "share": base.share.loc[region],
        "rca": base.rca.loc[region],
        "rca_national": base.rca_national.loc[region] if base.rca_national is not None
        else np.nan,
        "share_national": base.share_national.loc[region] if base.share_national is not None
        else np.nan,
        "share_eu": base.share_eu,
        "pci": base.pci,
        "stars": stars.count.loc[region],
        "size_star": stars.size.loc[region],
        "specialisation_star": stars.specialisation.loc[region],
        "focus_star": stars.focus.loc[region],
        "density": base.density.loc[region],
        "missing": base.missing.loc[region],
    })
    if base.country_size is not None and base.country_size.get(country, 0) < 2:
        spec["rca_national"] = np.nan
        notes.append(f"{country} has a single region in the panel: no national comparison")
    spec.index.name = "activity"
    spec = spec[spec["employment"] > 0].sort_values("rca", ascending=False, kind="stable",
                                                    na_position="last")
    if top is not None:
        spec = spec.head(int(top))

    # --- indices and complexity ---------------------------------------------------------------
    indices = base.indices.loc[region].copy()
    for col in ("related_variety", "unrelated_variety"):
        if col not in indices.index:
            indices[col] = np.nan
    indices["diversity"] = float(base.diversity[region])
    indices = indices.reindex(["krugman", "hoover", "hhi", "entropy", "related_variety",
                               "unrelated_variety", "diversity"]).astype(float)
    indices.name = region
    eci = float(base.eci[region])
    eci_rank = int(base.eci_rank[region]) if np.isfinite(base.eci_rank[region]) else -1
    n_ranked = int(base.eci.notna().sum())

    # --- activity space -----------------------------------------------------------------------
    space = activity_space(base.phi, labels=base.labels, ubiquity=base.ubiquity, pci=base.pci,
                           presence=base.presence.loc[region], rca=base.rca.loc[region],
                           density=base.density.loc[region], seed=layout_seed,
                           cache_dir=cache_dir)

    # --- peers --------------------------------------------------------------------------------
    peers, comparison = _peers(base, region, int(n_peers), neighbours, names)

    # --- history ------------------------------------------------------------------------------
    hist_panel = history if history is not None else (panel if len(years) > 1 else None)
    hist = None
    if hist_panel is not None:
        try:
            hist = region_history(hist_panel, region, horizon=history_horizon,
                                  threshold=float(threshold), labels=labels)
        except HistoryUnavailable as exc:
            hs = hist_panel.meta.source
            notes.append(f"no history: {exc} ({hs.name if hs else 'history panel'}, NUTS "
                         f"{hist_panel.meta.region_version or '?'})")

    # --- context ------------------------------------------------------------------------------
    ctx = None
    if context is not None:
        ctx = context_summary(context, region, meta=context_meta, window=context_window)
        if ctx.empty:
            notes.append(f"no context indicator for {region}")

    parts = [src.attribution if src is not None else ""]
    if hist is not None and hist.attribution and hist.attribution not in parts:
        parts.append(hist.attribution)
    if attribution:
        parts.append(attribution)
    return RegionProfile(
        region=region, name=str(names.get(region, region)), country=country, year=year,
        attribution="; ".join(p for p in parts if p),
        specialisations=spec, indices=indices, eci=eci, eci_rank=eci_rank, n_regions=n_ranked,
        activity_space=space, peers=peers, comparison=comparison, history=hist, context=ctx,
        density=base.density.loc[region].rename("density"),
        presence=base.presence.loc[region].rename("presence"),
        rca=base.rca.loc[region].rename("rca"), employment=emp.rename("employment"),
        total_employment=float(emp.sum()), missing_cells=n_missing, notes=tuple(notes),
    )

