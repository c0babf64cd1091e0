"""A Gmail mailbox for the mail tools: an access token from the stored refresh token, then IMAP with XOAUTH2."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from connectors.errors import ConnectorError, ErrorKind
from storage.records import Integration
from storage.service import Storage


@contextmanager
def gmail_mailbox(storage: Storage, integration: Integration, secrets: Mapping[str, str], timeout: float) -> Iterator[Any]:
    from connectors.gmail.oauth import REAUTH_HINT, Provider, fetch_email
    from connectors.gmail.tokens import access_token
    from connectors.imap.auth import XOAuth2Auth
    from connectors.imap.mailbox import open_mailbox

    settings = integration.settings
    refresh_token = secrets.get("refresh_token")
    if not refresh_token:
        raise ConnectorError(ErrorKind.NEEDS_REAUTH, "Not signed in to Google yet.", hint=REAUTH_HINT)
    provider = Provider.from_settings(settings, secrets, timeout)
    token = access_token(provider, refresh_token)
    if token.rotated_refresh_token:
        # The old refresh token is void now: keep the new one before anything else can fail.
        storage.integrations.rotate_secret(integration.id, "refresh_token", token.rotated_refresh_token)
    address = str(settings.get("address") or "").strip() or fetch_email(provider, token.value)
    imap_settings = {
        "host": settings.get("imap_host") or "imap.gmail.com",
        "port": settings.get("imap_port") or 993,
        "tls_mode": "implicit",
        "ca_file": settings.get("ca_file") or None,
    }
    with open_mailbox(imap_settings, {}, timeout=timeout, auth=XOAuth2Auth(address, token.value)) as mailbox:
        yield mailbox
