"""Talking to Google's OAuth endpoints: exchange a code, refresh, revoke, ask who signed in.

authlib's client (on httpx2) is imported inside the functions so start-up stays fast.
Every failure becomes a ConnectorError in words a person understands; tokens never appear in them.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from connectors.errors import ConnectorError, ErrorKind
from connectors.gmail.spec import (
    GMAIL_SCOPES,
    GOOGLE_AUTHORIZE_URL,
    GOOGLE_REVOKE_URL,
    GOOGLE_TOKEN_URL,
    GOOGLE_USERINFO_URL,
)

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
REAUTH_MESSAGE = "Google no longer accepts this sign-in (access was removed, it expired, or the password changed)."
REAUTH_HINT = "Sign in again with Re-authenticate (or `tether reauth NAME`); the workflows using it stay linked."

# What an OAuth error code means, for a person reading it.
ERROR_WORDS = {
    "access_denied": "Access was not granted: the consent page was declined, or this Google account is not "
    "allowed to use the OAuth client (add it as a test user while the consent screen is in Testing).",
    "invalid_client": "Google does not recognise the OAuth client ID and secret: copy both again from the "
    "Google Cloud Console (APIs & Services > Credentials).",
    "unauthorized_client": "This OAuth client may not sign in this way: create a client of type 'Desktop app'.",
    "invalid_scope": "The OAuth client is not allowed the Gmail scope https://mail.google.com/: add it on the "
    "consent screen's scopes page.",
    "invalid_request": "Google rejected the sign-in request as malformed; check the client ID and the endpoints.",
    "redirect_uri_mismatch": "Google refused the sign-in address: the OAuth client must be of type 'Desktop app'.",
    "server_error": "Google's sign-in service had an internal problem; try again in a moment.",
    "temporarily_unavailable": "Google's sign-in service is busy; try again in a moment.",
    "invalid_grant": REAUTH_MESSAGE,
}


def describe_oauth_error(code: str, description: str | None = None) -> str:
    words = ERROR_WORDS.get(code)
    if words:
        return words
    detail = f" ({description})" if description else ""
    return f"Sign-in failed: the server answered {code!r}{detail}."


def check_endpoint(url: str, name: str) -> None:
    """HTTPS everywhere; plain http only for an endpoint on this machine (tests, tunnels)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return
    raise ConnectorError(
        ErrorKind.CONFIG,
        f"The {name} must use https:// (plain http is accepted only for 127.0.0.1 or localhost).",
        field=name,
    )


@dataclass(frozen=True)
class Provider:
    """One OAuth client at one provider, with the endpoints to use."""

    client_id: str
    client_secret: str
    authorize_url: str = GOOGLE_AUTHORIZE_URL
    token_url: str = GOOGLE_TOKEN_URL
    revoke_url: str = GOOGLE_REVOKE_URL
    userinfo_url: str = GOOGLE_USERINFO_URL
    ca_file: str | None = None
    timeout: float = 15.0
    scopes: tuple[str, ...] = GMAIL_SCOPES

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], secrets: Mapping[str, str], timeout: float = 15.0) -> Provider:
        client_id = str(settings.get("client_id") or "").strip()
        client_secret = secrets.get("client_secret", "")
        if not client_id or not client_secret:
            raise ConnectorError(
                ErrorKind.CONFIG,
                "The OAuth client ID and client secret are both needed.",
                field="client_id" if not client_id else "client_secret",
            )
        provider = cls(
            client_id=client_id,
            client_secret=client_secret,
            authorize_url=settings.get("authorize_url") or GOOGLE_AUTHORIZE_URL,
            token_url=settings.get("token_url") or GOOGLE_TOKEN_URL,
            revoke_url=settings.get("revoke_url") or GOOGLE_REVOKE_URL,
            userinfo_url=settings.get("userinfo_url") or GOOGLE_USERINFO_URL,
            ca_file=settings.get("ca_file") or None,
            timeout=timeout,
        )
        for name in ("authorize_url", "token_url", "revoke_url", "userinfo_url"):
            check_endpoint(getattr(provider, name), name)
        return provider

    def verify(self) -> ssl.SSLContext | bool:
        if self.ca_file:
            return ssl.create_default_context(cafile=self.ca_file)
        return True

    def client(self, redirect_uri: str | None = None):  # type: ignore[no-untyped-def]
        from authlib.integrations.httpx_client import OAuth2Client

        return OAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scope=" ".join(self.scopes),
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_post",
            revocation_endpoint_auth_method="client_secret_post",
            verify=self.verify(),
            timeout=self.timeout,
            trust_env=False,
        )


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_at: float  # time.time() seconds
    refresh_token: str | None = None

    def __repr__(self) -> str:  # never print tokens, even in a traceback's locals
        return f"Tokens(expires_at={self.expires_at:.0f}, has_refresh={self.refresh_token is not None})"


def _tokens(data: Mapping[str, Any]) -> Tokens:
    if not data.get("access_token"):
        raise ConnectorError(ErrorKind.BAD_DATA, "The token endpoint answered without an access token.")
    expires_in = float(data.get("expires_in") or 3600)
    return Tokens(str(data["access_token"]), time.time() + expires_in, data.get("refresh_token"))


def exchange_code(provider: Provider, code: str, code_verifier: str, redirect_uri: str) -> Tokens:
    """Trade an authorization code (and its PKCE verifier) for tokens."""
    with _translated("token endpoint"), provider.client(redirect_uri) as client:
        data = client.fetch_token(
            provider.token_url,
            grant_type="authorization_code",
            code=code,
            code_verifier=code_verifier,
            redirect_uri=redirect_uri,
        )
    return _tokens(data)


def refresh(provider: Provider, refresh_token: str) -> Tokens:
    """A fresh access token. Raises NEEDS_REAUTH when the refresh token is no longer accepted."""
    with _translated("token endpoint"), provider.client() as client:
        data = client.refresh_token(provider.token_url, refresh_token=refresh_token)
    tokens = _tokens(data)
    # authlib copies the old refresh token in when none came back; report only a real rotation.
    rotated = tokens.refresh_token if tokens.refresh_token and tokens.refresh_token != refresh_token else None
    return Tokens(tokens.access_token, tokens.expires_at, rotated)


def fetch_email(provider: Provider, access_token: str) -> str:
    """The address of the account that signed in (OpenID userinfo)."""
    with _translated("userinfo endpoint"), provider.client() as client:
        client.token = {"access_token": access_token, "token_type": "Bearer"}
        response = client.get(provider.userinfo_url)
    if response.status_code == 401:
        raise ConnectorError(ErrorKind.NEEDS_REAUTH, REAUTH_MESSAGE, hint=REAUTH_HINT)
    if response.status_code != 200:
        raise ConnectorError(ErrorKind.SERVER, f"The userinfo endpoint answered HTTP {response.status_code}.")
    try:
        email = response.json().get("email")
    except ValueError:
        email = None
    if not email:
        raise ConnectorError(
            ErrorKind.BAD_DATA,
            "Google did not say which account signed in: the 'email' scope is missing from the consent screen.",
        )
    return str(email)


def revoke(settings: Mapping[str, Any], secrets: Mapping[str, str], timeout: float = 10.0) -> str | None:
    """Revoke the stored grant (best effort before deleting). Returns a message when it failed, else None."""
    token = secrets.get("refresh_token")
    if not token:
        return None
    try:
        provider = Provider.from_settings(settings, secrets, timeout)
        with _translated("revoke endpoint"), provider.client() as client:
            response = client.revoke_token(provider.revoke_url, token=token, token_type_hint="refresh_token")
    except ConnectorError as exc:
        return f"Could not revoke the Google sign-in: {exc} Remove tether's access at myaccount.google.com/permissions."
    if response.status_code >= 400 and not _already_invalid(response):
        return (
            f"Could not revoke the Google sign-in (HTTP {response.status_code}). "
            "Remove tether's access at myaccount.google.com/permissions."
        )
    from connectors.gmail.tokens import forget

    forget(provider.client_id, token)
    return None


def _already_invalid(response: Any) -> bool:
    """Google answers 400 invalid_token for a token that is already revoked: the goal is reached."""
    try:
        return response.status_code == 400 and response.json().get("error") in ("invalid_token", "invalid_grant")
    except ValueError:
        return False


class _translated:
    """Turn authlib and httpx2 failures into ConnectorErrors (context manager)."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if exc is None or isinstance(exc, ConnectorError):
            return False
        from authlib.integrations.base_client import OAuthError
        from authlib.integrations.httpx_client import OAuthError as HttpxOAuthError

        if isinstance(exc, (OAuthError, HttpxOAuthError)):
            code = getattr(exc, "error", "") or "error"
            if code == "invalid_grant":
                raise ConnectorError(ErrorKind.NEEDS_REAUTH, REAUTH_MESSAGE, hint=REAUTH_HINT) from None
            kind = ErrorKind.AUTH if code in ("invalid_client", "unauthorized_client") else ErrorKind.SERVER
            field = "client_secret" if code == "invalid_client" else None
            raise ConnectorError(kind, describe_oauth_error(code, getattr(exc, "description", None)), field=field) from None
        raise _transport_error(exc, self.what) from None


def _transport_error(exc: BaseException, what: str) -> ConnectorError:
    import httpx2

    if isinstance(exc, ssl.SSLError) or "CERTIFICATE" in str(exc).upper():
        return ConnectorError(
            ErrorKind.TLS,
            f"The {what}'s TLS certificate could not be verified.",
            hint="For a private server, set 'Trust this CA file'.",
            field="ca_file",
        )
    if isinstance(exc, httpx2.TimeoutException):
        return ConnectorError(ErrorKind.TIMEOUT, f"The {what} did not answer in time.")
    if isinstance(exc, httpx2.HTTPStatusError):
        status = exc.response.status_code
        if status == 429:
            return ConnectorError(ErrorKind.RATE_LIMITED, f"The {what} asks to slow down (HTTP 429).")
        return ConnectorError(ErrorKind.SERVER, f"The {what} answered HTTP {status}.")
    if isinstance(exc, httpx2.TransportError):
        return ConnectorError(ErrorKind.UNREACHABLE, f"Could not reach the {what}; check the network.")
    if isinstance(exc, ValueError):
        return ConnectorError(ErrorKind.BAD_DATA, f"The {what} answered with something that is not OAuth JSON.")
    return ConnectorError(ErrorKind.SERVER, f"Unexpected problem talking to the {what} ({type(exc).__name__}).")
