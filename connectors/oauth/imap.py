"""Mail over IMAP with SASL XOAUTH2 for any OAuth type: the mailbox for workflows and the connection check."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from connectors.errors import ConnectorError, ErrorKind
from connectors.oauth.access import SaveSecret, access_for
from connectors.oauth.provider import OAuthProvider
from connectors.types import CheckRequest, CheckResult


def imap_settings(provider: OAuthProvider, settings: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "host": settings.get("imap_host") or provider.imap_host,
        "port": settings.get("imap_port") or provider.imap_port,
        "tls_mode": "implicit",
        "ca_file": settings.get("ca_file") or None,
    }


@contextmanager
def oauth_mailbox(
    provider: OAuthProvider,
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    timeout: float,
    save_secret: SaveSecret | None = None,
) -> Iterator[Any]:
    """A signed-in mailbox (connectors.imap.mailbox.Mailbox); logs out on exit."""
    from connectors.imap.auth import XOAuth2Auth
    from connectors.imap.mailbox import open_mailbox

    access = access_for(provider, settings, secrets, timeout=timeout, save_secret=save_secret)
    with open_mailbox(
        imap_settings(provider, settings), {}, timeout=timeout, auth=XOAuth2Auth(access.address, access.token)
    ) as mailbox:
        yield mailbox


def oauth_imap_check(provider: OAuthProvider, request: CheckRequest) -> tuple[str, CheckResult]:
    """Refresh the access token (storing a rotated refresh token), then sign in to IMAP and preview INBOX.

    Returns the account's address and the IMAP check's result. A cached access token refused by the
    IMAP server is refreshed once and tried again before the sign-in is blamed.
    """
    access = access_for(
        provider, request.settings, request.secrets, timeout=request.timeout, save_secret=request.save_secret
    )
    try:
        return access.address, _preview(provider, request, access.address, access.token)
    except ConnectorError as exc:
        if exc.kind not in (ErrorKind.NEEDS_REAUTH, ErrorKind.AUTH):
            raise
    # A refused refresh raises NEEDS_REAUTH, which is the truth; a refused fresh token is not a sign-in problem.
    access = access_for(
        provider,
        request.settings,
        request.secrets,
        timeout=request.timeout,
        save_secret=request.save_secret,
        force=True,
    )
    try:
        return access.address, _preview(provider, request, access.address, access.token)
    except ConnectorError as again:
        if again.kind not in (ErrorKind.NEEDS_REAUTH, ErrorKind.AUTH):
            raise
        raise ConnectorError(
            ErrorKind.AUTH,
            f"{provider.name} accepted the sign-in but the IMAP server refused it for {access.address}.",
            hint=f"Check that the OAuth client has the scopes {' '.join(provider.scopes)} and that IMAP is enabled for the account.",
        ) from None


def _preview(provider: OAuthProvider, request: CheckRequest, address: str, token: str) -> CheckResult:
    from connectors.imap.auth import XOAuth2Auth
    from connectors.imap.check import check as imap_check

    settings = imap_settings(provider, request.settings)
    return imap_check(CheckRequest(settings, {}, timeout=request.timeout), auth=XOAuth2Auth(address, token))
