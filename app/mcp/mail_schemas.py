"""Input and output JSON schemas of the mail tools (IMAP and Gmail share them)."""

from __future__ import annotations

from typing import Any

from app.mcp.tool_spec import LABEL_PROPERTY, object_schema

MAX_PAGE = 100

FOLDER = {"type": "string", "minLength": 1, "description": "Folder name as mail_list_folders shows it, e.g. INBOX"}
UID = {"type": "integer", "minimum": 1, "description": "The message's IMAP UID in that folder"}
UIDS = {"type": "array", "items": UID, "minItems": 1, "maxItems": 500}
FLAG = {"type": "string", "enum": ["\\Seen", "\\Flagged", "\\Draft", "\\Answered"]}

SUMMARY = object_schema(
    {
        "uid": {"type": "integer"},
        "from": {"type": "string"},
        "subject": {"type": "string"},
        "date": {"type": ["string", "null"], "description": "ISO-8601, from the Date header"},
        "flags": {"type": "array", "items": {"type": "string"}},
        "size": {"type": "integer", "description": "Bytes"},
    },
    required=("uid", "from", "subject", "date", "flags", "size"),
)

LIST_FOLDERS_INPUT = object_schema({"label": LABEL_PROPERTY}, required=("label",))
LIST_FOLDERS_OUTPUT = object_schema(
    {
        "label": {"type": "string"},
        "folders": {
            "type": "array",
            "items": object_schema(
                {
                    "name": {"type": "string"},
                    "flags": {"type": "array", "items": {"type": "string"}},
                    "role": {
                        "type": ["string", "null"],
                        "description": "drafts, sent, trash, junk, archive, all or null",
                    },
                },
                required=("name", "flags"),
            ),
        },
    },
    required=("label", "folders"),
)

SEARCH_INPUT = object_schema(
    {
        "label": LABEL_PROPERTY,
        "folder": {**FOLDER, "default": "INBOX"},
        "text": {"type": "string", "description": "Words anywhere in the message"},
        "from": {"type": "string", "description": "Part of the sender's name or address"},
        "since": {"type": "string", "description": "Only messages on or after this day, YYYY-MM-DD"},
        "unseen": {"type": "boolean", "description": "Only unread messages"},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 20},
        "offset": {"type": "integer", "minimum": 0, "default": 0, "description": "Skip this many (newest first)"},
    },
    required=("label",),
)
SEARCH_OUTPUT = object_schema(
    {
        "label": {"type": "string"},
        "folder": {"type": "string"},
        "total": {"type": "integer", "description": "How many messages match"},
        "offset": {"type": "integer"},
        "next_offset": {"type": ["integer", "null"], "description": "Offset of the next page, null on the last"},
        "messages": {"type": "array", "items": SUMMARY},
    },
    required=("label", "folder", "total", "offset", "next_offset", "messages"),
)

FETCH_INPUT = object_schema(
    {
        "label": LABEL_PROPERTY,
        "folder": {**FOLDER, "default": "INBOX"},
        "uid": UID,
        "max_chars": {"type": "integer", "minimum": 100, "maximum": 200000, "default": 20000},
    },
    required=("label", "uid"),
)
FETCH_OUTPUT = object_schema(
    {
        "label": {"type": "string"},
        "folder": {"type": "string"},
        "uid": {"type": "integer"},
        "headers": {
            "type": "object",
            "description": "from, to, cc, subject, date, message_id, in_reply_to (strings)",
            "additionalProperties": {"type": "string"},
        },
        "text": {
            "type": "string",
            "description": "The plain-text body (HTML stripped of tags when there is no plain text)",
        },
        "truncated": {"type": "boolean", "description": "Whether text was cut at max_chars"},
        "attachments": {"type": "array", "items": {"type": "string"}, "description": "Attachment file names"},
    },
    required=("label", "folder", "uid", "headers", "text", "truncated", "attachments"),
)

APPEND_INPUT = object_schema(
    {
        "label": LABEL_PROPERTY,
        "folder": {**FOLDER, "description": "Where to store it; default: the Drafts folder (by its special use)"},
        "subject": {"type": "string"},
        "body": {"type": "string", "description": "Plain-text body"},
        "to": {"type": "array", "items": {"type": "string"}},
        "cc": {"type": "array", "items": {"type": "string"}},
        "from": {"type": "string", "description": "Sender; defaults to the account's username when it is an address"},
        "in_reply_to": {"type": "string", "description": "Message-ID this replies to"},
        "flags": {"type": "array", "items": FLAG, "default": ["\\Draft"]},
    },
    required=("label", "subject", "body"),
)
APPEND_OUTPUT = object_schema(
    {
        "label": {"type": "string"},
        "folder": {"type": "string"},
        "uid": {"type": ["integer", "null"], "description": "The new message's UID, when the server reports it"},
        "message_id": {"type": "string", "description": "The Message-ID header given to the message"},
        "flags": {"type": "array", "items": {"type": "string"}},
    },
    required=("label", "folder", "uid", "message_id", "flags"),
)

SET_FLAGS_INPUT = object_schema(
    {
        "label": LABEL_PROPERTY,
        "folder": {**FOLDER, "default": "INBOX"},
        "uids": UIDS,
        "seen": {"type": "boolean", "description": "true: mark read (\\Seen); false: mark unread"},
        "flagged": {"type": "boolean", "description": "true: flag (\\Flagged); false: unflag"},
    },
    required=("label", "uids"),
)
SET_FLAGS_OUTPUT = object_schema(
    {
        "label": {"type": "string"},
        "folder": {"type": "string"},
        "uids": {"type": "array", "items": {"type": "integer"}},
        "added": {"type": "array", "items": {"type": "string"}, "description": "Flags added"},
        "removed": {"type": "array", "items": {"type": "string"}, "description": "Flags removed"},
    },
    required=("label", "folder", "uids", "added", "removed"),
)

MOVE_INPUT = object_schema(
    {
        "label": LABEL_PROPERTY,
        "folder": {**FOLDER, "default": "INBOX"},
        "uids": UIDS,
        "destination": {**FOLDER, "description": "Folder to move the messages to"},
    },
    required=("label", "uids", "destination"),
)
MOVE_OUTPUT = object_schema(
    {
        "label": {"type": "string"},
        "folder": {"type": "string"},
        "destination": {"type": "string"},
        "moved": {"type": "array", "items": {"type": "integer"}, "description": "UIDs (in folder) that were moved"},
    },
    required=("label", "folder", "destination", "moved"),
)


def with_defaults(schema: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments with the schema's defaults filled in."""
    filled = dict(arguments)
    for name, spec in schema["properties"].items():
        if name not in filled and "default" in spec:
            filled[name] = spec["default"]
    return filled
