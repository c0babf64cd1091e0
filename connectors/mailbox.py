"""What a mail type's mailbox offers workflows and the MCP mail tools, whatever the protocol behind it.

A type opens one with ``IntegrationType.open_mailbox``; IMAP's ``connectors.imap.mailbox.Mailbox``
is the implementation every mail type uses today. Every method raises classified ConnectorErrors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol


class Mailbox(Protocol):
    def folders(self) -> list[Any]:
        """Folders with ``name``, ``flags`` and ``special_use``."""
        ...

    def search(self, folder: str, query: Any, *, offset: int = 0, limit: int = 20) -> Any:
        """A page of message summaries, newest first (``connectors.imap.mailbox.MessageQuery`` in)."""
        ...

    def fetch(self, folder: str, uid: int) -> bytes:
        """One whole message (RFC 5322 bytes), without marking it read."""
        ...

    def append(self, folder: str, message: bytes, *, flags: Iterable[str] = ()) -> int | None: ...

    def set_flags(
        self, folder: str, uids: Sequence[int], *, seen: bool | None = None, flagged: bool | None = None
    ) -> None: ...

    def move(self, folder: str, uids: Sequence[int], destination: str) -> None: ...
