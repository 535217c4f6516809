"""Initial schema: workspaces, regions, TAs, actors, actions, consortia, funding instruments,
good practices, monitoring records and the audit log.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

This revision spells out its DDL instead of importing :mod:`smartspec.store.models`, so that it
keeps describing the *first* schema when the models move on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True)


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), server_default="", nullable=False)


def _workspace_fk(table: str, nullable: bool = False) -> list:
    return [sa.Column("workspace_id", sa.Integer(), nullable=nullable),
            sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                    name=f"fk_{table}_workspace_id_workspaces",
                                    ondelete="CASCADE")]


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(80), nullable=False),
        _text("description"),
        sa.Column("data_version", sa.String(80), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workspaces"),
        sa.UniqueConstraint("slug", name="uq_workspaces_slug"),
    )
    op.create_table(
        "workspace_regions",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("workspace_regions"),
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.CheckConstraint("role IN ('home', 'partner')", name="ck_workspace_regions_role"),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_regions"),
        sa.UniqueConstraint("workspace_id", "code", name="uq_workspace_regions_workspace_id_code"),
    )
    op.create_table(
        "selected_tas",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("selected_tas"),
        sa.Column("activity", sa.String(20), nullable=False),
        sa.Column("label", sa.String(300), server_default="", nullable=False),
        sa.Column("mode", sa.String(40), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("selected_at", _ts(), nullable=False),
        sa.Column("evidence_snapshot", _json(), nullable=False),
        sa.CheckConstraint("status IN ('selected', 'candidate', 'dropped')",
                           name="ck_selected_tas_status"),
        sa.PrimaryKeyConstraint("id", name="pk_selected_tas"),
        sa.UniqueConstraint("workspace_id", "activity",
                            name="uq_selected_tas_workspace_id_activity"),
        sa.UniqueConstraint("workspace_id", "id", name="uq_selected_tas_workspace_id_id"),
    )
    op.create_table(
        "actors",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("actors"),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("actor_type", sa.String(40), nullable=False),
        sa.Column("region", sa.String(10), nullable=False),
        sa.Column("activities", _json(), nullable=False),
        sa.Column("skills", _json(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("contact_role", sa.String(200), server_default="", nullable=False),
        sa.Column("fictional", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint("size IS NULL OR size >= 0", name="ck_actors_size_nonnegative"),
        sa.PrimaryKeyConstraint("id", name="pk_actors"),
        sa.UniqueConstraint("workspace_id", "id", name="uq_actors_workspace_id_id"),
        sa.UniqueConstraint("workspace_id", "region", "name",
                            name="uq_actors_workspace_id_region_name"),
    )
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("actions"),
        sa.Column("ta_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("action_type", sa.String(40), nullable=False),
        _text("description"),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("budget", sa.Float(), server_default="0", nullable=False),
        sa.Column("committed", sa.Float(), server_default="0", nullable=False),
        sa.Column("spent", sa.Float(), server_default="0", nullable=False),
        sa.Column("regions", _json(), nullable=False),
        _text("notes"),
        sa.Column("attachments", _json(), nullable=False),
        _text("rationale"),
        sa.Column("milestones", _json(), nullable=False),
        sa.Column("indicators", _json(), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=True),
        sa.Column("lead_actor_type", sa.String(40), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint('"start" IS NULL OR "end" IS NULL OR "start" <= "end"',
                           name="ck_actions_dates_ordered"),
        sa.CheckConstraint("budget >= 0 AND committed >= 0 AND spent >= 0",
                           name="ck_actions_amounts_nonnegative"),
        sa.ForeignKeyConstraint(["workspace_id", "owner_id"], ["actors.workspace_id", "actors.id"],
                                name="fk_actions_workspace_id_owner_id_actors"),
        sa.ForeignKeyConstraint(["workspace_id", "ta_id"],
                                ["selected_tas.workspace_id", "selected_tas.id"],
                                name="fk_actions_workspace_id_ta_id_selected_tas"),
        sa.PrimaryKeyConstraint("id", name="pk_actions"),
        sa.UniqueConstraint("workspace_id", "id", name="uq_actions_workspace_id_id"),
    )
    op.create_index("ix_actions_ta_id", "actions", ["ta_id"])
    op.create_table(
        "action_participants",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id", "action_id"],
                                ["actions.workspace_id", "actions.id"],
                                name="fk_action_participants_workspace_id_action_id_actions",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id", "actor_id"], ["actors.workspace_id", "actors.id"],
                                name="fk_action_participants_workspace_id_actor_id_actors",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("action_id", "actor_id", name="pk_action_participants"),
    )
    op.create_index("ix_action_participants_actor_id", "action_participants", ["actor_id"])
    op.create_table(
        "consortia",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("consortia"),
        sa.Column("ta_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("coverage", sa.Float(), nullable=True),
        sa.Column("parameters", _json(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.CheckConstraint("coverage IS NULL OR (coverage >= 0 AND coverage <= 1)",
                           name="ck_consortia_coverage_range"),
        sa.ForeignKeyConstraint(["workspace_id", "ta_id"],
                                ["selected_tas.workspace_id", "selected_tas.id"],
                                name="fk_consortia_workspace_id_ta_id_selected_tas"),
        sa.PrimaryKeyConstraint("id", name="pk_consortia"),
        sa.UniqueConstraint("workspace_id", "id", name="uq_consortia_workspace_id_id"),
    )
    op.create_index("ix_consortia_ta_id", "consortia", ["ta_id"])
    op.create_table(
        "consortium_members",
        sa.Column("consortium_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(20), server_default="member", nullable=False),
        sa.ForeignKeyConstraint(["workspace_id", "actor_id"], ["actors.workspace_id", "actors.id"],
                                name="fk_consortium_members_workspace_id_actor_id_actors",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id", "consortium_id"],
                                ["consortia.workspace_id", "consortia.id"],
                                name="fk_consortium_members_workspace_id_consortium_id_consortia",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("consortium_id", "actor_id", name="pk_consortium_members"),
    )
    op.create_index("ix_consortium_members_actor_id", "consortium_members", ["actor_id"])
    op.create_table(
        "funding_instruments",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("funding_instruments"),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        _text("programme"),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("eligible_actor_types", _json(), nullable=False),
        sa.Column("trl_min", sa.Integer(), nullable=True),
        sa.Column("trl_max", sa.Integer(), nullable=True),
        sa.Column("geographic_scope", _json(), nullable=False),
        sa.Column("min_consortium", sa.Integer(), nullable=True),
        sa.Column("min_countries", sa.Integer(), nullable=True),
        sa.Column("cofunding_rate", sa.Float(), nullable=True),
        sa.Column("action_types", _json(), nullable=False),
        sa.Column("url", sa.String(500), nullable=True),
        _text("notes"),
        sa.Column("user_defined", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.CheckConstraint("cofunding_rate IS NULL OR (cofunding_rate >= 0 AND "
                           "cofunding_rate <= 1)", name="ck_funding_instruments_cofunding_rate"),
        sa.CheckConstraint("min_consortium IS NULL OR min_consortium >= 1",
                           name="ck_funding_instruments_min_consortium"),
        sa.CheckConstraint("min_countries IS NULL OR min_countries >= 1",
                           name="ck_funding_instruments_min_countries"),
        sa.CheckConstraint("trl_max IS NULL OR (trl_max >= 1 AND trl_max <= 9)",
                           name="ck_funding_instruments_trl_max"),
        sa.CheckConstraint("trl_min IS NULL OR (trl_min >= 1 AND trl_min <= 9)",
                           name="ck_funding_instruments_trl_min"),
        sa.CheckConstraint("trl_min IS NULL OR trl_max IS NULL OR trl_min <= trl_max",
                           name="ck_funding_instruments_trl_ordered"),
        sa.PrimaryKeyConstraint("id", name="pk_funding_instruments"),
        sa.UniqueConstraint("workspace_id", "key", name="uq_funding_instruments_workspace_id_key"),
    )
    op.create_table(
        "good_practices",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("good_practices", nullable=True),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        _text("summary"),
        sa.Column("action_types", _json(), nullable=False),
        sa.Column("cluster_maturity", _json(), nullable=False),
        sa.Column("ta_modes", _json(), nullable=False),
        sa.Column("region_types", _json(), nullable=False),
        _text("source"),
        sa.Column("tags", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_good_practices"),
        sa.UniqueConstraint("workspace_id", "key", name="uq_good_practices_workspace_id_key"),
    )
    op.create_index("uq_good_practices_global_key", "good_practices", ["key"], unique=True,
                    sqlite_where=sa.text("workspace_id IS NULL"),
                    postgresql_where=sa.text("workspace_id IS NULL"))
    op.create_table(
        "monitoring_records",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("monitoring_records"),
        sa.Column("ta_id", sa.Integer(), nullable=False),
        sa.Column("indicator_key", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(40), server_default="", nullable=False),
        _text("source"),
        _text("note"),
        sa.Column("created_at", _ts(), nullable=False),
        sa.CheckConstraint("kind IN ('context', 'output', 'result')",
                           name="ck_monitoring_records_kind"),
        sa.ForeignKeyConstraint(["workspace_id", "ta_id"],
                                ["selected_tas.workspace_id", "selected_tas.id"],
                                name="fk_monitoring_records_workspace_id_ta_id_selected_tas",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_monitoring_records"),
        sa.UniqueConstraint("ta_id", "indicator_key", "kind", "year",
                            name="uq_monitoring_records_ta_id_indicator_key_kind_year"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=True),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("at", _ts(), server_default=sa.func.now(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("table_name", sa.String(80), nullable=False),
        sa.Column("object_id", sa.String(80), nullable=False),
        sa.Column("before", _json(), nullable=True),
        sa.Column("after", _json(), nullable=True),
        _text("context"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )


def downgrade() -> None:
    for table in ("audit_log", "monitoring_records", "good_practices", "funding_instruments",
                  "consortium_members", "consortia", "action_participants", "actions", "actors",
                  "selected_tas", "workspace_regions", "workspaces"):
        op.drop_table(table)
