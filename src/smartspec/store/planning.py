"""From evidence to stored strategy: the glue between the domain logic and the store.

The domain functions (:mod:`smartspec.discovery`, :mod:`smartspec.strategy`,
:mod:`smartspec.implementation`) are pure; this module feeds them the workspace's stored data
and the shipped evidence, and stores what they return:

* :func:`embedded_candidates` — discovery's candidate TAs of a region on the shipped data;
* :func:`diagnose` — a TA's diagnosis: its candidate row, its critical mass and its skill gap
  against the workspace's actors;
* :func:`ensure_ta` — select a TA with that diagnosis as its evidence snapshot;
* :func:`draft_and_store` — draft the TA's strategy (:func:`smartspec.strategy.generation.
  draft_strategy`) and store its actions;
* :func:`build_and_record_consortium` — choose a consortium with the MILP builder
  (:func:`smartspec.strategy.consortium.build_consortium`) and store it.
"""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from . import services as svc
from .models import Consortium, SelectedTA, Workspace

__all__ = [
    "CANDIDATE_SOURCE",
    "build_and_record_consortium",
    "diagnose",
    "draft_and_store",
    "embedded_candidates",
    "ensure_ta",
]

#: Data source named in the evidence snapshots of TAs selected from the shipped data.
CANDIDATE_SOURCE = ("smartspec.discovery.candidates on Eurostat SBS 2015 (sbs_r_nuts06_r2), "
                    "persons employed, NUTS 2 x NACE Rev. 2 division; neighbours: GISCO NUTS "
                    "2021; Interreg Alpine Space area")


@functools.lru_cache(maxsize=8)
def _candidates_cached(region: str) -> pd.DataFrame:
    from smartspec import datasets
    from smartspec.datasets import geo
    from smartspec.discovery import candidates

    labels = datasets.nace("en").set_index("code_eurostat")["label"]
    return candidates(datasets.sbs_employment(), region, labels=labels,
                      neighbours=datasets.neighbours(2),
                      macro_region=geo.alpine_space(2).index, n_draws=200, seed=0)


def embedded_candidates(region: str) -> pd.DataFrame:
    """Candidate TAs of ``region`` (NUTS 2) on the shipped Eurostat SBS data (a fresh copy).

    :func:`smartspec.discovery.candidates` with the NACE labels, the GISCO neighbours and the
    Interreg Alpine Space area as partner sources, 200 weight draws (seed 0).
    """
    return _candidates_cached(str(region).strip().upper()).copy()


def _home_and_partners(ws: Workspace) -> tuple[str, list[str]]:
    home = ws.home_region
    if home is None:
        raise svc.StoreValidationError(f"workspace {ws.slug!r} has no home region")
    return home, [r.code for r in ws.regions if r.role == "partner"]


def diagnose(session: Session, workspace: Workspace | str | int, activity: str, *,
             candidate: Any = None) -> dict[str, Any]:
    """The diagnosis of a TA for :func:`draft_strategy`, from the evidence and the actors.

    Returns a dict with the candidate row's values (``score``, sub-scores, ``mode``,
    ``partners``, ``pci`` ...), ``activity``, ``region``, ``critical_mass_ratio`` and
    ``critical_mass`` (the :func:`~smartspec.implementation.critical_mass.critical_mass`
    report, counting the TA's activity, the workspace's actors of the home region and the
    partner regions' capacity) and ``skill_gap`` (skills the TA's activity needs, as held by
    registered actors anywhere, that no actor of the home region holds).

    Raises
    ------
    StoreValidationError
        The activity is not a candidate of the home region in the shipped data.
    """
    from smartspec import datasets
    from smartspec.implementation.critical_mass import critical_mass
    from smartspec.strategy.matching import ta_skill_gap, ta_skills_needed

    ws = svc.get_workspace(session, workspace)
    home, partners = _home_and_partners(ws)
    code = str(activity).strip().upper()
    if candidate is None:
        cands = embedded_candidates(home)
        if code not in cands.index:
            raise svc.StoreValidationError(
                f"activity {code!r} is not a candidate TA of {home} in the shipped data "
                f"(candidates: {', '.join(cands.index[:12])} ...)")
        candidate = cands.loc[code]
    row = candidate.to_dict() if isinstance(candidate, pd.Series) else dict(candidate)
    diagnosis: dict[str, Any] = {"activity": code, "region": home, **row}
    actors = [svc.actor_to_domain(a) for a in svc.list_actors(session, ws)]
    local = [a for a in actors if a.region.startswith(home)]
    needed = ta_skills_needed(actors, code)
    diagnosis["skill_gap"] = ta_skill_gap(needed, local)
    partner_regions = [p for p in dict.fromkeys([*partners, *(row.get("partners") or [])])
                       if p != home]
    report = critical_mass(code, home, datasets.sbs_employment(), related=(), actors=local,
                           partner_regions=partner_regions)
    diagnosis["critical_mass_ratio"] = report.ratio
    diagnosis["critical_mass"] = report.to_dict()
    return diagnosis


def ensure_ta(session: Session, workspace: Workspace | str | int,
              activity: str) -> SelectedTA:
    """The workspace's TA for ``activity``; selected first (with its diagnosis as the
    evidence snapshot) when it is not one yet."""
    ws = svc.get_workspace(session, workspace)
    code = str(activity).strip().upper()
    try:
        return svc.get_ta(session, ws, code)
    except svc.NotFoundError:
        pass
    diagnosis = diagnose(session, ws, code)
    candidate = {k: v for k, v in diagnosis.items() if k not in ("critical_mass",
                                                                  "skill_gap",
                                                                  "critical_mass_ratio")}
    cands = embedded_candidates(diagnosis["region"])
    return svc.select_ta(
        session, ws, code, label=str(candidate.get("label") or "") or None,
        candidate=candidate, source=CANDIDATE_SOURCE,
        extra={"critical_mass": diagnosis["critical_mass"],
               "skill_gap": diagnosis["skill_gap"],
               "discovery": {"weights": cands.attrs.get("weights"),
                             "year": cands.attrs.get("year"),
                             "sources": cands.attrs.get("sources"),
                             "n_candidates": len(cands)}})


def _snapshot_diagnosis(ta: SelectedTA, home: str) -> dict[str, Any]:
    snapshot = ta.evidence_snapshot or {}
    diagnosis: dict[str, Any] = dict(snapshot.get("candidate") or {})
    diagnosis["activity"] = ta.activity
    diagnosis["region"] = home
    if ta.mode:
        diagnosis["mode"] = ta.mode
    if ta.label:
        diagnosis["label"] = ta.label
    mass = snapshot.get("critical_mass") or {}
    if mass.get("ratio") is not None:
        diagnosis["critical_mass_ratio"] = mass["ratio"]
    if snapshot.get("skill_gap") is not None:
        diagnosis["skill_gap"] = snapshot["skill_gap"]
    return diagnosis


def draft_and_store(session: Session, workspace: Workspace | str | int,
                    ta: SelectedTA | str | int, *, replace: bool = False,
                    start: Any = None) -> bool:
    """Draft the TA's strategy and store its actions, unless the TA already has actions.

    The diagnosis is the TA's evidence snapshot (the evidence that justified the choice);
    lead actors are proposed among the workspace's actors. With ``replace``, existing actions
    are replaced by a new draft, provided every one of them is still ``planned`` (edited or
    started work is never thrown away).

    Returns
    -------
    bool
        True when a draft was stored, False when the TA already had actions.

    Raises
    ------
    StoreError
        ``replace`` while some action has left the ``planned`` status.
    """
    from smartspec.strategy.generation import draft_strategy

    ws = svc.get_workspace(session, workspace)
    record = svc.get_ta(session, ws, ta)
    existing = svc.list_actions(session, ws, ta=record)
    if existing and not replace:
        return False
    started = [a for a in existing if a.status != "planned"]
    if started:
        raise svc.StoreError(f"cannot redraft the strategy of {record.activity}: "
                             f"{len(started)} action(s) are no longer planned (e.g. "
                             f"{started[0].id}: {started[0].title!r} is {started[0].status})")
    for action in existing:
        svc.delete_action(session, ws, action)
    home, _ = _home_and_partners(ws)
    actors = [svc.actor_to_domain(a) for a in svc.list_actors(session, ws)]
    strategy = draft_strategy(_snapshot_diagnosis(record, home), actors, region=home,
                              start=start)
    for position, action in enumerate(strategy.actions):
        values = {f: getattr(action, f) for f in ("title", "action_type", "description",
                                                  "status", "owner", "participants", "start",
                                                  "end", "deadline", "budget", "committed",
                                                  "spent", "regions", "notes", "attachments",
                                                  "rationale", "milestones", "indicators",
                                                  "phase", "lead_actor_type")}
        values["position"] = position
        svc.add_action(session, ws, values, ta=record)
    return True


def build_and_record_consortium(session: Session, workspace: Workspace | str | int,
                                ta: SelectedTA | str | int, *, size: tuple[int, int] = (3, 6),
                                max_external: int | None = 2, n_skills: int = 8,
                                name: str | None = None, **kwargs: Any) -> Consortium:
    """Choose a consortium for the TA with the MILP builder and store it.

    Requirements: the TA's activity (weight 2) and the ``n_skills`` skills its activity needs
    most often among registered actors (weight 1 each). Candidates: every actor of the
    workspace; external members (outside the home region) come from the workspace's partner
    regions and the TA's partner regions, at most ``max_external`` of them. Other keyword
    arguments go to :func:`~smartspec.strategy.consortium.build_consortium`.

    Raises
    ------
    smartspec.strategy.consortium.ConsortiumInfeasible
        Naming the constraint(s) that make every consortium infeasible.
    """
    from smartspec.strategy.consortium import build_consortium
    from smartspec.strategy.matching import ta_skills_needed

    ws = svc.get_workspace(session, workspace)
    record = svc.get_ta(session, ws, ta)
    home, partners = _home_and_partners(ws)
    actors = [svc.actor_to_domain(a) for a in svc.list_actors(session, ws)]
    candidate = (record.evidence_snapshot or {}).get("candidate") or {}
    partner_regions = list(dict.fromkeys([*partners, *(candidate.get("partners") or [])]))
    requirements = {record.activity: 2.0}
    for skill in ta_skills_needed(actors, record.activity)[:n_skills]:
        requirements[skill] = 1.0
    parameters = {"size": list(size), "max_external": max_external, "home_region": home,
                  "partner_regions": partner_regions, "requirements": requirements,
                  **{k: v for k, v in kwargs.items() if isinstance(v, int | float | str)}}
    result = build_consortium(actors, requirements, size=size, max_external=max_external,
                              home_region=home, partner_regions=partner_regions or None,
                              **kwargs)
    lead = next((m for m in result.members if m.actor_type == "cluster_organisation"),
                result.members[0])
    return svc.record_consortium(
        session, ws, record, result, name=name or f"{record.activity} core consortium",
        parameters={"builder": parameters, "status": result.status,
                    "objective": result.objective, "covered": result.covered,
                    "by_helix": result.by_helix,
                    "external": [m.id for m in result.external]},
        lead=lead.id)
