"""Accounts: sign in and out, the caller's session and profile, invitations, user
administration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlalchemy.orm import Session

from smartspec.store import web_services as wsvc
from smartspec.store.models_web import UserRecord
from smartspec.web import security
from smartspec.web.api import schemas as s
from smartspec.web.api._common import PathId, lookup, unprocessable, user_out
from smartspec.web.deps import csrf_token, get_db, require_admin, require_user

router = APIRouter(tags=["accounts"])

DB = Annotated[Session, Depends(get_db)]
User = Annotated[UserRecord, Depends(require_user)]
Admin = Annotated[UserRecord, Depends(require_admin)]

_AUTH = {401: {"model": s.Detail, "description": "Not signed in"}}


def _session_out(request: Request, db: Session, user: UserRecord) -> s.SessionOut:
    record = request.state.web_session
    return s.SessionOut(
        user=user_out(user), csrf_token=csrf_token(request), expires_at=record.expires_at,
        workspaces=[s.WorkspaceRef(slug=ws.slug, name=ws.name, role=role)
                    for ws, role in wsvc.user_workspaces(db, user)])


@router.post("/auth/login", response_model=s.SessionOut,
             responses={401: {"model": s.Detail, "description": "Invalid credentials"},
                        429: {"model": s.Detail, "description": "Too many failed logins"}})
def login(body: s.LoginIn, request: Request, db: DB) -> s.SessionOut:
    """Sign in: sets the HttpOnly session cookie and returns the CSRF token."""
    try:
        user = security.login(request, body.username, body.password)
    except wsvc.LoginThrottled as exc:
        raise HTTPException(status_code=429, detail=str(exc),
                            headers={"Retry-After": str(exc.retry_after)}) from None
    except wsvc.InvalidCredentials as exc:
        raise HTTPException(status_code=401, detail=str(exc)) from None
    return _session_out(request, db, user)


@router.post("/auth/logout", status_code=204, response_class=Response)
def logout(request: Request) -> Response:
    """Sign out: ends the server-side session and deletes the cookie."""
    security.logout(request)
    return Response(status_code=204)


@router.get("/auth/me", response_model=s.SessionOut, responses=_AUTH)
def me(request: Request, db: DB, user: User) -> s.SessionOut:
    """The signed-in user, the CSRF token and the user's workspaces."""
    return _session_out(request, db, user)


@router.patch("/auth/me", response_model=s.UserOut, responses=_AUTH)
def update_me(body: s.ProfileIn, db: DB, user: User) -> s.UserOut:
    """Change one's display name, e-mail or language."""
    changes = body.model_dump(exclude_unset=True)
    if "language" in changes and changes["language"] is None:
        del changes["language"]
    return user_out(wsvc.update_user(db, user, **changes))


@router.post("/auth/password", status_code=204, response_class=Response,
             responses={**_AUTH})
def change_password(body: s.PasswordChangeIn, request: Request, db: DB, user: User) -> Response:
    """Change one's password (the other sessions of the account end)."""
    try:
        wsvc.set_password(db, user, body.new_password, current_password=body.current_password,
                          keep_session=request.state.web_session.id)
    except wsvc.InvalidCredentials as exc:
        raise unprocessable(str(exc)) from None
    return Response(status_code=204)


# -------------------------------------------------------------------------------- invitations


@router.get("/invitations/{token}", response_model=s.InvitationInfo,
            responses={404: {"model": s.Detail}})
def invitation(token: str, db: DB) -> s.InvitationInfo:
    """What an invitation link offers (for anyone holding the link)."""
    inv = lookup("invitation", "link", lambda: wsvc.find_invitation(db, token))
    return s.InvitationInfo(workspace=inv.workspace.slug, workspace_name=inv.workspace.name,
                            role=inv.role, expires_at=inv.expires_at)


@router.post("/invitations/{token}/accept", response_model=s.AcceptOut,
             responses={404: {"model": s.Detail}, 409: {"model": s.Detail}})
def accept(token: str, body: s.InvitationAcceptIn, request: Request, db: DB) -> s.AcceptOut:
    """Join the invitation's workspace. A signed-in caller joins as is; an anonymous caller
    gives a user name and password, gets an account and is signed in."""
    from smartspec.web.deps import current_user

    lookup("invitation", "link", lambda: wsvc.find_invitation(db, token))
    user = current_user(request)
    if user is None:
        if not body.username or body.password is None:
            raise unprocessable("sign in, or give a user name and a password")
        user = wsvc.create_user(db, body.username, body.password,
                                display_name=body.display_name, language=body.language)
        db.info["user"] = user.username
        membership = wsvc.accept_invitation(db, token, user)
        security.start_session(request, user)
    else:
        membership = wsvc.accept_invitation(db, token, user)
    return s.AcceptOut(workspace=membership.workspace.slug, role=membership.role,
                       user=user_out(user), csrf_token=csrf_token(request))


# ----------------------------------------------------------------------------- administration


@router.get("/users", response_model=list[s.UserOut], tags=["administration"],
            responses={**_AUTH, 403: {"model": s.Detail}})
def users(db: DB, admin: Admin) -> list[s.UserOut]:
    """Every account (administrators only)."""
    return [user_out(u) for u in wsvc.list_users(db)]


@router.post("/users", response_model=s.UserOut, status_code=201, tags=["administration"],
             responses={**_AUTH, 403: {"model": s.Detail}, 409: {"model": s.Detail}})
def create_user(body: s.UserCreateIn, db: DB, admin: Admin) -> s.UserOut:
    """Create an account (administrators only)."""
    return user_out(wsvc.create_user(db, body.username, body.password,
                                     display_name=body.display_name, email=body.email,
                                     is_admin=body.is_admin, language=body.language))


@router.patch("/users/{user_id}", response_model=s.UserOut, tags=["administration"],
              responses={**_AUTH, 403: {"model": s.Detail}, 404: {"model": s.Detail},
                         409: {"model": s.Detail}})
def update_user(user_id: PathId, body: s.UserUpdateIn, db: DB, admin: Admin) -> s.UserOut:
    """Edit or (de)activate an account (administrators only)."""
    user = lookup("user", user_id, lambda: wsvc.get_user(db, user_id))
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items()
               if v is not None or k == "email"}
    return user_out(wsvc.update_user(db, user, **changes))


@router.post("/users/{user_id}/password-reset", response_model=s.PasswordResetOut,
             tags=["administration"],
             responses={**_AUTH, 403: {"model": s.Detail}, 404: {"model": s.Detail}})
def reset_password(user_id: PathId, db: DB, admin: Admin) -> s.PasswordResetOut:
    """Give an account a new random password (shown once) and end its sessions
    (administrators only)."""
    user = lookup("user", user_id, lambda: wsvc.get_user(db, user_id))
    password = wsvc.reset_password(db, user, by=admin)
    return s.PasswordResetOut(username=user.username, password=password)
