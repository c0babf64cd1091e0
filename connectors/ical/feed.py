"""Fetching an iCal feed: the URL forms people paste, conditional requests, and what each answer means."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors import http
from connectors.errors import ConnectorError, ErrorKind
from connectors.http_errors import retry_after_seconds
from connectors.retry import RetryPolicy, with_retries

DEFAULT_MAX_MB = 20


@dataclass(frozen=True)
class FeedSource:
    """Where and how to fetch one feed; built from an integration's settings and secrets."""

    url: str  # normalised: webcal:// read as https://
    username: str = ""
    password: str = ""
    ca_file: str | None = None
    max_bytes: int = DEFAULT_MAX_MB * 1024 * 1024

    @property
    def shown(self) -> str:
        return http.redact_url(self.url)

    @property
    def unencrypted(self) -> bool:
        return self.url.lower().startswith("http://")

    @property
    def fingerprint(self) -> str:
        """Identifies the URL in stored state without storing it (the URL may hold a token)."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class FeedFetch:
    body: bytes  # empty when not modified
    not_modified: bool
    validators: dict[str, str]  # etag / last_modified for the next request
    elapsed: float
    warnings: tuple[str, ...] = ()


def normalise_url(url: str) -> str:
    url = url.strip()
    lowered = url.lower()
    for scheme in ("webcals://", "webcal://"):
        if lowered.startswith(scheme):
            return "https://" + url[len(scheme) :]
    return url


def source_from(settings: Mapping[str, Any], secrets: Mapping[str, str]) -> FeedSource:
    url = secrets.get("url") or settings.get("url") or ""
    if not url:
        raise ConnectorError(
            ErrorKind.CONFIG,
            "No feed URL is stored.",
            hint="Edit the integration and paste the feed link.",
            field="url",
        )
    from connectors.ical.spec import validate_megabytes

    limit = str(settings.get("max_size_mb") or DEFAULT_MAX_MB).strip()
    problem = validate_megabytes(limit)
    if problem:
        raise ConnectorError(ErrorKind.CONFIG, f"{problem.rstrip('.')} (it is {limit[:20]}).", field="max_size_mb")
    megabytes = float(limit)
    return FeedSource(
        url=normalise_url(url),
        username=str(settings.get("username") or ""),
        password=secrets.get("password", ""),
        ca_file=settings.get("ca_file") or None,
        max_bytes=max(1, int(megabytes * 1024 * 1024)),
    )


def fetch(source: FeedSource, *, timeout: float, state: Mapping[str, Any] | None = None) -> FeedFetch:
    """Fetch the feed within ``timeout`` seconds, retrying what may pass (429/503, resets).

    With ``state`` from the previous fetch of the same URL, the request is
    conditional and an unchanged feed answers 304 without a body.
    """
    conditional = _conditional_headers(source, state or {})
    deadline = time.monotonic() + timeout
    policy = _FeedRetry(attempts=3, base_delay=0.5, max_delay=2.0, max_retry_after=min(10.0, timeout / 2))

    def attempt() -> http.Response:
        remaining = deadline - time.monotonic()
        if remaining <= 0.2:
            raise ConnectorError(ErrorKind.TIMEOUT, f"{source.shown} did not answer in time.", field="url")
        request = http.Request(
            source.url,
            username=source.username,
            password=source.password,
            ca_file=source.ca_file,
            headers={"Accept": "text/calendar, text/plain;q=0.8, */*;q=0.5", **conditional},
            max_bytes=source.max_bytes,
        )
        return _classified(http.get(request, remaining), source)

    response = with_retries(attempt, policy)
    validators = {
        key: value
        for key, value in (
            ("etag", response.headers.get("etag")),
            ("last_modified", response.headers.get("last-modified")),
        )
        if value
    }
    warnings: tuple[str, ...] = ()
    if response.redirected_to_http:
        warnings = ("The feed redirected from https:// to unencrypted http://.",)
    if response.status == 304:
        return FeedFetch(b"", True, validators or _previous_validators(state or {}), response.elapsed, warnings)
    _require_calendar(response, source)
    return FeedFetch(response.body, False, validators, response.elapsed, warnings)


class _FeedRetry(RetryPolicy):
    """Retries within one time budget: a timeout has used it up, so it is reported at once."""

    def delay(self, attempt: int, error: ConnectorError) -> float | None:
        if error.kind is ErrorKind.TIMEOUT:
            return None
        return super().delay(attempt, error)


def _conditional_headers(source: FeedSource, state: Mapping[str, Any]) -> dict[str, str]:
    if state.get("url_fingerprint") != source.fingerprint:
        return {}  # the stored validators belong to another URL
    headers = {}
    if state.get("etag"):
        headers["If-None-Match"] = str(state["etag"])
    if state.get("last_modified"):
        headers["If-Modified-Since"] = str(state["last_modified"])
    return headers


def _previous_validators(state: Mapping[str, Any]) -> dict[str, str]:
    return {key: str(state[key]) for key in ("etag", "last_modified") if state.get(key)}


def _classified(response: http.Response, source: FeedSource) -> http.Response:
    """Raise the error a person can act on for anything but 2xx and 304."""
    status, shown = response.status, source.shown
    if 200 <= status < 300 or status == 304:
        return response
    if status in (404, 410):
        raise ConnectorError(
            ErrorKind.NOT_FOUND,
            f"The feed URL is wrong or was revoked ({shown} answered {status}).",
            hint="Get a new link from the calendar's sharing settings and paste it again.",
            field="url",
        )
    if status == 401:
        if response.cross_origin:  # the password stays with the server in the URL
            raise ConnectorError(
                ErrorKind.AUTH,
                f"{shown} redirected to {response.shown_url}, which asks for a username and password; "
                "tether sends them only to the server named in the URL.",
                hint="Use the final address as the feed URL if you trust it with your password, or ask for a link that needs none.",
                field="url",
            )
        if source.username:
            raise ConnectorError(
                ErrorKind.AUTH,
                f"The username or password for {shown} was not accepted.",
                hint="Check the username and password in the advanced settings.",
                field="password",
            )
        raise ConnectorError(
            ErrorKind.AUTH,
            f"{shown} asks for a username and password.",
            hint="Enter them in the advanced settings, or use the calendar's private (secret) iCal link instead.",
            field="username",
        )
    if status == 403:
        raise ConnectorError(
            ErrorKind.AUTH,
            f"{shown} refused access to the feed (403).",
            hint="The private link may have been reset, or this account may not see the calendar: get a new link.",
            field="url",
        )
    retry_after = retry_after_seconds(response.headers.get("retry-after"))
    wait = f" The server asks to wait {retry_after:.0f} s." if retry_after is not None else ""
    if status == 429:
        raise ConnectorError(
            ErrorKind.RATE_LIMITED,
            f"{shown} says too many requests (429).{wait}",
            hint="Check less often, or try again later.",
            field="url",
            retry_after=retry_after,
        )
    if status in (502, 503, 504):
        raise ConnectorError(
            ErrorKind.UNREACHABLE,
            f"{shown} is temporarily unavailable ({status}).{wait}",
            hint="The calendar service is down or busy; try again later.",
            field="url",
            retry_after=retry_after,
        )
    kind = ErrorKind.SERVER if status >= 500 else ErrorKind.BAD_DATA
    raise ConnectorError(
        kind, f"{shown} answered with HTTP {status}.", hint="Check the link, or try again later.", field="url"
    )


def _require_calendar(response: http.Response, source: FeedSource) -> None:
    head = response.body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if response.content_type in ("text/html", "application/xhtml+xml") or head.startswith(
        (b"<!doctype html", b"<html")
    ):
        raise ConnectorError(
            ErrorKind.BAD_DATA,
            f"{source.shown} looks like a web page, not a calendar feed.",
            hint='Use the link labelled iCal, ICS or "secret address in iCal format", not the page\'s address.',
            field="url",
        )
    if not head.startswith(b"begin:vcalendar"):
        raise ConnectorError(
            ErrorKind.BAD_DATA,
            f"{source.shown} did not return calendar data (no BEGIN:VCALENDAR).",
            hint="Check that the link points at an .ics feed.",
            field="url",
        )
