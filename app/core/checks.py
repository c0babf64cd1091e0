"""Run a type's connection check and record what it found.

Shared by the TUI (in a worker) and `tether check`/`tether add`; never called on the UI thread.
"""

from __future__ import annotations

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
    )


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
        return _check_stored(repo, integration, metrics=metrics, timeout=timeout, types=types)


def _check_stored(
    repo: IntegrationRepository,
    integration: Integration,
    *,
    metrics: MetricsRepository | None,
    timeout: float | None,
    types: TypeRegistry | None,
) -> CheckOutcome:
    from app.core.health import record_outcome
    from app.core.logging_setup import remember_secrets
    from connectors.deadline import quitting

    # Check what is stored now, and record the outcome only if it still is when the check ends:
    # an edit made meanwhile must not be reported "connected" on the old settings' behalf.
    integration = repo.get(integration.id)
    version = integration.version
    spec = (types or default_types()).get(integration.type_key)
    if integration.status is Status.DISABLED:
        return CheckOutcome(integration)
    metrics = metrics or MetricsRepository(repo.engine)
    try:
        repo.mark_status(integration.id, Status.CHECKING, expected_version=version)
    except Superseded as exc:
        return CheckOutcome(repo.get(integration.id), discarded=str(exc))
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
        latency_ms = (time.perf_counter() - started) * 1000
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
                along=lambda session: record_outcome(
                    metrics, integration.id, latency_ms=latency_ms, error=None, source="check", session=session
                ),
            )
            return CheckOutcome(stored, result=result)
        except Superseded as exc:
            log.info("check result discarded: the settings changed meanwhile", extra={"integration": integration.label})
            return CheckOutcome(repo.get(integration.id), discarded=str(exc))
    if quitting():  # cut short because tether is quitting: that says nothing about the server
        repo.set_status(integration.id, integration.status, integration.status_detail)
        return CheckOutcome(integration, error=error)
    latency_ms = (time.perf_counter() - started) * 1000
    failure = error

    def sample(session: Session) -> None:
        if failure.kind is not ErrorKind.SECRETS:  # a locked secret store says nothing about the server's health
            record_outcome(
                metrics, integration.id, latency_ms=latency_ms, error=failure, source="check", session=session
            )

    log.warning(
        "check failed (%s) in %.0f ms: %s", error.kind, latency_ms, error, extra={"integration": integration.label}
    )
    try:
        stored = repo.set_status(
            integration.id,
            status_for(error),
            str(error),
            checked_at=now(),
            expected_version=version,
            known=integration,
            along=sample,
        )
    except Superseded as exc:
        return CheckOutcome(repo.get(integration.id), discarded=str(exc))
    return CheckOutcome(stored, error=error)


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
