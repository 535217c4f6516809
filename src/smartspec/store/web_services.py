"""Services of the web platform: accounts, sessions, memberships, invitations and workshops.

Like :mod:`smartspec.store.services`, every function takes an open session; changing functions
run inside a savepoint (nothing of a refused change stays) and every change is audited with
the session's user (``session.info["user"]``, the signed-in user's name in the web app).

Secrets never reach the audit log: password hashes, session and invitation token hashes and
CSRF secrets are written with Core statements (which bypass the ORM's audit hook); the
functions that write them add their own audit entry, without the secret. Only the SHA-256 of
session and invitation tokens is stored; the tokens themselves are returned once, to be put in
a cookie or a link.

Errors are those of :mod:`smartspec.store.services` (:class:`~smartspec.store.services.
StoreValidationError`, :class:`~smartspec.store.services.NotFoundError`,
:class:`~smartspec.store.services.ConflictError`, :class:`~smartspec.store.services.
CrossWorkspaceError`) plus :class:`InvalidCredentials`, :class:`LoginThrottled` and
:class:`PermissionDenied`.

Workshops
---------
An EDW (entrepreneurial discovery workshop) scores candidate activities, an ADW (action
development workshop) scores actions. Each participant gives every item a *capacity* and an
*opportunity* score from 1 to 5 and a comment (Foray's phase I). The aggregate per item is that
of :func:`smartspec.discovery.stakeholders.merge_stakeholder_scores`:

.. math:: \\text{stakeholder\\_score}_i = \\frac{1}{n_i}\\sum_h
          \\frac{(\\text{capacity}_{hi} + \\text{opportunity}_{hi})/2 - 1}{4}

set beside the data-driven score when one is given; the item is flagged when the two differ by
more than ``threshold`` (0.25), and *contested* when the participants disagree among
themselves (standard deviation of capacity or opportunity of at least 1 point).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import services as svc
from .models import ActionRecord, AuditLog, SelectedTA, Workspace, utcnow
from .models_web import (
    LANGUAGES,
    ROLES,
    WORKSHOP_KINDS,
    Invitation,
    LoginAttempt,
    Membership,
    UserRecord,
    WebSession,
    Workshop,
    WorkshopDecision,
    WorkshopScore,
)
from .services import (
    ConflictError,
    CrossWorkspaceError,
    NotFoundError,
    StoreError,
    StoreValidationError,
)

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "InvalidCredentials",
    "LoginThrottled",
    "PermissionDenied",
    "accept_invitation",
    "add_member",
    "authenticate",
    "close_workshop",
    "create_invitation",
    "create_user",
    "create_web_session",
    "end_user_sessions",
    "end_web_session",
    "extend_web_session",
    "find_invitation",
    "find_web_session",
    "generate_password",
    "get_membership",
    "get_user",
    "get_workshop",
    "idle_extension",
    "list_invitations",
    "list_members",
    "list_users",
    "list_workshops",
    "open_workshop",
    "record_decision",
    "remove_member",
    "reset_password",
    "revoke_invitation",
    "role_at_least",
    "score_item",
    "score_rows",
    "select_ta_from_workshop",
    "select_ta_with_evidence",
    "set_password",
    "set_role",
    "update_user",
    "user_workspaces",
    "workshop_aggregate",
    "workshop_minutes",
]

#: Shortest password accepted.
MIN_PASSWORD_LENGTH = 10
#: Longest password accepted (Argon2 hashes anything, but a megabyte password is an attack).
MAX_PASSWORD_LENGTH = 1024
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_ITEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_MAX_ID = 2_147_483_647
#: Stakeholders disagree among themselves when a criterion's standard deviation reaches this.
CONTESTED_SD = 1.0

T = TypeVar("T")


class InvalidCredentials(StoreError):
    """Unknown user name, wrong password or inactive account (deliberately one message)."""


class LoginThrottled(StoreError):
    """Too many failed logins; try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = int(retry_after)


class PermissionDenied(StoreError):
    """The acting user may not do this (e.g. reset a password without being an administrator)."""


def _atomic(func_: Callable[..., T]) -> Callable[..., T]:
    """Run a changing service inside a savepoint: on error, none of its changes remain."""

    @functools.wraps(func_)
    def wrapper(session: Session, *args: Any, **kwargs: Any) -> T:
        try:
            with session.begin_nested():
                result = func_(session, *args, **kwargs)
                session.flush()
                return result
        except IntegrityError as exc:
            first = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
            raise StoreError(f"{func_.__name__}: the database refused the change: "
                             f"{first}") from exc

    return wrapper


def _audit(session: Session, *, action: str, table: str, object_id: Any,
           workspace_id: int | None = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> None:
    """An audit entry written by hand (for rows changed with Core statements)."""
    session.add(AuditLog(workspace_id=workspace_id, who=str(session.info.get("user") or "system"),
                         at=utcnow(), action=action, table_name=table, object_id=str(object_id),
                         before=before, after=after,
                         context=str(session.info.get("context") or "")))


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def role_at_least(role: str | None, min_role: str) -> bool:
    """Whether ``role`` is ``min_role`` or a more powerful one (:data:`ROLES` order)."""
    if min_role not in ROLES:
        raise ValueError(f"unknown role {min_role!r}; roles are {', '.join(ROLES)}")
    return role in ROLES and ROLES.index(role) >= ROLES.index(min_role)


def _role(role: Any) -> str:
    if role not in ROLES:
        raise StoreValidationError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    return str(role)


# ------------------------------------------------------------------------------------- users


def _username(value: Any) -> str:
    text = str(value or "").strip().lower()
    if not _USERNAME.match(text):
        raise StoreValidationError(
            f"user name {value!r} must be 2-80 characters: lower-case letters, digits, '.', '_' "
            "or '-', starting with a letter or digit")
    return text


def _password(password: Any, username: str | None = None) -> str:
    if not isinstance(password, str):
        raise StoreValidationError("the password must be text")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StoreValidationError(f"the password must have at least {MIN_PASSWORD_LENGTH} "
                                   "characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StoreValidationError(f"the password must have at most {MAX_PASSWORD_LENGTH} "
                                   "characters")
    if username and password.strip().lower() == username:
        raise StoreValidationError("the password must differ from the user name")
    return password


def _email(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if len(text) > 320 or not _EMAIL.match(text):
        raise StoreValidationError(f"e-mail address {value!r} is not valid")
    return text


def _language(value: Any) -> str:
    text = str(value or "en").strip().lower()
    if text not in LANGUAGES:
        raise StoreValidationError(f"language must be one of {', '.join(LANGUAGES)}, got "
                                   f"{value!r}")
    return text


def generate_password() -> str:
    """A random password (16 URL-safe characters, 96 bits)."""
    return secrets.token_urlsafe(12)


@_atomic
def create_user(session: Session, username: str, password: str, *, display_name: str = "",
                email: str | None = None, is_admin: bool = False, language: str = "en",
                active: bool = True) -> UserRecord:
    """Create an account (the password is stored as an Argon2id hash).

    Raises
    ------
    StoreValidationError
        Bad user name (2-80 of ``a-z 0-9 . _ -``), password shorter than
        :data:`MIN_PASSWORD_LENGTH` or equal to the user name, bad e-mail or language.
    ConflictError
        The user name is taken.
    """
    from smartspec.web.security import hash_password

    name = _username(username)
    values = {
        "username": name,
        "display_name": svc._text(display_name, "display name", max_len=200) or name,
        "email": _email(email),
        "is_admin": bool(is_admin),
        "active": bool(active),
        "language": _language(language),
    }
    _password(password, name)
    if session.scalar(select(UserRecord.id).where(UserRecord.username == name)) is not None:
        raise ConflictError(f"the user name {name!r} is taken")
    now = utcnow()
    result = session.execute(insert(UserRecord.__table__).values(
        **values, password_hash=hash_password(password), created_at=now,
        password_changed_at=now))
    user_id = int(result.inserted_primary_key[0])
    _audit(session, action="create", table="users", object_id=user_id,
           after={**values, "id": user_id, "password": "set"})
    user = session.get(UserRecord, user_id, populate_existing=True)
    assert user is not None
    return user


def get_user(session: Session, ref: UserRecord | int | str) -> UserRecord:
    """A user by object, id or user name.

    Raises
    ------
    NotFoundError
    """
    if isinstance(ref, UserRecord):
        return ref
    if isinstance(ref, int) and not isinstance(ref, bool):
        found = session.get(UserRecord, ref)
    elif isinstance(ref, str):
        found = session.scalar(select(UserRecord).where(
            UserRecord.username == ref.strip().lower()))
    else:
        raise StoreValidationError(f"a user is given by id or user name, got {ref!r}")
    if found is None:
        raise NotFoundError(f"no user {ref!r}")
    return found


def list_users(session: Session) -> list[UserRecord]:
    """Every account, by user name."""
    return list(session.scalars(select(UserRecord).order_by(UserRecord.username)))


def _active_admins(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(UserRecord).where(
        UserRecord.is_admin.is_(True), UserRecord.active.is_(True))) or 0)


@_atomic
def update_user(session: Session, user: UserRecord | int | str, **changes: Any) -> UserRecord:
    """Change ``display_name``, ``email``, ``language``, ``is_admin`` or ``active``.

    Deactivating a user ends its sessions. The last active administrator can be neither
    deactivated nor demoted.
    """
    record = get_user(session, user)
    allowed = ("display_name", "email", "language", "is_admin", "active")
    svc._reject_unknown(changes, allowed, f"user {record.username!r}")
    values: dict[str, Any] = {}
    if "display_name" in changes:
        values["display_name"] = (svc._text(changes["display_name"], "display name",
                                            max_len=200) or record.username)
    if "email" in changes:
        values["email"] = _email(changes["email"])
    if "language" in changes:
        values["language"] = _language(changes["language"])
    for flag in ("is_admin", "active"):
        if flag in changes:
            if not isinstance(changes[flag], bool):
                raise StoreValidationError(f"{flag} must be true or false")
            values[flag] = changes[flag]
    losing_admin = record.is_admin and record.active and (
        values.get("is_admin") is False or values.get("active") is False)
    if losing_admin and _active_admins(session) <= 1:
        raise ConflictError(f"{record.username!r} is the last active administrator")
    for key, value in values.items():
        if getattr(record, key) != value:
            setattr(record, key, value)
    if values.get("active") is False:
        end_user_sessions(session, record)
    return record


@_atomic
def set_password(session: Session, user: UserRecord | int | str, new_password: str, *,
                 current_password: str | None = None,
                 keep_session: int | None = None) -> None:
    """Change a user's own password (checking ``current_password`` when given).

    Every other session of the user ends (``keep_session``: the id of the one to keep).

    Raises
    ------
    InvalidCredentials
        ``current_password`` is wrong.
    StoreValidationError
        The new password is too short, too long or the user name.
    """
    from smartspec.web.security import hash_password, verify_password

    record = get_user(session, user)
    if current_password is not None and not verify_password(record.password_hash,
                                                            current_password):
        raise InvalidCredentials("the current password is wrong")
    _password(new_password, record.username)
    _write_password(session, record, hash_password(new_password))
    end_user_sessions(session, record, keep=keep_session)
    _audit(session, action="update", table="users", object_id=record.id,
           before={"password": "old"}, after={"password": "changed by the user"})


def _write_password(session: Session, record: UserRecord, password_hash: str) -> None:
    now = utcnow()
    session.execute(update(UserRecord.__table__).where(UserRecord.__table__.c.id == record.id)
                    .values(password_hash=password_hash, password_changed_at=now))
    session.expire(record, ["password_hash", "password_changed_at"])


@_atomic
def reset_password(session: Session, user: UserRecord | int | str, *, by: UserRecord,
                   new_password: str | None = None) -> str:
    """An administrator sets a new password for ``user`` (generated when not given).

    Every session of the user ends. Returns the new password (to hand over to the user).

    Raises
    ------
    PermissionDenied
        ``by`` is not an active administrator.
    """
    from smartspec.web.security import hash_password

    if not (by.is_admin and by.active):
        raise PermissionDenied("only an administrator can reset a password")
    record = get_user(session, user)
    password = generate_password() if new_password is None else new_password
    _password(password, record.username)
    _write_password(session, record, hash_password(password))
    end_user_sessions(session, record)
    _audit(session, action="update", table="users", object_id=record.id,
           before={"password": "old"}, after={"password": f"reset by {by.username}"})
    return password


def _throttle(session: Session, column: Any, value: str, limit: int, window: dt.timedelta,
              now: dt.datetime, *, since_success: bool) -> int | None:
    """Seconds until the next attempt is allowed, or None when it is allowed now."""
    start = now - window
    query = select(LoginAttempt.at).where(column == value, LoginAttempt.at > start,
                                          LoginAttempt.success.is_(False))
    if since_success:
        last_ok = session.scalar(select(func.max(LoginAttempt.at)).where(
            column == value, LoginAttempt.success.is_(True), LoginAttempt.at > start))
        if last_ok is not None:
            query = query.where(LoginAttempt.at > last_ok)
    failures = sorted(_aware(t) for t in session.scalars(query))
    if len(failures) < limit:
        return None
    lifts = failures[len(failures) - limit] + window
    return max(1, math.ceil((lifts - now).total_seconds()))


def authenticate(session: Session, username: str, password: str, *, ip: str | None = None,
                 max_attempts: int = 5, ip_max_attempts: int = 50,
                 window: dt.timedelta = dt.timedelta(minutes=15),
                 now: dt.datetime | None = None,
                 before_hashing: Callable[[], None] | None = None,
                 after_hashing: Callable[[], None] | None = None) -> UserRecord:
    """Check a user name and password, under the login rate limit; record the attempt.

    A user name is locked after ``max_attempts`` failures within ``window`` since its last
    success; a client address after ``ip_max_attempts`` failures within ``window``. Refused
    (throttled) attempts are not recorded, so the lock lifts when the failures age out. An
    unknown user name costs the same hash verification as a known one. A hash made with
    outdated Argon2 parameters is upgraded.

    ``before_hashing`` is called after the reads and before the (deliberately slow) hash
    verification, ``after_hashing`` after it, before the attempt is written: the web
    application ends its transaction and leaves its queue of writers in between, so that
    nothing waits for a hash.

    Raises
    ------
    LoginThrottled
        Locked; ``retry_after`` seconds to wait.
    InvalidCredentials
        Unknown user, wrong password or inactive account.
    """
    from smartspec.web.security import dummy_hash, hash_password, needs_rehash, verify_password

    now = now or utcnow()
    name = str(username or "").strip().lower()[:80]
    ip = ip[:45] if ip else None
    waits = [_throttle(session, LoginAttempt.username, name, max_attempts, window, now,
                       since_success=True)]
    if ip:
        waits.append(_throttle(session, LoginAttempt.ip, ip, ip_max_attempts, window, now,
                               since_success=False))
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise LoginThrottled(f"too many failed logins; try again in {wait} s", wait)
    user = session.scalar(select(UserRecord).where(UserRecord.username == name)) if name else None
    candidate = password if isinstance(password, str) else ""
    if len(candidate) > MAX_PASSWORD_LENGTH:
        candidate = ""
    if before_hashing is not None:
        before_hashing()
    try:
        if user is not None:
            ok = verify_password(user.password_hash, candidate) and bool(candidate)
        else:
            verify_password(dummy_hash(), candidate)
            ok = False
    finally:
        if after_hashing is not None:
            after_hashing()
    ok = ok and user is not None and user.active
    session.execute(insert(LoginAttempt.__table__).values(username=name, ip=ip, at=now,
                                                          success=ok))
    # keep the table small: attempts older than a day (or four windows) are of no use
    horizon = now - max(dt.timedelta(days=1), 4 * window)
    session.execute(delete(LoginAttempt.__table__).where(LoginAttempt.__table__.c.at < horizon))
    if not ok:
        raise InvalidCredentials("invalid user name or password")
    assert user is not None
    if needs_rehash(user.password_hash):
        _write_password(session, user, hash_password(candidate))
    return user


# ----------------------------------------------------------------------------------- sessions


def create_web_session(session: Session, user: UserRecord, *,
                       lifetime: dt.timedelta = dt.timedelta(hours=12),
                       idle: dt.timedelta | None = None,
                       ip: str | None = None) -> tuple[str, WebSession]:
    """Start a server-side session; returns ``(token, session row)``.

    The token goes into the cookie; only its SHA-256 is stored. The session ends ``lifetime``
    after the login at the latest, and, with ``idle``, after ``idle`` without a request (its
    ``expires_at`` then slides forward with use: :func:`idle_extension`).
    """
    from smartspec.web.security import hash_token, new_token

    token = new_token()
    now = utcnow()
    first = min(lifetime, idle) if idle else lifetime
    result = session.execute(insert(WebSession.__table__).values(
        token_hash=hash_token(token), user_id=user.id, created_at=now, expires_at=now + first,
        csrf_secret=new_token(), ip=ip[:45] if ip else None))
    record = session.get(WebSession, int(result.inserted_primary_key[0]),
                         populate_existing=True)  # ids of deleted rows come back on SQLite
    assert record is not None
    # expired sessions of anyone are removed now and then (cheap: indexed)
    session.execute(delete(WebSession.__table__).where(WebSession.__table__.c.expires_at < now))
    return token, record


def find_web_session(session: Session, token: str | None, *,
                     now: dt.datetime | None = None) -> WebSession | None:
    """The live session of ``token`` (not expired, active user), or None."""
    from smartspec.web.security import hash_token

    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    record = session.scalar(select(WebSession).where(WebSession.token_hash == hash_token(token)))
    if record is None or _aware(record.expires_at) <= now or not record.user.active:
        return None
    return record


def idle_extension(record: WebSession, *, lifetime: dt.timedelta, idle: dt.timedelta | None,
                   now: dt.datetime | None = None) -> dt.datetime | None:
    """The new end of a live session that has just been used, or None to leave it as it is.

    With an idle timeout, a session ends ``idle`` after its last request, and never later than
    ``lifetime`` after its login: the new end is ``min(created_at + lifetime, now + idle)``.
    So that a busy session is not rewritten on every request, the end only moves when it would
    move by more than a tenth of ``idle`` (five minutes at most); a session is therefore
    sure to live ``idle`` minus that step after its last request.
    """
    if not idle:
        return None
    now = now or utcnow()
    target = min(_aware(record.created_at) + lifetime, now + idle)
    step = min(idle / 10, dt.timedelta(minutes=5))
    return target if target - _aware(record.expires_at) > step else None


def extend_web_session(session: Session, session_id: int, expires_at: dt.datetime) -> None:
    """Move the end of session ``session_id`` to ``expires_at`` (never backwards)."""
    table = WebSession.__table__
    session.execute(update(table).where(table.c.id == int(session_id),
                                        table.c.expires_at < expires_at)
                    .values(expires_at=expires_at))


def end_web_session(session: Session, token: str) -> None:
    """End the session of ``token`` (nothing happens for an unknown token)."""
    from smartspec.web.security import hash_token

    session.execute(delete(WebSession.__table__).where(
        WebSession.__table__.c.token_hash == hash_token(token)))


def end_user_sessions(session: Session, user: UserRecord, *, keep: int | None = None) -> None:
    """End every session of ``user`` (except the session with id ``keep``)."""
    table = WebSession.__table__
    query = delete(table).where(table.c.user_id == user.id)
    if keep is not None:
        query = query.where(table.c.id != keep)
    session.execute(query)


# -------------------------------------------------------------------------------- memberships


def get_membership(session: Session, workspace: Workspace | str | int,
                   user: UserRecord | int) -> Membership | None:
    """The user's membership of the workspace, or None."""
    ws = svc.get_workspace(session, workspace)
    user_id = user.id if isinstance(user, UserRecord) else int(user)
    return session.scalar(select(Membership).where(Membership.workspace_id == ws.id,
                                                   Membership.user_id == user_id))


def list_members(session: Session, workspace: Workspace | str | int) -> list[Membership]:
    """The workspace's memberships, most powerful role first, then by user name."""
    ws = svc.get_workspace(session, workspace)
    rows = session.scalars(select(Membership).where(Membership.workspace_id == ws.id)).all()
    return sorted(rows, key=lambda m: (-ROLES.index(m.role), m.user.username))


def user_workspaces(session: Session, user: UserRecord) -> list[tuple[Workspace, str]]:
    """The workspaces of which ``user`` is a member, with the role, by slug."""
    rows = session.execute(select(Workspace, Membership.role).join(
        Membership, Membership.workspace_id == Workspace.id).where(
        Membership.user_id == user.id).order_by(Workspace.slug)).all()
    return [(ws, role) for ws, role in rows]


@_atomic
def add_member(session: Session, workspace: Workspace | str | int, user: UserRecord | int | str,
               role: str) -> Membership:
    """Give ``user`` a role in the workspace.

    Raises
    ------
    ConflictError
        The user is already a member (use :func:`set_role`).
    """
    ws = svc.get_workspace(session, workspace)
    record = get_user(session, user)
    role = _role(role)
    if get_membership(session, ws, record) is not None:
        raise ConflictError(f"{record.username!r} is already a member of {ws.slug!r}")
    membership = Membership(workspace_id=ws.id, user_id=record.id, role=role)
    session.add(membership)
    return membership


def _owners(session: Session, ws: Workspace) -> int:
    return int(session.scalar(select(func.count()).select_from(Membership).where(
        Membership.workspace_id == ws.id, Membership.role == "owner")) or 0)


@_atomic
def set_role(session: Session, workspace: Workspace | str | int, user: UserRecord | int | str,
             role: str) -> Membership:
    """Change a member's role (the last owner cannot be demoted).

    Raises
    ------
    NotFoundError, ConflictError
    """
    ws = svc.get_workspace(session, workspace)
    record = get_user(session, user)
    role = _role(role)
    membership = get_membership(session, ws, record)
    if membership is None:
        raise NotFoundError(f"{record.username!r} is not a member of {ws.slug!r}")
    if membership.role == "owner" and role != "owner" and _owners(session, ws) <= 1:
        raise ConflictError(f"{record.username!r} is the last owner of {ws.slug!r}")
    membership.role = role
    return membership


@_atomic
def remove_member(session: Session, workspace: Workspace | str | int,
                  user: UserRecord | int | str) -> None:
    """Remove a member (not the last owner)."""
    ws = svc.get_workspace(session, workspace)
    record = get_user(session, user)
    membership = get_membership(session, ws, record)
    if membership is None:
        raise NotFoundError(f"{record.username!r} is not a member of {ws.slug!r}")
    if membership.role == "owner" and _owners(session, ws) <= 1:
        raise ConflictError(f"{record.username!r} is the last owner of {ws.slug!r}")
    session.delete(membership)


# -------------------------------------------------------------------------------- invitations


@_atomic
def create_invitation(session: Session, workspace: Workspace | str | int, role: str, *,
                      by: UserRecord | None = None, days: float = 7.0,
                      note: str = "") -> tuple[str, Invitation]:
    """An invitation link's token for ``role`` in the workspace, valid for ``days``.

    Returns ``(token, invitation)``; only the token's hash is stored, so the token (the link)
    is shown once.
    """
    from smartspec.web.security import hash_token, new_token

    ws = svc.get_workspace(session, workspace)
    role = _role(role)
    try:
        days = float(days)
    except (TypeError, ValueError):
        raise StoreValidationError(f"days must be a number, got {days!r}") from None
    if not (1 / 24 <= days <= 90):
        raise StoreValidationError(f"an invitation is valid for 1 hour to 90 days, got {days}")
    note = svc._text(note, "invitation note", max_len=1000)
    token = new_token()
    now = utcnow()
    values = {"workspace_id": ws.id, "role": role, "note": note,
              "created_by": by.id if by is not None else None, "created_at": now,
              "expires_at": now + dt.timedelta(days=days), "revoked": False}
    result = session.execute(insert(Invitation.__table__).values(token_hash=hash_token(token),
                                                                 **values))
    inv_id = int(result.inserted_primary_key[0])
    _audit(session, action="create", table="invitations", object_id=inv_id, workspace_id=ws.id,
           after={**{k: v for k, v in values.items() if k not in ("created_at", "expires_at")},
                  "expires_at": values["expires_at"].isoformat(), "id": inv_id})
    invitation = session.get(Invitation, inv_id, populate_existing=True)
    assert invitation is not None
    return token, invitation


def find_invitation(session: Session, token: str | None, *,
                    now: dt.datetime | None = None) -> Invitation:
    """The usable invitation of ``token``.

    Raises
    ------
    NotFoundError
        Unknown, used, revoked or expired (one message for all).
    """
    from smartspec.web.security import hash_token

    now = now or utcnow()
    found = None
    if token and len(token) <= 200:
        found = session.scalar(select(Invitation).where(
            Invitation.token_hash == hash_token(token)))
    if (found is None or found.used_at is not None or found.revoked
            or _aware(found.expires_at) <= now):
        raise NotFoundError("this invitation link is unknown, used, revoked or expired")
    return found


@_atomic
def accept_invitation(session: Session, token: str, user: UserRecord) -> Membership:
    """Use an invitation: ``user`` joins the workspace with the invitation's role.

    A user who is already a member keeps the more powerful of the two roles. The invitation
    is then used up.
    """
    invitation = find_invitation(session, token)
    ws = invitation.workspace
    membership = get_membership(session, ws, user)
    if membership is None:
        membership = Membership(workspace_id=ws.id, user_id=user.id, role=invitation.role)
        session.add(membership)
    elif ROLES.index(invitation.role) > ROLES.index(membership.role):
        membership.role = invitation.role
    invitation.used_by = user.id
    invitation.used_at = utcnow()
    return membership


def list_invitations(session: Session, workspace: Workspace | str | int) -> list[Invitation]:
    """The workspace's invitations, newest first."""
    ws = svc.get_workspace(session, workspace)
    return list(session.scalars(select(Invitation).where(Invitation.workspace_id == ws.id)
                                .order_by(Invitation.id.desc())))


@_atomic
def revoke_invitation(session: Session, workspace: Workspace | str | int,
                      invitation: Invitation | int) -> Invitation:
    """Revoke an unused invitation of the workspace."""
    ws = svc.get_workspace(session, workspace)
    found = (invitation if isinstance(invitation, Invitation)
             else session.get(Invitation, svc._optional_int(invitation, "invitation id")))
    if found is None:
        raise NotFoundError(f"workspace {ws.slug!r} has no invitation {invitation!r}")
    if found.workspace_id != ws.id:
        raise CrossWorkspaceError(f"invitation {found.id} belongs to another workspace")
    if found.used_at is not None:
        raise ConflictError(f"invitation {found.id} has been used already")
    found.revoked = True
    return found


# ---------------------------------------------------------------------------------- workshops


def get_workshop(session: Session, workspace: Workspace | str | int,
                 workshop: Workshop | int) -> Workshop:
    """A workspace's workshop by object or id.

    Raises
    ------
    NotFoundError, CrossWorkspaceError
    """
    ws = svc.get_workspace(session, workspace)
    found = (workshop if isinstance(workshop, Workshop)
             else session.get(Workshop, svc._optional_int(workshop, "workshop id")))
    if found is None:
        raise NotFoundError(f"workspace {ws.slug!r} has no workshop {workshop!r}")
    if found.workspace_id != ws.id:
        raise CrossWorkspaceError(f"workshop {found.id} belongs to another workspace")
    return found


def list_workshops(session: Session, workspace: Workspace | str | int, *,
                   kind: str | None = None, status: str | None = None) -> list[Workshop]:
    """The workspace's workshops, newest first."""
    ws = svc.get_workspace(session, workspace)
    query = select(Workshop).where(Workshop.workspace_id == ws.id)
    if kind is not None:
        query = query.where(Workshop.kind == kind)
    if status is not None:
        query = query.where(Workshop.status == status)
    return list(session.scalars(query.order_by(Workshop.id.desc())))


def _items(session: Session, ws: Workspace, kind: str, items: Iterable[Any] | None,
           ta: SelectedTA | None) -> list[str]:
    if items is None:
        if kind == "edw":
            raise StoreValidationError("an EDW needs the candidate activities to score")
        actions = svc.list_actions(session, ws, ta=ta) if ta is not None else \
            svc.list_actions(session, ws)
        items = [a.id for a in actions if a.status != "cancelled"]
    if isinstance(items, str | bytes) or isinstance(items, Mapping):
        raise StoreValidationError("items must be a list")
    out: list[str] = []
    for raw in items:
        text = str(raw).strip()
        if not _ITEM.match(text):
            raise StoreValidationError(f"workshop item {raw!r} is not an activity code or an "
                                       "action id")
        if kind == "adw":
            action_id = svc._optional_int(text, "action id")
            if action_id is None or not 1 <= action_id <= _MAX_ID:
                raise NotFoundError(f"workspace {ws.slug!r} has no action {text!r}")
            svc.get_action(session, ws, action_id)
        if text not in out:
            out.append(text)
    if not out:
        raise StoreValidationError("a workshop needs at least one item to score")
    if len(out) > 200:
        raise StoreValidationError(f"a workshop scores at most 200 items, got {len(out)}")
    return out


@_atomic
def open_workshop(session: Session, workspace: Workspace | str | int, kind: str, *,
                  title: str, by: UserRecord | None = None,
                  items: Iterable[Any] | None = None,
                  ta: SelectedTA | str | int | None = None) -> Workshop:
    """Open a workshop session (one open session per kind and workspace).

    Parameters
    ----------
    kind : ``"edw"`` (items: activity codes, required) or ``"adw"`` (items: action ids of the
        workspace; default: the TA's (or every) action that is not cancelled).
    ta : the TA an ADW is about (optional).

    Raises
    ------
    StoreValidationError, NotFoundError, CrossWorkspaceError, ConflictError
    """
    ws = svc.get_workspace(session, workspace)
    if kind not in WORKSHOP_KINDS:
        raise StoreValidationError(f"workshop kind must be one of {WORKSHOP_KINDS}, got "
                                   f"{kind!r}")
    ta_record = svc.get_ta(session, ws, ta) if ta is not None else None
    title = svc._text(title, "workshop title", max_len=300, required=True)
    if session.scalar(select(Workshop.id).where(Workshop.workspace_id == ws.id,
                                                Workshop.kind == kind,
                                                Workshop.status == "open")) is not None:
        raise ConflictError(f"workspace {ws.slug!r} already has an open {kind.upper()}; "
                            "close it first")
    workshop = Workshop(workspace_id=ws.id, kind=kind, title=title, status="open",
                        ta_id=ta_record.id if ta_record else None,
                        items=_items(session, ws, kind, items, ta_record),
                        opened_by=by.id if by is not None else None)
    session.add(workshop)
    return workshop


def _score(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise StoreValidationError(f"{what} must be a whole number from 1 to 5, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise StoreValidationError(f"{what} must be a whole number from 1 to 5, got "
                                   f"{value!r}") from None
    if not number.is_integer() or not 1 <= number <= 5:
        raise StoreValidationError(f"{what} must be a whole number from 1 to 5, got {value!r}")
    return int(number)


def _open(workshop: Workshop) -> None:
    if workshop.status != "open":
        raise ConflictError(f"workshop {workshop.id} ({workshop.title!r}) is closed")


def _item_of(workshop: Workshop, item: Any) -> str:
    text = str(item).strip()
    if text not in (workshop.items or []):
        raise StoreValidationError(f"{item!r} is not an item of workshop {workshop.id}")
    return text


@_atomic
def score_item(session: Session, workspace: Workspace | str | int, workshop: Workshop | int,
               user: UserRecord, item: Any, *, capacity: Any, opportunity: Any,
               comment: str = "") -> WorkshopScore:
    """Record (or replace) a participant's scores and comment on an item of an open workshop.

    Raises
    ------
    StoreValidationError
        A score that is not a whole number from 1 to 5, an item not in the workshop, a comment
        over 5000 characters.
    ConflictError
        The workshop is closed.
    """
    ws = svc.get_workspace(session, workspace)
    record = get_workshop(session, ws, workshop)
    _open(record)
    key = _item_of(record, item)
    values = {"capacity": _score(capacity, "capacity"),
              "opportunity": _score(opportunity, "opportunity"),
              "comment": svc._text(comment, "comment", max_len=5000)}
    existing = session.scalar(select(WorkshopScore).where(
        WorkshopScore.workshop_id == record.id, WorkshopScore.user_id == user.id,
        WorkshopScore.item == key))
    if existing is not None:
        for name, value in values.items():
            if getattr(existing, name) != value:
                setattr(existing, name, value)
        return existing
    score = WorkshopScore(workspace_id=ws.id, workshop_id=record.id, user_id=user.id, item=key,
                          **values)
    session.add(score)
    return score


def _by_item_and_user(record: Workshop) -> Callable[[str, str], tuple[int, str]]:
    """Sort key of a workshop's scores: the item's place in the workshop, then user name."""
    order = {item: i for i, item in enumerate(record.items or [])}
    return lambda item, username: (order.get(item, len(order)), username)


def list_scores(session: Session, workspace: Workspace | str | int,
                workshop: Workshop | int, *, user: UserRecord | None = None
                ) -> list[WorkshopScore]:
    """The scores of a workshop (of one ``user``, when given), by item and participant."""
    record = get_workshop(session, workspace, workshop)
    query = select(WorkshopScore).where(WorkshopScore.workshop_id == record.id)
    if user is not None:
        query = query.where(WorkshopScore.user_id == user.id)
    key = _by_item_and_user(record)
    return sorted(session.scalars(query).all(), key=lambda s: key(s.item, s.user.username))


def score_rows(session: Session, workspace: Workspace | str | int, workshop: Workshop | int,
               *, user: UserRecord | None = None) -> list[dict[str, Any]]:
    """The scores of a workshop (of one ``user``, when given) as plain rows, in the order of
    :func:`list_scores`: ``item, user_id, username, display_name, capacity, opportunity,
    comment, updated_at``. One query and no ORM objects (the pages read these on every
    change of a live workshop)."""
    record = get_workshop(session, workspace, workshop)
    sc, us = WorkshopScore.__table__.c, UserRecord.__table__.c
    query = (select(sc.item, sc.user_id, us.username, us.display_name, sc.capacity,
                    sc.opportunity, sc.comment, sc.updated_at)
             .join_from(WorkshopScore.__table__, UserRecord.__table__, us.id == sc.user_id)
             .where(sc.workshop_id == record.id))
    if user is not None:
        query = query.where(sc.user_id == user.id)
    key = _by_item_and_user(record)
    return sorted((dict(r) for r in session.execute(query).mappings()),
                  key=lambda r: key(r["item"], r["username"]))


@_atomic
def record_decision(session: Session, workspace: Workspace | str | int,
                    workshop: Workshop | int, item: Any, decision: str, *,
                    by: UserRecord | None = None) -> WorkshopDecision:
    """Record the facilitator's decision on an item of an open workshop."""
    ws = svc.get_workspace(session, workspace)
    record = get_workshop(session, ws, workshop)
    _open(record)
    row = WorkshopDecision(workspace_id=ws.id, workshop_id=record.id,
                           item=_item_of(record, item),
                           decision=svc._text(decision, "decision", max_len=10000,
                                              required=True),
                           decided_by=by.id if by is not None else None)
    session.add(row)
    return row


def list_decisions(session: Session, workspace: Workspace | str | int,
                   workshop: Workshop | int) -> list[WorkshopDecision]:
    """The decisions of a workshop, oldest first."""
    record = get_workshop(session, workspace, workshop)
    return list(session.scalars(select(WorkshopDecision).where(
        WorkshopDecision.workshop_id == record.id).order_by(WorkshopDecision.id)))


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def workshop_aggregate(session: Session, workspace: Workspace | str | int,
                       workshop: Workshop | int, *,
                       data_scores: Mapping[str, float] | None = None,
                       threshold: float = 0.25) -> list[dict[str, Any]]:
    """The live aggregate per item (see the module docstring), in the workshop's item order.

    Parameters
    ----------
    data_scores : the data-driven score (0-1) of each item, e.g. the candidates' ``score``.
    threshold : disagreement threshold between the stakeholder and the data score.

    Returns
    -------
    list of dict
        ``item, n, capacity_mean, capacity_sd, opportunity_mean, opportunity_sd,
        stakeholder_score, stakeholder_sd, data_score, difference, disagreement, contested,
        comments`` (numbers are None where nobody scored).
    """
    from smartspec.discovery.stakeholders import item_summary

    record = get_workshop(session, workspace, workshop)
    items = list(record.items or [])
    scores = score_rows(session, workspace, record)
    data = {str(k): _finite(v) for k, v in (data_scores or {}).items()}
    by_item: dict[str, list[tuple[str, float, float]]] = {i: [] for i in items}
    comments: dict[str, list[dict[str, str]]] = {i: [] for i in items}
    for s in scores:
        by_item.setdefault(s["item"], []).append((s["username"], s["capacity"],
                                                  s["opportunity"]))
        if s["comment"]:
            comments.setdefault(s["item"], []).append({"user": s["username"],
                                                       "display_name": s["display_name"],
                                                       "comment": s["comment"]})
    out = []
    for item in items:
        # the arithmetic of smartspec.discovery.merge_stakeholder_scores, for one item
        agg = item_summary(by_item[item], data.get(item), threshold=threshold)
        n = int(agg["n_stakeholders"])
        cap_sd, opp_sd = _finite(agg["capacity_sd"]), _finite(agg["opportunity_sd"])
        out.append({
            "item": item, "n": n,
            "capacity_mean": _finite(agg["capacity_mean"]), "capacity_sd": cap_sd,
            "opportunity_mean": _finite(agg["opportunity_mean"]), "opportunity_sd": opp_sd,
            "stakeholder_score": _finite(agg["stakeholder_score"]),
            "stakeholder_sd": _finite(agg["stakeholder_sd"]),
            "data_score": data.get(item),
            "difference": _finite(agg["score_difference"]),
            "disagreement": bool(agg["disagreement"]) if n else False,
            "contested": bool(n >= 2 and max(cap_sd or 0.0, opp_sd or 0.0) >= CONTESTED_SD),
            "comments": comments.get(item, []),
        })
    return out


def _iso(value: dt.datetime | None) -> str | None:
    return _aware(value).isoformat() if value is not None else None


def workshop_minutes(session: Session, workspace: Workspace | str | int,
                     workshop: Workshop | int, *,
                     data_scores: Mapping[str, float] | None = None) -> dict[str, Any]:
    """The minutes: the workshop, participants, aggregate, every score and comment, decisions.

    A closed workshop returns the minutes stored when it closed; an open one the minutes so
    far.
    """
    record = get_workshop(session, workspace, workshop)
    if record.status == "closed" and record.minutes:
        return dict(record.minutes)
    scores = score_rows(session, workspace, record)
    decisions = list_decisions(session, workspace, record)
    users = {s["username"]: s["display_name"] for s in scores}
    opener = session.get(UserRecord, record.opened_by) if record.opened_by else None
    deciders = {u.id: u.username for u in session.scalars(select(UserRecord).where(
        UserRecord.id.in_({d.decided_by for d in decisions if d.decided_by})))}
    return {
        "workshop": {"id": record.id, "kind": record.kind, "title": record.title,
                     "status": record.status, "ta_id": record.ta_id,
                     "opened_by": opener.username if opener else None,
                     "opened_at": _iso(record.opened_at), "closed_at": _iso(record.closed_at),
                     "items": list(record.items or [])},
        "participants": [{"username": u, "display_name": d} for u, d in sorted(users.items())],
        "aggregate": workshop_aggregate(session, workspace, record, data_scores=data_scores),
        "scores": [{"item": s["item"], "username": s["username"], "capacity": s["capacity"],
                    "opportunity": s["opportunity"], "comment": s["comment"],
                    "at": _iso(s["updated_at"])} for s in scores],
        "decisions": [{"item": d.item, "decision": d.decision,
                       "by": deciders.get(d.decided_by) if d.decided_by else None,
                       "at": _iso(d.decided_at)} for d in decisions],
        "generated_at": utcnow().isoformat(),
    }


@_atomic
def close_workshop(session: Session, workspace: Workspace | str | int,
                   workshop: Workshop | int, *,
                   data_scores: Mapping[str, float] | None = None) -> Workshop:
    """Close an open workshop and store its minutes (:func:`workshop_minutes`)."""
    ws = svc.get_workspace(session, workspace)
    record = get_workshop(session, ws, workshop)
    _open(record)
    now = utcnow()
    minutes = workshop_minutes(session, ws, record, data_scores=data_scores)
    minutes["workshop"].update(status="closed", closed_at=now.isoformat())
    record.status = "closed"
    record.closed_at = now
    record.minutes = minutes
    return record


@_atomic
def select_ta_with_evidence(session: Session, workspace: Workspace | str | int, activity: str,
                            *, candidate: Any = None, source: str | None = None,
                            discovery: Mapping[str, Any] | None = None,
                            extra: Mapping[str, Any] | None = None) -> SelectedTA:
    """Select a TA and store the evidence behind the choice (a dropped TA is re-selected).

    The snapshot (:func:`smartspec.store.services.select_ta`) holds the candidate row that was
    on screen (``candidate``; default: the shipped data's candidates of the home region), its
    critical mass and skill gap (:func:`smartspec.store.planning.diagnose`), the discovery
    settings (``discovery``: weights, year ...) and ``extra`` (e.g. the workshop's verdict).

    Raises
    ------
    StoreValidationError
        The activity is not a candidate of the home region.
    ConflictError
        The activity is already a selected TA.
    """
    from . import planning

    ws = svc.get_workspace(session, workspace)
    code = str(activity).strip().upper()
    existing = session.scalar(select(SelectedTA).where(SelectedTA.workspace_id == ws.id,
                                                       SelectedTA.activity == code))
    if existing is not None and existing.status == "selected":
        raise ConflictError(f"{code} is already a selected TA of {ws.slug!r}")
    diagnosis = planning.diagnose(session, ws, code, candidate=candidate)
    row = {k: v for k, v in diagnosis.items()
           if k not in ("critical_mass", "skill_gap", "critical_mass_ratio")}
    label = row.get("label")
    return svc.select_ta(
        session, ws, code, label=str(label) if label else None, candidate=row,
        source=source or planning.CANDIDATE_SOURCE,
        extra={"critical_mass": diagnosis["critical_mass"],
               "skill_gap": diagnosis["skill_gap"],
               "discovery": dict(discovery or {}), **dict(extra or {})},
        replace=existing is not None)


def select_ta_from_workshop(session: Session, workspace: Workspace | str | int,
                            workshop: Workshop | int, item: str, *, candidate: Any = None,
                            data_scores: Mapping[str, float] | None = None,
                            discovery: Mapping[str, Any] | None = None) -> SelectedTA:
    """Select an EDW item as a TA; the snapshot adds the workshop's aggregate and decisions.

    Raises
    ------
    StoreValidationError
        Not an EDW, or the item is not one of its items.
    """
    ws = svc.get_workspace(session, workspace)
    record = get_workshop(session, ws, workshop)
    if record.kind != "edw":
        raise StoreValidationError("only an EDW selects TAs (an ADW discusses actions)")
    key = _item_of(record, item)
    aggregate = next(a for a in workshop_aggregate(session, ws, record, data_scores=data_scores)
                     if a["item"] == key)
    decisions = [d.decision for d in list_decisions(session, ws, record) if d.item == key]
    return select_ta_with_evidence(
        session, ws, key, candidate=candidate, discovery=discovery,
        extra={"workshop": {"id": record.id, "title": record.title, "status": record.status,
                            "aggregate": {k: v for k, v in aggregate.items()
                                          if k != "comments"},
                            "comments": [c["comment"] for c in aggregate["comments"]],
                            "decisions": decisions}})


def action_items(session: Session, workspace: Workspace | str | int,
                 workshop: Workshop | int) -> dict[str, ActionRecord]:
    """ADW: the actions behind the items (item -> action; deleted actions are left out)."""
    ws = svc.get_workspace(session, workspace)
    record = get_workshop(session, ws, workshop)
    ids = [int(i) for i in record.items or [] if str(i).isdigit()]
    rows = session.scalars(select(ActionRecord).where(ActionRecord.workspace_id == ws.id,
                                                      ActionRecord.id.in_(ids)))
    return {str(a.id): a for a in rows}
