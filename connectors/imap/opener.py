"""The IMAP type's mailbox opener, in the shape every mail type declares (see IntegrationType.open_mailbox)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from connectors.imap.mailbox import Mailbox, open_mailbox as open_imap


@contextmanager
def open_mailbox(
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    timeout: float,
    save_secret: Callable[[str, str], None] | None = None,  # a password never rotates by itself
) -> Iterator[Mailbox]:
    with open_imap(settings, secrets, timeout=timeout) as mailbox:
        yield mailbox
