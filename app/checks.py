"""Run a type's connection check for a stored integration and record what it found.

Shared by the TUI (in a worker) and `tether check`; never called on the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.errors import ConnectorError, ErrorKind
from connectors.registry import get_type
from connectors.types import CheckRequest, CheckResult
from storage.convert import now
from storage.integrations import IntegrationRepository
from storage.records import Integration, Status
from storage.secrets.base import SecretStoreError


@dataclass(frozen=True)
class CheckOutcome:
    integration: Integration
    result: CheckResult | None = None
    error: ConnectorError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.result is not None

    @property
    def skipped(self) -> bool:
        return self.error is None and self.result is None


def status_for(error: ConnectorError) -> Status:
    return Status.NEEDS_REAUTH if error.kind is ErrorKind.NEEDS_REAUTH else Status.ERROR


def check_integration(repo: IntegrationRepository, integration: Integration) -> CheckOutcome:
    """Check one integration and store the new status. Returns the outcome; never raises ConnectorError."""
    spec = get_type(integration.type_key)
    if integration.status is Status.DISABLED or not spec.can_check:
        return CheckOutcome(integration)
    repo.set_status(integration.id, Status.CHECKING, integration.status_detail)
    try:
        secrets = repo.read_secrets(integration)
        request = CheckRequest(integration.settings, secrets, integration.connector_state)
        result = spec.load_checker()(request)
    except SecretStoreError as exc:
        error = ConnectorError(ErrorKind.SECRETS, str(exc))
    except ConnectorError as exc:
        error = exc
    except Exception as exc:  # a bug in a connector must not leave the row "checking"
        # Only the type: an unexpected exception's text might quote a secret.
        error = ConnectorError(ErrorKind.SERVER, f"Unexpected problem during the check ({type(exc).__name__}).")
    else:
        stored = repo.set_status(
            integration.id,
            Status.CONNECTED,
            "; ".join(result.warnings),
            checked_at=now(),
            summary=result.summary,
            state=result.state,
            learned_settings=result.learned_settings,
        )
        return CheckOutcome(stored, result=result)
    stored = repo.set_status(integration.id, status_for(error), str(error), checked_at=now())
    return CheckOutcome(stored, error=error)
