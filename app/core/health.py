"""The circuit breaker and the guard around every connector call.

A check is a probe: it always runs, and its outcome opens or closes the breaker. A call from a
workflow goes through ``guarded_call``: refused at once when the integration is disabled, needs
re-authentication or its breaker is open, otherwise run, timed and recorded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from connectors.errors import ConnectorError, ErrorKind
from connectors.types import CheckRequest
from storage.convert import now
from storage.integrations import IntegrationRepository
from storage.metrics import Breaker, BreakerState, Health, MetricsRepository
from storage.records import Integration, Status
from storage.secrets.base import SecretStoreError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")
log = logging.getLogger("tether.health")


@dataclass(frozen=True)
class BreakerPolicy:
    failure_threshold: int = 3
    # How long an open breaker refuses calls before letting one through as a probe.
    cool_down: timedelta = timedelta(minutes=1)

    def after(self, breaker: Breaker, ok: bool, at: datetime) -> Breaker:
        """The breaker after one call or check."""
        if ok:
            return Breaker()
        failures = breaker.failures + 1
        if breaker.state is BreakerState.OPEN:
            return Breaker(BreakerState.OPEN, breaker.since, failures)
        if failures >= self.failure_threshold:
            return Breaker(BreakerState.OPEN, at, failures)
        return Breaker(BreakerState.CLOSED, None, failures)

    def shown_state(self, health: Health, at: datetime) -> BreakerState:
        """OPEN turns HALF_OPEN once the cool-down has passed since the last failure."""
        breaker = health.breaker
        if breaker.state is BreakerState.OPEN and self._cooled(health, at):
            return BreakerState.HALF_OPEN
        return breaker.state

    def allows(self, health: Health, at: datetime) -> bool:
        return health.breaker.state is BreakerState.CLOSED or self._cooled(health, at)

    def _cooled(self, health: Health, at: datetime) -> bool:
        last = health.last_error_at or health.breaker.since
        return last is None or at - last >= self.cool_down


DEFAULT_POLICY = BreakerPolicy()


def record_outcome(
    metrics: MetricsRepository,
    integration_id: int,
    *,
    latency_ms: float,
    error: ConnectorError | None,
    source: str,
    policy: BreakerPolicy = DEFAULT_POLICY,
    at: datetime | None = None,
    session: Session | None = None,
) -> Breaker:
    """Store one call's sample and move the breaker; returns the new breaker.

    A failure that asked nothing of the server (a sign-in that never happened, a value that cannot be
    sent) is no sample of the server's health: nothing is stored and the breaker stays as it is.
    Given a ``session``, the sample is written in its transaction (with a check's status).
    """
    if error is not None and error.caller_fault:
        return metrics.breaker(integration_id, session)
    at = at or now()
    stored = metrics.record(
        integration_id,
        ok=error is None,
        latency_ms=latency_ms,
        error_kind=str(error.kind) if error else "",
        error_message=str(error) if error else "",
        source=source,
        at=at,
        next_breaker=lambda breaker: policy.after(breaker, error is None, at),
        session=session,
    )
    return stored if stored is not None else policy.after(Breaker(), error is None, at)


class UnexpectedFailure(ConnectorError):
    """A call failed in a way no connector anticipated; ``exception`` names the Python exception type.

    Carried as its own type so that a front end can word it for what it was doing (the MCP server
    says which tool call) without matching the message.
    """

    def __init__(self, exception: str, doing: str = "during the call") -> None:
        super().__init__(ErrorKind.SERVER, f"Unexpected problem {doing} ({exception}).")
        self.exception = exception


def reset_breaker(metrics: MetricsRepository, integration_id: int) -> None:
    metrics.set_breaker(integration_id, Breaker())


def unavailable_reason(
    integration: Integration, health: Health, policy: BreakerPolicy, at: datetime
) -> ConnectorError | None:
    """Why a workflow may not use this integration right now, or None when it may."""
    label = integration.label
    if integration.status is Status.DISABLED:
        return ConnectorError(
            ErrorKind.DISABLED,
            f"{label!r} is disabled.",
            hint=f"Enable it with `tether enable {label!r}` or x in the list.",
        )
    if integration.status is Status.NEEDS_REAUTH:
        return ConnectorError(
            ErrorKind.NEEDS_REAUTH,
            f"{label!r} needs you to sign in again.",
            hint="Open it in tether and re-authenticate.",
        )
    if not policy.allows(health, at):
        since = health.breaker.since.strftime("%Y-%m-%d %H:%M UTC") if health.breaker.since else "recently"
        known = {str(kind) for kind in ErrorKind}
        kind = ErrorKind(health.last_error_kind) if health.last_error_kind in known else ErrorKind.UNREACHABLE
        return ConnectorError(
            kind,
            f"{label!r} is failing since {since} ({health.breaker.failures} failures in a row): "
            f"{health.last_error or 'no detail'}",
            hint="Calls resume after a successful check.",
        )
    return None


def guarded_call(
    repo: IntegrationRepository,
    integration: Integration | int,
    fn: Callable[[CheckRequest], T],
    *,
    metrics: MetricsRepository | None = None,
    policy: BreakerPolicy = DEFAULT_POLICY,
    clock: Callable[[], float] = time.perf_counter,
) -> T:
    """Run one connector call for a workflow: refuse fast when it cannot work, else time and record it.

    Raises ConnectorError for every failure; an unexpected exception is reported by its type only,
    since its text might quote a secret.
    """
    metrics = metrics or MetricsRepository(repo.engine)
    current = repo.get(integration if isinstance(integration, int) else integration.id)
    refusal = unavailable_reason(current, metrics.health(current.id), policy, now())
    if refusal is not None:
        raise refusal
    started = clock()
    error: ConnectorError | None = None
    try:
        secrets = repo.read_secrets(current)
        from app.core.logging_setup import remember_secrets

        remember_secrets(secrets.values())
        return fn(CheckRequest(current.settings, secrets, current.connector_state))
    except SecretStoreError as exc:
        error = ConnectorError(ErrorKind.SECRETS, str(exc))
        raise error from None
    except ConnectorError as exc:
        error = exc
        raise
    except Exception as exc:
        error = UnexpectedFailure(type(exc).__name__)
        raise error from None
    finally:
        latency_ms = (clock() - started) * 1000
        if error is None or error.kind is not ErrorKind.SECRETS:
            # A locked secret store says nothing about the server: it must not open the breaker. Nor does
            # a caller's mistake (no such message or folder, a value that cannot be sent): the server answered.
            counted = None if error is None or error.caller_fault else error
            record_outcome(metrics, current.id, latency_ms=latency_ms, error=counted, source="call", policy=policy)
        log.info(
            "call %s in %.0f ms",
            "ok" if error is None else f"failed ({error.kind})",
            latency_ms,
            extra={"integration": current.label},
        )
