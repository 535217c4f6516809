r"""The history of a region's specialisation in a multi-year panel.

:func:`region_history` summarises, for one region of a panel with several years (for example
:func:`smartspec.datasets.regional_employment`, NUTS 2016 x NACE A*10 sections, 1995-2018):

* **entries and exits**: the activities in which the region gained or lost a revealed
  comparative advantage (RCA >= 1) over non-overlapping windows of ``horizon`` years
  (:func:`smartspec.evidence.entries` / :func:`~smartspec.evidence.exits`);
* **growth**: the compound annual growth rate of the region's employment in every activity over
  the span, :math:`(e^{T}/e^{0})^{1/(T-0)} - 1`;
* **shift-share**: Dunn's (1960) decomposition of the change between the first and the last
  usable year into national, industry-mix and competitive components
  (:func:`smartspec.evidence.shift_share`), the reference economy being the region's country
  (the regions of the panel sharing its two-letter NUTS prefix);
* **entry AUC**: how well relatedness density at the start of each window ranked the region's
  entries by its end (:func:`smartspec.evidence.entry_auc`, ``by="region"``), with the pooled
  AUC of all regions for context.

Usable years and regions
------------------------
Regional accounts have gaps (whole countries start late, the last year is provisional and
sparse). RCA is only comparable across years on a fixed set of regions, so the history uses a
*balanced* panel: the years in which the region is observed in every activity and at least
``min_coverage`` (default 50 %) of the best-covered year's regions are complete, and the regions
complete in all of these years. Earlier years are dropped until that balanced set holds at least
``min_coverage`` of the best-covered year's regions. Missing cells are never imputed.

The region code must exist in the history panel as it is: panels can use different NUTS versions
(the embedded regional accounts use NUTS 2016 while the SBS panel uses NUTS 2021), and most codes
are unchanged between the two. When the code is absent, :func:`region_history` raises
:class:`HistoryUnavailable` (and :func:`smartspec.discovery.profile` reports ``history=None``
with the reason in its notes).

References
----------
Dunn, E. S. (1960). A statistical and analytical technique for regional analysis. *Papers in
Regional Science*, 6(1), 97-112.

Neffke, F., Henning, M., & Boschma, R. (2011). How do regions diversify over time? *Economic
Geography*, 87(3), 237-265.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from smartspec import evidence
from smartspec.data.panel import Panel

__all__ = ["NACE_A10_LABELS", "HistoryUnavailable", "RegionHistory", "clear_history_cache",
           "panel_key", "region_history"]

#: Labels of the NACE Rev. 2 A*10 (and A*21 group) aggregates used by Eurostat regional accounts.
NACE_A10_LABELS: dict[str, str] = {
    "TOTAL": "Total - all NACE activities",
    "A": "Agriculture, forestry and fishing",
    "B-E": "Industry (except construction)",
    "C": "Manufacturing",
    "F": "Construction",
    "G-I": "Wholesale and retail trade, transport, accommodation and food service activities",
    "G-J": "Wholesale and retail trade, transport, accommodation and food service activities; "
           "information and communication",
    "J": "Information and communication",
    "K": "Financial and insurance activities",
    "K-N": "Financial and insurance activities; real estate activities; professional, "
           "scientific and technical activities; administrative and support service activities",
    "L": "Real estate activities",
    "M-N": "Professional, scientific and technical activities; administrative and support "
           "service activities",
    "O-Q": "Public administration and defence, compulsory social security, education, human "
           "health and social work activities",
    "O-U": "Public administration, education, health; arts, entertainment and recreation; "
           "other service activities",
    "R-U": "Arts, entertainment and recreation; other service activities; activities of "
           "households and extra-territorial organisations",
}

_CACHE_SIZE = 8
_TABLES: OrderedDict[str, _Tables] = OrderedDict()
_CORES: OrderedDict[tuple, _Core] = OrderedDict()
_LOCK = threading.Lock()


class HistoryUnavailable(ValueError):
    """The panel cannot give a history for the region (absent code, too few usable years)."""


@dataclass(frozen=True)
class RegionHistory:
    """History of one region's specialisation (see the module docstring).

    Attributes
    ----------
    region : str
    years : tuple of int
        The usable years (balanced panel), first to last.
    windows : tuple of int
        Years delimiting the non-overlapping windows of ``horizon`` years used for entries,
        exits and the entry AUC.
    horizon : int
    n_regions : int
        Regions in the balanced panel (the RCA reference).
    employment : DataFrame
        Year x activity employment of the region.
    rca : DataFrame
        Year x activity RCA of the region (against the balanced panel).
    entries, exits : DataFrame
        One row per event: ``year_from``, ``year_to``, ``activity``, ``label``, ``rca_from``,
        ``rca_to``, ``density_from`` (relatedness density at ``year_from``).
    growth : Series
        CAGR of the region's employment per activity between the first and last usable year
        (NaN where the start is zero).
    shift_share : DataFrame
        Indexed by activity: ``label``, ``start``, ``end``, ``change``, ``national``,
        ``industry_mix``, ``competitive`` (``national + industry_mix + competitive == change``).
    shift_share_reference : str
        The reference economy (the country code, or ``"all regions"``).
    entry_auc : float
        ROC-AUC of relatedness density for this region's entries (NaN without both entries and
        non-entries). ``entry_auc_n``: at-risk cells, ``entry_auc_entries``: entries.
    entry_auc_pooled : float
        The AUC pooled over all regions of the balanced panel.
    notes : tuple of str
    attribution : str
    """

    region: str
    years: tuple[int, ...]
    windows: tuple[int, ...]
    horizon: int
    n_regions: int
    employment: pd.DataFrame
    rca: pd.DataFrame
    entries: pd.DataFrame
    exits: pd.DataFrame
    growth: pd.Series
    shift_share: pd.DataFrame
    shift_share_reference: str
    entry_auc: float
    entry_auc_n: int
    entry_auc_entries: int
    entry_auc_pooled: float
    notes: tuple[str, ...]
    attribution: str

    @property
    def start(self) -> int:
        return self.years[0]

    @property
    def end(self) -> int:
        return self.years[-1]


# --------------------------------------------------------------------------------------------
# caching helpers
# --------------------------------------------------------------------------------------------
def panel_key(panel: Panel) -> str:
    """A content hash of a panel (records and metadata), used as a cache key."""
    f = panel.frame
    h = hashlib.sha256()
    for col in ("region", "activity"):
        cat = f[col]
        h.update("\x1f".join(map(str, cat.cat.categories)).encode())
        h.update(np.ascontiguousarray(cat.cat.codes.to_numpy()).tobytes())
    h.update(np.ascontiguousarray(f["year"].to_numpy(dtype=np.int64)).tobytes())
    h.update(np.ascontiguousarray(f["value"].to_numpy(dtype=float)).tobytes())
    h.update(repr(panel.meta).encode())
    return h.hexdigest()[:24]


def clear_history_cache() -> None:
    """Forget the cached per-panel computations of :func:`region_history`."""
    with _LOCK:
        _TABLES.clear()
        _CORES.clear()


def _remember(cache: OrderedDict, key: object, value: object) -> None:
    with _LOCK:
        cache[key] = value
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)


def _recall(cache: OrderedDict, key: object) -> object | None:
    with _LOCK:
        hit = cache.get(key)
        if hit is not None:
            cache.move_to_end(key)
        return hit


@dataclass(frozen=True)
class _Tables:
    years: list[int]
    activities: pd.Index
    matrices: dict[int, pd.DataFrame]  # NaN kept, all activities as columns
    complete: pd.DataFrame  # year x region: observed in every activity with a positive total


def _tables(panel: Panel, key: str) -> _Tables:
    hit = _recall(_TABLES, key)
    if hit is not None:
        return hit
    acts = pd.Index(panel.activities.astype(str), name="activity")
    mats = {}
    rows = []
    for y in panel.years:
        m = panel.matrix(y).reindex(columns=acts)
        m.index = m.index.astype(str)
        mats[y] = m
        vals = m.to_numpy(dtype=float)
        ok = ~np.isnan(vals).any(axis=1) & (np.nansum(vals, axis=1) > 0)
        rows.append(pd.Series(ok, index=m.index, name=y))
    complete = pd.DataFrame(rows).fillna(False).astype(bool)
    out = _Tables(list(panel.years), acts, mats, complete)
    _remember(_TABLES, key, out)
    return out


def _usable(tables: _Tables, region: str, min_coverage: float) -> tuple[tuple[int, ...],
                                                                          pd.Index]:
    comp = tables.complete
    if region not in comp.columns:
        raise HistoryUnavailable(f"region {region!r} is not in the history panel")
    counts = comp.sum(axis=1)
    best = int(counts.max())
    need = min_coverage * best
    years = [y for y in comp.index if comp.at[y, region] and counts[y] >= need]
    if len(years) < 2:
        observed = [int(y) for y in comp.index if comp.at[y, region]]
        raise HistoryUnavailable(
            f"region {region!r} is complete in {len(observed)} well-covered year(s) of the "
            f"history panel (observed in every activity in: {observed or 'none'}); at least two "
            "are needed")
    for i in range(len(years) - 1):
        ys = years[i:]
        regions = comp.columns[comp.loc[ys].all(axis=0).to_numpy()]
        if len(regions) >= need and len(regions) >= 2:
            return tuple(int(y) for y in ys), pd.Index(regions, name="region")
    raise HistoryUnavailable(
        f"no span of at least two years in which {region!r} and {min_coverage:.0%} of the "
        "regions are observed in every activity")


@dataclass(frozen=True)
class _Core:
    years: tuple[int, ...]
    windows: tuple[int, ...]
    horizon: int
    x: dict[int, pd.DataFrame]
    rca: dict[int, pd.DataFrame]
    presence: dict[int, pd.DataFrame]
    density: dict[int, pd.DataFrame]
    entries: pd.DataFrame
    exits: pd.DataFrame
    auc: evidence.dynamics.EntryAUC


def _windows(years: tuple[int, ...], horizon: int) -> tuple[tuple[int, ...], int]:
    span = years[-1] - years[0]
    h = max(1, min(int(horizon), span))
    have = set(years)
    win = [y for y in range(years[0], years[-1] + 1, h) if y in have]
    if len(win) < 2:
        return (years[0], years[-1]), span
    # evidence.entries pairs (t, t + h); keep only windows that are h apart
    return tuple(win), h


def _core(tables: _Tables, key: str, years: tuple[int, ...], regions: pd.Index, horizon: int,
          threshold: float) -> _Core:
    ck = (key, years, tuple(regions), horizon, threshold)
    hit = _recall(_CORES, ck)
    if hit is not None:
        return hit
    x = {y: tables.matrices[y].loc[regions] for y in years}
    rca = {y: evidence.rca(m) for y, m in x.items()}
    pres = {y: evidence.presence(m, threshold) for y, m in x.items()}
    windows, h = _windows(years, horizon)
    m_win = {y: pres[y] for y in windows}
    dens = {}
    for y in windows[:-1]:
        phi = evidence.proximity(pres[y])
        dens[y] = evidence.density(pres[y], phi)
    ent = evidence.entries(m_win, horizon=h)
    ext = evidence.exits(m_win, horizon=h)
    auc = evidence.entry_auc(m_win, horizon=h, by="region")
    out = _Core(years, windows, h, x, rca, pres, dens, ent, ext, auc)
    _remember(_CORES, ck, out)
    return out


# --------------------------------------------------------------------------------------------
# per-region extraction
# --------------------------------------------------------------------------------------------
def _label_map(labels: pd.Series | Mapping[str, str] | None, activities: pd.Index) -> pd.Series:
    lab = pd.Series(NACE_A10_LABELS, dtype=object).reindex(activities)
    if labels is not None:
        given = pd.Series(labels, dtype=object) if isinstance(labels, Mapping) else labels
        lab = given.reindex(activities).combine_first(lab)
    return lab.where(lab.notna(), pd.Series(activities, index=activities)).astype(str)


def _events(trans: pd.DataFrame, core: _Core, region: str, labels: pd.Series) -> pd.DataFrame:
    sub = trans.xs(region, level="region")
    rows = []
    for y0, row in sub.iterrows():
        y1 = int(y0) + core.horizon
        for act in row.index[(row == 1).to_numpy()]:
            rows.append({
                "year_from": int(y0), "year_to": y1, "activity": str(act),
                "label": labels.get(act, str(act)),
                "rca_from": float(core.rca[int(y0)].at[region, act]),
                "rca_to": float(core.rca[y1].at[region, act]),
                "density_from": float(core.density[int(y0)].at[region, act]),
            })
    cols = ["year_from", "year_to", "activity", "label", "rca_from", "rca_to", "density_from"]
    out = pd.DataFrame(rows, columns=cols)
    return out.astype({"year_from": np.int64, "year_to": np.int64, "rca_from": float,
                       "rca_to": float, "density_from": float})


def region_history(panel: Panel, region: str, *, horizon: int = 5, min_coverage: float = 0.5,
                   threshold: float = 1.0,
                   labels: pd.Series | Mapping[str, str] | None = None) -> RegionHistory:
    """History of ``region``'s specialisation in a multi-year ``panel``.

    Parameters
    ----------
    panel : Panel
        At least two years, e.g. :func:`smartspec.datasets.regional_employment`.
    region : str
        A region code of ``panel`` (mind the NUTS version of the panel).
    horizon : int, default 5
        Length in years of the windows for entries, exits and the entry AUC (shortened to the
        span when the span is shorter).
    min_coverage : float in (0, 1], default 0.5
        Share of the best-covered year's complete regions required of every usable year and of
        the balanced region set (see the module docstring).
    threshold : float, default 1
        RCA threshold of presence.
    labels : Series or mapping activity -> label, optional
        Activity names; NACE A*10 aggregates are named by default.

    Returns
    -------
    RegionHistory

    Raises
    ------
    HistoryUnavailable
        The region is not in the panel, or fewer than two usable years.
    TypeError, ValueError
        Invalid arguments.
    """
    if not isinstance(panel, Panel):
        raise TypeError(f"panel: expected a smartspec Panel, got {type(panel).__name__}")
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon!r}")
    if not 0 < float(min_coverage) <= 1:
        raise ValueError(f"min_coverage must be in (0, 1], got {min_coverage!r}")
    if len(panel.years) < 2:
        raise HistoryUnavailable(f"the history panel has a single year ({panel.years})")
    key = panel_key(panel)
    tables = _tables(panel, key)
    region = str(region)
    years, regions = _usable(tables, region, float(min_coverage))
    core = _core(tables, key, years, regions, int(horizon), float(threshold))
    acts = tables.activities
    lab = _label_map(labels, acts)
    notes: list[str] = []
    if years[0] != tables.years[0] or years[-1] != tables.years[-1]:
        notes.append(f"history uses {years[0]}-{years[-1]} of the panel's "
                     f"{tables.years[0]}-{tables.years[-1]}: the years in which the region and "
                     f"at least {min_coverage:.0%} of the regions are observed in every activity")
    notes.append(f"RCA over a balanced panel of {len(regions)} regions")

    emp = pd.DataFrame({y: core.x[y].loc[region] for y in years}).T
    emp.index.name = "year"
    rca_r = pd.DataFrame({y: core.rca[y].loc[region] for y in years}).T
    rca_r.index.name = "year"

    t = years[-1] - years[0]
    e0, e1 = emp.iloc[0].to_numpy(dtype=float), emp.iloc[-1].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cagr = np.where(e0 > 0, (e1 / e0) ** (1.0 / t) - 1.0, np.nan)
    growth = pd.Series(cagr, index=acts, name="cagr")

    country = region[:2]
    same = regions[regions.str[:2] == country]
    if len(same) >= 2:
        ref_regions, reference = same, country
    else:
        ref_regions, reference = regions, "all regions"
        notes.append(f"shift-share against all regions: {country} has a single region in the "
                     "balanced panel")
    ss = evidence.shift_share(core.x[years[0]].loc[ref_regions],
                              core.x[years[-1]].loc[ref_regions], cells=True)
    ss = ss.xs(region, level="region").reindex(acts).fillna(0.0)
    ss.insert(0, "label", lab)
    ss.index.name = "activity"

    per = core.auc.by_region
    row = per.loc[region] if per is not None and region in per.index else None
    if row is None:
        auc_r, n_risk, n_ent = float("nan"), 0, 0
    else:
        auc_r, n_risk, n_ent = float(row["auc"]), int(row["n_at_risk"]), int(row["n_entries"])
    if not np.isfinite(auc_r):
        notes.append("entry AUC undefined for the region: it needs at least one entry and one "
                     "non-entry")

    src = panel.meta.source
    return RegionHistory(
        region=region, years=years, windows=core.windows, horizon=core.horizon,
        n_regions=len(regions), employment=emp, rca=rca_r,
        entries=_events(core.entries, core, region, lab),
        exits=_events(core.exits, core, region, lab),
        growth=growth, shift_share=ss, shift_share_reference=reference,
        entry_auc=auc_r, entry_auc_n=n_risk, entry_auc_entries=n_ent,
        entry_auc_pooled=float(core.auc.auc), notes=tuple(notes),
        attribution=src.attribution if src is not None else "",
    )
