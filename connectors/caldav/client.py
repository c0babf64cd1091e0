"""A thin layer over the caldav library's DAVClient: one way to send WebDAV requests and read
the answers, with every failure turned into a ConnectorError a person can act on.

caldav (and niquests under it) are imported inside functions: they are slow to import.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from connectors.errors import ConnectorError, ErrorKind
from connectors.caldav.transport import DEFAULT_MAX_MB, CappedSession, max_bytes_from
from connectors.http import redact_url
from connectors.http_errors import transport_error

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
APPLE = "{http://apple.com/ns/ical/}"
CALSERVER = "{http://calendarserver.org/ns/}"


@dataclass(frozen=True)
class Account:
    """How to reach one CalDAV account; built from an integration's settings and secrets."""

    url: str  # as typed, normalised to a URL
    username: str
    password: str
    ca_file: str | None = None
    max_bytes: int = DEFAULT_MAX_MB * 1024 * 1024  # per answer

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


@dataclass(frozen=True)
class DavAnswer:
    status: int
    url: str  # the URL asked (hrefs in the answer are resolved against it)
    tree: ET.Element | None

    def responses(self) -> Iterator[tuple[str, dict[str, ET.Element]]]:
        """(absolute href, found properties by Clark name) for each <response>."""
        if self.tree is None:
            return
        for response in self.tree.iter(f"{DAV}response"):
            href = (response.findtext(f"{DAV}href") or "").strip()
            found: dict[str, ET.Element] = {}
            for propstat in response.iter(f"{DAV}propstat"):
                status = propstat.findtext(f"{DAV}status") or ""
                if " 200 " not in f"{status} ":
                    continue
                for prop in propstat.iter(f"{DAV}prop"):
                    for element in prop:
                        found[element.tag] = element
            yield urljoin(self.url, href), found


def account_from(settings: Mapping[str, Any], secrets: Mapping[str, str]) -> Account:
    typed = str(settings.get("url") or "").strip()
    if not typed:
        raise ConnectorError(ErrorKind.CONFIG, "No CalDAV server is stored.", field="url")
    if "://" not in typed:
        typed = "https://" + typed  # just a host name: CalDAV servers speak https
    if not typed.endswith("/") and urlsplit(typed).path in ("", "/"):
        typed += "/"
    return Account(
        url=typed,
        username=str(settings.get("username") or ""),
        password=secrets.get("password", ""),
        ca_file=settings.get("ca_file") or None,
        max_bytes=max_bytes_from(settings),
    )


class Connection:
    """One DAVClient for one account; every request goes through ``send``.

    All requests of one connection share one deadline (``timeout`` from now), and
    every answer is read within the account's size limit.
    """

    def __init__(self, account: Account, timeout: float) -> None:
        from caldav.davclient import DAVClient  # the package exports it lazily, untyped

        self.account = account
        verify: bool | str = True
        if account.ca_file:
            from pathlib import Path

            from connectors.tcp_tls import tls_context

            tls_context(account.ca_file)  # the one check of a CA file: missing, unreadable or not PEM is named
            verify = str(Path(account.ca_file).expanduser())  # niquests takes a path, not a context
        self.client = DAVClient(
            account.url,
            username=account.username,
            password=account.password,
            ssl_verify_cert=verify,
            timeout=max(1, round(timeout)),
            enable_rfc6764=False,  # we discover ourselves, without DNS lookups
        )
        # Proxies and CA bundles from the environment must not override the user's choice.
        self.client.session.trust_env = False
        self.deadline = time.monotonic() + timeout
        # A stand-in that streams every answer within the cap; it passes everything else through.
        self.client.session = CappedSession(self.client.session, account.max_bytes, self.deadline)  # type: ignore[assignment]

    def close(self) -> None:
        self.client.close()

    def propfind(self, url: str, props: str, depth: int = 0, *, probing: bool = False) -> DavAnswer:
        """PROPFIND ``props``. When ``probing`` (discovery), a 403 is an answer, not an error."""
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:a="http://apple.com/ns/ical/"'
            ' xmlns:cs="http://calendarserver.org/ns/">'
            f"<d:prop>{props}</d:prop></d:propfind>"
        )
        return self.send(url, lambda: self.client.propfind(url, body, depth=depth), probing=probing)

    def report(self, url: str, body: str) -> DavAnswer:
        return self.send(url, lambda: self.client.report(url, body, depth=1))

    def send(self, url: str, call: Any, *, probing: bool = False) -> DavAnswer:
        from caldav.lib import error as dav_error

        with classified(url):
            try:
                response = call()
            except dav_error.AuthorizationError as exc:
                if probing and _forbidden(exc):
                    return DavAnswer(403, url, None)
                raise
        raw = response.raw
        tree = None
        if response.status == 207 and raw:
            try:
                tree = ET.fromstring(raw.encode() if isinstance(raw, str) else raw)
            except ET.ParseError:
                raise ConnectorError(
                    ErrorKind.BAD_DATA, f"{redact_url(url)} sent an unreadable WebDAV answer.", field="url"
                ) from None
        return DavAnswer(response.status, url, tree)


@contextmanager
def classified(url: str) -> Iterator[None]:
    """Turn caldav/niquests exceptions into ConnectorErrors naming the server, never a password."""
    from caldav.lib import error as dav_error

    shown = redact_url(url)
    try:
        yield
    except ConnectorError:
        raise
    except dav_error.AuthorizationError as exc:
        if _forbidden(exc):
            raise ConnectorError(
                ErrorKind.AUTH,
                f"This account may not read {shown} (403).",
                hint="Check the URL and that the calendar is shared with this user.",
                field="url",
            ) from None
        raise ConnectorError(
            ErrorKind.AUTH,
            "The CalDAV server did not accept the username or password.",
            hint="Check both; some providers (iCloud, Fastmail) need an app password.",
            field="password",
        ) from None
    except dav_error.RateLimitError as exc:
        wait = getattr(exc, "retry_after_seconds", None)
        raise ConnectorError(
            ErrorKind.RATE_LIMITED,
            f"{shown} asks to slow down." + (f" It asks to wait {wait:.0f} s." if wait else ""),
            hint="Try again later.",
            retry_after=wait,
        ) from None
    except dav_error.DAVError as exc:
        raise ConnectorError(
            ErrorKind.SERVER, f"{shown} answered with an error ({type(exc).__name__}).", field="url"
        ) from None
    except Exception as exc:
        if _is_timeout(exc):
            raise ConnectorError(
                ErrorKind.TIMEOUT,
                f"{shown} did not answer in time.",
                hint="The server may be overloaded or down; try again later.",
                field="url",
            ) from None
        if _is_connection_problem(exc):
            raise transport_error(exc, shown, "url") from None
        raise


def _forbidden(exc: BaseException) -> bool:
    return "forbidden" in str(getattr(exc, "reason", "")).lower()


def _is_timeout(exc: BaseException) -> bool:
    import socket

    names = {type(e).__name__ for e in _chain(exc)}
    return bool(names & {"Timeout", "ReadTimeout", "ConnectTimeout", "ReadTimeoutError", "ConnectTimeoutError"}) or any(
        isinstance(e, (socket.timeout, TimeoutError)) for e in _chain(exc)
    )


def _is_connection_problem(exc: BaseException) -> bool:
    import ssl

    return any(isinstance(e, (OSError, ssl.SSLError)) for e in _chain(exc)) or any(
        type(e).__name__ in ("ConnectionError", "SSLError", "ProtocolError", "MaxRetryError") for e in _chain(exc)
    )


def _chain(exc: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and len(seen) < 10:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen
