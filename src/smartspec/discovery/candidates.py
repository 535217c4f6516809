r"""Candidate transformative activities: scored, typed, explained and tested for robustness.

:func:`candidates` proposes, for one region, several regions or all of them, every activity of
the panel as a candidate transformative activity (TA), and gives it six transparent sub-scores
in [0, 1] (see :mod:`smartspec.discovery.scoring`), a weighted composite ``score``, the Balland
quadrant and the Foray mode of change (:mod:`smartspec.discovery.typology`), the partner
regions holding its missing capabilities (:mod:`smartspec.discovery.partners`), a
plain-language explanation, and the probability that it stays in the region's top ``k`` when
the weights vary (:mod:`smartspec.discovery.robustness`).

The indicators are computed once for all regions on the cross-section
:math:`x` = ``panel.matrix(year)`` (missing, i.e. confidential, cells counted as zero; regions
with a zero total dropped), with :mod:`smartspec.evidence`: RCA, presence
(:math:`RCA \geq 1`), proximity (minimum conditional probability, zero diagonal), density and
PCI (eigenvector method). They are then scored for the requested regions at once, vectorised
over regions. Everything is invariant to multiplying the data by a positive constant.

Existing specialisations stay candidates: upgrading them is Foray's *modernisation* mode.
Activities that make poor TAs by nature are dropped by a user-editable rule
(:data:`DEFAULT_EXCLUSIONS`); they still count as capabilities in the indicators.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from smartspec import evidence
from smartspec.discovery.partners import partner_candidates, rank_partners
from smartspec.discovery.robustness import p_top_k as _p_top_k
from smartspec.discovery.robustness import weight_draws
from smartspec.discovery.scoring import (
    DEFAULT_WEIGHTS,
    SUBSCORES,
    advantage_score,
    capability_gap,
    composite_score,
    feasibility_score,
    momentum_score,
    related_neighbourhood,
    transformative_potential,
    validate_weights,
    value_score,
)
from smartspec.discovery.skills import align_skills, skill_gap_lists, skill_gaps
from smartspec.discovery.stakeholders import merge_stakeholder_scores
from smartspec.discovery.typology import MODE_DESCRIPTIONS, QUADRANT_READINGS, foray_mode, quadrant
from smartspec.evidence._matrix import as_labelled

if TYPE_CHECKING:  # pragma: no cover
    from smartspec.data.panel import Panel

# DEFAULT_WEIGHTS, merge_stakeholder_scores and skill_gaps are re-exported here (they live in
# scoring, stakeholders and skills) so that the whole candidates API is importable from here.
__all__ = [
    "A10_OF_SECTION",
    "DEFAULT_EXCLUSIONS",
    "DEFAULT_WEIGHTS",
    "CandidateBase",
    "candidates",
    "excluded_activities",
    "merge_stakeholder_scores",
    "prepare",
    "section_growth_for_divisions",
    "short_label",
    "skill_gaps",
]

#: Activities excluded from the candidates by default: prefixes of activity codes (a code is
#: excluded when it equals a rule or starts with it). NACE Rev. 2 sections
#:
#: * ``O`` public administration and defence; compulsory social security — public functions,
#:   not a domain for market-driven entrepreneurial discovery;
#: * ``T`` activities of households as employers — not an industry;
#: * ``U`` extraterritorial organisations and bodies — outside the regional economy.
#:
#: Edit freely: pass ``exclude=DEFAULT_EXCLUSIONS + ("B05",)`` to drop coal mining as well,
#: or ``exclude=()`` to keep everything. The rules only match codes present in the panel
#: (Eurostat SBS has no O, T or U anyway).
DEFAULT_EXCLUSIONS: tuple[str, ...] = ("O", "T", "U")

#: NACE Rev. 2 section -> the A*10 aggregate of the regional accounts (Eurostat nama_10r).
A10_OF_SECTION: dict[str, str] = {
    "A": "A", "B": "B-E", "C": "B-E", "D": "B-E", "E": "B-E", "F": "F", "G": "G-I",
    "H": "G-I", "I": "G-I", "J": "J", "K": "K", "L": "L", "M": "M-N", "N": "M-N",
    "O": "O-Q", "P": "O-Q", "Q": "O-Q", "R": "R-U", "S": "R-U", "T": "R-U", "U": "R-U",
}

_N_REASONS = 3  # local specialisations / gaps named in an explanation


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CandidateBase:
    """Indicators of every region and activity, computed once (see :func:`prepare`).

    Arrays are (regions, activities) unless stated; ``phi`` and ``neighbourhood`` are
    (activities, activities); ``pci`` and ``growth`` are (activities,).
    """

    regions: pd.Index
    activities: pd.Index
    year: int | None
    x: np.ndarray
    missing: np.ndarray
    rca: np.ndarray
    presence: np.ndarray
    phi: np.ndarray
    density: np.ndarray
    pci: np.ndarray
    neighbourhood: np.ndarray
    k: int
    rca_start: np.ndarray | None = None
    span: float | None = None
    growth: np.ndarray | None = None
    related_trend: np.ndarray | None = None
    sources: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def region_position(self, region: str) -> int:
        pos = self.regions.get_indexer([str(region)])[0]
        if pos < 0:
            same = [r for r in self.regions if str(r)[:2] == str(region)[:2]][:12]
            raise ValueError(f"region {region!r} is not in the data (or has no employment); "
                             f"regions of {str(region)[:2]!r}: {', '.join(same) or 'none'}")
        return int(pos)

    def activity_position(self, activity: str) -> int:
        pos = self.activities.get_indexer([str(activity)])[0]
        if pos < 0:
            raise ValueError(f"activity {activity!r} is not in the data; activities e.g. "
                             f"{list(self.activities[:8])}")
        return int(pos)


def _cross_section(panel: object, year: int | None) -> tuple[pd.DataFrame, int | None]:
    if isinstance(panel, pd.DataFrame):
        if year is not None:
            raise ValueError("year= only applies to a Panel; a DataFrame is one cross-section")
        x = panel.copy()
        x.index = pd.Index(x.index.astype(str), name="region")
        x.columns = pd.Index(x.columns.astype(str), name="activity")
        return x, None
    if not hasattr(panel, "matrix") or not hasattr(panel, "years"):
        raise TypeError(f"panel must be a smartspec Panel or a wide region x activity "
                        f"DataFrame, got {type(panel).__name__}")
    years = list(panel.years)
    y = years[-1] if year is None else int(year)
    if y not in years:
        raise ValueError(f"year {year} is not in the panel (years: {years})")
    x = panel.matrix(y)
    x.index = pd.Index(x.index.astype(str), name="region")
    x.columns = pd.Index(x.columns.astype(str), name="activity")
    return x, y


def _window(years: Sequence[int], end: int, trend_years: int) -> int | None:
    """Earliest year of ``years`` within ``trend_years`` before ``end`` (None if none)."""
    before = [y for y in years if end - trend_years <= y < end]
    return min(before) if before else None


def _covered_years(panel: Panel, min_coverage: float = 0.8) -> list[int]:
    """Years in which at least ``min_coverage`` times the best year's number of regions have
    data (so that a trend is not computed on a thin, unrepresentative year)."""
    f = panel.frame
    have = f.loc[f["value"].notna(), ["year", "region"]]
    counts = have.groupby("year", observed=True)["region"].nunique()
    if counts.empty:
        return []
    return sorted(int(y) for y in counts.index[counts >= min_coverage * counts.max()])


def _cagr(a0: np.ndarray, a1: np.ndarray, span: float) -> np.ndarray:
    r"""Compound annual growth :math:`(a_1/a_0)^{1/span} - 1`; NaN where :math:`a_0 \leq 0`."""
    a0 = np.asarray(a0, dtype=float)
    a1 = np.asarray(a1, dtype=float)
    ok = np.isfinite(a0) & np.isfinite(a1) & (a0 > 0) & (a1 >= 0)
    ratio = np.divide(a1, a0, out=np.ones_like(a0), where=ok)
    return np.where(ok, ratio ** (1.0 / span) - 1.0, np.nan)


def _a10_code(code: str, known: set[str]) -> str | None:
    """The history column for a panel activity: itself, or its A*10 aggregate."""
    if code in known:
        return code
    agg = A10_OF_SECTION.get(code[:1]) if code else None
    return agg if agg in known else None


def section_growth_for_divisions(history_panel: Panel, activities: Iterable[str], *,
                                 start: int | None = None, end: int | None = None,
                                 trend_years: int = 10) -> pd.Series:
    r"""EU-wide annual growth of the A*10 aggregate of each NACE division.

    Maps each division code (``"C28"``: section letter + two digits) to its A*10 aggregate of
    the regional accounts — A, B-E, F, G-I, J, K, L, M-N, O-Q, R-U (:data:`A10_OF_SECTION`) —
    and returns the compound annual growth of that aggregate's total over the regions of
    ``history_panel``:

    .. math:: g_a = \left(\frac{\sum_r x_{ra,T}}{\sum_r x_{ra,t_0}}\right)^{1/(T-t_0)} - 1

    the sums running over the regions observed (non-missing) in both years, so that gaps in
    coverage do not show up as growth. An activity code that is itself a column of the history
    (same classification) is used directly.

    Parameters
    ----------
    history_panel : multi-year Panel, e.g. ``smartspec.datasets.regional_employment(level=2)``
        (pass a single NUTS level so that no employment is counted twice).
    activities : division codes to map (e.g. ``panel.activities``).
    start, end : years; by default ``end`` is the latest well-covered year (with data for at
        least 80 % as many regions as the best-covered year) and ``start`` the earliest
        well-covered year at most ``trend_years`` before it.

    Returns
    -------
    Series (activity -> annual growth rate, NaN where unmapped or unknown), named ``growth``,
    with ``attrs["years"] = (start, end)``.
    """
    years = list(history_panel.years)
    if len(years) < 2:
        raise ValueError("history_panel needs at least two years")
    covered = _covered_years(history_panel) or years
    end = covered[-1] if end is None else int(end)
    if end not in years:
        raise ValueError(f"end year {end} is not in the history panel ({years[0]}-{years[-1]})")
    start = _window(covered, end, trend_years) if start is None else int(start)
    if start is None or start not in years or start >= end:
        raise ValueError(f"no valid start year before {end} in the history panel (years: "
                         f"{years[0]}-{years[-1]})")
    x0 = history_panel.matrix(start)
    x1 = history_panel.matrix(end)
    x0, x1 = x0.align(x1, join="outer")
    ok = x0.notna() & x1.notna()
    t0 = x0.where(ok).sum(axis=0)
    t1 = x1.where(ok).sum(axis=0)
    g = pd.Series(_cagr(t0.to_numpy(), t1.to_numpy(), float(end - start)),
                  index=t0.index.astype(str))
    known = set(g.index)
    acts = [str(a) for a in activities]
    cols = [_a10_code(a, known) for a in acts]
    out = pd.Series([g[c] if c is not None else np.nan for c in cols],
                    index=pd.Index(acts, name="activity"), name="growth", dtype=float)
    out.attrs["years"] = (start, end)
    return out


def _history_window(history: Panel, year: int | None, trend_years: int) -> tuple[int, int]:
    """Trend window in ``history``: the latest well-covered year up to ``year`` (or the latest
    well-covered year), and the earliest well-covered year at most ``trend_years`` before."""
    years = list(history.years)
    if len(years) < 2:
        raise ValueError("history needs at least two years")
    covered = _covered_years(history) or years
    upto = [y for y in covered if year is None or y <= year]
    end = upto[-1] if upto else covered[-1]
    start = _window(covered, end, trend_years)
    if start is None:
        raise ValueError(f"history has no well-covered year before {end}")
    return start, end


def _history_trend(history: Panel, regions: pd.Index, activities: pd.Index, x: np.ndarray,
                   neighbourhood: np.ndarray, year: int | None, trend_years: int
                   ) -> tuple[np.ndarray, str]:
    """Employment-weighted growth of each candidate's related local industries, from history."""
    start, end = _history_window(history, year, trend_years)
    x0, x1 = history.matrix(start), history.matrix(end)
    x0, x1 = x0.align(x1, join="outer")
    g = pd.DataFrame(_cagr(x0.to_numpy(), x1.to_numpy(), float(end - start)),
                     index=x0.index.astype(str), columns=x0.columns.astype(str))
    known = set(g.columns)
    cols = [_a10_code(str(a), known) for a in activities]
    g = g.reindex(index=regions)
    gm = np.column_stack([g[c].to_numpy(dtype=float) if c is not None
                          else np.full(len(regions), np.nan) for c in cols])  # (R, P)
    ok = np.isfinite(gm)
    w = x * ok                                                    # employment of known cells
    num = (w * np.where(ok, gm, 0.0)) @ neighbourhood.T
    den = w @ neighbourhood.T
    trend = np.divide(num, den, out=np.full_like(num, np.nan), where=den > 0)
    return trend, f"history panel {start}-{end}"


def prepare(panel: Panel | pd.DataFrame, *, year: int | None = None,
            pci: pd.Series | None = None, growth: pd.Series | None = None,
            history: Panel | None = None, k: int = 10, trend_years: int = 10,
            compute_pci: bool = True) -> CandidateBase:
    r"""Compute, once for all regions, the indicators the candidate scores use.

    Parameters
    ----------
    panel : Panel (the cross-section of ``year``, default the latest, is used) or a wide
        region x activity DataFrame (one cross-section). Missing cells count as zero.
    year : panel year.
    pci : Series activity -> complexity, replacing the PCI computed from the panel (e.g. a
        knowledge-complexity index from patents). Missing activities are NaN (neutral value).
    growth : Series activity -> annual growth rate, for the momentum (overrides the others).
    history : multi-year Panel (same activities, or A*10 sections as in
        ``datasets.regional_employment``) for the trend of related local industries (Foray
        mode) and, without ``growth``, for the momentum (:func:`section_growth_for_divisions`).
    k : size of the related-activity neighbourhood :math:`N_k(i)`.
    trend_years : length of the trend window (years before ``year``).
    compute_pci : False skips the complexity computation (``pci`` then NaN unless given), for
        callers that do not need the value sub-score.

    Notes
    -----
    Trend sources, in order of precedence: ``growth`` / ``history`` when given, else the panel's
    own earlier year (the earliest within ``trend_years``), else none (momentum neutral 0.5;
    related-industry trend unknown). In ``history`` the window ends at the latest well-covered
    year up to the panel year (a year with data for at least 80 % as many regions as the best
    year) and starts at the earliest well-covered year at most ``trend_years`` before; the
    related trend is then the employment-weighted mean growth of the related activities'
    history columns (the activity itself or its A*10 aggregate),
    :math:`\sum_{j \in N_k(i)} \phi_{ij} x_{rj} g_{r,h(j)} / \sum_{j \in N_k(i)} \phi_{ij} x_{rj}`.
    With the panel's own years, the RCA trend also enters the advantage sub-score; the momentum is the growth of each activity's total over regions
    observed in both years, and the related trend the growth of
    :math:`\sum_{j \in N_k(i)} \phi_{ij} x_{rj}` over cells observed in both years.
    """
    if not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    raw, y = _cross_section(panel, year)
    sources: dict[str, str] = {}
    notes: list[str] = []
    miss = raw.isna()
    x_df = raw.fillna(0.0)
    try:
        vals = as_labelled(x_df, name="panel", allow_sparse=False).data
    except ValueError as exc:
        raise ValueError(f"panel{'' if y is None else f' ({y})'}: {exc}") from None
    keep = vals.sum(axis=1) > 0
    if keep.sum() < 2:
        raise ValueError("candidates need at least two regions with positive employment")
    x_df = x_df.loc[keep]
    miss = miss.loc[keep]
    regions, activities = x_df.index, x_df.columns
    x = x_df.to_numpy(dtype=float)
    rca = np.nan_to_num(evidence.rca(x_df).to_numpy(dtype=float), nan=0.0)
    m_df = evidence.presence(x_df)
    m = m_df.to_numpy(dtype=float)
    phi = evidence.proximity(m_df).to_numpy(dtype=float)
    # density is in [0, 1] by construction; clip rounding (1 + 1e-16) and set unlinked to 0
    dens = np.clip(np.nan_to_num(evidence.density(m_df, phi).to_numpy(dtype=float), nan=0.0),
                   0.0, 1.0)
    if pci is None and not compute_pci:
        q = np.full(len(activities), np.nan)
        sources["pci"] = "not computed"
    elif pci is None:
        try:
            q = evidence.complexity(m_df).pci.reindex(activities).to_numpy(dtype=float)
            sources["pci"] = "PCI (eigenvector method) of the panel"
        except ValueError as exc:  # too few regions / activities with a specialisation
            q = np.full(len(activities), np.nan)
            sources["pci"] = "none (neutral value 0.5)"
            notes.append(f"PCI not computable ({exc}); value set to the neutral 0.5.")
    else:
        if not isinstance(pci, pd.Series):
            raise TypeError("pci must be a Series indexed by activity")
        q = pd.Series(pci.to_numpy(dtype=float), index=pci.index.astype(str)).reindex(
            activities).to_numpy(dtype=float)
        sources["pci"] = "user-supplied complexity"
    nb = related_neighbourhood(phi, int(k))

    rca_start = span = trend = g = None
    years = list(getattr(panel, "years", []) or [])
    start = _window(years, y, trend_years) if y is not None and len(years) > 1 else None
    if start is not None:
        span = float(y - start)
        x0_raw = panel.matrix(start)
        x0_raw.index = x0_raw.index.astype(str)
        x0_raw.columns = x0_raw.columns.astype(str)
        x0_raw = x0_raw.reindex(index=regions, columns=activities)
        ok = x0_raw.notna().to_numpy() & ~miss.to_numpy()
        x0 = x0_raw.fillna(0.0)
        pos = x0.sum(axis=1) > 0
        r0 = evidence.rca(x0.loc[pos]).reindex(regions).to_numpy(dtype=float)
        rca_start = np.where(x0_raw.notna().to_numpy(), r0, np.nan)
        x0v = x0.to_numpy(dtype=float)
        g = _cagr((x0v * ok).sum(axis=0), (x * ok).sum(axis=0), span)
        sources["growth"] = f"panel totals {start}-{y}"
        a0, a1 = (x0v * ok) @ nb.T, (x * ok) @ nb.T
        trend = _cagr(a0, a1, span)
        sources["trend"] = f"panel {start}-{y}"
        sources["advantage"] = f"RCA {y} and its trend since {start}"
    if history is not None:
        trend, sources["trend"] = _history_trend(history, regions, activities, x, nb, y,
                                                 trend_years)
        if growth is None:
            h0, h1 = _history_window(history, y, trend_years)
            gs = section_growth_for_divisions(history, activities, start=h0, end=h1)
            g = gs.to_numpy(dtype=float)
            sources["growth"] = "history panel {}-{} (A*10 aggregates)".format(*gs.attrs["years"])
    if growth is not None:
        if not isinstance(growth, pd.Series):
            raise TypeError("growth must be a Series activity -> annual growth rate")
        g = pd.Series(growth.to_numpy(dtype=float), index=growth.index.astype(str)).reindex(
            activities).to_numpy(dtype=float)
        sources["growth"] = "user-supplied growth"
    if g is None or not np.isfinite(g).any():
        notes.append("No growth data: momentum set to the neutral 0.5 for every activity.")
        sources["growth"] = "none (neutral 0.5)"
    if trend is None:
        notes.append("No trend of related local industries: 'transition' cannot be told apart "
                     "from 'diversification' (related_trend is NaN).")
        sources.setdefault("trend", "none")
    sources.setdefault("advantage", f"RCA{'' if y is None else f' {y}'} (level only)")
    n_miss = int(miss.to_numpy().sum())
    if n_miss:
        notes.append(f"{n_miss} missing (confidential) cells counted as zero.")
    return CandidateBase(
        regions=regions, activities=activities, year=y, x=x, missing=miss.to_numpy(),
        rca=rca, presence=m, phi=phi, density=dens, pci=q, neighbourhood=nb, k=int(k),
        rca_start=rca_start, span=span, growth=g, related_trend=trend, sources=sources,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# exclusions, selection
# --------------------------------------------------------------------------------------------
def excluded_activities(activities: Iterable[str], exclude: object = DEFAULT_EXCLUSIONS
                        ) -> list[str]:
    """Activities matched by the exclusion rules (a code equal to a rule or starting with it).

    ``exclude`` is a string (one rule), an iterable of strings, or None / empty (no rule).
    """
    if exclude is None:
        return []
    rules = [exclude] if isinstance(exclude, str) else list(exclude)
    bad = [r for r in rules if not isinstance(r, str) or not r.strip()]
    if bad:
        raise ValueError(f"exclude: rules must be non-empty strings (code prefixes), got {bad}")
    prefixes = tuple(r.strip() for r in rules)
    if not prefixes:
        return []
    return [a for a in map(str, activities) if a.startswith(prefixes)]


def _selection(base: CandidateBase, region: object) -> tuple[np.ndarray, bool]:
    if region is None:
        return np.arange(len(base.regions)), True
    if isinstance(region, str):
        return np.array([base.region_position(region)]), False
    if isinstance(region, Iterable):
        codes = [str(r) for r in region]
        if not codes:
            raise ValueError("region: empty list of regions")
        if len(set(codes)) != len(codes):
            raise ValueError("region: duplicated region codes")
        return np.array([base.region_position(r) for r in codes]), True
    raise TypeError(f"region must be a code, a list of codes or None, got "
                    f"{type(region).__name__}")


def _labels(labels: object, activities: pd.Index) -> np.ndarray:
    if labels is None:
        return np.asarray(activities, dtype=object)
    if isinstance(labels, Mapping):
        labels = pd.Series(labels)
    if not isinstance(labels, pd.Series):
        raise TypeError("labels must be a Series (or mapping) activity code -> label")
    lab = pd.Series(labels.to_numpy(dtype=object), index=labels.index.astype(str))
    lab = lab[~lab.index.duplicated()]
    out = lab.reindex(activities).to_numpy(dtype=object)
    return np.where(pd.isna(out), np.asarray(activities, dtype=object), out)


# --------------------------------------------------------------------------------------------
# explanation
# --------------------------------------------------------------------------------------------
def short_label(label: str) -> str:
    """A label shortened for running text: a leading "Manufacture of " is dropped and the text
    is cut at the first ";" (e.g. "Manufacture of wood and of products of wood and cork, except
    furniture; manufacture of articles of straw ..." -> "Wood and of products of wood and cork,
    except furniture")."""
    s = str(label).strip()
    for prefix in ("Manufacture of ", "manufacture of "):
        if s.startswith(prefix) and len(s) > len(prefix):
            s = s[len(prefix)].upper() + s[len(prefix) + 1:]
            break
    return s.split(";")[0].strip() or str(label)


def _name_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _top_positions(values: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` largest positive entries along the last axis (-1 padding)."""
    n = min(n, values.shape[-1])
    order = np.argsort(-values, axis=-1, kind="stable")[..., :n]
    top = np.take_along_axis(values, order, axis=-1)
    return np.where(top > 0, order, -1)


def _explanations(base: CandidateBase, sel: np.ndarray, cols: np.ndarray, names: np.ndarray,
                  mode: np.ndarray, partners: np.ndarray, searched: np.ndarray,
                  trend: np.ndarray | None) -> np.ndarray:
    """Plain-language explanation of every (selected region, candidate) cell."""
    m = base.presence[sel]                                             # (n, P)
    phi_c = base.phi[cols]                                             # (C, P)
    builds = _top_positions(m[:, None, :] * phi_c[None, :, :], _N_REASONS)
    short = 1.0 - np.minimum(base.rca[sel], 1.0)
    gapw = (base.neighbourhood[cols][None, :, :] * ((1.0 - m) * short)[:, None, :])
    gaps = _top_positions(gapw, _N_REASONS)
    rca = base.rca[sel][:, cols]
    miss = base.missing[sel][:, cols]
    has_links = base.neighbourhood[cols].sum(axis=1) > 0
    codes = [str(r) for r in base.regions]
    named = [f"{short_label(names[j])} ({base.activities[j]})" if names[j] != base.activities[j]
             else str(base.activities[j]) for j in range(len(base.activities))]
    out = np.empty(mode.shape, dtype=object)
    for a in range(mode.shape[0]):
        for c in range(mode.shape[1]):
            b = [named[j] for j in builds[a, c] if j >= 0]
            parts = [f"Builds on {_name_list(b)}, already specialised here."
                     if b else "No closely related specialisation in the region yet."]
            gp = [named[j] for j in gaps[a, c] if j >= 0]
            if gp:
                parts.append(f"Missing related capabilities: {_name_list(gp)}.")
            elif has_links[c]:
                parts.append("The region already has its most related activities.")
            else:
                parts.append("The data show no activity related to it.")
            if gp and searched[a]:
                pp = [codes[q] for q in partners[a, c] if q >= 0]
                parts.append(f"Partner regions with these capabilities: {', '.join(pp)}."
                             if pp else "No partner region searched holds them.")
            md = mode[a, c]
            desc = MODE_DESCRIPTIONS[md]
            if md == "modernisation":
                desc += f"; RCA {rca[a, c]:.2f}"
            elif md in ("transition", "diversification") and trend is not None \
                    and np.isfinite(trend[a, c]):
                desc += f" ({trend[a, c]:+.1%} a year)"
            elif md == "diversification":
                desc = ("a new activity next to related local industries; their trend is "
                        "unknown, so a transition cannot be ruled out")
            parts.append(f"Mode: {md} — {desc}.")
            if miss[a, c]:
                parts.append("The region's employment in it is confidential (counted as zero).")
            out[a, c] = " ".join(parts)
    return out


# --------------------------------------------------------------------------------------------
# main entry point
# --------------------------------------------------------------------------------------------
def candidates(panel: Panel | pd.DataFrame | CandidateBase, region: object = None, *,
               weights: Mapping[str, float] | None = None, top_k: int = 10,
               n_draws: int = 500, seed: int | None = 0,
               exclude: object = DEFAULT_EXCLUSIONS, growth: pd.Series | None = None,
               partner_regions: object = None, neighbours: pd.DataFrame | None = None,
               macro_region: object = None, stakeholder_scores: pd.DataFrame | None = None,
               skills: pd.DataFrame | None = None, year: int | None = None,
               labels: pd.Series | Mapping[str, str] | None = None,
               pci: pd.Series | None = None, history: Panel | None = None, k: int = 10,
               n_partners: int = 5, quadrant_split: float = 0.5,
               decline_threshold: float = -0.005, concentration: float = 20.0,
               skill_labels: pd.Series | None = None, n_skills: int = 5,
               trend_years: int = 10, explain: bool = True) -> pd.DataFrame:
    r"""Score every activity as a candidate transformative activity of one or more regions.

    Parameters
    ----------
    panel : Panel, wide region x activity DataFrame, or a :class:`CandidateBase` from
        :func:`prepare` (to reuse the indicators across calls; ``year``, ``pci``, ``growth``,
        ``history``, ``k`` and ``trend_years`` are then ignored).
    region : a region code (one region: index ``activity``), a list of codes, or None (all
        regions): MultiIndex ``(region, activity)``.
    weights : sub-score -> weight, completing :data:`~smartspec.discovery.scoring.DEFAULT_WEIGHTS`
        (see :func:`~smartspec.discovery.scoring.validate_weights`).
    top_k : size of the top for the robustness probability ``p_top_k``.
    n_draws : Monte Carlo weight draws (0 skips robustness: ``p_top_k`` is NaN).
    seed : seed of the draws (same seed, same ``p_top_k``).
    exclude : exclusion rules (code prefixes), :data:`DEFAULT_EXCLUSIONS` by default.
    growth : Series activity -> annual growth, for the momentum (e.g.
        :func:`section_growth_for_divisions` of ``datasets.regional_employment``).
    partner_regions, neighbours, macro_region : sources of candidate partner regions, see
        :func:`~smartspec.discovery.partners.partner_candidates` (e.g. ``neighbours =
        datasets.neighbours(2)``, ``macro_region = datasets.alpine_space(2).index``).
    stakeholder_scores : EDP scores merged with
        :func:`~smartspec.discovery.stakeholders.merge_stakeholder_scores`.
    skills : activity x skill weight matrix; adds the ``skill_gap`` list column (see
        :mod:`smartspec.discovery.skills`), labelled with ``skill_labels`` when given.
    year : panel year (latest by default).
    labels : activity code -> label (e.g. NACE labels), used in ``label`` and explanations.
    pci : complexity to use instead of the panel's PCI (e.g. knowledge complexity).
    history : multi-year Panel for the trend of related local industries (see :func:`prepare`).
    k : size of the related neighbourhood :math:`N_k(i)` (capability gap, partners, skills).
    n_partners : partners listed per candidate.
    quadrant_split : quantile splitting density and complexity (quadrant, high density).
    decline_threshold : annual growth under which related industries count as declining
        (default -0.5 % a year).
    concentration : Dirichlet concentration of the weight draws.
    n_skills : skills listed in ``skill_gap``.
    trend_years : trend window in years.
    explain : build the ``explanation`` strings (False leaves them empty; faster).

    Returns
    -------
    DataFrame
        Sorted by region and descending score, with columns

        * ``rank`` (1 = best in the region), ``label``, ``score`` (weighted mean of the
          benefit sub-scores, :func:`~smartspec.discovery.scoring.composite_score`);
        * the sub-scores ``feasibility``, ``value``, ``advantage``, ``momentum``,
          ``transformative_potential``, ``capability_gap`` (all in [0, 1]; see
          :mod:`smartspec.discovery.scoring` for the formulas);
        * ``p_top_k`` (:mod:`~smartspec.discovery.robustness`), ``quadrant``,
          ``quadrant_reading``, ``mode`` (:mod:`~smartspec.discovery.typology`);
        * ``partners`` (list of region codes, best first), ``partner_gain`` (combined minus
          own density with the best partner; NaN without one), ``explanation`` (plain
          language: the local specialisations contributing most to the density, i.e. the
          largest :math:`\phi_{ij} M_{rj}`; the main gaps, i.e. the largest
          :math:`\phi_{ij}(1 - \min(RCA_{rj}, 1))` over :math:`N_k(i)` with :math:`M_{rj} = 0`;
          the partners; the mode — labels shortened by :func:`short_label`);
        * the raw indicators ``density``, ``pci``, ``rca``, ``employment``, ``confidential``
          (the cell was missing and counted as zero), ``related_trend`` (annual growth of the
          related local industries, NaN if unknown), ``growth`` (the activity's global growth);
        * ``skill_gap`` (with ``skills``) and the stakeholder columns (with
          ``stakeholder_scores``).

        ``attrs`` holds ``region``/``regions``, ``year``, ``weights``, ``excluded``, ``notes``,
        ``sources``, ``top_k``, ``n_draws``, ``seed``.

    Examples
    --------
    >>> from smartspec import datasets
    >>> from smartspec.discovery import candidates
    >>> labels = datasets.nace("en").set_index("code_eurostat")["label"]
    >>> c = candidates(datasets.sbs_employment(), "AT31", labels=labels,
    ...                neighbours=datasets.neighbours(2),
    ...                macro_region=datasets.alpine_space(2).index)  # doctest: +SKIP
    >>> c[["label", "score", "mode", "partners"]].head()  # doctest: +SKIP
    """
    w = validate_weights(weights)
    if not isinstance(top_k, int | np.integer) or top_k < 1:
        raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
    if not isinstance(n_draws, int | np.integer) or n_draws < 0:
        raise ValueError(f"n_draws must be a non-negative integer, got {n_draws!r}")
    base = panel if isinstance(panel, CandidateBase) else prepare(
        panel, year=year, pci=pci, growth=growth, history=history, k=k,
        trend_years=trend_years)
    sel, batch = _selection(base, region)
    excluded = excluded_activities(base.activities, exclude)
    cols = np.flatnonzero(~base.activities.isin(excluded))
    if len(cols) == 0:
        raise ValueError(f"exclude removes every activity ({exclude!r})")
    acts = base.activities[cols]

    # sub-scores ---------------------------------------------------------------------------
    dens = base.density[sel][:, cols]
    rca = base.rca[sel][:, cols]
    pci_c = base.pci[cols]
    feas = feasibility_score(dens)
    val = np.broadcast_to(value_score(pci_c), dens.shape)
    adv = advantage_score(rca, None if base.rca_start is None else base.rca_start[sel][:, cols],
                          base.span)
    g = np.full(len(cols), np.nan) if base.growth is None else base.growth[cols]
    mom = np.broadcast_to(momentum_score(g), dens.shape)
    x = base.x[sel]
    tot = x.sum(axis=1, keepdims=True)
    shares = x / tot
    tp_raw, _ = transformative_potential(base.presence[sel], shares, base.phi)
    tp = feasibility_score(tp_raw[:, cols])
    gap = capability_gap(base.rca[sel], base.neighbourhood)[:, cols]
    benefit = np.stack([feas, val, adv, mom, tp, 1.0 - gap], axis=-1)
    wv = np.array([w[s] for s in SUBSCORES])
    score = composite_score(benefit, wv)

    # robustness, typology, partners ----------------------------------------------------------
    if n_draws > 0:
        draws = weight_draws(wv, int(n_draws), concentration=concentration, seed=seed)
        ptk = _p_top_k(benefit, draws, int(top_k))
    else:
        ptk = np.full(score.shape, np.nan)
    quad = quadrant(dens, pci_c, split=quadrant_split)
    trend = None if base.related_trend is None else base.related_trend[sel][:, cols]
    mode = foray_mode(rca, dens, trend, split=quadrant_split,
                      decline_threshold=decline_threshold)
    codes = [str(base.regions[r]) for r in sel]
    cand_sets = partner_candidates(codes, base.regions, neighbours=neighbours,
                                   macro_region=macro_region, partner_regions=partner_regions)
    sizes = np.array([len(cand_sets[c]) for c in codes], dtype=np.int64)
    flat = base.regions.get_indexer([q for c in codes for q in cand_sets[c]])
    cand_pos = np.split(flat.astype(np.int64), np.cumsum(sizes)[:-1])
    searched = np.array([len(c) > 0 for c in cand_pos])
    parts, gains = rank_partners(base.presence, base.phi, base.neighbourhood, sel, cand_pos,
                                 n_partners)
    parts, gains = parts[:, cols], gains[:, cols]
    names = _labels(labels, base.activities)
    expl = (_explanations(base, sel, cols, names, mode, parts, searched, trend) if explain
            else np.full(score.shape, "", dtype=object))
    region_codes = np.asarray(base.regions.astype(str), dtype=object)
    partner_lists = [[region_codes[q] for q in row if q >= 0]
                     for row in parts.reshape(-1, parts.shape[-1])]

    # assemble ---------------------------------------------------------------------------------
    n, c = score.shape
    rank = np.empty((n, c), dtype=np.int64)
    order = np.argsort(-score, axis=1, kind="stable")
    np.put_along_axis(rank, order, np.arange(1, c + 1)[None, :], axis=1)
    best_gain = gains[:, :, 0] if gains.shape[-1] else np.full((n, c), np.nan)
    data: dict[str, Any] = {
        "rank": rank.ravel(),
        "label": np.tile(names[cols], n),
        "score": score.ravel(),
        "feasibility": feas.ravel(),
        "value": np.asarray(val).ravel(),
        "advantage": adv.ravel(),
        "momentum": np.asarray(mom).ravel(),
        "transformative_potential": tp.ravel(),
        "capability_gap": gap.ravel(),
        "p_top_k": ptk.ravel(),
        "quadrant": quad.ravel(),
        "quadrant_reading": [QUADRANT_READINGS.get(q, "") for q in quad.ravel()],
        "mode": mode.ravel(),
        "partners": partner_lists,
        "partner_gain": best_gain.ravel(),
        "explanation": expl.ravel(),
        "density": dens.ravel(),
        "pci": np.tile(pci_c, n),
        "rca": rca.ravel(),
        "employment": x[:, cols].ravel(),
        "confidential": base.missing[sel][:, cols].ravel(),
        "related_trend": (np.full(n * c, np.nan) if trend is None else trend.ravel()),
        "growth": np.tile(g, n),
    }
    if skills is not None:
        wmat = align_skills(skills, base.activities)
        sk, _ = skill_gap_lists(base.presence, base.neighbourhood, wmat, sel, n_skills)
        sk = sk[:, cols]
        scols = pd.Index(skills.columns)
        slab = np.asarray(scols, dtype=object)
        if skill_labels is not None:
            lab = skill_labels.reindex(scols).to_numpy(dtype=object)
            slab = np.where(pd.isna(lab), slab, lab)
        data["skill_gap"] = [[slab[s] for s in row if s >= 0]
                             for row in sk.reshape(-1, sk.shape[-1])]
    if batch:
        index = pd.MultiIndex.from_arrays(
            [np.repeat(np.asarray(codes, dtype=object), c), np.tile(np.asarray(acts), n)],
            names=["region", "activity"])
    else:
        index = pd.Index(np.asarray(acts), name="activity")
    out = pd.DataFrame(data, index=index)
    flat_order = (order + (np.arange(n) * c)[:, None]).ravel()
    out = out.iloc[flat_order]
    out.attrs = {
        "year": base.year, "weights": w, "excluded": excluded, "top_k": int(top_k),
        "n_draws": int(n_draws), "seed": seed, "k": base.k, "concentration": concentration,
        "quadrant_split": quadrant_split, "notes": list(base.notes),
        "sources": dict(base.sources),
    }
    if batch:
        out.attrs["regions"] = codes
    else:
        out.attrs["region"] = codes[0]
        out.attrs["missing_cells"] = int(base.missing[sel[0]].sum())
    if stakeholder_scores is not None:
        out = merge_stakeholder_scores(out, stakeholder_scores)
    return out
