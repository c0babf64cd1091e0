"""Talking to a provider's OAuth endpoints: exchange a code, refresh, ask who signed in, revoke.

authlib's client (on httpx2) is imported inside the functions so start-up stays fast.
Every failure becomes a ConnectorError in words a person understands; tokens never appear in them.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.errors import ConnectorError, ErrorKind
from connectors.oauth.provider import OAuthClient, OAuthProvider

REAUTH_HINT = "Sign in again with Re-authenticate (or `tether reauth NAME`); the workflows using it stay linked."


def reauth_message(provider: OAuthProvider) -> str:
    return f"{provider.name} no longer accepts this sign-in (access was removed, it expired, or the password changed)."


def needs_reauth(provider: OAuthProvider) -> ConnectorError:
    return ConnectorError(ErrorKind.NEEDS_REAUTH, reauth_message(provider), hint=REAUTH_HINT)


def describe_oauth_error(provider: OAuthProvider, code: str, description: str | None = None) -> str:
    """What an OAuth error code means, for a person reading it."""
    name = provider.name
    words = {
        "access_denied": "Access was not granted: the consent page was declined, or this account may not use the OAuth client.",
        "invalid_client": f"{name} does not recognise the OAuth client: copy its client ID (and secret, if it has one) again.",
        "unauthorized_client": f"This OAuth client may not sign in this way; check its type in {name}'s console.",
        "invalid_scope": f"The OAuth client is not allowed the scopes tether asks for: {' '.join(provider.scopes)}.",
        "invalid_request": f"{name} rejected the sign-in request as malformed; check the client ID and the endpoints.",
        "server_error": f"{name}'s sign-in service had an internal problem; try again in a moment.",
        "temporarily_unavailable": f"{name}'s sign-in service is busy; try again in a moment.",
        "expired_token": "The sign-in code expired before it was used; start the sign-in again.",
        "invalid_grant": reauth_message(provider),
        **provider.error_words,
    }.get(code)
    if words:
        return words
    detail = f" ({description})" if description else ""
    return f"Sign-in failed: the server answered {code!r}{detail}."


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_at: float  # time.time() seconds
    refresh_token: str | None = None
    id_token: str | None = None

    def __repr__(self) -> str:  # never print tokens, even in a traceback's locals
        return f"Tokens(expires_at={self.expires_at:.0f}, has_refresh={self.refresh_token is not None})"


def tokens_from(data: Mapping[str, Any]) -> Tokens:
    if not data.get("access_token"):
        raise ConnectorError(ErrorKind.BAD_DATA, "The token endpoint answered without an access token.")
    expires_in = float(data.get("expires_in") or 3600)
    return Tokens(str(data["access_token"]), time.time() + expires_in, data.get("refresh_token"), data.get("id_token"))


def exchange_code(client: OAuthClient, code: str, code_verifier: str, redirect_uri: str) -> Tokens:
    """Trade an authorization code (and its PKCE verifier) for tokens."""
    with translated(client.provider, "token endpoint"), client.session(redirect_uri) as session:
        data = session.fetch_token(
            client.token_url,
            grant_type="authorization_code",
            code=code,
            code_verifier=code_verifier,
            redirect_uri=redirect_uri,
        )
    return tokens_from(data)


def refresh(client: OAuthClient, refresh_token: str) -> Tokens:
    """A fresh access token. Raises NEEDS_REAUTH when the refresh token is no longer accepted."""
    with translated(client.provider, "token endpoint"), client.session() as session:
        data = session.refresh_token(client.token_url, refresh_token=refresh_token)
    tokens = tokens_from(data)
    # authlib copies the old refresh token in when none came back; report only a real rotation.
    rotated = tokens.refresh_token if tokens.refresh_token and tokens.refresh_token != refresh_token else None
    return Tokens(tokens.access_token, tokens.expires_at, rotated, tokens.id_token)


def account_address(client: OAuthClient, tokens: Tokens) -> str:
    """The address of the account that signed in, from the ID token or the userinfo endpoint."""
    if client.provider.address_from == "id_token":
        address = _id_token_address(tokens.id_token)
        if address:
            return address
        if client.url("userinfo_url") is None:
            raise ConnectorError(
                ErrorKind.BAD_DATA,
                f"{client.provider.name} did not say which account signed in (no email in the ID token); "
                "type the address into the integration.",
                field="address",
            )
    return fetch_email(client, tokens.access_token)


def _id_token_address(id_token: str | None) -> str | None:
    """The ID token came straight from the token endpoint over TLS, so its claims are read, not verified
    (OpenID Connect Core 3.1.3.7). Only the address is taken, never trusted for anything else."""
    if not id_token or id_token.count(".") != 2:
        return None
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(claims, dict):
        return None
    for name in ("email", "preferred_username", "upn"):
        value = claims.get(name)
        if isinstance(value, str) and "@" in value:
            return value.strip()
    return None


def fetch_email(client: OAuthClient, access_token: str) -> str:
    """The address of the account that signed in (OpenID userinfo)."""
    url = client.url("userinfo_url")
    if url is None:
        raise ConnectorError(
            ErrorKind.CONFIG, "No userinfo endpoint is set to learn the account's address.", field="address"
        )
    with translated(client.provider, "userinfo endpoint"), client.session() as session:
        session.token = {"access_token": access_token, "token_type": "Bearer"}
        response = session.get(url)
    if response.status_code == 401:
        raise needs_reauth(client.provider)
    if response.status_code != 200:
        raise ConnectorError(ErrorKind.SERVER, f"The userinfo endpoint answered HTTP {response.status_code}.")
    try:
        email = response.json().get("email")
    except (ValueError, AttributeError):
        email = None
    if not email:
        raise ConnectorError(
            ErrorKind.BAD_DATA,
            f"{client.provider.name} did not say which account signed in: the 'email' scope is missing from the consent screen.",
        )
    return str(email)


def revoke_token(client: OAuthClient, token: str) -> str | None:
    """Ask the revoke endpoint to end the grant. Returns a message when that failed, else None."""
    provider = client.provider
    by_hand = f" Remove tether's access at {provider.access_page}." if provider.access_page else ""
    url = client.url("revoke_url")
    if url is None:
        return f"{provider.name} offers no way for tether to end this sign-in itself.{by_hand}"
    try:
        with translated(provider, "revoke endpoint"), client.session() as session:
            response = session.revoke_token(url, token=token, token_type_hint="refresh_token")
    except ConnectorError as exc:
        return f"Could not revoke the {provider.name} sign-in: {exc}{by_hand}"
    if response.status_code >= 400 and not _already_invalid(response):
        return f"Could not revoke the {provider.name} sign-in (HTTP {response.status_code}).{by_hand}"
    return None


def _already_invalid(response: Any) -> bool:
    """A token that is already revoked answers 400 invalid_token: the goal is reached."""
    try:
        return response.status_code == 400 and response.json().get("error") in ("invalid_token", "invalid_grant")
    except (ValueError, AttributeError):
        return False


class translated:
    """Turn authlib and httpx2 failures into ConnectorErrors (context manager)."""

    def __init__(self, provider: OAuthProvider, what: str) -> None:
        self.provider = provider
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is None or isinstance(exc, ConnectorError):
            return
        code = oauth_error_code(exc)
        if code is not None:
            if code == "invalid_grant":
                raise needs_reauth(self.provider) from None
            kind = (
                ErrorKind.AUTH
                if code in ("invalid_client", "unauthorized_client", "access_denied")
                else ErrorKind.SERVER
            )
            field = "client_secret" if code == "invalid_client" and self.provider.client_secret else None
            if code == "invalid_client" and not self.provider.client_secret:
                field = "client_id"
            message = describe_oauth_error(self.provider, code, getattr(exc, "description", None))
            raise ConnectorError(kind, message, field=field) from None
        raise transport_error(exc, self.what) from None


def oauth_error_code(exc: BaseException) -> str | None:
    """The OAuth error code an authlib exception carries, or None for other failures."""
    from authlib.integrations.base_client import OAuthError
    from authlib.integrations.httpx_client import OAuthError as HttpxOAuthError

    if isinstance(exc, (OAuthError, HttpxOAuthError)):
        return getattr(exc, "error", "") or "error"
    return None


def transport_error(exc: BaseException, what: str) -> ConnectorError:
    import httpx2 as httpx  # what authlib's httpx client runs on

    if isinstance(exc, ssl.SSLError) or "CERTIFICATE" in str(exc).upper():
        return ConnectorError(
            ErrorKind.TLS,
            f"The {what}'s TLS certificate could not be verified.",
            hint="For a private server, set 'Trust this CA file'.",
            field="ca_file",
        )
    if isinstance(exc, httpx.TimeoutException):
        return ConnectorError(ErrorKind.TIMEOUT, f"The {what} did not answer in time.")
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        if status == 429:
            return ConnectorError(ErrorKind.RATE_LIMITED, f"The {what} asks to slow down (HTTP 429).")
        return ConnectorError(ErrorKind.SERVER, f"The {what} answered HTTP {status}.")
    if isinstance(exc, httpx.TransportError):
        return ConnectorError(ErrorKind.UNREACHABLE, f"Could not reach the {what}; check the network.")
    if isinstance(exc, ValueError):
        return ConnectorError(ErrorKind.BAD_DATA, f"The {what} answered with something that is not OAuth JSON.")
    return ConnectorError(ErrorKind.SERVER, f"Unexpected problem talking to the {what} ({type(exc).__name__}).")
