"""Retries with exponential backoff and jitter, for transient failures only."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from connectors.deadline import quitting
from connectors.errors import ConnectorError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # total tries, including the first
    base_delay: float = 0.5
    max_delay: float = 8.0
    # A Retry-After longer than this is not waited for: the error is reported instead.
    max_retry_after: float = 30.0

    def delay(self, attempt: int, error: ConnectorError) -> float | None:
        """Seconds to wait before try ``attempt + 1``, or None to give up now."""
        if attempt >= self.attempts or not error.kind.transient:
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_retry_after else None
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(backoff / 2, backoff)  # "equal jitter": spread, never zero


def with_retries(
    call: Callable[[], T],
    policy: RetryPolicy = RetryPolicy(),
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``call``; on a transient ConnectorError wait and try again, up to the policy's attempts.

    A wrong password or bad data is never retried: the same request would fail the same way.
    """
    attempt = 1
    while True:
        try:
            return call()
        except ConnectorError as error:
            wait = policy.delay(attempt, error)
            if wait is None or quitting():  # no second try while tether is quitting
                raise
            sleep(wait)
            attempt += 1
