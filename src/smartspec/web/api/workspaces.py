"""Workspaces: the caller's list, details, members and invitations, the audit log, exports."""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartspec.store import services as svc
from smartspec.store import web_services as wsvc
from smartspec.store.models import ActionRecord, ActorRecord, Consortium, SelectedTA
from smartspec.store.models_web import Membership, UserRecord, Workshop
from smartspec.web.api import schemas as s
from smartspec.web.api._common import PathId, lookup
from smartspec.web.deps import Access, get_db, require_admin, require_user, workspace_access

router = APIRouter(tags=["workspaces"])

DB = Annotated[Session, Depends(get_db)]
Viewer = Annotated[Access, Depends(workspace_access("viewer"))]
Analyst = Annotated[Access, Depends(workspace_access("analyst"))]
Owner = Annotated[Access, Depends(workspace_access("owner"))]

WS_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": s.Detail, "description": "Not signed in"},
    403: {"model": s.Detail, "description": "Role too low"},
    404: {"model": s.Detail, "description": "No such workspace (or not a member)"},
}
CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    **WS_ERRORS, 409: {"model": s.Detail}}


def _count(db: Session, model: Any, ws_id: int) -> int:
    return int(db.scalar(select(func.count()).select_from(model).where(
        model.workspace_id == ws_id)) or 0)


def _detail(db: Session, access: Access) -> s.WorkspaceOut:
    ws = access.workspace
    return s.WorkspaceOut(
        slug=ws.slug, name=ws.name, description=ws.description, data_version=ws.data_version,
        home_region=ws.home_region, role=access.role, created_at=ws.created_at,
        regions=[s.RegionOut(code=r.code, role=r.role, name=r.name) for r in ws.regions],
        counts=s.Counts(tas=_count(db, SelectedTA, ws.id), actors=_count(db, ActorRecord, ws.id),
                        actions=_count(db, ActionRecord, ws.id),
                        consortia=_count(db, Consortium, ws.id),
                        workshops=_count(db, Workshop, ws.id),
                        members=_count(db, Membership, ws.id)))


@router.get("/workspaces", response_model=list[s.WorkspaceSummary],
            responses={401: {"model": s.Detail, "description": "Not signed in"}})
def workspaces(db: DB, user: Annotated[UserRecord, Depends(require_user)],
               ) -> list[s.WorkspaceSummary]:
    """The workspaces the caller is a member of (401 when not signed in)."""
    return [s.WorkspaceSummary(slug=ws.slug, name=ws.name, description=ws.description,
                               home_region=ws.home_region, role=role)
            for ws, role in wsvc.user_workspaces(db, user)]


@router.post("/workspaces", response_model=s.WorkspaceOut, status_code=201,
             responses={401: {"model": s.Detail}, 403: {"model": s.Detail},
                        409: {"model": s.Detail}})
def create_workspace(body: s.WorkspaceCreateIn, request: Request, db: DB,
                     admin: Annotated[UserRecord, Depends(require_admin)]) -> s.WorkspaceOut:
    """Create a workspace for a region's S3 process (administrators); the creator becomes
    its owner."""
    ws = svc.create_workspace(db, body.name, region=body.region, slug=body.slug,
                              description=body.description, partners=body.partners)
    membership = wsvc.add_member(db, ws, admin, "owner")
    return _detail(db, Access(ws, membership, "owner", admin))


@router.get("/workspaces/{slug}", response_model=s.WorkspaceOut, responses=WS_ERRORS)
def workspace(access: Viewer, db: DB) -> s.WorkspaceOut:
    """A workspace: regions, data version, the caller's role and the counts of its objects."""
    return _detail(db, access)


@router.patch("/workspaces/{slug}", response_model=s.WorkspaceOut, responses=CHANGE_ERRORS)
def update_workspace(body: s.WorkspaceUpdateIn, access: Owner, db: DB) -> s.WorkspaceOut:
    """Rename the workspace or edit its description (owners)."""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    svc.update_workspace(db, access.workspace, **changes)
    return _detail(db, access)


@router.delete("/workspaces/{slug}", status_code=204, response_class=Response,
               responses=WS_ERRORS)
def delete_workspace(access: Owner, db: DB, request: Request) -> Response:
    """Delete the workspace and everything in it (owners; the audit log keeps the history)."""
    ws_id = access.workspace.id
    svc.delete_workspace(db, access.workspace)
    request.app.state.cache.invalidate(ws_id)
    return Response(status_code=204)


@router.post("/workspaces/{slug}/regions", response_model=s.WorkspaceOut, status_code=201,
             responses=CHANGE_ERRORS)
def add_region(body: s.RegionIn, access: Analyst, db: DB) -> s.WorkspaceOut:
    """Add a partner region (analysts)."""
    svc.add_region(db, access.workspace, body.code.upper(), role=body.role)
    db.refresh(access.workspace)
    return _detail(db, access)


# ----------------------------------------------------------------------------------- members


def _member_out(m: Membership) -> s.MemberOut:
    return s.MemberOut(user_id=m.user_id, username=m.user.username,
                       display_name=m.user.display_name, role=m.role, since=m.created_at)


@router.get("/workspaces/{slug}/members", response_model=list[s.MemberOut],
            responses=WS_ERRORS)
def members(access: Viewer, db: DB) -> list[s.MemberOut]:
    """The members and their roles."""
    return [_member_out(m) for m in wsvc.list_members(db, access.workspace)]


@router.post("/workspaces/{slug}/members", response_model=s.MemberOut, status_code=201,
             responses=CHANGE_ERRORS)
def add_member(body: s.MemberIn, access: Owner, db: DB) -> s.MemberOut:
    """Add an existing account with a role (owners)."""
    user = lookup("user", repr(body.username), lambda: wsvc.get_user(db, body.username))
    return _member_out(wsvc.add_member(db, access.workspace, user, body.role))


def _member_user(db: Session, access: Access, user_id: int) -> UserRecord:
    membership = wsvc.get_membership(db, access.workspace, user_id)
    if membership is None:
        raise HTTPException(status_code=404, detail=f"member {user_id} not found")
    return membership.user


@router.put("/workspaces/{slug}/members/{user_id}", response_model=s.MemberOut,
            responses=CHANGE_ERRORS)
def set_role(user_id: PathId, body: s.RoleIn, access: Owner, db: DB) -> s.MemberOut:
    """Change a member's role (owners; the last owner stays owner)."""
    user = _member_user(db, access, user_id)
    return _member_out(wsvc.set_role(db, access.workspace, user, body.role))


@router.delete("/workspaces/{slug}/members/{user_id}", status_code=204,
               response_class=Response, responses=CHANGE_ERRORS)
def remove_member(user_id: PathId, access: Owner, db: DB) -> Response:
    """Remove a member (owners; not the last owner)."""
    user = _member_user(db, access, user_id)
    wsvc.remove_member(db, access.workspace, user)
    return Response(status_code=204)


# ------------------------------------------------------------------------------- invitations


def _invitation_out(inv: Any, db: Session) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    expires = inv.expires_at if inv.expires_at.tzinfo else inv.expires_at.replace(tzinfo=dt.UTC)
    status = ("used" if inv.used_at is not None else "revoked" if inv.revoked
              else "expired" if expires <= now else "open")
    used_by = db.get(UserRecord, inv.used_by).username if inv.used_by else None
    return dict(id=inv.id, role=inv.role, note=inv.note, created_at=inv.created_at,
                expires_at=inv.expires_at, status=status, used_by=used_by)


@router.get("/workspaces/{slug}/invitations", response_model=list[s.InvitationOut],
            responses=WS_ERRORS)
def invitations(access: Owner, db: DB) -> list[s.InvitationOut]:
    """The workspace's invitations (owners)."""
    return [s.InvitationOut(**_invitation_out(i, db))
            for i in wsvc.list_invitations(db, access.workspace)]


@router.post("/workspaces/{slug}/invitations", response_model=s.InvitationCreated,
             status_code=201, responses=CHANGE_ERRORS)
def invite(body: s.InvitationIn, request: Request, access: Owner, db: DB) -> s.InvitationCreated:
    """Create an invitation link for a role (owners). The link is shown once."""
    token, inv = wsvc.create_invitation(db, access.workspace, body.role, by=access.user,
                                        days=body.days, note=body.note)
    url = str(request.base_url).rstrip("/") + f"/invite/{token}"
    return s.InvitationCreated(**_invitation_out(inv, db), token=token, url=url)


@router.delete("/workspaces/{slug}/invitations/{invitation_id}", status_code=204,
               response_class=Response, responses=CHANGE_ERRORS)
def revoke(invitation_id: PathId, access: Owner, db: DB) -> Response:
    """Revoke an unused invitation (owners)."""
    lookup("invitation", invitation_id,
           lambda: wsvc.revoke_invitation(db, access.workspace, invitation_id))
    return Response(status_code=204)


# --------------------------------------------------------------------------------- audit log


@router.get("/workspaces/{slug}/audit", response_model=list[s.AuditEntryOut],
            responses=WS_ERRORS)
def audit(access: Analyst, db: DB,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[s.AuditEntryOut]:
    """The workspace's recent changes, newest first: who, when, what (analysts)."""
    return [s.AuditEntryOut(id=e.id, who=e.who, at=e.at, action=e.action,
                            table_name=e.table_name, object_id=e.object_id, before=e.before,
                            after=e.after, context=e.context)
            for e in svc.audit_entries(db, access.workspace, limit=limit)]


# ----------------------------------------------------------------------------------- exports


@router.get("/workspaces/{slug}/export", response_model=dict[str, Any], tags=["exports"],
            responses=WS_ERRORS)
def export(access: Viewer, db: DB) -> dict[str, Any]:
    """The whole workspace as one JSON document (``smartspec workspace import`` reads it)."""
    from smartspec.store import exchange

    return exchange.workspace_document(db, access.workspace)


TABLES = ("candidates", "tas", "actors", "actions", "consortia", "funding", "good-practices",
          "monitoring", "members", "audit")


def table_frame(request: Request, db: Session, access: Access, table: str) -> Any:
    """The rows of one of the workspace's tables (:data:`TABLES`) as a DataFrame."""
    import pandas as pd

    ws = access.workspace
    if table == "candidates":
        cands = request.app.state.cache.candidates(ws)
        frame = cands.reset_index().copy()
        frame["partners"] = frame["partners"].map(lambda p: ", ".join(map(str, p)))
        return frame
    if table == "tas":
        return pd.DataFrame([{"id": t.id, "activity": t.activity, "label": t.label,
                              "mode": t.mode, "status": t.status,
                              "selected_at": t.selected_at.isoformat()}
                             for t in svc.list_tas(db, ws)])
    if table == "actors":
        from smartspec.web.api._common import actor_out

        return pd.DataFrame([{**actor_out(a).model_dump(),
                              **{k: "; ".join(getattr(a, k) or []) for k in
                                 ("activities", "technologies", "skills")}}
                             for a in svc.list_actors(db, ws)])
    if table == "actions":
        from smartspec.web.api._common import action_out

        rows = []
        for a in svc.list_actions(db, ws):
            out = action_out(a).model_dump(exclude={"attachments", "milestones",
                                                    "allowed_statuses"})
            out["participants"] = "; ".join(map(str, out["participants"]))
            out["regions"] = "; ".join(out["regions"])
            out["indicators"] = "; ".join(out["indicators"])
            rows.append(out)
        return pd.DataFrame(rows)
    if table == "consortia":
        actors = {a.id: a for a in svc.list_actors(db, ws)}
        return pd.DataFrame([{"consortium_id": c.id, "consortium": c.name, "ta_id": c.ta_id,
                              "coverage": c.coverage, "actor_id": m.actor_id,
                              "actor": actors[m.actor_id].name if m.actor_id in actors else "",
                              "role": m.role}
                             for c in svc.list_consortia(db, ws) for m in c.members])
    if table == "funding":
        from smartspec.web.api._common import instrument_out

        rows = []
        for r in svc.list_funding_instruments(db, ws):
            out = instrument_out(r).model_dump()
            for key in ("eligible_actor_types", "action_types"):
                out[key] = "; ".join(out[key])
            if isinstance(out["geographic_scope"], list):
                out["geographic_scope"] = "; ".join(out["geographic_scope"])
            rows.append(out)
        return pd.DataFrame(rows)
    if table == "good-practices":
        return pd.DataFrame([{"key": p.key, "title": p.title, "summary": p.summary,
                              "action_types": "; ".join(p.action_types),
                              "cluster_maturity": "; ".join(p.cluster_maturity),
                              "ta_modes": "; ".join(p.ta_modes),
                              "region_types": "; ".join(p.region_types), "source": p.source,
                              "tags": "; ".join(p.tags)}
                             for p in svc.list_good_practices(db, ws)])
    if table == "monitoring":
        tas = {t.id: t.activity for t in svc.list_tas(db, ws)}
        return pd.DataFrame([{"ta": tas.get(r.ta_id, ""), "indicator": r.indicator_key,
                              "kind": r.kind, "year": r.year, "value": r.value, "unit": r.unit,
                              "source": r.source, "note": r.note}
                             for r in svc.list_monitoring(db, ws)])
    if table == "members":
        return pd.DataFrame([{"username": m.user.username, "display_name": m.user.display_name,
                              "role": m.role} for m in wsvc.list_members(db, ws)])
    if table == "audit":
        return pd.DataFrame([{"at": e.at.isoformat(), "who": e.who, "action": e.action,
                              "table": e.table_name, "object_id": e.object_id,
                              "context": e.context}
                             for e in svc.audit_entries(db, ws, limit=5000)])
    raise HTTPException(status_code=404, detail=f"no table {table!r}")  # pragma: no cover


def frame_response(frame: Any, name: str, fmt: str) -> Response:
    """A DataFrame as a CSV (UTF-8 with BOM, for spreadsheet programs) or Excel download.

    Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``)
    are prefixed with an apostrophe.
    """
    import pandas as pd

    def cell(v: Any) -> Any:
        if isinstance(v, dt.datetime | dt.date):
            return v.isoformat()
        if isinstance(v, list | tuple | set):
            v = "; ".join(map(str, v))
        if isinstance(v, dict):
            v = str(v)
        if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
            return "'" + v
        return v

    frame = frame.copy()
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].map(lambda v: v.isoformat() if v is not pd.NaT else "")
        elif frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].map(cell).astype(object)
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
    if fmt == "xlsx":
        buffer = io.BytesIO()
        frame.to_excel(buffer, index=False, sheet_name=safe[:31] or "table")
        return Response(buffer.getvalue(),
                        media_type="application/vnd.openxmlformats-officedocument."
                                   "spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{safe}.xlsx"'})
    data = "\ufeff" + frame.to_csv(index=False)
    return Response(data.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{safe}.csv"'})


@router.get("/workspaces/{slug}/tables/{table}", tags=["exports"], response_class=Response,
            responses={**WS_ERRORS, 200: {"content": {
                "text/csv": {}, "application/vnd.openxmlformats-officedocument."
                                "spreadsheetml.sheet": {}},
                "description": "The table as CSV or Excel"}})
def table(table: Literal["candidates", "tas", "actors", "actions", "consortia", "funding",
                         "good-practices", "monitoring", "members", "audit"],
          request: Request, access: Viewer, db: DB,
          format: Literal["csv", "xlsx"] = "csv") -> Response:
    """One of the workspace's tables as CSV or Excel (the audit log: analysts)."""
    if table == "audit" and not access.can("analyst"):
        raise HTTPException(status_code=403, detail="the audit log needs the role 'analyst'")
    frame = table_frame(request, db, access, table)
    return frame_response(frame, f"{access.workspace.slug}-{table}", format)

