"""The mail tools through `tether mcp`, against a private loopback Dovecot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from app.core.toggle import set_disabled
from storage.records import Access, LinkSpec, Role
from tests.mcp.harness import DataDir, McpClient, assert_no_secret, result_text, start_client
from tests.servers.dovecot import DOVECOT, DovecotOptions, DovecotServer, append_messages, start_dovecot
from tests.support import require_server

if TYPE_CHECKING:
    from tests.servers.tls import TestCA

USERS = {"assistant": "assistant-Secret-77", "other": "other-Secret-88"}
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _message(n: int, sender: str, subject: str, body: str, *, attachment: bool = False) -> bytes:
    sent = NOW - dt.timedelta(hours=10 - n)
    head = (
        f"From: {sender}\r\nTo: assistant@example.com\r\nSubject: {subject}\r\n"
        f"Date: {sent.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\nMessage-ID: <seed{n}@example.com>\r\n"
    )
    if not attachment:
        return (head + f"\r\n{body}\r\n").encode()
    return (
        head + 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        f"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        '--b1\r\nContent-Type: text/plain; name="notes.txt"\r\nContent-Disposition: attachment; filename="notes.txt"\r\n\r\n'
        "attached notes\r\n--b1--\r\n"
    ).encode()


SEED = [
    (_message(1, "Bob <bob@example.com>", "Lunch?", "Shall we have lunch on Friday?"), ("\\Seen",)),
    (_message(2, "Carol <carol@example.org>", "Quarterly report", "The report is attached.", attachment=True), ()),
    (_message(3, "Dave <dave@example.com>", "Invoice 42", "Please pay invoice 42."), ()),
    (_message(4, "Carol <carol@example.org>", "Re: Quarterly report", "One more figure."), ("\\Seen",)),
    (_message(5, "Eve <eve@example.com>", "Newsletter", "Unsubscribe anytime."), ()),
]


@pytest.fixture(scope="module")
def dovecot(test_ca: TestCA) -> Iterator[DovecotServer]:
    require_server(DOVECOT is not None, "Dovecot", "Debian package dovecot-imapd")
    server = start_dovecot(DovecotOptions(cert=test_ca.issue("dovecot-mcp", ips=("127.0.0.1",)), users=dict(USERS)))
    append_messages(
        server,
        "assistant",
        "INBOX",
        [(raw, flags, NOW - dt.timedelta(hours=10 - n)) for n, (raw, flags) in enumerate(SEED, 1)],
        test_ca.ca_file,
    )
    yield server
    server.stop()


def _settings(dovecot: DovecotServer, test_ca: TestCA, user: str, **overrides: Any) -> dict[str, Any]:
    return {
        "username": user,
        "host": "127.0.0.1",
        "port": dovecot.imaps_port,
        "tls_mode": "implicit",
        "ca_file": str(test_ca.ca_file),
        **overrides,
    }


@pytest.fixture(scope="module")
def data(dovecot: DovecotServer, test_ca: TestCA) -> Iterator[DataDir]:
    data = DataDir()
    work = data.add("imap", "Work mail", _settings(dovecot, test_ca, "assistant"), {"password": USERS["assistant"]})
    data.add("imap", "Other mail", _settings(dovecot, test_ca, "other"), {"password": USERS["other"]})
    wrong = data.add(
        "imap", "Wrong password", _settings(dovecot, test_ca, "assistant"), {"password": "not-the-Password-1"}
    )
    closed = data.add(
        "imap", "Closed port", _settings(dovecot, test_ca, "assistant", port=9), {"password": USERS["assistant"]}
    )
    data.storage.workflows.add(
        "Inbox helper",
        links=[
            LinkSpec(work, Role.SOURCE, Access.READ),
            LinkSpec(work, Role.SINK, Access.WRITE),
            LinkSpec(wrong, Role.SOURCE, Access.READ),
            LinkSpec(closed, Role.SOURCE, Access.READ),
        ],
    )
    data.storage.workflows.add("Digest", links=[LinkSpec(work, Role.SOURCE, Access.READ)])
    yield data
    data.close()


@pytest.fixture(scope="module")
def client(data: DataDir) -> Iterator[McpClient]:
    client = start_client(data, "--workflow", "Inbox helper", "--timeout", "5")
    yield client
    client.close()


def test_lists_folders_with_their_roles(client: McpClient) -> None:
    result = client.ok("mail_list_folders", {"label": "Work mail"})
    roles = {folder["name"]: folder["role"] for folder in result["folders"]}
    assert roles["INBOX"] is None
    assert roles["Drafts"] == "drafts" and roles["Archive"] == "archive" and roles["Trash"] == "trash"


def test_search_pages_newest_first(client: McpClient) -> None:
    first = client.ok("mail_search", {"label": "Work mail", "limit": 2})
    assert first["total"] == 5 and first["offset"] == 0 and first["next_offset"] == 2
    assert [message["subject"] for message in first["messages"]] == ["Newsletter", "Re: Quarterly report"]
    newest = first["messages"][0]
    assert newest["from"] == "Eve <eve@example.com>" and newest["size"] > 0
    assert dt.datetime.fromisoformat(newest["date"]) == NOW - dt.timedelta(hours=5)
    last = client.ok("mail_search", {"label": "Work mail", "limit": 2, "offset": 4})
    assert [message["subject"] for message in last["messages"]] == ["Lunch?"]
    assert last["next_offset"] is None
    assert "\\Seen" in last["messages"][0]["flags"]


def test_search_filters_combine(client: McpClient) -> None:
    from_carol = client.ok("mail_search", {"label": "Work mail", "from": "carol"})
    assert {message["subject"] for message in from_carol["messages"]} == {"Quarterly report", "Re: Quarterly report"}
    unseen_carol = client.ok("mail_search", {"label": "Work mail", "from": "carol", "unseen": True})
    assert [message["subject"] for message in unseen_carol["messages"]] == ["Quarterly report"]
    invoice = client.ok("mail_search", {"label": "Work mail", "text": "invoice 42"})
    assert [message["subject"] for message in invoice["messages"]] == ["Invoice 42"]
    future = (NOW + dt.timedelta(days=2)).date().isoformat()
    assert client.ok("mail_search", {"label": "Work mail", "since": future})["total"] == 0


def test_fetch_reads_one_message_without_marking_it_read(client: McpClient) -> None:
    report = client.ok("mail_search", {"label": "Work mail", "text": "attached", "unseen": True})["messages"][0]
    message = client.ok("mail_fetch", {"label": "Work mail", "uid": report["uid"]})
    assert message["headers"]["subject"] == "Quarterly report"
    assert message["headers"]["from"] == "Carol <carol@example.org>"
    assert message["headers"]["message_id"] == "<seed2@example.com>"
    assert message["text"].strip() == "The report is attached."
    assert message["attachments"] == ["notes.txt"] and message["truncated"] is False
    still_unseen = client.ok("mail_search", {"label": "Work mail", "unseen": True})
    assert report["uid"] in {item["uid"] for item in still_unseen["messages"]}


def test_append_a_draft_and_find_it(client: McpClient) -> None:
    saved = client.ok(
        "mail_append",
        {"label": "Work mail", "subject": "Draft reply to Dave", "body": "Paid today.", "to": ["dave@example.com"]},
    )
    assert saved["folder"] == "Drafts" and isinstance(saved["uid"], int)
    assert saved["flags"] == ["\\Draft"]
    found = client.ok("mail_search", {"label": "Work mail", "folder": "Drafts", "text": "Paid today"})
    assert [(item["uid"], item["subject"]) for item in found["messages"]] == [(saved["uid"], "Draft reply to Dave")]
    assert "\\Draft" in found["messages"][0]["flags"]
    body = client.ok("mail_fetch", {"label": "Work mail", "folder": "Drafts", "uid": saved["uid"]})
    assert body["headers"]["to"] == "dave@example.com"
    assert body["headers"]["message_id"] == saved["message_id"]


def test_set_flags_marks_read_and_flagged(client: McpClient) -> None:
    invoice = client.ok("mail_search", {"label": "Work mail", "text": "invoice 42"})["messages"][0]
    assert "\\Seen" not in invoice["flags"]
    result = client.ok(
        "mail_set_flags", {"label": "Work mail", "uids": [invoice["uid"]], "seen": True, "flagged": True}
    )
    assert result["added"] == ["\\Seen", "\\Flagged"] and result["removed"] == []
    after = client.ok("mail_search", {"label": "Work mail", "text": "invoice 42"})["messages"][0]
    assert {"\\Seen", "\\Flagged"} <= set(after["flags"])
    client.ok("mail_set_flags", {"label": "Work mail", "uids": [invoice["uid"]], "flagged": False})
    again = client.ok("mail_search", {"label": "Work mail", "text": "invoice 42"})["messages"][0]
    assert "\\Flagged" not in again["flags"] and "\\Seen" in again["flags"]


def test_move_a_message_to_archive(client: McpClient) -> None:
    newsletter = client.ok("mail_search", {"label": "Work mail", "text": "Unsubscribe"})["messages"][0]
    moved = client.ok("mail_move", {"label": "Work mail", "uids": [newsletter["uid"]], "destination": "Archive"})
    assert moved["moved"] == [newsletter["uid"]]
    assert client.ok("mail_search", {"label": "Work mail", "text": "Unsubscribe"})["total"] == 0
    archived = client.ok("mail_search", {"label": "Work mail", "folder": "Archive", "text": "Unsubscribe"})
    assert [item["subject"] for item in archived["messages"]] == ["Newsletter"]


def test_missing_folder_and_message_are_not_found(client: McpClient) -> None:
    error = client.error("mail_search", {"label": "Work mail", "folder": "No such folder"})
    assert error["reason"] == "not_found"
    error = client.error("mail_fetch", {"label": "Work mail", "uid": 999999})
    assert error["reason"] == "not_found"


def test_wrong_password_is_an_auth_error_without_the_password(client: McpClient, data: DataDir) -> None:
    error = client.error("mail_search", {"label": "Wrong password"})
    assert error["reason"] == "auth"
    assert "tether edit 'Wrong password' --secret-stdin password" in error["action"]
    assert_no_secret(data, error["text"])


def test_closed_port_is_unreachable(client: McpClient) -> None:
    error = client.error("mail_list_folders", {"label": "Closed port"})
    assert error["reason"] == "unreachable"


def test_writes_need_a_sink_link(client: McpClient, data: DataDir) -> None:
    # In scope as a source only: reading works, writing is refused before any connection.
    error = client.error("mail_move", {"label": "Wrong password", "uids": [1], "destination": "Trash"})
    assert error["reason"] == "read_only"
    error = client.error("mail_append", {"label": "Other mail", "subject": "x", "body": "y"})
    assert error["reason"] == "unknown_integration"  # outside the workflow is as good as absent


def test_a_read_only_workflow_cannot_write(data: DataDir) -> None:
    reader = start_client(data, "--workflow", "Digest", name="digest")
    try:
        assert reader.ok("mail_search", {"label": "Work mail", "limit": 1})["total"] >= 1
        error = reader.error("mail_append", {"label": "Work mail", "subject": "x", "body": "y"})
    finally:
        reader.close()
    assert error["reason"] == "read_only" and "Digest" in error["message"]


def test_a_disabled_mailbox_is_refused_and_the_others_keep_working(client: McpClient, data: DataDir) -> None:
    closed = data.storage.integrations.find("Closed port")
    set_disabled(data.storage, closed.id, True)
    try:
        error = client.error("mail_list_folders", {"label": "Closed port"})
        assert error["reason"] == "disabled" and "tether enable 'Closed port'" in error["action"]
        assert client.ok("mail_list_folders", {"label": "Work mail"})["folders"]
    finally:
        set_disabled(data.storage, closed.id, False)


def test_no_secret_in_any_output_or_log(client: McpClient, data: DataDir) -> None:
    texts = [
        result_text(client.call("mail_search", {"label": label}))
        for label in ("Work mail", "Wrong password", "Closed port", "Other mail")
    ]
    assert_no_secret(data, *texts, client.stderr, data.log_text)
