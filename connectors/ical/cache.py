"""Feeds already read, kept for the life of the process (the MCP server's, the TUI's).

An entry is found by a hash of everything that decides what the feed is (URL,
credentials, CA file, size limit): editing the integration changes the key, so
the old entry is never used again and ages out. The entry keeps the server's
validators, so the next read is a conditional GET; a 304, or a 200 with the
same body, reuses the split and parsed feed.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from connectors.ical import feed
from connectors.ical.budget import Budget
from connectors.ical.window import ParsedFeed

MAX_CACHED_BYTES = 64 * 1024 * 1024  # of feed text; the parsed part of a window is much smaller


@dataclass(frozen=True)
class CachedFeed:
    url_fingerprint: str
    validators: dict[str, str]
    body_hash: str
    feed: ParsedFeed


class FeedCache:
    def __init__(self, max_bytes: int = MAX_CACHED_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, CachedFeed] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> CachedFeed | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: CachedFeed) -> None:
        """Keep ``entry``; an entry for the same URL under other settings (an edited integration) goes."""
        with self._lock:
            for other in [k for k, v in self._entries.items() if v.url_fingerprint == entry.url_fingerprint]:
                del self._entries[other]
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > 1 and sum(item.feed.size for item in self._entries.values()) > self.max_bytes:
                self._entries.popitem(last=False)

    def forget(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


FEEDS = FeedCache()


def key_for(source: feed.FeedSource) -> str:
    parts = (source.url, source.username, source.password, source.ca_file or "", str(source.max_bytes))
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def load(source: feed.FeedSource, budget: Budget, *, cache: FeedCache = FEEDS) -> ParsedFeed:
    """The feed as it is now: a conditional GET, then the cached feed or a freshly split one."""
    key = key_for(source)
    known = cache.get(key)
    state = {"url_fingerprint": source.fingerprint, **known.validators} if known else None
    fetched = feed.fetch(source, timeout=max(0.5, budget.remaining), state=state)
    if fetched.not_modified and known is not None:
        return known.feed
    return remember(source, fetched.body, fetched.validators, cache=cache)


def remember(
    source: feed.FeedSource, body: bytes, validators: dict[str, str], *, cache: FeedCache = FEEDS
) -> ParsedFeed:
    """The parsed feed for ``body``: the cached one when the body is unchanged."""
    key = key_for(source)
    body_hash = hashlib.sha256(body).hexdigest()
    known = cache.get(key)
    if known is not None and known.body_hash == body_hash:
        parsed = known.feed
    else:
        parsed = ParsedFeed(body, source=f"The feed at {source.shown}", field="url")
    cache.put(key, CachedFeed(source.fingerprint, dict(validators), body_hash, parsed))
    return parsed
