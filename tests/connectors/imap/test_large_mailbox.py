"""A folder of 200,000 unread messages on a real Dovecot: checks and searches never ask for every UID.

imaplib refuses reply lines over 1 MB; a plain UID SEARCH over such a folder returns ~1.4 MB on one
line. The folder is written directly as one mbox file (a few seconds; 200,000 Maildir files take
minutes on a busy disk) and indexed once by the fixture, as a server that has held the mail for a
while would have it; the timed calls then measure tether, not the server's first-time indexing.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING
from pathlib import Path

import pytest

from connectors.imap.check import check
from connectors.imap.mailbox import Mailbox, MessageQuery
from connectors.imap.session import ImapSession
from connectors.types import CheckRequest
from tests.connectors.imap.conftest import require_dovecot
from tests.servers.dovecot import DovecotOptions, DovecotServer, start_dovecot

if TYPE_CHECKING:
    from tests.servers.tls import TestCA

COUNT = 200_000
PASSWORD = "big-secret-9"
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

# One worker builds this module's costly server once (run with --dist loadgroup).
pytestmark = [pytest.mark.realserver, pytest.mark.slow, pytest.mark.xdist_group("large_mailbox")]


def write_mbox(home: Path, count: int) -> None:
    """``count`` unread messages straight into an mbox INBOX (no IMAP), owned like Dovecot's own files."""
    (home / "mail").mkdir(parents=True, exist_ok=True)
    parts = []
    for n in range(1, count + 1):
        sent = START + dt.timedelta(minutes=n)
        parts.append(
            f"From s@example.com {sent.strftime('%a %b %d %H:%M:%S %Y')}\n"
            f"From: Sender {n % 97} <s{n % 97}@example.com>\nTo: big@example.com\nSubject: Bulk {n}\n"
            f"Date: {sent.strftime('%a, %d %b %Y %H:%M:%S +0000')}\nMessage-ID: <b{n}@example.com>\n\n"
            f"Message number {n}.\n\n"
        )
    (home / "mbox").write_text("".join(parts))
    if os.geteuid() == 0:
        import pwd

        nobody = pwd.getpwnam("nobody")
        for path in (home, home / "mail", home / "mbox"):
            os.chown(path, nobody.pw_uid, nobody.pw_gid)


@pytest.fixture(scope="module")
def big(test_ca: TestCA, dovecot_cert) -> Iterator[DovecotServer]:  # type: ignore[no-untyped-def]
    require_dovecot()
    mbox = "mail_location = mbox:~/mail:INBOX=~/mbox\n"  # overrides the Maildir default
    server = start_dovecot(DovecotOptions(cert=dovecot_cert, users={"big": PASSWORD}, extra_config=mbox))
    try:
        write_mbox(server.directory / "home" / "big", COUNT)
        with _session(server, test_ca, timeout=120) as session:  # the server indexes the folder once
            Mailbox(session).status("INBOX")
        yield server
    finally:
        server.stop()


def _settings(server: DovecotServer, test_ca: TestCA) -> dict[str, object]:
    return {
        "username": "big",
        "host": "127.0.0.1",
        "port": server.imaps_port,
        "tls_mode": "implicit",
        "ca_file": str(test_ca.ca_file),
    }


def _session(server: DovecotServer, test_ca: TestCA, timeout: float = 15) -> ImapSession:
    return ImapSession.from_settings(_settings(server, test_ca), {"password": PASSWORD}, timeout=timeout)


def test_the_check_counts_200000_unread_messages(big: DovecotServer, test_ca: TestCA) -> None:
    result = check(CheckRequest(_settings(big, test_ca), {"password": PASSWORD}, timeout=15))
    assert result.summary.startswith("INBOX 200 000 messages, 200 000 unread")


def test_the_first_page_takes_under_a_second(big: DovecotServer, test_ca: TestCA) -> None:
    started = time.monotonic()
    with _session(big, test_ca) as session:
        page = Mailbox(session).search("INBOX", MessageQuery(), limit=20)
    elapsed = time.monotonic() - started
    assert page.total == COUNT and page.has_more
    assert [message.subject for message in page.messages] == [f"Bulk {n}" for n in range(COUNT, COUNT - 20, -1)]
    assert elapsed <= 1.0, f"first page took {elapsed:.2f} s"


def test_unread_search_counts_with_esearch_and_pages_in_windows(big: DovecotServer, test_ca: TestCA) -> None:
    with _session(big, test_ca) as session:
        assert session.supports("ESEARCH")
        mailbox = Mailbox(session)
        started = time.monotonic()
        page = mailbox.search("INBOX", MessageQuery(unseen=True), limit=20)
        elapsed = time.monotonic() - started
        deep = mailbox.search("INBOX", MessageQuery(unseen=True), offset=7_000, limit=3)
    assert page.total == COUNT and page.messages[0].subject == f"Bulk {COUNT}"
    assert elapsed <= 1.0, f"unread first page took {elapsed:.2f} s"
    assert [message.subject for message in deep.messages] == [f"Bulk {COUNT - 7_000 - n}" for n in range(3)]


def test_a_server_without_esearch_is_counted_window_by_window(big: DovecotServer, test_ca: TestCA) -> None:
    with _session(big, test_ca) as session:
        session._capabilities = session.capabilities - {"ESEARCH"}  # as an older server would offer
        page = Mailbox(session).search("INBOX", MessageQuery(unseen=True), limit=5)
    assert page.total == COUNT
    assert [message.subject for message in page.messages] == [f"Bulk {n}" for n in range(COUNT, COUNT - 5, -1)]


def test_a_rare_filter_walks_windows_from_the_newest(big: DovecotServer, test_ca: TestCA) -> None:
    last_day = (START + dt.timedelta(minutes=COUNT)).date()
    on_last_day = COUNT - int((dt.datetime.combine(last_day, dt.time(), dt.UTC) - START).total_seconds() // 60) + 1
    with _session(big, test_ca) as session:
        page = Mailbox(session).search("INBOX", MessageQuery(since=last_day, unseen=True), offset=2, limit=3)
    assert page.total == on_last_day
    assert [message.subject for message in page.messages] == [f"Bulk {n}" for n in range(COUNT - 2, COUNT - 5, -1)]


def test_mail_search_through_tether_mcp_answers_the_first_page_within_a_second(
    big: DovecotServer, test_ca: TestCA
) -> None:
    from tests.mcp.harness import DataDir, start_client

    data = DataDir()
    try:
        data.add("imap", "Big mail", _settings(big, test_ca), {"password": PASSWORD})
        client = start_client(data, "--timeout", "10")
        try:
            client.ok("mail_list_folders", {"label": "Big mail"})  # the server process is warm
            started = time.monotonic()
            result = client.ok("mail_search", {"label": "Big mail", "limit": 20})
            elapsed = time.monotonic() - started
        finally:
            client.close()
    finally:
        data.close()
    assert result["total"] == COUNT and len(result["messages"]) == 20 and result["next_offset"] == 20
    assert elapsed <= 1.0, f"mail_search took {elapsed:.2f} s"
