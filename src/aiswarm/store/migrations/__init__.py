"""Alembic migrations of the event store, run by ``open_event_store`` (no alembic.ini)."""
