"""The Outlook mailbox for workflows and the MCP mail tools: IMAP with XOAUTH2 at outlook.office365.com."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from connectors.oauth.imap import oauth_mailbox
from connectors.outlook.spec import MICROSOFT


def open_mailbox(
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    timeout: float,
    save_secret: Callable[[str, str], None] | None = None,
) -> AbstractContextManager[Any]:
    return oauth_mailbox(MICROSOFT, settings, secrets, timeout=timeout, save_secret=save_secret)
