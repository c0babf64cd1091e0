"""Counting things in sentences: '1 event', '2 events', never '1 events' or 'workflow(s)'."""

from __future__ import annotations

IRREGULAR = {"entry": "entries", "mailbox": "mailboxes", "address": "addresses"}


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``count(1, "event")`` is "1 event"; ``count(3, "event")`` is "3 events"."""
    if number == 1:
        return f"{number} {noun}"
    return f"{number} {plural or IRREGULAR.get(noun) or noun + 's'}"
