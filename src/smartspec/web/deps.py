"""Request dependencies shared by the API and the pages: database session, user, roles, CSRF.

* :func:`get_db` — the request's store session (:class:`smartspec.store.db.StoreSession`,
  created on first use; for a changing method, a ``write`` session: see
  :func:`smartspec.store.db.make_session`). The :class:`~smartspec.web.app.RequestMiddleware` commits it just
  before the response starts when the status is below 400, rolls it back otherwise (or when
  the handler raises) and closes it; a failed commit turns the response into a 500. The audit
  log names the signed-in user (``session.info["user"]``).
* :func:`current_user` / :func:`require_user` / :func:`require_admin` — the signed-in user
  (server-side session of the cookie; a session ends after ``session_lifetime``, or after
  ``session_idle`` without a request). ``require_user`` answers 401 on ``/api/`` paths and
  redirects pages to ``/login?next=...``.
* :func:`workspace_access` — dependency factory: ``Depends(workspace_access("analyst"))`` on a
  route with a ``{slug}`` path parameter gives an :class:`Access`. An unknown slug and a
  workspace of which the user is no member both answer **404** (the existence of other
  workspaces never leaks); a member whose role is below ``min_role`` gets **403**.
* :func:`csrf_token` / :func:`verify_csrf` — see :mod:`smartspec.web.security`.
  ``verify_csrf`` is installed on the whole application, so every state-changing route is
  covered, pages and API alike.

Role rights (:data:`ROLES`, least to most powerful): a *viewer* reads; a *stakeholder* also
scores and comments in workshops; an *analyst* also edits the evidence, TAs, actors, strategy,
actions, consortia, funding entries and monitoring, and runs workshops; an *owner* can do
everything, including managing members and invitations.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from smartspec.store.models import Workspace
from smartspec.store.models_web import ROLES, Membership, UserRecord
from smartspec.web import security

__all__ = [
    "ROLES",
    "SAFE_METHODS",
    "Access",
    "check_access",
    "csrf_token",
    "current_user",
    "get_db",
    "require_admin",
    "require_user",
    "verify_csrf",
    "workspace_access",
]

_DB = "smartspec_db"
_UNSET = object()
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class Access:
    """What a workspace route works with: the workspace, the user's membership and role."""

    workspace: Workspace
    membership: Membership
    role: str
    user: UserRecord

    def can(self, min_role: str) -> bool:
        """Whether the user's role is ``min_role`` or above."""
        return ROLES.index(self.role) >= ROLES.index(min_role)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def get_db(request: Request) -> Session:
    """The request's store session (one per request, created on first use)."""
    state = request.scope.setdefault("state", {})
    session = state.get(_DB)
    if session is None:
        from smartspec.store import db

        settings = request.app.state.settings
        # a changing request takes SQLite's write lock when its transaction begins
        session = db.make_session(db.get_engine(settings.database_url),
                                  write=request.method.upper() not in SAFE_METHODS)
        user = state.get("user")
        if user is not None:
            session.info["user"] = user.username
        state[_DB] = session
    return session


def current_user(request: Request) -> UserRecord | None:
    """The signed-in user of the request (None when anonymous or the session expired)."""
    user = getattr(request.state, "user", _UNSET)
    if user is not _UNSET:
        return user  # type: ignore[return-value]
    from smartspec.store import web_services as wsvc

    token = request.cookies.get(security.SESSION_COOKIE)
    record = None
    if token:
        db = get_db(request)
        record = wsvc.find_web_session(db, token)
        if record is not None:
            _keep_alive(request, record)
    user = record.user if record is not None else None
    request.state.web_session = record
    request.state.user = user
    if user is not None:
        get_db(request).info["user"] = user.username
    return user


def _keep_alive(request: Request, record: Any) -> None:
    """Slide the idle end of the request's session forward (see
    :func:`smartspec.store.web_services.idle_extension`; a write every few minutes at most).

    A changing request does it in its own transaction (committed with the request). A reading
    request's transaction is a read snapshot, which SQLite cannot always turn into a write, so
    the extension is committed in a short write transaction of its own.
    """
    from smartspec.store import db as store_db
    from smartspec.store import web_services as wsvc

    settings = request.app.state.settings
    end = wsvc.idle_extension(record, lifetime=settings.session_lifetime,
                              idle=settings.session_idle)
    if end is None:
        return
    if request.method.upper() not in SAFE_METHODS:
        wsvc.extend_web_session(get_db(request), record.id, end)
        return
    with store_db.session_scope(store_db.get_engine(settings.database_url), write=True) as s:
        wsvc.extend_web_session(s, record.id, end)


def require_user(request: Request) -> UserRecord:
    """The signed-in user; else 401 (API) or a redirect to the login page (pages)."""
    user = current_user(request)
    if user is not None:
        return user
    if _is_api(request):
        raise HTTPException(status_code=401, detail="sign in first",
                            headers={"WWW-Authenticate": 'Cookie realm="smartspec"'})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise HTTPException(status_code=303, detail="sign in first",
                        headers={"Location": f"/login?next={quote(target, safe='')}"})


def require_admin(request: Request) -> UserRecord:
    """The signed-in user, who must be an administrator (else 403)."""
    user = require_user(request)
    if not user.is_admin:
        raise HTTPException(status_code=403, detail="this needs an administrator")
    return user


def check_access(request: Request, slug: str, min_role: str = "viewer") -> Access:
    """:class:`Access` to the workspace ``slug`` for the signed-in user (see the module doc).

    Raises
    ------
    HTTPException
        401/303 when nobody is signed in, 404 for an unknown workspace or a non-member, 403
        for a role below ``min_role``.
    """
    if min_role not in ROLES:
        raise ValueError(f"unknown role {min_role!r}; roles are {', '.join(ROLES)}")
    user = require_user(request)
    db = get_db(request)
    row = db.execute(select(Workspace, Membership).join(
        Membership, Membership.workspace_id == Workspace.id).where(
        Workspace.slug == str(slug), Membership.user_id == user.id)).first()
    if row is None:
        raise HTTPException(status_code=404, detail="workspace not found")
    workspace, membership = row
    if ROLES.index(membership.role) < ROLES.index(min_role):
        raise HTTPException(status_code=403,
                            detail=f"this needs the role {min_role!r} or above in this "
                                   f"workspace; yours is {membership.role!r}")
    request.state.access = Access(workspace, membership, membership.role, user)
    return request.state.access


def workspace_access(min_role: str = "viewer", *more: str) -> Callable[..., Access]:
    """A dependency giving :class:`Access` to the workspace of the route's ``{slug}``.

    ``workspace_access("analyst")`` (the slug parameter is ``slug``); the name of another path
    parameter may be given too, in either order: ``workspace_access("ws", "analyst")``.
    """
    names = (min_role, *more)
    roles = [n for n in names if n in ROLES]
    others = [n for n in names if n not in ROLES]
    if len(roles) != 1 or len(others) > 1:
        raise ValueError(f"workspace_access takes one role of {ROLES} and optionally the name "
                         f"of the slug path parameter, got {names!r}")
    role, param = roles[0], (others[0] if others else "slug")

    def dependency(request: Request, **path: str) -> Access:
        return check_access(request, path[param], role)

    dependency.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          annotation=Request),
        inspect.Parameter(param, inspect.Parameter.KEYWORD_ONLY, annotation=str)])
    dependency.__name__ = f"workspace_access_{role}"
    return dependency


def csrf_token(request: Request) -> str:
    """The CSRF token to put in the request's forms (and the API's ``X-CSRF-Token`` header).

    The session's token when signed in; otherwise a pre-session token (the cookie that backs it
    is set on the response when the visitor has none yet).
    """
    current_user(request)
    record = getattr(request.state, "web_session", None)
    if record is not None:
        return record.csrf_secret
    state = request.scope.setdefault("state", {})
    value = state.get("anon_csrf") or request.cookies.get(security.ANON_CSRF_COOKIE)
    if not value or len(value) > 100:
        value = security.new_token()
        security.queue_cookie(request, security.ANON_CSRF_COOKIE, value)
    state["anon_csrf"] = value
    return security.anonymous_csrf_token(request.app.state.settings.secret_key, value)


async def verify_csrf(request: Request) -> None:
    """Refuse (403) a state-changing request without the right CSRF token.

    * With a live session: the session's token, in the ``X-CSRF-Token`` header or the
      ``csrf_token`` form field.
    * Without one: a JSON request needs nothing (see :mod:`smartspec.web.security`); any other
      request (forms) needs the pre-session token backed by the ``smartspec_csrf`` cookie.
    """
    if request.method.upper() in SAFE_METHODS:
        return
    await run_in_threadpool(current_user, request)
    sent = request.headers.get(security.CSRF_HEADER)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not sent and content_type in _FORM_TYPES:
        try:
            form = await request.form()
        except security.RequestTooLarge:
            raise
        except Exception:  # a malformed body carries no token
            form = None
        value = form.get(security.CSRF_FIELD) if form is not None else None
        sent = value if isinstance(value, str) else None
    record = getattr(request.state, "web_session", None)
    if record is not None:
        if security.tokens_equal(sent, record.csrf_secret):
            return
        raise HTTPException(status_code=403, detail="CSRF token missing or invalid")
    if content_type == "application/json" or content_type.endswith("+json"):
        return
    cookie = request.cookies.get(security.ANON_CSRF_COOKIE)
    if cookie and security.tokens_equal(sent, security.anonymous_csrf_token(
            request.app.state.settings.secret_key, cookie)):
        return
    raise HTTPException(status_code=403, detail="CSRF token missing or invalid")

