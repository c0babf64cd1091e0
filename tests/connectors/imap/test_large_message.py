"""A 60 MB message is read in part: headers, the start of its text and its attachment names, in little memory."""

from __future__ import annotations

import base64
import tracemalloc
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from connectors.imap.mailbox import Mailbox
from connectors.imap.reading import FULL_FETCH_LIMIT
from connectors.imap.session import ImapSession
from tests.servers.dovecot import DovecotServer

if TYPE_CHECKING:
    from tests.servers.tls import TestCA

# One worker builds this module's costly server once (run with --dist loadgroup).
pytestmark = [pytest.mark.realserver, pytest.mark.xdist_group("large_message")]
SIXTY_MB = 60 * 1024 * 1024


def _with_attachment() -> bytes:
    blob = base64.encodebytes(b"\x00\x01binary" * (SIXTY_MB // 8 * 3 // 4))
    return (
        b"From: Carol <carol@example.org>\r\nTo: large@example.com\r\nSubject: The big report\r\n"
        b'Message-ID: <big1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Gr=C3=BC=C3=9Fe, the report is attached.\r\n"
        b'--b1\r\nContent-Type: application/octet-stream; name="Report-2026.bin"\r\n'
        b'Content-Disposition: attachment; filename="Report-2026.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + blob.replace(b"\n", b"\r\n")
        + b"--b1--\r\n"
    )


def _long_text() -> bytes:
    lines = b"".join(b"Line %07d of a very long plain text message.\r\n" % n for n in range(SIXTY_MB // 48))
    return (
        b"From: Dave <dave@example.com>\r\nSubject: Endless log\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        + lines
    )


@pytest.fixture(scope="module")
def large(dovecot: DovecotServer, test_ca: TestCA) -> Iterator[tuple[ImapSession, dict[str, int]]]:
    settings = {
        "username": "large",
        "host": "127.0.0.1",
        "port": dovecot.imaps_port,
        "tls_mode": "implicit",
        "ca_file": str(test_ca.ca_file),
    }
    session = ImapSession.from_settings(settings, {"password": dovecot.passwords["large"]}, timeout=60)
    with session:
        mailbox = Mailbox(session)
        uids = {
            "attachment": mailbox.append("INBOX", _with_attachment()),
            "text": mailbox.append("INBOX", _long_text()),
        }
        yield session, uids  # type: ignore[misc]


def test_a_60_mb_message_is_read_in_part_with_little_memory(large) -> None:  # type: ignore[no-untyped-def]
    session, uids = large
    mailbox = Mailbox(session)
    tracemalloc.start()
    try:
        read = mailbox.read("INBOX", uids["attachment"], max_chars=20_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read.size > SIXTY_MB and read.size > FULL_FETCH_LIMIT and read.complete is False
    assert read.parsed.subject == "The big report" and read.parsed.sender == "Carol <carol@example.org>"
    assert read.parsed.text.strip() == "Grüße, the report is attached."
    assert read.parsed.attachments == ("Report-2026.bin",)
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_a_60_mb_text_gives_its_first_characters(large) -> None:  # type: ignore[no-untyped-def]
    session, uids = large
    tracemalloc.start()
    try:
        read = Mailbox(session).read("INBOX", uids["text"], max_chars=1_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read.complete is False and read.parsed.subject == "Endless log"
    assert read.parsed.text.startswith("Line 0000000 of a very long plain text message.")
    assert 1_000 <= len(read.parsed.text) < 10_000
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_a_small_message_is_still_read_whole(large) -> None:  # type: ignore[no-untyped-def]
    session, _ = large
    mailbox = Mailbox(session)
    uid = mailbox.append("INBOX", b"From: a@example.com\r\nSubject: Small\r\n\r\nShort body.\r\n")
    read = mailbox.read("INBOX", uid)
    assert read.complete is True and read.parsed.text.strip() == "Short body."
