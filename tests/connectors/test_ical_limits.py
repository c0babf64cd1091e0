"""Bounded work on hostile feeds: endless dense series, too many occurrences, slow reads, odd data."""

from __future__ import annotations

import json
import subprocess
import time
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.errors import ConnectorError, ErrorKind
from connectors.ical.budget import Budget
from connectors.ical.check import check_feed, read_events
from connectors.ical.window import ParsedFeed
from connectors.types import CheckRequest
from tests.connectors.calendar_fixtures import feed_server  # noqa: F401 - fixture
from tests.servers.feeds import FeedServer

pytestmark = pytest.mark.realserver

ROOT = Path(__file__).resolve().parents[2]


def endless(freq: str, count: int = 1) -> bytes:
    """About 250 bytes per series: one event repeating every ``freq`` period since 2020, for ever."""
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:endless-{number}@tests\r\nDTSTAMP:20200101T000000Z\r\n"
        f"DTSTART:20200101T00000{number % 10}Z\r\nDURATION:PT1S\r\nRRULE:FREQ={freq}\r\nSUMMARY:Tick {number}\r\n"
        "END:VEVENT\r\n"
        for number in range(count)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//endless//EN\r\n{events}END:VCALENDAR\r\n".encode()


_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
from connectors.ical.check import check_feed
from connectors.types import CheckRequest
started = time.perf_counter()
result = check_feed(CheckRequest(json.loads(sys.argv[1]), {}, timeout=15))
seconds = time.perf_counter() - started
# VmHWM, not ru_maxrss: the latter keeps the peak of the (large) test process this one was forked from.
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "warnings": list(result.warnings), "details": list(result.details),
                  "summary": result.summary, "peak_mb": peak_kb / 1024}))
"""


@pytest.mark.parametrize("freq", ["MINUTELY", "SECONDLY"])
def test_endless_dense_series_is_checked_quickly_in_little_memory(feed_server: FeedServer, freq: str) -> None:
    """A fresh process, so the peak memory is this check's (interpreter and imports included)."""
    url = feed_server.publish(f"/endless-{freq}.ics", endless(freq))
    settings = json.dumps({"url": url, "ca_file": str(feed_server.ca_file)})
    child = subprocess.run([sys.executable, "-c", _CHILD, settings, str(ROOT)], capture_output=True, text=True)
    assert child.returncode == 0, child.stderr[-2000:]
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    assert figures["seconds"] <= 5.0
    assert figures["peak_mb"] <= 200.0
    assert "Series 'Tick 0' cut after 1,000 occurrences." in figures["warnings"]
    assert figures["summary"].endswith("1 event")
    assert len(figures["details"]) == 3 and all("Tick 0" in line for line in figures["details"])


def test_one_read_stops_after_the_per_call_cap_and_says_so(feed_server: FeedServer) -> None:
    url = feed_server.publish("/many.ics", endless("MINUTELY", count=12))
    now = datetime.now(UTC)
    read = read_events({"url": url, "ca_file": str(feed_server.ca_file)}, {}, now, now + timedelta(days=30))
    assert len(read) == 10_000
    assert "Stopped after 10,000 occurrences; later ones in the period are not listed." in read.notes
    assert "Series 'Tick 0' cut after 1,000 occurrences." in read.notes


def test_parsing_and_expanding_share_the_deadline() -> None:
    feed = ParsedFeed(endless("MINUTELY"))
    now = datetime.now(UTC)
    with pytest.raises(ConnectorError) as caught:
        feed.events("Feed", now, now + timedelta(days=1), Budget.seconds(-1, "Reading the feed"))
    assert caught.value.kind is ErrorKind.TIMEOUT
    assert "Reading the feed did not finish in time" in str(caught.value)


def test_unknown_x_wr_timezone_is_a_warning_not_a_crash(feed_server: FeedServer) -> None:
    body = endless("DAILY").replace(b"VERSION:2.0", b"VERSION:2.0\r\nX-WR-TIMEZONE:Mars/Olympus_Mons")
    url = feed_server.publish("/mars.ics", body)
    result = check_feed(CheckRequest({"url": url, "ca_file": str(feed_server.ca_file)}, {}))
    assert result.summary.endswith("1 event")
    assert any("unknown time zone ('Mars/Olympus_Mons')" in warning for warning in result.warnings)


@pytest.mark.parametrize(
    "body",
    [
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nthis line is not iCalendar\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2027\r\n",
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n",
    ],
)
def test_malformed_feed_message_shows_no_library_internals(feed_server: FeedServer, body: bytes) -> None:
    url = feed_server.publish("/broken.ics", body)
    with pytest.raises(ConnectorError) as caught:
        check_feed(CheckRequest({"url": url, "ca_file": str(feed_server.ca_file)}, {}))
    shown = f"{caught.value} {caught.value.hint}"
    assert caught.value.kind is ErrorKind.BAD_DATA and "malformed" in shown
    for internal in ("b'", "Found no components", "BEGIN:", "Traceback", "Error"):
        assert internal not in shown


def test_large_feed_with_broken_structure_is_refused_without_a_whole_parse(feed_server: FeedServer) -> None:
    """icalendar cannot be stopped at the deadline, so a big body the splitter cannot read is malformed."""
    event = b"BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20270101T090000Z\r\nSUMMARY:Filler\r\nEND:VEVENT\r\n"
    body = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + event * 40_000 + b"END:VTODO\r\nEND:VCALENDAR\r\n"
    url = feed_server.publish("/broken-big.ics", body)
    started = time.monotonic()
    with pytest.raises(ConnectorError) as caught:
        check_feed(CheckRequest({"url": url, "ca_file": str(feed_server.ca_file)}, {}))
    assert caught.value.kind is ErrorKind.BAD_DATA and "malformed" in str(caught.value)
    assert time.monotonic() - started < 5
