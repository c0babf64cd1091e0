"""The fault suite: each failure a user meets, end to end through the check every screen and command use.

Each case asserts the status and the message the user sees, and that nothing stored changed:
settings, secrets, labels and workflow links are exactly as before the fault.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import time

import pytest

from app.core.checks import check_integration
from storage.records import Access, LinkSpec, Role, Status
from storage.service import Storage
from tests.connectors.calendar_fixtures import feed_server  # noqa: F401 - fixture
from tests.connectors.imap.conftest import dovecot, dovecot_cert, require_dovecot  # noqa: F401 - fixtures
from tests.health.fault_servers import silent_server, status_server
from tests.health.snapshot import stored_state
from tests.servers.dovecot import DovecotServer
from tests.servers.feeds import SECRET_TOKEN, FeedServer
from tests.servers import tls

pytestmark = pytest.mark.realserver
CHECK_TIMEOUT = 2.0


@dataclass(frozen=True)
class Fault:
    """A case: how to reach the broken thing, and what the user must see."""

    type_key: str
    status: Status
    says: str  # a phrase of the message shown in the list, the detail pane and `tether check`
    build: Callable[[Any], tuple[dict[str, Any], dict[str, str]]]  # env -> (settings, secrets)
    context: Callable[[Any], Any] | None = None  # a server started just for this case


@dataclass
class Env:
    feeds: FeedServer
    dovecot: DovecotServer
    ca: tls.TestCA
    port: int = 0  # of a case's own server


def feed(path: str, **settings: Any) -> Callable[[Env], tuple[dict[str, Any], dict[str, str]]]:
    def build(env: Env) -> tuple[dict[str, Any], dict[str, str]]:
        url = env.feeds.url(f"/private/{SECRET_TOKEN}/{path.lstrip('/')}")
        return {"ca_file": str(env.ca.ca_file), **settings}, {"url": url}

    return build


def imap(password: str = "alice-secret-1", host: str = "127.0.0.1", port: str = "imaps", **overrides: Any):  # type: ignore[no-untyped-def]
    def build(env: Env) -> tuple[dict[str, Any], dict[str, str]]:
        number = {"imaps": env.dovecot.imaps_port, "own": env.port, "closed": closed_port()}[port]
        settings = {
            "username": "alice",
            "host": host,
            "port": number,
            "tls_mode": "implicit",
            "ca_file": str(env.ca.ca_file),
        }
        return {**settings, **overrides}, {"password": password}

    return build


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again: nothing listens there


def tls_server(cert_name: str, *, expired: bool = False, greeting: bytes = b""):  # type: ignore[no-untyped-def]
    def start(env: Env):  # type: ignore[no-untyped-def]
        if cert_name == "self-signed":
            from tests.servers.tls import make_ca
            import tempfile
            from pathlib import Path

            cert = make_ca(Path(tempfile.mkdtemp(prefix="tether-other-ca-"))).issue("stranger")
        else:
            cert = env.ca.issue(cert_name, expired=expired)
        return silent_server(greeting=greeting, cert=cert)

    return start


FAULTS: dict[str, Fault] = {
    # --- IMAP against Dovecot and loopback stand-ins ---
    "imap-connection-refused": Fault("imap", Status.ERROR, "refused", imap(port="closed")),
    "imap-hang-after-accept": Fault(
        "imap",
        Status.ERROR,
        "did not complete a TLS handshake",
        imap(port="own"),
        context=lambda env: silent_server(),
    ),
    "imap-hang-mid-response": Fault(
        "imap",
        Status.ERROR,
        "stopped answering",
        imap(port="own"),
        context=tls_server("hangs", greeting=b"* OK IMAP4rev1 ready\r\n"),
    ),
    "imap-tls-name-mismatch": Fault("imap", Status.ERROR, "certificate", imap(host="127.0.0.2")),
    "imap-self-signed": Fault("imap", Status.ERROR, "certificate", imap(port="own"), context=tls_server("self-signed")),
    "imap-expired-certificate": Fault(
        "imap", Status.ERROR, "expired", imap(port="own"), context=tls_server("expired", expired=True)
    ),
    "imap-wrong-password": Fault("imap", Status.ERROR, "password", imap(password="not-the-password")),
    # --- iCal feeds ---
    "feed-401": Fault("ical", Status.ERROR, "asks for a username and password", feed("basic.ics")),
    "feed-403": Fault("ical", Status.ERROR, "refused", feed("forbidden.ics")),
    "feed-404": Fault("ical", Status.ERROR, "wrong or was revoked", feed("missing.ics")),
    "feed-429-retry-after": Fault("ical", Status.ERROR, "too many", feed("busy.ics")),
    "feed-500": Fault(
        "ical",
        Status.ERROR,
        "500",
        lambda env: ({}, {"url": f"{env.port}/status/500.ics"}),
        context=lambda env: status_server(),
    ),
    "feed-malformed-ics": Fault("ical", Status.ERROR, "is malformed", feed("malformed.ics")),
    "feed-html-instead-of-ics": Fault("ical", Status.ERROR, "web page", feed("login")),
    "feed-50mb-over-the-default-cap": Fault("ical", Status.ERROR, "larger than the 20 MB limit", feed("huge.ics")),
    "feed-hangs": Fault("ical", Status.ERROR, "did not answer in time", feed("hang.ics")),
}


@pytest.fixture
def env(feed_server: FeedServer, dovecot: DovecotServer, test_ca: tls.TestCA) -> Env:  # noqa: F811
    return Env(feed_server, dovecot, test_ca)


def add_with_workflow(storage: Storage, type_key: str, settings: dict[str, Any], secrets: dict[str, str]) -> int:
    integration = storage.integrations.add(type_key, "Under test", settings, secrets)
    bystander = storage.integrations.add("ical", "Bystander", {}, {"url": "https://example.invalid/cal.ics"})
    storage.workflows.add(
        "Digest",
        schedule="daily 07:00",
        links=[LinkSpec(integration.id, Role.SOURCE, Access.READ), LinkSpec(bystander.id, Role.SOURCE, Access.READ)],
    )
    return integration.id


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_shows_a_clear_status_and_changes_nothing_stored(name: str, env: Env, storage: Storage) -> None:
    fault = FAULTS[name]
    with ExitStack() as stack:
        if fault.context is not None:
            handle = stack.enter_context(fault.context(env))
            env.port = handle if isinstance(handle, int) else 0
            if isinstance(handle, str):
                env.port = handle  # type: ignore[assignment] - a base URL
        settings, secrets = fault.build(env)
        integration_id = add_with_workflow(storage, fault.type_key, settings, secrets)
        before = stored_state(storage)
        started = time.monotonic()
        outcome = check_integration(
            storage.integrations, storage.integrations.get(integration_id), timeout=CHECK_TIMEOUT
        )
        elapsed = time.monotonic() - started
    stored = storage.integrations.get(integration_id)
    assert elapsed < CHECK_TIMEOUT + 1.5  # a hung server costs its timeout, no more
    assert outcome.error is not None
    assert stored.status is fault.status
    assert fault.says.lower() in stored.status_detail.lower()
    assert stored.status_detail == str(outcome.error)
    for secret in secrets.values():
        assert secret not in stored.status_detail
    assert SECRET_TOKEN not in stored.status_detail
    assert stored_state(storage) == before
    health = storage.metrics.health(integration_id)
    assert (health.requests, health.errors) == (1, 1) and health.last_error == stored.status_detail


def test_password_changed_mid_session_then_restored(
    dovecot: DovecotServer, test_ca: tls.TestCA, storage: Storage
) -> None:  # noqa: F811
    dovecot.set_password("changer", "changer-secret-3")
    settings = {
        "username": "changer",
        "host": "127.0.0.1",
        "port": dovecot.imaps_port,
        "tls_mode": "implicit",
        "ca_file": str(test_ca.ca_file),
    }
    integration_id = add_with_workflow(storage, "imap", settings, {"password": "changer-secret-3"})
    assert check_integration(storage.integrations, storage.integrations.get(integration_id)).ok
    before = stored_state(storage)
    dovecot.set_password("changer", "changed-elsewhere-9")
    try:
        outcome = check_integration(storage.integrations, storage.integrations.get(integration_id))
        stored = storage.integrations.get(integration_id)
        assert stored.status is Status.ERROR and "Wrong username or password for changer" in stored.status_detail
        assert stored_state(storage) == before  # the old password is kept until the user enters the new one
        assert outcome.error is not None and "changer-secret-3" not in str(outcome.error)
    finally:
        dovecot.set_password("changer", "changer-secret-3")
    assert check_integration(storage.integrations, storage.integrations.get(integration_id)).ok
    health = storage.metrics.health(integration_id)
    assert (health.requests, health.errors, health.breaker.failures) == (3, 1, 0)


def test_server_going_down_between_checks(test_ca: tls.TestCA, dovecot_cert, storage: Storage) -> None:  # noqa: F811
    """A Dovecot of its own, stopped between two checks: the second says refused, nothing stored changes."""
    from tests.servers.dovecot import DovecotOptions, start_dovecot

    require_dovecot()
    server = start_dovecot(DovecotOptions(cert=dovecot_cert, users={"dana": "dana-secret-6"}))
    settings = {
        "username": "dana",
        "host": "127.0.0.1",
        "port": server.imaps_port,
        "tls_mode": "implicit",
        "ca_file": str(test_ca.ca_file),
    }
    try:
        integration_id = add_with_workflow(storage, "imap", settings, {"password": "dana-secret-6"})
        assert check_integration(storage.integrations, storage.integrations.get(integration_id)).ok
        before = stored_state(storage)
    finally:
        server.stop()
    outcome = check_integration(storage.integrations, storage.integrations.get(integration_id), timeout=CHECK_TIMEOUT)
    stored = storage.integrations.get(integration_id)
    assert stored.status is Status.ERROR and "refused the connection" in stored.status_detail
    assert outcome.error is not None and stored_state(storage) == before
