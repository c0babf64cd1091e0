"""Commands tether builds itself from tokens (connectors.imap.tokens): SEARCH, ESEARCH, STATUS.

imapclient's ``search`` sends search words that contain no space, quote or backslash as bare
atoms (``)`` and ``{5}`` included) and never refuses CR/LF, so SEARCH is put together here from
tokens and handed to imapclient's command sender, which writes 8-bit and marked literals as
literals. These are the only uses of imapclient internals (pinned in pyproject.toml).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from connectors.imap.tokens import Literal

_ESEARCH_COUNT = re.compile(rb"\bCOUNT (\d+)", re.IGNORECASE)


def _wire(tokens: Sequence[bytes]) -> list[bytes]:
    from imapclient.imapclient import _literal

    return [_literal(token) if isinstance(token, Literal) else token for token in tokens]


def uid_search(client: Any, criteria: Sequence[bytes], charset: bytes | None = None) -> list[int]:
    """UIDs matching ``criteria`` (tokens). Callers bound the answer's size (see connectors.imap.search)."""
    from imapclient.response_parser import parse_message_list

    args = [b"CHARSET", charset] if charset else []
    data = client._raw_command_untagged(b"SEARCH", args + _wire(criteria))
    return list(parse_message_list(data))


def uid_search_count(client: Any, criteria: Sequence[bytes], charset: bytes | None = None) -> int:
    """How many messages match, via ESEARCH (RFC 4731): one short line whatever the count."""
    args = [b"RETURN", b"(COUNT)"] + ([b"CHARSET", charset] if charset else [])
    data = client._raw_command_untagged(b"SEARCH", args + _wire(criteria), response_name=b"ESEARCH")
    for line in data:
        if isinstance(line, bytes) and (match := _ESEARCH_COUNT.search(line)):
            return int(match.group(1))
    return 0  # RFC 4731 lets a server leave COUNT out when nothing matches
