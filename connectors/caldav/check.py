"""The CalDAV check and read interface.

``check_caldav`` is the type's checker: it discovers the account's calendars and
previews the chosen ones. ``read_events`` is what workflows call, with the same
shape as the iCal feed's: plain events between two moments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.caldav.client import CALDAV, Connection, account_from
from connectors.caldav.discovery import CalendarInfo, Discovery, discover
from connectors.calendar_events import CalendarEvent, describe_event, sort_events, upcoming
from connectors.errors import ConnectorError, ErrorKind
from connectors.http import redact_url
from connectors.ical.expand import expand, parse_calendar
from connectors.types import CheckRequest, CheckResult

PREVIEW_DAYS = 30


def check_caldav(request: CheckRequest) -> CheckResult:
    """Sign in, find the calendars, and for each chosen one count the next 30 days' events."""
    connection = Connection(account_from(request.settings, request.secrets), request.timeout)
    try:
        found = discover(connection)
        learned = {"calendar_home": found.home_url}
        chosen_values = _chosen(request.settings)
        if not chosen_values:
            return _nothing_chosen(found, learned)
        chosen = _resolve(chosen_values, found, request.settings)
        now = datetime.now(UTC)
        details: list[str] = []
        warnings: list[str] = []
        total = 0
        for calendar in chosen:
            events, skipped = _events(connection, calendar, now, now + timedelta(days=PREVIEW_DAYS))
            warnings += [f"{calendar.name}: {warning}" for warning in skipped]
            total += len(events)
            details.append(_calendar_line(calendar, events, now))
    finally:
        connection.close()
    noun = "calendar" if len(chosen) == 1 else "calendars"
    learned["calendar_names"] = {calendar.url: calendar.name for calendar in chosen}
    return CheckResult(
        summary=f"{len(chosen)} {noun}, {total} events in the next {PREVIEW_DAYS} days",
        details=tuple(details),
        warnings=tuple(warnings),
        learned_settings=learned,
    )


def read_events(
    settings: Mapping[str, Any], secrets: Mapping[str, str], start: datetime, end: datetime, *, timeout: float = 30.0
) -> list[CalendarEvent]:
    """Every occurrence in the chosen calendars overlapping [start, end), recurring events expanded."""
    chosen_values = _chosen(settings)
    if not chosen_values:
        raise ConnectorError(ErrorKind.CONFIG, "No calendars are chosen for this integration.", field="calendars")
    connection = Connection(account_from(settings, secrets), timeout)
    try:
        chosen = _resolve(chosen_values, discover(connection), settings)
        events: list[CalendarEvent] = []
        for calendar in chosen:
            events += _events(connection, calendar, start, end)[0]
    finally:
        connection.close()
    return sort_events(events)


def _chosen(settings: Mapping[str, Any]) -> list[str]:
    value = settings.get("calendars") or []
    if isinstance(value, str):
        value = value.split(",")
    return [str(item).strip() for item in value if str(item).strip()]


def _resolve(chosen: Sequence[str], found: Discovery, settings: Mapping[str, Any]) -> list[CalendarInfo]:
    """The chosen calendars as found now; one that disappeared is an error naming it."""
    names: Mapping[str, str] = settings.get("calendar_names") or {}
    resolved = []
    for value in chosen:
        match = next((calendar for calendar in found.calendars if calendar.matches(value)), None)
        if match is None:
            name = names.get(value) or value.rstrip("/").rsplit("/", 1)[-1]
            still_there = ", ".join(calendar.name for calendar in found.calendars) or "none"
            raise ConnectorError(
                ErrorKind.NOT_FOUND,
                f"The calendar {name!r} no longer exists on the server (it was deleted or renamed).",
                hint=f"Choose the calendars again; found now: {still_there}.",
                field="calendars",
            )
        resolved.append(match)
    return resolved


def _nothing_chosen(found: Discovery, learned: dict[str, Any]) -> CheckResult:
    count = len(found.calendars)
    if not count:
        return CheckResult(
            summary="Signed in; this account has no calendars",
            warnings=("No calendars were found in this account.",),
            learned_settings=learned,
        )
    lines = tuple(
        f"Found: {calendar.name}" + (" (read-only)" if calendar.read_only else "") for calendar in found.calendars
    )
    noun = "calendar" if count == 1 else "calendars"
    return CheckResult(
        summary=f"Signed in; found {count} {noun}, none chosen yet",
        details=lines,
        warnings=("Choose which calendars to use (Calendars field, or --set calendars=NAME,NAME).",),
        learned_settings=learned,
    )


def _calendar_line(calendar: CalendarInfo, events: list[CalendarEvent], now: datetime) -> str:
    marker = " (read-only)" if calendar.read_only else ""
    noun = "event" if len(events) == 1 else "events"
    head = f"{calendar.name}{marker}: {len(events)} {noun} in the next {PREVIEW_DAYS} days"
    following = upcoming(events, now, 1)
    return f"{head}; next: {describe_event(following[0])}" if following else head


def _events(
    connection: Connection, calendar: CalendarInfo, start: datetime, end: datetime
) -> tuple[list[CalendarEvent], list[str]]:
    """One calendar-query REPORT for the window; each object is expanded on our side."""
    answer = connection.report(calendar.url, _query(start, end))
    if answer.status == 404:
        raise ConnectorError(
            ErrorKind.NOT_FOUND,
            f"The calendar {calendar.name!r} no longer exists on the server.",
            hint="Choose the calendars again.",
            field="calendars",
        )
    if answer.status != 207:
        raise ConnectorError(
            ErrorKind.SERVER,
            f"{redact_url(calendar.url)} answered {answer.status} when asked for events.",
            field="calendars",
        )
    events: list[CalendarEvent] = []
    warnings: list[str] = []
    for _, props in answer.responses():
        data = props.get(f"{CALDAV}calendar-data")
        if data is None or not (data.text or "").strip():
            continue
        try:
            parsed = parse_calendar(data.text.encode())
        except ConnectorError:
            warnings.append("Skipped an event whose data cannot be read.")
            continue
        found, skipped = expand(parsed, calendar.name, start, end)
        events += found
        warnings += skipped
    return events, warnings


def _query(start: datetime, end: datetime) -> str:
    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        "<d:prop><d:getetag/><c:calendar-data/></d:prop>"
        '<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
        f'<c:time-range start="{stamp(start)}" end="{stamp(end)}"/>'
        "</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"
    )
