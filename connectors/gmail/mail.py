"""The Gmail mailbox for workflows and the MCP mail tools: IMAP with XOAUTH2 at imap.gmail.com."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from connectors.gmail.spec import GOOGLE
from connectors.oauth.imap import oauth_mailbox


def open_mailbox(
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    timeout: float,
    save_secret: Callable[[str, str], None] | None = None,
) -> AbstractContextManager[Any]:
    return oauth_mailbox(GOOGLE, settings, secrets, timeout=timeout, save_secret=save_secret)
