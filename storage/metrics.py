"""Per-integration health: recent call samples, circuit-breaker state, last success and last error.

Samples older than the window (or beyond the newest MAX_SAMPLES) are pruned when a new one is
recorded, so the table stays small however long tether runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import sessionmaker

from storage.convert import now, utc
from storage.models import CallSampleRow, IntegrationRow

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

WINDOW = timedelta(hours=24)
_UNSYNCED = {"synchronize_session": False}
MAX_SAMPLES = 500


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


class MetricsRepository:
    def __init__(self, engine: Engine, *, window: timedelta = WINDOW, max_samples: int = MAX_SAMPLES) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.window = window
        self.max_samples = max_samples

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
    ) -> Breaker | None:
        """Store one call's outcome; ``error_message`` must already be free of secrets.

        ``next_breaker`` turns the stored breaker into the new one within the same write (one
        transaction per call, not three: checks of many integrations at once all come here).
        Returns the breaker as stored, None when the integration is gone.
        """
        at = at or now()
        with self._sessions.begin() as session:
            row = session.get(IntegrationRow, integration_id)
            if row is None:
                return None  # removed while the call ran
            session.add(
                CallSampleRow(
                    integration_id=integration_id,
                    at=at,
                    ok=ok,
                    latency_ms=float(latency_ms),
                    error_kind="" if ok else error_kind,
                    source=source,
                )
            )
            values: dict[str, object] = (
                {"last_success_at": at} if ok else {"last_error": error_message, "last_error_at": at}
            )
            breaker = _breaker_of(row)
            if next_breaker is not None:
                breaker = next_breaker(breaker)
                values.update(_breaker_values(breaker))
            # The session holds nothing these statements could change: skip SQLAlchemy matching them
            # against loaded objects (a third of a check's bookkeeping otherwise).
            session.execute(
                update(IntegrationRow).where(IntegrationRow.id == integration_id).values(**values),
                execution_options=_UNSYNCED,
            )
            self._prune(session, integration_id, at)
        return breaker

    def _prune(self, session, integration_id: int, at: datetime) -> None:
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

    def breaker(self, integration_id: int) -> Breaker:
        with self._sessions() as session:
            row = session.get(IntegrationRow, integration_id)
            return _breaker_of(row) if row is not None else Breaker()

    def set_breaker(self, integration_id: int, breaker: Breaker) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(IntegrationRow).where(IntegrationRow.id == integration_id).values(**_breaker_values(breaker))
            )

    def health(self, integration_id: int, at: datetime | None = None) -> Health:
        return self.health_all(at, only=integration_id).get(integration_id, Health(integration_id))

    def health_all(self, at: datetime | None = None, *, only: int | None = None) -> dict[int, Health]:
        """Health of every visible integration (or one), computed over the recent window."""
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
                rows_query = rows_query.where(IntegrationRow.id == only)
                samples_query = samples_query.where(CallSampleRow.integration_id == only)
            rows = session.execute(rows_query).all()
            samples: dict[int, list[tuple[bool, float, str]]] = {}
            for integration_id, ok, latency, kind in session.execute(samples_query):
                samples.setdefault(integration_id, []).append((bool(ok), float(latency), kind or ""))
        result: dict[int, Health] = {}
        for row in rows:
            own = samples.get(row.id, [])
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


def _breaker_of(row: IntegrationRow) -> Breaker:
    return Breaker(
        BreakerState(row.breaker_state or BreakerState.CLOSED), utc(row.breaker_since), row.breaker_failures or 0
    )
