"""The one logging setup: JSON lines on stderr, a trace id per cycle or request, no secrets.

Every module logs through the standard library (``logging.getLogger(__name__)``, structured
fields in ``extra``); ``configure_logging`` routes all of it, uvicorn's included, through
structlog's formatter, which writes one JSON object per line with the time (UTC), level, logger,
message, the extra fields and the trace id bound in the current context.

A trace id follows one cycle (``trace("cycle:<account>:<ns>")``, bound by the replay driver
around a step) or one HTTP request (bound by the API's middleware, from ``X-Request-ID`` or a
fresh random id): every line logged while it is bound carries it, in whatever component, and
in threads started with ``asyncio.to_thread`` (which copy the context).

Secrets never reach the output: every value registered with ``redact`` (the approval secret,
the API key) is replaced by ``[redacted]`` wherever it appears in a line, and a field whose name
says it holds a secret is replaced whole. Why both: a secret can leak inside a message text
(an exception's repr) as well as under an honest key.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import sys
from collections.abc import Iterable, Iterator, MutableMapping
from typing import Any, TextIO

import structlog
from structlog.contextvars import bound_contextvars, merge_contextvars

__all__ = ["configure_logging", "new_trace_id", "redact", "trace"]

REDACTED = "[redacted]"
_SECRET_KEYS = ("secret", "api_key", "apikey", "password", "authorization", "token", "cookie")
# Process-wide on purpose: logging is process-wide, and a secret registered once must be
# scrubbed from every line any component writes afterwards.
_secrets: set[str] = set()
_MIN_SECRET_CHARS = 8  # shorter values would redact ordinary words


def redact(values: Iterable[str]) -> None:
    """Never write any of ``values`` (secrets) to the log from now on."""
    for value in values:
        if len(value) >= _MIN_SECRET_CHARS:
            _secrets.add(value)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        for secret in _secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {key: _scrub_field(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    if value is None or isinstance(value, int | float | bool) or not _secrets:
        return value
    return _scrub(str(value))  # an object's text may hold a secret: render it, then scrub


def _scrub_field(key: object, value: Any) -> Any:
    name = str(key).lower()
    if any(part in name for part in _SECRET_KEYS) and value not in (None, ""):
        return REDACTED
    return _scrub(value)


def _redact_secrets(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Structlog processor: scrub every field of the line (see the module docstring)."""
    for key in list(event):
        if key.startswith("_"):
            continue  # structlog's own bookkeeping (the record, the formatter)
        event[key] = _scrub_field(key, event[key]) if key != "event" else _scrub(event[key])
    return event


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send every log line of the process to ``stream`` (stderr) as JSON; idempotent."""
    shared: list[Any] = [
        merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _redact_secrets,
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(default=str),
        ],
    )
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name("aiswarm-json")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "aiswarm-json"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Alembic narrates every plugin and migration step at INFO: warnings and up are news.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


@contextlib.contextmanager
def trace(trace_id: str) -> Iterator[str]:
    """Bind ``trace_id`` to every line logged inside the block (this task and its threads)."""
    with bound_contextvars(trace_id=trace_id):
        yield trace_id


def new_trace_id() -> str:
    """Return a fresh request trace id (random: it must not collide across processes)."""
    return secrets.token_hex(8)
