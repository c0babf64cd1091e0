"""Thunderbird-format autoconfig files (config-v1.1.xml): where to fetch them and how to read them safely.

The file is outside text from whoever runs the web server for the domain. It is
fetched with a small size cap and parsed with DTDs and entities refused outright
(so no entity expansion, no external files), and every value is checked before it
becomes a candidate. Only IMAP servers over TLS or STARTTLS are suggested.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from connectors.discovery.address import Address
from connectors.discovery.model import (
    Candidate,
    DiscoverySettings,
    Outcome,
    Service,
    SourceReport,
    SourceResult,
    clean_text,
    time_left,
    tls_mode_for,
    valid_host,
    valid_port,
)
from connectors.errors import ConnectorError, ErrorKind

MAX_BYTES = 128 * 1024  # real files are a few KB
MAX_SERVERS = 6
USER_AGENT = "tether (settings discovery)"


class AutoconfigError(ValueError):
    """The file cannot be used; the message is one line."""


def urls(address: Address, settings: DiscoverySettings) -> list[tuple[str, str]]:
    """(source name, URL) for the two places a domain publishes its file, in the order to prefer."""
    base = settings.autoconfig_base

    def at(host: str) -> str:
        return base.replace("{host}", host)

    return [
        (
            f"autoconfig file at autoconfig.{address.domain}",
            at(f"autoconfig.{address.domain}") + f"/mail/config-v1.1.xml?emailaddress={quote(address.text, safe='@')}",
        ),
        (
            f"autoconfig file at {address.domain}/.well-known",
            at(address.domain) + "/.well-known/autoconfig/mail/config-v1.1.xml",
        ),
    ]


def fetch(name: str, url: str, address: Address, settings: DiscoverySettings, deadline: float) -> SourceResult:
    import httpx  # noqa: F401 - loaded before the clock is read, so the import does not eat the timeout

    from connectors import http

    request = http.Request(
        url,
        ca_file=settings.ca_file,
        headers={"User-Agent": USER_AGENT, "Accept": "application/xml, text/xml"},
        max_bytes=MAX_BYTES,
        max_redirects=3,
        field=None,
    )
    try:
        answer = http.get(request, time_left(deadline))
    except ConnectorError as error:
        outcome = Outcome.TIMED_OUT if error.kind is ErrorKind.TIMEOUT else Outcome.FAILED
        return SourceResult(SourceReport(name, outcome, f"{name}: {error.message}"))
    if answer.status in (404, 410):
        return SourceResult(SourceReport(name, Outcome.NOTHING, f"{name}: none published (HTTP {answer.status})."))
    if not 200 <= answer.status < 300:
        return SourceResult(SourceReport(name, Outcome.FAILED, f"{name}: the server answered HTTP {answer.status}."))
    if answer.redirected_to_http:
        return SourceResult(SourceReport(name, Outcome.FAILED, f"{name}: redirected to plain http, not used."))
    try:
        found = parse(answer.body, address, name, answer.content_type)
    except AutoconfigError as error:
        return SourceResult(SourceReport(name, Outcome.FAILED, f"{name}: {error}"))
    if not found:
        return SourceResult(SourceReport(name, Outcome.NOTHING, f"{name}: names no IMAP server over TLS."))
    return SourceResult(SourceReport(name, Outcome.FOUND, f"{name}: {len(found)} IMAP server(s)."), found)


def parse(body: bytes, address: Address, source: str, content_type: str = "") -> tuple[Candidate, ...]:
    """The IMAP servers a config-v1.1.xml names, checked; AutoconfigError for anything else."""
    if len(body) > MAX_BYTES:
        raise AutoconfigError(f"the file is larger than {MAX_BYTES // 1024} KB, not read.")
    head = body[:512].lstrip().lower()
    if content_type == "text/html" or head.startswith((b"<!doctype html", b"<html")):
        raise AutoconfigError("the server sent a web page (HTML), not a mail configuration.")
    root = _parse_xml(body)
    if root.tag != "clientConfig":
        raise AutoconfigError(f"the file is XML but not a mail configuration (<{clean_text(str(root.tag), 30)}>).")
    found: list[Candidate] = []
    skipped: list[str] = []
    for provider in root.findall("emailProvider"):
        display = clean_text(provider.findtext("displayName") or "", 40)
        for server in provider.findall("incomingServer"):
            if (server.get("type") or "").lower() != "imap":
                continue
            candidate = _server(server, address, source, display, skipped)
            if candidate is not None and candidate not in found:
                found.append(candidate)
            if len(found) >= MAX_SERVERS:
                break
    if not found and skipped:
        raise AutoconfigError(skipped[0])
    return tuple(found)


def _parse_xml(body: bytes) -> Any:
    import defusedxml.ElementTree as safe_tree
    from defusedxml import DefusedXmlException

    try:
        return safe_tree.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise AutoconfigError("the file declares a DTD or entities, which tether refuses to read.") from None
    except safe_tree.ParseError as error:
        raise AutoconfigError(f"the file is not well-formed XML ({clean_text(str(error), 60)}).") from None


def _server(server: Any, address: Address, source: str, display: str, skipped: list[str]) -> Candidate | None:
    raw_host = (server.findtext("hostname") or "").strip().replace("%EMAILDOMAIN%", address.domain)
    host = valid_host(raw_host)
    port = valid_port(server.findtext("port") or "")
    socket_type = (server.findtext("socketType") or "").strip()
    tls_mode = tls_mode_for(socket_type)
    if host is None:
        skipped.append(f"it names a server that is not a valid host name ({clean_text(raw_host, 40)!r}).")
        return None
    if port is None:
        skipped.append(f"it names a port out of range for {host}.")
        return None
    if tls_mode is None:
        skipped.append(f"it offers {host} only without encryption ({clean_text(socket_type, 20) or 'no socketType'}).")
        return None
    notes = [f"provider: {display}." if display else ""]
    methods = {(m.text or "").strip().lower() for m in server.findall("authentication")}
    if methods and methods <= {"oauth2"}:
        notes.append("The server expects OAuth sign-in.")
    username = _username(server.findtext("username") or "", address)
    return Candidate(
        Service.MAIL, "imap", (source,), host, port, tls_mode, username=username, note=" ".join(n for n in notes if n)
    )


def _username(template: str, address: Address) -> str:
    """The sign-in name when it differs from the address (e.g. only the part before the @)."""
    name = (
        template.strip()
        .replace("%EMAILADDRESS%", address.text)
        .replace("%EMAILLOCALPART%", address.local)
        .replace("%EMAILDOMAIN%", address.domain)
    )
    name = clean_text(name, 80)
    return "" if not name or name == address.text or "%" in name else name
