"""The one way to an access token for a stored sign-in, used by checks and mail tools alike, and revocation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.errors import ConnectorError, ErrorKind
from connectors.oauth.exchange import REAUTH_HINT, account_address, revoke_token
from connectors.oauth.provider import REFRESH_SECRET, OAuthProvider
from connectors.oauth.tokens import current_tokens, forget

SaveSecret = Callable[[str, str], None]


@dataclass(frozen=True)
class Access:
    address: str
    token: str

    def __repr__(self) -> str:
        return f"Access(address={self.address!r})"


def access_for(
    provider: OAuthProvider,
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    timeout: float,
    save_secret: SaveSecret | None,
    force: bool = False,
) -> Access:
    """An access token and the account's address for a stored sign-in.

    A refresh token the provider rotated is handed to ``save_secret`` at once, before anything else
    can fail: the old one is already void. Raises NEEDS_REAUTH when the sign-in is gone.
    """
    refresh_token = secrets.get(REFRESH_SECRET)
    if not refresh_token:
        # Nothing was asked of the provider: not a failure of the integration's health.
        raise ConnectorError(
            ErrorKind.NEEDS_REAUTH, f"Not signed in to {provider.name} yet.", hint=REAUTH_HINT, caller_fault=True
        )
    client = provider.client(settings, secrets, timeout)
    tokens, rotated = current_tokens(client, refresh_token, force=force)
    if rotated and save_secret is not None:
        save_secret(REFRESH_SECRET, rotated)
    address = str(settings.get("address") or "").strip() or account_address(client, tokens)
    return Access(address, tokens.access_token)


def revoke(
    provider: OAuthProvider, settings: Mapping[str, Any], secrets: Mapping[str, str], timeout: float = 10.0
) -> str | None:
    """End the stored grant (best effort before deleting). Returns a message for the person, or None when done."""
    token = secrets.get(REFRESH_SECRET)
    if not token:
        return None
    try:
        client = provider.client(settings, secrets, timeout)
    except ConnectorError as exc:
        by_hand = f" Remove tether's access at {provider.access_page}." if provider.access_page else ""
        return f"Could not revoke the {provider.name} sign-in: {exc}{by_hand}"
    message = revoke_token(client, token)
    if message is None or not provider.can_revoke:
        forget(client.client_id, token)
    return message
