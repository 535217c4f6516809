"""Audit-log indexes for change marks and the newest entries of a workspace.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

* ``ix_audit_log_workspace_table_id`` (workspace, table, id): the latest change of each table
  of a workspace (:func:`smartspec.store.services.change_marks`, which keys the web caches) is
  one index lookup per table.
* ``ix_audit_log_workspace_id`` (workspace, id): a workspace's newest entries without a sort.

Indexes only: existing data is untouched.
"""

from __future__ import annotations

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_audit_log_workspace_table_id", "audit_log",
                    ["workspace_id", "table_name", "id"])
    op.create_index("ix_audit_log_workspace_id", "audit_log", ["workspace_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_workspace_id", table_name="audit_log")
    op.drop_index("ix_audit_log_workspace_table_id", table_name="audit_log")
