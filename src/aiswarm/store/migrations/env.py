"""Run the event store's migrations on the connection ``open_event_store`` hands over.

There is no alembic.ini and no URL here: the store builds the alembic ``Config`` itself and puts
its open connection in ``config.attributes["connection"]``, so migrations run inside the same
transaction (and, on PostgreSQL, under the same advisory lock) as the store's start-up.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "the event store migrations run only through aiswarm.store.open_event_store, "
        "which passes an open connection in config.attributes['connection']"
    )
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
