"""A session-wide Dovecot with seeded mail, shared by the IMAP connector tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.servers.dovecot import DOVECOT, DovecotOptions, DovecotServer, append_messages, start_dovecot
from tests.servers.tls import TestCA
from tests.support import require_server

USERS = {
    "alice": "alice-secret-1",  # seeded mailbox, only read
    "writer": "writer-secret-2",  # read/write operations
    "changer": "changer-secret-3",  # password changed during a test
    "busy": "busy-secret-4",  # hits the connection limit
    "cli": "cli-secret-5",
    "juergen": "pässwörd-ß-7",  # a non-ASCII password, sent with AUTHENTICATE PLAIN
    "hostile": "hostile-secret-8",  # hostile search words and folder names
    "large": "large-secret-9",  # messages of 60 MB
}
MAX_CONNECTIONS = 3
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def require_dovecot() -> None:
    require_server(DOVECOT is not None, "Dovecot", "Debian package dovecot-imapd")


def message(n: int, *, sender: str = "", subject: str = "", body: str = "", hours_ago: float = 0) -> bytes:
    sent = NOW - dt.timedelta(hours=hours_ago)
    return (
        f"From: {sender or f'Sender {n} <sender{n}@example.com>'}\r\n"
        f"To: alice@example.com\r\n"
        f"Subject: {subject or f'Message {n}'}\r\n"
        f"Date: {sent.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
        f"Message-ID: <m{n}@example.com>\r\n"
        "\r\n"
        f"{body or f'Body of message {n}.'}\r\n"
    ).encode()


@dataclass(frozen=True)
class Seeded:
    """What was put into alice's INBOX, to compare the connector's numbers with."""

    inbox_messages: int
    inbox_unseen: int
    newest: dt.datetime
    folders: tuple[str, ...]
    from_carol: int


def _seed_alice(server: DovecotServer, ca: TestCA) -> Seeded:
    messages: list[tuple[bytes, tuple[str, ...], Any]] = []
    for n in range(1, 13):
        sender = "Carol Example <carol@example.org>" if n % 4 == 0 else ""
        flags = ("\\Seen",) if n % 3 else ()
        arrived = NOW - dt.timedelta(hours=24 - n)
        messages.append((message(n, sender=sender, hours_ago=24 - n), flags, arrived))
    append_messages(server, "alice", "INBOX", messages, ca.ca_file)
    return Seeded(
        inbox_messages=12,
        inbox_unseen=sum(1 for _, flags, _ in messages if not flags),
        newest=NOW - dt.timedelta(hours=12),
        folders=("Archive", "Drafts", "INBOX", "Sent", "Trash"),
        from_carol=3,
    )


@pytest.fixture(scope="session")
def dovecot_cert(test_ca: TestCA):  # type: ignore[no-untyped-def]
    # Not valid for 127.0.0.2: connecting by that address shows a name mismatch.
    return test_ca.issue("dovecot", dns_names=("localhost",), ips=("127.0.0.1", "::1"))


@pytest.fixture(scope="session")
def dovecot(test_ca: TestCA, dovecot_cert) -> Iterator[DovecotServer]:  # type: ignore[no-untyped-def]
    require_dovecot()
    server = start_dovecot(DovecotOptions(cert=dovecot_cert, users=dict(USERS), max_userip_connections=MAX_CONNECTIONS))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seeded(dovecot: DovecotServer, test_ca: TestCA) -> Seeded:
    return _seed_alice(dovecot, test_ca)


@pytest.fixture(scope="session")
def plain_dovecot() -> Iterator[DovecotServer]:
    """A server without TLS and without MOVE or IDLE, as some old or minimal servers are."""
    require_dovecot()
    capabilities = "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE UIDPLUS"
    server = start_dovecot(
        DovecotOptions(
            cert=None,
            users={"old": "old-secret-6"},
            extra_config=f"protocol imap {{\n  imap_capability = {capabilities}\n}}\n",
        )
    )
    yield server
    server.stop()


@pytest.fixture
def imap_settings(dovecot: DovecotServer, test_ca: TestCA):  # type: ignore[no-untyped-def]
    """Settings for the main server: implicit TLS trusting the test CA, overridable per test."""

    def make(user: str = "alice", **overrides: Any) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "username": user,
            "host": "127.0.0.1",
            "port": dovecot.imaps_port,
            "tls_mode": "implicit",
            "ca_file": str(test_ca.ca_file),
        }
        settings.update(overrides)
        return {key: value for key, value in settings.items() if value is not None}

    return make
