"""When to re-check integrations in the background. Plain Python: the TUI drives it with a timer.

Healthy integrations are re-checked every ``interval`` seconds; failing ones back off
exponentially with jitter (base, 2x, 4x ... capped), so a dead server is not hammered. At most
``max_concurrent`` checks run at once. A manual check always runs at once, whatever is due.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from storage.records import Integration, Status

ENV_INTERVAL = "TETHER_CHECK_INTERVAL"
DEFAULT_INTERVAL = 300.0
MIN_INTERVAL = 2.0
DEFAULT_CONCURRENCY = 4
# Checks a person waits for (the TUI's R, `tether check`) run more at once: they mostly wait on servers.
MANUAL_CONCURRENCY = 16


def interval_from_env(default: float = DEFAULT_INTERVAL) -> float | None:
    """TETHER_CHECK_INTERVAL in seconds (e.g. 120), "off" for no background checks, else the default."""
    raw = os.environ.get(ENV_INTERVAL, "").strip().lower()
    if raw in ("off", "0", "never", "no"):
        return None
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return max(MIN_INTERVAL, value)


@dataclass
class _Entry:
    due_at: float
    failures: int = 0
    running: bool = False


class HealthScheduler:
    """Decides which integrations to check now; the caller runs them (thread pool or Textual workers).

    ``take_due()`` hands out what is due, never more than the free concurrency slots, and marks
    them running; ``finished()`` must be called for each with the outcome.
    """

    def __init__(
        self,
        *,
        interval: float = DEFAULT_INTERVAL,
        max_concurrent: int = DEFAULT_CONCURRENCY,
        backoff_base: float | None = None,
        backoff_cap: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.interval = interval
        self.max_concurrent = max(1, max_concurrent)
        self.backoff_base = backoff_base if backoff_base is not None else min(30.0, interval)
        self.backoff_cap = backoff_cap if backoff_cap is not None else max(interval * 6, 1800.0)
        self._clock = clock
        self._rng = rng
        self._entries: dict[int, _Entry] = {}
        self._manual: list[int] = []
        self._lock = threading.Lock()

    # --- what exists ------------------------------------------------------------------------

    def sync(self, integrations: Iterable[Integration]) -> None:
        """Track the current integrations: new ones are due now, removed or disabled ones dropped."""
        with self._lock:
            wanted = {item.id for item in integrations if item.status is not Status.DISABLED}
            for gone in set(self._entries) - wanted:
                if not self._entries[gone].running:
                    del self._entries[gone]
            for integration_id in wanted:
                self._entries.setdefault(integration_id, _Entry(due_at=self._clock()))

    def request(self, integration_ids: Iterable[int]) -> None:
        """A manual check: these go first at the next take_due, whatever their schedule."""
        with self._lock:
            for integration_id in integration_ids:
                self._entries.setdefault(integration_id, _Entry(due_at=self._clock()))
                if integration_id not in self._manual:
                    self._manual.append(integration_id)

    # --- running ------------------------------------------------------------------------------

    def take_due(self, *, manual_only: bool = False) -> list[int]:
        """Ids to check now, manual requests first; each is marked running until finished()."""
        with self._lock:
            now = self._clock()
            chosen: list[int] = []
            for integration_id in list(self._manual):
                entry = self._entries[integration_id]
                if not entry.running:
                    self._manual.remove(integration_id)
                    chosen.append(integration_id)
            # Manual checks bypass the concurrency limit: a key press must never wait behind the timer.
            running = sum(1 for entry in self._entries.values() if entry.running)
            slots = self.max_concurrent - running - len(chosen)
            if not manual_only:
                due = sorted(
                    (entry.due_at, integration_id)
                    for integration_id, entry in self._entries.items()
                    if not entry.running and entry.due_at <= now and integration_id not in chosen
                )
                chosen.extend(integration_id for _, integration_id in due[: max(0, slots)])
            for integration_id in chosen:
                self._entries[integration_id].running = True
            return chosen

    def finished(self, integration_id: int, ok: bool, *, retry_after: float | None = None) -> float:
        """Record a check's outcome; returns the seconds until its next check."""
        with self._lock:
            entry = self._entries.get(integration_id)
            if entry is None:
                return self.interval
            entry.running = False
            if ok:
                entry.failures = 0
                delay = self.interval
            else:
                entry.failures += 1
                delay = self.backoff_delay(entry.failures)
                if retry_after:
                    delay = max(delay, retry_after)
            entry.due_at = self._clock() + delay
            return delay

    def postpone(self, integration_id: int, seconds: float) -> None:
        """Not checked this time for a reason that is not the server's (e.g. a locked vault): try again soon."""
        with self._lock:
            entry = self._entries.get(integration_id)
            if entry is not None:
                entry.running = False
                entry.due_at = self._clock() + seconds

    def backoff_delay(self, failures: int) -> float:
        """Exponential with "equal jitter": between half and all of base * 2^(failures-1), capped."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** max(0, failures - 1))
        return ceiling / 2 + self._rng() * ceiling / 2

    def next_due_in(self) -> float | None:
        """Seconds until the next check is due (0 if one is), None when nothing is tracked."""
        with self._lock:
            waiting = [entry.due_at for entry in self._entries.values() if not entry.running]
            if self._manual:
                return 0.0
            if not waiting:
                return None
            return max(0.0, min(waiting) - self._clock())

    def failures(self, integration_id: int) -> int:
        entry = self._entries.get(integration_id)
        return entry.failures if entry else 0

    def running(self) -> set[int]:
        with self._lock:
            return {integration_id for integration_id, entry in self._entries.items() if entry.running}


def slowest_first(integration_ids: Iterable[int], last_latency_ms: Mapping[int, float | None]) -> list[int]:
    """Order a batch so the checks expected to take longest start first (never-measured ones first).

    With bounded concurrency, a slow or hung server started last would add its whole timeout
    after everything else; started first, it overlaps with the rest.
    """
    ids = list(integration_ids)
    position = {integration_id: index for index, integration_id in enumerate(ids)}

    def key(integration_id: int) -> tuple[int, float, int]:
        latency = last_latency_ms.get(integration_id)
        return (0 if latency is None else 1, -(latency or 0.0), position[integration_id])

    return sorted(ids, key=key)
