"""Read and write mail through an open ImapSession, with plain dataclasses in and out.

    with open_mailbox(settings, secrets) as mailbox:
        page = mailbox.search("INBOX", MessageQuery(unseen=True), limit=20)
        raw = mailbox.fetch("INBOX", page.messages[0].uid)

Workflows (and the MCP server) use this; the check uses ``Mailbox.status``. Every method raises
the same classified ConnectorErrors as the session.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from connectors.errors import ConnectorError, ErrorKind
from connectors.imap.auth import ImapAuth
from connectors.imap.connection import DEFAULT_TIMEOUT
from connectors.imap.reading import ReadMessage, read_message
from connectors.imap.search import Criteria, build_criteria, find_page
from connectors.imap.session import ImapSession
from connectors.imap.tokens import check_day, imap_flag, imap_folder

SEEN = "\\Seen"
FLAGGED = "\\Flagged"
DRAFT = "\\Draft"
DELETED = "\\Deleted"
_SPECIAL_USES = ("\\Drafts", "\\Sent", "\\Trash", "\\Junk", "\\Archive", "\\All", "\\Flagged")
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]", re.IGNORECASE)


@dataclass(frozen=True)
class Folder:
    name: str
    flags: tuple[str, ...] = ()
    delimiter: str = "/"

    @property
    def special_use(self) -> str | None:
        """E.g. "\\Drafts" or "\\Sent" when the server marks the folder's role."""
        return next((flag for flag in self.flags if flag.title() in _SPECIAL_USES), None)

    @property
    def selectable(self) -> bool:
        return not any(flag.lower() in ("\\noselect", "\\nonexistent") for flag in self.flags)


@dataclass(frozen=True)
class FolderStatus:
    name: str
    messages: int
    unseen: int
    newest: datetime | None  # when the newest message arrived (INTERNALDATE), UTC


@dataclass(frozen=True)
class MessageQuery:
    """Filters for ``Mailbox.search``; all given filters must match."""

    text: str = ""  # anywhere in headers or body
    sender: str = ""  # part of the From address or name
    since: date | None = None  # arrived on or after this day
    unseen: bool = False


@dataclass(frozen=True)
class MessageSummary:
    uid: int
    sender: str
    subject: str
    date: datetime | None  # the Date header, else when it arrived; UTC
    flags: tuple[str, ...]
    size: int  # bytes

    @property
    def seen(self) -> bool:
        return SEEN in self.flags

    @property
    def flagged(self) -> bool:
        return FLAGGED in self.flags


@dataclass(frozen=True)
class MessagePage:
    folder: str
    total: int  # matches in the whole folder
    offset: int
    messages: tuple[MessageSummary, ...]  # newest first

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.messages) < self.total


class Mailbox:
    def __init__(self, session: ImapSession) -> None:
        self.session = session

    # --- reading ---------------------------------------------------------------------------

    def folders(self) -> list[Folder]:
        listed = self.session.run("list folders", lambda client: client.list_folders())
        return [
            Folder(str(name), tuple(_text(flag) for flag in flags), _text(delimiter or b"/"))
            for flags, delimiter, name in listed
        ]

    def status(self, folder: str = "INBOX") -> FolderStatus:
        """Message and unread counts (STATUS: no UID lists) and the newest arrival, without changing anything."""
        imap_folder(folder)
        counts = self.session.run(
            f"count messages in {folder}", lambda client: client.folder_status(folder, ["MESSAGES", "UNSEEN"])
        )
        unseen = int(counts.get(b"UNSEEN", 0))
        info = self._select(folder, readonly=True)
        count = int(info.get(b"EXISTS", 0))
        newest = None
        if count:
            fetched = self.session.run(
                f"read the newest message date in {folder}", lambda client: client.fetch("*", ["INTERNALDATE"])
            )
            dates = [_utc(data.get(b"INTERNALDATE")) for data in fetched.values()]
            newest = max((d for d in dates if d is not None), default=None)
        return FolderStatus(folder, count, unseen, newest)

    def search(
        self, folder: str = "INBOX", query: MessageQuery = MessageQuery(), *, offset: int = 0, limit: int = 50
    ) -> MessagePage:
        """Summaries of matching messages, newest first, one page at a time (see connectors.imap.search)."""
        criteria = criteria_for(query)
        info = self._select(folder, readonly=True)
        total, page = find_page(self.session, folder, criteria, int(info.get(b"EXISTS", 0)), offset=offset, limit=limit)
        fetched = self.session.run(
            f"read message summaries in {folder}",
            lambda client: client.fetch(page, ["ENVELOPE", "FLAGS", "RFC822.SIZE", "INTERNALDATE"]) if page else {},
        )
        summaries = tuple(_summary(uid, fetched[uid]) for uid in page if uid in fetched)
        return MessagePage(folder, total, offset, summaries)

    def fetch(self, folder: str, uid: int) -> bytes:
        """One message's full RFC 822 bytes, without marking it read. See connectors.imap.message."""
        self._select(folder, readonly=True)
        fetched = self.session.run(
            f"read message {uid} in {folder}", lambda client: client.fetch([uid], ["BODY.PEEK[]"])
        )
        data = fetched.get(uid)
        if not data or b"BODY[]" not in data:
            raise ConnectorError(
                ErrorKind.NOT_FOUND,
                f"There is no message {uid} in {folder} (it may have been moved or deleted).",
                caller_fault=True,
            )
        return bytes(data[b"BODY[]"])

    def read(self, folder: str, uid: int, *, max_chars: int = 20_000) -> ReadMessage:
        """One message parsed, without marking it read; a large one only in part (see connectors.imap.reading)."""
        self._select(folder, readonly=True)
        return read_message(self.session, folder, uid, max_chars=max_chars)

    # --- writing ---------------------------------------------------------------------------

    def append(
        self, folder: str, message: bytes, *, flags: Iterable[str] = (), when: datetime | None = None
    ) -> int | None:
        """Store a message (e.g. a draft with flags=(DRAFT,)); returns its UID when the server tells it."""
        imap_folder(folder)
        flags = [imap_flag(flag).decode() for flag in flags]
        if when is not None:
            check_day(when, "date")
        reply = self.session.run(
            f"save a message to {folder}",
            lambda client: client.append(folder, message, flags=tuple(flags), msg_time=when),
        )
        match = _APPENDUID.search(reply if isinstance(reply, bytes) else str(reply).encode())
        return int(match.group(1)) if match else None

    def set_flags(
        self, folder: str, uids: Sequence[int], *, seen: bool | None = None, flagged: bool | None = None
    ) -> None:
        """Mark read/unread and flagged/unflagged; None leaves a flag as it is."""
        self._select(folder, readonly=False)
        add = [flag for flag, on in ((SEEN, seen), (FLAGGED, flagged)) if on is True]
        remove = [flag for flag, on in ((SEEN, seen), (FLAGGED, flagged)) if on is False]
        if add:
            self.session.run(f"set flags in {folder}", lambda client: client.add_flags(list(uids), add, silent=True))
        if remove:
            self.session.run(
                f"clear flags in {folder}", lambda client: client.remove_flags(list(uids), remove, silent=True)
            )

    def move(self, folder: str, uids: Sequence[int], destination: str) -> None:
        """Move messages; with no MOVE support, copy then delete the originals."""
        imap_folder(destination, "destination")
        self._select(folder, readonly=False)
        what = f"move messages from {folder} to {destination}"
        if self.moves_natively:
            self.session.run(what, lambda client: client.move(list(uids), destination))
            return
        self.session.run(what, lambda client: client.copy(list(uids), destination))
        self.session.run(what, lambda client: client.add_flags(list(uids), [DELETED], silent=True))
        # UID EXPUNGE removes only these messages; plain EXPUNGE would also remove others marked deleted.
        targets = list(uids) if self.session.supports("UIDPLUS") else None
        self.session.run(what, lambda client: client.expunge(targets))

    @property
    def moves_natively(self) -> bool:
        return self.session.supports("MOVE")

    def _select(self, folder: str, *, readonly: bool) -> dict[bytes, Any]:
        imap_folder(folder)  # refuses a hostile name before anything is sent
        return self.session.run(
            f"open the folder {folder}", lambda client: client.select_folder(folder, readonly=readonly)
        )


@contextmanager
def open_mailbox(
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    auth: ImapAuth | None = None,
) -> Iterator[Mailbox]:
    """A signed-in mailbox for an IMAP integration's settings and secrets; logs out on exit."""
    with ImapSession.from_settings(settings, secrets, timeout=timeout, auth=auth) as session:
        yield Mailbox(session)


def criteria_for(query: MessageQuery) -> Criteria:
    """The query as SEARCH tokens; raises BAD_INPUT (naming text, from or since) for what cannot be sent."""
    since = check_day(query.since, "since") if query.since is not None else None
    return build_criteria(query.text, query.sender, since, query.unseen)


def _summary(uid: int, data: dict[bytes, Any]) -> MessageSummary:
    envelope = data.get(b"ENVELOPE")
    sender, subject, sent = "", "", None
    if envelope is not None:
        subject = _header_text(envelope.subject)
        if envelope.from_:
            sender = _address(envelope.from_[0])
        sent = _utc(envelope.date)
    return MessageSummary(
        uid=uid,
        sender=sender,
        subject=subject,
        date=sent or _utc(data.get(b"INTERNALDATE")),
        flags=tuple(_text(flag) for flag in data.get(b"FLAGS", ())),
        size=int(data.get(b"RFC822.SIZE", 0)),
    )


def _address(address: Any) -> str:
    mailbox = _text(address.mailbox or b"")
    host = _text(address.host or b"")
    email = f"{mailbox}@{host}" if host else mailbox
    name = _header_text(address.name)
    return f"{name} <{email}>" if name else email


def _header_text(value: bytes | str | None) -> str:
    """Decode an RFC 2047 encoded header value ("=?utf-8?q?...?=")."""
    if not value:
        return ""
    from email.header import decode_header, make_header

    text = _text(value)
    try:
        return str(make_header(decode_header(text)))
    except (ValueError, LookupError):
        return text


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # imapclient gives local naive times unless told otherwise
        moment = moment.astimezone()
    return moment.astimezone(UTC)
