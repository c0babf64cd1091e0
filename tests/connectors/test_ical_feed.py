"""The iCal feed check against a real HTTPS feed server on loopback."""

from __future__ import annotations

import time
from typing import Any

import pytest

from connectors.errors import ConnectorError, ErrorKind
from connectors.ical.check import check_feed
from connectors.types import CheckRequest, CheckResult
from tests.connectors.calendar_fixtures import feed_server, plain_feed_server  # noqa: F401 - fixtures
from tests.servers.feeds import (
    FEED_PASSWORD,
    FEED_USER,
    HUGE_SIZE,
    SECRET_TOKEN,
    FeedServer,
    huge_feed,
    start_feed_server,
)
from tests.servers import tls

pytestmark = pytest.mark.realserver


def check(
    server: FeedServer,
    url: str,
    *,
    state: dict[str, Any] | None = None,
    timeout: float = 5.0,
    password: str | None = None,
    **settings: str,
) -> CheckResult:
    secrets = {"url": url, **({"password": password} if password is not None else {})}
    if server.ca_file is not None:
        settings.setdefault("ca_file", str(server.ca_file))
    return check_feed(CheckRequest(settings, secrets, state or {}, timeout=timeout))


def failure(server: FeedServer, url: str, **kwargs: Any) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        check(server, url, **kwargs)
    return caught.value


def test_good_feed_shows_name_count_and_next_three_events(feed_server: FeedServer) -> None:
    result = check(feed_server, feed_server.url("/team.ics"))
    assert result.summary == "Team: 4 events"
    assert len(result.details) == 3
    assert [line.rsplit("  ", 1)[-1] for line in result.details[:2]] == ["Planning @ Room 4", "Offsite"]
    assert "Standup" in result.details[2]
    assert result.warnings == ()
    assert result.learned_settings["url_display"] == f"{feed_server.base_url}/…"
    assert result.state["etag"] and result.state["last_modified"]


def test_repeat_of_an_unchanged_feed_costs_a_304(feed_server: FeedServer) -> None:
    first = check(feed_server, feed_server.url("/team.ics"))
    bytes_after_first = feed_server.body_bytes["/team.ics"]
    second = check(feed_server, feed_server.url("/team.ics"), state=dict(first.state))

    assert feed_server.statuses == [("/team.ics", 200), ("/team.ics", 304)]
    assert bytes_after_first == len(feed_server.feeds["/team.ics"])
    assert feed_server.body_bytes["/team.ics"] == bytes_after_first  # nothing more sent
    headers = feed_server.request_headers[1][1]
    assert headers["if-none-match"] == first.state["etag"]
    assert headers["if-modified-since"] == first.state["last_modified"]
    assert second.summary == "Team: 4 events (unchanged)"
    assert second.details == first.details
    assert second.state["etag"] == first.state["etag"] and second.state["count"] == 4


def test_changed_feed_is_fetched_again_despite_stored_validators(feed_server: FeedServer) -> None:
    first = check(feed_server, feed_server.url("/team.ics"))
    feed_server.feeds["/team.ics"] = feed_server.feeds["/team.ics"].replace(
        b"X-WR-CALNAME:Team", b"X-WR-CALNAME:Renamed"
    )
    second = check(feed_server, feed_server.url("/team.ics"), state=dict(first.state))
    assert [status for _, status in feed_server.statuses] == [200, 200]
    assert second.summary == "Renamed: 4 events"


def test_validators_of_another_url_are_not_sent(feed_server: FeedServer) -> None:
    first = check(feed_server, feed_server.url("/team.ics"))
    feed_server.feeds["/other.ics"] = feed_server.feeds["/team.ics"]
    check(feed_server, feed_server.url("/other.ics"), state=dict(first.state))
    assert "if-none-match" not in feed_server.request_headers[1][1]
    assert feed_server.statuses[1] == ("/other.ics", 200)


def test_webcal_link_is_read_as_https(feed_server: FeedServer) -> None:
    url = feed_server.url("/team.ics").replace("https://", "webcal://")
    result = check(feed_server, url)
    assert result.summary == "Team: 4 events"
    assert result.learned_settings["url_display"].startswith("https://")


def test_plain_http_works_with_an_unencrypted_warning(plain_feed_server: FeedServer) -> None:
    result = check(plain_feed_server, plain_feed_server.url("/team.ics"))
    assert result.summary == "Team: 4 events"
    assert any("http://" in warning and "unencrypted" in warning for warning in result.warnings)


def test_basic_credentials(feed_server: FeedServer) -> None:
    url = feed_server.url("/basic.ics")
    assert check(feed_server, url, username=FEED_USER, password=FEED_PASSWORD).summary == "Private: 4 events"
    missing = failure(feed_server, url)
    assert missing.kind is ErrorKind.AUTH and missing.field == "username"
    wrong = failure(feed_server, url, username=FEED_USER, password="nope")
    assert wrong.kind is ErrorKind.AUTH and wrong.field == "password"
    assert "nope" not in str(wrong)


@pytest.mark.parametrize(
    ("path", "kind", "words"),
    [
        ("/missing.ics", ErrorKind.NOT_FOUND, "wrong or was revoked"),
        ("/forbidden.ics", ErrorKind.AUTH, "refused access"),
        ("/busy.ics", ErrorKind.RATE_LIMITED, "wait 120 s"),
        ("/down.ics", ErrorKind.UNREACHABLE, "temporarily unavailable"),
        ("/malformed.ics", ErrorKind.BAD_DATA, "malformed"),
        ("/login", ErrorKind.BAD_DATA, "looks like a web page, not a calendar feed"),
        ("/loop-a", ErrorKind.BAD_DATA, "redirects too many times"),
    ],
)
def test_failures_a_person_can_act_on(feed_server: FeedServer, path: str, kind: ErrorKind, words: str) -> None:
    error = failure(feed_server, feed_server.url(path))
    assert error.kind is kind
    assert words in str(error)
    assert error.hint and error.field == "url"


def test_long_retry_after_is_reported_not_waited_for(feed_server: FeedServer) -> None:
    started = time.monotonic()
    error = failure(feed_server, feed_server.url("/busy.ics"))
    assert error.retry_after == 120
    assert feed_server.hits["/busy.ics"] == 1
    assert time.monotonic() - started < 1


def test_short_retry_after_is_honoured_then_retried(feed_server: FeedServer) -> None:
    started = time.monotonic()
    result = check(feed_server, feed_server.url("/flaky.ics"))
    assert result.summary == "Flaky: 4 events"
    assert [status for _, status in feed_server.statuses] == [503, 200]
    assert time.monotonic() - started >= 1.0  # the server asked for one second


def test_html_page_advises_the_ical_link(feed_server: FeedServer) -> None:
    error = failure(feed_server, feed_server.url("/login"))
    assert "iCal" in error.hint


@pytest.mark.parametrize("path", ["/huge.ics", "/huge-chunked.ics"])
def test_feed_larger_than_the_cap_is_refused_early(feed_server: FeedServer, path: str) -> None:
    error = failure(feed_server, feed_server.url(path), max_size_mb="1")
    assert error.kind is ErrorKind.BAD_DATA and error.field == "max_size_mb"
    assert "larger than the 1 MB limit" in error.message
    assert feed_server.body_bytes[path] < HUGE_SIZE / 2  # the client hung up instead of reading it all


def test_feed_within_a_raised_cap_is_read(feed_server: FeedServer) -> None:
    url = feed_server.publish("/big.ics", huge_feed(600 * 1024))
    with pytest.raises(ConnectorError):
        check(feed_server, url, max_size_mb="0.5")
    result = check(feed_server, url, max_size_mb="1", timeout=30)
    assert result.summary.startswith("Feed: ") and result.summary.endswith(" events")


@pytest.mark.parametrize(("path", "words"), [("/hang.ics", "did not answer"), ("/trickle.ics", "too slowly")])
def test_server_that_hangs_or_trickles_times_out_within_budget(feed_server: FeedServer, path: str, words: str) -> None:
    started = time.monotonic()
    error = failure(feed_server, feed_server.url(path), timeout=1.0)
    elapsed = time.monotonic() - started
    assert error.kind is ErrorKind.TIMEOUT and words in error.message
    assert 0.9 <= elapsed < 2.0
    assert feed_server.hits[path] == 1  # a spent budget is not retried


def test_refused_connection_is_unreachable(feed_server: FeedServer) -> None:
    url = feed_server.url("/team.ics")
    feed_server.close()
    error = failure(feed_server, url)
    assert error.kind is ErrorKind.UNREACHABLE


def test_redirect_is_followed(feed_server: FeedServer) -> None:
    assert check(feed_server, feed_server.url("/moved.ics")).summary == "Team: 4 events"


def test_redirect_from_https_to_http_is_warned_about(feed_server: FeedServer, plain_feed_server: FeedServer) -> None:
    feed_server.redirects["/downgrade.ics"] = plain_feed_server.url("/team.ics")
    result = check(feed_server, feed_server.url("/downgrade.ics"))
    assert result.summary == "Team: 4 events"
    assert result.warnings == ("The feed redirected from https:// to unencrypted http://.",)


def test_private_token_never_appears_in_errors(feed_server: FeedServer) -> None:
    paths = [
        "/missing.ics",
        "/forbidden.ics",
        "/busy.ics",
        "/down.ics",
        "/malformed.ics",
        "/login",
        "/loop-a",
        "/basic.ics",
    ]
    for path in paths:
        url = feed_server.url(f"/private/{SECRET_TOKEN}{path}?key={SECRET_TOKEN}")
        error = failure(feed_server, url)
        text = f"{error} {error.to_dict()} {error!r} {error.args}"
        assert SECRET_TOKEN not in text, path
        assert feed_server.base_url in text  # but the server is named
    result = check(feed_server, feed_server.url(f"/private/{SECRET_TOKEN}/team.ics"))
    assert SECRET_TOKEN not in repr(result)


def test_untrusted_certificate(feed_server: FeedServer) -> None:
    error = failure(feed_server, feed_server.url("/team.ics"), ca_file="")
    assert error.kind is ErrorKind.TLS and "does not trust" in error.message and error.field == "ca_file"


def test_certificate_for_another_name(test_ca: tls.TestCA) -> None:
    server = start_feed_server(test_ca.issue("elsewhere", ("calendar.example.org",), ()), ca_file=test_ca.ca_file)
    try:
        error = failure(server, server.url("/team.ics"))
    finally:
        server.close()
    assert error.kind is ErrorKind.TLS and "different name" in error.message


def test_expired_certificate(test_ca: tls.TestCA) -> None:
    server = start_feed_server(test_ca.issue("expired", expired=True), ca_file=test_ca.ca_file)
    try:
        error = failure(server, server.url("/team.ics"))
    finally:
        server.close()
    assert error.kind is ErrorKind.TLS and "expired" in error.message


def test_unreadable_ca_file_points_at_the_setting(feed_server: FeedServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate")
    error = failure(feed_server, feed_server.url("/team.ics"), ca_file=str(bogus))
    assert error.kind is ErrorKind.CONFIG and error.field == "ca_file"


def test_environment_ca_bundle_does_not_override_the_chosen_ca(feed_server: FeedServer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent.pem")
    assert check(feed_server, feed_server.url("/team.ics")).summary == "Team: 4 events"
