"""A server that quotes back what tether sent while signing in must not get a secret into any message.

What a check raises becomes the integration's status detail, so the check's error is what is asserted.
"""

from __future__ import annotations

import base64

import pytest

from connectors.errors import ConnectorError
from connectors.imap.auth import XOAuth2Auth
from connectors.imap.check import check
from connectors.types import CheckRequest
from tests.connectors.imap.fake_imap import Script, fake_imap

PASSWORD = 'pä"ss\\wörd-S3cret'  # non-ASCII, a quote and a backslash: each has its own wire form


def _forms(username: str, secret: str, payload: str) -> list[str]:
    """The secret as sent: raw, quoted for LOGIN, base64 of the SASL payload (whole and in halves)."""
    encoded = base64.b64encode(payload.encode()).decode()
    return [
        secret,
        secret.replace("\\", "\\\\").replace('"', '\\"'),
        encoded,
        encoded[: len(encoded) // 2],
        encoded[len(encoded) // 2 :],
        repr(secret.encode())[2:-1],  # how a bytes repr would show it
    ]


def _refusal(script: Script, auth: XOAuth2Auth | None = None, password: str = PASSWORD) -> ConnectorError:
    with fake_imap(script) as port, pytest.raises(ConnectorError) as caught:
        settings = {"host": "127.0.0.1", "port": port, "tls_mode": "none", "username": "me@example.com"}
        check(CheckRequest(settings, {"password": password}, timeout=3), auth=auth)
    return caught.value


def test_an_echoed_authenticate_plain_payload_is_masked() -> None:
    error = _refusal(Script(echo=True))
    text = f"{error.message} {error.hint}"
    assert "Refused ***" in text  # the server's words are kept, the payload is not
    for form in _forms("me@example.com", PASSWORD, f"\0me@example.com\0{PASSWORD}"):
        assert form not in text, form
    assert "\n" not in error.message and "b'" not in error.message


def test_an_echoed_login_command_is_masked() -> None:
    ascii_password = 'pa"ss\\word-S3cret'  # LOGIN carries ASCII only
    error = _refusal(Script(greeting="* OK [CAPABILITY IMAP4rev1] old server", echo=True), password=ascii_password)
    for form in _forms("me@example.com", ascii_password, f"\0me@example.com\0{ascii_password}"):
        assert form not in error.message, form
    assert "Refused LOGIN" in error.message


def test_an_echoed_xoauth2_payload_is_masked() -> None:
    token = "ya29.a0-very-secret-access-token"
    error = _refusal(Script(echo=True), XOAuth2Auth("me@gmail.com", token))
    for form in _forms("me@gmail.com", token, f"user=me@gmail.com\1auth=Bearer {token}\1\1"):
        assert form not in error.message, form
