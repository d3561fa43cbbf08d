"""Retry a venue call on a transient fault, with capped exponential backoff and seeded jitter.

Which calls may be retried is the caller's decision, made once in the adapter: every query
(it changes nothing), a cancel (cancelling twice is refused, never doubled) and a submit only
after the venue was asked by client order id whether the first attempt arrived. A refusal
(``VenueError`` that is not transient) is never retried. A ``VenueRateLimited`` waits at least
the venue's Retry-After, or gives up at once when that is longer than ``max_delay_s``. The
jitter draws from its own seeded generator (time and chance are injected); the sleep is
asyncio's, so a test's short delays keep it quick.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from aiswarm.errors import TransientVenueError, VenueRateLimited

__all__ = ["RetryPolicy", "backoff_s", "retry_transient", "waits_too_long"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry: attempts in all, first and largest wait (s)."""

    attempts: int = 4
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts={self.attempts}; use 1 or more (1 means no retry)")
        if not 0 <= self.base_delay_s <= self.max_delay_s:
            raise ValueError(
                f"base_delay_s={self.base_delay_s} max_delay_s={self.max_delay_s}; need "
                "0 <= base <= max"
            )


def backoff_s(
    policy: RetryPolicy, attempt: int, rng: random.Random, error: BaseException | None
) -> float:
    """Return the wait before attempt ``attempt + 1``: jitter in the upper half of a doubling
    cap, and never less than a rate limit's Retry-After (seconds)."""
    cap = min(policy.max_delay_s, policy.base_delay_s * 2 ** (attempt - 1))
    delay = rng.uniform(cap / 2, cap)
    if isinstance(error, VenueRateLimited) and error.retry_after_s is not None:
        delay = max(delay, error.retry_after_s)
    return delay


def waits_too_long(policy: RetryPolicy, error: BaseException | None) -> bool:
    """Return whether a rate limit asks for a longer wait than ``max_delay_s``.

    Then the caller gives up now rather than hold the step (and the OMS's lock) that long:
    the request counts as unanswered and the OMS asks again on a later pass.
    """
    return (
        isinstance(error, VenueRateLimited)
        and error.retry_after_s is not None
        and error.retry_after_s > policy.max_delay_s
    )


class _StopOnLongRateLimit(stop_base):
    """Stop retrying when the venue asks for a longer wait than the policy allows."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        return waits_too_long(self._policy, outcome.exception() if outcome is not None else None)


class _BackoffWithJitter(wait_base):
    """``backoff_s`` as tenacity's wait strategy."""

    def __init__(self, policy: RetryPolicy, rng: random.Random) -> None:
        self._policy = policy
        self._rng = rng

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        return backoff_s(self._policy, retry_state.attempt_number, self._rng, error)


async def retry_transient(
    call: Callable[[], Awaitable[T]], policy: RetryPolicy, rng: random.Random
) -> T:
    """Return ``await call()``, retried on ``TransientVenueError`` as ``policy`` allows.

    The last transient error is raised when the attempts run out, so the OMS can treat the
    request as unanswered (it asks again on its next pass).
    """
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts) | _StopOnLongRateLimit(policy),
        wait=_BackoffWithJitter(policy, rng),
        retry=retry_if_exception_type(TransientVenueError),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await call()
    raise AssertionError("unreachable: tenacity either returns or reraises")  # pragma: no cover
