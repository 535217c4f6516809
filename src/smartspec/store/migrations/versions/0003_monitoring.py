"""Monitoring and evaluation (element 5): indicator definitions, monitoring plans, imported data
years, report snapshots and RIS3 self-assessments.

Revision ID: 0003
Revises: 0002
Create Date: 2025-02-01

* ``monitoring_indicators``: one definition per TA and indicator key (kind context / output /
  result after Gianelle & Kleibrink 2015, definition, unit, source, baseline and target value and
  year, direction ``higher``/``lower`` is better, whether it is computed automatically).
* ``monitoring_records`` gains ``indicator_id`` (the definition an observation belongs to),
  ``origin`` (``computed``, ``form``, ``csv`` or ``legacy``) and ``data_version`` (checksum of the
  data year a computed value came from). Every existing observation is kept: one definition is
  created per distinct ``(workspace, TA, indicator_key, kind)`` (name = key, unit and source from
  the observations) and the observations are linked to it, with origin ``legacy``.
* ``monitoring_plans``: per TA, the monitoring plan (critical-mass due date, the rank the TA must
  keep among the candidates, rule overrides, the helix types of the consortium at the start).
* ``monitoring_data_years``: the evidence data imported per year (the full region x activity
  cross-section as JSON, its checksum and metadata), from which context indicators are
  recomputed.
* ``monitoring_report_snapshots``: the summary of each evaluation report ("change since the
  last report").
* ``self_assessments`` and ``self_assessment_scores``: RIS3 self-assessment workshops (Foray et
  al. 2012), one score 0-5 per participant and critical factor.

Check-constraint names are wrapped in ``op.f()`` (final names): Alembic applies the models'
naming convention to ``op.create_table``, which would otherwise prefix them twice.

This revision spells out its DDL (it never imports :mod:`smartspec.store.models_monitoring`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True)


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), server_default="", nullable=False)


def _workspace_fk(table: str) -> list:
    return [sa.Column("workspace_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                    name=f"fk_{table}_workspace_id_workspaces",
                                    ondelete="CASCADE")]


def _ta_fk(table: str) -> list:
    return [sa.Column("ta_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["workspace_id", "ta_id"],
                                    ["selected_tas.workspace_id", "selected_tas.id"],
                                    name=f"fk_{table}_workspace_id_ta_id_selected_tas",
                                    ondelete="CASCADE")]


def upgrade() -> None:
    op.create_table(
        "monitoring_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("monitoring_indicators"),
        *_ta_fk("monitoring_indicators"),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        _text("definition"),
        sa.Column("unit", sa.String(40), server_default="", nullable=False),
        _text("source"),
        sa.Column("direction", sa.String(10), server_default="higher", nullable=False),
        sa.Column("baseline_value", sa.Float(), nullable=True),
        sa.Column("baseline_year", sa.Integer(), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=True),
        sa.Column("target_year", sa.Integer(), nullable=True),
        sa.Column("computed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("parameters", _json(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint("kind IN ('context', 'output', 'result')",
                           name=op.f("ck_monitoring_indicators_kind")),
        sa.CheckConstraint("direction IN ('higher', 'lower')",
                           name=op.f("ck_monitoring_indicators_direction")),
        sa.CheckConstraint("baseline_year IS NULL OR target_year IS NULL "
                           "OR baseline_year < target_year",
                           name=op.f("ck_monitoring_indicators_years_ordered")),
        sa.PrimaryKeyConstraint("id", name="pk_monitoring_indicators"),
        sa.UniqueConstraint("workspace_id", "ta_id", "key",
                            name="uq_monitoring_indicators_workspace_id_ta_id_key"),
        sa.UniqueConstraint("workspace_id", "id",
                            name="uq_monitoring_indicators_workspace_id_id"),
    )

    # existing observations: one definition per (workspace, TA, key, kind), then link them
    bind = op.get_bind()
    records = sa.table("monitoring_records", sa.column("id", sa.Integer()),
                       sa.column("workspace_id", sa.Integer()), sa.column("ta_id", sa.Integer()),
                       sa.column("indicator_key", sa.String()), sa.column("kind", sa.String()),
                       sa.column("unit", sa.String()), sa.column("source", sa.Text()))
    indicators = sa.table("monitoring_indicators", sa.column("id", sa.Integer()),
                          sa.column("workspace_id", sa.Integer()),
                          sa.column("ta_id", sa.Integer()), sa.column("key", sa.String()),
                          sa.column("kind", sa.String()), sa.column("name", sa.String()),
                          sa.column("definition", sa.Text()), sa.column("unit", sa.String()),
                          sa.column("source", sa.Text()), sa.column("direction", sa.String()),
                          sa.column("computed", sa.Boolean()),
                          sa.column("parameters", _json()),
                          sa.column("created_at", _ts()), sa.column("updated_at", _ts()))
    rows = bind.execute(sa.select(records.c.workspace_id, records.c.ta_id,
                                  records.c.indicator_key, records.c.kind, records.c.unit,
                                  records.c.source)
                        .order_by(records.c.id)).all()
    seen: dict[tuple, dict] = {}
    for workspace_id, ta_id, key, kind, unit, source in rows:
        # one key per TA: a key recorded under two kinds keeps the first kind's definition
        seen.setdefault((workspace_id, ta_id, key), {
            "workspace_id": workspace_id, "ta_id": ta_id, "key": key, "kind": kind,
            "name": key, "definition": "", "unit": unit or "", "source": source or "",
            "direction": "higher", "computed": False, "parameters": {},
            "created_at": sa.func.now(), "updated_at": sa.func.now()})
    for values in seen.values():
        bind.execute(indicators.insert().values(**values))

    with op.batch_alter_table("monitoring_records") as batch:
        batch.add_column(sa.Column("indicator_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("origin", sa.String(20), server_default="form",
                                   nullable=False))
        batch.add_column(sa.Column("data_version", sa.String(80), nullable=True))
        batch.create_foreign_key("fk_monitoring_records_indicator", "monitoring_indicators",
                                 ["workspace_id", "indicator_id"], ["workspace_id", "id"],
                                 ondelete="CASCADE")
        batch.create_check_constraint(op.f("ck_monitoring_records_origin"),
                                      "origin IN ('computed', 'form', 'csv', 'legacy')")
        batch.create_index("ix_monitoring_records_indicator_id", ["indicator_id"])

    records_v2 = sa.table("monitoring_records", sa.column("workspace_id", sa.Integer()),
                          sa.column("ta_id", sa.Integer()),
                          sa.column("indicator_key", sa.String()),
                          sa.column("indicator_id", sa.Integer()),
                          sa.column("origin", sa.String()))
    linked = (sa.select(indicators.c.id)
              .where(indicators.c.workspace_id == records_v2.c.workspace_id,
                     indicators.c.ta_id == records_v2.c.ta_id,
                     indicators.c.key == records_v2.c.indicator_key)
              .scalar_subquery())
    bind.execute(records_v2.update().values(indicator_id=linked, origin="legacy"))

    op.create_table(
        "monitoring_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("monitoring_plans"),
        *_ta_fk("monitoring_plans"),
        sa.Column("critical_mass_due", sa.Date(), nullable=True),
        sa.Column("top_k", sa.Integer(), nullable=True),
        sa.Column("rules", _json(), nullable=False),
        sa.Column("helix_baseline", _json(), nullable=False),
        _text("notes"),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint("top_k IS NULL OR top_k >= 1",
                           name=op.f("ck_monitoring_plans_top_k")),
        sa.PrimaryKeyConstraint("id", name="pk_monitoring_plans"),
        sa.UniqueConstraint("workspace_id", "ta_id",
                            name="uq_monitoring_plans_workspace_id_ta_id"),
    )
    op.create_table(
        "monitoring_data_years",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("monitoring_data_years"),
        sa.Column("dataset", sa.String(80), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("n_regions", sa.Integer(), nullable=False),
        sa.Column("n_activities", sa.Integer(), nullable=False),
        sa.Column("meta", _json(), nullable=False),
        sa.Column("matrix", _json(), nullable=False),
        sa.Column("imported_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_monitoring_data_years"),
        sa.UniqueConstraint("workspace_id", "dataset", "year",
                            name="uq_monitoring_data_years_workspace_id_dataset_year"),
    )
    op.create_table(
        "monitoring_report_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("monitoring_report_snapshots"),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("as_of", sa.Integer(), nullable=False),
        sa.Column("data_version", sa.String(80), nullable=True),
        sa.Column("summary", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_monitoring_report_snapshots"),
    )
    op.create_index("ix_monitoring_report_snapshots_workspace_created",
                    "monitoring_report_snapshots", ["workspace_id", "created_at"])
    op.create_table(
        "self_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("self_assessments"),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("label", sa.String(200), server_default="", nullable=False),
        sa.Column("framework", sa.String(40), server_default="ris3-2012", nullable=False),
        _text("notes"),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_self_assessments"),
        sa.UniqueConstraint("workspace_id", "assessed_on", "label",
                            name="uq_self_assessments_workspace_id_assessed_on_label"),
        sa.UniqueConstraint("workspace_id", "id", name="uq_self_assessments_workspace_id_id"),
    )
    op.create_table(
        "self_assessment_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("factor", sa.String(80), nullable=False),
        sa.Column("participant", sa.String(80), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        _text("comment"),
        sa.CheckConstraint("step >= 1 AND step <= 6",
                           name=op.f("ck_self_assessment_scores_step")),
        sa.CheckConstraint("score >= 0 AND score <= 5",
                           name=op.f("ck_self_assessment_scores_score")),
        sa.ForeignKeyConstraint(["workspace_id", "assessment_id"],
                                ["self_assessments.workspace_id", "self_assessments.id"],
                                name="fk_self_assessment_scores_assessment", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_self_assessment_scores"),
        sa.UniqueConstraint("assessment_id", "factor", "participant",
                            name="uq_self_assessment_scores_assessment_id_factor_participant"),
    )


def downgrade() -> None:
    op.drop_table("self_assessment_scores")
    op.drop_table("self_assessments")
    op.drop_index("ix_monitoring_report_snapshots_workspace_created",
                  table_name="monitoring_report_snapshots")
    op.drop_table("monitoring_report_snapshots")
    op.drop_table("monitoring_data_years")
    op.drop_table("monitoring_plans")
    with op.batch_alter_table("monitoring_records") as batch:
        batch.drop_index("ix_monitoring_records_indicator_id")
        batch.drop_constraint(op.f("ck_monitoring_records_origin"), type_="check")
        batch.drop_constraint("fk_monitoring_records_indicator", type_="foreignkey")
        batch.drop_column("data_version")
        batch.drop_column("origin")
        batch.drop_column("indicator_id")
    op.drop_table("monitoring_indicators")
