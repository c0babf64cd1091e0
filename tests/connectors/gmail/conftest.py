"""A session-wide OAuth server and a Dovecot that accepts its access tokens (XOAUTH2), for the Gmail tests."""

from __future__ import annotations

import datetime as dt
import shutil
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers.oauth_server import OAuthServer, dovecot_passdb
from tests.servers.tls import TestCA
from tests.support import require_server

USER = "alice@example.com"
INBOX = 3  # messages seeded; every other one read
UNSEEN = 1


@dataclass
class Google:
    """The test's stand-in for Google: OAuth server + IMAP server, and the settings pointing at them."""

    oauth: OAuthServer
    ca_file: str
    imap_host: str
    imap_port: int
    dovecot: Any = None

    @property
    def settings(self) -> dict[str, Any]:
        return {
            **self.oauth.settings,
            "imap_host": self.imap_host,
            "imap_port": self.imap_port,
            "ca_file": self.ca_file,
        }

    @property
    def secrets(self) -> dict[str, str]:
        return {"client_secret": self.oauth.client_secret}

    def consent(self, authorization_url: str, *, follow: bool = True) -> str:
        """Play the browser: open the authorization URL (consent is automatic) and, if asked, follow
        the redirect to tether's listener. Returns the address the browser was sent to."""
        answer = httpx.get(
            authorization_url, verify=ssl.create_default_context(cafile=self.ca_file), follow_redirects=False
        )
        assert answer.status_code == 302, answer.text
        location = answer.headers["location"]
        if follow:
            httpx.get(location, timeout=10)
        return location

    def all_tokens(self) -> list[str]:
        """Every token the server ever issued, to prove none of them leaked anywhere."""
        state = self.oauth.state
        return [*state.by_access, *state.by_refresh, self.oauth.client_secret]


def _require_dovecot() -> None:
    from tests.servers.dovecot import DOVECOT

    require_server(DOVECOT is not None, "Dovecot", "Debian package dovecot-imapd")


@pytest.fixture(scope="session")
def oauth_server(test_ca: TestCA) -> Iterator[OAuthServer]:
    with OAuthServer(test_ca.issue("oauth")) as server:
        yield server


@pytest.fixture(scope="session")
def _dovecot(oauth_server: OAuthServer, test_ca: TestCA) -> Iterator[Any]:
    _require_dovecot()
    from tests.servers.dovecot import DovecotOptions, append_messages, start_dovecot

    directory = Path(tempfile.mkdtemp(prefix="tgo-"))
    directory.chmod(0o755)
    server = start_dovecot(
        DovecotOptions(
            cert=test_ca.issue("dovecot-oauth"),
            users={USER: "seed-only-password-1"},
            auth_mechanisms=("plain", "login", "xoauth2", "oauthbearer"),
            extra_passdbs=(dovecot_passdb(oauth_server, str(directory), str(test_ca.ca_file)),),
        )
    )
    now = dt.datetime.now(dt.UTC)
    mail = [
        (
            f"From: Sender {n} <s{n}@example.com>\r\nTo: {USER}\r\nSubject: Hello {n}\r\n"
            f"Date: {(now - dt.timedelta(hours=n)).strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n\r\nBody {n}\r\n".encode(),
            ("\\Seen",) if n != 1 else (),
            now - dt.timedelta(hours=n),
        )
        for n in range(1, INBOX + 1)
    ]
    append_messages(server, USER, "INBOX", mail, test_ca.ca_file)
    yield server
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


def _reset(oauth_server: OAuthServer) -> None:
    state = oauth_server.state
    state.user = USER
    state.deny_consent = False
    state.rotate_refresh_tokens = True
    state.access_token_lifetime = 3600


@pytest.fixture
def oauth_only(oauth_server: OAuthServer, test_ca: TestCA) -> Iterator[Google]:
    """The OAuth server alone (sign-in tests need no mail server)."""
    _reset(oauth_server)
    yield Google(oauth_server, str(test_ca.ca_file), "127.0.0.1", 9)
    _reset(oauth_server)


@pytest.fixture
def google(oauth_server: OAuthServer, _dovecot: Any, test_ca: TestCA) -> Iterator[Google]:
    _reset(oauth_server)
    yield Google(oauth_server, str(test_ca.ca_file), _dovecot.host, _dovecot.imaps_port, _dovecot)
    _reset(oauth_server)
