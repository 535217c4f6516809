"""Workshops: the entrepreneurial discovery workshop (EDW, scoring candidate activities) and
the action development workshop (ADW, scoring actions).

The facilitator (an analyst or owner) opens a session; stakeholders (and above) score each item
on capacity and opportunity (1-5) with a comment while it is open; everyone in the workspace
sees the live aggregate beside the data-driven score, with disagreements flagged; the
facilitator records decisions and closes the session, which stores the minutes. An EDW item
can be selected as a TA with its evidence and the workshop's verdict.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartspec.store import services as svc
from smartspec.store import web_services as wsvc
from smartspec.store.models_web import UserRecord, Workshop, WorkshopScore
from smartspec.web.api import schemas as s
from smartspec.web.api._common import PathId, lookup, ta_out, unprocessable
from smartspec.web.api.evidence import candidates_frame, get_ta
from smartspec.web.api.workspaces import CHANGE_ERRORS, WS_ERRORS, frame_response
from smartspec.web.deps import Access, get_db, workspace_access

router = APIRouter(tags=["workshops"])

DB = Annotated[Session, Depends(get_db)]
Viewer = Annotated[Access, Depends(workspace_access("viewer"))]
Stakeholder = Annotated[Access, Depends(workspace_access("stakeholder"))]
Analyst = Annotated[Access, Depends(workspace_access("analyst"))]


def _workshop(db: Session, access: Access, workshop_id: int) -> Workshop:
    return lookup("workshop", workshop_id,
                  lambda: wsvc.get_workshop(db, access.workspace, workshop_id))


def _labels(db: Session, request: Request, access: Access, record: Workshop) -> dict[str, str]:
    if record.kind == "adw":
        return {k: a.title for k, a in wsvc.action_items(db, access.workspace, record).items()}
    frame = candidates_frame(request, access, None)
    return {code: str(frame.at[code, "label"]) for code in record.items or []
            if code in frame.index}


def _data_scores(request: Request, access: Access, record: Workshop) -> dict[str, float]:
    """EDW: the candidates' composite score (default weights) of each item."""
    if record.kind != "edw":
        return {}
    frame = candidates_frame(request, access, None)
    return {code: float(frame.at[code, "score"]) for code in record.items or []
            if code in frame.index}


def _workshop_out(db: Session, request: Request, access: Access,
                  record: Workshop) -> s.WorkshopOut:
    opener = db.get(UserRecord, record.opened_by) if record.opened_by else None
    n_scores, participants = db.execute(select(
        func.count(WorkshopScore.id), func.count(func.distinct(WorkshopScore.user_id))).where(
        WorkshopScore.workshop_id == record.id)).one()
    return s.WorkshopOut(id=record.id, kind=record.kind, title=record.title,
                         status=record.status, ta_id=record.ta_id,
                         items=[str(i) for i in record.items or []],
                         item_labels=_labels(db, request, access, record),
                         opened_by=opener.username if opener else None,
                         opened_at=record.opened_at, closed_at=record.closed_at,
                         n_scores=int(n_scores or 0), participants=int(participants or 0))


@router.get("/workspaces/{slug}/workshops", response_model=list[s.WorkshopOut],
            responses=WS_ERRORS)
def workshops(access: Viewer, db: DB, request: Request,
              kind: Annotated[s.WorkshopKind | None, Query()] = None,
              status: Annotated[Literal["open", "closed"] | None, Query()] = None,
              ) -> list[s.WorkshopOut]:
    """The workspace's workshops, newest first."""
    return [_workshop_out(db, request, access, w)
            for w in wsvc.list_workshops(db, access.workspace, kind=kind, status=status)]


@router.post("/workspaces/{slug}/workshops", response_model=s.WorkshopOut, status_code=201,
             responses=CHANGE_ERRORS)
def open_workshop(body: s.WorkshopIn, access: Analyst, db: DB,
                  request: Request) -> s.WorkshopOut:
    """Open a workshop (facilitators: analysts and owners). One open session per kind."""
    ta = get_ta(db, access, body.ta_id) if body.ta_id is not None else None
    items: list[Any] | None = body.items
    if items is not None and body.kind == "edw":
        frame = candidates_frame(request, access, None)
        unknown = [i for i in items if i.strip().upper() not in frame.index]
        if unknown:
            raise unprocessable(f"not candidate activities of "
                                                        f"{access.workspace.home_region}: "
                                                        f"{', '.join(unknown[:5])}")
        items = [i.strip().upper() for i in items]
    if items is not None and body.kind == "adw":
        for item in items:
            if not item.isdigit() or int(item) > s.MAX_ID:
                raise unprocessable(f"ADW items are action ids, got "
                                                            f"{item!r}")
            lookup("action", item, lambda i=item: svc.get_action(db, access.workspace, int(i)))
    if items is None and body.kind == "edw":
        frame = candidates_frame(request, access, None)
        items = list(frame.sort_values("rank").index[:body.n_items])
    record = wsvc.open_workshop(db, access.workspace, body.kind, title=body.title,
                                by=access.user, items=items, ta=ta)
    return _workshop_out(db, request, access, record)


@router.get("/workspaces/{slug}/workshops/{workshop_id}", response_model=s.WorkshopOut,
            responses=WS_ERRORS)
def workshop(workshop_id: PathId, access: Viewer, db: DB, request: Request) -> s.WorkshopOut:
    """A workshop."""
    return _workshop_out(db, request, access, _workshop(db, access, workshop_id))


def _score_out(score: WorkshopScore) -> s.ScoreOut:
    return s.ScoreOut(item=score.item, username=score.user.username,
                      display_name=score.user.display_name, capacity=score.capacity,
                      opportunity=score.opportunity, comment=score.comment,
                      updated_at=score.updated_at)


@router.get("/workspaces/{slug}/workshops/{workshop_id}/scores",
            response_model=list[s.ScoreOut], responses=WS_ERRORS)
def scores(workshop_id: PathId, access: Viewer, db: DB, mine: bool = False) -> list[s.ScoreOut]:
    """Every participant's scores and comments (``mine``: only the caller's)."""
    record = _workshop(db, access, workshop_id)
    rows = wsvc.list_scores(db, access.workspace, record, user=access.user if mine else None)
    return [_score_out(r) for r in rows]


@router.post("/workspaces/{slug}/workshops/{workshop_id}/scores", response_model=s.ScoreOut,
             responses=CHANGE_ERRORS)
def score(workshop_id: PathId, body: s.ScoreIn, access: Stakeholder, db: DB) -> s.ScoreOut:
    """Score an item (capacity and opportunity 1-5, a comment) while the workshop is open;
    scoring again replaces one's earlier scores (stakeholders and above)."""
    record = _workshop(db, access, workshop_id)
    row = wsvc.score_item(db, access.workspace, record, access.user, body.item,
                          capacity=body.capacity, opportunity=body.opportunity,
                          comment=body.comment)
    return _score_out(row)


@router.get("/workspaces/{slug}/workshops/{workshop_id}/aggregate",
            response_model=s.AggregateOut, responses=WS_ERRORS)
def aggregate(workshop_id: PathId, access: Viewer, db: DB, request: Request) -> s.AggregateOut:
    """The live aggregate per item beside the data-driven score; ``disagreement`` flags items
    where the stakeholders' view and the data differ by more than 0.25, ``contested`` items
    where the participants disagree among themselves."""
    record = _workshop(db, access, workshop_id)
    labels = _labels(db, request, access, record)
    rows = wsvc.workshop_aggregate(db, access.workspace, record,
                                   data_scores=_data_scores(request, access, record))
    participants = db.scalar(select(func.count(func.distinct(WorkshopScore.user_id))).where(
        WorkshopScore.workshop_id == record.id)) or 0
    return s.AggregateOut(workshop_id=record.id, status=record.status,
                          participants=int(participants),
                          items=[s.AggregateItem(**r, label=labels.get(r["item"], ""))
                                 for r in rows])


@router.post("/workspaces/{slug}/workshops/{workshop_id}/decisions",
             response_model=s.DecisionOut, status_code=201, responses=CHANGE_ERRORS)
def decide(workshop_id: PathId, body: s.DecisionIn, access: Analyst, db: DB) -> s.DecisionOut:
    """Record a decision on an item (facilitators, while the workshop is open)."""
    record = _workshop(db, access, workshop_id)
    row = wsvc.record_decision(db, access.workspace, record, body.item, body.decision,
                               by=access.user)
    return s.DecisionOut(id=row.id, item=row.item, decision=row.decision,
                         by=access.user.username, at=row.decided_at)


@router.get("/workspaces/{slug}/workshops/{workshop_id}/decisions",
            response_model=list[s.DecisionOut], responses=WS_ERRORS)
def decisions(workshop_id: PathId, access: Viewer, db: DB) -> list[s.DecisionOut]:
    """The decisions recorded, oldest first."""
    record = _workshop(db, access, workshop_id)
    rows = wsvc.list_decisions(db, access.workspace, record)
    names = {u.id: u.username for u in db.scalars(select(UserRecord).where(
        UserRecord.id.in_({r.decided_by for r in rows if r.decided_by})))}
    return [s.DecisionOut(id=r.id, item=r.item, decision=r.decision,
                          by=names.get(r.decided_by) if r.decided_by else None, at=r.decided_at)
            for r in rows]


@router.post("/workspaces/{slug}/workshops/{workshop_id}/close", response_model=s.WorkshopOut,
             responses=CHANGE_ERRORS)
def close(workshop_id: PathId, access: Analyst, db: DB, request: Request) -> s.WorkshopOut:
    """Close the workshop and store its minutes (facilitators)."""
    record = _workshop(db, access, workshop_id)
    wsvc.close_workshop(db, access.workspace, record,
                        data_scores=_data_scores(request, access, record))
    return _workshop_out(db, request, access, record)


@router.get("/workspaces/{slug}/workshops/{workshop_id}/minutes", response_model=s.Minutes,
            responses={**WS_ERRORS, 200: {"content": {
                "application/json": {}, "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
                "description": "The minutes (JSON), or their scores table (CSV / Excel)"}})
def minutes(workshop_id: PathId, access: Viewer, db: DB, request: Request,
            format: Literal["json", "csv", "xlsx"] = "json") -> Any:
    """The minutes: scores, comments, aggregate and decisions (stored at closing)."""
    import pandas as pd

    record = _workshop(db, access, workshop_id)
    data = wsvc.workshop_minutes(db, access.workspace, record,
                                 data_scores=_data_scores(request, access, record))
    if format == "json":
        return data
    decisions_by_item: dict[str, list[str]] = {}
    for d in data["decisions"]:
        decisions_by_item.setdefault(d["item"], []).append(d["decision"])
    agg = {a["item"]: a for a in data["aggregate"]}
    rows = [{"item": sc["item"], "participant": sc["username"], "capacity": sc["capacity"],
             "opportunity": sc["opportunity"], "comment": sc["comment"],
             "item_stakeholder_score": agg.get(sc["item"], {}).get("stakeholder_score"),
             "item_data_score": agg.get(sc["item"], {}).get("data_score"),
             "item_disagreement": agg.get(sc["item"], {}).get("disagreement"),
             "decisions": " | ".join(decisions_by_item.get(sc["item"], []))}
            for sc in data["scores"]]
    frame = pd.DataFrame(rows, columns=["item", "participant", "capacity", "opportunity",
                                        "comment", "item_stakeholder_score", "item_data_score",
                                        "item_disagreement", "decisions"])
    return frame_response(frame, f"{access.workspace.slug}-workshop-{record.id}-minutes",
                          format)


@router.post("/workspaces/{slug}/workshops/{workshop_id}/select-ta",
             response_model=s.TADetail, status_code=201, responses=CHANGE_ERRORS)
def select_ta(workshop_id: PathId, body: s.WorkshopSelectIn, access: Analyst, db: DB,
              request: Request) -> s.TADetail:
    """Select an EDW item as a TA; the evidence snapshot stores the candidate's evidence and
    the workshop's aggregate, comments and decisions (facilitators)."""
    record = _workshop(db, access, workshop_id)
    code = body.item.strip().upper()
    frame = candidates_frame(request, access, None)
    candidate = frame.loc[code].to_dict() if code in frame.index else None
    ta = wsvc.select_ta_from_workshop(
        db, access.workspace, record, code, candidate=candidate,
        data_scores=_data_scores(request, access, record),
        discovery={"weights": frame.attrs.get("weights"), "year": frame.attrs.get("year"),
                   "n_candidates": len(frame)})
    return ta_out(ta, detail=True)  # type: ignore[return-value]

