"""Read iCalendar data into plain events: parse, skip broken events, expand recurrences.

Used by the feed connector and by CalDAV (each CalDAV object is a small VCALENDAR).
icalendar and recurring-ical-events are imported inside the functions: both are
slow to import and stay off the start-up path.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from connectors.calendar_events import CalendarEvent, as_aware
from connectors.errors import ConnectorError, ErrorKind
from connectors.ical.budget import Budget
from connectors.ical.series import expand_series

# Properties whose damage makes an event unreadable; other broken properties are ignored.
_ESSENTIAL = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")


def parse_calendar(data: bytes | str, *, source: str = "The calendar data", field: str | None = None) -> Any:
    """Parse one VCALENDAR; malformed data is a BAD_DATA error a person can act on."""
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception:  # the library's own words quote the raw data: never shown
        raise malformed(source, field) from None
    if isinstance(calendar, list):  # several VCALENDARs in one body: use the first
        calendar = calendar[0]
    if calendar.name != "VCALENDAR":
        raise ConnectorError(ErrorKind.BAD_DATA, f"{source} is not an iCalendar VCALENDAR.", field=field)
    return calendar


def malformed(source: str, field: str | None) -> ConnectorError:
    return ConnectorError(
        ErrorKind.BAD_DATA,
        f"{source} is malformed and cannot be read.",
        hint="The server sent something that is not valid iCalendar data; check the link or ask its owner.",
        field=field,
    )


def calendar_name(calendar: Any) -> str:
    name = calendar.get("X-WR-CALNAME") or calendar.get("NAME") or ""
    return str(name).strip()


def count_events(calendar: Any) -> int:
    """Distinct events (a series with its overrides counts once)."""
    return len({str(event.get("UID") or id(event)) for event in calendar.walk("VEVENT")})


def expand(
    calendar: Any, label: str, start: datetime, end: datetime, budget: Budget | None = None
) -> tuple[list[CalendarEvent], list[str]]:
    """Occurrences between ``start`` and ``end``, and warnings for events that were skipped.

    The budget's caps and deadline bound the work; what they cut is noted in the budget.
    """
    budget = budget or Budget.seconds(30.0)
    calendar, zone_notes = _standard_time_zones(calendar)
    for note in zone_notes:
        budget.note(note)
    warnings = _drop_unreadable(calendar)
    series_uids = _series_uids(calendar)
    events: list[CalendarEvent] = []
    # Single events are checked against the window directly: on a feed of thousands of
    # events this is a hundred times cheaper than handing them to the expander.
    for position, component in enumerate(calendar.walk("VEVENT")):
        if position % 500 == 0:
            budget.check()
        if str(component.get("UID")) in series_uids:
            continue
        try:
            event = _to_event(component, label, series_uids)
        except Exception as exc:
            warnings.append(f"Skipped event {_title(component)}: {_reason(exc)}.")
            continue
        if _overlaps(event, start, end):
            if not budget.take(1):
                budget.note_call_cap()
                break
            events.append(event)
    if series_uids:
        occurrences, failed = expand_series(_only_series(calendar, series_uids), start, end, budget)
        warnings += failed
        for component in occurrences:
            try:
                events.append(_to_event(component, label, series_uids))
            except Exception as exc:
                warnings.append(f"Skipped event {_title(component)}: {_reason(exc)}.")
    return events, warnings


def _overlaps(event: CalendarEvent, start: datetime, end: datetime) -> bool:
    first, last = event.start_dt, event.end_dt
    if first == last:  # an instant belongs to the window it starts in
        return start <= first < end
    return first < end and last > start


def _standard_time_zones(calendar: Any) -> tuple[Any, list[str]]:
    """Feeds (Google's) that name their zone only in X-WR-TIMEZONE: make their times explicit."""
    if "X-WR-TIMEZONE" not in calendar:
        return calendar, []
    import x_wr_timezone

    try:
        return x_wr_timezone.to_standard(calendar), []
    except Exception:  # an unknown or misspelt zone name
        name = _short(str(calendar.get("X-WR-TIMEZONE")), 40)
        return calendar, [
            f"The calendar names an unknown time zone ({name!r}); times without a zone are read as local time."
        ]


def _only_series(calendar: Any, series_uids: set[str]) -> Any:
    import icalendar

    small = icalendar.Calendar()
    small.update(calendar)  # calendar-level properties
    for component in calendar.walk("VTIMEZONE"):
        small.add_component(component)
    for component in calendar.walk("VEVENT"):
        if str(component.get("UID")) in series_uids:
            small.add_component(component)
    return small


def _drop_unreadable(calendar: Any) -> list[str]:
    """Remove events whose times cannot be read; one warning per event removed."""
    warnings: list[str] = []
    for event in list(calendar.walk("VEVENT")):
        problem = _problem(event)
        if problem is None:
            continue
        warnings.append(f"Skipped event {_title(event)}: {problem}.")
        _remove(calendar, event)
    return warnings


def _problem(event: Any) -> str | None:
    broken = [name for name, _ in getattr(event, "errors", ()) if name in _ESSENTIAL]
    if broken:
        return f"its {broken[0]} cannot be read"
    if "DTSTART" not in event:
        return "it has no start time"
    try:
        event.DTSTART  # noqa: B018 - reading the value validates it
        event.end  # noqa: B018
    except Exception as exc:
        return _reason(exc)
    return None


def _remove(calendar: Any, event: Any) -> None:
    for component in calendar.walk():
        if event in component.subcomponents:
            component.subcomponents.remove(event)
            return


def _series_uids(calendar: Any) -> set[str]:
    """UIDs of recurring events; only their occurrences carry a recurrence id."""
    return {
        str(event.get("UID"))
        for event in calendar.walk("VEVENT")
        if any(name in event for name in ("RRULE", "RDATE", "RECURRENCE-ID"))
    }


def _to_event(component: Any, label: str, series_uids: set[str]) -> CalendarEvent:
    start = component.DTSTART
    end = component.end
    all_day = not isinstance(start, datetime)
    if all_day and isinstance(end, datetime):
        end = end.date()
    if all_day and end <= start:
        end = start + timedelta(days=1)
    if not all_day:
        start, end = as_aware(start), as_aware(end)  # floating times: the user's wall clock
    uid = str(component.get("UID") or "")
    recurrence = component.get("RECURRENCE-ID") if uid in series_uids else None
    return CalendarEvent(
        uid=uid,
        summary=str(component.get("SUMMARY") or "").strip(),
        start=start,
        end=end,
        all_day=all_day,
        location=str(component.get("LOCATION") or "").strip(),
        recurrence_id=_iso(recurrence.dt) if recurrence is not None else None,
        calendar=label,
    )


def _iso(moment: datetime | date) -> str:
    return moment.isoformat()


def _title(event: Any) -> str:
    summary = str(event.get("SUMMARY") or "").strip()
    return repr(_short(summary, 40)) if summary else "(no title)"


def _reason(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    return _short(text, 80)


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
