"""The web platform: users, memberships, sessions, invitations, login attempts and workshops.

Revision ID: 0004
Revises: 0003
Create Date: 2025-03-01

* ``users``: accounts (unique user name, display name, e-mail, Argon2 password hash, site
  administrator and active flags, language).
* ``memberships``: a user's role in a workspace (viewer, stakeholder, analyst, owner).
* ``web_sessions``: server-side sessions (SHA-256 of the cookie's token, CSRF secret, expiry,
  client address).
* ``invitations``: invitation links to a workspace with a role (SHA-256 of the link's token).
* ``login_attempts``: sign-in attempts, for the rate limit.
* ``workshops``, ``workshop_scores``, ``workshop_decisions``: EDW / ADW workshop sessions, each
  participant's 1-5 capacity and opportunity scores with a comment, the decisions and the
  stored minutes.

Only new tables: existing data is untouched. This revision spells out its DDL (it never imports
:mod:`smartspec.store.models_web`); check-constraint names are wrapped in ``op.f()`` (final
names, see revision 0003).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_ROLES = "role IN ('viewer', 'stakeholder', 'analyst', 'owner')"


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True)


def _workspace_fk(table: str) -> list:
    return [sa.Column("workspace_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                    name=f"fk_{table}_workspace_id_workspaces",
                                    ondelete="CASCADE")]


def _user_fk(table: str, column: str, *, nullable: bool, ondelete: str) -> list:
    return [sa.Column(column, sa.Integer(), nullable=nullable),
            sa.ForeignKeyConstraint([column], ["users.id"], name=f"fk_{table}_{column}_users",
                                    ondelete=ondelete)]


def _workshop_fk(table: str) -> list:
    return [sa.Column("workshop_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["workspace_id", "workshop_id"],
                                    ["workshops.workspace_id", "workshops.id"],
                                    name=f"fk_{table}_workspace_id_workshop_id_workshops",
                                    ondelete="CASCADE")]


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("display_name", sa.String(200), server_default="", nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("language", sa.String(5), server_default="en", nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("password_changed_at", _ts(), nullable=True),
        sa.CheckConstraint("language IN ('en', 'de', 'fr', 'it', 'sl')",
                           name=op.f("ck_users_language")),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("memberships"),
        *_user_fk("memberships", "user_id", nullable=False, ondelete="CASCADE"),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.CheckConstraint(_ROLES, name=op.f("ck_memberships_role")),
        sa.PrimaryKeyConstraint("id", name="pk_memberships"),
        sa.UniqueConstraint("workspace_id", "user_id",
                            name="uq_memberships_workspace_id_user_id"),
    )
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"])
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        *_user_fk("web_sessions", "user_id", nullable=False, ondelete="CASCADE"),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("expires_at", _ts(), nullable=False),
        sa.Column("csrf_secret", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_web_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_web_sessions_token_hash"),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("invitations"),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        *_user_fk("invitations", "created_by", nullable=True, ondelete="SET NULL"),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("expires_at", _ts(), nullable=False),
        *_user_fk("invitations", "used_by", nullable=True, ondelete="SET NULL"),
        sa.Column("used_at", _ts(), nullable=True),
        sa.Column("revoked", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.CheckConstraint(_ROLES, name=op.f("ck_invitations_role")),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
        sa.UniqueConstraint("token_hash", name="uq_invitations_token_hash"),
        sa.UniqueConstraint("workspace_id", "id", name="uq_invitations_workspace_id_id"),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_attempts"),
    )
    op.create_index("ix_login_attempts_username_at", "login_attempts", ["username", "at"])
    op.create_index("ix_login_attempts_ip_at", "login_attempts", ["ip", "at"])
    op.create_table(
        "workshops",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("workshops"),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("status", sa.String(10), server_default="open", nullable=False),
        sa.Column("ta_id", sa.Integer(), nullable=True),
        sa.Column("items", _json(), nullable=False),
        *_user_fk("workshops", "opened_by", nullable=True, ondelete="SET NULL"),
        sa.Column("opened_at", _ts(), nullable=False),
        sa.Column("closed_at", _ts(), nullable=True),
        sa.Column("minutes", _json(), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id", "ta_id"],
                                ["selected_tas.workspace_id", "selected_tas.id"],
                                name="fk_workshops_workspace_id_ta_id_selected_tas",
                                ondelete="CASCADE"),
        sa.CheckConstraint("kind IN ('edw', 'adw')", name=op.f("ck_workshops_kind")),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_workshops_status")),
        sa.PrimaryKeyConstraint("id", name="pk_workshops"),
        sa.UniqueConstraint("workspace_id", "id", name="uq_workshops_workspace_id_id"),
    )
    op.create_index("ix_workshops_ta_id", "workshops", ["ta_id"])
    op.create_table(
        "workshop_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("workshop_scores"),
        *_workshop_fk("workshop_scores"),
        *_user_fk("workshop_scores", "user_id", nullable=False, ondelete="CASCADE"),
        sa.Column("item", sa.String(40), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("opportunity", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint("capacity >= 1 AND capacity <= 5",
                           name=op.f("ck_workshop_scores_capacity_range")),
        sa.CheckConstraint("opportunity >= 1 AND opportunity <= 5",
                           name=op.f("ck_workshop_scores_opportunity_range")),
        sa.PrimaryKeyConstraint("id", name="pk_workshop_scores"),
        sa.UniqueConstraint("workshop_id", "user_id", "item",
                            name="uq_workshop_scores_workshop_id_user_id_item"),
    )
    op.create_index("ix_workshop_scores_workshop_id", "workshop_scores", ["workshop_id"])
    op.create_table(
        "workshop_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        *_workspace_fk("workshop_decisions"),
        *_workshop_fk("workshop_decisions"),
        sa.Column("item", sa.String(40), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        *_user_fk("workshop_decisions", "decided_by", nullable=True, ondelete="SET NULL"),
        sa.Column("decided_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workshop_decisions"),
    )
    op.create_index("ix_workshop_decisions_workshop_id", "workshop_decisions", ["workshop_id"])


def downgrade() -> None:
    for index, table in (("ix_workshop_decisions_workshop_id", "workshop_decisions"),
                         ("ix_workshop_scores_workshop_id", "workshop_scores"),
                         ("ix_workshops_ta_id", "workshops"),
                         ("ix_login_attempts_ip_at", "login_attempts"),
                         ("ix_login_attempts_username_at", "login_attempts"),
                         ("ix_web_sessions_expires_at", "web_sessions"),
                         ("ix_web_sessions_user_id", "web_sessions"),
                         ("ix_memberships_user_id", "memberships")):
        op.drop_index(index, table_name=table)
    for table in ("workshop_decisions", "workshop_scores", "workshops", "login_attempts",
                  "invitations", "web_sessions", "memberships", "users"):
        op.drop_table(table)
