"""Kept-alive connections between feed checks, against the real feed server on loopback.

Checks of feeds on one server share a few connections (the server counts the TLS connections it
accepts), and a reused connection keeps every guarantee of a new one: the deadline, the refusal
to follow a public URL into the user's own network, and credentials that stay with their request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from connectors import http, http_pool
from connectors.addresses import is_internal
from connectors.deadline import TIMED_OUT, Deadline
from connectors.errors import ConnectorError, ErrorKind
from connectors.ical.check import check_feed
from connectors.types import CheckRequest, CheckResult
from tests.connectors.calendar_fixtures import feed_server  # noqa: F401 - fixture
from tests.servers import tls
from tests.servers.feeds import FEED_PASSWORD, FEED_USER, FeedServer, sample_feed, start_feed_server
from tests.support import wait_until

pytestmark = pytest.mark.realserver

TIMEOUT = 2.0
SLACK = 1.0


@pytest.fixture(autouse=True)
def no_idle_connections() -> Iterator[None]:
    """Each test starts and ends with an empty pool: its connection counts are its own."""
    http_pool.shared_pool().close_idle()
    yield
    http_pool.shared_pool().close_idle()


def check(server: FeedServer, path: str, *, timeout: float = 5.0, url: str = "", **settings: str) -> CheckResult:
    secrets = {"url": url or server.url(path)}
    if "password" in settings:
        secrets["password"] = settings.pop("password")
    return check_feed(CheckRequest({"ca_file": str(server.ca_file), **settings}, secrets, {}, timeout=timeout))


def failed_check(server: FeedServer, path: str, **options: str) -> tuple[ConnectorError, float]:
    started = time.monotonic()
    with pytest.raises(ConnectorError) as caught:
        check(server, path, **options)  # type: ignore[arg-type]
    return caught.value, time.monotonic() - started


def test_checks_of_feeds_on_one_server_one_after_another_share_one_connection(feed_server: FeedServer) -> None:
    urls = [feed_server.publish(f"/feed-{n}.ics", sample_feed(name=f"Feed {n}")) for n in range(5)]
    names = [check(feed_server, "", url=url).summary for url in urls]
    assert len(names) == 5 and all("events" in summary for summary in names)
    assert feed_server.accepted == 1


def test_checks_of_feeds_on_one_server_at_once_open_no_more_connections_than_run_at_once(
    feed_server: FeedServer,
) -> None:
    urls = [feed_server.publish(f"/feed-{n}.ics", sample_feed(name=f"Feed {n}")) for n in range(24)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda url: check(feed_server, "", url=url), urls))
    assert len(results) == 24
    assert feed_server.accepted <= 4  # one TLS handshake per thread at most, not one per feed


def test_an_unchanged_feed_answered_304_leaves_its_connection_for_the_next_check(feed_server: FeedServer) -> None:
    first = check(feed_server, "/team.ics")
    again = check_feed(
        CheckRequest(
            {"ca_file": str(feed_server.ca_file)}, {"url": feed_server.url("/team.ics")}, first.state, timeout=5
        )
    )
    assert feed_server.statuses[-1] == ("/team.ics", 304) and again.summary == "Team: 4 events (unchanged)"
    check(feed_server, "/basic.ics", username=FEED_USER, password=FEED_PASSWORD)
    assert feed_server.accepted == 1


def test_headers_trickled_on_a_reused_connection_end_at_the_deadline(feed_server: FeedServer) -> None:
    check(feed_server, "/team.ics")
    error, took = failed_check(feed_server, "/trickle-headers.ics", timeout=TIMEOUT)
    assert took < TIMEOUT + SLACK
    assert error.kind is ErrorKind.TIMEOUT and "did not answer in time (2 s)" in error.message
    assert feed_server.accepted == 1  # the trickle came on the kept-alive connection
    check(feed_server, "/team.ics")
    assert feed_server.accepted == 2  # the connection cut at the deadline was not used again


def test_a_body_trickled_on_a_reused_connection_ends_at_the_deadline(feed_server: FeedServer) -> None:
    check(feed_server, "/team.ics")
    error, took = failed_check(feed_server, "/trickle.ics", timeout=TIMEOUT)
    assert took < TIMEOUT + SLACK
    assert error.kind is ErrorKind.TIMEOUT and "sent data too slowly" in error.message
    assert feed_server.accepted == 1
    check(feed_server, "/team.ics")
    assert feed_server.accepted == 2


def test_a_connection_left_at_the_size_limit_is_not_used_again(feed_server: FeedServer) -> None:
    check(feed_server, "/team.ics")
    error, _ = failed_check(feed_server, "/huge-chunked.ics", max_size_mb="1")
    assert error.field == "max_size_mb"
    check(feed_server, "/team.ics")
    assert feed_server.accepted == 2


def pretend_loopback_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """The feed server at 127.0.0.1 stands in for a server on the internet; 127.0.0.2 stays inside."""
    monkeypatch.setattr(http, "is_internal", lambda address: address != "127.0.0.1" and is_internal(address))


def test_a_public_feed_on_a_reused_connection_may_not_redirect_to_loopback(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pretend_loopback_is_public(monkeypatch)
    port = feed_server.httpd.server_address[1]
    feed_server.redirects["/moved-home.ics"] = f"https://127.0.0.2:{port}/team.ics"
    feed_server.redirects["/moved-inside.ics"] = "http://169.254.169.254/latest/meta-data/"
    check(feed_server, "/team.ics")
    for path, where in (("/moved-home.ics", "127.0.0.2"), ("/moved-inside.ics", "169.254.169.254")):
        error, _ = failed_check(feed_server, path)
        assert error.kind is ErrorKind.BAD_DATA and error.field == "url"
        assert f"redirected to {where}, an address inside your own network" in error.message
    assert feed_server.hits["/moved-home.ics"] == 1 and feed_server.hits["/moved-inside.ics"] == 1
    assert feed_server.accepted == 1  # both redirects came back on the kept-alive connection


def test_a_public_feed_may_not_redirect_onto_a_kept_alive_connection_inside(
    feed_server: FeedServer, test_ca: tls.TestCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    pretend_loopback_is_public(monkeypatch)
    inside = start_feed_server(test_ca.issue("inside"), host="127.0.0.2", ca_file=test_ca.ca_file)
    try:
        check(inside, "/team.ics")  # a feed on the user's own network: allowed, and its connection kept alive
        feed_server.redirects["/moved-home.ics"] = inside.url("/team.ics")
        error, _ = failed_check(feed_server, "/moved-home.ics")
    finally:
        inside.close()
    assert "redirected to 127.0.0.2, an address inside your own network" in error.message
    assert inside.hits["/team.ics"] == 1 and inside.accepted == 1  # the kept-alive connection was not used


def test_a_check_after_the_server_dropped_its_idle_connections_succeeds(feed_server: FeedServer) -> None:
    check(feed_server, "/team.ics")
    feed_server.drop_idle_connections()
    wait_until(lambda: not feed_server.open_connections, "the server to hang up", seconds=10)
    assert "events" in check(feed_server, "/team.ics").summary
    assert feed_server.accepted == 2


def test_a_server_hanging_up_as_a_reused_connection_sends_does_not_fail_the_request(feed_server: FeedServer) -> None:
    # One GET, not a whole check: the feed check's own retries would hide a failed request.
    feed_server.answers_per_connection = 1  # every second request on a connection is met by a hang-up
    request = http.Request(feed_server.url("/team.ics"), ca_file=str(feed_server.ca_file))
    answers = [http.get(request, 5) for _ in range(3)]
    assert [answer.status for answer in answers] == [200, 200, 200]
    assert feed_server.accepted == 3  # each kept-alive connection failed once and was replaced


def test_credentials_stay_with_the_request_that_has_them(feed_server: FeedServer) -> None:
    check(feed_server, "/basic.ics", username=FEED_USER, password=FEED_PASSWORD)
    check(feed_server, "/team.ics")
    sent = dict(feed_server.request_headers)
    assert "authorization" in sent["/basic.ics"] and "authorization" not in sent["/team.ics"]
    assert feed_server.accepted == 1  # on the same connection
    error, _ = failed_check(feed_server, "/basic.ics")
    assert error.kind is ErrorKind.AUTH


def test_idle_connections_are_closed_after_a_while(feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_pool, "_POOL", http_pool.KeepAlivePool(idle_seconds=0.3))
    check(feed_server, "/team.ics")
    assert len(feed_server.open_connections) == 1
    wait_until(lambda: not feed_server.open_connections, "tether to close its idle connection", seconds=10)


def test_each_server_keeps_only_a_few_idle_connections(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_pool, "_POOL", http_pool.KeepAlivePool(idle_per_host=2))
    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(lambda _: check(feed_server, "/slow.ics"), range(5)))  # each takes 0.5 s: five at once
    assert feed_server.accepted == 5
    wait_until(lambda: len(feed_server.open_connections) == 2, "all but two idle connections closed", seconds=10)


def record_deadlines(monkeypatch: pytest.MonkeyPatch) -> list[Deadline]:
    """Every deadline a GET runs under, in order, so a test can make one fire when it chooses."""
    made: list[Deadline] = []

    class Recorded(Deadline):
        def __init__(self, seconds: float) -> None:
            super().__init__(seconds)
            made.append(self)

    monkeypatch.setattr(http, "Deadline", Recorded)
    return made


def after_first_release(monkeypatch: pytest.MonkeyPatch, then: Callable[[], None]) -> None:
    """Run ``then`` in the releasing thread once the first connection is back in the pool, before its GET ends."""
    release = http_pool.KeepAlivePool.release
    calls: list[None] = []

    def and_then(pool: http_pool.KeepAlivePool, *args: Any, **kwargs: Any) -> None:
        release(pool, *args, **kwargs)
        if not calls:
            calls.append(None)
            then()

    monkeypatch.setattr(http_pool.KeepAlivePool, "release", and_then)


def test_a_deadline_passing_just_after_its_connection_went_back_leaves_the_next_check_on_it_alone(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The moment between a GET giving its connection back and its deadline ending, made to last:
    # another check takes the connection and is waiting for its answer when the first deadline fires.
    deadlines = record_deadlines(monkeypatch)
    with ThreadPoolExecutor(max_workers=1) as pool:
        second: list[Future[CheckResult]] = []

        def next_check_then_time_out() -> None:
            second.append(pool.submit(check, feed_server, "/slow.ics"))  # answered after 0.5 s
            wait_until(lambda: feed_server.hits["/slow.ics"] == 1, "the next check to send its request")
            deadlines[0].fire(TIMED_OUT)  # what the watchdog does when the first check's time is up

        after_first_release(monkeypatch, next_check_then_time_out)
        first = check(feed_server, "/team.ics")
        assert first.summary == "Team: 4 events" and second[0].result().summary == "Slow: 4 events"
    assert feed_server.hits["/slow.ics"] == 1  # answered on its first try, not sent again
    assert feed_server.accepted == 1  # the kept-alive connection served both
