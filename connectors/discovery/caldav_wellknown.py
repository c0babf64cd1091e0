"""``/.well-known/caldav`` on the address's domain (RFC 6764): where the domain says its calendars are.

One PROPFIND without credentials and without following redirects: a redirect names
the CalDAV service, a 207 or 401 says the well-known address itself is one. The
CalDAV check follows the principal from there once the person has signed in.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from connectors.discovery.address import Address
from connectors.discovery.model import (
    Candidate,
    DiscoverySettings,
    Outcome,
    Service,
    SourceReport,
    SourceResult,
    time_left,
    valid_host,
)
from connectors.errors import ConnectorError, ErrorKind

MAX_URL = 1000
PROPFIND_BODY = b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/></d:prop></d:propfind>'


def probe(address: Address, settings: DiscoverySettings, deadline: float) -> SourceResult:
    import httpx  # noqa: F401 - loaded before the clock is read, so the import does not eat the timeout

    from connectors import http

    name = f"/.well-known/caldav on {address.domain}"
    url = settings.autoconfig_base.replace("{host}", address.domain) + "/.well-known/caldav"
    try:
        status, location = _propfind(url, settings, time_left(deadline))
    except ConnectorError as error:
        outcome = Outcome.TIMED_OUT if error.kind is ErrorKind.TIMEOUT else Outcome.FAILED
        return SourceResult(SourceReport(name, outcome, f"{name}: {error.message}"))
    if status in (301, 302, 303, 307, 308):
        target = urljoin(url, location)
        parts = urlsplit(target)
        usable = len(target) <= MAX_URL and target.isprintable() and " " not in target
        if parts.scheme != "https" or valid_host(parts.hostname or "") is None or not usable:
            return SourceResult(SourceReport(name, Outcome.FAILED, f"{name}: redirects to an unusable address."))
        found = (Candidate(Service.CALENDAR, "caldav", (name,), url=target),)
        return SourceResult(
            SourceReport(name, Outcome.FOUND, f"{name}: redirects to {http.redact_url(target)}."), found
        )
    if status in (207, 401):
        found = (Candidate(Service.CALENDAR, "caldav", (name,), url=url),)
        return SourceResult(SourceReport(name, Outcome.FOUND, f"{name}: a CalDAV service answers there."), found)
    return SourceResult(SourceReport(name, Outcome.NOTHING, f"{name}: no CalDAV service (HTTP {status})."))


def _propfind(url: str, settings: DiscoverySettings, timeout: float) -> tuple[int, str]:
    import httpx

    from connectors import http
    from connectors.http_errors import transport_error

    shown = http.redact_url(url)
    try:
        with httpx.Client(
            verify=http.ssl_context(settings.ca_file),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,  # the environment's proxies and CA bundles must not replace the chosen trust
        ) as client:
            headers = {"Depth": "0", "Content-Type": "application/xml", "User-Agent": "tether (settings discovery)"}
            # Only the status and Location matter: the body, however large, is never read.
            with client.stream("PROPFIND", url, content=PROPFIND_BODY, headers=headers) as answer:
                return answer.status_code, answer.headers.get("location", "")
    except httpx.TimeoutException:
        raise ConnectorError(ErrorKind.TIMEOUT, f"{shown} did not answer in time.") from None
    except httpx.HTTPError as exc:
        raise transport_error(exc, shown, None) from None
