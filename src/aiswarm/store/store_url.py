"""Turn the configured event store URL into an async engine, and failures into plain words.

Only two databases are supported: SQLite through aiosqlite (the embedded default) and
PostgreSQL through asyncpg (when users outgrow one machine). Plain ``sqlite:///`` and
``postgresql://`` URLs are rewritten to those drivers, so the config need not name a driver.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from aiswarm.errors import StoreError

__all__ = ["StoreUrl", "describe_failure", "parse_store_url"]

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
_SUPPORTED = "sqlite+aiosqlite:///path/to/events.db or postgresql+asyncpg://user@host/db"
_FIX = "fix the event store URL (store.url in config/aiswarm.yaml)"
# Query keys SQLAlchemy's asyncpg adapter consumes itself; the rest of asyncpg.connect's keyword
# arguments are looked up from its signature.
_SQLALCHEMY_PG_KEYS = {"prepared_statement_cache_size", "prepared_statement_name_func"}
# asyncpg waits 60 s for a server by default; a store that is down should say so sooner.
_PG_CONNECT_TIMEOUT_S = 10


class StoreUrl:
    """A checked store URL: the driver it uses, how to show it, and how to build the engine."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.is_postgres = url.drivername == "postgresql+asyncpg"
        self.shown = url.render_as_string(hide_password=True)

    @property
    def sqlite_path(self) -> Path | None:
        """Return the database file of a SQLite URL, or None for PostgreSQL and in-memory."""
        database = self.url.database
        if self.is_postgres or not database or database == ":memory:":
            return None
        return Path(database)

    def create_engine(self) -> AsyncEngine:
        """Return an async engine; SQLite connections get WAL, fsync on commit, a busy wait."""
        if self.is_postgres:
            url, connect_args = _split_server_settings(self.url)
            return create_async_engine(url, connect_args=connect_args)
        engine = create_async_engine(self.url)
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
        return engine

    def unusable(self, exc: BaseException) -> StoreError:
        """Return the one-line error for a store that could not be opened, with the fix."""
        reason = describe_failure(exc)
        if self.is_postgres and _is_connection_failure(exc):
            return StoreError(
                f"event store {self.shown} is unreachable ({reason}); start the server or {_FIX}"
            )
        path = self.sqlite_path
        if self.is_postgres:
            where = "create the database, schema or role it names"
        elif path is not None:
            where = f"make {path.parent} writable"
        else:
            where = "check the path"
        return StoreError(
            f"event store {self.shown} cannot be opened ({reason}); {where}, or {_FIX}"
        )


def parse_store_url(text: str) -> StoreUrl:
    """Return the checked URL, rewriting plain sqlite/postgresql schemes to async drivers."""
    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(
            f"event store URL {text!r} cannot be parsed ({exc}); use {_SUPPORTED}"
        ) from exc
    driver = _DRIVERS.get(url.drivername)
    if driver is None:
        shown = url.render_as_string(hide_password=True)
        raise StoreError(
            f"event store URL {shown} uses '{url.drivername}', which is not supported; "
            f"use {_SUPPORTED}"
        )
    return StoreUrl(url.set(drivername=driver))


def describe_failure(exc: BaseException) -> str:
    """Return the driver's own words for a failure, on one line, without SQLAlchemy's wrapper."""
    cause: BaseException = exc
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        cause = exc.orig
    if isinstance(cause, OSError) and cause.strerror:
        text = cause.strerror.lower()
    else:
        text = str(cause) or type(cause).__name__
    return " ".join(text.split())[:300]


def _is_connection_failure(exc: BaseException) -> bool:
    """Return whether ``exc`` means the server could not be reached at all."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(cause, OSError | TimeoutError | ConnectionError)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Put every new SQLite connection in WAL mode with a full fsync at each commit."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


def _split_server_settings(url: URL) -> tuple[URL, dict[str, Any]]:
    """Move query keys asyncpg does not take as arguments into ``server_settings``.

    asyncpg treats unknown DSN query keys as server settings; doing the same here lets a URL
    such as ``postgresql://app@db/aiswarm?search_path=trading`` choose the schema.
    """
    asyncpg = importlib.import_module("asyncpg")  # only PostgreSQL stores need the driver
    known = set(inspect.signature(asyncpg.connect).parameters) | _SQLALCHEMY_PG_KEYS
    settings = {key: str(value) for key, value in url.query.items() if key not in known}
    connect_args: dict[str, Any] = {}
    if "timeout" not in url.query:
        connect_args["timeout"] = _PG_CONNECT_TIMEOUT_S
    if settings:
        connect_args["server_settings"] = settings
        url = url.difference_update_query(settings)
    return url, connect_args
