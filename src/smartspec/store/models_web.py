"""ORM models of the web platform (issue 7): users, memberships and roles, sessions,
invitations, login attempts, workshop sessions and their scores. Shares
:class:`smartspec.store.models.Base`; created by migration 0004.

Tables
------
``users`` (:class:`UserRecord`)
    An account: unique user name, display name, optional e-mail, Argon2 password hash, site
    administrator flag, active flag and preferred language.
``memberships`` (:class:`Membership`)
    A user's role in a workspace (:data:`ROLES`, ordered by power).
``web_sessions`` (:class:`WebSession`)
    Server-side sessions. Only the SHA-256 hash of the session token is stored (the token
    itself lives in the user's HttpOnly cookie), with the session's CSRF secret, its expiry and
    the client address.
``invitations`` (:class:`Invitation`)
    An invitation link to a workspace with a role; only the token's hash is stored.
``login_attempts`` (:class:`LoginAttempt`)
    Every sign-in attempt (user name, client address, time, outcome): the login rate limit is
    computed from these rows, so it holds across several server processes.
``workshops`` (:class:`Workshop`), ``workshop_scores`` (:class:`WorkshopScore`),
``workshop_decisions`` (:class:`WorkshopDecision`)
    Entrepreneurial-discovery (EDW) and action-development (ADW) workshop sessions: the items
    scored (activity codes or action ids), each participant's capacity and opportunity scores
    (1-5) with a comment, the facilitator's decisions, and the minutes stored at closing.

Secrets
-------
Password hashes, token hashes and CSRF secrets are never written through the ORM unit of work:
:mod:`smartspec.store.web_services` writes them with Core statements, so that the audit log
(which records the column values of every row changed through the ORM) never holds them. The
services write their own audit entries for these changes, without the secret columns.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from smartspec.store.models import Base, Workspace, utcnow

__all__ = [
    "LANGUAGES",
    "ROLES",
    "WORKSHOP_KINDS",
    "WORKSHOP_STATUSES",
    "Invitation",
    "LoginAttempt",
    "Membership",
    "UserRecord",
    "WebSession",
    "Workshop",
    "WorkshopDecision",
    "WorkshopScore",
]

#: Roles in a workspace, from the least to the most powerful.
ROLES: tuple[str, ...] = ("viewer", "stakeholder", "analyst", "owner")
#: Interface languages a user can choose.
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "it", "sl")
#: Entrepreneurial discovery workshop (candidate activities) / action development workshop.
WORKSHOP_KINDS: tuple[str, ...] = ("edw", "adw")
WORKSHOP_STATUSES: tuple[str, ...] = ("open", "closed")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class UserRecord(Base):
    """An account of the web platform."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("language", LANGUAGES), name="language"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Login name: lower-case letters, digits, ``.``, ``_``, ``-`` (see the services).
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    email: Mapped[str | None] = mapped_column(String(320))
    #: Argon2id hash in PHC string format (``$argon2id$v=19$m=...``).
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Site administrator: manages accounts (creates users, resets passwords), creates
    #: workspaces. Workspace data is visible through memberships only.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column()

    def __repr__(self) -> str:
        return f"UserRecord(id={self.id!r}, username={self.username!r})"


class Membership(Base):
    """A user's role in one workspace."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id"),
        CheckConstraint(_in("role", ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[UserRecord] = relationship(lazy="joined")
    workspace: Mapped[Workspace] = relationship()


class WebSession(Base):
    """A signed-in browser (server-side session)."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: SHA-256 (hex) of the session token held in the cookie.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    #: The session's CSRF token (synchroniser token sent back in forms and headers).
    csrf_secret: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))

    user: Mapped[UserRecord] = relationship(lazy="joined")


class Invitation(Base):
    """An invitation link that adds its user to a workspace with a role."""

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("workspace_id", "id"),
        CheckConstraint(_in("role", ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    #: SHA-256 (hex) of the token in the link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[dt.datetime | None] = mapped_column()
    revoked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    workspace: Mapped[Workspace] = relationship()


class LoginAttempt(Base):
    """One sign-in attempt (for the rate limit and as a security log)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The name typed (lower-cased, at most 80 characters), known user or not.
    username: Mapped[str] = mapped_column(String(80))
    ip: Mapped[str | None] = mapped_column(String(45))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    success: Mapped[bool] = mapped_column(Boolean)


class Workshop(Base):
    """A discovery (EDW) or action-development (ADW) workshop session of a workspace."""

    __tablename__ = "workshops"
    __table_args__ = (
        UniqueConstraint("workspace_id", "id"),
        ForeignKeyConstraint(["workspace_id", "ta_id"],
                             ["selected_tas.workspace_id", "selected_tas.id"],
                             ondelete="CASCADE"),
        CheckConstraint(_in("kind", WORKSHOP_KINDS), name="kind"),
        CheckConstraint(_in("status", WORKSHOP_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    #: ADW: the TA whose actions are discussed (optional).
    ta_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: The items to score: activity codes (EDW) or action ids as text (ADW), in order.
    items: Mapped[list[Any]] = mapped_column(default=list)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    #: The minutes stored when the workshop closes (scores, comments, aggregate, decisions).
    minutes: Mapped[dict[str, Any] | None] = mapped_column()


class WorkshopScore(Base):
    """One participant's scores and comment on one item of a workshop."""

    __tablename__ = "workshop_scores"
    __table_args__ = (
        UniqueConstraint("workshop_id", "user_id", "item"),
        ForeignKeyConstraint(["workspace_id", "workshop_id"],
                             ["workshops.workspace_id", "workshops.id"], ondelete="CASCADE"),
        CheckConstraint("capacity >= 1 AND capacity <= 5", name="capacity_range"),
        CheckConstraint("opportunity >= 1 AND opportunity <= 5", name="opportunity_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    workshop_id: Mapped[int] = mapped_column(Integer, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(40))
    capacity: Mapped[int] = mapped_column(Integer)
    opportunity: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[UserRecord] = relationship(lazy="joined")


class WorkshopDecision(Base):
    """A decision recorded by the facilitator for an item of a workshop."""

    __tablename__ = "workshop_decisions"
    __table_args__ = (
        ForeignKeyConstraint(["workspace_id", "workshop_id"],
                             ["workshops.workspace_id", "workshops.id"], ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    workshop_id: Mapped[int] = mapped_column(Integer, index=True)
    item: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
