"""Reading events from a feed: recurrence, time zones, exceptions, broken events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.calendar_events import CalendarEvent, describe_when
from connectors.ical.check import check_feed, read_events
from connectors.types import CheckRequest
from tests.connectors.calendar_fixtures import feed_server  # noqa: F401 - fixture
from tests.servers.feeds import FeedServer

pytestmark = pytest.mark.realserver

BERLIN = ZoneInfo("Europe/Berlin")

WEEKLY_OVER_DST = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//tests//dst//EN\r
X-WR-CALNAME:Berlin office\r
BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
TZNAME:CEST\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
TZNAME:CET\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:weekly@tests\r
DTSTAMP:20270101T000000Z\r
DTSTART;TZID=Europe/Berlin:20270315T090000\r
DTEND;TZID=Europe/Berlin:20270315T093000\r
RRULE:FREQ=WEEKLY;COUNT=6\r
EXDATE;TZID=Europe/Berlin:20270322T090000\r
SUMMARY:Weekly sync\r
LOCATION:Berlin\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:weekly@tests\r
DTSTAMP:20270101T000000Z\r
RECURRENCE-ID;TZID=Europe/Berlin:20270405T090000\r
DTSTART;TZID=Europe/Berlin:20270405T140000\r
DTEND;TZID=Europe/Berlin:20270405T150000\r
SUMMARY:Weekly sync (moved)\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:holiday@tests\r
DTSTAMP:20270101T000000Z\r
DTSTART;VALUE=DATE:20270329\r
DTEND;VALUE=DATE:20270331\r
SUMMARY:Easter break\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:broken@tests\r
DTSTAMP:20270101T000000Z\r
DTSTART:not-a-date\r
SUMMARY:Broken one\r
END:VEVENT\r
END:VCALENDAR\r
"""

MARCH = datetime(2027, 3, 1, tzinfo=UTC)
MAY = datetime(2027, 5, 1, tzinfo=UTC)


def read(server: FeedServer, start: datetime = MARCH, end: datetime = MAY) -> list[CalendarEvent]:
    url = server.publish("/berlin.ics", WEEKLY_OVER_DST)
    return read_events({"ca_file": str(server.ca_file)}, {"url": url}, start, end)


def weekly(events: list[CalendarEvent]) -> list[CalendarEvent]:
    return [event for event in events if event.uid == "weekly@tests"]


def test_weekly_event_keeps_its_wall_clock_across_the_dst_change(feed_server: FeedServer) -> None:
    series = weekly(read(feed_server))
    regular = [event for event in series if event.summary == "Weekly sync"]
    local_times = [event.start_dt.astimezone(BERLIN).strftime("%H:%M") for event in regular]
    utc_times = [event.start_dt.astimezone(UTC).strftime("%H:%M") for event in regular]
    assert local_times == ["09:00"] * len(regular)
    # The last Sunday of March 2027 is the 28th: before it 09:00 is 08:00 UTC, after it 07:00 UTC.
    before = [e for e in regular if e.start_dt < datetime(2027, 3, 28, tzinfo=UTC)]
    after = [e for e in regular if e.start_dt > datetime(2027, 3, 28, tzinfo=UTC)]
    assert {e.start_dt.astimezone(UTC).hour for e in before} == {8}
    assert {e.start_dt.astimezone(UTC).hour for e in after} == {7}
    assert utc_times[0] != utc_times[-1]
    assert all(event.end_dt - event.start_dt == timedelta(minutes=30) for event in regular)


def test_exdate_removes_and_override_moves_an_occurrence(feed_server: FeedServer) -> None:
    series = weekly(read(feed_server))
    days = [event.start_dt.astimezone(BERLIN).date() for event in series]
    # COUNT=6 from 15 March: 15, 22 (excluded), 29 March, 5 (moved), 12, 19 April.
    assert days == [date(2027, 3, 15), date(2027, 3, 29), date(2027, 4, 5), date(2027, 4, 12), date(2027, 4, 19)]
    moved = series[2]
    assert moved.summary == "Weekly sync (moved)"
    assert moved.start_dt.astimezone(BERLIN).strftime("%H:%M") == "14:00"
    assert moved.recurrence_id is not None and moved.recurrence_id.startswith("2027-04-05T09:00")
    assert all(event.calendar == "Berlin office" for event in series)
    assert series[0].location == "Berlin"


def test_all_day_event_spans_dates(feed_server: FeedServer) -> None:
    holiday = next(event for event in read(feed_server) if event.uid == "holiday@tests")
    assert holiday.all_day
    assert (holiday.start, holiday.end) == (date(2027, 3, 29), date(2027, 3, 31))
    assert describe_when(holiday) == "Mon 29 Mar–Tue 30 Mar (all day)"
    assert holiday.to_dict()["start"] == "2027-03-29"


def test_only_the_requested_window_is_returned(feed_server: FeedServer) -> None:
    events = read(feed_server, datetime(2027, 4, 10, tzinfo=UTC), datetime(2027, 4, 15, tzinfo=UTC))
    assert [(e.summary, e.start_dt.astimezone(BERLIN).day) for e in events] == [("Weekly sync", 12)]


def test_events_are_sorted_and_serialisable(feed_server: FeedServer) -> None:
    events = read(feed_server)
    assert [e.start_dt for e in events] == sorted(e.start_dt for e in events)
    for event in events:
        assert CalendarEvent.from_dict(event.to_dict()).start_dt == event.start_dt


def test_broken_event_is_skipped_with_a_warning(feed_server: FeedServer) -> None:
    url = feed_server.publish("/berlin.ics", WEEKLY_OVER_DST)
    result = check_feed(CheckRequest({"ca_file": str(feed_server.ca_file)}, {"url": url}))
    assert result.summary == "Berlin office: 3 events, 1 unreadable"
    assert result.warnings == ("Skipped event 'Broken one': its DTSTART cannot be read.",)
    assert not any(e.uid == "broken@tests" for e in read(feed_server))


def test_preview_times_are_in_the_local_zone(feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        start = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)  # 09:00 Berlin is 04:00 in New York
        event = next(e for e in read(feed_server) if e.start_dt == start)
        assert describe_when(event) == "Mon 15 Mar 04:00–04:30"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_zone_named_only_in_x_wr_timezone_is_applied(feed_server: FeedServer) -> None:
    google_style = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
        b"X-WR-CALNAME:Google\r\nX-WR-TIMEZONE:Europe/Berlin\r\n"
        b"BEGIN:VEVENT\r\nUID:floating@tests\r\nDTSTAMP:20270101T000000Z\r\n"
        b"DTSTART:20270401T090000\r\nDTEND:20270401T100000\r\nSUMMARY:Floating in Berlin\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    url = feed_server.publish("/google.ics", google_style)
    events = read_events({"ca_file": str(feed_server.ca_file)}, {"url": url}, MARCH, MAY)
    assert [e.start_dt.astimezone(UTC).hour for e in events] == [7]  # 09:00 CEST
