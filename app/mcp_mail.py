"""The mail tools: folders, search, fetch, append (drafts), flags and move, for IMAP and Gmail."""

from __future__ import annotations

from typing import Any

from app import mcp_mail_schemas as schemas
from app.mcp_calls import ToolCall
from app.mcp_errors import Reason, ToolRefusal
from app.mcp_tools import ToolSpec

MAIL_TYPES = frozenset({"imap", "gmail"})


def _unavailable(*, writes: bool):  # type: ignore[no-untyped-def]
    def run(call: ToolCall, arguments: dict[str, Any]) -> dict[str, Any]:
        integration = call.integration(arguments.get("label"), types=MAIL_TYPES, write=writes)
        raise ToolRefusal(
            Reason.UNSUPPORTED, "Mail tools are not available in this version of tether.", label=integration.label
        )

    return run


def _tool(name: str, title: str, description: str, input_schema, output_schema, *, writes: bool = False) -> ToolSpec:  # type: ignore[no-untyped-def]
    return ToolSpec(
        name=name,
        title=title,
        description=description,
        input_schema=input_schema,
        output_schema=output_schema,
        run=_unavailable(writes=writes),
        writes=writes,
        types=MAIL_TYPES,
    )


MAIL_TOOLS = [
    _tool(
        "mail_list_folders",
        "List mail folders",
        "The folders of a mailbox, with their IMAP flags and special-use role (drafts, sent, trash, ...).",
        schemas.LIST_FOLDERS_INPUT,
        schemas.LIST_FOLDERS_OUTPUT,
    ),
    _tool(
        "mail_search",
        "Search mail",
        "Message summaries (uid, from, subject, date, flags, size) in one folder, newest first, filtered by "
        "text, sender, date and unread state; page with limit/offset.",
        schemas.SEARCH_INPUT,
        schemas.SEARCH_OUTPUT,
    ),
    _tool(
        "mail_fetch",
        "Read one message",
        "One message by folder and UID: its headers, plain-text body and attachment names. Does not mark it read.",
        schemas.FETCH_INPUT,
        schemas.FETCH_OUTPUT,
    ),
    _tool(
        "mail_append",
        "Save a message (draft)",
        "Store a new plain-text message in a folder, by default as a draft in Drafts. Nothing is sent.",
        schemas.APPEND_INPUT,
        schemas.APPEND_OUTPUT,
        writes=True,
    ),
    _tool(
        "mail_set_flags",
        "Change message flags",
        "Add and remove flags (\\Seen, \\Flagged, ...) on messages in one folder.",
        schemas.SET_FLAGS_INPUT,
        schemas.SET_FLAGS_OUTPUT,
        writes=True,
    ),
    _tool(
        "mail_move",
        "Move messages",
        "Move messages from one folder to another.",
        schemas.MOVE_INPUT,
        schemas.MOVE_OUTPUT,
        writes=True,
    ),
]
