"""The IMAP connection check: sign in, look at the folders and INBOX, say what was found."""

from __future__ import annotations

import time

from connectors.imap.auth import ImapAuth
from connectors.imap.mailbox import Folder, FolderStatus, Mailbox
from connectors.imap.session import ImapSession
from connectors.types import CheckRequest, CheckResult
from connectors.wording import ago

# Capabilities worth naming in the summary, in this order.
NOTABLE = ("IDLE", "MOVE", "UIDPLUS", "CONDSTORE", "SPECIAL-USE")
# What a workflow loses when the server lacks a capability.
MISSING_MEANS = {
    "MOVE": "moves fall back to copy+delete",
    "IDLE": "new mail is found by polling, not pushed",
    "UIDPLUS": "a saved draft cannot be found again by its UID at once",
}
_FOLDERS_SHOWN = 10


def check(request: CheckRequest, auth: ImapAuth | None = None) -> CheckResult:
    """Connect, TLS, sign in, list folders, read INBOX (read-only), log out. Raises ConnectorError.

    ``auth`` replaces the stored password, e.g. with an OAuth2 access token (Gmail)."""
    started = time.monotonic()
    session = ImapSession.from_settings(request.settings, request.secrets, timeout=request.timeout, auth=auth)
    with session:
        mailbox = Mailbox(session)
        folders = mailbox.folders()
        inbox = mailbox.status("INBOX")
    elapsed_ms = (time.monotonic() - started) * 1000
    supported = [cap for cap in NOTABLE if session.supports(cap)]
    summary = f"{_inbox_words(inbox)}; {_count(len(folders), 'folder')}"
    if supported:
        summary += f"; server supports {', '.join(supported)}"
    transport = f"{session.tls_version} ({session.server.tls_mode})" if session.tls_version else "no TLS (localhost)"
    details = (
        f"Signed in as {session.auth.username} with {session.login_method} over {transport}",
        f"Folders: {_folder_list(folders)}",
        f"Server: {session.greeting}",
        f"Checked in {elapsed_ms:.0f} ms",
    )
    warnings = tuple(
        f"No {cap}: {consequence}" for cap, consequence in MISSING_MEANS.items() if not session.supports(cap)
    )
    return CheckResult(summary=summary, details=details, warnings=warnings)


def _inbox_words(inbox: FolderStatus) -> str:
    words = f"INBOX {_count(inbox.messages, 'message')}, {_number(inbox.unseen)} unread"
    if inbox.newest is not None:
        words += f", newest {ago(inbox.newest)}"
    return words


def _folder_list(folders: list[Folder]) -> str:
    names = [folder.name for folder in folders]
    shown = ", ".join(names[:_FOLDERS_SHOWN])
    return shown + (f" and {len(names) - _FOLDERS_SHOWN} more" if len(names) > _FOLDERS_SHOWN else "")


def _number(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def _count(value: int, noun: str) -> str:
    return f"{_number(value)} {noun}{'' if value == 1 else 's'}"
