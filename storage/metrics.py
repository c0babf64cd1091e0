"""Per-integration health: recent call samples, circuit-breaker state, last success and last error.

Health counts the samples of the last WINDOW, at most the newest MAX_SAMPLES. Older ones are
pruned when a new one is recorded, so the table stays small however long tether runs; not at
every record, which would cost each check two more statements, but once an integration's samples
outgrow either limit by a tenth (``Retention``), so readers apply both limits themselves.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from storage import statements
from storage.convert import now, utc
from storage.models import CallSampleRow, IntegrationRow

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

WINDOW = timedelta(hours=24)
_UNSYNCED = {"synchronize_session": False}
MAX_SAMPLES = 500
# How far an integration's samples may outgrow the limits before they are pruned, as a share of
# each limit: with a check a minute, pruning runs about once every 50 checks instead of at each.
PRUNE_SLACK = 0.1


class BreakerState(StrEnum):
    CLOSED = "closed"  # calls go through
    OPEN = "open"  # calls fail fast with the last error
    HALF_OPEN = "half_open"  # one probe call may go through


@dataclass(frozen=True)
class Breaker:
    state: BreakerState = BreakerState.CLOSED
    since: datetime | None = None
    failures: int = 0


@dataclass(frozen=True)
class Health:
    """What the list, the detail pane, `tether status` and diagnostics show about one integration."""

    integration_id: int
    requests: int = 0
    errors: int = 0
    last_latency_ms: float | None = None
    p95_latency_ms: float | None = None
    last_success_at: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None
    last_error_kind: str = ""
    breaker: Breaker = Breaker()

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class Retention:
    """What one process last saw of each integration's stored samples: how many, and the oldest.

    Shared by every repository on one database (checks build their own), so that pruning is due
    by the table's size, not by how many repositories were made. Samples another process adds
    are not counted here; that process prunes by its own count, and readers apply the limits.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[int, tuple[int, datetime]] = {}

    def prune_due(self, integration_id: int, at: datetime, window: timedelta, max_samples: int) -> bool:
        """Count one more sample at ``at``; whether the integration's samples should be pruned now."""
        with self._lock:
            seen = self._seen.get(integration_id)
            if seen is None:
                return True  # not seen since this process started: find out
            count, oldest = seen[0] + 1, min(seen[1], at)
            self._seen[integration_id] = (count, oldest)
        return count > max_samples * (1 + PRUNE_SLACK) or oldest < at - window * (1 + PRUNE_SLACK)

    def pruned(self, integration_id: int, count: int, oldest: datetime | None) -> None:
        with self._lock:
            if oldest is None:
                self._seen.pop(integration_id, None)
            else:
                self._seen[integration_id] = (count, oldest)


_RETENTION: weakref.WeakKeyDictionary[Engine, Retention] = weakref.WeakKeyDictionary()


class MetricsRepository:
    def __init__(self, engine: Engine, *, window: timedelta = WINDOW, max_samples: int = MAX_SAMPLES) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.window = window
        self.max_samples = max_samples
        self._retention = _RETENTION.setdefault(engine, Retention())

    def record(
        self,
        integration_id: int,
        *,
        ok: bool,
        latency_ms: float,
        error_kind: str = "",
        error_message: str = "",
        source: str = "check",
        at: datetime | None = None,
        next_breaker: Callable[[Breaker], Breaker] | None = None,
        session: Session | None = None,
    ) -> Breaker | None:
        """Store one call's outcome; ``error_message`` must already be free of secrets.

        ``next_breaker`` turns the stored breaker into the new one within the same write (one
        transaction per call, not three: checks of many integrations at once all come here).
        Given a ``session``, the writes join its transaction (a check's status write) instead of
        making their own. Returns the breaker as stored, None when the integration is gone.
        """
        at = at or now()
        if session is not None:
            return self._write(
                session, integration_id, ok, latency_ms, error_kind, error_message, source, at, next_breaker
            )
        with self._sessions.begin() as own:
            return self._write(own, integration_id, ok, latency_ms, error_kind, error_message, source, at, next_breaker)

    def _write(
        self,
        session: Session,
        integration_id: int,
        ok: bool,
        latency_ms: float,
        error_kind: str,
        error_message: str,
        source: str,
        at: datetime,
        next_breaker: Callable[[Breaker], Breaker] | None,
    ) -> Breaker | None:
        row = statements.breaker_row(session, integration_id)
        if row is None:
            return None  # removed while the call ran
        statements.insert_sample(
            session,
            {
                "integration_id": integration_id,
                "at": at,
                "ok": ok,
                "latency_ms": float(latency_ms),
                "error_kind": "" if ok else error_kind,
                "source": source,
            },
        )
        values: dict[str, object] = (
            {"last_success_at": at} if ok else {"last_error": error_message, "last_error_at": at}
        )
        breaker = _breaker_of(row)
        if next_breaker is not None:
            breaker = next_breaker(breaker)
            values.update(_breaker_values(breaker))
        statements.update_integration(session, integration_id, values)
        if self._retention.prune_due(integration_id, at, self.window, self.max_samples):
            self._prune(session, integration_id, at)
        return breaker

    def _prune(self, session: Session, integration_id: int, at: datetime) -> None:
        session.execute(
            delete(CallSampleRow).where(
                CallSampleRow.integration_id == integration_id, CallSampleRow.at < at - self.window
            ),
            execution_options=_UNSYNCED,
        )
        keep = (
            select(CallSampleRow.id)
            .where(CallSampleRow.integration_id == integration_id)
            .order_by(CallSampleRow.id.desc())
            .limit(self.max_samples)
        )
        session.execute(
            delete(CallSampleRow).where(CallSampleRow.integration_id == integration_id, CallSampleRow.id.not_in(keep)),
            execution_options=_UNSYNCED,
        )
        count, oldest = session.execute(
            select(func.count(), func.min(CallSampleRow.at)).where(CallSampleRow.integration_id == integration_id)
        ).one()
        self._retention.pruned(integration_id, int(count or 0), utc(oldest))

    def breaker(self, integration_id: int, session: Session | None = None) -> Breaker:
        """The stored breaker; given a ``session``, read in its transaction (no second connection)."""
        if session is not None:
            row = statements.breaker_row(session, integration_id)
            return _breaker_of(row) if row is not None else Breaker()
        with self._sessions() as own:
            return self.breaker(integration_id, own)

    def set_breaker(self, integration_id: int, breaker: Breaker) -> None:
        with self._sessions.begin() as session:
            statements.update_integration(session, integration_id, _breaker_values(breaker))

    def health(self, integration_id: int, at: datetime | None = None) -> Health:
        return self.health_all(at, only=integration_id).get(integration_id, Health(integration_id))

    def health_all(self, at: datetime | None = None, *, only: int | Collection[int] | None = None) -> dict[int, Health]:
        """Health of every visible integration (or of those in ``only``), computed over the recent window."""
        since = (at or now()) - self.window
        with self._sessions() as session:
            rows_query = select(
                IntegrationRow.id,
                IntegrationRow.breaker_state,
                IntegrationRow.breaker_since,
                IntegrationRow.breaker_failures,
                IntegrationRow.last_success_at,
                IntegrationRow.last_error,
                IntegrationRow.last_error_at,
            ).where(IntegrationRow.pending.is_(False))
            samples_query = (
                select(
                    CallSampleRow.integration_id, CallSampleRow.ok, CallSampleRow.latency_ms, CallSampleRow.error_kind
                )
                .where(CallSampleRow.at >= since)
                .order_by(CallSampleRow.integration_id, CallSampleRow.id)
            )
            if only is not None:
                ids = [only] if isinstance(only, int) else list(only)
                rows_query = rows_query.where(IntegrationRow.id.in_(ids))
                samples_query = samples_query.where(CallSampleRow.integration_id.in_(ids))
            rows = session.execute(rows_query).all()
            samples: dict[int, list[tuple[bool, float, str]]] = {}
            for integration_id, ok, latency, kind in session.execute(samples_query):
                samples.setdefault(integration_id, []).append((bool(ok), float(latency), kind or ""))
        result: dict[int, Health] = {}
        for row in rows:
            own = samples.get(row.id, [])[-self.max_samples :]  # samples not pruned yet do not count
            latencies = [latency for _, latency, _ in own]
            failed_kinds = [kind for ok, _, kind in own if not ok]
            result[row.id] = Health(
                integration_id=row.id,
                requests=len(own),
                errors=len(failed_kinds),
                last_latency_ms=latencies[-1] if latencies else None,
                p95_latency_ms=percentile(latencies, 0.95),
                last_success_at=utc(row.last_success_at),
                last_error=row.last_error or "",
                last_error_at=utc(row.last_error_at),
                last_error_kind=failed_kinds[-1] if failed_kinds else "",
                breaker=Breaker(
                    BreakerState(row.breaker_state or BreakerState.CLOSED),
                    utc(row.breaker_since),
                    row.breaker_failures or 0,
                ),
            )
        return result

    def sample_count(self, integration_id: int) -> int:
        with self._sessions() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(CallSampleRow)
                    .where(CallSampleRow.integration_id == integration_id)
                )
                or 0
            )


def _breaker_values(breaker: Breaker) -> dict[str, object]:
    return {"breaker_state": str(breaker.state), "breaker_since": breaker.since, "breaker_failures": breaker.failures}


def _breaker_of(row: Any) -> Breaker:
    return Breaker(
        BreakerState(row.breaker_state or BreakerState.CLOSED), utc(row.breaker_since), row.breaker_failures or 0
    )
