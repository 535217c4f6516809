r"""Critical mass of a transformative activity (TA): capacity against evidence-based benchmarks.

Capacity
--------
The TA's employment capacity in region :math:`r` counts the TA's activity :math:`t` and its
related activities :math:`R` (weights :math:`w_a`, 1 by default; :math:`w_t = 1`):

.. math:: E_r = \sum_{a \in \{t\} \cup R} w_a \, x_{ra}

with :math:`x_{ra}` the panel's values (persons employed). Missing (confidential) cells count
as zero and are listed in the report's notes. The capacity of the TA adds the partner
regions', weighted by ``partner_weight``:

.. math:: C = E_{\text{region}} + \omega \sum_{p \in P} E_p .

Benchmarks (same activity set, same year)
-----------------------------------------
* **median**: the median :math:`E_s` over the regions *specialised* in the TA's activity,
  :math:`RCA_{st} \ge 1` (location quotient of employment);
* **threshold**: the *size-star* threshold, the 90th percentile of :math:`E_s` over all regions
  with data, after the European Cluster Observatory's star rating, in which a regional cluster
  earns its size star when its employment is among the top 10 % of European regions.

The report's ``ratio`` is :math:`C / \text{threshold}`; critical mass is *reached* when it is at
least 1, every required helix has a committed actor and, if a budget target is given, the
committed budget meets it. ``missing`` says, in words, what is still missing.

Reference: European Cluster Observatory, star rating methodology (size, specialisation and
focus stars), Center for Strategy and Competitiveness, Stockholm School of Economics, for the
European Commission (2007 onward).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from smartspec.strategy.actors import HELIX, HELIX_TYPES, Actor

__all__ = ["CriticalMassReport", "critical_mass", "maturity_from_ratio"]


@dataclass
class CriticalMassReport:
    """Result of :func:`critical_mass`.

    Attributes
    ----------
    ta, region, year : the TA's activity code, the home region and the data year.
    activities : the activities counted (the TA's first) with their weights.
    local_employment : :math:`E_{\\text{region}}`.
    partner_employment : :math:`E_p` by partner region (partners without data are absent).
    capacity : :math:`C`.
    benchmark_median : median :math:`E_s` of the regions specialised in the TA (RCA ≥ 1).
    threshold : the size-star threshold (90th percentile of :math:`E_s`).
    ratio : :math:`C / \\text{threshold}`.
    local_ratio : :math:`E_{\\text{region}} / \\text{threshold}`.
    median_ratio : :math:`C / \\text{median}`.
    n_specialised, n_regions : regions specialised in the TA / regions with data.
    actors_by_helix : committed actors by helix (every helix listed).
    actor_employment : persons employed declared by the committed actors (already part of the
        statistics, so not added to the capacity).
    committed_budget, budget_target : EUR.
    reached : critical mass reached (see the module docstring).
    missing : what is missing, in words ("" when nothing is).
    notes : caveats (missing cells, partners without data ...).
    """

    ta: str
    region: str
    year: int
    activities: dict[str, float]
    local_employment: float
    partner_employment: dict[str, float]
    capacity: float
    benchmark_median: float
    threshold: float
    ratio: float
    local_ratio: float
    median_ratio: float
    n_specialised: int
    n_regions: int
    actors_by_helix: dict[str, int]
    actor_employment: int
    committed_budget: float
    budget_target: float | None
    reached: bool
    missing: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly dict."""
        return dict(self.__dict__)


def maturity_from_ratio(ratio: float) -> str:
    """Cluster maturity implied by a critical-mass ratio.

    ``"emerging"`` below 0.5, ``"developing"`` from 0.5 to 1, ``"mature"`` from 1 (the
    size-star threshold reached). Used to pick good practices.
    """
    if not isinstance(ratio, int | float) or math.isnan(ratio) or ratio < 0:
        raise ValueError(f"ratio must be a non-negative number, got {ratio!r}")
    if ratio < 0.5:
        return "emerging"
    if ratio < 1:
        return "developing"
    return "mature"


def _weights(ta: str, related: Iterable[str] | Mapping[str, float]) -> dict[str, float]:
    weights = {ta: 1.0}
    if isinstance(related, Mapping):
        items = list(related.items())
    elif isinstance(related, str):
        raise TypeError("related must be a list of activity codes or a mapping code -> weight, "
                        "not a single string")
    else:
        items = [(a, 1.0) for a in related]
    for code, w in items:
        w = float(w)
        if not math.isfinite(w) or w < 0 or w > 1:
            raise ValueError(f"weight of related activity {code!r} must be in [0, 1], got {w}")
        if code != ta:
            weights[str(code)] = w
    return weights


def _fmt(x: float) -> str:
    return f"{x:,.0f}"


def critical_mass(ta_activity: str, region: str, panel: object, *,
                  related: Iterable[str] | Mapping[str, float],
                  actors: Sequence[Actor] | None = None,
                  committed_budget: float = 0.0,
                  partner_regions: Iterable[str] = (),
                  partner_weight: float = 1.0,
                  budget_target: float | None = None,
                  required_helix: Sequence[str] = ("industry", "academia", "government"),
                  year: int | None = None,
                  quantile: float = 0.9) -> CriticalMassReport:
    """Compare a TA's capacity with benchmarks from the evidence data.

    Parameters
    ----------
    ta_activity : activity code of the TA (a column of the panel, e.g. ``"C28"``).
    region : the home region (a row of the panel).
    panel : :class:`smartspec.data.Panel` or a wide region x activity DataFrame
        Employment (or another size measure) by region and activity.
    related : list of activity codes or mapping code -> weight in [0, 1]
        The related activities whose employment counts towards the TA (e.g. the activities
        most related to it in the activity space). Pass ``()`` for the TA's activity alone.
    actors : list of Actor, optional
        The actors committed to the TA (counted by helix).
    committed_budget : float, default 0
        Budget committed to the TA's actions (EUR).
    partner_regions : codes of partner regions whose capacity counts.
    partner_weight : float in [0, 1], default 1
        Weight :math:`\\omega` of the partners' capacity.
    budget_target : float, optional
        Budget needed; when given, a shortfall is part of ``missing``.
    required_helix : helices that must have a committed actor (when ``actors`` is given).
    year : data year (default: the latest).
    quantile : float, default 0.9
        Quantile for the size-star threshold.

    Returns
    -------
    CriticalMassReport

    Raises
    ------
    ValueError / KeyError
        Unknown activity, region or year; bad weights or amounts.
    """
    from smartspec.evidence import rca

    if hasattr(panel, "matrix"):
        matrix = panel.matrix(year)  # type: ignore[attr-defined]
        data_year = int(year) if year is not None else int(panel.years[-1])  # type: ignore[attr-defined]
    elif isinstance(panel, pd.DataFrame):
        matrix = panel
        data_year = int(year) if year is not None else 0
    else:
        raise TypeError("panel must be a smartspec Panel or a region x activity DataFrame")
    if ta_activity not in matrix.columns:
        raise KeyError(f"activity {ta_activity!r} is not in the panel")
    if region not in matrix.index:
        raise KeyError(f"region {region!r} is not in the panel (year {data_year})")
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    if not 0 <= partner_weight <= 1:
        raise ValueError(f"partner_weight must be in [0, 1], got {partner_weight}")
    for name, amount in (("committed_budget", committed_budget),
                         ("budget_target", budget_target)):
        if amount is not None and (not math.isfinite(float(amount)) or float(amount) < 0):
            raise ValueError(f"{name} cannot be below zero, got {amount}")
    bad_helix = [h for h in required_helix if h not in HELIX_TYPES]
    if bad_helix:
        raise ValueError(f"unknown helix {bad_helix}; helices are {', '.join(HELIX_TYPES)}")

    weights = _weights(ta_activity, related)
    unknown = [a for a in weights if a not in matrix.columns]
    if unknown:
        raise KeyError(f"related activities not in the panel: {', '.join(unknown)}")
    notes: list[str] = []
    sub = matrix[list(weights)]
    w = np.array([weights[a] for a in weights])
    values = sub.to_numpy(dtype=float)
    has_data = ~np.isnan(values).all(axis=1)
    size = pd.Series(np.nansum(values * w, axis=1), index=matrix.index)
    size = size[has_data]

    specialisation = rca(matrix.fillna(0.0), missing="zero")[ta_activity]
    specialised = specialisation.index[(specialisation >= 1).to_numpy()]
    specialised = specialised.intersection(size.index)
    if len(specialised) == 0:
        raise ValueError(f"no region is specialised (RCA >= 1) in {ta_activity!r}")
    median = float(size.loc[specialised].median())
    threshold = float(size.quantile(quantile))

    local_missing = [a for a in weights if pd.isna(matrix.at[region, a])]
    if local_missing:
        notes.append(f"no value (confidential or missing) for {region} in "
                     f"{', '.join(local_missing)}: counted as 0")
    local = float(size.get(region, 0.0))
    partners: dict[str, float] = {}
    for p in dict.fromkeys(partner_regions):
        if p == region:
            continue
        if p not in size.index:
            notes.append(f"no data for partner region {p}: not counted")
            continue
        partners[p] = float(size[p])
    capacity = local + partner_weight * sum(partners.values())
    ratio = capacity / threshold if threshold > 0 else math.inf

    by_helix = {h: 0 for h in HELIX_TYPES}
    actor_employment = 0
    for a in actors or ():
        by_helix[HELIX[a.actor_type]] += 1
        actor_employment += a.size or 0
    missing_parts: list[str] = []
    label = ta_activity + (f" and related activities ({', '.join(list(weights)[1:])})"
                           if len(weights) > 1 else "")
    if ratio < 1:
        gap = threshold - capacity
        missing_parts.append(
            f"{_fmt(gap)} more persons employed in {label} to reach the size-star threshold "
            f"of {_fmt(threshold)} (the top {1 - quantile:.0%} of {len(size)} regions); "
            f"capacity now {_fmt(capacity)}"
            + (f" ({_fmt(local)} in {region} + {_fmt(partner_weight * sum(partners.values()))}"
               f" from partners)" if partners else "")
        )
    if actors is not None:
        absent = [h for h in required_helix if by_helix[h] == 0]
        if absent:
            missing_parts.append("no committed actor of helix " +
                                 ", ".join(f"'{h}'" for h in absent))
    elif required_helix:
        notes.append("no committed actors given: the helix check was not made")
    if budget_target is not None and committed_budget < budget_target:
        missing_parts.append(f"EUR {_fmt(budget_target - committed_budget)} more committed "
                             f"budget to reach the target of EUR {_fmt(budget_target)}")
    if actor_employment:
        notes.append(f"committed actors declare {_fmt(actor_employment)} persons employed, "
                     "already part of the regional statistics (not added)")
    return CriticalMassReport(
        ta=ta_activity, region=region, year=data_year, activities=weights,
        local_employment=local, partner_employment=partners, capacity=capacity,
        benchmark_median=median, threshold=threshold, ratio=ratio,
        local_ratio=local / threshold if threshold > 0 else math.inf,
        median_ratio=capacity / median if median > 0 else math.inf,
        n_specialised=len(specialised), n_regions=len(size), actors_by_helix=by_helix,
        actor_employment=actor_employment, committed_budget=float(committed_budget),
        budget_target=None if budget_target is None else float(budget_target),
        reached=not missing_parts, missing="; ".join(missing_parts), notes=notes,
    )
