"""Wall-clock deadlines and transport refusals, against trickling servers and the real feed server.

Each hostile server sends one piece every 0.5–1.5 s, well inside a per-read timeout: only a
deadline over the whole operation ends these checks on time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from connectors import http
from connectors.addresses import is_internal, is_loopback_host
from connectors.errors import ConnectorError, ErrorKind
from connectors.http_errors import retry_after_seconds
from connectors.ical.check import check_feed
from connectors.imap.auth import PasswordAuth
from connectors.imap.connection import ImapServer
from connectors.imap.session import ImapSession
from connectors.types import CheckRequest
from tests.connectors.calendar_fixtures import feed_server  # noqa: F401 - fixture
from tests.health.fault_servers import trickle_server, trickled_body, trickled_greeting, trickled_headers
from tests.servers.feeds import FEED_PASSWORD, FEED_USER, FeedServer
from tests.servers import tls

TIMEOUT = 2.0
SLACK = 1.0  # the goal: the timeout plus at most a second


def timed_failure(call) -> tuple[ConnectorError, float]:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    with pytest.raises(ConnectorError) as caught:
        call()
    return caught.value, time.monotonic() - started


def open_imap(port: int, mode: str, ca_file: str | None = None) -> None:
    ImapSession(ImapServer("127.0.0.1", port, mode, ca_file, timeout=TIMEOUT), PasswordAuth("me", "pw")).open()


def fetch_feed(url: str, **settings: str) -> None:
    check_feed(CheckRequest(settings, {"url": url}, {}, timeout=TIMEOUT))


# --- IMAP ------------------------------------------------------------------------------------


def test_a_greeting_trickled_in_plain_text_ends_at_the_deadline() -> None:
    with trickle_server(trickled_greeting, every=0.5) as port:
        error, took = timed_failure(lambda: open_imap(port, "none"))
    assert took < TIMEOUT + SLACK
    assert error.kind is ErrorKind.TIMEOUT
    assert error.message == (
        f"127.0.0.1:{port} did not complete its greeting and capability list in time (2 s): "
        "it stopped answering or answered too slowly."
    )


def test_a_greeting_trickled_over_tls_ends_at_the_deadline(test_ca: tls.TestCA) -> None:
    with trickle_server(trickled_greeting, every=0.5, cert=test_ca.issue("trickle")) as port:
        error, took = timed_failure(lambda: open_imap(port, "implicit", str(test_ca.ca_file)))
    assert took < TIMEOUT + SLACK
    assert error.kind is ErrorKind.TIMEOUT and "did not complete its greeting" in error.message


def test_plain_text_is_refused_for_a_name_that_merely_starts_with_127() -> None:
    error, took = timed_failure(lambda: open_imap_at("127.attacker.example"))
    assert error.kind is ErrorKind.CONFIG and error.field == "tls_mode"
    assert took < 0.5  # refused before any connection


def open_imap_at(host: str) -> None:
    ImapSession(ImapServer(host, 143, "none", timeout=TIMEOUT), PasswordAuth("me", "pw")).open()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("127.attacker.example", False),
        ("127.0.0.1.nip.io", False),
        ("10.0.0.1", False),
        ("example.com", False),
    ],
)
def test_only_loopback_addresses_count_as_this_machine(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_an_imap_port_out_of_range_is_a_settings_problem() -> None:
    with pytest.raises(ConnectorError) as caught:
        ImapServer.from_settings({"host": "imap.example.com", "port": "99999"})
    assert caught.value.kind is ErrorKind.CONFIG and caught.value.field == "port" and "65535" in caught.value.message


# --- HTTP ------------------------------------------------------------------------------------


def test_http_headers_trickled_line_by_line_end_at_the_deadline() -> None:
    with trickle_server(trickled_headers, every=0.5) as port:
        error, took = timed_failure(lambda: fetch_feed(f"http://127.0.0.1:{port}/team.ics"))
    assert took < TIMEOUT + SLACK
    assert error.kind is ErrorKind.TIMEOUT
    assert error.message == f"http://127.0.0.1:{port}/… did not answer in time (2 s)."


def test_an_http_body_trickled_byte_by_byte_ends_at_the_deadline() -> None:
    with trickle_server(trickled_body, every=0.3) as port:
        error, took = timed_failure(lambda: fetch_feed(f"http://127.0.0.1:{port}/team.ics"))
    assert took < TIMEOUT + SLACK
    assert error.kind is ErrorKind.TIMEOUT and "sent data too slowly" in error.message


def oversized_headers() -> Iterator[bytes]:
    yield b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 200_000 + b"\r\n\r\n"


def test_oversized_headers_are_named_as_such_not_as_a_failed_connection() -> None:
    with trickle_server(oversized_headers, every=5) as port:
        error, _ = timed_failure(lambda: fetch_feed(f"http://127.0.0.1:{port}/team.ics"))
    assert error.kind is ErrorKind.BAD_DATA
    assert "more header data than tether accepts" in error.message and "connect" not in error.message


def test_a_public_feed_may_not_redirect_to_the_metadata_address(feed_server: FeedServer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The feed server stands in for a server on the internet: its own address counts as public here.
    monkeypatch.setattr(http, "is_internal", lambda address: address != "127.0.0.1" and is_internal(address))
    feed_server.redirects["/moved-inside.ics"] = "http://169.254.169.254/latest/meta-data/"
    error, took = timed_failure(
        lambda: fetch_feed(feed_server.url("/moved-inside.ics"), ca_file=str(feed_server.ca_file))
    )
    assert error.kind is ErrorKind.BAD_DATA and error.field == "url"
    assert "redirected to 169.254.169.254, an address inside your own network" in error.message
    assert took < 1.0  # refused before trying to connect there


def test_a_public_feed_may_not_redirect_to_another_loopback_address(feed_server: FeedServer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(http, "is_internal", lambda address: address != "127.0.0.1" and is_internal(address))
    port = feed_server.httpd.server_address[1]
    feed_server.redirects["/moved-home.ics"] = f"https://127.0.0.2:{port}/team.ics"
    error, _ = timed_failure(lambda: fetch_feed(feed_server.url("/moved-home.ics"), ca_file=str(feed_server.ca_file)))
    assert "inside your own network" in error.message


def test_a_feed_on_a_private_address_may_redirect_within_it(feed_server: FeedServer) -> None:
    port = feed_server.httpd.server_address[1]
    feed_server.redirects["/to-localhost.ics"] = f"https://localhost:{port}/team.ics"
    check_feed(
        CheckRequest(
            {"ca_file": str(feed_server.ca_file)}, {"url": feed_server.url("/to-localhost.ics")}, {}, timeout=5
        )
    )


def test_a_401_after_a_cross_origin_redirect_blames_the_other_server(feed_server: FeedServer) -> None:
    port = feed_server.httpd.server_address[1]
    feed_server.redirects["/elsewhere.ics"] = f"https://localhost:{port}/basic.ics"
    settings = {"ca_file": str(feed_server.ca_file), "username": FEED_USER}
    request = CheckRequest(
        settings, {"url": feed_server.url("/elsewhere.ics"), "password": FEED_PASSWORD}, {}, timeout=5
    )
    with pytest.raises(ConnectorError) as caught:
        check_feed(request)
    error = caught.value
    assert error.kind is ErrorKind.AUTH and error.field == "url"
    assert f"redirected to https://localhost:{port}/…, which asks for a username and password" in error.message
    assert "not accepted" not in error.message  # the user's password was never tried there


def test_a_certificate_for_another_address_points_at_the_url_not_the_ca_file(test_ca: tls.TestCA) -> None:
    from tests.servers.feeds import start_feed_server

    server = start_feed_server(test_ca.issue("only-localhost", ("localhost",), ()), ca_file=test_ca.ca_file)
    try:
        error, _ = timed_failure(lambda: fetch_feed(server.url("/team.ics"), ca_file=str(test_ca.ca_file)))
    finally:
        server.close()
    assert error.kind is ErrorKind.TLS and "different name" in error.message
    assert error.field == "url" and "CA file" not in error.hint


def test_https_contexts_are_shared_per_ca_file(test_ca: tls.TestCA) -> None:
    assert http.ssl_context(str(test_ca.ca_file)) is http.ssl_context(str(test_ca.ca_file))
    assert http.ssl_context(None) is http.ssl_context(None)


def test_checks_starting_together_build_one_context_per_ca_file(
    test_ca: tls.TestCA, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Check all starts sixteen checks at once; each loading the system store would cost ~35 ms apiece."""
    import ssl
    import threading

    ca_file = tmp_path / "ca.pem"  # a path no earlier test has a context for
    ca_file.write_bytes(test_ca.ca_file.read_bytes())
    built: list[int] = []
    create = ssl.create_default_context

    def slowly_counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        time.sleep(0.05)  # long enough that the others arrive while it is being built
        return create(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", slowly_counted)
    start = threading.Barrier(16)
    contexts: list[object] = []

    def check() -> None:
        start.wait()
        contexts.append(http.ssl_context(str(ca_file)))

    threads = [threading.Thread(target=check) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(contexts) == 16 and all(context is contexts[0] for context in contexts)
    assert len(built) == 1


# --- values that must be refused in one line ---------------------------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://calendar.example.com:99999/team.ics", "port is not a number from 1 to 65535"),
        ("https://[::1/team.ics", "IPv6 address must be closed"),
    ],
)
def test_malformed_urls_are_settings_problems(url: str, words: str) -> None:
    error, _ = timed_failure(lambda: fetch_feed(url))
    assert error.kind is ErrorKind.CONFIG and words in error.message


@pytest.mark.parametrize("size", ["0.0000001", "0", "-5", "1025", "nan", "inf"])
def test_a_size_limit_outside_1_to_1024_mb_is_refused(size: str) -> None:
    error, _ = timed_failure(lambda: fetch_feed("https://calendar.example.com/team.ics", max_size_mb=size))
    assert error.kind is ErrorKind.CONFIG and error.field == "max_size_mb" and "between 1 and 1024" in error.message


def test_a_ca_file_that_is_not_a_regular_file_is_named_as_such() -> None:
    error, took = timed_failure(lambda: fetch_feed("https://calendar.example.com/team.ics", ca_file="/dev/zero"))
    assert error.kind is ErrorKind.CONFIG and error.field == "ca_file"
    assert error.message == "The CA file /dev/zero is not a regular file."
    assert took < 1.0  # not read for ever


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("100000000000000000000", 3600.0), ("120", 120.0), ("Fri, 31 Dec 9999 23:59:59 GMT", 3600.0)],
)
def test_retry_after_is_capped_at_an_hour(header: str, seconds: float) -> None:
    assert retry_after_seconds(header) == seconds


def endless_redirect(to: str) -> Iterator[bytes]:
    """A redirect whose chunked body never ends, sent as fast as the client reads."""
    yield f"HTTP/1.1 302 Found\r\nLocation: {to}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    chunk = b"%x\r\n%s\r\n" % (65536, b"X" * 65536)
    while True:
        yield chunk


def test_a_redirect_with_an_endless_body_is_followed_without_reading_it(feed_server: FeedServer) -> None:  # noqa: F811
    target = feed_server.url("/team.ics")
    with trickle_server(lambda: endless_redirect(target), every=0) as port:
        started = time.monotonic()
        response = http.get(
            http.Request(f"http://127.0.0.1:{port}/moved.ics", ca_file=str(feed_server.ca_file)), timeout=TIMEOUT
        )
    assert response.status == 200 and response.url == target and b"BEGIN:VCALENDAR" in response.body
    assert time.monotonic() - started < TIMEOUT / 2  # not read until the deadline
