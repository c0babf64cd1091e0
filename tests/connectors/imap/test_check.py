"""The IMAP check against a real Dovecot: what a person sees for success and for each kind of failure."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from connectors.errors import ConnectorError, ErrorKind
from connectors.imap.check import check
from connectors.types import CheckRequest, CheckResult
from tests.connectors.imap.conftest import MAX_CONNECTIONS, USERS, Seeded

pytestmark = pytest.mark.realserver


def run_check(settings: dict, password: str, timeout: float = 5.0) -> CheckResult:
    return check(CheckRequest(settings, {"password": password}, timeout=timeout))


def check_error(settings: dict, password: str, timeout: float = 5.0) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        run_check(settings, password, timeout)
    error = caught.value
    assert password not in str(error) and password not in repr(error.to_dict())
    return error


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose kernel accepts connections that nobody ever answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_implicit_tls_check_reports_what_was_seeded(imap_settings, seeded: Seeded) -> None:
    result = run_check(imap_settings(), USERS["alice"])
    assert result.summary.startswith(
        f"INBOX {seeded.inbox_messages} messages, {seeded.inbox_unseen} unread, newest 12 h ago; {len(seeded.folders)} folders"
    )
    assert "server supports IDLE, MOVE" in result.summary
    assert result.details[0] == "Signed in as alice with AUTHENTICATE PLAIN over TLSv1.3 (implicit)"
    assert sorted(result.details[1].removeprefix("Folders: ").split(", ")) == sorted(seeded.folders)
    assert result.warnings == ()


def test_starttls_check_signs_in_after_upgrading(imap_settings, dovecot, seeded: Seeded) -> None:
    result = run_check(imap_settings(port=dovecot.imap_port, tls_mode="starttls"), USERS["alice"])
    assert f"INBOX {seeded.inbox_messages} messages" in result.summary
    assert "(starttls)" in result.details[0]


def test_non_ascii_password_signs_in(imap_settings) -> None:
    result = run_check(imap_settings("juergen"), USERS["juergen"])
    assert result.details[0].startswith("Signed in as juergen with AUTHENTICATE PLAIN")


def test_wrong_password_is_reported_quickly_and_not_retried(imap_settings) -> None:
    started = time.monotonic()
    error = check_error(imap_settings(), "not-the-password")
    assert time.monotonic() - started < 2.0  # one attempt (~0.5 s in Dovecot), no retries
    assert error.kind is ErrorKind.AUTH and error.field == "password"
    assert "Wrong username or password for alice" in error.message
    assert "[AUTHENTICATIONFAILED]" in error.message  # the server's own words


def test_certificate_from_an_unknown_authority_points_at_the_ca_file(imap_settings) -> None:
    error = check_error(imap_settings(ca_file=None), USERS["alice"])
    assert error.kind is ErrorKind.TLS and error.field == "ca_file"
    assert "not signed by an authority this computer trusts" in error.message


def test_name_mismatch_shows_the_names_on_the_certificate(imap_settings) -> None:
    error = check_error(imap_settings(host="127.0.0.2"), USERS["alice"])
    assert error.kind is ErrorKind.TLS and error.field == "host"
    assert "not valid for the name 127.0.0.2; it is for: localhost, 127.0.0.1, ::1" in error.message


def test_name_mismatch_over_starttls_also_names_the_certificate(imap_settings, dovecot) -> None:
    error = check_error(imap_settings(host="127.0.0.2", port=dovecot.imap_port, tls_mode="starttls"), USERS["alice"])
    assert error.field == "host" and "it is for: localhost, 127.0.0.1, ::1" in error.message


def test_expired_certificate_says_when(test_ca, tmp_path) -> None:
    from tests.connectors.imap.conftest import require_dovecot
    from tests.servers.dovecot import DovecotOptions, start_dovecot

    require_dovecot()
    with start_dovecot(DovecotOptions(cert=test_ca.issue("expired", expired=True), users={"x": "x-secret"})) as server:
        settings = {
            "username": "x",
            "host": "127.0.0.1",
            "port": server.imaps_port,
            "tls_mode": "implicit",
            "ca_file": str(test_ca.ca_file),
        }
        error = check_error(settings, "x-secret")
    assert error.kind is ErrorKind.TLS and "expired on" in error.message


def test_implicit_tls_on_the_starttls_port_is_named(imap_settings, dovecot) -> None:
    error = check_error(imap_settings(port=dovecot.imap_port, tls_mode="implicit"), USERS["alice"])
    assert error.kind is ErrorKind.TLS and error.field == "tls_mode"
    assert "answered in plain text" in error.message and "STARTTLS" in error.hint


def test_starttls_on_the_implicit_tls_port_is_named_within_the_timeout(imap_settings, dovecot) -> None:
    started = time.monotonic()
    error = check_error(imap_settings(port=dovecot.imaps_port, tls_mode="starttls"), USERS["alice"], timeout=4.0)
    assert time.monotonic() - started < 4.5
    assert error.kind is ErrorKind.TLS and error.field == "tls_mode"
    assert "expects implicit TLS" in error.message


def test_connection_refused_names_the_port(imap_settings, silent_port) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    error = check_error(imap_settings(port=closed_port), USERS["alice"])
    assert error.kind is ErrorKind.UNREACHABLE and error.field == "port"
    assert "refused the connection" in error.message


def test_unknown_host_names_the_host(imap_settings) -> None:
    error = check_error(imap_settings(host="no-such-host.invalid"), USERS["alice"])
    assert error.kind is ErrorKind.UNREACHABLE and error.field == "host"
    assert "No server named no-such-host.invalid" in error.message


@pytest.mark.parametrize("tls_mode", ["implicit", "starttls"])
def test_a_server_that_never_speaks_costs_at_most_the_timeout(imap_settings, silent_port, tls_mode) -> None:
    timeout = 1.0
    started = time.monotonic()
    error = check_error(imap_settings(port=silent_port, tls_mode=tls_mode), USERS["alice"], timeout=timeout)
    elapsed = time.monotonic() - started
    assert elapsed < timeout + 0.5
    assert error.kind is ErrorKind.TIMEOUT
    assert str(silent_port) in error.message


def test_logindisabled_without_tls_is_explained(dovecot) -> None:
    # 127.0.0.2 is not "this connection's own address" to Dovecot, so it refuses plain-text passwords.
    settings = {"username": "alice", "host": "127.0.0.2", "port": dovecot.imap_port, "tls_mode": "none"}
    error = check_error(settings, USERS["alice"])
    assert error.kind is ErrorKind.TLS and error.field == "tls_mode"
    assert "LOGINDISABLED" in error.message


def test_no_tls_is_refused_for_a_remote_host() -> None:
    error = check_error({"username": "a", "host": "mail.example.com", "port": 143, "tls_mode": "none"}, "pw")
    assert error.kind is ErrorKind.CONFIG and error.field == "tls_mode"


def test_server_without_starttls_is_refused_not_used_in_plain_text(plain_dovecot) -> None:
    settings = {"username": "old", "host": "127.0.0.1", "port": plain_dovecot.imap_port, "tls_mode": "starttls"}
    error = check_error(settings, "old-secret-6")
    assert error.kind is ErrorKind.TLS and error.field == "tls_mode"
    assert "does not offer STARTTLS" in error.message
    assert "Login: user=<old>" not in plain_dovecot.log  # the password was never sent


def test_missing_capabilities_are_shown_in_the_preview(plain_dovecot) -> None:
    settings = {"username": "old", "host": "127.0.0.1", "port": plain_dovecot.imap_port, "tls_mode": "none"}
    result = run_check(settings, "old-secret-6")
    assert result.summary.startswith("INBOX 0 messages, 0 unread; 5 folders; server supports UIDPLUS")
    assert "No MOVE: moves fall back to copy+delete" in result.warnings
    assert any(warning.startswith("No IDLE") for warning in result.warnings)
    assert result.details[0] == "Signed in as old with AUTHENTICATE PLAIN over no TLS (localhost)"


def test_too_many_connections_is_rate_limited(imap_settings, dovecot) -> None:
    from imapclient import IMAPClient

    import ssl

    context = ssl.create_default_context(cafile=imap_settings()["ca_file"])
    held = []
    try:
        for _ in range(MAX_CONNECTIONS):
            client = IMAPClient("127.0.0.1", dovecot.imaps_port, ssl_context=context, timeout=5)
            client.login("busy", USERS["busy"])
            held.append(client)
        error = check_error(imap_settings("busy"), USERS["busy"], timeout=3.0)
    finally:
        for client in held:
            client.logout()
    assert error.kind is ErrorKind.RATE_LIMITED
    assert "connections" in error.message.lower()


def test_a_broken_ca_file_is_a_settings_problem(imap_settings, tmp_path) -> None:
    broken = tmp_path / "ca.pem"
    broken.write_text("not a certificate")
    error = check_error(imap_settings(ca_file=str(broken)), USERS["alice"])
    assert error.kind is ErrorKind.CONFIG and error.field == "ca_file"


def test_debug_logging_never_records_the_password(imap_settings, caplog) -> None:
    import logging

    with caplog.at_level(logging.DEBUG):
        run_check(imap_settings(), USERS["alice"])
        check_error(imap_settings(), "wrong-password-in-log")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert USERS["alice"] not in logged and "wrong-password-in-log" not in logged
    import base64

    assert base64.b64encode(f"\0alice\0{USERS['alice']}".encode()).decode() not in logged
