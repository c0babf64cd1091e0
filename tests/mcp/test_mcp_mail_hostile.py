"""Hostile arguments to every mail tool, against a real Dovecot: nothing they carry may run as a command.

Every string argument of every mail tool gets every value of HOSTILE. With a read-only scope the
mailbox must be exactly as before (folders, messages, flags); values with CR, LF or NUL must be
refused as bad_input naming the argument; no call may hang, crash or count against the mailbox's
health. With write access, hostile values that can be sent arrive as the literal text they are.
"""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from connectors.outside_text import clean
from storage.metrics import BreakerState
from storage.records import Access, LinkSpec, Role
from tests.mcp.harness import DataDir, McpClient, result_text, start_client
from tests.servers.dovecot import DOVECOT, DovecotOptions, DovecotServer, append_messages, start_dovecot
from tests.support import require_server

if TYPE_CHECKING:
    from tests.servers.tls import TestCA

USERS = {"reader": "reader-Secret-31", "writer": "writer-Secret-32"}
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)

# Values that end the command line (refused), then values that must be quoted or sent as literals.
LINE_BREAKING = [
    "x\r\nA1 UID MOVE 1:* Trash",
    "x\r\nA1 DELETE Archive",
    "x\r\nA1 EXPUNGE",
    "INBOX\r\nA1 CREATE Pwned",
    "x\nA1 CREATE Pwned",
    "x\rA1 CREATE Pwned",
    "x\x00y",
    "\x00",
]
SENDABLE = [
    '\\"',
    '"',
    "\\",
    'a" OR ALL "',
    "{5}",
    "x {5+}",
    ")",
    "(",
    "a) UID MOVE 1:* Trash (",
    "*",
    "%",
    "x" * 100_000,
    "Ünïcødé 日本語 ✉",
    "\u202eevil\u202c",
    "\x1b[31mred",
    "\t",
]
HOSTILE = LINE_BREAKING + SENDABLE

# Every string argument of every mail tool, with the other arguments a call needs.
STRING_ARGUMENTS: dict[str, tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]]] = {
    # tool: (base arguments, string arguments, list-of-string arguments)
    "mail_list_folders": ({}, ("label",), ()),
    "mail_search": ({}, ("label", "folder", "text", "from", "since"), ()),
    "mail_fetch": ({"uid": 1}, ("label", "folder"), ()),
    "mail_append": (
        {"subject": "s", "body": "b"},
        ("label", "folder", "subject", "body", "from", "in_reply_to"),
        ("to", "cc"),
    ),
    "mail_set_flags": ({"uids": [1], "seen": True}, ("label", "folder"), ()),
    "mail_move": ({"uids": [1], "destination": "Archive"}, ("label", "folder", "destination"), ()),
}


def _message(n: int, subject: str) -> bytes:
    sent = NOW - dt.timedelta(hours=n)
    return (
        f"From: Sender {n} <s{n}@example.com>\r\nTo: reader@example.com\r\nSubject: {subject}\r\n"
        f"Date: {sent.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\nMessage-ID: <h{n}@example.com>\r\n\r\nBody {n}\r\n"
    ).encode()


@pytest.fixture(scope="module")
def dovecot(test_ca: TestCA) -> Iterator[DovecotServer]:
    require_server(DOVECOT is not None, "Dovecot", "Debian package dovecot-imapd")
    server = start_dovecot(DovecotOptions(cert=test_ca.issue("dovecot-hostile", ips=("127.0.0.1",)), users=dict(USERS)))
    for user in USERS:
        seed = [
            (_message(n, f"Seed {n}"), ("\\Seen",) if n % 2 else (), NOW - dt.timedelta(hours=n)) for n in range(1, 6)
        ]
        append_messages(server, user, "INBOX", seed, test_ca.ca_file)
        append_messages(server, user, "Archive", [(_message(9, "Archived"), ("\\Flagged",), NOW)], test_ca.ca_file)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def data(dovecot: DovecotServer, test_ca: TestCA) -> Iterator[DataDir]:
    data = DataDir()

    def settings(user: str) -> dict[str, Any]:
        return {
            "username": user,
            "host": "127.0.0.1",
            "port": dovecot.imaps_port,
            "tls_mode": "implicit",
            "ca_file": str(test_ca.ca_file),
        }

    reader = data.add("imap", "Reader mail", settings("reader"), {"password": USERS["reader"]})
    writer = data.add("imap", "Writer mail", settings("writer"), {"password": USERS["writer"]})
    data.storage.workflows.add("Reader", links=[LinkSpec(reader, Role.SOURCE, Access.READ)])
    data.storage.workflows.add(
        "Writer", links=[LinkSpec(writer, Role.SOURCE, Access.READ), LinkSpec(writer, Role.SINK, Access.WRITE)]
    )
    yield data
    data.close()


@pytest.fixture(scope="module")
def reader(data: DataDir) -> Iterator[McpClient]:
    client = start_client(data, "--workflow", "Reader", "--timeout", "5", name="reader")
    yield client
    client.close()


@pytest.fixture(scope="module")
def writer(data: DataDir) -> Iterator[McpClient]:
    client = start_client(data, "--workflow", "Writer", "--timeout", "5", name="writer")
    yield client
    client.close()


def mailbox_state(dovecot: DovecotServer, ca_file: str, user: str) -> dict[str, list[tuple[int, tuple[bytes, ...]]]]:
    """Every folder with the UID and flags of every message in it, read directly from the server."""
    from imapclient import IMAPClient

    context = ssl.create_default_context(cafile=ca_file)
    with IMAPClient("127.0.0.1", dovecot.imaps_port, ssl_context=context, timeout=10) as client:
        client.login(user, USERS[user])
        state = {}
        for _, _, name in client.list_folders():
            client.select_folder(name, readonly=True)
            fetched = client.fetch("1:*", ["FLAGS"]) if client.folder_status(name, ["MESSAGES"])[b"MESSAGES"] else {}
            state[name] = sorted((uid, tuple(sorted(data[b"FLAGS"]))) for uid, data in fetched.items())
        return state


def _calls(label: str) -> Iterator[tuple[str, str, Any, dict[str, Any]]]:
    for tool, (base, strings, lists) in STRING_ARGUMENTS.items():
        for argument in strings + lists:
            for value in HOSTILE:
                arguments = {"label": label, **base}
                arguments[argument] = [value] if argument in lists else value
                yield tool, argument, value, arguments


def test_hostile_values_leave_a_read_only_mailbox_untouched(
    reader: McpClient, data: DataDir, dovecot: DovecotServer, test_ca: TestCA
) -> None:
    before = mailbox_state(dovecot, str(test_ca.ca_file), "reader")
    outcomes: dict[str, int] = {}
    for tool, argument, value, arguments in _calls("Reader mail"):
        result = reader.call(tool, arguments, timeout=30)
        text = result_text(result)
        assert "Traceback" not in text and "Unexpected problem" not in text, (tool, argument, text[:300])
        if result.is_error:
            error = result.structured_content["error"]
            outcomes[error["reason"]] = outcomes.get(error["reason"], 0) + 1
            if value in LINE_BREAKING and argument not in ("label", "body"):
                if tool in ("mail_append", "mail_set_flags", "mail_move"):
                    assert error["reason"] == "read_only", (tool, argument, error)
                else:
                    assert error["reason"] == "bad_input" and argument in error["message"], (tool, argument, error)
            assert error["reason"] in ("bad_input", "not_found", "read_only", "unknown_integration"), (
                tool,
                argument,
                error,
            )
        else:
            assert tool in ("mail_search", "mail_fetch", "mail_list_folders"), (tool, argument)
    assert mailbox_state(dovecot, str(test_ca.ca_file), "reader") == before
    assert outcomes["bad_input"] and outcomes["read_only"] and outcomes["unknown_integration"]
    # None of it was the server's fault: the breaker stays closed and reading still works.
    health = data.storage.metrics.health(data.storage.integrations.find("Reader mail").id)
    assert health.breaker.state is BreakerState.CLOSED and health.breaker.failures == 0
    assert reader.ok("mail_search", {"label": "Reader mail"})["total"] == 5


def test_line_breaks_are_refused_for_writes_naming_the_argument(
    writer: McpClient, dovecot: DovecotServer, test_ca: TestCA
) -> None:
    before = mailbox_state(dovecot, str(test_ca.ca_file), "writer")
    for tool, argument, value, arguments in _calls("Writer mail"):
        if (
            value not in LINE_BREAKING
            or argument in ("label",)
            or tool not in ("mail_append", "mail_set_flags", "mail_move")
        ):
            continue
        if argument == "body" and "\x00" not in value:
            continue  # line breaks belong in a body
        error = writer.error(tool, arguments, timeout=30)
        assert error["reason"] == "bad_input" and argument in error["message"], (tool, argument, error)
    assert mailbox_state(dovecot, str(test_ca.ca_file), "writer") == before


@pytest.mark.parametrize("value", SENDABLE[:-1], ids=range(len(SENDABLE) - 1))
def test_sendable_values_arrive_as_the_text_they_are(writer: McpClient, value: str) -> None:
    if len(value) > 1000:
        error = writer.error("mail_search", {"label": "Writer mail", "text": value})
        assert error["reason"] == "bad_input" and "text is too long" in error["message"]
        return
    subject = f"Hostile [{value}] subject"
    saved = writer.ok(
        "mail_append", {"label": "Writer mail", "folder": "Drafts", "subject": subject, "body": f"body {value}"}
    )
    fetched = writer.ok("mail_fetch", {"label": "Writer mail", "folder": "Drafts", "uid": saved["uid"]})
    # What comes back is outside text: the same words, with escape and direction controls made visible.
    assert fetched["headers"]["subject"] == clean(subject)
    found = writer.ok("mail_search", {"label": "Writer mail", "folder": "Drafts", "text": value})
    assert saved["uid"] in [message["uid"] for message in found["messages"]]
    assert writer.error(
        "mail_move", {"label": "Writer mail", "folder": "Drafts", "uids": [saved["uid"]], "destination": value}
    )["reason"] in ("not_found", "bad_input")


def test_callers_mistakes_never_open_the_circuit_breaker(writer: McpClient, data: DataDir) -> None:
    """Missing messages and folders, impossible dates and forged headers are the caller's fault, not the server's."""
    mistakes = [
        *[("mail_fetch", {"uid": 999_990 + n}, "not_found") for n in range(3)],
        ("mail_search", {"folder": "No such folder"}, "not_found"),
        ("mail_fetch", {"folder": "No such folder", "uid": 1}, "not_found"),
        ("mail_search", {"since": "0001-01-01"}, "bad_input"),
        ("mail_search", {"since": "9999-12-31"}, "bad_input"),
        ("mail_append", {"subject": "Hi\r\nBcc: everyone@example.com", "body": "b"}, "bad_input"),
        ("mail_append", {"subject": "s", "body": "b", "to": ["a@example.com\r\nBcc: x@example.com"]}, "bad_input"),
        ("mail_move", {"uids": [1], "destination": "Archive\r\nA1 DELETE INBOX"}, "bad_input"),
    ]
    for tool, arguments, reason in mistakes:
        error = writer.error(tool, {"label": "Writer mail", **arguments})
        assert error["reason"] == reason, (tool, arguments, error)
        assert "Unexpected problem" not in error["message"]
    health = data.storage.metrics.health(data.storage.integrations.find("Writer mail").id)
    assert health.breaker.state is BreakerState.CLOSED and health.breaker.failures == 0
    assert writer.ok("mail_search", {"label": "Writer mail", "limit": 1})["total"] >= 1


def test_what_the_server_holds_comes_back_without_terminal_controls(writer: McpClient) -> None:
    """A message planted with escape sequences, C1 and bidi controls in its headers and body reads back as text."""
    hostile = "\x1b]52;c;cHduZWQ=\x07 \x1b]0;title\x07 \u009b2J \u202eevil\u202c"
    saved = writer.ok(
        "mail_append",
        {
            "label": "Writer mail",
            "folder": "Drafts",
            "subject": f"Planted {hostile}",
            "body": f"line one\nline two {hostile}",
        },
    )
    fetched = writer.call("mail_fetch", {"label": "Writer mail", "folder": "Drafts", "uid": saved["uid"]})
    found = writer.call("mail_search", {"label": "Writer mail", "folder": "Drafts", "text": "Planted"})
    for result in (fetched, found):
        text = result_text(result)
        assert not result.is_error, text[:300]
        assert not any(char in text for char in ("\x1b", "\x07", "\u009b", "\u202e")), text[:300]
    body = fetched.structured_content["text"]
    assert "line one\nline two" in body and "\ufffd]52;c;cHduZWQ=\ufffd" in body
