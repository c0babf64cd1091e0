"""What happens around an OAuth sign-in, shared by the CLI and the TUI.

The sign-in itself (connectors.oauth: loopback or device code) yields tokens and the account's address. Here they
become settings and secrets, are proven with the type's check before anything is saved, and are
stored either as a new integration or into an existing one (re-authentication keeps its label,
id and workflow links). Deleting an OAuth integration revokes its grant first, best effort.
Never called on the UI thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import ConnectorError, ErrorKind
from connectors.oauth.provider import OAuthProvider
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


def start_signin(
    spec: IntegrationType,
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    method: str | None = None,
    environ: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Any:
    """Start the sign-in the type's provider offers (device code by default over SSH, when it has one).

    Returns a started sign-in to show and then ``wait()`` on in a worker. Raises ConnectorError.
    """
    import os

    provider = _provider(spec)
    chosen = method or provider.default_method(settings, os.environ if environ is None else environ)
    return provider.start_sign_in(settings, secrets, method=chosen, timeout=timeout)


def _provider(spec: IntegrationType) -> OAuthProvider:
    if spec.oauth_provider is None:
        raise ConnectorError(ErrorKind.CONFIG, f"{spec.name} does not sign in through OAuth.")
    return spec.oauth_provider


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
    from connectors.oauth.provider import REFRESH_SECRET

    updated = repo.update(
        integration.id,
        settings={**integration.settings, **signed_in.settings},
        secrets={REFRESH_SECRET: signed_in.secrets[REFRESH_SECRET]},
    )
    if signed_in.result is not None:
        updated = record_success(repo, integration.id, signed_in.result)
    return updated


def discard_signin(
    spec: IntegrationType, settings: Mapping[str, Any], secrets: Mapping[str, str], refresh_token: str
) -> None:
    """A sign-in that will not be saved: give the grant back (where the provider allows it) so it does not linger."""
    _provider(spec).revoke(settings, {**secrets, "refresh_token": refresh_token})


def revoke_before_remove(repo: IntegrationRepository, spec: IntegrationType, integration: Integration) -> str | None:
    """End an OAuth integration's grant before it is removed.

    Returns a message for the person when that failed or is not possible (the removal should go
    ahead anyway; the message says where to remove tether's access by hand), or None when it
    worked or there was nothing to end. Call it before ``repo.remove``.
    """
    provider = spec.oauth_provider
    if provider is None or not integration.has_secret("refresh_token"):
        return None
    from storage.secrets.base import SecretStoreError

    by_hand = f" Remove tether's access at {provider.access_page}." if provider.access_page else ""
    try:
        secrets = repo.read_secrets(integration)
    except SecretStoreError as exc:
        return f"Could not read the stored sign-in to end it ({exc}).{by_hand}"
    try:
        return provider.revoke(integration.settings, secrets)
    except ConnectorError as exc:  # revoke() reports its own failures; this is a safety net
        return f"Could not revoke the sign-in: {exc}{by_hand}"


__all__ = [
    "SignedIn",
    "discard_signin",
    "finish_signin",
    "revoke_before_remove",
    "save_new",
    "save_reauth",
    "start_signin",
]
