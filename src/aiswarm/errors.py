"""Exceptions, grouped by what the operator must do about them.

    AiswarmError                 base; never raised directly
    ├── ConfigError              fix the configuration (file, environment, secret) and restart
    ├── StoreError               the event store is unreachable or unusable; trading stops
    ├── ApprovalError            an order's approval did not verify; never retried
    ├── InvalidTransition        a lifecycle event that the state table forbids; refused, logged
    └── VenueError               a venue refused or failed a request
        └── TransientVenueError  a passing venue fault; retried with backoff
            └── VenueRateLimited the venue said slow down (429); retried after Retry-After

Errors become exit codes only in ``cli.py`` and HTTP answers only in ``api/``.
"""

from __future__ import annotations

__all__ = [
    "AiswarmError",
    "ApprovalError",
    "ConfigError",
    "InvalidTransition",
    "StoreError",
    "TransientVenueError",
    "VenueError",
    "VenueRateLimited",
]


class AiswarmError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(AiswarmError):
    """The configuration is invalid or incomplete: fix it and restart. Nothing trades."""


class StoreError(AiswarmError):
    """The event store cannot be opened, migrated or written: nothing trades."""


class ApprovalError(AiswarmError):
    """An approval failed verification. Never retried: the order is refused."""


class InvalidTransition(AiswarmError):  # noqa: N818 - reads as the fact it reports
    """A state table has no row for (state, trigger); the event is refused, not applied."""


class VenueError(AiswarmError):
    """A venue refused or failed a request; the order's state says what happened."""


class TransientVenueError(VenueError):
    """A passing venue fault (timeout, rate limit): the caller retries with backoff."""


class VenueOutcomeUnknown(TransientVenueError):  # noqa: N818 - reads as the fact it reports
    """A request went out and no answer came (a timeout, a connection lost mid-request).

    It may still be in flight at the venue, so "the venue does not know the order" is not
    the truth yet: nothing is sent again, and no order is given up, until the venue's request
    window has passed and a lookup after that still finds nothing.
    """


class VenueRateLimited(TransientVenueError):  # noqa: N818 - reads as the fact it reports
    """The venue refused a request for its rate (HTTP 429): retry no sooner than it said."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
