"""Calendar events as plain data, shared by the iCal feed and CalDAV connectors.

Both calendar types read into the same dataclass, so a workflow (or the MCP
server) handles "events between two moments" without knowing where they live.
Times keep their own time zone; ``local_*`` helpers convert for display.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from connectors.outside_text import clean


@dataclass(frozen=True)
class CalendarEvent:
    """One occurrence of an event. Recurring events appear once per occurrence.

    ``start``/``end`` are aware datetimes for timed events and dates for all-day
    events (``end`` exclusive, as in iCalendar). ``recurrence_id`` is the
    occurrence's original start (ISO-8601) when it belongs to a series.
    """

    uid: str
    summary: str
    start: datetime | date
    end: datetime | date
    all_day: bool
    location: str = ""
    recurrence_id: str | None = None
    calendar: str = ""

    def __post_init__(self) -> None:
        # What a feed or server wrote, shown to people and assistants: cleaned once, for both calendar types.
        # (The uid is left as sent: it identifies the event to the server.)
        for name in ("summary", "location", "calendar"):
            object.__setattr__(self, name, clean(getattr(self, name)))

    @property
    def start_dt(self) -> datetime:
        """The start as an aware datetime (all-day events: local midnight)."""
        return as_aware(self.start)

    @property
    def end_dt(self) -> datetime:
        return as_aware(self.end)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CalendarEvent:
        """The inverse of ``to_dict``."""

        def moment(text: str) -> datetime | date:
            return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)

        return cls(
            uid=str(data.get("uid", "")),
            summary=str(data.get("title", "")),
            start=moment(str(data["start"])),
            end=moment(str(data["end"])),
            all_day=bool(data.get("all_day")),
            location=str(data.get("location", "")),
            recurrence_id=data.get("recurrence_id"),
            calendar=str(data.get("calendar", "")),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ISO-8601 times, dates for all-day events."""
        return {
            "uid": self.uid,
            "title": self.summary,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "all_day": self.all_day,
            "location": self.location,
            "recurrence_id": self.recurrence_id,
            "calendar": self.calendar,
        }


class Occurrences(list[CalendarEvent]):
    """What a calendar read returns: a plain list of occurrences that also carries ``notes``
    on what was left out (a series cut after its cap, events whose data cannot be read),
    so every front end reads events the same way and may show the notes."""

    def __init__(self, events: Iterable[CalendarEvent] = (), notes: Iterable[str] = ()) -> None:
        super().__init__(events)
        self.notes = list(notes)


def as_aware(moment: datetime | date, zone: tzinfo | None = None) -> datetime:
    """Dates become midnight and floating times are read in ``zone``, by default the
    local wall clock (with the local daylight-saving rules of that day)."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time.min)
    if moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=zone) if zone is not None else moment.astimezone()


def to_zone(moment: datetime, zone: tzinfo | None = None) -> datetime:
    """``moment`` in ``zone``, or in the local zone with the offset valid on that day."""
    return moment.astimezone(zone) if zone is not None else moment.astimezone()


def sort_events(events: Iterable[CalendarEvent]) -> list[CalendarEvent]:
    return sorted(events, key=lambda event: (event.start_dt, event.summary))


def upcoming(events: Iterable[CalendarEvent], now: datetime, count: int = 3) -> list[CalendarEvent]:
    """The next ``count`` events not yet over at ``now`` (an event in progress counts)."""
    return [event for event in sort_events(events) if event.end_dt > now][:count]


def describe_when(event: CalendarEvent, zone: tzinfo | None = None) -> str:
    """ "Mon 24 Nov 09:00–10:00" in the given (default: local) zone; "Mon 24 Nov (all day)"."""
    if event.all_day:
        first: date = event.start if not isinstance(event.start, datetime) else event.start.date()
        last = event.end if not isinstance(event.end, datetime) else event.end.date()
        days = (last - first).days
        if days > 1:
            return f"{first:%a %d %b}–{last - timedelta(days=1):%a %d %b} (all day)"
        return f"{first:%a %d %b} (all day)"
    start = to_zone(event.start_dt, zone)
    end = to_zone(event.end_dt, zone)
    if end.date() == start.date():
        return f"{start:%a %d %b %H:%M}–{end:%H:%M}"
    return f"{start:%a %d %b %H:%M} – {end:%a %d %b %H:%M}"


def describe_event(event: CalendarEvent, zone: tzinfo | None = None) -> str:
    where = f" @ {event.location}" if event.location else ""
    return f"{describe_when(event, zone)}  {event.summary or '(no title)'}{where}"
