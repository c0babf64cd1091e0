"""Run a type's connection check and record what it found.

Shared by the TUI (in a worker) and `tether check`/`tether add`; never called on the UI thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.errors import ConnectorError, ErrorKind
from connectors.registry import TypeRegistry, default_types
from connectors.types import CheckRequest, CheckResult, IntegrationType
from storage.convert import now
from storage.errors import Superseded
from storage.integrations import IntegrationRepository
from storage.metrics import MetricsRepository
from storage.records import Integration, Status
from storage.secrets.base import SecretStoreError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger("tether.checks")


@dataclass(frozen=True)
class CheckOutcome:
    integration: Integration
    result: CheckResult | None = None
    error: ConnectorError | None = None
    # Why the outcome was not recorded: the settings changed while the check ran.
    discarded: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and self.result is not None

    @property
    def skipped(self) -> bool:
        return self.error is None and self.result is None


def status_for(error: ConnectorError) -> Status:
    return Status.NEEDS_REAUTH if error.kind is ErrorKind.NEEDS_REAUTH else Status.ERROR


def run_checker(spec: IntegrationType, request: CheckRequest) -> CheckResult:
    """Call the type's checker; every failure comes back as a ConnectorError."""
    try:
        return spec.load_checker()(request)
    except ConnectorError:
        raise
    except Exception as exc:  # a bug in a connector must not leave the row "checking"
        # Only the type: an unexpected exception's text might quote a secret.
        raise ConnectorError(ErrorKind.SERVER, f"Unexpected problem during the check ({type(exc).__name__}).") from None


def check_values(
    spec: IntegrationType,
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    save_secret: Callable[[str, str], None] | None = None,
) -> CheckResult:
    """Test settings that are not saved yet (the form's "Test connection", `tether add`).

    ``save_secret`` receives secrets the check replaced (a rotated refresh token), to save with the rest.
    """
    return run_checker(spec, CheckRequest(settings, secrets, save_secret=save_secret))


def record_success(
    repo: IntegrationRepository,
    integration_id: int,
    result: CheckResult,
    *,
    expected_version: int | None = None,
    known: Integration | None = None,
    along: Callable[[Session], object] | None = None,
    session: Session | None = None,
) -> Integration:
    return repo.set_status(
        integration_id,
        Status.CONNECTED,
        _sentences(result.warnings),
        checked_at=now(),
        summary=result.summary,
        state=result.state,
        learned_settings=result.learned_settings,
        expected_version=expected_version,
        known=known,
        along=along,
        session=session,
    )


@dataclass(frozen=True)
class Probe:
    """What a check heard from the server, before it is recorded."""

    integration: Integration  # as stored when the check began: its version is the one checked
    latency_ms: float
    result: CheckResult | None = None
    error: ConnectorError | None = None


def check_integration(
    repo: IntegrationRepository,
    integration: Integration,
    *,
    metrics: MetricsRepository | None = None,
    timeout: float | None = None,
    types: TypeRegistry | None = None,
) -> CheckOutcome:
    """Check one stored integration, store the new status and its health sample. Never raises ConnectorError.

    While it runs, other tether processes see it as "checking (in another tether)", not interrupted."""
    with repo.check_marks.checking(integration.id):
        # Check what is stored now, and record the outcome only if it still is when the check ends:
        # an edit made meanwhile must not be reported "connected" on the old settings' behalf.
        integration = repo.get(integration.id)
        if integration.status is Status.DISABLED:
            return CheckOutcome(integration)
        try:
            repo.mark_status(integration.id, Status.CHECKING, expected_version=integration.version)
        except Superseded as exc:
            return CheckOutcome(repo.get(integration.id), discarded=str(exc))
        probe = probe_integration(repo, integration, timeout=timeout, types=types)
        return record_probe(repo, metrics or MetricsRepository(repo.engine), probe)


def probe_integration(
    repo: IntegrationRepository,
    integration: Integration,
    *,
    timeout: float | None = None,
    types: TypeRegistry | None = None,
) -> Probe:
    """Ask the server, with the integration's stored secrets; writes nothing but a rotated secret."""
    from app.core.logging_setup import remember_secrets

    spec = (types or default_types()).get(integration.type_key)
    with contextlib.suppress(Exception):  # a checker that cannot load fails below, as its check
        spec.warm_up()
    started = time.perf_counter()
    try:
        secrets = repo.read_secrets(integration)
        remember_secrets(secrets.values())

        def save_secret(name: str, value: str) -> None:
            remember_secrets([value])
            repo.rotate_secret(integration.id, name, value)

        request = CheckRequest(integration.settings, secrets, integration.connector_state, save_secret=save_secret)
        if timeout is not None:
            request = dataclasses.replace(request, timeout=timeout)
        result = run_checker(spec, request)
    except SecretStoreError as exc:
        error = ConnectorError(ErrorKind.SECRETS, str(exc))
    except ConnectorError as exc:
        error = exc
    else:
        latency_ms = result.server_ms if result.server_ms is not None else (time.perf_counter() - started) * 1000
        return Probe(integration, latency_ms, result=result)
    return Probe(integration, (time.perf_counter() - started) * 1000, error=error)


def record_probe(
    repo: IntegrationRepository,
    metrics: MetricsRepository,
    probe: Probe,
    *,
    session: Session | None = None,
) -> CheckOutcome:
    """Store a probe's status and health sample, in one transaction (``session``'s when given).

    The outcome is discarded (Superseded) when the integration changed since the probe began."""
    from app.core.health import record_outcome
    from connectors.deadline import quitting

    integration, latency_ms = probe.integration, probe.latency_ms
    version = integration.version
    if probe.result is not None:
        result = probe.result
        log.info("check ok in %.0f ms", latency_ms, extra={"integration": integration.label})
        try:
            # The health sample goes in the status write's transaction; it is kept even when the
            # status is discarded, since the server did answer.
            stored = record_success(
                repo,
                integration.id,
                result,
                expected_version=version,
                known=integration,
                along=lambda writing: record_outcome(
                    metrics, integration.id, latency_ms=latency_ms, error=None, source="check", session=writing
                ),
                session=session,
            )
            return CheckOutcome(stored, result=result)
        except Superseded as exc:
            log.info("check result discarded: the settings changed meanwhile", extra={"integration": integration.label})
            return CheckOutcome(repo.get(integration.id, session=session), discarded=str(exc))
    failure = probe.error
    assert failure is not None
    if quitting():  # cut short because tether is quitting: that says nothing about the server
        repo.set_status(integration.id, integration.status, integration.status_detail, session=session)
        return CheckOutcome(integration, error=failure)

    def sample(writing: Session) -> None:
        if failure.kind is not ErrorKind.SECRETS:  # a locked secret store says nothing about the server's health
            record_outcome(
                metrics, integration.id, latency_ms=latency_ms, error=failure, source="check", session=writing
            )

    log.warning(
        "check failed (%s) in %.0f ms: %s", failure.kind, latency_ms, failure, extra={"integration": integration.label}
    )
    try:
        stored = repo.set_status(
            integration.id,
            status_for(failure),
            str(failure),
            checked_at=now(),
            expected_version=version,
            known=integration,
            along=sample,
            session=session,
        )
    except Superseded as exc:
        return CheckOutcome(repo.get(integration.id, session=session), discarded=str(exc))
    return CheckOutcome(stored, error=failure)


CHECKING_ELSEWHERE = "checking (in another tether)"


def mark_checks_elsewhere(repo: IntegrationRepository, items: list[Integration]) -> list[Integration]:
    """Rows another tether process is checking now say so, instead of looking like this process's check."""
    return [
        dataclasses.replace(item, status_detail=f"{CHECKING_ELSEWHERE[0].upper()}{CHECKING_ELSEWHERE[1:]}.")
        if repo.checking_elsewhere(item)
        else item
        for item in items
    ]


def _sentences(warnings: tuple[str, ...]) -> str:
    """Warnings as one line of sentences: "A. B." rather than "A.; B."."""
    return " ".join(text if text.endswith((".", "!", "?")) else f"{text}." for text in warnings)
