"""Draft development strategy for a transformative activity (TA), from its diagnosis.

:func:`draft_strategy` turns a TA's diagnosis (a row of
:func:`smartspec.discovery.candidates`, or a dict with the same keys) into a draft list of
actions: which actions, in which order (three phases), who leads, with milestones and
indicators. Every action states the rule that proposed it in its ``rationale``. The result is a
plain :class:`Strategy` dataclass that users edit freely.

Rules
-----
=============================  ============================================================
action                         proposed when
=============================  ============================================================
consortium_creation            critical-mass ratio < 1 or unknown, or a required helix has
                               no actor in the region
investment_attraction          critical-mass ratio < ``low_mass`` (0.5), or capability gap
                               ≥ ``large_gap`` (0.6)
skills_training                the TA has a skill gap (skills needed that no actor holds)
interregional_partnership      partner regions hold capabilities the TA lacks
collaborative_rnd              complexity (PCI) ≥ ``high_complexity`` (0.5 standard
                               deviations above the mean), mode ``radical_foundation``, or
                               capability gap ≥ ``large_gap``
pilot_testbed                  mode ``modernisation`` or ``diversification``
regulatory_standards           mode ``transition`` or ``radical_foundation``, or the
                               diagnosis flags ``regulatory_barriers``
cluster_service                a cluster organisation is registered in the region, or the
                               critical-mass ratio ≥ 1
funding_search                 always
=============================  ============================================================

Scheduling: phase 1 (organise) starts at ``start``; each later phase starts when the shortest
action of the previous phase ends. An action lasts its catalogue's typical duration; its
milestones follow the catalogue's templates.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from smartspec.strategy.actions import (
    ACTION_CATALOGUE,
    ACTION_TYPES,
    PHASES,
    Action,
    add_months,
)
from smartspec.strategy.actors import HELIX, Actor

__all__ = ["TA_MODES", "Strategy", "draft_strategy", "normalise_mode"]

#: Foray's modes of structural change of a TA.
TA_MODES: tuple[str, ...] = ("modernisation", "transition", "diversification",
                             "radical_foundation")


def normalise_mode(mode: object) -> str | None:
    """The canonical TA mode (``"radical foundation"`` -> ``"radical_foundation"``), None if
    missing; raises ValueError for an unknown mode."""
    if mode is None or (isinstance(mode, float) and math.isnan(mode)):
        return None
    key = "_".join(str(mode).strip().lower().replace("-", " ").split())
    if key not in TA_MODES:
        raise ValueError(f"unknown TA mode {mode!r}; modes are {', '.join(TA_MODES)}")
    return key


@dataclass
class Strategy:
    """A TA's development strategy (plain, editable).

    Attributes
    ----------
    ta : activity code of the TA.
    actions : the actions, in order.
    notes : remarks on the diagnosis and the rules that did not fire.
    region : the home region, if known.
    label : the TA's label, if known.
    diagnosis : the diagnosis values used.
    leads : action title -> proposed lead actor (when actors were given).
    """

    ta: str
    actions: list[Action]
    notes: list[str] = field(default_factory=list)
    region: str | None = None
    label: str | None = None
    diagnosis: dict[str, Any] = field(default_factory=dict)
    leads: dict[str, Actor] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per action: phase, type, title, lead type, start, end, rationale."""
        return pd.DataFrame([{
            "phase": a.phase, "action_type": a.action_type, "title": a.title,
            "lead_actor_type": a.lead_actor_type,
            "lead": self.leads[a.title].name if a.title in self.leads else None,
            "start": a.start, "end": a.end, "rationale": a.rationale,
        } for a in self.actions])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {
            "ta": self.ta, "region": self.region, "label": self.label,
            "diagnosis": {k: (list(v) if isinstance(v, tuple) else v)
                          for k, v in self.diagnosis.items()},
            "notes": list(self.notes),
            "actions": [a.to_dict() for a in self.actions],
            "leads": {t: a.to_dict() for t, a in self.leads.items()},
        }


# --------------------------------------------------------------------------------------------
# diagnosis parsing
# --------------------------------------------------------------------------------------------
def _number(d: Mapping[str, Any], *keys: str) -> float | None:
    for key in keys:
        if key in d:
            value = d[key]
            if value is None:
                return None
            if isinstance(value, Mapping) and "ratio" in value:   # a critical-mass report
                value = value["ratio"]
            elif hasattr(value, "ratio"):
                value = value.ratio
            try:
                number = float(value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"diagnosis {key!r} must be a number, got {value!r}") from exc
            return None if math.isnan(number) else number
    return None


def _list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace("|", ";").replace(",", ";").split(";")
                if v.strip()]
    return [str(v) for v in value]


def _diagnosis(ta_diagnosis: pd.Series | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    if isinstance(ta_diagnosis, pd.Series):
        d = ta_diagnosis.to_dict()
        name = ta_diagnosis.name
    elif isinstance(ta_diagnosis, Mapping):
        d = dict(ta_diagnosis)
        name = None
    else:
        raise TypeError("ta_diagnosis must be a pandas Series (a candidates row) or a mapping")
    if isinstance(name, tuple) and len(name) == 2:   # batch candidates: (region, activity)
        d.setdefault("region", name[0])
        name = name[1]
    ta = d.get("activity", d.get("ta", name))
    if ta is None or (isinstance(ta, float) and math.isnan(ta)) or not str(ta).strip():
        raise ValueError("the diagnosis names no activity: give 'activity' (or a Series whose "
                         "name is the activity code)")
    mode = normalise_mode(d.get("mode"))
    skill_gap = d.get("skill_gap", d.get("skills_gap"))
    if isinstance(skill_gap, int | float) and not isinstance(skill_gap, bool):
        gap_count = None if math.isnan(float(skill_gap)) else int(skill_gap)
        gap_skills: list[str] = []
    else:
        gap_skills = _list(skill_gap)
        gap_count = len(gap_skills)
    out = {
        "activity": str(ta),
        "label": d.get("label"),
        "region": d.get("region"),
        "score": _number(d, "score"),
        "capability_gap": _number(d, "capability_gap"),
        "pci": _number(d, "pci", "complexity"),
        "value": _number(d, "value"),
        "partners": _list(d.get("partners")),
        "mode": mode,
        "skill_gap": gap_skills,
        "skill_gap_count": gap_count,
        "critical_mass_ratio": _number(d, "critical_mass_ratio", "critical_mass"),
        "regulatory_barriers": bool(d.get("regulatory_barriers", False)),
    }
    for key in ("capability_gap",):
        v = out[key]
        if v is not None and not 0 <= v <= 1:
            raise ValueError(f"diagnosis {key!r} must lie in [0, 1], got {v}")
    if out["critical_mass_ratio"] is not None and out["critical_mass_ratio"] < 0:
        raise ValueError("diagnosis 'critical_mass_ratio' cannot be negative")
    return str(ta), out


def _label(ta: str) -> str | None:
    try:
        from smartspec.datasets import nace

        table = nace()
        hit = table.loc[table["code_eurostat"] == ta, "label"]
        return str(hit.iloc[0]) if len(hit) else None
    except Exception:  # pragma: no cover - labels are a nicety
        return None


# --------------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------------
def draft_strategy(ta_diagnosis: pd.Series | Mapping[str, Any],
                   actors: Sequence[Actor] | None = None, *,
                   region: str | None = None,
                   phi: object | None = None,
                   start: dt.date | None = None,
                   required_helix: Sequence[str] = ("industry", "academia", "government"),
                   high_complexity: float = 0.5,
                   large_gap: float = 0.6,
                   low_mass: float = 0.5) -> Strategy:
    """Draft a development strategy for a TA (see the module docstring for the rules).

    Parameters
    ----------
    ta_diagnosis : Series (a row of ``smartspec.discovery.candidates``, named by the activity)
        or mapping. Keys used, all optional but the activity: ``activity``, ``label``,
        ``region``, ``score``, ``capability_gap`` (0-1), ``pci`` (standardised complexity),
        ``value``, ``partners`` (region codes), ``mode`` (:data:`TA_MODES`), ``skill_gap``
        (list of skills, or a count), ``critical_mass_ratio``, ``regulatory_barriers``.
    actors : the registry, optional; used to name lead actors (the best-matching actor of the
        lead type in the region, :func:`~smartspec.strategy.matching.match_actors`) and to check
        for missing helices and cluster organisations.
    region : the home region (default: the diagnosis' ``region``).
    phi : proximity matrix for the actor matching, optional.
    start : start date of phase 1 (default: the first day of next month).
    required_helix, high_complexity, large_gap, low_mass : rule parameters.

    Returns
    -------
    Strategy
    """
    ta, d = _diagnosis(ta_diagnosis)
    region = region or (str(d["region"]) if d["region"] else None)
    if start is None:
        today = dt.date.today()
        start = add_months(today.replace(day=1), 1)
    label = d["label"] if d["label"] and str(d["label"]) != ta else _label(ta)
    name = f"{ta} {label}" if label else ta
    notes: list[str] = []
    local = [a for a in actors or [] if region is None or a.region.startswith(region)]
    present_helix = {HELIX[a.actor_type] for a in local}
    missing_helix = [h for h in required_helix if h not in present_helix] if actors is not None \
        else []
    ratio = d["critical_mass_ratio"]
    gap = d["capability_gap"]
    pci = d["pci"]
    mode = d["mode"]
    proposals: dict[str, list[str]] = {}

    def propose(kind: str, why: str) -> None:
        proposals.setdefault(kind, []).append(why)

    # consortium creation
    if ratio is None:
        propose("consortium_creation", "critical mass has not been assessed and no consortium "
                "is recorded: a consortium organises the actors behind the TA")
    elif ratio < 1:
        propose("consortium_creation", f"low critical mass (capacity {ratio:.2f} of the "
                "size-star threshold): pool the region's actors in a consortium")
    if missing_helix:
        propose("consortium_creation", "no registered actor in the region for helix "
                + ", ".join(f"'{h}'" for h in missing_helix) + ": recruit them into a consortium")
    # investment attraction
    if ratio is not None and ratio < low_mass:
        propose("investment_attraction", f"critical mass very low (capacity {ratio:.2f} of the "
                f"threshold, below {low_mass}): attract firms and investors")
    if gap is not None and gap >= large_gap:
        propose("investment_attraction", f"large capability gap ({gap:.2f} ≥ {large_gap}): "
                "bring in firms that hold the missing capabilities")
    # skills
    if d["skill_gap"]:
        shown = d["skill_gap"][:3]
        try:
            from smartspec.strategy.matching import skill_label

            shown = [skill_label(s) for s in shown]
        except Exception:  # pragma: no cover
            pass
        more = len(d["skill_gap"]) - len(shown)
        propose("skills_training", f"skill gap: {len(d['skill_gap'])} skill(s) the TA needs are "
                f"held by no registered actor ({', '.join(shown)}"
                + (f" and {more} more" if more > 0 else "") + ")")
    elif d["skill_gap_count"]:
        propose("skills_training", f"skill gap: {d['skill_gap_count']} skill(s) the TA needs "
                "are held by no registered actor")
    else:
        notes.append("no skill gap given: skills training not proposed (compute one with "
                     "smartspec.strategy.matching.ta_skill_gap)")
    # interregional partnership
    if d["partners"]:
        propose("interregional_partnership", "capabilities the TA lacks are present in partner "
                f"regions {', '.join(d['partners'][:6])}"
                + (f" (+{len(d['partners']) - 6})" if len(d["partners"]) > 6 else ""))
    # collaborative R&D
    if pci is not None and pci >= high_complexity:
        propose("collaborative_rnd", f"high complexity (PCI {pci:.2f} ≥ {high_complexity}): "
                "the knowledge is demanding and calls for joint R&D")
    if mode == "radical_foundation":
        propose("collaborative_rnd", "radical foundation: a new domain is built from research")
    if gap is not None and gap >= large_gap:
        propose("collaborative_rnd", f"large capability gap ({gap:.2f}): develop the missing "
                "knowledge with research partners")
    # pilots
    if mode in ("modernisation", "diversification"):
        propose("pilot_testbed", f"{mode} TA: existing industries adopt and combine "
                "technologies, which a shared pilot or test-bed de-risks")
    # regulation and standards
    if mode in ("transition", "radical_foundation"):
        propose("regulatory_standards", f"{mode.replace('_', ' ')} TA: new products and markets "
                "need standards, certification or regulatory adaptation")
    if d["regulatory_barriers"]:
        propose("regulatory_standards", "the diagnosis flags regulatory barriers")
    # cluster services
    clusters = [a for a in local if a.actor_type == "cluster_organisation"]
    if clusters:
        propose("cluster_service", f"cluster organisation(s) in the region "
                f"({', '.join(a.name for a in clusters[:3])}) can serve the TA's firms")
    elif ratio is not None and ratio >= 1:
        propose("cluster_service", f"critical mass reached (ratio {ratio:.2f}): services help "
                "the existing firms scale")
    # funding
    propose("funding_search", "every action needs co-funding: map the matching regional, "
            "national and EU instruments")

    matches = None
    if actors is not None and local:
        from smartspec.strategy.matching import match_actors

        matches = match_actors(local, ta, phi)
    actions: list[Action] = []
    leads: dict[str, Actor] = {}
    phase_start = {1: start}
    kinds = sorted(proposals, key=lambda k: (ACTION_CATALOGUE[k].phase, ACTION_TYPES.index(k)))
    for phase in sorted({ACTION_CATALOGUE[k].phase for k in kinds}):
        if phase not in phase_start:
            prev = [k for k in kinds if ACTION_CATALOGUE[k].phase < phase]
            earlier = max(p for p in phase_start if p < phase)
            shortest = min((ACTION_CATALOGUE[k].typical_duration_months for k in prev
                            if ACTION_CATALOGUE[k].phase == earlier), default=0)
            phase_start[phase] = add_months(phase_start[earlier], shortest)
    for kind in kinds:
        entry = ACTION_CATALOGUE[kind]
        begin = phase_start[entry.phase]
        end = add_months(begin, entry.typical_duration_months)
        lead_type = entry.actor_types[0]
        if actors is not None:
            types_here = {a.actor_type for a in local}
            lead_type = next((t for t in entry.actor_types if t in types_here), lead_type)
        title = f"{entry.title}: {name}"
        why = "; ".join(proposals[kind])
        lead: Actor | None = None
        if matches is not None:
            cand = matches[matches["actor_type"] == lead_type]
            if len(cand):
                lead = next(a for a in local if a.name == cand.iloc[0]["name"]
                            and a.region == cand.iloc[0]["region"])
                leads[title] = lead
                fit = float(cand.iloc[0]["score"])
                why += (f". Proposed lead: {lead.name} ({lead_type.replace('_', ' ')}, "
                        f"{lead.region}" + (f"; match score {fit:.2f})" if fit > 0 else
                                            "; no activity match, chosen by name)"))
            else:
                why += (f". No {lead_type.replace('_', ' ')} is registered in the region: "
                        "recruit a lead")
        participants = []
        if actors is not None:
            for t in entry.actor_types:
                participants += [a.id for a in local if a.actor_type == t and a.id is not None
                                 and (lead is None or a.id != lead.id)][:2]
        regions = [region] if region else []
        if kind == "interregional_partnership":
            regions += [p for p in d["partners"] if p not in regions]
        actions.append(Action(
            title=title, action_type=kind, description=entry.description, status="planned",
            owner=lead.id if lead is not None else None, participants=participants,
            start=begin, end=end, deadline=end, regions=regions, rationale=why,
            milestones=[{"title": t, "due": add_months(begin, m)} for t, m in entry.milestones],
            indicators=list(entry.indicators), ta=ta, phase=entry.phase,
            lead_actor_type=lead_type,
        ))
    if ratio is None:
        notes.append("critical mass unknown: compute it with "
                     "smartspec.implementation.critical_mass.critical_mass")
    if mode is None:
        notes.append("TA mode unknown: pilots and standards work were not considered")
    if pci is None:
        notes.append("complexity (PCI) unknown: the complexity rule was not applied")
    notes.insert(0, "phases: " + "; ".join(f"{p} {PHASES[p]} from {phase_start[p].isoformat()}"
                                           for p in sorted(phase_start)))
    return Strategy(ta=ta, actions=actions, notes=notes, region=region, label=label,
                    diagnosis=d, leads=leads)
