"""Reading events from the chosen CalDAV calendars, as plain data.

``read_events`` has the same shape as the iCal feed's, so workflows (and the MCP
server) read either type the same way.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from connectors.caldav.client import CALDAV, Connection, account_from
from connectors.caldav.discovery import CalendarInfo, Discovery, discover
from connectors.calendar_events import CalendarEvent, Occurrences, sort_events
from connectors.errors import ConnectorError, ErrorKind
from connectors.http import redact_url
from connectors.ical.budget import Budget
from connectors.ical.expand import expand, parse_calendar


def read_events(
    settings: Mapping[str, Any], secrets: Mapping[str, str], start: datetime, end: datetime, *, timeout: float = 30.0
) -> Occurrences:
    """Every occurrence in the chosen calendars overlapping [start, end), recurring events
    expanded, with notes on what was left out. Every request, the parsing and the expansion
    share one deadline, and the occurrence caps apply across all calendars."""
    chosen_values = chosen_calendars(settings)
    if not chosen_values:
        raise ConnectorError(ErrorKind.CONFIG, "No calendars are chosen for this integration.", field="calendars")
    connection = Connection(account_from(settings, secrets), timeout)
    budget = Budget(connection.deadline, "Reading the calendars")
    try:
        chosen = resolve_calendars(chosen_values, discover(connection), settings)
        events: list[CalendarEvent] = []
        notes: list[str] = []
        for calendar in chosen:
            found, skipped = calendar_events(connection, calendar, start, end, budget)
            events += found
            notes += [f"{calendar.name}: {warning}" for warning in skipped]
    finally:
        connection.close()
    return Occurrences(sort_events(events), notes + budget.notes)


def chosen_calendars(settings: Mapping[str, Any]) -> list[str]:
    value = settings.get("calendars") or []
    if isinstance(value, str):
        value = value.split(",")
    return [str(item).strip() for item in value if str(item).strip()]


def resolve_calendars(chosen: Sequence[str], found: Discovery, settings: Mapping[str, Any]) -> list[CalendarInfo]:
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


def calendar_events(
    connection: Connection, calendar: CalendarInfo, start: datetime, end: datetime, budget: Budget | None = None
) -> tuple[list[CalendarEvent], list[str]]:
    """One calendar-query REPORT for the window, each object expanded on our side; a calendar
    whose version (getctag or sync-token) is unchanged since the same window was read is not
    asked again."""
    budget = budget or Budget(connection.deadline, f"Reading {calendar.name!r}")
    key = _window_key(connection, calendar, start, end)
    with _WINDOWS_LOCK:
        remembered = _WINDOWS.get(key) if key else None
    if remembered is not None:
        known_events, known_warnings, known_notes = remembered
        budget.used += len(known_events)
        for note in known_notes:
            budget.note(note)
        return list(known_events), list(known_warnings)
    notes_before = len(budget.notes)
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
        budget.check()
        data = props.get(f"{CALDAV}calendar-data")
        text = (data.text or "") if data is not None else ""
        if not text.strip():
            continue
        try:
            parsed = parse_calendar(text.encode())
        except ConnectorError:
            warnings.append("Skipped an event whose data cannot be read.")
            continue
        found, skipped = expand(parsed, calendar.name, start, end, budget)
        events += found
        warnings += skipped
    if key:
        _remember(key, (events, warnings, budget.notes[notes_before:]))
    return list(events), list(warnings)


_WINDOWS: OrderedDict[tuple[str, ...], tuple[list[CalendarEvent], list[str], list[str]]] = OrderedDict()
_WINDOWS_KEPT = 64
_WINDOWS_LOCK = threading.Lock()


def _window_key(
    connection: Connection, calendar: CalendarInfo, start: datetime, end: datetime
) -> tuple[str, ...] | None:
    """Who asked (a hash of the account, so an edited integration never reuses it), which
    calendar in which version, which window. None when the server reports no version."""
    if not calendar.version:
        return None
    account = connection.account
    who = hashlib.sha256("\0".join((account.url, account.username, account.password)).encode()).hexdigest()
    return (who, calendar.url, calendar.version, start.isoformat(), end.isoformat())


def _remember(key: tuple[str, ...], value: tuple[list[CalendarEvent], list[str], list[str]]) -> None:
    with _WINDOWS_LOCK:
        _WINDOWS[key] = value
        while len(_WINDOWS) > _WINDOWS_KEPT:
            _WINDOWS.popitem(last=False)


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
