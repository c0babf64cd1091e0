"""Counting things in sentences ('1 event', '2 events', never '1 events' or 'workflow(s)'), and how long ago."""

from __future__ import annotations

from datetime import UTC, datetime

IRREGULAR = {"entry": "entries", "mailbox": "mailboxes", "address": "addresses"}


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``count(1, "event")`` is "1 event"; ``count(3, "event")`` is "3 events"."""
    if number == 1:
        return f"{number} {noun}"
    return f"{number} {plural or IRREGULAR.get(noun) or noun + 's'}"


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """ "3 min ago" style, the one wording every front end and connector uses; "never" for None."""
    if moment is None:
        return "never"
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 45:  # also a clock a little behind the server's
        return "just now"
    if seconds < 3600:
        return f"{max(1, (seconds + 30) // 60)} min ago"  # to the nearest minute, halves up
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def duration(seconds: float, *, long: bool = False) -> str:
    """A wait as people say it: "5 s", "1 min", "90 s", "5 min" (``long``: "5 seconds", "1 minute")."""
    seconds = max(0, round(seconds))
    if seconds < 60 or seconds % 60 and seconds < 300:
        return count(seconds, "second") if long else f"{seconds} s"
    minutes = round(seconds / 60)
    return count(minutes, "minute") if long else f"{minutes} min"
