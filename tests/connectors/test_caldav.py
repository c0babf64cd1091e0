"""CalDAV discovery, checks and reading events against a real Radicale on loopback."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.caldav.check import check_caldav
from connectors.caldav.events import read_events
from connectors.caldav.discovery import calendar_options
from connectors.errors import ConnectorError, ErrorKind
from connectors.registry import get_type
from connectors.types import CheckRequest, CheckResult
from tests.connectors.calendar_fixtures import (  # noqa: F401 - fixtures
    feed_server,
    fresh_seeded_radicale,
    plain_radicale,
    radicale,
    seeded_radicale,
)
from tests.servers.feeds import FeedServer
from tests.servers.radicale import PASSWORD, USER, RadicaleServer, client, event_ics, make_calendar, save_event

pytestmark = pytest.mark.realserver

Seeded = tuple[RadicaleServer, dict[str, str]]


def request(
    server: RadicaleServer, url: str | None = None, password: str = PASSWORD, timeout: float = 5, **settings: Any
) -> CheckRequest:
    values = {
        "url": url if url is not None else server.url,
        "username": USER,
        "ca_file": str(server.ca_file),
        **settings,
    }
    return CheckRequest(values, {"password": password}, timeout=timeout)


def check(server: RadicaleServer, url: str | None = None, **settings: Any) -> CheckResult:
    return check_caldav(request(server, url, **settings))


def failure(server: RadicaleServer, url: str | None = None, **settings: Any) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        check(server, url, **settings)
    return caught.value


def test_spec_points_at_the_checker_and_the_calendar_picker() -> None:
    spec = get_type("caldav")
    assert spec.load_checker() is check_caldav
    assert spec.field("calendars").options_path == "connectors.caldav.discovery:calendar_options"


def test_options_list_calendars_with_name_colour_and_read_only(seeded_radicale: Seeded) -> None:
    server, urls = seeded_radicale
    options = calendar_options(request(server))
    assert [(o.label, o.value, o.note, o.color) for o in options] == [
        ("Holidays", urls["holidays"], "read-only", "#FF8800"),
        ("Work", urls["work"], "", "#3366FF"),
    ]


@pytest.mark.parametrize("typed", ["host", "root", "well-known", "home", "principal-path", "wrong-path"])
def test_discovery_from_whatever_was_typed(seeded_radicale: Seeded, typed: str) -> None:
    server, urls = seeded_radicale
    url = {
        "host": server.url.removeprefix("https://"),  # just host:port
        "root": server.url,
        "well-known": server.url + "/.well-known/caldav",
        "home": server.home_url,
        "principal-path": server.url + f"/{USER}",
        "wrong-path": server.url + "/someone-else/calendar/",  # 403 here, then .well-known finds it
    }[typed]
    assert [option.value for option in calendar_options(request(server, url))] == [urls["holidays"], urls["work"]]


def test_nothing_chosen_lists_what_was_found_and_says_to_choose(seeded_radicale: Seeded) -> None:
    server, _ = seeded_radicale
    result = check(server)
    assert result.summary == "Signed in; found 2 calendars, none chosen yet"
    assert result.details == ("Found: Holidays (read-only)", "Found: Work")
    assert "Choose which calendars" in result.warnings[0]
    assert result.learned_settings["calendar_home"] == server.home_url


def test_chosen_calendars_preview_the_next_30_days(seeded_radicale: Seeded) -> None:
    server, urls = seeded_radicale
    result = check(server, calendars=[urls["work"], urls["holidays"]])
    assert result.summary == "2 calendars, 3 events in the next 30 days"
    work, holidays = result.details
    assert work.startswith("Work: 2 events in the next 30 days; next: ") and "Design review @ Room 2" in work
    assert holidays.startswith("Holidays (read-only): 1 event in the next 30 days; next: ")
    assert "Feast day" in holidays
    assert result.learned_settings["calendar_names"] == {urls["work"]: "Work", urls["holidays"]: "Holidays"}


def test_calendars_may_be_chosen_by_name_or_path(seeded_radicale: Seeded) -> None:
    server, _ = seeded_radicale
    result = check(server, calendars=["work", "Holidays"])
    assert result.summary.startswith("2 calendars")


def test_wrong_password(seeded_radicale: Seeded) -> None:
    server, _ = seeded_radicale
    error = failure(server, password="not-the-password")
    assert error.kind is ErrorKind.AUTH and error.field == "password"
    assert "not-the-password" not in str(error)


def test_calendar_deleted_after_it_was_chosen_is_named(fresh_seeded_radicale: Seeded) -> None:
    server, urls = fresh_seeded_radicale
    team = make_calendar(server, "team", "Team", "#00AA00")
    first = check(server, calendars=[urls["work"], team])
    import caldav

    caldav.Calendar(client=client(server), url=team).delete()
    error = failure(server, calendars=[urls["work"], team], calendar_names=first.learned_settings["calendar_names"])
    assert error.kind is ErrorKind.NOT_FOUND and error.field == "calendars"
    assert "'Team' no longer exists" in error.message
    assert "Holidays" in error.hint and "Work" in error.hint


def test_events_created_with_a_caldav_client_are_read_back(fresh_seeded_radicale: Seeded) -> None:
    server, urls = fresh_seeded_radicale
    start = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)
    weekly = event_ics("weekly@tests", "Weekly", start, 30, extra="RRULE:FREQ=WEEKLY;COUNT=3\r\n")
    save_event(server, urls["work"], weekly)
    settings = {"url": server.url, "username": USER, "ca_file": str(server.ca_file), "calendars": ["Work"]}
    events = read_events(settings, {"password": PASSWORD}, start - timedelta(days=1), start + timedelta(days=30))
    assert [(e.summary, e.start_dt, e.calendar) for e in events] == [
        ("Weekly", start + timedelta(weeks=n), "Work") for n in range(3)
    ]
    assert all(e.recurrence_id for e in events) and not any(e.all_day for e in events)


def test_read_events_spans_chosen_calendars_in_order(seeded_radicale: Seeded) -> None:
    server, _ = seeded_radicale
    settings = {"url": server.url, "username": USER, "ca_file": str(server.ca_file), "calendars": ["Work", "Holidays"]}
    now = datetime.now(UTC)
    events = read_events(settings, {"password": PASSWORD}, now, now + timedelta(days=30))
    assert [(e.summary, e.calendar) for e in events] == [
        ("Design review", "Work"),
        ("Feast day", "Holidays"),
        ("Launch", "Work"),
    ]
    assert events[0].location == "Room 2"


def test_read_events_without_chosen_calendars_is_a_settings_problem(radicale: RadicaleServer) -> None:
    with pytest.raises(ConnectorError) as caught:
        read_events(
            {"url": radicale.url, "username": USER}, {"password": PASSWORD}, datetime.now(UTC), datetime.now(UTC)
        )
    assert caught.value.kind is ErrorKind.CONFIG and caught.value.field == "calendars"


def test_plain_http_works_with_an_unencrypted_warning(plain_radicale: RadicaleServer) -> None:
    settings = {"url": plain_radicale.url, "username": USER}
    result = check_caldav(CheckRequest(settings, {"password": PASSWORD}, timeout=5))
    assert result.summary == "Signed in; this account has no calendars"
    assert any("http://" in warning and "unencrypted" in warning for warning in result.warnings)


def test_untrusted_certificate(radicale: RadicaleServer) -> None:
    error = failure(radicale, ca_file="")
    assert error.kind is ErrorKind.TLS and error.field == "ca_file"


def test_unreachable_server(radicale: RadicaleServer) -> None:
    url = radicale.url
    radicale.stop()
    error = failure(radicale, url)
    assert error.kind is ErrorKind.UNREACHABLE


def test_web_server_that_is_not_caldav_asks_for_the_full_url(feed_server: FeedServer, radicale: RadicaleServer) -> None:
    error = failure(radicale, feed_server.base_url, ca_file=str(feed_server.ca_file))
    assert error.kind is ErrorKind.NOT_FOUND and error.field == "url"
    assert "No CalDAV service was found" in error.message and "https://" in error.hint
    # Tried in order: the URL given (the root here), .well-known, and nothing else.
    assert list(feed_server.hits) == ["/", "/.well-known/caldav"]


def test_server_that_hangs_times_out(feed_server: FeedServer, radicale: RadicaleServer) -> None:
    started = time.monotonic()
    error = failure(radicale, feed_server.url("/hang.ics"), ca_file=str(feed_server.ca_file), timeout=1)
    assert error.kind is ErrorKind.TIMEOUT and "did not answer in time" in error.message
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("typed", "ok"),
    [
        ("dav.example.com", True),
        ("dav.example.com:8443", True),
        ("127.0.0.1:5232/dav/", True),
        ("[::1]:443", True),
        ("https://dav.example.com/dav/", True),
        ("dav.example.com:http", False),
        ("dav example.com", False),
        ("ftp://dav.example.com", False),
    ],
)
def test_server_field_takes_a_url_or_a_host_with_port(typed: str, ok: bool) -> None:
    assert (get_type("caldav").field("url").validate(typed) is None) is ok
