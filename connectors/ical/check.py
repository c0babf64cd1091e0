"""The iCal feed check and read interface.

``check_feed`` is the type's checker (a CheckRequest in, a CheckResult out);
``read_events`` is what workflows call: plain events between two moments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.calendar_events import CalendarEvent, Occurrences, describe_event, sort_events, upcoming
from connectors.ical import cache, feed
from connectors.ical.budget import Budget
from connectors.types import CheckRequest, CheckResult
from connectors.wording import count

PREVIEW_COUNT = 3
LOOKAHEAD = timedelta(days=366)
REMEMBERED_UPCOMING = 10  # enough to keep the preview right while the feed answers 304


def check_feed(request: CheckRequest) -> CheckResult:
    """Fetch the feed (conditionally), count its events and preview the next ones."""
    source = feed.source_from(request.settings, request.secrets)
    warnings = list(_source_warnings(source))
    # Validators only help when the last figures they stand for were kept too.
    previous = request.state if "count" in request.state else {}
    budget = Budget.seconds(request.timeout, f"Reading the feed at {source.shown}")
    fetched = feed.fetch(source, timeout=request.timeout, state=previous)
    warnings += fetched.warnings
    now = datetime.now(UTC)
    base_state = {"url_fingerprint": source.fingerprint, **fetched.validators}
    learned = {"url_display": source.shown}
    server_ms = fetched.elapsed * 1000
    if fetched.not_modified and previous:
        return dataclasses.replace(_unchanged(previous, base_state, learned, warnings, now), server_ms=server_ms)
    parsed = cache.remember(source, fetched.body, fetched.validators)
    name = parsed.name
    total = parsed.count_events()
    # From now: events in progress overlap it too, and a capped dense series is cut in the future.
    events, skipped = parsed.events(name, now, now + LOOKAHEAD, budget)
    warnings += skipped + budget.notes
    remembered = [event.to_dict() for event in upcoming(events, now, REMEMBERED_UPCOMING)]
    state = {
        **base_state,
        "name": name,
        "count": total,
        "upcoming": remembered,
        "skipped": skipped,
        "notes": budget.notes,
    }
    return CheckResult(
        summary=_summary(name, total, len(skipped)),
        details=_preview(upcoming(events, now, PREVIEW_COUNT)),
        warnings=tuple(warnings),
        learned_settings=learned,
        state=state,
        server_ms=server_ms,
    )


def read_events(
    settings: Mapping[str, Any], secrets: Mapping[str, str], start: datetime, end: datetime, *, timeout: float = 30.0
) -> Occurrences:
    """Every occurrence overlapping [start, end), recurring events expanded, sorted by start,
    with notes on what was left out (unreadable events, series cut at their cap).

    Fetching, parsing and expanding share one deadline; a feed read before in this
    process is reused when the server says it is unchanged (or sends the same body).
    """
    source = feed.source_from(settings, secrets)
    budget = Budget.seconds(timeout, f"Reading the feed at {source.shown}")
    parsed = cache.load(source, budget)
    events, skipped = parsed.events(parsed.name or source.shown, start, end, budget)
    return Occurrences(sort_events(events), skipped + budget.notes)


def _unchanged(
    previous: Mapping[str, Any], state: dict[str, Any], learned: dict[str, str], warnings: list[str], now: datetime
) -> CheckResult:
    """A 304: the feed is as it was, so the last figures still hold; only the clock moved on."""
    remembered = [CalendarEvent.from_dict(item) for item in previous.get("upcoming", [])]
    still_ahead = upcoming(remembered, now, PREVIEW_COUNT)
    skipped = list(previous.get("skipped", []))
    notes = list(previous.get("notes", []))
    name, total = str(previous.get("name", "")), int(previous.get("count", 0))
    keep = {key: previous[key] for key in ("name", "count", "upcoming", "skipped", "notes") if key in previous}
    return CheckResult(
        summary=_summary(name, total, len(skipped)) + " (unchanged)",
        details=_preview(still_ahead),
        warnings=tuple(warnings + skipped + notes),
        learned_settings=learned,
        state={**state, **keep},
    )


def _source_warnings(source: feed.FeedSource) -> list[str]:
    if not source.unencrypted:
        return []
    if source.username:
        return ["The feed uses http://: the link, the events and your password travel unencrypted."]
    return ["The feed uses http://: the link and the events travel unencrypted."]


def _summary(name: str, total: int, skipped: int) -> str:
    label = name or "Feed"
    broken = f", {skipped} unreadable" if skipped else ""
    return f"{label}: {count(total, 'event')}{broken}"


def _preview(events: list[CalendarEvent]) -> tuple[str, ...]:
    if not events:
        return ("No upcoming events in the next year.",)
    return tuple(f"Next: {describe_event(event)}" for event in events)
