"""Actor technologies, consortium notes and audit-log indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-15

* ``actors.technologies``: the key enabling technologies an actor masters (list of labels),
  used by the consortium builder next to its activities and skills. Existing actors get ``[]``.
* ``consortia.notes``: free-text notes on a recorded consortium (negotiation status, caveats).
* ``audit_log`` indexes for the two queries the platform runs: a workspace's recent changes
  ``(workspace_id, at)`` and an object's history ``(table_name, object_id)``.

SQLite cannot add these columns with every constraint through ``ALTER TABLE``, so the changes go
through Alembic's batch mode (which recreates the table when it must); on PostgreSQL they are
plain ``ALTER TABLE`` statements.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("actors") as batch:
        batch.add_column(sa.Column("technologies", json_type, server_default=sa.text("'[]'"),
                                   nullable=False))
    with op.batch_alter_table("consortia") as batch:
        batch.add_column(sa.Column("notes", sa.Text(), server_default="", nullable=False))
    op.create_index("ix_audit_log_workspace_at", "audit_log", ["workspace_id", "at"])
    op.create_index("ix_audit_log_table_object", "audit_log", ["table_name", "object_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_table_object", table_name="audit_log")
    op.drop_index("ix_audit_log_workspace_at", table_name="audit_log")
    with op.batch_alter_table("consortia") as batch:
        batch.drop_column("notes")
    with op.batch_alter_table("actors") as batch:
        batch.drop_column("technologies")
