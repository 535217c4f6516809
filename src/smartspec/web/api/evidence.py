"""Elements 1-2: regions, the evidence profile, the candidate TAs and the selected TAs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from smartspec.store import planning
from smartspec.store import services as svc
from smartspec.store import web_services as wsvc
from smartspec.store.models_web import UserRecord
from smartspec.web.api import schemas as s
from smartspec.web.api._common import (
    PathId,
    action_out,
    candidate_out,
    integer,
    lookup,
    num,
    str_list,
    ta_out,
    text,
    unprocessable,
)
from smartspec.web.api.workspaces import CHANGE_ERRORS, WS_ERRORS
from smartspec.web.deps import Access, get_db, require_user, workspace_access
from smartspec.web.security import DOCUMENT_CSP

router = APIRouter()

DB = Annotated[Session, Depends(get_db)]
Viewer = Annotated[Access, Depends(workspace_access("viewer"))]
Analyst = Annotated[Access, Depends(workspace_access("analyst"))]

SUBSCORES = ("feasibility", "value", "advantage", "momentum", "transformative_potential",
             "capability_gap")


def _weight(name: str) -> Any:
    return Query(ge=0, le=1000, allow_inf_nan=False,
                 description=f"Weight of the {name.replace('_', ' ')} sub-score (default: the "
                             "documented default weight)")


@router.get("/regions", response_model=list[s.RegionInfo], tags=["evidence"],
            responses={401: {"model": s.Detail}})
def regions(user: Annotated[UserRecord, Depends(require_user)],
            level: Annotated[int, Query(ge=0, le=3)] = 2,
            q: Annotated[str | None, Query(max_length=100)] = None,
            country: Annotated[str | None, Query(max_length=2)] = None,
            limit: Annotated[int, Query(ge=1, le=2000)] = 500) -> list[s.RegionInfo]:
    """NUTS 2021 regions of the shipped GISCO table (search by code or name)."""
    from smartspec import datasets

    table = datasets.regions(level)
    if country:
        table = table[table["country"].astype(str) == country.upper()]
    if q:
        needle = q.strip().lower()
        mask = (table["code"].astype(str).str.lower().str.startswith(needle)
                | table["name"].astype(str).str.lower().str.contains(needle, regex=False)
                | table["native_name"].astype(str).str.lower().str.contains(needle, regex=False))
        table = table[mask]
    return [s.RegionInfo(code=str(r.code), name=text(r.name), native_name=text(r.native_name),
                         country=text(r.country), level=int(r.level))
            for r in table.head(limit).itertuples()]


def _home(access: Access) -> str:
    if access.workspace.home_region is None:  # pragma: no cover - every workspace has one
        raise unprocessable("the workspace has no home region")
    return access.workspace.home_region


@router.get("/workspaces/{slug}/evidence", response_model=s.EvidenceOut, tags=["evidence"],
            responses=WS_ERRORS)
def evidence(access: Viewer, request: Request,
             top: Annotated[int, Query(ge=1, le=100)] = 15) -> s.EvidenceOut:
    """The evidence profile of the home region: specialisations, complexity, peers, context
    (cached per workspace and data version)."""
    _home(access)
    prof = request.app.state.cache.profile(access.workspace)
    specs = [s.Specialisation(activity=str(code), label=text(r.get("label")),
                              employment=num(r.get("employment")), share=num(r.get("share")),
                              rca=num(r.get("rca")), rca_national=num(r.get("rca_national")),
                              pci=num(r.get("pci")), density=num(r.get("density")),
                              stars=integer(r.get("stars")) or 0)
             for code, r in prof.specialisations.head(top).iterrows()]
    peers = [s.Peer(region=text(r.get("region")), name=text(r.get("name")),
                    kind=text(r.get("kind")), similarity=num(r.get("similarity")),
                    eci=num(r.get("eci")), top_activity=text(r.get("top_activity")) or None,
                    top_activity_label=text(r.get("top_activity_label")) or None)
             for r in prof.peers.to_dict(orient="records")]
    context = []
    if getattr(prof, "context", None) is not None:
        context = [s.ContextIndicator(indicator=text(r.get("indicator")),
                                      label=text(r.get("label")),
                                      unit=text(r.get("unit")) or None,
                                      latest=num(r.get("latest")), year=integer(r.get("year")),
                                      trend=num(r.get("trend")),
                                      trend_kind=text(r.get("trend_kind")) or None)
                   for r in prof.context.to_dict(orient="records")]
    return s.EvidenceOut(region=prof.region, name=prof.name, country=prof.country,
                         year=int(prof.year), eci=num(prof.eci), eci_rank=integer(prof.eci_rank),
                         n_regions=int(prof.n_regions),
                         indices={str(k): num(v) for k, v in prof.indices.items()},
                         specialisations=specs, peers=peers, context=context,
                         attribution=prof.attribution, notes=[str(n) for n in prof.notes],
                         data_version=access.workspace.data_version)


def candidates_frame(request: Request, access: Access, weights: dict[str, float] | None,
                     top_k: int = 15) -> Any:
    """The cached candidates of the workspace for ``weights`` (ValueError -> 422)."""
    try:
        return request.app.state.cache.candidates(access.workspace, weights, top_k)
    except ValueError as exc:
        raise unprocessable(exc) from None


@router.get("/workspaces/{slug}/candidates", response_model=s.CandidatesOut,
            tags=["evidence"], responses=WS_ERRORS)
def candidates(access: Viewer, request: Request,
               feasibility: Annotated[float | None, _weight("feasibility")] = None,
               value: Annotated[float | None, _weight("value")] = None,
               advantage: Annotated[float | None, _weight("advantage")] = None,
               momentum: Annotated[float | None, _weight("momentum")] = None,
               transformative_potential: Annotated[
                   float | None, _weight("transformative_potential")] = None,
               capability_gap: Annotated[float | None, _weight("capability_gap")] = None,
               top_k: Annotated[int, Query(ge=1, le=50, description="k of the robustness "
                                           "probability P(top k)")] = 15,
               limit: Annotated[int | None, Query(ge=1, le=500)] = None) -> Any:
    """Candidate transformative activities of the home region, ranked, for the given weights
    (cached per workspace, data version and weights)."""
    from smartspec.web.cache import weights_key

    given = {"feasibility": feasibility, "value": value, "advantage": advantage,
             "momentum": momentum, "transformative_potential": transformative_potential,
             "capability_gap": capability_gap}
    weights = {k: v for k, v in given.items() if v is not None} or None
    ws = access.workspace

    def build() -> bytes:
        frame = candidates_frame(request, access, weights, top_k)
        ordered = frame.sort_values("rank")
        if limit is not None:
            ordered = ordered.head(limit)
        used = frame.attrs.get("weights") or {}
        out = s.CandidatesOut(region=_home(access), year=integer(frame.attrs.get("year")),
                              weights={str(k): float(v) for k, v in dict(used).items()},
                              top_k=top_k,
                              candidates=[candidate_out(code, row)
                                          for code, row in ordered.iterrows()])
        return out.model_dump_json().encode()

    # what the weight sliders call on every move: the JSON is kept per workspace, data
    # version, home region, weights, k and limit (the schema is CandidatesOut)
    key = (ws.id, ws.data_version or "", "api_candidates", _home(access), weights_key(weights),
           top_k, limit)
    body = request.app.state.cache.get_or_compute(key, build)
    return Response(body, media_type="application/json")


# ---------------------------------------------------------------------------------------- TAs


def get_ta(db: Session, access: Access, ta_id: int) -> Any:
    return lookup("TA", ta_id, lambda: svc.get_ta(db, access.workspace, ta_id))


@router.get("/workspaces/{slug}/tas", response_model=list[s.TAOut], tags=["TAs"],
            responses=WS_ERRORS)
def tas(access: Viewer, db: DB) -> list[s.TAOut]:
    """The workspace's transformative activities (every status)."""
    return [ta_out(t) for t in svc.list_tas(db, access.workspace)]


@router.post("/workspaces/{slug}/tas", response_model=s.TADetail, status_code=201,
             tags=["TAs"], responses=CHANGE_ERRORS)
def select_ta(body: s.TASelectIn, access: Analyst, db: DB, request: Request) -> s.TADetail:
    """Select a candidate as a TA; its evidence snapshot (candidate row for the given weights,
    critical mass, skill gap, discovery settings) is stored with it (analysts)."""
    code = body.activity.strip().upper()
    frame = candidates_frame(request, access, body.weights)
    if code not in frame.index:
        raise unprocessable(f"{code!r} is not a candidate activity of "
                                   f"{_home(access)}")
    row = frame.loc[code].to_dict()
    discovery = {"weights": frame.attrs.get("weights"), "year": frame.attrs.get("year"),
                 "sources": frame.attrs.get("sources"), "n_candidates": len(frame),
                 "rank": integer(row.get("rank"))}
    record = wsvc.select_ta_with_evidence(db, access.workspace, code, candidate=row,
                                          discovery=discovery)
    return ta_out(record, detail=True)  # type: ignore[return-value]


@router.get("/workspaces/{slug}/tas/{ta_id}", response_model=s.TADetail, tags=["TAs"],
            responses=WS_ERRORS)
def ta(ta_id: PathId, access: Viewer, db: DB) -> s.TADetail:
    """A TA with the evidence snapshot behind its selection."""
    return ta_out(get_ta(db, access, ta_id), detail=True)  # type: ignore[return-value]


@router.patch("/workspaces/{slug}/tas/{ta_id}", response_model=s.TADetail, tags=["TAs"],
              responses=CHANGE_ERRORS)
def update_ta(ta_id: PathId, body: s.TAUpdateIn, access: Analyst, db: DB) -> s.TADetail:
    """Change a TA's status: ``dropped`` deselects it, ``selected`` re-selects it (analysts)."""
    record = get_ta(db, access, ta_id)
    return ta_out(svc.set_ta_status(db, access.workspace, record, body.status),  # type: ignore
                  detail=True)


@router.get("/workspaces/{slug}/tas/{ta_id}/critical-mass", response_model=s.CriticalMassOut,
            tags=["TAs"], responses=WS_ERRORS)
def critical_mass(ta_id: PathId, access: Viewer, db: DB) -> s.CriticalMassOut:
    """The TA's critical mass now: capacity (local and partner employment), committed actors
    by helix and committed budget against the evidence benchmarks."""
    from smartspec import datasets
    from smartspec.implementation.critical_mass import critical_mass as compute
    from smartspec.implementation.critical_mass import maturity_from_ratio

    record = get_ta(db, access, ta_id)
    ws = access.workspace
    home = _home(access)
    actor_ids = {m.actor_id for c in svc.list_consortia(db, ws, ta=record) for m in c.members}
    actions = svc.list_actions(db, ws, ta=record)
    for a in actions:
        actor_ids.update(a.participant_ids)
        if a.owner_id:
            actor_ids.add(a.owner_id)
    actors = [svc.actor_to_domain(a) for a in svc.list_actors(db, ws) if a.id in actor_ids]
    candidate = (record.evidence_snapshot or {}).get("candidate") or {}
    partners = list(dict.fromkeys([r.code for r in ws.regions if r.role == "partner"]
                                  + str_list(candidate.get("partners"))))
    try:
        report = compute(record.activity, home, datasets.sbs_employment(), related=(),
                         actors=actors, partner_regions=[p for p in partners if p != home],
                         committed_budget=float(sum(a.committed for a in actions
                                                    if a.status != "cancelled")))
    except (KeyError, ValueError) as exc:
        raise unprocessable(exc) from None
    return s.CriticalMassOut(
        ta=report.ta, region=report.region, year=int(report.year),
        local_employment=num(report.local_employment),
        partner_employment={str(k): num(v) for k, v in report.partner_employment.items()},
        capacity=num(report.capacity), benchmark_median=num(report.benchmark_median),
        threshold=num(report.threshold), ratio=num(report.ratio),
        local_ratio=num(report.local_ratio), median_ratio=num(report.median_ratio),
        n_specialised=int(report.n_specialised), n_regions=int(report.n_regions),
        actors_by_helix={str(k): int(v) for k, v in report.actors_by_helix.items()},
        actor_employment=int(report.actor_employment),
        committed_budget=float(report.committed_budget), reached=bool(report.reached),
        missing=report.missing, maturity=maturity_from_ratio(report.ratio)
        if num(report.ratio) is not None else "emerging",
        notes=[str(n) for n in report.notes])


@router.get("/workspaces/{slug}/tas/{ta_id}/matches", response_model=list[s.ActorMatch],
            tags=["TAs"], responses=WS_ERRORS)
def matches(ta_id: PathId, access: Viewer, db: DB,
            limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[s.ActorMatch]:
    """The workspace's actors scored on how well they cover the TA's needs and gaps."""
    from smartspec.strategy.matching import match_actors, ta_skills_needed

    record = get_ta(db, access, ta_id)
    actors = [svc.actor_to_domain(a) for a in svc.list_actors(db, access.workspace)]
    if not actors:
        return []
    frame = match_actors(actors, record.activity,
                         skills_needed=ta_skills_needed(actors, record.activity)[:10])
    return [s.ActorMatch(actor_id=integer(r["id"]), name=text(r["name"]),
                         region=text(r["region"]), actor_type=text(r["actor_type"]),
                         helix=text(r["helix"]), activity_fit=num(r["activity_fit"]),
                         gap_coverage=num(r["gap_coverage"]),
                         skills_coverage=num(r["skills_coverage"]), score=num(r["score"]),
                         closest_activity=text(r["closest_activity"]) or None,
                         matched_skills=str_list(r["matched_skills"]))
            for r in frame.head(limit).to_dict(orient="records")]


@router.post("/workspaces/{slug}/tas/{ta_id}/strategy", response_model=list[s.ActionOut],
             tags=["TAs"], responses=CHANGE_ERRORS)
def draft_strategy(ta_id: PathId, body: s.DraftIn, access: Analyst, db: DB) -> list[s.ActionOut]:
    """Draft the TA's development strategy from its evidence snapshot and store its actions
    (unless it has actions; ``replace`` redrafts while every action is still planned)."""
    record = get_ta(db, access, ta_id)
    planning.draft_and_store(db, access.workspace, record, replace=body.replace)
    return [action_out(a) for a in svc.list_actions(db, access.workspace, ta=record)]


@router.get("/workspaces/{slug}/tas/{ta_id}/strategy.html", tags=["exports"],
            response_class=HTMLResponse, responses=WS_ERRORS)
def strategy_document(ta_id: PathId, access: Viewer, db: DB) -> Response:
    """The TA's strategy document (HTML, self-contained)."""
    from smartspec.store.strategy_doc import render_strategy_html, strategy_context

    record = get_ta(db, access, ta_id)
    page = render_strategy_html(strategy_context(db, access.workspace, record))
    return HTMLResponse(page, headers={
        "Content-Security-Policy": DOCUMENT_CSP,
        "Content-Disposition": f'inline; filename="strategy-{access.workspace.slug}-'
                               f'{record.activity}.html"'})
