"""The read/write interface workflows use, against real mail in Dovecot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from connectors.errors import ConnectorError, ErrorKind
from connectors.imap.mailbox import DRAFT, SEEN, Mailbox, MessageQuery, open_mailbox
from connectors.imap.message import parse_message
from tests.connectors.imap.conftest import NOW, USERS, Seeded, message

pytestmark = pytest.mark.realserver


@pytest.fixture
def alice(imap_settings, seeded: Seeded) -> Iterator[Mailbox]:
    with open_mailbox(imap_settings("alice"), {"password": USERS["alice"]}, timeout=5) as mailbox:
        yield mailbox


@pytest.fixture
def writer(imap_settings, dovecot) -> Iterator[Mailbox]:
    # STARTTLS here, so both TLS modes carry real work.
    settings = imap_settings("writer", port=dovecot.imap_port, tls_mode="starttls")
    with open_mailbox(settings, {"password": USERS["writer"]}, timeout=5) as mailbox:
        yield mailbox


def test_folders_carry_their_special_use(alice: Mailbox, seeded: Seeded) -> None:
    folders = {folder.name: folder for folder in alice.folders()}
    assert sorted(folders) == sorted(seeded.folders)
    assert folders["Drafts"].special_use == "\\Drafts"
    assert folders["INBOX"].special_use is None and folders["INBOX"].selectable


def test_status_matches_the_seeded_inbox(alice: Mailbox, seeded: Seeded) -> None:
    status = alice.status("INBOX")
    assert (status.messages, status.unseen, status.newest) == (
        seeded.inbox_messages,
        seeded.inbox_unseen,
        seeded.newest,
    )


def test_search_pages_newest_first(alice: Mailbox, seeded: Seeded) -> None:
    first = alice.search("INBOX", limit=5)
    assert first.total == seeded.inbox_messages and first.has_more
    assert [m.subject for m in first.messages] == [f"Message {n}" for n in (12, 11, 10, 9, 8)]
    newest = first.messages[0]
    assert newest.sender == "Carol Example <carol@example.org>"
    assert newest.date == NOW - dt.timedelta(hours=12)
    assert newest.size == len(message(12, sender="Carol Example <carol@example.org>", hours_ago=12))
    last = alice.search("INBOX", offset=10, limit=5)
    assert [m.subject for m in last.messages] == ["Message 2", "Message 1"] and not last.has_more


def test_search_filters(alice: Mailbox, seeded: Seeded) -> None:
    assert alice.search("INBOX", MessageQuery(sender="carol")).total == seeded.from_carol
    unseen = alice.search("INBOX", MessageQuery(unseen=True))
    assert unseen.total == seeded.inbox_unseen and not any(m.seen for m in unseen.messages)
    assert [m.subject for m in alice.search("INBOX", MessageQuery(text="Body of message 7")).messages] == ["Message 7"]
    assert (
        alice.search("INBOX", MessageQuery(sender="carol", unseen=True)).total == 1
    )  # Carol sent 4, 8, 12; only 12 is unread
    assert alice.search("INBOX", MessageQuery(since=(NOW + dt.timedelta(days=2)).date())).total == 0
    assert alice.search("INBOX", MessageQuery(text="grüße")).total == 0  # non-ASCII is sent as UTF-8


def test_fetch_gives_the_whole_message_without_marking_it_read(alice: Mailbox) -> None:
    target = alice.search("INBOX", MessageQuery(unseen=True), limit=1).messages[0]
    parsed = parse_message(alice.fetch("INBOX", target.uid))
    assert parsed.subject == target.subject
    assert parsed.text.strip() == f"Body of message {target.subject.split()[-1]}."
    assert parsed.to == ("alice@example.com",)
    assert not alice.search("INBOX", MessageQuery(unseen=True), limit=50).messages[0].seen
    assert target.uid in [m.uid for m in alice.search("INBOX", MessageQuery(unseen=True)).messages]


def test_fetch_of_a_missing_message_is_not_found(alice: Mailbox) -> None:
    with pytest.raises(ConnectorError) as caught:
        alice.fetch("INBOX", 99999)
    assert caught.value.kind is ErrorKind.NOT_FOUND


def test_a_missing_folder_is_not_found(alice: Mailbox) -> None:
    with pytest.raises(ConnectorError) as caught:
        alice.search("No such folder")
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert "No such folder" in caught.value.message


def test_append_a_draft_with_an_attachment(writer: Mailbox) -> None:
    draft = EmailMessage()
    draft["From"], draft["To"], draft["Subject"] = "writer@example.com", "bob@example.com", "Grüße from the draft"
    draft.set_content("Plain text body")
    draft.add_attachment(b"%PDF-1.4 tiny", maintype="application", subtype="pdf", filename="report.pdf")
    uid = writer.append("Drafts", draft.as_bytes(), flags=(DRAFT, SEEN))
    assert uid is not None
    found = writer.search("Drafts", MessageQuery(text="Plain text body")).messages
    assert [m.uid for m in found] == [uid]
    assert set(found[0].flags) >= {DRAFT, SEEN} and found[0].subject == "Grüße from the draft"
    parsed = parse_message(writer.fetch("Drafts", uid))
    assert parsed.attachments == ("report.pdf",) and parsed.text.strip() == "Plain text body"


def test_set_and_clear_flags(writer: Mailbox) -> None:
    uid = writer.append("INBOX", message(100))
    assert uid is not None
    writer.set_flags("INBOX", [uid], seen=True, flagged=True)
    marked = writer.search("INBOX", MessageQuery(text="Body of message 100")).messages[0]
    assert marked.seen and marked.flagged
    writer.set_flags("INBOX", [uid], seen=False)
    cleared = writer.search("INBOX", MessageQuery(text="Body of message 100")).messages[0]
    assert not cleared.seen and cleared.flagged


def test_move_between_folders(writer: Mailbox) -> None:
    assert writer.moves_natively
    uid = writer.append("INBOX", message(200))
    before = writer.status("Archive").messages
    writer.move("INBOX", [uid], "Archive")
    assert writer.search("INBOX", MessageQuery(text="Body of message 200")).total == 0
    assert writer.status("Archive").messages == before + 1
    assert writer.search("Archive", MessageQuery(text="Body of message 200")).total == 1


def test_move_falls_back_to_copy_and_delete_without_move(plain_dovecot) -> None:
    settings = {"username": "old", "host": "127.0.0.1", "port": plain_dovecot.imap_port, "tls_mode": "none"}
    with open_mailbox(settings, {"password": "old-secret-6"}, timeout=5) as mailbox:
        assert not mailbox.moves_natively
        keep = mailbox.append("INBOX", message(301))
        moving = mailbox.append("INBOX", message(302))
        mailbox.move("INBOX", [moving], "Trash")
        assert [m.uid for m in mailbox.search("INBOX").messages] == [keep]
        assert mailbox.search("Trash", MessageQuery(text="Body of message 302")).total == 1
