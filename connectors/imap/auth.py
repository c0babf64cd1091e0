"""How a session signs in: a password (LOGIN or AUTHENTICATE PLAIN) or an OAuth2 access token (XOAUTH2)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import ConnectorError, ErrorKind
from connectors.imap.replies import is_rate_limited, login_refused, server_words
from connectors.tcp_tls import network_error


@dataclass(frozen=True)
class PasswordAuth:
    username: str
    password: str = field(repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every form in which the password leaves tether, to mask in anything a server says back."""
        quoted = self.password.replace("\\", "\\\\").replace('"', '\\"')  # as LOGIN sends it
        return (self.password, quoted, _base64(f"\0{self.username}\0{self.password}"))  # AUTHENTICATE PLAIN


@dataclass(frozen=True)
class XOAuth2Auth:
    """An OAuth2 access token (e.g. Gmail's); refreshing it is the caller's job."""

    username: str
    access_token: str = field(repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The token, and the base64 SASL payload that carries it."""
        return (self.access_token, _base64(xoauth2_payload(self.username, self.access_token)))


ImapAuth = PasswordAuth | XOAuth2Auth


def xoauth2_payload(username: str, access_token: str) -> str:
    return f"user={username}\1auth=Bearer {access_token}\1\1"


def _base64(payload: str) -> str:
    return base64.b64encode(payload.encode("utf-8")).decode("ascii")


def password_auth(settings: Mapping[str, Any], secrets: Mapping[str, str]) -> PasswordAuth:
    username = str(settings.get("username") or "").strip()
    if not username:
        raise ConnectorError(ErrorKind.CONFIG, "No username is set.", field="username")
    password = secrets.get("password") or ""
    if not password:
        raise ConnectorError(
            ErrorKind.CONFIG,
            "No password is stored for this integration.",
            hint="Edit it and type the password again.",
            field="password",
        )
    return PasswordAuth(username, password)


def log_in(client, auth: ImapAuth, where: str) -> str:
    """Sign in with the best method the server offers; returns the method's name for the preview."""
    import imaplib

    from imapclient.exceptions import LoginError

    capabilities = set(client.capabilities())
    try:
        if isinstance(auth, XOAuth2Auth):
            return _xoauth2(client, auth, capabilities, where)
        if b"LOGINDISABLED" in capabilities:
            raise ConnectorError(
                ErrorKind.TLS,
                f"{where} does not allow signing in without encryption (it advertises LOGINDISABLED).",
                hint="Choose STARTTLS (port 143) or implicit TLS (port 993).",
                field="tls_mode",
            )
        if b"AUTH=PLAIN" in capabilities:
            client.plain_login(auth.username, auth.password)
            return "AUTHENTICATE PLAIN"
        try:
            client.login(auth.username, auth.password)
        except UnicodeEncodeError:  # the LOGIN command carries ASCII only
            raise ConnectorError(
                ErrorKind.CONFIG,
                f"{where} only offers the LOGIN command, which cannot carry non-ASCII characters in a username or password.",
                hint="Use a password with ASCII characters only (or an app password).",
                field="password",
            ) from None
        return "LOGIN"
    except LoginError as exc:
        raise login_refused(server_words(exc, auth.secrets), auth.username) from None
    except imaplib.IMAP4.abort as exc:  # e.g. "* BYE Maximum number of connections ..."
        words = server_words(exc, auth.secrets)
        kind = ErrorKind.RATE_LIMITED if is_rate_limited(words) else ErrorKind.SERVER
        raise ConnectorError(
            kind, f"{where} closed the session while signing in: “{words}”", hint="Try again later."
        ) from None
    except OSError as exc:
        raise network_error(exc, where) from None


class _XOAuth2Exchange:
    """Sends the token once; answers the server's error challenge with an empty line, keeping the error."""

    def __init__(self, auth: XOAuth2Auth) -> None:
        self._first = xoauth2_payload(auth.username, auth.access_token)
        self.sent = False
        self.error_status: dict[str, Any] = {}

    def __call__(self, challenge: bytes) -> str:
        if not self.sent:
            self.sent = True
            return self._first
        try:
            self.error_status = json.loads(challenge or b"{}")
        except ValueError:
            try:
                self.error_status = json.loads(base64.b64decode(challenge))
            except ValueError:
                self.error_status = {}
        return ""


def _xoauth2(client, auth: XOAuth2Auth, capabilities: set[bytes], where: str) -> str:
    from imapclient.exceptions import LoginError

    if b"AUTH=XOAUTH2" not in capabilities:
        raise ConnectorError(
            ErrorKind.CONFIG, f"{where} does not offer OAuth2 sign-in (XOAUTH2).", hint="Use a password instead."
        )
    exchange = _XOAuth2Exchange(auth)
    try:
        client.sasl_login("XOAUTH2", exchange)
    except LoginError as exc:
        words = server_words(exc, auth.secrets)
        if is_rate_limited(words):
            raise login_refused(words, auth.username) from None
        status = exchange.error_status.get("status", "")
        detail = f" (status {status})" if status else ""
        raise ConnectorError(
            ErrorKind.NEEDS_REAUTH,
            f"The server refused the access token for {auth.username}{detail}. The server said: “{words}”",
            hint="Sign in again to grant access.",
        ) from None
    return "XOAUTH2"
