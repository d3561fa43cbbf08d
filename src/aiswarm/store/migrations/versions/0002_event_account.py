"""Give every event the account (stream) it belongs to.

Revision ID: 0002
Revises: 0001

Adds ``account`` (NOT NULL, default ``""``) and an index on ``(account, seq)``, so replaying one
account and reading its head are index range scans. Rows written before this migration keep
``""``, which is what tells the verifier to hash them with encoding version 1; nothing is
rewritten, so they keep verifying. Neither SQLite's ``ADD COLUMN`` nor PostgreSQL's (with a
constant default) touches existing rows, so the append-only triggers are not fired.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the account column and its index."""
    op.add_column(
        "events",
        sa.Column("account", sa.String(128), nullable=False, server_default=""),
    )
    op.create_index("ix_events_account_seq", "events", ["account", "seq"])


def downgrade() -> None:
    """Refuse: dropping the column would make every version 2 record fail verification."""
    raise NotImplementedError(
        "0002 cannot be undone: records appended since it carry an account their hash covers; "
        "restore a backup taken before the upgrade instead"
    )
