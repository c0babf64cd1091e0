"""The CalDAV check: sign in, discover the account's calendars, preview the chosen ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.caldav.client import Connection, account_from
from connectors.caldav.discovery import CalendarInfo, Discovery, discover
from connectors.caldav.events import calendar_events, chosen_calendars, resolve_calendars
from connectors.ical.budget import Budget
from connectors.calendar_events import CalendarEvent, describe_event, upcoming
from connectors.types import CheckRequest, CheckResult
from connectors.wording import count

PREVIEW_DAYS = 30


def check_caldav(request: CheckRequest) -> CheckResult:
    """Sign in, find the calendars, and for each chosen one count the next 30 days' events."""
    account = account_from(request.settings, request.secrets)
    connection = Connection(account, request.timeout)
    try:
        found = discover(connection)
        learned: dict[str, Any] = {"calendar_home": found.home_url}
        chosen_values = chosen_calendars(request.settings)
        if not chosen_values:
            return _nothing_chosen(found, learned, _unencrypted(account.url))
        chosen = resolve_calendars(chosen_values, found, request.settings)
        now = datetime.now(UTC)
        details: list[str] = []
        warnings = _unencrypted(account.url)
        total = 0
        budget = Budget(connection.deadline, "Reading the calendars")
        for calendar in chosen:
            events, skipped = calendar_events(connection, calendar, now, now + timedelta(days=PREVIEW_DAYS), budget)
            warnings += [f"{calendar.name}: {warning}" for warning in skipped]
            total += len(events)
            details.append(_calendar_line(calendar, events, now))
        warnings += budget.notes
    finally:
        connection.close()
    learned["calendar_names"] = {calendar.url: calendar.name for calendar in chosen}
    return CheckResult(
        summary=f"{count(len(chosen), 'calendar')}, {count(total, 'event')} in the next {PREVIEW_DAYS} days",
        details=tuple(details),
        warnings=tuple(warnings),
        learned_settings=learned,
    )


def _unencrypted(url: str) -> list[str]:
    if url.lower().startswith("http://"):
        return ["The server uses http://: your password and calendars travel unencrypted."]
    return []


def _nothing_chosen(found: Discovery, learned: dict[str, Any], warnings: list[str]) -> CheckResult:
    count = len(found.calendars)
    if not count:
        return CheckResult(
            summary="Signed in; this account has no calendars",
            warnings=(*warnings, "No calendars were found in this account."),
            learned_settings=learned,
        )
    lines = tuple(
        f"Found: {calendar.name}" + (" (read-only)" if calendar.read_only else "") for calendar in found.calendars
    )
    noun = "calendar" if count == 1 else "calendars"
    return CheckResult(
        summary=f"Signed in; found {count} {noun}, none chosen yet",
        details=lines,
        warnings=(*warnings, "Choose which calendars to use (Calendars field, or --set calendars=NAME,NAME)."),
        learned_settings=learned,
    )


def _calendar_line(calendar: CalendarInfo, events: list[CalendarEvent], now: datetime) -> str:
    marker = " (read-only)" if calendar.read_only else ""
    head = f"{calendar.name}{marker}: {count(len(events), 'event')} in the next {PREVIEW_DAYS} days"
    following = upcoming(events, now, 1)
    return f"{head}; next: {describe_event(following[0])}" if following else head
