"""Reading only what can touch a window gives exactly what a full parse gives.

The reference is icalendar's full parse plus recurring-ical-events on the whole
calendar; tether splits the text, parses a fraction and moves series forward. Feeds
come from a seeded generator with RRULE, RDATE, EXDATE, overrides moved across any
window, all-day, floating, TZID and DURATION events, long events and folded lines.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.ical.budget import Budget
from connectors.ical.expand import _overlaps, _series_uids, _to_event
from connectors.ical.window import ParsedFeed
from tests.servers.feed_generator import generate_feed

FIRST_DAY = date(2026, 1, 5)
WINDOWS = [  # (first day, days): DST changes in Europe, a year, a day, the feed's edges
    (date(2027, 3, 25), 7),
    (date(2027, 10, 28), 7),
    (date(2026, 10, 25), 1),
    (date(2026, 6, 1), 366),
    (date(2026, 1, 1), 3),
    (date(2027, 12, 20), 30),
]


@pytest.fixture(params=["UTC", "Europe/Berlin", "America/Los_Angeles"])
def local_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[ZoneInfo]:
    """Floating and all-day times are read in the local zone: try several."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield ZoneInfo(request.param)
    monkeypatch.undo()
    time.tzset()


def _reference(body: bytes | object, start: datetime, end: datetime) -> list[dict[str, object]]:
    """What the full parse gives; ``body`` may be a calendar already parsed."""
    import icalendar
    import recurring_ical_events

    calendar = icalendar.Calendar.from_ical(body) if isinstance(body, bytes) else body
    series = _series_uids(calendar)
    found = [
        _to_event(component, "Generated", series)
        for component in recurring_ical_events.of(calendar).between(start, end)
    ]
    return _comparable(event for event in found if _overlaps(event, start, end))


def _comparable(events: object) -> list[dict[str, object]]:
    return sorted((event.to_dict() for event in events), key=lambda item: sorted((k, str(v)) for k, v in item.items()))  # type: ignore[attr-defined]


def _window(first: date, days: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(first, datetime.min.time(), zone)
    return start, start + timedelta(days=days)


def _read(feed: ParsedFeed, start: datetime, end: datetime) -> list[dict[str, object]]:
    events, warnings = feed.events("Generated", start, end, Budget.seconds(60))
    assert warnings == []
    return _comparable(events)


@pytest.mark.parametrize("seed", range(6))
def test_windowed_read_equals_full_parse(seed: int, local_zone: ZoneInfo) -> None:
    import icalendar

    body = generate_feed(random.Random(seed), events=250, first_day=FIRST_DAY, days=730, recurring_share=0.25)
    feed = ParsedFeed(body)
    whole = icalendar.Calendar.from_ical(body)
    for first, days in WINDOWS:
        start, end = _window(first, days, local_zone)
        expected = _reference(whole, start, end)
        assert _read(feed, start, end) == expected, f"window {first} + {days} days"
        assert _read(feed, start, end) == expected  # again, from what the first read cached


def test_the_generated_feeds_contain_the_tricky_cases() -> None:
    """Guards the test above against a generator that stopped producing what it is about."""
    text = b"".join(
        generate_feed(random.Random(seed), events=250, first_day=FIRST_DAY, days=730, recurring_share=0.25)
        for seed in range(6)
    ).decode()
    for needle in ("RRULE:", "RDATE", "EXDATE", "RECURRENCE-ID", "VALUE=DATE", "DURATION:P", "TZID=", "\r\n "):
        assert needle in text, needle
    assert "DTSTART:2026" in text.replace("Z\r\n", "\r\n")  # floating times


def test_override_moved_into_the_window_from_a_series_outside_it() -> None:
    body = _calendar(
        "UID:moved@tests",
        "DTSTART:20200106T090000Z",
        "DTEND:20200106T100000Z",
        "RRULE:FREQ=WEEKLY;COUNT=3",
        "SUMMARY:Old series",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:moved@tests",
        "RECURRENCE-ID:20200113T090000Z",
        "DTSTART:20270301T090000Z",
        "DTEND:20270301T100000Z",
        "SUMMARY:Moved years ahead",
    )
    start, end = _window(date(2027, 3, 1), 1, ZoneInfo("UTC"))
    assert [event["title"] for event in _read(ParsedFeed(body), start, end)] == ["Moved years ahead"]
    assert _read(ParsedFeed(body), start, end) == _reference(body, start, end)


def test_long_event_starting_before_the_window_and_duration_events_are_kept() -> None:
    body = _calendar(
        "UID:conference@tests",
        "DTSTART;TZID=Europe/Berlin:20270220T090000",
        "DURATION:P14DT2H",
        "SUMMARY:Conference",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:holiday@tests",
        "DTSTART;VALUE=DATE:20270228",
        "DTEND;VALUE=DATE:20270302",
        "SUMMARY:Holiday",
    )
    start, end = _window(date(2027, 3, 1), 1, ZoneInfo("UTC"))
    assert {event["title"] for event in _read(ParsedFeed(body), start, end)} == {"Conference", "Holiday"}


def test_a_dense_series_moved_forward_keeps_every_occurrence() -> None:
    """Series starting years back are moved to just before the window: same occurrences."""
    rules = [
        "FREQ=HOURLY;INTERVAL=5",
        "FREQ=MINUTELY;INTERVAL=7;BYHOUR=9",
        "FREQ=DAILY;COUNT=3000",
        "FREQ=WEEKLY;BYDAY=MO,TH",
    ]
    for number, rule in enumerate(rules):
        body = _calendar(
            f"UID:dense-{number}@tests",
            "DTSTART;TZID=Europe/Berlin:20210301T083000",
            "DTEND;TZID=Europe/Berlin:20210301T090000",
            f"RRULE:{rule}",
            "SUMMARY:Dense",
        )
        start, end = _window(date(2027, 3, 26), 3, ZoneInfo("Europe/Berlin"))
        assert _read(ParsedFeed(body), start, end) == _reference(body, start, end), rule


def _calendar(*lines: str) -> bytes:
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//window//EN", "BEGIN:VEVENT", "DTSTAMP:20200101T000000Z"]
    return ("\r\n".join([*head, *lines, "END:VEVENT", "END:VCALENDAR", ""])).encode()
