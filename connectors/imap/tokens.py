"""The one way a string reaches an IMAP server: as a token that cannot end the command line.

Search words, folder names, flags and header values come from outside (a workflow, an MCP
client) and are hostile until proven otherwise. A value with CR or LF would end the command and
let the rest run as commands of its own; NUL cannot be carried at all. Such values are refused
with a BAD_INPUT error naming the argument. Everything else becomes an RFC 3501 token:

- ``imap_string``: a quoted string (``"a \\"b\\""``) for 7-bit text, a literal for 8-bit text or
  other control characters (the command sender announces its length: ``{n}`` or ``{n+}``);
- ``imap_folder``: a folder name in modified UTF-7 (RFC 3501 5.1.3), always quoted;
- ``imap_flag``: a system flag (``\\Seen``) or keyword, which must be an atom.

``check_text`` is the same refusal rule for values that travel inside a message literal (header
values of a draft): they cannot break the command, but a line break would forge headers.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from connectors.errors import ConnectorError, ErrorKind

# Longer search words or folder names are a mistake or an attack; servers cap command lines near 64 kB.
MAX_TOKEN_BYTES = 8192
# Dates outside this range are not mail dates; some crash date arithmetic (year 1, year 9999).
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200

_FORBIDDEN = {"\r": "a carriage return (CR)", "\n": "a line feed (LF)", "\0": "a NUL character"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# ATOM-CHAR: any CHAR except "(" ")" "{" SP CTL "%" "*" '"' "\" "]" (RFC 3501 section 9).
_ATOM = re.compile(r"[!#$&'+,\-./0-9:;<=>?@A-Z\[^_`a-z|}~]+")


class Literal(bytes):
    """Bytes to be sent as an IMAP literal, never on the command line itself."""


def check_text(value: object, argument: str, *, max_bytes: int | None = MAX_TOKEN_BYTES) -> str:
    """``value`` if it may be sent at all; raises BAD_INPUT naming ``argument`` otherwise."""
    if not isinstance(value, str):
        raise bad_input(argument, f"{argument} must be text.")
    for char, name in _FORBIDDEN.items():
        if char in value:
            raise bad_input(argument, f"{argument} contains {name}, which cannot be sent to a mail server.")
    if max_bytes is not None and len(value.encode("utf-8", "surrogatepass")) > max_bytes:
        raise bad_input(argument, f"{argument} is too long: at most {max_bytes} bytes.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise bad_input(argument, f"{argument} contains characters that are not valid Unicode text.") from None
    return value


def imap_string(value: object, argument: str) -> bytes:
    """A quoted string or a Literal for ``value`` (RFC 3501 ``astring``/``string``)."""
    text = check_text(value, argument)
    if text.isascii() and not _CONTROL.search(text):
        return b'"' + text.replace("\\", "\\\\").replace('"', '\\"').encode("ascii") + b'"'
    return Literal(text.encode("utf-8"))


def imap_folder(value: object, argument: str = "folder") -> bytes:
    """A folder name as a quoted string in modified UTF-7, the encoding folder names use on the wire."""
    from imapclient.imap_utf7 import encode

    text = check_text(value, argument)
    if not text:
        raise bad_input(argument, f"{argument} is empty: name a folder (mail_list_folders shows them).")
    encoded = encode(text)  # 7-bit: anything else becomes "&...-"
    return b'"' + encoded.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def imap_flag(value: object, argument: str = "flags") -> bytes:
    """A flag as an atom: ``\\Seen`` or a keyword such as ``$Forwarded``."""
    text = check_text(value, argument, max_bytes=256)
    if not _ATOM.fullmatch(text.removeprefix("\\")):
        raise bad_input(argument, f"{argument}: {text[:40]!r} is not a valid IMAP flag.")
    return text.encode("ascii")


def check_day(value: date | datetime, argument: str) -> date | datetime:
    """A date a mail server can take: from 1900 to 2200."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise bad_input(argument, f"{argument} must be between {EARLIEST_YEAR} and {LATEST_YEAR}; {value.year} is not.")
    return value


def search_date(value: date) -> bytes:
    """A SEARCH date: 05-Mar-2026 (RFC 3501 ``date``), with English month names whatever the locale."""
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{value.day:02d}-{months[value.month - 1]}-{value.year:04d}".encode("ascii")


def bad_input(argument: str, message: str) -> ConnectorError:
    return ConnectorError(ErrorKind.BAD_INPUT, message, hint=f"Change {argument} and try again.", field=argument)
