"""XOAUTH2 and provider-specific refusals, against a scripted server (Dovecot cannot say Gmail's words)."""

from __future__ import annotations

import pytest

from connectors.errors import ConnectorError, ErrorKind
from connectors.imap.auth import PasswordAuth, XOAuth2Auth
from connectors.imap.connection import ImapServer
from connectors.imap.session import ImapSession
from tests.connectors.imap.fake_imap import GOOD_TOKEN, LOGIN_PASSWORD, Script, fake_imap


def local(port: int) -> ImapServer:
    return ImapServer("127.0.0.1", port, "none", timeout=3)


def test_xoauth2_sends_the_token_and_signs_in() -> None:
    script = Script()
    with fake_imap(script) as port, ImapSession(local(port), XOAuth2Auth("me@gmail.com", GOOD_TOKEN)) as session:
        assert session.login_method == "XOAUTH2"
        assert session.supports("MOVE")
    assert script.received == [f"user=me@gmail.com\1auth=Bearer {GOOD_TOKEN}\1\1"]


def test_a_refused_access_token_needs_reauthentication() -> None:
    script = Script()
    with fake_imap(script) as port, pytest.raises(ConnectorError) as caught:
        ImapSession(local(port), XOAuth2Auth("me@gmail.com", "expired-token")).open()
    error = caught.value
    assert error.kind is ErrorKind.NEEDS_REAUTH
    assert "status 401" in error.message and "Invalid credentials" in error.message
    assert "expired-token" not in str(error)
    assert script.received[-1] == "\r\n"  # answered the error challenge with an empty line, as XOAUTH2 requires


def test_gmail_app_password_required_is_explained() -> None:
    with fake_imap(Script()) as port, pytest.raises(ConnectorError) as caught:
        ImapSession(local(port), PasswordAuth("me@gmail.com", "my-normal-password")).open()
    error = caught.value
    assert error.kind is ErrorKind.AUTH and error.field == "password"
    assert "app password" in error.message and "2-Step Verification" in error.hint and "Gmail (OAuth)" in error.hint
    assert "my-normal-password" not in str(error)


def test_too_many_connections_at_greeting_is_rate_limited_and_retried_once() -> None:
    script = Script(greeting="* BYE Too many simultaneous connections. (Failure)")
    with fake_imap(script) as port, pytest.raises(ConnectorError) as caught:
        ImapSession(local(port), PasswordAuth("me", "pw")).open()
    assert caught.value.kind is ErrorKind.RATE_LIMITED
    assert "Too many simultaneous connections" in caught.value.message
    assert script.connections == 2


def test_a_wrong_password_is_tried_only_once() -> None:
    script = Script(greeting="* OK [CAPABILITY IMAP4rev1] old server")
    with fake_imap(script) as port, pytest.raises(ConnectorError) as caught:
        ImapSession(local(port), PasswordAuth("me", "wrong")).open()
    assert caught.value.kind is ErrorKind.AUTH and script.connections == 1


def test_a_server_without_xoauth2_says_so() -> None:
    script = Script(greeting="* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] no oauth here")
    with fake_imap(script) as port, pytest.raises(ConnectorError) as caught:
        ImapSession(local(port), XOAuth2Auth("me", GOOD_TOKEN)).open()
    assert caught.value.kind is ErrorKind.CONFIG and "XOAUTH2" in caught.value.message


def test_credentials_never_show_in_repr() -> None:
    assert "secret" not in repr(PasswordAuth("me", "secret")) and "secret" not in repr(XOAuth2Auth("me", "secret"))


def test_login_is_used_when_the_server_offers_no_authenticate_plain() -> None:
    script = Script(greeting="* OK [CAPABILITY IMAP4rev1] old server")
    with fake_imap(script) as port, ImapSession(local(port), PasswordAuth("me", LOGIN_PASSWORD)) as session:
        assert session.login_method == "LOGIN"
    assert script.received == ["LOGIN me"]


def test_login_only_server_explains_non_ascii_passwords() -> None:
    script = Script(greeting="* OK [CAPABILITY IMAP4rev1] old server")
    with fake_imap(script) as port, pytest.raises(ConnectorError) as caught:
        ImapSession(local(port), PasswordAuth("me", "pässwörd")).open()
    assert caught.value.kind is ErrorKind.CONFIG and caught.value.field == "password"
    assert "non-ASCII" in caught.value.message and "pässwörd" not in str(caught.value)


def test_a_server_that_greets_then_falls_silent_costs_at_most_the_timeout() -> None:
    import time

    script = Script(greeting="* OK no capabilities in this greeting", silent_after_greeting=True)
    started = time.monotonic()
    with fake_imap(script) as port, pytest.raises(ConnectorError) as caught:
        ImapSession(ImapServer("127.0.0.1", port, "none", timeout=1.0), PasswordAuth("me", "pw")).open()
    assert time.monotonic() - started < 1.5
    assert caught.value.kind is ErrorKind.TIMEOUT and "stopped answering" in caught.value.message
