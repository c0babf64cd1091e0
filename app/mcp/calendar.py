"""calendar_events: the occurrences between two dates, the same for iCal feeds and CalDAV calendars."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from app.mcp.calls import ToolCall
from app.mcp.errors import Reason, ToolRefusal
from app.mcp.tool_spec import CALENDARS, LABEL_PROPERTY, ToolSpec, object_schema
from connectors.calendar_events import CalendarEvent
from storage.records import Integration

MAX_DAYS = 366  # one call covers at most a year, so a recurring series cannot explode the answer

EventReader = Callable[..., list[CalendarEvent]]


def calendar_events(call: ToolCall, arguments: dict[str, Any]) -> dict[str, Any]:
    integration = call.integration(arguments.get("label"), types=CALENDARS)
    first = _date(arguments, "start_date")
    last = _date(arguments, "end_date")
    if last < first:
        raise ToolRefusal(Reason.BAD_INPUT, "end_date is before start_date.", label=integration.label)
    if (last - first).days + 1 > MAX_DAYS:
        raise ToolRefusal(
            Reason.BAD_INPUT,
            f"Ask for at most {MAX_DAYS} days at a time.",
            action="Split the range into several calls.",
            label=integration.label,
        )
    zone = _zone(arguments.get("timezone"), integration.label)
    start = _midnight(first, zone)
    end = _midnight(last + timedelta(days=1), zone)
    reader = _reader(call, integration)

    def read(secrets: Mapping[str, str], timeout: float) -> list[CalendarEvent]:
        return reader(integration.settings, secrets, start, end, timeout=timeout)

    events = call.run(integration, read, what="reading events")
    return {
        "label": integration.label,
        "start_date": first.isoformat(),
        "end_date": last.isoformat(),
        "timezone": str(arguments.get("timezone") or f"local (UTC{start:%z})"),
        "events": [_event(event, start.tzinfo) for event in events],
        # What the reader left out: a series cut at its cap, events whose data cannot be read.
        "notes": [str(note) for note in getattr(events, "notes", [])],
    }


def _event(event: CalendarEvent, zone: tzinfo | None) -> dict[str, Any]:
    if event.all_day:
        start, end = _as_date(event.start).isoformat(), _as_date(event.end).isoformat()
    else:
        start, end = event.start_dt.astimezone(zone).isoformat(), event.end_dt.astimezone(zone).isoformat()
    return {
        "start_dt": start,
        "end_dt": end,
        "title": event.summary,
        "all_day": event.all_day,
        "location": event.location,
        "calendar": event.calendar,
    }


def _as_date(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _date(arguments: dict[str, Any], name: str) -> date:
    text = arguments.get(name)
    try:
        if not isinstance(text, str) or len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ToolRefusal(Reason.BAD_INPUT, f"{name} must be a date written YYYY-MM-DD, e.g. 2026-11-23.") from None


def _zone(name: object, label: str) -> tzinfo | None:
    """The named IANA zone, or None for the local zone of the machine running tether."""
    if name in (None, ""):
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ToolRefusal(
            Reason.BAD_INPUT, f"Unknown time zone {name!r}; use an IANA name such as Europe/Berlin.", label=label
        ) from None


def _midnight(day: date, zone: tzinfo | None) -> datetime:
    moment = datetime.combine(day, time.min)
    return moment.replace(tzinfo=zone) if zone is not None else moment.astimezone()


def _reader(call: ToolCall, integration: Integration) -> EventReader:
    """The type's own event reader (every calendar type declares one)."""
    label = integration.label
    try:
        return call.types.get(integration.type_key).load_event_reader()
    except (ImportError, AttributeError, LookupError):
        raise ToolRefusal(
            Reason.UNSUPPORTED,
            "Reading events from this calendar type is not available in this version of tether.",
            label=label,
        ) from None


_EVENT = object_schema(
    {
        "start_dt": {
            "type": "string",
            "description": "ISO-8601 with offset for timed events; YYYY-MM-DD for all-day events",
        },
        "end_dt": {
            "type": "string",
            "description": "Like start_dt; exclusive (an all-day event on the 5th ends on the 6th)",
        },
        "title": {"type": "string"},
        "all_day": {"type": "boolean"},
        "location": {"type": "string"},
        "calendar": {"type": "string", "description": "The calendar's name"},
    },
    required=("start_dt", "end_dt", "title", "all_day", "location", "calendar"),
)

CALENDAR_EVENTS = ToolSpec(
    name="calendar_events",
    title="Calendar events",
    description="Events of an iCal feed or CalDAV calendar that overlap the days from start_date to end_date "
    f"(both included; at most {MAX_DAYS} days), sorted by start. Recurring events appear once per "
    "occurrence (at most 1,000 per series and 10,000 per call; `notes` says when something was cut). "
    "Timed events are given in `timezone` (default: the local zone of the machine running tether).",
    input_schema=object_schema(
        {
            "label": LABEL_PROPERTY,
            "start_date": {"type": "string", "description": "First day, YYYY-MM-DD"},
            "end_date": {"type": "string", "description": "Last day (included), YYYY-MM-DD"},
            "timezone": {"type": "string", "description": "IANA time zone, e.g. Europe/Berlin"},
        },
        required=("label", "start_date", "end_date"),
    ),
    output_schema=object_schema(
        {
            "label": {"type": "string"},
            "start_date": {"type": "string"},
            "end_date": {"type": "string"},
            "timezone": {"type": "string"},
            "events": {"type": "array", "items": _EVENT},
            "notes": {
                "type": "array",
                "items": {"type": "string"},
                "description": "What was left out, e.g. a recurring series cut after 1,000 occurrences",
            },
        },
        required=("label", "start_date", "end_date", "events"),
    ),
    run=calendar_events,
    types=CALENDARS,
)

CALENDAR_TOOLS = [CALENDAR_EVENTS]
