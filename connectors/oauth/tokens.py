"""Access tokens live in memory only: a small process-wide cache, refreshed shortly before they expire.

Keyed by a hash of the client ID and the refresh token, so a rotated or replaced refresh token
never finds another sign-in's access token, and no token is kept as a dictionary key.
"""

from __future__ import annotations

import hashlib
import threading
import time

from connectors.oauth.exchange import Tokens, refresh
from connectors.oauth.provider import OAuthClient

# Refresh this long before the expiry the server announced, so a call never starts with a dying token.
EARLY_REFRESH = 120.0
_cache: dict[str, Tokens] = {}
# A rotated refresh token's successor: a second call that started with the old token (the TUI and a
# scheduled check at once) must use the new one, not spend the old one and be told to sign in again.
_successors: dict[str, str] = {}
# Refreshes are rare and short; one at a time keeps two calls from racing on one refresh token.
_lock = threading.Lock()


def _key(client_id: str, refresh_token: str) -> str:
    return hashlib.sha256(f"{client_id}\0{refresh_token}".encode()).hexdigest()


def remember(client_id: str, refresh_token: str, tokens: Tokens) -> None:
    with _lock:
        _cache[_key(client_id, refresh_token)] = tokens


def forget(client_id: str, refresh_token: str) -> None:
    with _lock:
        _cache.pop(_key(client_id, refresh_token), None)


def current_tokens(client: OAuthClient, refresh_token: str, *, force: bool = False) -> tuple[Tokens, str | None]:
    """Usable tokens for this sign-in, refreshing when missing or near expiry.

    Returns the tokens and the refresh token that replaced ``refresh_token`` (rotation), if any:
    the caller must store that one before doing anything else, since the old one is void.
    """
    with _lock:
        rotated = None
        while (successor := _successors.get(_key(client.client_id, refresh_token))) is not None:
            refresh_token = rotated = successor
        key = _key(client.client_id, refresh_token)
        cached = _cache.get(key)
        if cached is not None and not force and cached.expires_at - EARLY_REFRESH > time.time():
            return cached, rotated
        fresh = refresh(client, refresh_token)
        _cache.pop(key, None)
        if fresh.refresh_token:
            _successors[key] = fresh.refresh_token
            _cache[_key(client.client_id, fresh.refresh_token)] = fresh
            rotated = fresh.refresh_token
        else:
            _cache[key] = fresh
    return fresh, rotated
