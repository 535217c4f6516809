"""SQLAlchemy 2 ORM models of the workspace store.

Every row belongs to a workspace (``workspace_id``); the only exceptions are global
good-practice entries (``workspace_id IS NULL``) and audit-log entries, which outlive the objects
they describe. References between workspace objects use *composite* foreign keys
``(workspace_id, <object>_id) -> <table>(workspace_id, id)``, so the database itself rejects an
action owned by another workspace's actor, a consortium member from another workspace, and so on.
The service layer (:mod:`smartspec.store.services`) checks the same rules first and reports them
with clear messages.

The models describe the schema at the *head* migration. The migrations in
``smartspec/store/migrations/versions`` never import this module: each revision spells out its
own DDL, and a test checks that ``upgrade(head)`` yields exactly these models.

Names
-----
ORM classes that share a concept with a domain dataclass carry a ``Record`` suffix
(:class:`ActorRecord` vs :class:`smartspec.strategy.actors.Actor`); converters live in
:mod:`smartspec.store.services`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = [
    "ACTION_KINDS_OF_CHANGE",
    "MONITORING_KINDS",
    "REGION_ROLES",
    "TA_STATUSES",
    "ActionParticipant",
    "ActionRecord",
    "ActorRecord",
    "AuditLog",
    "Base",
    "Consortium",
    "ConsortiumMember",
    "FundingInstrumentRecord",
    "GoodPracticeRecord",
    "MonitoringRecord",
    "SelectedTA",
    "Workspace",
    "WorkspaceRegion",
    "utcnow",
]

#: Roles of a region in a workspace: the home region whose S3 process it is, or a partner.
REGION_ROLES: tuple[str, ...] = ("home", "partner")
#: Life cycle of a selected transformative activity.
TA_STATUSES: tuple[str, ...] = ("selected", "candidate", "dropped")
#: Kinds of monitoring indicator (Gianelle & Kleibrink 2015).
MONITORING_KINDS: tuple[str, ...] = ("context", "output", "result")
#: Values of :attr:`AuditLog.action`.
ACTION_KINDS_OF_CHANGE: tuple[str, ...] = ("create", "update", "delete")

#: Constraint naming convention: stable names make batch migrations and later drops possible.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Current time, timezone-aware UTC (the store keeps every timestamp in UTC)."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL stores ``timestamp with time zone``; SQLite has no time zones and hands back naive
    values, which are read back as UTC. Naive values written are taken to be UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


#: JSON documents: ``jsonb`` on PostgreSQL (indexable), JSON text on SQLite.
JSONDoc = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base with the store's constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSONDoc,
        list[Any]: JSONDoc,
    }


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Workspace(Base):
    """A region's S3 process: its TAs, actors, actions, consortia, instruments and monitoring."""

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: The version of the evidence data the workspace's analyses were run on (e.g. a manifest
    #: hash or a release tag); used to key caches and to flag stale snapshots.
    data_version: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # Deleting a workspace relies on the database's ON DELETE CASCADE (passive_deletes).
    regions: Mapped[list[WorkspaceRegion]] = relationship(
        back_populates="workspace", cascade="all, delete-orphan", passive_deletes=True,
        order_by="WorkspaceRegion.id")
    tas: Mapped[list[SelectedTA]] = relationship(
        back_populates="workspace", cascade="all, delete-orphan", passive_deletes=True,
        order_by="SelectedTA.id")

    @property
    def home_region(self) -> str | None:
        """The NUTS code of the home region (``None`` before one is added)."""
        for region in self.regions:
            if region.role == "home":
                return region.code
        return None

    def __repr__(self) -> str:
        return f"Workspace(id={self.id!r}, slug={self.slug!r})"


class WorkspaceRegion(Base):
    """A region covered by a workspace: its home region and the partner regions."""

    __tablename__ = "workspace_regions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "code"),
        CheckConstraint(_in("role", REGION_ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(10))
    role: Mapped[str] = mapped_column(String(10), default="home")
    name: Mapped[str | None] = mapped_column(String(200))

    workspace: Mapped[Workspace] = relationship(back_populates="regions")


class SelectedTA(Base):
    """A transformative activity chosen by the workspace, with the evidence behind the choice."""

    __tablename__ = "selected_tas"
    __table_args__ = (
        UniqueConstraint("workspace_id", "activity"),
        UniqueConstraint("workspace_id", "id"),
        CheckConstraint(_in("status", TA_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    activity: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(300), default="", server_default="")
    #: Foray's mode: modernisation, transition, diversification or radical_foundation.
    mode: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="selected")
    selected_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: ``{"candidate": {...the discovery row...}, "source": ..., "data_version": ...}``.
    evidence_snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)

    workspace: Mapped[Workspace] = relationship(back_populates="tas")


class ActorRecord(Base):
    """A quadruple-helix actor (see :class:`smartspec.strategy.actors.Actor`)."""

    __tablename__ = "actors"
    __table_args__ = (
        UniqueConstraint("workspace_id", "region", "name"),
        UniqueConstraint("workspace_id", "id"),
        CheckConstraint("size IS NULL OR size >= 0", name="size_nonnegative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    actor_type: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(10))
    activities: Mapped[list[Any]] = mapped_column(default=list)
    technologies: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    skills: Mapped[list[Any]] = mapped_column(default=list)
    size: Mapped[int | None] = mapped_column(Integer)
    contact_role: Mapped[str] = mapped_column(String(200), default="", server_default="")
    fictional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ActionRecord(Base):
    """An action of a TA's development strategy (see :class:`smartspec.strategy.actions.Action`)."""

    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "id"),
        ForeignKeyConstraint(["workspace_id", "ta_id"],
                             ["selected_tas.workspace_id", "selected_tas.id"]),
        ForeignKeyConstraint(["workspace_id", "owner_id"], ["actors.workspace_id", "actors.id"]),
        CheckConstraint("budget >= 0 AND committed >= 0 AND spent >= 0",
                        name="amounts_nonnegative"),
        CheckConstraint('"start" IS NULL OR "end" IS NULL OR "start" <= "end"',
                        name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    ta_id: Mapped[int | None] = mapped_column(Integer, index=True)
    owner_id: Mapped[int | None] = mapped_column(Integer)
    #: Order of the action inside its TA's strategy (0 = first).
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    title: Mapped[str] = mapped_column(String(300))
    action_type: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(20), default="planned")
    start: Mapped[dt.date | None] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    budget: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    committed: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    spent: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    regions: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    rationale: Mapped[str] = mapped_column(Text, default="", server_default="")
    milestones: Mapped[list[Any]] = mapped_column(default=list)
    indicators: Mapped[list[Any]] = mapped_column(default=list)
    #: Phase of the strategy the action belongs to (see ``smartspec.strategy.actions.PHASES``).
    phase: Mapped[int | None] = mapped_column(Integer)
    #: The actor type expected to lead the action (when no owner is chosen yet).
    lead_actor_type: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    ta: Mapped[SelectedTA | None] = relationship(
        foreign_keys="[ActionRecord.workspace_id, ActionRecord.ta_id]", viewonly=True,
        primaryjoin="and_(ActionRecord.ta_id == SelectedTA.id, "
                    "ActionRecord.workspace_id == SelectedTA.workspace_id)")
    owner: Mapped[ActorRecord | None] = relationship(
        foreign_keys="[ActionRecord.workspace_id, ActionRecord.owner_id]", viewonly=True,
        primaryjoin="and_(ActionRecord.owner_id == ActorRecord.id, "
                    "ActionRecord.workspace_id == ActorRecord.workspace_id)")
    participant_links: Mapped[list[ActionParticipant]] = relationship(
        cascade="all, delete-orphan", order_by="ActionParticipant.actor_id",
        primaryjoin="and_(ActionRecord.id == ActionParticipant.action_id, "
                    "ActionRecord.workspace_id == ActionParticipant.workspace_id)",
        foreign_keys="[ActionParticipant.workspace_id, ActionParticipant.action_id]")

    @property
    def participant_ids(self) -> list[int]:
        """Ids of the participating actors, ascending."""
        return sorted(link.actor_id for link in self.participant_links)


class ActionParticipant(Base):
    """Association of an action and a participating actor of the same workspace."""

    __tablename__ = "action_participants"
    __table_args__ = (
        ForeignKeyConstraint(["workspace_id", "action_id"],
                             ["actions.workspace_id", "actions.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["workspace_id", "actor_id"],
                             ["actors.workspace_id", "actors.id"], ondelete="CASCADE"),
    )

    action_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    workspace_id: Mapped[int] = mapped_column(Integer)


class Consortium(Base):
    """A consortium recorded for a TA (typically the consortium builder's solution)."""

    __tablename__ = "consortia"
    __table_args__ = (
        UniqueConstraint("workspace_id", "id"),
        ForeignKeyConstraint(["workspace_id", "ta_id"],
                             ["selected_tas.workspace_id", "selected_tas.id"]),
        CheckConstraint("coverage IS NULL OR (coverage >= 0 AND coverage <= 1)",
                        name="coverage_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    ta_id: Mapped[int | None] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(300))
    #: Weighted coverage of the TA's required capabilities reached (0-1).
    coverage: Mapped[float | None] = mapped_column(Float)
    #: The builder's parameters (size range, helix types, external cap, budget) and diagnostics.
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    members: Mapped[list[ConsortiumMember]] = relationship(
        cascade="all, delete-orphan", order_by="ConsortiumMember.actor_id",
        primaryjoin="and_(Consortium.id == ConsortiumMember.consortium_id, "
                    "Consortium.workspace_id == ConsortiumMember.workspace_id)",
        foreign_keys="[ConsortiumMember.workspace_id, ConsortiumMember.consortium_id]")
    ta: Mapped[SelectedTA | None] = relationship(
        foreign_keys="[Consortium.workspace_id, Consortium.ta_id]", viewonly=True,
        primaryjoin="and_(Consortium.ta_id == SelectedTA.id, "
                    "Consortium.workspace_id == SelectedTA.workspace_id)")


class ConsortiumMember(Base):
    """An actor in a consortium, with its role (``lead`` or ``member``)."""

    __tablename__ = "consortium_members"
    __table_args__ = (
        ForeignKeyConstraint(["workspace_id", "consortium_id"],
                             ["consortia.workspace_id", "consortia.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["workspace_id", "actor_id"],
                             ["actors.workspace_id", "actors.id"], ondelete="CASCADE"),
    )

    consortium_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    workspace_id: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20), default="member", server_default="member")


class FundingInstrumentRecord(Base):
    """A workspace's funding-instrument catalogue entry (editable by the user)."""

    __tablename__ = "funding_instruments"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key"),
        CheckConstraint("trl_min IS NULL OR (trl_min >= 1 AND trl_min <= 9)", name="trl_min"),
        CheckConstraint("trl_max IS NULL OR (trl_max >= 1 AND trl_max <= 9)", name="trl_max"),
        CheckConstraint("trl_min IS NULL OR trl_max IS NULL OR trl_min <= trl_max",
                        name="trl_ordered"),
        CheckConstraint("cofunding_rate IS NULL OR (cofunding_rate >= 0 AND cofunding_rate <= 1)",
                        name="cofunding_rate"),
        CheckConstraint("min_consortium IS NULL OR min_consortium >= 1", name="min_consortium"),
        CheckConstraint("min_countries IS NULL OR min_countries >= 1", name="min_countries"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(300))
    programme: Mapped[str] = mapped_column(Text, default="", server_default="")
    scope: Mapped[str] = mapped_column(String(20))
    eligible_actor_types: Mapped[list[Any]] = mapped_column(default=list)
    trl_min: Mapped[int | None] = mapped_column(Integer)
    trl_max: Mapped[int | None] = mapped_column(Integer)
    #: A label (``"EU member states and associated countries"``) or a list of country/NUTS codes.
    geographic_scope: Mapped[Any] = mapped_column(JSONDoc, default=list)
    min_consortium: Mapped[int | None] = mapped_column(Integer)
    #: Minimum number of different countries among the partners.
    min_countries: Mapped[int | None] = mapped_column(Integer)
    cofunding_rate: Mapped[float | None] = mapped_column(Float)
    action_types: Mapped[list[Any]] = mapped_column(default=list)
    url: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    user_defined: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class GoodPracticeRecord(Base):
    """A good-practice entry: global library (``workspace_id`` NULL) or workspace-specific."""

    __tablename__ = "good_practices"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key"),
        Index("uq_good_practices_global_key", "key", unique=True,
              sqlite_where=text("workspace_id IS NULL"),
              postgresql_where=text("workspace_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    action_types: Mapped[list[Any]] = mapped_column(default=list)
    cluster_maturity: Mapped[list[Any]] = mapped_column(default=list)
    ta_modes: Mapped[list[Any]] = mapped_column(default=list)
    region_types: Mapped[list[Any]] = mapped_column(default=list)
    source: Mapped[str] = mapped_column(Text, default="", server_default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)


class MonitoringRecord(Base):
    """One observation of a TA indicator (issue 6 extends this table through a migration)."""

    __tablename__ = "monitoring_records"
    __table_args__ = (
        ForeignKeyConstraint(["workspace_id", "ta_id"],
                             ["selected_tas.workspace_id", "selected_tas.id"],
                             ondelete="CASCADE"),
        UniqueConstraint("ta_id", "indicator_key", "kind", "year"),
        CheckConstraint(_in("kind", MONITORING_KINDS), name="kind"),
        # added by migration 0003 (issue 6): the indicator definition an observation belongs to
        ForeignKeyConstraint(["workspace_id", "indicator_id"],
                             ["monitoring_indicators.workspace_id", "monitoring_indicators.id"],
                             name="fk_monitoring_records_indicator", ondelete="CASCADE"),
        CheckConstraint("origin IN ('computed', 'form', 'csv', 'legacy')", name="origin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    ta_id: Mapped[int] = mapped_column(Integer)
    indicator_key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(40), default="", server_default="")
    source: Mapped[str] = mapped_column(Text, default="", server_default="")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # migration 0003 (issue 6): see smartspec.store.models_monitoring
    indicator_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: ``computed``, ``form``, ``csv`` or ``legacy`` (written before migration 0003).
    origin: Mapped[str] = mapped_column(String(20), default="form", server_default="form")
    #: Checksum of the data year a computed value came from.
    data_version: Mapped[str | None] = mapped_column(String(80))


class AuditLog(Base):
    """Who changed what, when: one row per inserted, updated or deleted store row.

    Written automatically by the session hooks in :mod:`smartspec.store.db`. ``workspace_id`` is a
    plain column, not a foreign key, so that the history survives the deletion of a workspace.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_workspace_at", "workspace_id", "at"),
        Index("ix_audit_log_table_object", "table_name", "object_id"),
        Index("ix_audit_log_workspace_table_id", "workspace_id", "table_name", "id"),
        Index("ix_audit_log_workspace_id", "workspace_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(Integer)
    #: A user id or name; ``"system"`` for unattended changes (issue 7 adds user accounts).
    who: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    action: Mapped[str] = mapped_column(String(20))
    table_name: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str] = mapped_column(String(80))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    #: Free text: the operation the change was part of (``"import actors.csv"``).
    context: Mapped[str] = mapped_column(Text, default="", server_default="")


# The models of later elements live in their own modules (same Base, same metadata); importing
# them here keeps ``Base.metadata`` complete wherever the store is used.
from smartspec.store import models_monitoring, models_web  # noqa: E402, F401
