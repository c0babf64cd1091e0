"""The mail tools: folders, search, fetch, append (drafts), flags and move, for every type with a mailbox.

Each call opens one signed-in mailbox through its type (``IntegrationType.open_mailbox``), does its
work and logs out. OAuth types sign in with XOAUTH2 and store a rotated refresh token at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

from app.mcp import mail_schemas as schemas
from app.mcp.calls import ToolCall
from app.mcp.errors import Reason, ToolRefusal, refusal_from
from app.mcp.tool_spec import MAILBOXES, ToolSpec
from connectors.errors import ConnectorError
from storage.records import Integration

MAIL_TYPES = MAILBOXES  # every type that declares a mailbox
T = TypeVar("T")
# Header arguments of mail_append: they go into the message, so a line break would forge a header.
HEADER_ARGUMENTS = ("subject", "from", "in_reply_to", "to", "cc")


@contextmanager
def _checked_input(integration: Integration) -> Iterator[None]:
    """Arguments are checked before connecting; a value that cannot be sent is a bad_input refusal naming it."""
    try:
        yield
    except ConnectorError as error:
        raise refusal_from(error, integration.label) from None


def _check_folders(arguments: dict[str, Any], *names: str) -> None:
    from connectors.imap.tokens import imap_folder

    for name in names:
        if arguments.get(name) is not None:
            imap_folder(arguments[name], name)


@contextmanager
def _mailbox(call: ToolCall, integration: Integration, secrets: Mapping[str, str], timeout: float) -> Iterator[Any]:
    spec = call.types.get(integration.type_key)
    save_secret = call.secret_keeper(integration)
    with spec.open_mailbox(integration.settings, secrets, timeout=timeout, save_secret=save_secret) as mailbox:
        yield mailbox


def _with_mailbox(call: ToolCall, integration: Integration, work: Callable[[Any], T], *, what: str) -> T:
    def operation(secrets: Mapping[str, str], timeout: float) -> T:
        with _mailbox(call, integration, secrets, timeout) as mailbox:
            return work(mailbox)

    return call.run(integration, operation, what=what)


# --- reading ----------------------------------------------------------------------------------


def list_folders(call: ToolCall, arguments: dict[str, Any]) -> dict[str, Any]:
    integration = call.integration(arguments["label"], types=MAIL_TYPES)
    folders = _with_mailbox(call, integration, lambda mailbox: mailbox.folders(), what="listing folders")
    return {
        "label": integration.label,
        "folders": [
            {"name": folder.name, "flags": list(folder.flags), "role": _role(folder.special_use)} for folder in folders
        ],
    }


def search(call: ToolCall, arguments: dict[str, Any]) -> dict[str, Any]:
    from connectors.imap.mailbox import MessageQuery, criteria_for

    arguments = schemas.with_defaults(schemas.SEARCH_INPUT, arguments)
    integration = call.integration(arguments["label"], types=MAIL_TYPES)
    query = MessageQuery(
        text=arguments.get("text", ""),
        sender=arguments.get("from", ""),
        since=_day(arguments.get("since"), integration.label),
        unseen=bool(arguments.get("unseen", False)),
    )
    with _checked_input(integration):
        _check_folders(arguments, "folder")
        criteria_for(query)
    folder, offset, limit = arguments["folder"], arguments["offset"], arguments["limit"]
    page = _with_mailbox(
        call, integration, lambda mailbox: mailbox.search(folder, query, offset=offset, limit=limit), what="searching"
    )
    return {
        "label": integration.label,
        "folder": page.folder,
        "total": page.total,
        "offset": page.offset,
        "next_offset": page.offset + len(page.messages) if page.has_more else None,
        "messages": [
            {
                "uid": message.uid,
                "from": message.sender,
                "subject": message.subject,
                "date": message.date.isoformat() if message.date else None,
                "flags": list(message.flags),
                "size": message.size,
            }
            for message in page.messages
        ],
    }


def fetch(call: ToolCall, arguments: dict[str, Any]) -> dict[str, Any]:
    arguments = schemas.with_defaults(schemas.FETCH_INPUT, arguments)
    integration = call.integration(arguments["label"], types=MAIL_TYPES)
    folder, uid, limit = arguments["folder"], arguments["uid"], arguments["max_chars"]
    with _checked_input(integration):
        _check_folders(arguments, "folder")
    # A large message is read only in part: its headers and the first max_chars of its text.
    read = _with_mailbox(
        call, integration, lambda mailbox: mailbox.read(folder, uid, max_chars=limit), what="reading a message"
    )
    parsed = read.parsed
    headers = {
        "from": parsed.sender,
        "to": ", ".join(parsed.to),
        "cc": ", ".join(parsed.cc),
        "subject": parsed.subject,
        "date": parsed.date.isoformat() if parsed.date else "",
        "message_id": parsed.message_id,
    }
    return {
        "label": integration.label,
        "folder": folder,
        "uid": uid,
        "headers": {name: value for name, value in headers.items() if value},
        "text": parsed.text[:limit],
        "truncated": len(parsed.text) > limit or not read.complete,
        "attachments": list(parsed.attachments),
    }


# --- writing ----------------------------------------------------------------------------------


def append(call: ToolCall, arguments: dict[str, Any]) -> dict[str, Any]:
    arguments = schemas.with_defaults(schemas.APPEND_INPUT, arguments)
    integration = call.integration(arguments["label"], types=MAIL_TYPES, write=True)
    flags = list(dict.fromkeys(arguments["flags"]))
    with _checked_input(integration):
        _check_folders(arguments, "folder")
        _check_headers(arguments)
    raw, message_id = _compose(arguments, _default_sender(integration))

    def work(mailbox: Any) -> dict[str, Any]:
        folder = arguments.get("folder") or _drafts_folder(mailbox)
        uid = mailbox.append(folder, raw, flags=flags)
        return {"label": integration.label, "folder": folder, "uid": uid, "message_id": message_id, "flags": flags}

    return _with_mailbox(call, integration, work, what="saving a message")


def set_flags(call: ToolCall, arguments: dict[str, Any]) -> dict[str, Any]:
    from connectors.imap.mailbox import FLAGGED, SEEN

    arguments = schemas.with_defaults(schemas.SET_FLAGS_INPUT, arguments)
    integration = call.integration(arguments["label"], types=MAIL_TYPES, write=True)
    seen, flagged = arguments.get("seen"), arguments.get("flagged")
    if seen is None and flagged is None:
        raise ToolRefusal(Reason.BAD_INPUT, "Say what to change: seen and/or flagged.", label=integration.label)
    with _checked_input(integration):
        _check_folders(arguments, "folder")
    folder, uids = arguments["folder"], list(dict.fromkeys(arguments["uids"]))
    _with_mailbox(
        call,
        integration,
        lambda mailbox: mailbox.set_flags(folder, uids, seen=seen, flagged=flagged),
        what="changing flags",
    )
    changes = ((SEEN, seen), (FLAGGED, flagged))
    return {
        "label": integration.label,
        "folder": folder,
        "uids": uids,
        "added": [flag for flag, on in changes if on is True],
        "removed": [flag for flag, on in changes if on is False],
    }


def move(call: ToolCall, arguments: dict[str, Any]) -> dict[str, Any]:
    arguments = schemas.with_defaults(schemas.MOVE_INPUT, arguments)
    integration = call.integration(arguments["label"], types=MAIL_TYPES, write=True)
    folder, destination, uids = arguments["folder"], arguments["destination"], list(dict.fromkeys(arguments["uids"]))
    if folder == destination:
        raise ToolRefusal(
            Reason.BAD_INPUT, "The destination is the folder the messages are in.", label=integration.label
        )
    with _checked_input(integration):
        _check_folders(arguments, "folder", "destination")
    _with_mailbox(call, integration, lambda mailbox: mailbox.move(folder, uids, destination), what="moving messages")
    return {"label": integration.label, "folder": folder, "destination": destination, "moved": uids}


# --- helpers ----------------------------------------------------------------------------------


def _role(special_use: str | None) -> str | None:
    return special_use.lstrip("\\").lower() if special_use else None


def _day(text: object, label: str) -> date | None:
    if text in (None, ""):
        return None
    from connectors.imap.tokens import EARLIEST_YEAR, LATEST_YEAR

    try:
        if not isinstance(text, str) or len(text) != 10:
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise ToolRefusal(Reason.BAD_INPUT, "since must be a date written YYYY-MM-DD.", label=label) from None
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise ToolRefusal(Reason.BAD_INPUT, f"since must be between {EARLIEST_YEAR} and {LATEST_YEAR}.", label=label)
    return day


def _check_headers(arguments: dict[str, Any]) -> None:
    """Header values may not carry a line break (it would forge headers) or NUL; the body may not carry NUL."""
    from connectors.imap.tokens import bad_input, check_text

    for name in HEADER_ARGUMENTS:
        values = arguments.get(name)
        for value in values if isinstance(values, list) else [values] if values is not None else []:
            check_text(value, name)
    if "\0" in arguments.get("body", ""):
        raise bad_input("body", "body contains a NUL character, which cannot be sent to a mail server.")


def _drafts_folder(mailbox: Any) -> str:
    """The folder the server marks as \\Drafts (Gmail: "[Gmail]/Drafts"), else "Drafts"."""
    for folder in mailbox.folders():
        if folder.special_use and folder.special_use.lower() == "\\drafts":
            return folder.name
    return "Drafts"


def _default_sender(integration: Integration) -> str:
    for key in ("address", "username"):
        value = str(integration.settings.get(key) or "")
        if "@" in value:
            return value
    return ""


def _compose(arguments: dict[str, Any], default_sender: str) -> tuple[bytes, str]:
    """The draft's bytes and Message-ID; a value the email library rejects is a bad_input refusal naming it."""
    from email.errors import MessageError
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    sender = arguments.get("from") or default_sender
    message = EmailMessage()
    domain = sender.rpartition("@")[2].strip("> ") or None
    message_id = make_msgid(domain=domain)
    headers = (
        ("From", "from", sender),
        ("To", "to", ", ".join(arguments.get("to") or [])),
        ("Cc", "cc", ", ".join(arguments.get("cc") or [])),
        ("Subject", "subject", arguments["subject"]),
        ("Date", "", formatdate(localtime=True)),
        ("Message-ID", "", message_id),
        ("In-Reply-To", "in_reply_to", arguments.get("in_reply_to") or ""),
        ("References", "in_reply_to", arguments.get("in_reply_to") or ""),
    )
    blamed = ""  # the argument being added when the email library objects
    try:
        for header, name, value in headers:
            blamed = name
            if value or header == "Subject":
                message[header] = value
        blamed = "body"
        message.set_content(arguments["body"])
        blamed = ""
        return message.as_bytes(), message_id
    except (ValueError, TypeError, IndexError, MessageError) as exc:
        raise ToolRefusal(
            Reason.BAD_INPUT, f"{blamed or 'The message'} cannot be used in a message ({type(exc).__name__})."
        ) from None


def _tool(
    name: str, title: str, description: str, run, input_schema, output_schema, *, writes: bool = False
) -> ToolSpec:
    return ToolSpec(name, title, description, input_schema, output_schema, run, writes=writes, types=MAIL_TYPES)


MAIL_TOOLS = [
    _tool(
        "mail_list_folders",
        "List mail folders",
        "The folders of a mailbox, with their IMAP flags and special-use role (drafts, sent, trash, ...).",
        list_folders,
        schemas.LIST_FOLDERS_INPUT,
        schemas.LIST_FOLDERS_OUTPUT,
    ),
    _tool(
        "mail_search",
        "Search mail",
        "Message summaries (uid, from, subject, date, flags, size) in one folder, newest first, filtered by "
        "text, sender, day and unread state (all given filters must match); page with limit/offset.",
        search,
        schemas.SEARCH_INPUT,
        schemas.SEARCH_OUTPUT,
    ),
    _tool(
        "mail_fetch",
        "Read one message",
        "One message by folder and UID: its headers, plain-text body and attachment names. Does not mark it read.",
        fetch,
        schemas.FETCH_INPUT,
        schemas.FETCH_OUTPUT,
    ),
    _tool(
        "mail_append",
        "Save a message (draft)",
        "Store a new plain-text message in a folder, by default flagged \\Draft in the Drafts folder. Nothing is sent.",
        append,
        schemas.APPEND_INPUT,
        schemas.APPEND_OUTPUT,
        writes=True,
    ),
    _tool(
        "mail_set_flags",
        "Mark read/unread, flag/unflag",
        "Mark messages in one folder read or unread (seen) and flagged or not (flagged).",
        set_flags,
        schemas.SET_FLAGS_INPUT,
        schemas.SET_FLAGS_OUTPUT,
        writes=True,
    ),
    _tool(
        "mail_move",
        "Move messages",
        "Move messages from one folder to another (e.g. to Archive or Trash).",
        move,
        schemas.MOVE_INPUT,
        schemas.MOVE_OUTPUT,
        writes=True,
    ),
]
