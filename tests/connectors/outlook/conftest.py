"""The local OAuth server as Microsoft (a public client, device codes, ID tokens) and the Dovecot that
introspects its tokens, shared with the Gmail tests (one of each per session)."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.connectors.gmail.conftest import INBOX, UNSEEN, USER, _dovecot, oauth_server  # noqa: F401 - fixtures
from tests.servers.oauth_server import OAuthServer
from tests.servers.tls import TestCA


@dataclass
class Microsoft:
    """The test's stand-in for Microsoft: OAuth server + IMAP server, and the settings pointing at them."""

    oauth: OAuthServer
    ca_file: str
    imap_host: str
    imap_port: int

    @property
    def settings(self) -> dict[str, Any]:
        return {
            **self.oauth.microsoft_settings,
            "imap_host": self.imap_host,
            "imap_port": self.imap_port,
            "ca_file": self.ca_file,
        }

    def verification_page(self, address: str) -> httpx.Response:
        """Play the person at the verification page (sign in, allow — or refuse, if the server is told to)."""
        return httpx.get(address, verify=ssl.create_default_context(cafile=self.ca_file), timeout=10)

    def consent(self, authorization_url: str) -> None:
        """Play the browser for the loopback sign-in: consent is automatic, then follow the redirect home."""
        answer = httpx.get(
            authorization_url, verify=ssl.create_default_context(cafile=self.ca_file), follow_redirects=False
        )
        assert answer.status_code == 302, answer.text
        httpx.get(answer.headers["location"], timeout=10)

    def when(self, condition: Callable[[], bool], then: Callable[[], object]) -> threading.Thread:
        """Do ``then`` in the background once ``condition`` holds (e.g. approve after tether polled twice)."""

        def run() -> None:
            deadline = time.monotonic() + 30
            while not condition() and time.monotonic() < deadline:
                time.sleep(0.01)
            then()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def all_tokens(self) -> list[str]:
        state = self.oauth.state
        return [*state.by_access, *state.by_refresh, *state.devices]  # device codes are one-time secrets too


def _reset(server: OAuthServer) -> None:
    state = server.state
    state.user = USER
    state.deny_consent = False
    state.rotate_refresh_tokens = True
    state.access_token_lifetime = 3600
    state.device_interval = 0  # tests poll as fast as the server allows; the interval logic is tested on its own
    state.device_lifetime = 900
    state.slow_down_polls = 0
    state.device_error = ""


@pytest.fixture
def microsoft_only(oauth_server: OAuthServer, test_ca: TestCA) -> Iterator[Microsoft]:
    """The OAuth server alone (sign-in tests need no mail server)."""
    _reset(oauth_server)
    yield Microsoft(oauth_server, str(test_ca.ca_file), "127.0.0.1", 9)
    _reset(oauth_server)


@pytest.fixture
def microsoft(oauth_server: OAuthServer, _dovecot: Any, test_ca: TestCA) -> Iterator[Microsoft]:
    _reset(oauth_server)
    yield Microsoft(oauth_server, str(test_ca.ca_file), _dovecot.host, _dovecot.imaps_port)
    _reset(oauth_server)


__all__ = ["INBOX", "UNSEEN", "USER", "Microsoft"]
