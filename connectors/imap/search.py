"""Find one page of matching messages, newest first, without ever asking for every UID at once.

A plain ``UID SEARCH`` answers with every matching UID on one line; a folder of 175,000 messages
makes a line of about 1.2 MB, which imaplib refuses (its limit is 1 MB). So:

- no filter: the count comes from SELECT (EXISTS) and the page is the last message numbers;
- filters: the count comes from ESEARCH ``RETURN (COUNT)`` where the server offers it (RFC 4731),
  the page from searches over windows of message numbers, newest window first, each answering
  at most ``WINDOW`` UIDs; a server without ESEARCH is counted window by window too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from connectors.imap.commands import uid_search, uid_search_count
from connectors.imap.session import ImapSession
from connectors.imap.tokens import Literal, imap_string, search_date

# Message numbers per windowed search: an answer line stays under ~50 kB.
WINDOW = 5000


@dataclass(frozen=True)
class Criteria:
    tokens: tuple[bytes, ...]  # empty: every message
    charset: bytes | None


def build_criteria(text: str = "", sender: str = "", since: date | None = None, unseen: bool = False) -> Criteria:
    """SEARCH keys from a query; every string goes through ``imap_string``."""
    tokens: list[bytes] = []
    if text:
        tokens += [b"TEXT", imap_string(text, "text")]
    if sender:
        tokens += [b"FROM", imap_string(sender, "from")]
    if since is not None:
        tokens += [b"SINCE", search_date(since)]
    if unseen:
        tokens.append(b"UNSEEN")
    needs_utf8 = any(isinstance(token, Literal) and not token.isascii() for token in tokens)
    return Criteria(tuple(tokens), b"UTF-8" if needs_utf8 else None)


def find_page(
    session: ImapSession, folder: str, criteria: Criteria, exists: int, *, offset: int, limit: int
) -> tuple[int, list[int]]:
    """(matches in the folder, UIDs of the page newest first). The folder must be selected."""
    if exists == 0:
        return 0, []
    if not criteria.tokens:
        top = exists - offset
        if top < 1 or limit <= 0:
            return exists, []
        window = f"{max(1, top - limit + 1)}:{top}".encode()
        uids = session.run(f"search {folder}", lambda client: uid_search(client, [window]))
        return exists, sorted(uids, reverse=True)
    total: int | None = None
    if session.supports("ESEARCH"):
        total = session.run(
            f"count matches in {folder}", lambda client: uid_search_count(client, criteria.tokens, criteria.charset)
        )
    wanted = offset + max(limit, 0)
    found: list[int] = []
    counted = 0
    for low, high in _windows(exists):
        if total is not None and (len(found) >= wanted or counted >= total):
            break
        uids = session.run(f"search {folder}", _window_search(low, high, criteria))
        counted += len(uids)
        if len(found) < wanted:
            found += sorted(uids, reverse=True)[: wanted - len(found)]
    return (counted if total is None else total), found[offset:wanted]


def _window_search(low: int, high: int, criteria: Criteria) -> Callable[[Any], list[int]]:
    tokens = [f"{low}:{high}".encode(), *criteria.tokens]
    return lambda client: uid_search(client, tokens, criteria.charset)


def _windows(exists: int) -> Sequence[tuple[int, int]]:
    """Message-number ranges from the newest down, WINDOW messages each."""
    return [(max(1, high - WINDOW + 1), high) for high in range(exists, 0, -WINDOW)]
