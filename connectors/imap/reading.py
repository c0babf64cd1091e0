"""Read one message for a person or an assistant, never holding more of it than it can show.

A small message is fetched whole and parsed. Above ``FULL_FETCH_LIMIT`` bytes (a 60 MB attachment,
say) only the header block and the beginning of the first text part are fetched, with a partial
FETCH (``BODY.PEEK[1]<0.n>``) sized from ``max_chars``; attachment names come from BODYSTRUCTURE.
"""

from __future__ import annotations

import base64
import binascii
import quopri
from dataclasses import dataclass, replace
from typing import Any

from connectors.errors import ConnectorError, ErrorKind
from connectors.imap.message import ParsedMessage, parse_message, strip_html

FULL_FETCH_LIMIT = 2_000_000  # bytes
_MAX_PART_BYTES = 1_000_000  # the most of one text part ever fetched from a large message


@dataclass(frozen=True)
class ReadMessage:
    parsed: ParsedMessage
    size: int  # RFC822.SIZE, bytes
    complete: bool  # False when only the headers and the start of the text were fetched


@dataclass(frozen=True)
class _TextPart:
    number: str  # "1", "1.2", ...
    html: bool
    encoding: str
    charset: str


def read_message(session: Any, folder: str, uid: int, *, max_chars: int, limit: int = FULL_FETCH_LIMIT) -> ReadMessage:
    """The message's headers, text (at least ``max_chars`` of it when it has that many) and attachment names."""
    what = f"read message {uid} in {folder}"
    facts = session.run(what, lambda client: client.fetch([uid], ["RFC822.SIZE", "BODYSTRUCTURE"])).get(uid)
    if not facts or b"RFC822.SIZE" not in facts:
        raise ConnectorError(
            ErrorKind.NOT_FOUND,
            f"There is no message {uid} in {folder} (it may have been moved or deleted).",
            caller_fault=True,
        )
    size = int(facts[b"RFC822.SIZE"])
    if size <= limit:
        data = session.run(what, lambda client: client.fetch([uid], ["BODY.PEEK[]"])).get(uid) or {}
        if b"BODY[]" not in data:
            raise ConnectorError(
                ErrorKind.NOT_FOUND,
                f"There is no message {uid} in {folder} (it may have been moved or deleted).",
                caller_fault=True,
            )
        return ReadMessage(_parsed(bytes(data[b"BODY[]"]), uid, folder), size, complete=True)
    structure = facts.get(b"BODYSTRUCTURE")
    part = _first_text_part(structure)
    items = ["BODY.PEEK[HEADER]"]
    wanted = 0
    if part is not None:
        wanted = min(
            _MAX_PART_BYTES, max_chars * 4 * (2 if part.encoding in ("base64", "quoted-printable") else 1) + 64
        )
        items.append(f"BODY.PEEK[{part.number}]<0.{wanted}>")
    data = session.run(what, lambda client: client.fetch([uid], items)).get(uid) or {}
    header = bytes(data.get(b"BODY[HEADER]") or b"")
    parsed = _parsed(header + b"\r\n", uid, folder)
    text = ""
    if part is not None:
        chunk = next(
            (bytes(value) for key, value in data.items() if key.startswith(f"BODY[{part.number}]".encode())), b""
        )
        text = _decode(chunk, part)
    attachments = tuple(_attachment_names(structure))
    return ReadMessage(replace(parsed, text=text, attachments=attachments), size, complete=False)


def _parsed(raw: bytes, uid: int, folder: str) -> ParsedMessage:
    try:
        return parse_message(raw)
    except Exception as exc:  # a message the parser cannot read is the server's data, not a crash of ours
        raise ConnectorError(
            ErrorKind.BAD_DATA, f"Message {uid} in {folder} could not be read ({type(exc).__name__})."
        ) from None


def _parts(structure: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(part number, single-part structure) for every leaf, depth first."""
    if not structure:
        return []
    if isinstance(structure[0], list):  # multipart: (children, subtype, ...)
        leaves: list[tuple[str, Any]] = []
        for index, child in enumerate(structure[0], start=1):
            leaves += _parts(child, f"{prefix}{index}.")
        return leaves
    return [(prefix.rstrip(".") or "1", structure)]


def _text(value: Any) -> str:
    return value.decode("ascii", "replace").lower() if isinstance(value, bytes) else str(value or "").lower()


def _params(values: Any) -> dict[str, str]:
    if not isinstance(values, tuple):
        return {}
    return {_text(values[i]): _text(values[i + 1]) for i in range(0, len(values) - 1, 2)}


def _disposition(leaf: tuple[Any, ...]) -> tuple[str, dict[str, str]]:
    for item in leaf[7:]:
        if (
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[0], bytes)
            and (item[1] is None or isinstance(item[1], tuple))
        ):
            return _text(item[0]), _params(item[1])
    return "", {}


def _first_text_part(structure: Any) -> _TextPart | None:
    found: dict[str, _TextPart] = {}
    for number, leaf in _parts(structure):
        if not isinstance(leaf, tuple) or len(leaf) < 7 or _text(leaf[0]) != "text":
            continue
        if _disposition(leaf)[0] == "attachment":
            continue
        subtype = _text(leaf[1])
        if subtype in ("plain", "html") and subtype not in found:
            charset = _params(leaf[2]).get("charset", "utf-8")
            found[subtype] = _TextPart(number, subtype == "html", _text(leaf[5]), charset)
    return found.get("plain") or found.get("html")


def _attachment_names(structure: Any) -> list[str]:
    names = []
    for _, leaf in _parts(structure):
        if not isinstance(leaf, tuple) or len(leaf) < 7:
            continue
        kind, params = _disposition(leaf)
        name = params.get("filename") or _params(leaf[2]).get("name")
        if kind == "attachment" or (name and _text(leaf[0]) != "text"):
            names.append(_original_case(leaf, name) or "unnamed")
    return names


def _original_case(leaf: tuple[Any, ...], lowered: str | None) -> str | None:
    """File names keep their case: look the lowered name up again among the raw parameters."""
    if not lowered:
        return None
    for item in (leaf[2], *(entry[1] for entry in leaf[7:] if isinstance(entry, tuple) and len(entry) == 2)):
        if isinstance(item, tuple):
            for value in item[1::2]:
                if isinstance(value, bytes) and value.decode("utf-8", "replace").lower() == lowered:
                    return _header_words(value.decode("utf-8", "replace"))
    return lowered


def _header_words(value: str) -> str:
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError):
        return value


def _decode(chunk: bytes, part: _TextPart) -> str:
    if part.encoding == "base64":
        compact = b"".join(chunk.split())
        try:
            chunk = base64.b64decode(compact[: len(compact) // 4 * 4])
        except (binascii.Error, ValueError):
            chunk = b""
    elif part.encoding == "quoted-printable":
        chunk = quopri.decodestring(chunk.rsplit(b"=", 1)[0] if chunk[-3:].count(b"=") else chunk)
    try:
        text = chunk.decode(part.charset or "utf-8", "replace")
    except LookupError:
        text = chunk.decode("utf-8", "replace")
    return strip_html(text) if part.html else text
