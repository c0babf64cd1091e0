"""`tether mcp` scoped to a workflow, against the loopback iCal feed server and Radicale: tools, scope, events, refusals."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from app.core.toggle import set_disabled
from storage.records import Access, LinkSpec, Role
from tests.mcp.harness import DataDir, McpClient, assert_no_secret, result_text, start_client
from tests.servers.feeds import SECRET_TOKEN, FeedServer, start_feed_server
from tests.servers.radicale import (
    PASSWORD,
    USER,
    RadicaleServer,
    event_ics,
    make_calendar,
    radicale_available,
    save_event,
    start_radicale,
)
from tests.support import require_server

if TYPE_CHECKING:
    from tests.servers.tls import TestCA

TIMEOUT = 2.0


def utc_today() -> date:
    """The day the feed server and the seeded events are built around (they use UTC)."""
    return datetime.now(UTC).date()


@pytest.fixture(scope="module")
def feeds(test_ca: TestCA) -> Iterator[FeedServer]:
    server = start_feed_server(test_ca.issue("feeds"), ca_file=test_ca.ca_file)
    yield server
    server.close()


@pytest.fixture(scope="module")
def radicale(test_ca: TestCA) -> Iterator[tuple[RadicaleServer, str]]:
    """Radicale with a Work calendar: a weekly series of four from tomorrow, and a one-off event."""
    require_server(radicale_available(), "Radicale", "pip install radicale")
    server = start_radicale(test_ca.issue("radicale-mcp"), test_ca.ca_file)
    work = make_calendar(server, "work", "Work", "#3366FF")
    tomorrow = datetime.combine(utc_today() + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=8)
    save_event(
        server, work, event_ics("sync@tests", "Weekly sync", tomorrow, 30, extra="RRULE:FREQ=WEEKLY;COUNT=4\r\n")
    )
    save_event(
        server,
        work,
        event_ics("review@tests", "Design review", tomorrow + timedelta(days=2), extra="LOCATION:Room 2\r\n"),
    )
    yield server, work
    server.stop()


@pytest.fixture(scope="module")
def data(feeds: FeedServer, radicale: tuple[RadicaleServer, str], test_ca: TestCA) -> Iterator[DataDir]:
    data = DataDir()
    settings = {"ca_file": str(test_ca.ca_file)}
    dav_server, work_url = radicale
    dav = data.add(
        "caldav",
        "Work calendar",
        {"url": dav_server.url, "username": USER, "calendars": [work_url], **settings},
        {"password": PASSWORD},
    )
    bad_dav = data.add(
        "caldav",
        "Wrong calendar password",
        {"url": dav_server.url, "username": USER, "calendars": [work_url], **settings},
        {"password": "not-the-Calendar-pass"},
    )
    private = feeds.url(f"/private/{SECRET_TOKEN}/team.ics")
    team = data.add("ical", "Team", settings, {"url": private})
    hung = data.add("ical", "Hung feed", settings, {"url": feeds.url("/hang.ics")})
    off = data.add("ical", "Old feed", settings, {"url": feeds.url("/team.ics")})
    missing = data.add("ical", "Gone feed", settings, {"url": feeds.url("/missing.ics")})
    data.add("ical", "Elsewhere", settings, {"url": feeds.url("/team.ics")})
    set_disabled(data.storage, off, True)
    data.storage.workflows.add(
        "Morning digest",
        links=[LinkSpec(item, Role.SOURCE, Access.READ) for item in (team, hung, off, dav, missing, bad_dav)],
    )
    yield data
    data.close()


@pytest.fixture(scope="module")
def client(data: DataDir) -> Iterator[McpClient]:
    client = start_client(data, "--workflow", "morning digest", "--timeout", str(TIMEOUT))
    yield client
    client.close()


def test_lists_every_tool_with_schemas(client: McpClient) -> None:
    tools = client.tools()
    assert set(tools) == {
        "list_integrations",
        "mail_list_folders",
        "mail_search",
        "mail_fetch",
        "mail_append",
        "mail_set_flags",
        "mail_move",
        "calendar_events",
    }
    events = tools["calendar_events"]
    assert events.input_schema["required"] == ["label", "start_date", "end_date"]
    assert events.output_schema["properties"]["events"]["items"]["required"] == [
        "start_dt",
        "end_dt",
        "title",
        "all_day",
        "location",
        "calendar",
    ]
    assert tools["mail_append"].annotations.read_only_hint is False
    assert tools["mail_search"].annotations.read_only_hint is True


def test_list_integrations_shows_only_the_workflow(client: McpClient, data: DataDir) -> None:
    result = client.ok("list_integrations")
    assert result["workflow"] == "Morning digest"
    by_label = {item["label"]: item for item in result["integrations"]}
    assert set(by_label) == {
        "Team",
        "Hung feed",
        "Old feed",
        "Work calendar",
        "Gone feed",
        "Wrong calendar password",
    }  # not "Elsewhere"
    assert by_label["Work calendar"]["type"] == "caldav"
    assert by_label["Team"]["type"] == "ical"
    assert by_label["Team"]["capabilities"] == ["read"]
    assert by_label["Team"]["tools"] == ["calendar_events"]
    assert by_label["Old feed"]["status"] == "disabled"
    assert_no_secret(data, str(result))
    assert SECRET_TOKEN not in str(result)


def test_reads_events_with_the_weekly_series_expanded(client: McpClient, data: DataDir) -> None:
    today = utc_today()
    result = client.ok(
        "calendar_events",
        {
            "label": "team",  # labels match regardless of case
            "start_date": today.isoformat(),
            "end_date": (today + timedelta(days=20)).isoformat(),
            "timezone": "Europe/Berlin",
        },
    )
    assert result["label"] == "Team" and result["timezone"] == "Europe/Berlin"
    standups = [event for event in result["events"] if event["title"] == "Standup"]
    assert len(standups) == 3
    assert all("T09:00:00+0" in event["start_dt"] and "T09:15:00" in event["end_dt"] for event in standups)
    assert all(event["calendar"] == "Team" and not event["all_day"] for event in standups)
    offsite = next(event for event in result["events"] if event["title"] == "Offsite")
    assert offsite == {
        "start_dt": (today + timedelta(days=3)).isoformat(),
        "end_dt": (today + timedelta(days=4)).isoformat(),
        "title": "Offsite",
        "all_day": True,
        "location": "",
        "calendar": "Team",
    }
    planning = next(event for event in result["events"] if event["title"] == "Planning")
    assert planning["location"] == "Room 4"
    starts = [event["start_dt"][:10] for event in result["events"]]
    assert starts == sorted(starts)
    assert "Old retro" not in {event["title"] for event in result["events"]}
    assert_no_secret(data, str(result))


def test_reads_a_caldav_calendar_across_a_recurring_series(client: McpClient, data: DataDir) -> None:
    today = utc_today()
    result = client.ok(
        "calendar_events",
        {
            "label": "Work calendar",
            "start_date": today.isoformat(),
            "end_date": (today + timedelta(days=30)).isoformat(),
            "timezone": "UTC",
        },
    )
    syncs = [event for event in result["events"] if event["title"] == "Weekly sync"]
    assert [event["start_dt"] for event in syncs] == [
        f"{today + timedelta(days=1 + 7 * week)}T08:00:00+00:00" for week in range(4)
    ]
    assert all(event["end_dt"].endswith("T08:30:00+00:00") and event["calendar"] == "Work" for event in syncs)
    review = next(event for event in result["events"] if event["title"] == "Design review")
    assert review["location"] == "Room 2" and review["all_day"] is False
    # A window that cuts the series in the middle gets only the occurrences inside it.
    middle = client.ok(
        "calendar_events",
        {
            "label": "Work calendar",
            "start_date": (today + timedelta(days=8)).isoformat(),
            "end_date": (today + timedelta(days=15)).isoformat(),
            "timezone": "UTC",
        },
    )
    assert [event["start_dt"][:10] for event in middle["events"] if event["title"] == "Weekly sync"] == [
        str(today + timedelta(days=8)),
        str(today + timedelta(days=15)),
    ]
    assert_no_secret(data, str(result), str(middle))


def test_wrong_caldav_password_is_an_auth_error_without_it(client: McpClient, data: DataDir) -> None:
    error = client.error(
        "calendar_events", {"label": "Wrong calendar password", "start_date": "2026-01-01", "end_date": "2026-01-02"}
    )
    assert error["reason"] == "auth"
    assert "tether edit 'Wrong calendar password' --secret-stdin password" in error["action"]
    assert_no_secret(data, error["text"])


def test_a_disabled_calendar_is_refused_and_the_others_keep_working(client: McpClient, data: DataDir) -> None:
    work = data.storage.integrations.find("Work calendar")
    window = {"start_date": utc_today().isoformat(), "end_date": utc_today().isoformat()}
    set_disabled(data.storage, work.id, True)
    try:
        assert client.error("calendar_events", {"label": "Work calendar", **window})["reason"] == "disabled"
        assert client.ok("calendar_events", {"label": "Team", **window})["label"] == "Team"
    finally:
        set_disabled(data.storage, work.id, False)
    assert client.ok("calendar_events", {"label": "Work calendar", **window})["label"] == "Work calendar"


def test_wrong_label_is_a_clear_error(client: McpClient) -> None:
    error = client.error("calendar_events", {"label": "Nope", "start_date": "2026-01-01", "end_date": "2026-01-02"})
    assert error["reason"] == "unknown_integration"
    assert "Nope" in error["message"] and "list_integrations" in error["action"]


def test_integration_outside_the_workflow_is_refused_like_a_missing_one(client: McpClient) -> None:
    error = client.error(
        "calendar_events", {"label": "Elsewhere", "start_date": "2026-01-01", "end_date": "2026-01-02"}
    )
    assert error["reason"] == "unknown_integration"
    assert error["message"] == "There is no integration named 'Elsewhere' in workflow 'Morning digest'."


def test_disabled_integration_is_refused_without_connecting(client: McpClient, feeds: FeedServer) -> None:
    before = feeds.hits["/team.ics"]
    error = client.error("calendar_events", {"label": "Old feed", "start_date": "2026-01-01", "end_date": "2026-01-02"})
    assert error["reason"] == "disabled"
    assert "tether enable 'Old feed'" in error["action"]
    assert feeds.hits["/team.ics"] == before


def test_calls_count_in_metrics_and_open_the_circuit_breaker(
    client: McpClient, data: DataDir, feeds: FeedServer
) -> None:
    gone = data.storage.integrations.find("Gone feed")
    window = {"label": "Gone feed", "start_date": "2026-01-01", "end_date": "2026-01-02"}
    reasons = [client.error("calendar_events", window)["reason"] for _ in range(3)]
    assert reasons == ["not_found"] * 3
    health = data.storage.metrics.health(gone.id)
    assert (health.requests, health.errors, health.last_error_kind) == (3, 3, "not_found")
    assert health.breaker.state == "open"
    hits = feeds.hits["/missing.ics"]
    refused = client.error("calendar_events", window)
    assert refused["reason"] == "circuit_open"
    assert "tether check 'Gone feed'" in refused["action"]
    assert feeds.hits["/missing.ics"] == hits  # refused without asking the server
    ok = client.ok("calendar_events", {"label": "Team", "start_date": "2026-01-01", "end_date": "2026-01-02"})
    assert ok["label"] == "Team"  # the others are not affected
    assert data.storage.metrics.health(data.storage.integrations.find("Team").id).requests >= 1


def test_mail_tool_on_a_calendar_is_unsupported(client: McpClient) -> None:
    error = client.error("mail_search", {"label": "Team"})
    assert error["reason"] == "unsupported"


def test_write_outside_the_workflow_scope_is_refused(client: McpClient) -> None:
    # Write tools check the scope before anything else about the integration's type.
    error = client.error("mail_append", {"label": "Elsewhere", "subject": "x", "body": "y"})
    assert error["reason"] == "unknown_integration"


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [
        ({"label": "Team", "start_date": "23.11.2026", "end_date": "2026-11-30"}, "start_date"),
        ({"label": "Team", "start_date": "2026-11-30", "end_date": "2026-11-01"}, "before"),
        ({"label": "Team", "start_date": "2026-01-01", "end_date": "2027-06-01"}, "at most"),
        ({"label": "Team", "start_date": "2026-01-01"}, "end_date"),
        ({"label": "Team", "start_date": "2026-01-01", "end_date": "2026-01-02", "timezone": "Mars/Base"}, "Mars/Base"),
        ({"label": "Team", "start_date": "2026-01-01", "end_date": "2026-01-02", "extra": 1}, "extra"),
    ],
)
def test_bad_input_names_the_problem(client: McpClient, arguments: dict, needle: str) -> None:
    error = client.error("calendar_events", arguments)
    assert error["reason"] == "bad_input"
    assert needle in error["message"]


def test_hung_server_is_bounded_by_the_timeout(client: McpClient, data: DataDir) -> None:
    started = time.monotonic()
    error = client.error(
        "calendar_events", {"label": "Hung feed", "start_date": "2026-01-01", "end_date": "2026-01-02"}
    )
    elapsed = time.monotonic() - started
    assert error["reason"] == "timeout"
    assert "tether check 'Hung feed'" in error["action"]
    assert elapsed < TIMEOUT + 3
    assert_no_secret(data, error["text"])


def test_unknown_tool_is_an_error(client: McpClient) -> None:
    result = client.call("mail_send", {})
    assert result.is_error
    assert "Traceback" not in result_text(result)


def test_nothing_secret_reached_the_server_log(client: McpClient, data: DataDir) -> None:
    # A refused password, in this test: with -n 2 the module's other calls may run in another process.
    window = {"label": "Wrong calendar password", "start_date": "2026-01-01", "end_date": "2026-01-02"}
    assert client.error("calendar_events", window)["reason"] == "auth"
    assert "[Wrong calendar password] call failed (auth)" in data.log_text  # the health guard logged the call
    assert_no_secret(data, client.stderr, data.log_text)
    assert SECRET_TOKEN not in client.stderr + data.log_text


def test_an_endless_series_is_cut_with_a_note_and_an_unchanged_feed_is_reused(
    feeds: FeedServer, test_ca: TestCA
) -> None:
    """The server keeps the parsed feed for its lifetime: the second call costs a 304, not a parse."""
    ticks = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//ticks//EN\r\nX-WR-CALNAME:Ticks\r\nBEGIN:VEVENT\r\n"
        b"UID:tick@tests\r\nDTSTAMP:20200101T000000Z\r\nDTSTART:20200101T000000Z\r\nDURATION:PT1S\r\n"
        b"RRULE:FREQ=SECONDLY\r\nSUMMARY:Tick\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    url = feeds.publish("/ticks.ics", ticks)
    data = DataDir()
    ticker = data.add("ical", "Ticker", {"ca_file": str(test_ca.ca_file)}, {"url": url})
    data.storage.workflows.add("Ticks", links=[LinkSpec(ticker, Role.SOURCE, Access.READ)])
    client = start_client(data, "--workflow", "ticks", "--timeout", "10", name="ticks")
    try:
        window = {"label": "Ticker", "start_date": utc_today().isoformat(), "end_date": utc_today().isoformat()}
        started = time.monotonic()
        first = client.ok("calendar_events", window)
        assert time.monotonic() - started < 5
        assert len(first["events"]) == 1000
        assert first["notes"] == ["Series 'Tick' cut after 1,000 occurrences."]
        again = client.ok("calendar_events", window)
        assert again == first
        answers = [status for path, status in feeds.statuses if path == "/ticks.ics"]
        assert answers == [200, 304]
    finally:
        client.close()
        data.close()
