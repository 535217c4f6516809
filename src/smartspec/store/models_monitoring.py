"""ORM models of element 5, monitoring and evaluation (issue 6): indicators, data versions,
self-assessments. Shares :class:`smartspec.store.models.Base`; created by migration 0003.

Tables
------
``monitoring_indicators`` (:class:`IndicatorRecord`)
    One indicator definition per TA and key: kind (context / output / result, after Gianelle &
    Kleibrink 2015), definition, unit, source, baseline and target (value, year), direction.
    Its observations are rows of ``monitoring_records``
    (:class:`smartspec.store.models.MonitoringRecord`), linked by ``indicator_id``.
``monitoring_plans`` (:class:`MonitoringPlan`)
    Per TA: the date by which critical mass is planned, the rank the TA must keep among the
    discovery candidates, rule overrides and the consortium's helix types at the start.
``monitoring_data_years`` (:class:`DataYearRecord`)
    An imported year of evidence data: the full region x activity cross-section (JSON), its
    checksum and metadata. Context indicators are recomputed from these rows.
``monitoring_report_snapshots`` (:class:`ReportSnapshot`)
    The summary of each evaluation report, to show the change since the last one.
``self_assessments`` / ``self_assessment_scores`` (:class:`SelfAssessment`, :class:`AssessmentScore`)
    RIS3 self-assessment workshops (Foray et al. 2012): one 0-5 score per participant and
    critical factor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
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

from smartspec.store.models import MONITORING_KINDS, Base, _in, utcnow

__all__ = [
    "DIRECTIONS",
    "RECORD_ORIGINS",
    "AssessmentScore",
    "DataYearRecord",
    "IndicatorRecord",
    "MonitoringPlan",
    "ReportSnapshot",
    "SelfAssessment",
]

#: Which way an indicator should move.
DIRECTIONS: tuple[str, ...] = ("higher", "lower")
#: How an observation got into the store (``legacy``: written before migration 0003).
RECORD_ORIGINS: tuple[str, ...] = ("computed", "form", "csv", "legacy")


class IndicatorRecord(Base):
    """Definition of one monitoring indicator of a TA (see :mod:`smartspec.monitoring`)."""

    __tablename__ = "monitoring_indicators"
    __table_args__ = (
        ForeignKeyConstraint(["workspace_id", "ta_id"],
                             ["selected_tas.workspace_id", "selected_tas.id"],
                             ondelete="CASCADE"),
        UniqueConstraint("workspace_id", "ta_id", "key"),
        UniqueConstraint("workspace_id", "id"),
        CheckConstraint(_in("kind", MONITORING_KINDS), name="kind"),
        CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
        CheckConstraint("baseline_year IS NULL OR target_year IS NULL "
                        "OR baseline_year < target_year", name="years_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    ta_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text, default="", server_default="")
    unit: Mapped[str] = mapped_column(String(40), default="", server_default="")
    source: Mapped[str] = mapped_column(Text, default="", server_default="")
    direction: Mapped[str] = mapped_column(String(10), default="higher", server_default="higher")
    baseline_value: Mapped[float | None] = mapped_column(Float)
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    target_value: Mapped[float | None] = mapped_column(Float)
    target_year: Mapped[int | None] = mapped_column(Integer)
    #: Computed automatically (context indicators from the data, output ones from the store).
    computed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    #: How it is computed, e.g. ``{"measure": "rca", "activity": "C", "dataset": ...}``.
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MonitoringPlan(Base):
    """The monitoring plan of a TA: critical-mass date, rank to keep, rule overrides."""

    __tablename__ = "monitoring_plans"
    __table_args__ = (
        ForeignKeyConstraint(["workspace_id", "ta_id"],
                             ["selected_tas.workspace_id", "selected_tas.id"],
                             ondelete="CASCADE"),
        UniqueConstraint("workspace_id", "ta_id"),
        CheckConstraint("top_k IS NULL OR top_k >= 1", name="top_k"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    ta_id: Mapped[int] = mapped_column(Integer)
    #: The date by which the TA's critical mass should be reached.
    critical_mass_due: Mapped[dt.date | None] = mapped_column(Date)
    #: The TA counts as "still selected" while it ranks within the top ``top_k`` candidates.
    top_k: Mapped[int | None] = mapped_column(Integer)
    #: Overrides of :data:`smartspec.monitoring.rules.DEFAULT_RULES` (``{rule: {param: value}}``).
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Helix types of the TA's consortium when the plan started.
    helix_baseline: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DataYearRecord(Base):
    """One imported year of evidence data (region x activity cross-section)."""

    __tablename__ = "monitoring_data_years"
    __table_args__ = (UniqueConstraint("workspace_id", "dataset", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    #: Name of the data series, e.g. ``"regional_employment"``.
    dataset: Mapped[str] = mapped_column(String(80))
    year: Mapped[int] = mapped_column(Integer)
    #: SHA-256 of the canonical cross-section: the same data imported twice changes nothing.
    checksum: Mapped[str] = mapped_column(String(64))
    n_regions: Mapped[int] = mapped_column(Integer)
    n_activities: Mapped[int] = mapped_column(Integer)
    #: Measure, unit, classifications and source of the data.
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: ``{"regions": [...], "activities": [...], "values": [[...]]}`` (``null`` = missing).
    #: Deferred: loaded on first access (or with ``undefer``), as listing years needs none of it.
    matrix: Mapped[dict[str, Any]] = mapped_column(default=dict, deferred=True)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReportSnapshot(Base):
    """What an evaluation report said (status and key values per TA), for later comparison."""

    __tablename__ = "monitoring_report_snapshots"
    __table_args__ = (
        Index("ix_monitoring_report_snapshots_workspace_created", "workspace_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    as_of: Mapped[int] = mapped_column(Integer)
    data_version: Mapped[str | None] = mapped_column(String(80))
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SelfAssessment(Base):
    """A RIS3 self-assessment workshop of a workspace on a date."""

    __tablename__ = "self_assessments"
    __table_args__ = (
        UniqueConstraint("workspace_id", "assessed_on", "label"),
        UniqueConstraint("workspace_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(200), default="", server_default="")
    framework: Mapped[str] = mapped_column(String(40), default="ris3-2012",
                                           server_default="ris3-2012")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    scores: Mapped[list[AssessmentScore]] = relationship(
        cascade="all, delete-orphan", order_by="AssessmentScore.id",
        primaryjoin="and_(SelfAssessment.id == AssessmentScore.assessment_id, "
                    "SelfAssessment.workspace_id == AssessmentScore.workspace_id)",
        foreign_keys="[AssessmentScore.workspace_id, AssessmentScore.assessment_id]")


class AssessmentScore(Base):
    """One participant's 0-5 score of one critical factor in a self-assessment."""

    __tablename__ = "self_assessment_scores"
    __table_args__ = (
        ForeignKeyConstraint(["workspace_id", "assessment_id"],
                             ["self_assessments.workspace_id", "self_assessments.id"],
                             name="fk_self_assessment_scores_assessment", ondelete="CASCADE"),
        UniqueConstraint("assessment_id", "factor", "participant"),
        CheckConstraint("step >= 1 AND step <= 6", name="step"),
        CheckConstraint("score >= 0 AND score <= 5", name="score"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(Integer)
    assessment_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    factor: Mapped[str] = mapped_column(String(80))
    #: A pseudonym or group label ("P3", "firms table"): no personal data.
    participant: Mapped[str] = mapped_column(String(80))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
