"""Accounts (site administrators) and workspace members and invitations (owners)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from smartspec.web.deps import ROLES
from smartspec.web.pages.common import (
    DB,
    Admin,
    Column,
    FormData,
    Owner,
    PageContext,
    PageTable,
    export_response,
    form_error_status,
    form_text,
    redirect,
    table_builder,
)
from smartspec.web.pages.vocab import label as _term

__all__ = ["router"]

router = APIRouter()


# ------------------------------------------------------------------------------------ accounts


def _users_table(ctx: PageContext) -> PageTable:
    from smartspec.store import web_services as wsvc

    t = ctx.t
    rows = [{"_id": u.id, "username": u.username, "display_name": u.display_name,
             "email": u.email, "is_admin": u.is_admin, "active": u.active,
             "language": u.language, "created_at": u.created_at, "_user": u}
            for u in wsvc.list_users(ctx.db)]
    return PageTable(
        key="users", title=t("Accounts"), rows=rows, export="/admin/users/export",
        columns=[Column("username", t("User name"), "code"),
                 Column("display_name", t("Display name")), Column("email", t("E-mail")),
                 Column("is_admin", t("Administrator"), "bool"),
                 Column("active", t("Active"), "bool"), Column("language", t("Language")),
                 Column("created_at", t("Created"), "datetime")])


def _admin_page(ctx: PageContext, *, status_code: int = 200,
                messages: list[tuple[str, Any]] | None = None,
                new_password: tuple[str, str] | None = None,
                values: dict[str, str] | None = None) -> Response:
    return ctx.render("admin_users.html", {"users": _users_table(ctx),
                                           "new_password": new_password,
                                           "values": values or {}},
                      status_code=status_code, messages=messages or [])


@router.get("/admin/users")
def users_page(request: Request, db: DB,
               admin: Admin) -> Response:
    return _admin_page(PageContext(request, db, user=admin))


@router.get("/admin/users/export.{fmt}")
def users_export(fmt: str, request: Request, db: DB,
                 admin: Admin) -> Response:
    ctx = PageContext(request, db, user=admin)
    return export_response(_users_table(ctx), fmt, labels=ctx.labels, filename="users")


@router.post("/admin/users")
def user_create(request: Request, form: FormData, db: DB,
                admin: Admin) -> Response:
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    ctx = PageContext(request, db, user=admin)
    values = {k: form_text(form, k) for k in ("username", "display_name", "email", "language")}
    password = form_text(form, "password")
    try:
        user = wsvc.create_user(db, values["username"], password or wsvc.generate_password(),
                                display_name=values["display_name"],
                                email=values["email"] or None,
                                language=values["language"] or "en",
                                is_admin=form.get("is_admin") == "on")
        shown = None if password else wsvc.reset_password(db, user, by=admin)
    except svc.StoreError as exc:
        return _admin_page(ctx, status_code=form_error_status(exc),
                           messages=[("error", str(exc))], values=values)
    if shown:
        return _admin_page(ctx, new_password=(user.username, shown),
                           messages=[("ok", ctx.t("The account was created."))])
    return redirect("/admin/users", ok="user_created")


@router.post("/admin/users/{user_id}/reset-password")
def user_reset_password(user_id: int, request: Request, db: DB,
                        admin: Admin) -> Response:
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    ctx = PageContext(request, db, user=admin)
    try:
        user = wsvc.get_user(db, user_id)
        password = wsvc.reset_password(db, user, by=admin)
    except svc.StoreError as exc:
        return _admin_page(ctx, status_code=form_error_status(exc),
                           messages=[("error", str(exc))])
    return _admin_page(ctx, new_password=(user.username, password), messages=[
        ("ok", ctx.t("The password was reset; every session of the user has ended."))])


@router.post("/admin/users/{user_id}")
def user_update(user_id: int, request: Request, form: FormData,
                db: DB, admin: Admin) -> Response:
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    ctx = PageContext(request, db, user=admin)
    changes: dict[str, Any] = {}
    for flag in ("active", "is_admin"):
        if form_text(form, flag) in ("true", "false"):
            changes[flag] = form_text(form, flag) == "true"
    try:
        wsvc.update_user(db, user_id, **changes)
    except svc.StoreError as exc:
        return _admin_page(ctx, status_code=form_error_status(exc),
                           messages=[("error", str(exc))])
    return redirect("/admin/users", ok="user_updated")


# ------------------------------------------------------------------------- members (owners)


@table_builder("members", "owner")
def members_table(ctx: PageContext) -> PageTable:
    from smartspec.store import web_services as wsvc

    t = ctx.t
    rows = [{"_id": m.user.id, "username": m.user.username,
             "display_name": m.user.display_name, "role": t(_term(m.role)),
             "_role": m.role, "since": m.created_at}
            for m in wsvc.list_members(ctx.db, ctx.workspace)]
    return PageTable(key="members", title=t("Members"), rows=rows,
                     export=f"{ctx.base}/export/members",
                     columns=[Column("username", t("User name"), "code"),
                              Column("display_name", t("Display name")),
                              Column("role", t("Role")), Column("since", t("Member since"),
                                                                "datetime")])


@table_builder("invitations", "owner")
def invitations_table(ctx: PageContext) -> PageTable:
    from smartspec.store import web_services as wsvc
    from smartspec.store.models import utcnow

    t = ctx.t
    now = utcnow()
    rows = []
    for inv in wsvc.list_invitations(ctx.db, ctx.workspace):
        expires = inv.expires_at if inv.expires_at.tzinfo else inv.expires_at.replace(
            tzinfo=now.tzinfo)
        state = (t("used") if inv.used_at else t("revoked") if inv.revoked
                 else t("expired") if expires <= now else t("open"))
        rows.append({"_id": inv.id, "role": t(_term(inv.role)), "note": inv.note,
                     "created_at": inv.created_at, "expires_at": inv.expires_at,
                     "state": state, "_open": state == t("open")})
    return PageTable(key="invitations", title=t("Invitations"), rows=rows,
                     export=f"{ctx.base}/export/invitations",
                     columns=[Column("role", t("Role")), Column("note", t("Note")),
                              Column("created_at", t("Created"), "datetime"),
                              Column("expires_at", t("Expires"), "datetime"),
                              Column("state", t("State"))])



def _members_page(ctx: PageContext, *, status_code: int = 200,
                  messages: list[tuple[str, Any]] | None = None,
                  link: str | None = None) -> Response:
    return ctx.render("members.html", {"members": members_table(ctx),
                                       "invitations": invitations_table(ctx), "link": link,
                                       "roles": ROLES},
                      status_code=status_code, messages=messages or [], nav="members")


@router.get("/w/{slug}/members")
def members_page(request: Request, db: DB,
                 access: Owner) -> Response:
    return _members_page(PageContext(request, db, access, access.user))


@router.post("/w/{slug}/members/invite")
def invite_create(request: Request, form: FormData,
                  db: DB,
                  access: Owner) -> Response:
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    ctx = PageContext(request, db, access, access.user)
    try:
        token, _inv = wsvc.create_invitation(db, ctx.workspace, form_text(form, "role"),
                                             by=access.user,
                                             days=form_text(form, "days") or 7,
                                             note=form_text(form, "note"))
    except svc.StoreError as exc:
        return _members_page(ctx, status_code=form_error_status(exc),
                             messages=[("error", str(exc))])
    link = str(request.base_url).rstrip("/") + f"/invite/{token}"
    return _members_page(ctx, link=link, messages=[("ok", ctx.t(
        "Invitation created. Copy the link now: it is shown only once."))])


@router.post("/w/{slug}/members/invitations/{invitation_id}/revoke")
def invite_revoke(invitation_id: int, request: Request, db: DB,
                  access: Owner) -> Response:
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    ctx = PageContext(request, db, access, access.user)
    try:
        wsvc.revoke_invitation(db, ctx.workspace, invitation_id)
    except svc.StoreError as exc:
        return _members_page(ctx, status_code=form_error_status(exc),
                             messages=[("error", str(exc))])
    return redirect(f"{ctx.base}/members", ok="invitation_revoked")


@router.post("/w/{slug}/members/{user_id}")
def member_update(user_id: int, request: Request, form: FormData,
                  db: DB,
                  access: Owner) -> Response:
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    ctx = PageContext(request, db, access, access.user)
    try:
        if wsvc.get_membership(db, ctx.workspace, user_id) is None:
            raise svc.NotFoundError("no such member")
        if form_text(form, "remove") == "1":
            wsvc.remove_member(db, ctx.workspace, user_id)
            ok = "member_removed"
        else:
            wsvc.set_role(db, ctx.workspace, user_id, form_text(form, "role"))
            ok = "member_updated"
    except svc.StoreError as exc:
        return _members_page(ctx, status_code=form_error_status(exc),
                             messages=[("error", str(exc))])
    return redirect(f"{ctx.base}/members", ok=ok)
