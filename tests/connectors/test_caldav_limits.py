"""CalDAV answers are bounded (size, time, DOCTYPE), and unchanged calendars are not asked again."""

from __future__ import annotations

import resource
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.caldav import client as dav_client
from connectors.caldav.check import check_caldav
from connectors.caldav.events import read_events
from connectors.caldav.transport import has_doctype
from connectors.errors import ConnectorError, ErrorKind
from connectors.types import CheckRequest
from tests.connectors.calendar_fixtures import feed_server, fresh_seeded_radicale, radicale  # noqa: F401 - fixtures
from tests.servers.feeds import DOCTYPE_MULTISTATUS, FeedServer
from tests.servers.radicale import PASSWORD, USER, RadicaleServer, event_ics, save_event

pytestmark = pytest.mark.realserver

Seeded = tuple[RadicaleServer, dict[str, str]]


def fault(feed_server: FeedServer, path: str, timeout: float = 10, **settings: Any) -> ConnectorError:
    values = {"url": feed_server.url(path), "username": USER, "ca_file": str(feed_server.ca_file), **settings}
    with pytest.raises(ConnectorError) as caught:
        check_caldav(CheckRequest(values, {"password": PASSWORD}, timeout=timeout))
    return caught.value


def test_endless_answer_stops_at_the_size_limit(feed_server: FeedServer) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    error = fault(feed_server, "/dav-huge/")
    assert error.kind is ErrorKind.BAD_DATA and error.field == "max_size_mb"
    assert "larger than the 20 MB limit" in error.message
    assert time.monotonic() - started < 10
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 150  # 20 MB read, never the gigabytes on offer
    assert feed_server.body_bytes["/dav-huge/"] < 200 * 1024 * 1024


def test_size_limit_setting_is_used(feed_server: FeedServer) -> None:
    error = fault(feed_server, "/dav-huge/", max_size_mb="1")
    assert "larger than the 1 MB limit" in error.message


def test_doctype_and_entities_are_refused_with_their_own_message(feed_server: FeedServer) -> None:
    error = fault(feed_server, "/dav-doctype/")
    assert error.kind is ErrorKind.BAD_DATA
    assert "document type declaration" in error.message and "Unexpected" not in error.message


def test_doctype_is_found_in_utf16_too() -> None:
    assert has_doctype(DOCTYPE_MULTISTATUS)
    assert has_doctype(DOCTYPE_MULTISTATUS.decode().encode("utf-16"))
    assert not has_doctype(b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"/>')


def test_unchanged_calendar_is_not_asked_again(fresh_seeded_radicale: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    server, calendars = fresh_seeded_radicale
    reports: list[str] = []
    original = dav_client.Connection.report

    def counting(self: dav_client.Connection, url: str, body: str) -> Any:
        reports.append(url)
        return original(self, url, body)

    monkeypatch.setattr(dav_client.Connection, "report", counting)
    settings = {"url": server.url, "username": USER, "ca_file": str(server.ca_file), "calendars": ["Work"]}
    now = datetime.now(UTC).replace(microsecond=0)
    window = (now, now + timedelta(days=30))
    first = read_events(settings, {"password": PASSWORD}, *window)
    again = read_events(settings, {"password": PASSWORD}, *window)
    assert [event.summary for event in again] == [event.summary for event in first]
    assert [event.summary for event in first] == ["Design review", "Launch"]
    assert len(reports) == 1  # the second read saw the same getctag and asked for nothing

    save_event(server, calendars["work"], event_ics("new@tests", "Added since", now + timedelta(days=2)))
    changed = read_events(settings, {"password": PASSWORD}, *window)
    assert [event.summary for event in changed] == ["Design review", "Added since", "Launch"]
    assert len(reports) == 2


def test_dense_series_on_a_server_is_cut_with_a_note(radicale: RadicaleServer) -> None:
    from tests.servers.radicale import make_calendar

    url = make_calendar(radicale, "ticks", "Ticks", "#000000")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    save_event(
        radicale,
        url,
        event_ics("tick@tests", "Tick", now - timedelta(days=3), minutes=1, extra="RRULE:FREQ=MINUTELY\r\n"),
    )
    settings = {"url": radicale.url, "username": USER, "ca_file": str(radicale.ca_file), "calendars": ["Ticks"]}
    read = read_events(settings, {"password": PASSWORD}, now, now + timedelta(days=2), timeout=20)
    assert len(read) == 1000
    assert "Series 'Tick' cut after 1,000 occurrences." in read.notes
