"""The integration form's requests, run in a worker thread: the type's check, or a field's options call.

Each takes the form's Request and fills the secret fields left empty from the store when it says so.
A failure comes back as a ConnectorError, never raised: the form shows it as it shows a check's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.form_state import Request
    from connectors.errors import ConnectorError
    from connectors.fields import Option
    from connectors.types import CheckResult, IntegrationType
    from storage.records import Integration
    from storage.service import Storage


def request_secrets(request: Request, integration: Integration | None, storage: Storage | None) -> dict[str, str]:
    """Typed secrets, with the stored ones filling the secret fields left empty."""
    if request.use_stored and integration is not None and storage is not None:
        stored = storage.integrations.read_secrets(integration)
        return {**stored, **request.secrets}
    return dict(request.secrets)


def test_request(
    spec: IntegrationType, request: Request, integration: Integration | None, storage: Storage | None
) -> tuple[CheckResult | None, ConnectorError | None]:
    """The type's check on the form's values; nothing about the integration is recorded, except a
    secret the check replaced (a rotated refresh token: the old one is void at once)."""
    from app.core.checks import check_values
    from connectors.errors import ConnectorError, ErrorKind
    from storage.secrets.base import SecretStoreError

    save_secret = None
    if integration is not None and storage is not None:
        from app.core.logging_setup import remember_secrets

        repo, integration_id = storage.integrations, integration.id

        def save_secret(name: str, value: str) -> None:
            remember_secrets([value])
            repo.rotate_secret(integration_id, name, value)

    try:
        secrets = request_secrets(request, integration, storage)
        return check_values(spec, request.settings, secrets, save_secret), None
    except SecretStoreError as exc:
        return None, ConnectorError(ErrorKind.SECRETS, str(exc))
    except ConnectorError as exc:
        return None, exc


def options_request(
    options_path: str, request: Request, integration: Integration | None, storage: Storage | None
) -> tuple[list[Option], ConnectorError | None]:
    """What a field's options function offers for the form's values."""
    from app.core.options import load_options
    from connectors.errors import ConnectorError, ErrorKind
    from storage.secrets.base import SecretStoreError

    try:
        return load_options(options_path, request.settings, request_secrets(request, integration, storage)), None
    except SecretStoreError as exc:
        return [], ConnectorError(ErrorKind.SECRETS, str(exc))
    except ConnectorError as exc:
        return [], exc
