"""Access tokens live in memory only: a small process-wide cache, refreshed shortly before they expire.

Keyed by a hash of the client ID and the refresh token, so a rotated or replaced refresh token
never finds another sign-in's access token, and no token is kept as a dictionary key.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

from connectors.gmail.oauth import Provider, Tokens, refresh

# Refresh this long before the expiry the server announced, so a check never starts with a dying token.
EARLY_REFRESH = 120.0
_cache: dict[str, Tokens] = {}
# A rotated refresh token's successor: a second check that started with the old token (the TUI and a
# scheduled check at once) must use the new one, not spend the old one and be told to sign in again.
_successors: dict[str, str] = {}
# Refreshes are rare and short; one at a time keeps two checks from racing on one refresh token.
_lock = threading.Lock()


def _key(client_id: str, refresh_token: str) -> str:
    return hashlib.sha256(f"{client_id}\0{refresh_token}".encode()).hexdigest()


@dataclass(frozen=True)
class AccessToken:
    value: str
    # A refresh token that replaced the stored one (rotation); the caller must store it.
    rotated_refresh_token: str | None = None

    def __repr__(self) -> str:
        return f"AccessToken(rotated={self.rotated_refresh_token is not None})"


def remember(client_id: str, refresh_token: str, tokens: Tokens) -> None:
    with _lock:
        _cache[_key(client_id, refresh_token)] = tokens


def forget(client_id: str, refresh_token: str) -> None:
    with _lock:
        _cache.pop(_key(client_id, refresh_token), None)


def access_token(provider: Provider, refresh_token: str, *, force: bool = False) -> AccessToken:
    """A usable access token for this sign-in, refreshing it when missing or near expiry."""
    with _lock:
        rotated = None
        while (successor := _successors.get(_key(provider.client_id, refresh_token))) is not None:
            refresh_token = rotated = successor
        key = _key(provider.client_id, refresh_token)
        cached = _cache.get(key)
        if cached is not None and not force and cached.expires_at - EARLY_REFRESH > time.time():
            return AccessToken(cached.access_token, rotated)
        fresh = refresh(provider, refresh_token)
        _cache.pop(key, None)
        if fresh.refresh_token:
            _successors[key] = fresh.refresh_token
            _cache[_key(provider.client_id, fresh.refresh_token)] = fresh
            rotated = fresh.refresh_token
        else:
            _cache[key] = fresh
    return AccessToken(fresh.access_token, rotated)
