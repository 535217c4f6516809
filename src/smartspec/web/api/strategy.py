"""Elements 3-4: actors, actions, consortia, funding instruments and good practices."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Query, Response, UploadFile
from sqlalchemy.orm import Session

from smartspec.store import planning
from smartspec.store import services as svc
from smartspec.web.api import schemas as s
from smartspec.web.api._common import (
    PathId,
    QueryId,
    action_out,
    actor_out,
    consortium_out,
    instrument_out,
    lookup,
    member_out,
    num,
    practice_out,
    str_list,
    text,
    unprocessable,
)
from smartspec.web.api.evidence import get_ta
from smartspec.web.api.workspaces import CHANGE_ERRORS, WS_ERRORS
from smartspec.web.deps import Access, get_db, workspace_access

router = APIRouter()

DB = Annotated[Session, Depends(get_db)]
Viewer = Annotated[Access, Depends(workspace_access("viewer"))]
Analyst = Annotated[Access, Depends(workspace_access("analyst"))]

ALLOWED_UPLOADS = (".csv", ".tsv", ".txt", ".xlsx")


# ------------------------------------------------------------------------------------ actors


def _actor(db: Session, access: Access, actor_id: int) -> Any:
    return lookup("actor", actor_id, lambda: svc.get_actor(db, access.workspace, actor_id))


@router.get("/workspaces/{slug}/actors", response_model=list[s.ActorOut], tags=["actors"],
            responses=WS_ERRORS)
def actors(access: Viewer, db: DB,
           region: Annotated[str | None, Query(max_length=10)] = None,
           actor_type: Annotated[s.ActorType | None, Query()] = None) -> list[s.ActorOut]:
    """The workspace's actors (quadruple helix), by region and name."""
    return [actor_out(a) for a in svc.list_actors(db, access.workspace, region=region,
                                                  actor_type=actor_type)]


@router.post("/workspaces/{slug}/actors", response_model=s.ActorOut, status_code=201,
             tags=["actors"], responses=CHANGE_ERRORS)
def create_actor(body: s.ActorIn, access: Analyst, db: DB) -> s.ActorOut:
    """Add an actor (validated: NUTS region, NACE activities, ESCO skills, no personal data in
    the contact role; analysts)."""
    return actor_out(svc.add_actor(db, access.workspace, body.model_dump()))


@router.post("/workspaces/{slug}/actors/import", response_model=s.ActorImportOut,
             status_code=201, tags=["actors"],
             responses={**CHANGE_ERRORS, 413: {"model": s.Detail}})
def import_actors(access: Analyst, db: DB,
                  file: Annotated[UploadFile, File(description="CSV or Excel (.xlsx) file")],
                  ) -> s.ActorImportOut:
    """Import actors from a CSV or Excel file: all rows or none; errors name the row and
    column (analysts; the request size is limited)."""
    from smartspec.strategy.actors import ActorValidationError

    name = Path(file.filename or "actors.csv").name
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_UPLOADS:
        raise unprocessable(f"{name!r}: upload a CSV or Excel file "
                                                    f"({', '.join(ALLOWED_UPLOADS)})")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-120:] or "actors.csv"
    with tempfile.TemporaryDirectory(prefix="smartspec-upload-") as folder:
        path = Path(folder) / safe
        path.write_bytes(file.file.read())
        try:
            added = svc.import_actors(db, access.workspace, path)
        except ActorValidationError as exc:
            raise unprocessable(str(exc).replace(str(path), name)) from None
    return s.ActorImportOut(imported=len(added), actors=[actor_out(a) for a in added])


@router.get("/workspaces/{slug}/actors/{actor_id}", response_model=s.ActorOut,
            tags=["actors"], responses=WS_ERRORS)
def actor(actor_id: PathId, access: Viewer, db: DB) -> s.ActorOut:
    """An actor."""
    return actor_out(_actor(db, access, actor_id))


@router.patch("/workspaces/{slug}/actors/{actor_id}", response_model=s.ActorOut,
              tags=["actors"], responses=CHANGE_ERRORS)
def update_actor(actor_id: PathId, body: s.ActorUpdateIn, access: Analyst, db: DB) -> s.ActorOut:
    """Edit an actor (analysts)."""
    record = _actor(db, access, actor_id)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items()
               if v is not None or k == "size"}
    return actor_out(svc.update_actor(db, access.workspace, record, **changes))


@router.delete("/workspaces/{slug}/actors/{actor_id}", status_code=204,
               response_class=Response, tags=["actors"], responses=CHANGE_ERRORS)
def delete_actor(actor_id: PathId, access: Analyst, db: DB) -> Response:
    """Delete an actor: it leaves its consortia and actions (analysts)."""
    svc.delete_actor(db, access.workspace, _actor(db, access, actor_id))
    return Response(status_code=204)


# ----------------------------------------------------------------------------------- actions


def _action(db: Session, access: Access, action_id: int) -> Any:
    return lookup("action", action_id, lambda: svc.get_action(db, access.workspace, action_id))


def _action_values(db: Session, access: Access, data: dict[str, Any]) -> dict[str, Any]:
    """API field names -> service field names, with the references checked (404 alike)."""
    values = dict(data)
    if "ta_id" in values:
        ta_id = values.pop("ta_id")
        values["ta"] = get_ta(db, access, ta_id).id if ta_id is not None else None
    if "owner_id" in values:
        owner = values.pop("owner_id")
        values["owner"] = _actor(db, access, owner).id if owner is not None else None
    if values.get("participants") is not None:
        values["participants"] = [_actor(db, access, i).id for i in values["participants"]]
    if values.get("position") is None:
        values.pop("position", None)
    return values


@router.get("/workspaces/{slug}/actions", response_model=list[s.ActionOut], tags=["actions"],
            responses=WS_ERRORS)
def actions(access: Viewer, db: DB, ta_id: QueryId = None,
            status: Annotated[s.ActionStatus | None, Query()] = None) -> list[s.ActionOut]:
    """The workspace's actions (optionally of one TA or status), in strategy order."""
    ta = get_ta(db, access, ta_id) if ta_id is not None else None
    return [action_out(a) for a in svc.list_actions(db, access.workspace, ta=ta,
                                                    status=status)]


@router.post("/workspaces/{slug}/actions", response_model=s.ActionOut, status_code=201,
             tags=["actions"], responses=CHANGE_ERRORS)
def create_action(body: s.ActionIn, access: Analyst, db: DB) -> s.ActionOut:
    """Add an action (analysts)."""
    values = _action_values(db, access, body.model_dump())
    return action_out(svc.add_action(db, access.workspace, values))


@router.get("/workspaces/{slug}/actions/progress", response_model=s.ProgressOut,
            tags=["actions"], responses=WS_ERRORS)
def progress(access: Viewer, db: DB, ta_id: QueryId = None) -> s.ProgressOut:
    """Counts by status, money committed and spent, overdue actions."""
    from smartspec.implementation.tracking import progress as compute

    ta = get_ta(db, access, ta_id) if ta_id is not None else None
    report = compute([svc.action_to_domain(a)
                      for a in svc.list_actions(db, access.workspace, ta=ta)])
    return s.ProgressOut(n=int(report["n"]), by_status=dict(report["by_status"]),
                         share_done=num(report["share_done"]), budget=float(report["budget"]),
                         committed=float(report["committed"]), spent=float(report["spent"]),
                         spent_share=num(report["spent_share"]),
                         overdue=str_list(report["overdue"]))


@router.get("/workspaces/{slug}/actions/{action_id}", response_model=s.ActionOut,
            tags=["actions"], responses=WS_ERRORS)
def action(action_id: PathId, access: Viewer, db: DB) -> s.ActionOut:
    """An action."""
    return action_out(_action(db, access, action_id))


@router.patch("/workspaces/{slug}/actions/{action_id}", response_model=s.ActionOut,
              tags=["actions"], responses=CHANGE_ERRORS)
def update_action(action_id: PathId, body: s.ActionUpdateIn, access: Analyst,
                  db: DB) -> s.ActionOut:
    """Edit an action; a status change must follow the workflow (analysts). Moving a card
    on the board is ``{"status": "in_progress"}``."""
    record = _action(db, access, action_id)
    changes = body.model_dump(exclude_unset=True)
    for key in ("title", "action_type", "status", "description", "notes", "rationale",
                "budget", "committed", "spent", "regions", "attachments", "milestones",
                "indicators", "participants", "position"):
        if key in changes and changes[key] is None:
            del changes[key]
    values = _action_values(db, access, changes)
    return action_out(svc.update_action(db, access.workspace, record, **values))


@router.delete("/workspaces/{slug}/actions/{action_id}", status_code=204,
               response_class=Response, tags=["actions"], responses=CHANGE_ERRORS)
def delete_action(action_id: PathId, access: Analyst, db: DB) -> Response:
    """Delete an action (analysts)."""
    svc.delete_action(db, access.workspace, _action(db, access, action_id))
    return Response(status_code=204)


@router.get("/workspaces/{slug}/actions/{action_id}/funding",
            response_model=list[s.FundingMatch], tags=["actions"],
            responses=WS_ERRORS)
def action_funding(action_id: PathId, access: Viewer, db: DB,
                   trl: Annotated[int | None, Query(ge=1, le=9)] = None,
                   include_ineligible: bool = False) -> list[s.FundingMatch]:
    """Funding instruments of the workspace's catalogue for the action, best first, with the
    reasons (the action's participants and owner are its consortium)."""
    from smartspec.strategy.funding import match_funding

    record = _action(db, access, action_id)
    ws = access.workspace
    ids = set(record.participant_ids) | ({record.owner_id} if record.owner_id else set())
    consortium = [svc.actor_to_domain(a) for a in svc.list_actors(db, ws) if a.id in ids]
    catalogue = [svc.instrument_to_domain(r) for r in svc.list_funding_instruments(db, ws)]
    try:
        frame = match_funding(svc.action_to_domain(record), consortium or None,
                              region=ws.home_region, trl=trl, catalogue=catalogue,
                              include_ineligible=include_ineligible)
    except ValueError as exc:
        raise unprocessable(exc) from None
    return [s.FundingMatch(key=text(r["key"]), name=text(r["name"]),
                           programme=text(r["programme"]), scope=text(r["scope"]),
                           eligible=bool(r["eligible"]), score=num(r["score"]),
                           cofunding_rate=num(r["cofunding_rate"]),
                           reasons=str_list(r["reasons"]), caveats=str_list(r["caveats"]),
                           user_defined=bool(r["user_defined"]))
            for r in frame.to_dict(orient="records")]


def _practices(db: Session, access: Access) -> tuple[list[Any], set[str]]:
    records = svc.list_good_practices(db, access.workspace)
    own = {r.key for r in records if r.workspace_id == access.workspace.id}
    # a workspace entry replaces the global entry of the same key
    chosen: dict[str, Any] = {}
    for r in records:
        if r.key not in chosen or r.workspace_id is not None:
            chosen[r.key] = r
    return [svc.practice_to_domain(r) for r in chosen.values()], own


@router.get("/workspaces/{slug}/actions/{action_id}/good-practices",
            response_model=list[s.Recommendation], tags=["actions"], responses=WS_ERRORS)
def action_practices(action_id: PathId, access: Viewer, db: DB,
                     limit: Annotated[int, Query(ge=1, le=50)] = 5) -> list[s.Recommendation]:
    """Good practices recommended for the action, with the reasons (its type, the TA's mode,
    the cluster maturity from the TA's critical mass, the region's types)."""
    from smartspec.implementation.critical_mass import maturity_from_ratio
    from smartspec.implementation.good_practices import recommend_practices, region_types

    record = _action(db, access, action_id)
    practices, own = _practices(db, access)
    mode = maturity = None
    if record.ta is not None:
        mode = record.ta.mode
        ratio = num(((record.ta.evidence_snapshot or {}).get("critical_mass") or {})
                    .get("ratio"))
        maturity = maturity_from_ratio(ratio) if ratio is not None and ratio >= 0 else None
    try:
        recs = recommend_practices(svc.action_to_domain(record), ta_mode=mode,
                                   region_type=region_types(access.workspace.home_region or "")
                                   or None, maturity=maturity, practices=practices,
                                   limit=limit)
    except ValueError as exc:
        raise unprocessable(exc) from None
    return [s.Recommendation(practice=practice_out(r.practice, own), score=float(r.score),
                             reasons=list(r.reasons)) for r in recs]


# --------------------------------------------------------------------------------- consortia


def _actor_map(db: Session, access: Access) -> dict[int, Any]:
    return {a.id: a for a in svc.list_actors(db, access.workspace)}


@router.get("/workspaces/{slug}/consortia", response_model=list[s.ConsortiumOut],
            tags=["consortia"], responses=WS_ERRORS)
def consortia(access: Viewer, db: DB, ta_id: QueryId = None) -> list[s.ConsortiumOut]:
    """The workspace's consortia (optionally of one TA)."""
    ta = get_ta(db, access, ta_id) if ta_id is not None else None
    actors = _actor_map(db, access)
    return [consortium_out(c, actors) for c in svc.list_consortia(db, access.workspace, ta=ta)]


@router.post("/workspaces/{slug}/consortia/build", response_model=s.ConsortiumBuildOut,
             tags=["consortia"], responses=CHANGE_ERRORS)
def build_consortium(body: s.ConsortiumBuildIn, access: Analyst,
                     db: DB) -> s.ConsortiumBuildOut:
    """Choose a consortium for a TA (MILP): maximise the weighted coverage of the TA's
    required capabilities under the constraints. The answer says which constraint makes the
    problem infeasible when no consortium exists. With ``save`` the consortium is stored
    (analysts)."""
    from smartspec.strategy.actors import HELIX
    from smartspec.strategy.consortium import ConsortiumInfeasible

    if body.size_min > body.size_max:
        raise unprocessable("size_min must not exceed size_max")
    if body.budget is not None and not body.costs:
        raise unprocessable("a budget needs the actors' costs")
    ta = get_ta(db, access, body.ta_id)
    actors = _actor_map(db, access)
    kwargs: dict[str, Any] = {"required_helix": tuple(dict.fromkeys(body.required_helix)),
                              "time_limit": 10.0}
    if body.min_capacity is not None:
        kwargs["min_capacity"] = body.min_capacity
        kwargs["capacity"] = {a.name: float(a.size or 0) for a in actors.values()}
    if body.budget is not None and body.costs:
        unknown = [i for i in body.costs if i not in actors]
        if unknown:
            raise HTTPException(status_code=404, detail=f"actor {unknown[0]} not found")
        kwargs["budget"] = body.budget
        kwargs["cost"] = {a.name: float(body.costs.get(i, 0.0)) for i, a in actors.items()}
    ws = access.workspace
    try:
        with db.begin_nested() as savepoint:
            record = planning.build_and_record_consortium(
                db, ws, ta, size=(body.size_min, body.size_max), max_external=body.max_external,
                name=body.name, **kwargs)
            params = record.parameters or {}
            members = [member_out(m, actors) for m in record.members]
            coverage = num(record.coverage)
            stored = consortium_out(record, actors) if body.save else None
            if not body.save:
                savepoint.rollback()
    except ConsortiumInfeasible as exc:
        return s.ConsortiumBuildOut(feasible=False, coverage=None, members=[], covered={},
                                    by_helix={}, consortium=None, reasons=list(exc.reasons),
                                    constraints=list(exc.constraints))
    except ValueError as exc:
        raise unprocessable(exc) from None
    by_helix = {str(k): int(v) for k, v in (params.get("by_helix") or {}).items()}
    if not by_helix:
        for m in members:
            by_helix[HELIX.get(m.actor_type, "")] = by_helix.get(HELIX.get(m.actor_type, ""),
                                                                 0) + 1
    return s.ConsortiumBuildOut(feasible=True, coverage=coverage, members=members,
                                covered={str(k): bool(v) for k, v in
                                         (params.get("covered") or {}).items()},
                                by_helix=by_helix, consortium=stored, reasons=[],
                                constraints=[])


def _consortium(db: Session, access: Access, consortium_id: int) -> Any:
    for c in svc.list_consortia(db, access.workspace):
        if c.id == consortium_id:
            return c
    raise HTTPException(status_code=404, detail=f"consortium {consortium_id} not found")


@router.get("/workspaces/{slug}/consortia/{consortium_id}", response_model=s.ConsortiumOut,
            tags=["consortia"], responses=WS_ERRORS)
def consortium(consortium_id: PathId, access: Viewer, db: DB) -> s.ConsortiumOut:
    """A consortium with its members."""
    return consortium_out(_consortium(db, access, consortium_id), _actor_map(db, access))


@router.delete("/workspaces/{slug}/consortia/{consortium_id}", status_code=204,
               response_class=Response, tags=["consortia"], responses=CHANGE_ERRORS)
def delete_consortium(consortium_id: PathId, access: Analyst, db: DB) -> Response:
    """Delete a consortium (its actors stay; analysts)."""
    svc.delete_consortium(db, access.workspace, _consortium(db, access, consortium_id))
    return Response(status_code=204)


# ------------------------------------------------------------------------------------ funding


@router.get("/workspaces/{slug}/funding", response_model=list[s.FundingInstrumentOut],
            tags=["funding"], responses=WS_ERRORS)
def funding(access: Viewer, db: DB) -> list[s.FundingInstrumentOut]:
    """The workspace's funding-instrument catalogue."""
    return [instrument_out(r) for r in svc.list_funding_instruments(db, access.workspace)]


@router.post("/workspaces/{slug}/funding", response_model=s.FundingInstrumentOut,
             status_code=201, tags=["funding"], responses=CHANGE_ERRORS)
def add_funding(body: s.FundingInstrumentIn, access: Analyst,
                db: DB) -> s.FundingInstrumentOut:
    """Add a national or regional scheme (or any instrument) to the catalogue (analysts)."""
    return instrument_out(svc.add_funding_instrument(db, access.workspace,
                                                     {**body.model_dump(), "user_defined": True}))


def _instrument(db: Session, access: Access, instrument_id: int) -> Any:
    for r in svc.list_funding_instruments(db, access.workspace):
        if r.id == instrument_id:
            return r
    raise HTTPException(status_code=404, detail=f"funding instrument {instrument_id} not found")


@router.patch("/workspaces/{slug}/funding/{instrument_id}",
              response_model=s.FundingInstrumentOut, tags=["funding"], responses=CHANGE_ERRORS)
def update_funding(instrument_id: PathId, body: s.FundingInstrumentUpdateIn, access: Analyst,
                   db: DB) -> s.FundingInstrumentOut:
    """Edit a catalogue entry, e.g. set a co-funding rate left unset (analysts)."""
    record = _instrument(db, access, instrument_id)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items()
               if v is not None or k in ("trl_min", "trl_max", "min_consortium",
                                         "min_countries", "cofunding_rate", "url")}
    return instrument_out(svc.update_funding_instrument(db, access.workspace, record, **changes))


@router.delete("/workspaces/{slug}/funding/{instrument_id}", status_code=204,
               response_class=Response, tags=["funding"], responses=CHANGE_ERRORS)
def delete_funding(instrument_id: PathId, access: Analyst, db: DB) -> Response:
    """Remove a catalogue entry (analysts)."""
    svc.delete_funding_instrument(db, access.workspace, _instrument(db, access, instrument_id))
    return Response(status_code=204)


# ----------------------------------------------------------------------------- good practices


@router.get("/workspaces/{slug}/good-practices", response_model=list[s.GoodPracticeOut],
            tags=["good practices"], responses=WS_ERRORS)
def good_practices(access: Viewer, db: DB,
                   q: Annotated[str | None, Query(max_length=200)] = None,
                   action_type: Annotated[s.ActionType | None, Query()] = None,
                   maturity: Annotated[str | None, Query(max_length=20)] = None,
                   ta_mode: Annotated[str | None, Query(max_length=40)] = None,
                   region_type: Annotated[str | None, Query(max_length=20)] = None,
                   tag: Annotated[str | None, Query(max_length=100)] = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[s.GoodPracticeOut]:
    """Search the good-practice library (and the workspace's own entries) by text and tags."""
    from smartspec.implementation.good_practices import search_practices

    practices, own = _practices(db, access)
    try:
        found = search_practices(q, action_types=action_type, cluster_maturity=maturity,
                                 ta_modes=ta_mode, region_types=region_type, tags=tag,
                                 practices=practices, limit=limit)
    except ValueError as exc:
        raise unprocessable(exc) from None
    return [practice_out(p, own) for p in found]
