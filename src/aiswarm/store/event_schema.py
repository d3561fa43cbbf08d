"""Describe the ``events`` table for queries. The DDL itself lives in ``migrations/``.

Migrations are frozen snapshots and never import this module, so editing it cannot rewrite
history; a change here needs a new migration that makes the database match.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["ADVISORY_LOCK_KEY", "events"]

# PostgreSQL advisory lock taken by every appending transaction and by migrations, so that
# processes sharing one database still form a single chain. The value spells "aiswarm1"; it is
# per database, so stores in two schemas of one database also wait on each other.
ADVISORY_LOCK_KEY = 0x6169737761726D31

metadata = sa.MetaData()

events = sa.Table(
    "events",
    metadata,
    # INTEGER on SQLite makes seq the rowid itself: one b-tree fewer to write on every append.
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("ts_ns", sa.BigInteger(), nullable=False),
    sa.Column("type", sa.String(128), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("hash", sa.CHAR(64), nullable=False),
    # Added by migration 0002; "" only on records written before it (see event_chain).
    sa.Column("account", sa.String(128), nullable=False, server_default=""),
    sa.Index("ix_events_account_seq", "account", "seq"),
)
