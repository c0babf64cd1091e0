"""How much work reading one calendar may do: a deadline shared with the fetch, and caps on occurrences.

A 250-byte feed with ``RRULE:FREQ=SECONDLY`` and no end describes millions of
occurrences a year. Every read carries a Budget: each series stops after
``per_series`` occurrences, the whole read after ``per_call``, and a note says so;
running past the deadline is a TIMEOUT error, like a server that answers too slowly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from connectors.errors import ConnectorError, ErrorKind

PER_SERIES = 1_000
PER_CALL = 10_000


@dataclass
class Budget:
    deadline: float  # time.monotonic() value
    what: str = "Reading the calendar"
    per_series: int = PER_SERIES
    per_call: int = PER_CALL
    used: int = 0  # occurrences handed out so far
    notes: list[str] = field(default_factory=list)

    @classmethod
    def seconds(cls, timeout: float, what: str = "Reading the calendar") -> Budget:
        return cls(time.monotonic() + timeout, what)

    @property
    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    @property
    def full(self) -> bool:
        return self.used >= self.per_call

    def check(self) -> None:
        """Raise TIMEOUT once the deadline has passed."""
        if time.monotonic() > self.deadline:
            raise ConnectorError(
                ErrorKind.TIMEOUT,
                f"{self.what} did not finish in time.",
                hint="The calendar is very large or has series with very many occurrences; "
                "ask for a shorter period or raise the timeout.",
            )

    def take(self, count: int) -> int:
        """Reserve up to ``count`` occurrences; returns how many fit in the per-call cap."""
        granted = max(0, min(count, self.per_call - self.used))
        self.used += granted
        return granted

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def note_call_cap(self) -> None:
        self.note(f"Stopped after {self.per_call:,} occurrences; later ones in the period are not listed.")
