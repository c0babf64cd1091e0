"""What happens around an OAuth sign-in, shared by the CLI and the TUI.

The sign-in itself (connectors.gmail.signin) yields tokens and the account's address. Here they
become settings and secrets, are proven with the type's check before anything is saved, and are
stored either as a new integration or into an existing one (re-authentication keeps its label,
id and workflow links). Deleting an OAuth integration revokes its grant first, best effort.
Never called on the UI thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import ConnectorError
from connectors.types import CheckResult, IntegrationType
from storage.integrations import IntegrationRepository
from storage.records import Integration


@dataclass(frozen=True)
class SignedIn:
    """A finished sign-in, checked and ready to save. Holds secrets: never print it whole."""

    settings: dict[str, Any]
    secrets: dict[str, str] = field(repr=False)
    result: CheckResult | None  # None when the check was skipped

    @property
    def address(self) -> str:
        return str(self.settings.get("address", ""))


def provider_for(settings: Mapping[str, Any], secrets: Mapping[str, str]):  # type: ignore[no-untyped-def]
    from connectors.gmail.oauth import Provider

    return Provider.from_settings(settings, secrets)


def start_signin(settings: Mapping[str, Any], secrets: Mapping[str, str], *, timeout: float | None = None):  # type: ignore[no-untyped-def]
    """Open the loopback listener and build the authorization URL. Raises ConnectorError."""
    from connectors.gmail.signin import SIGN_IN_TIMEOUT, SignIn

    port = settings.get("redirect_port") or None
    return SignIn(provider_for(settings, secrets), port=int(port) if port else None, timeout=timeout or SIGN_IN_TIMEOUT).start()


def finish_signin(
    spec: IntegrationType,
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    signin_result: Any,
    *,
    check: bool = True,
) -> SignedIn:
    """Merge what the sign-in learned and run the type's check with it. Raises ConnectorError."""
    from app.core.checks import check_values
    from app.core.logging_setup import remember_secrets

    remember_secrets([signin_result.refresh_token, signin_result.access_token])  # masked in every log line
    new_settings = {**settings, "address": signin_result.email, "refresh_issued_at": signin_result.issued_at}
    new_secrets = {**secrets, "refresh_token": signin_result.refresh_token}
    result = None
    if check:
        result = check_values(spec, new_settings, new_secrets, save_secret=new_secrets.__setitem__)
        new_settings.update(result.learned_settings)
    return SignedIn(new_settings, new_secrets, result)


def save_new(repo: IntegrationRepository, spec: IntegrationType, label: str, signed_in: SignedIn) -> Integration:
    from app.core.checks import record_success

    integration = repo.add(spec.key, label, signed_in.settings, signed_in.secrets)
    if signed_in.result is not None:
        integration = record_success(repo, integration.id, signed_in.result)
    return integration


def save_reauth(repo: IntegrationRepository, integration: Integration, signed_in: SignedIn) -> Integration:
    """Store the new sign-in into the same integration: label, id and workflow links stay."""
    from app.core.checks import record_success

    updated = repo.update(
        integration.id,
        settings={**integration.settings, **signed_in.settings},
        secrets={"refresh_token": signed_in.secrets["refresh_token"]},
    )
    if signed_in.result is not None:
        updated = record_success(repo, integration.id, signed_in.result)
    return updated


def discard_signin(settings: Mapping[str, Any], secrets: Mapping[str, str], refresh_token: str) -> None:
    """A sign-in that will not be saved: give the grant back so it does not linger in the account."""
    from connectors.gmail.oauth import revoke

    revoke(settings, {**secrets, "refresh_token": refresh_token})


def revoke_before_remove(repo: IntegrationRepository, integration: Integration) -> str | None:
    """Revoke an OAuth integration's grant before it is removed.

    Returns a message for the person when revocation failed (the removal should go ahead anyway),
    or None when it worked or there was nothing to revoke. Call it before ``repo.remove``.
    """
    from connectors.registry import get_type

    if not get_type(integration.type_key).oauth or not integration.has_secret("refresh_token"):
        return None
    from connectors.gmail.oauth import revoke
    from storage.secrets.base import SecretStoreError

    try:
        secrets = repo.read_secrets(integration)
    except SecretStoreError as exc:
        return f"Could not read the stored sign-in to revoke it ({exc}); remove access in the Google account settings."
    try:
        return revoke(integration.settings, secrets)
    except ConnectorError as exc:  # revoke() reports its own failures; this is a safety net
        return f"Could not revoke the sign-in: {exc}"


__all__ = [
    "SignedIn",
    "discard_signin",
    "finish_signin",
    "revoke_before_remove",
    "save_new",
    "save_reauth",
    "start_signin",
]
