"""Sign in and out, the language switch, the list of workspaces and invitation links."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from smartspec.web import i18n
from smartspec.web.deps import current_user, require_user
from smartspec.web.pages.common import (
    DB,
    FormData,
    PageContext,
    form_error_status,
    form_text,
    redirect,
)
from smartspec.web.templating import LANG_COOKIE

__all__ = ["router", "safe_next"]

router = APIRouter()
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_next(value: Any, default: str = "/") -> str:
    """A local path to go to after a form (never another site: no ``//host``, no scheme)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or _CONTROL.search(value) or len(value) > 2000:
        return default
    return value



# -------------------------------------------------------------------------------------- login


@router.get("/login")
def login_page(request: Request, db: DB) -> Response:
    user = current_user(request)
    target = safe_next(request.query_params.get("next"))
    if user is not None:
        return RedirectResponse(target, status_code=303)
    ctx = PageContext(request, db)
    return ctx.render("login.html", {"next": target, "username": ""})


@router.post("/login")
def login_submit(request: Request, form: FormData,
                 db: DB) -> Response:
    from smartspec.store import web_services as wsvc
    from smartspec.web import security

    username = form_text(form, "username")[:200]
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    target = safe_next(form_text(form, "next"))
    ctx = PageContext(request, db)
    t = ctx.t
    try:
        user = security.login(request, username, password)
    except wsvc.LoginThrottled as exc:
        wait = getattr(exc, "retry_after", None)
        return ctx.render("login.html", {"next": target, "username": username},
                          status_code=429, messages=[("error", t(
                              "Too many failed sign-ins. Try again in %(seconds)s seconds.",
                              seconds=wait or "?"))])
    except wsvc.InvalidCredentials:
        return ctx.render("login.html", {"next": target, "username": username},
                          status_code=401,
                          messages=[("error", t("Invalid user name or password."))])
    lang = i18n.normalise_language(getattr(user, "language", None))
    if lang:
        security.queue_cookie(request, LANG_COOKIE, lang, max_age=365 * 86400)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout_submit(request: Request, db: DB) -> Response:
    from smartspec.web import security

    security.logout(request)
    return RedirectResponse("/login", status_code=303)


@router.post("/language")
def language_submit(request: Request, form: FormData,
                    db: DB) -> Response:
    """Switch the interface language (stored for a signed-in user, else in a cookie)."""
    from smartspec.store import web_services as wsvc
    from smartspec.web import security

    lang = i18n.normalise_language(form_text(form, "language")) or i18n.DEFAULT_LANGUAGE
    user = current_user(request)
    if user is not None and user.language != lang:
        wsvc.update_user(db, user, language=lang)
    security.queue_cookie(request, LANG_COOKIE, lang, max_age=365 * 86400)
    return RedirectResponse(safe_next(form_text(form, "next")), status_code=303)


# ------------------------------------------------------------------------------- workspaces


@router.get("/")
def home(request: Request, db: DB) -> Response:
    from smartspec.store import web_services as wsvc

    user = current_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    ctx = PageContext(request, db, user=user)
    return _home(ctx, wsvc.user_workspaces(db, user))


def _home(ctx: PageContext, rows: list[Any], *, status_code: int = 200,
          messages: list[tuple[str, Any]] | None = None, values: dict[str, str] | None = None
          ) -> Response:
    from smartspec.store import services as svc

    items = []
    for ws, role in rows:
        tas = svc.list_tas(ctx.db, ws, status="selected")
        items.append({"ws": ws, "role": role, "home": ws.home_region,
                      "tas": [t.activity for t in tas]})
    return ctx.render("home.html", {"items": items, "values": values or {}},
                      status_code=status_code, messages=messages or [])


@router.post("/workspaces")
def create_workspace(request: Request, form: FormData,
                     db: DB) -> Response:
    """An administrator creates a workspace for a region and becomes its owner."""
    from fastapi import HTTPException

    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    user = require_user(request)
    if not user.is_admin:
        raise HTTPException(status_code=403, detail="this needs an administrator")
    ctx = PageContext(request, db, user=user)
    name = form_text(form, "name")
    region = form_text(form, "region").upper()
    try:
        ws = svc.create_workspace(db, name, region=region,
                                  description=form_text(form, "description"))
        wsvc.add_member(db, ws, user, "owner")
    except (svc.StoreError, ValueError) as exc:
        db.rollback()
        return _home(ctx, wsvc.user_workspaces(db, user), status_code=form_error_status(exc),
                     messages=[("error", str(exc))], values={"name": name, "region": region})
    return RedirectResponse(f"/w/{ws.slug}", status_code=303)


# -------------------------------------------------------------------------------- invitations


@router.get("/invite/{token}")
def invitation_page(token: str, request: Request, db: DB) -> Response:
    from smartspec.store import web_services as wsvc

    ctx = PageContext(request, db, user=current_user(request))
    try:
        invitation = wsvc.find_invitation(db, token)
    except wsvc.NotFoundError:
        return ctx.render("invite.html", {"invitation": None, "token": ""}, status_code=404)
    return ctx.render("invite.html", {"invitation": invitation, "token": token, "values": {}})


@router.post("/invite/{token}")
def invitation_accept(token: str, request: Request, form: FormData,
                      db: DB) -> Response:
    """Join with the signed-in account, or create an account and join."""
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc
    from smartspec.web import security

    user = current_user(request)
    ctx = PageContext(request, db, user=user)
    try:
        invitation = wsvc.find_invitation(db, token)
    except wsvc.NotFoundError:
        return ctx.render("invite.html", {"invitation": None, "token": ""}, status_code=404)
    slug = invitation.workspace.slug
    if user is not None:
        wsvc.accept_invitation(db, token, user)
        return redirect(f"/w/{slug}", ok="joined")
    values = {"username": form_text(form, "username"),
              "display_name": form_text(form, "display_name")}
    password = form.get("password")
    repeat = form.get("password2")
    try:
        if not isinstance(password, str) or password != repeat:
            raise svc.StoreValidationError(ctx.t("The two passwords differ."))
        new_user = wsvc.create_user(db, values["username"], password,
                                    display_name=values["display_name"], language=ctx.lang)
        wsvc.accept_invitation(db, token, new_user)
    except svc.StoreError as exc:
        db.rollback()
        return ctx.render("invite.html", {"invitation": wsvc.find_invitation(db, token),
                                          "token": token, "values": values},
                          status_code=form_error_status(exc), messages=[("error", str(exc))])
    db.flush()
    security.login(request, new_user.username, password)
    return redirect(f"/w/{slug}", ok="joined")
