"""The one quoting function: every value becomes one RFC 3501 token or is refused, and the real server agrees."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.errors import ConnectorError, ErrorKind
from connectors.imap.mailbox import Mailbox, MessageQuery, criteria_for
from connectors.imap.search import build_criteria
from connectors.imap.session import ImapSession
from connectors.imap.tokens import MAX_TOKEN_BYTES, Literal, imap_flag, imap_folder, imap_string

# A quoted string exactly as RFC 3501 section 9 defines it: no CR, LF or NUL; only \\ and \" escaped.
QUOTED = re.compile(rb'"(?:[\x01-\x09\x0b\x0c\x0e-\x21\x23-\x5b\x5d-\x7f]|\\["\\])*"')


def unquote(token: bytes) -> str:
    assert QUOTED.fullmatch(token), token
    return re.sub(rb'\\(["\\])', rb"\1", token[1:-1]).decode("ascii")


@given(st.text(max_size=300))
def test_every_text_is_one_token_or_refused(text: str) -> None:
    try:
        token = imap_string(text, "text")
    except ConnectorError as error:
        assert error.kind is ErrorKind.BAD_INPUT and error.field == "text" and "text" in error.message
        assert any(char in text for char in "\r\n\0") or not _valid_unicode(text)
        return
    if isinstance(token, Literal):
        assert token.decode("utf-8") == text  # sent after {n}: no quoting, so no escaping either
    else:
        assert unquote(token) == text


@given(st.text(max_size=60), st.text(max_size=60), st.booleans())
def test_search_criteria_are_keys_and_tokens_only(text: str, sender: str, unseen: bool) -> None:
    try:
        criteria = criteria_for(MessageQuery(text=text, sender=sender, unseen=unseen))
    except ConnectorError as error:
        assert error.kind is ErrorKind.BAD_INPUT and error.field in ("text", "from")
        return
    for token in criteria.tokens:
        assert b"\r" not in token and b"\n" not in token and b"\0" not in token
        assert isinstance(token, Literal) or token in (b"TEXT", b"FROM", b"UNSEEN") or QUOTED.fullmatch(token)
    assert criteria.charset == (b"UTF-8" if any(not value.isascii() for value in (text, sender)) else None)


@given(st.text(max_size=80))
def test_folder_names_are_always_quoted_seven_bit(name: str) -> None:
    try:
        token = imap_folder(name)
    except ConnectorError as error:
        assert error.kind is ErrorKind.BAD_INPUT and error.field == "folder"
        return
    assert token.isascii() and QUOTED.fullmatch(token)


@pytest.mark.parametrize("value", ["a\r\nA1 DELETE INBOX", "a\nb", "a\rb", "a\0b"])
def test_line_breaks_and_nul_are_refused_naming_the_argument(value: str) -> None:
    for make, argument in ((imap_string, "text"), (imap_folder, "destination"), (imap_flag, "flags")):
        with pytest.raises(ConnectorError) as caught:
            make(value, argument)
        assert caught.value.kind is ErrorKind.BAD_INPUT and caught.value.field == argument
        assert caught.value.message.startswith(argument)


def test_long_values_flags_and_dates_are_refused() -> None:
    with pytest.raises(ConnectorError, match="too long"):
        imap_string("x" * (MAX_TOKEN_BYTES + 1), "text")
    with pytest.raises(ConnectorError, match="not a valid IMAP flag"):
        imap_flag("\\Seen) UID EXPUNGE (", "flags")
    assert imap_flag("\\Draft") == b"\\Draft" and imap_flag("$Forwarded") == b"$Forwarded"
    with pytest.raises(ConnectorError) as caught:
        criteria_for(MessageQuery(since=dt.date(1, 1, 1)))
    assert caught.value.kind is ErrorKind.BAD_INPUT and caught.value.field == "since"
    assert build_criteria(since=dt.date(2026, 3, 5)).tokens == (b"SINCE", b"05-Mar-2026")


def _valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- against the real server, through the Mailbox API that workflows use -----------------------

HOSTILE_SEARCHES = [")", "(", "{5}", "x {5+}", '\\"', 'a" OR ALL "', "*", "%", "\x1b[31m", "Ünï", "\u202e"]


@pytest.mark.realserver
def test_the_mailbox_api_refuses_injection_and_leaves_the_mailbox_alone(imap_settings, dovecot) -> None:  # type: ignore[no-untyped-def]
    session = ImapSession.from_settings(imap_settings("hostile"), {"password": dovecot.passwords["hostile"]})
    with session:
        mailbox = Mailbox(session)
        subject = 'Odd a) "b" {5} \\c'
        mailbox.append("INBOX", f"Subject: {subject}\r\n\r\nodd body\r\n".encode())
        before = [folder.name for folder in mailbox.folders()], mailbox.status("INBOX")
        for value in ["x\r\nA1 UID MOVE 1:* Trash", "x\r\nA1 DELETE Archive", "x\r\nA1 EXPUNGE", "x\0y"]:
            for query, field in ((MessageQuery(text=value), "text"), (MessageQuery(sender=value), "from")):
                with pytest.raises(ConnectorError) as caught:
                    mailbox.search("INBOX", query)
                assert caught.value.kind is ErrorKind.BAD_INPUT and caught.value.field == field
            for method, arguments in (
                (mailbox.status, (value,)),
                (mailbox.move, ("INBOX", [1], value)),
                (mailbox.append, (value, b"x")),
            ):
                with pytest.raises(ConnectorError) as caught:
                    method(*arguments)  # type: ignore[operator]
                assert caught.value.kind is ErrorKind.BAD_INPUT
        for value in HOSTILE_SEARCHES:
            page = mailbox.search("INBOX", MessageQuery(text=value))  # answered, never a hang or a syntax error
            assert page.total <= 1
        assert [m.subject for m in mailbox.search("INBOX", MessageQuery(text='a) "b" {5}')).messages] == [subject]
        with pytest.raises(ConnectorError) as caught:
            mailbox.append("INBOX", b"x", when=dt.datetime(1, 1, 1, tzinfo=dt.UTC))
        assert caught.value.kind is ErrorKind.BAD_INPUT and caught.value.field == "date"
        assert ([folder.name for folder in mailbox.folders()], mailbox.status("INBOX")) == before
