"""DNS sources: SRV records for IMAP (RFC 6186) and CalDAV (RFC 6764), and MX records at Google or Microsoft.

dnspython is imported only when a lookup runs. Every query has the time left in the
discovery budget as its whole lifetime, so a resolver that never answers costs no more.
An MX lookup also says whether the domain exists at all.
"""

from __future__ import annotations

from typing import Any

from connectors.discovery.address import Address
from connectors.discovery.model import (
    TLS_IMPLICIT,
    TLS_STARTTLS,
    Candidate,
    DiscoverySettings,
    Outcome,
    Service,
    SourceReport,
    SourceResult,
    clean_text,
    time_left,
    valid_host,
)
from connectors.discovery.providers import GOOGLE, MICROSOFT, candidates_for

MAX_RECORDS = 4
GOOGLE_MX = (".google.com", ".googlemail.com")
MICROSOFT_MX = (".mail.protection.outlook.com", ".outlook.com")


class _NoRecords(Exception):
    """The name exists but has no record of that type, or the domain does not exist (``missing``)."""

    def __init__(self, missing: bool) -> None:
        super().__init__()
        self.missing = missing


def _resolve(name: str, rdtype: str, settings: DiscoverySettings, deadline: float) -> list[Any]:
    import dns.resolver

    if settings.dns_server is not None:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [settings.dns_server[0]]
        resolver.port = settings.dns_server[1]
    else:
        resolver = dns.resolver.Resolver()
    resolver.timeout = resolver.lifetime = time_left(deadline)
    try:
        answer = resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
    except dns.resolver.NXDOMAIN:
        raise _NoRecords(missing=True) from None
    records = list(answer.rrset or ())
    if not records:
        raise _NoRecords(missing=False)
    return records


def timeout_text(budget: float) -> str:
    return f"the DNS server did not answer within {budget:.0f} s."


def _failure(name: str, exc: Exception, budget: float) -> SourceReport:
    """A DNS problem as one line: timeouts, a failing server, or no resolver at all."""
    import dns.exception
    import dns.resolver

    if isinstance(exc, dns.exception.Timeout):
        return SourceReport(name, Outcome.TIMED_OUT, f"{name}: {timeout_text(budget)}")
    if isinstance(exc, dns.resolver.NoNameservers):
        return SourceReport(name, Outcome.FAILED, f"{name}: the DNS server refused or failed the query.")
    if isinstance(exc, dns.resolver.NoResolverConfiguration):
        return SourceReport(name, Outcome.FAILED, f"{name}: this computer has no DNS resolver configured.")
    return SourceReport(name, Outcome.FAILED, f"{name}: DNS lookup failed ({type(exc).__name__}).")


def srv_mail(service: str, address: Address, settings: DiscoverySettings, deadline: float) -> SourceResult:
    """``_imaps._tcp`` (implicit TLS) or ``_imap._tcp`` (STARTTLS) for the address's domain."""
    qname = f"{service}._tcp.{address.domain}"
    name = f"DNS SRV {qname}"
    tls_mode = TLS_IMPLICIT if service == "_imaps" else TLS_STARTTLS
    targets = _srv(qname, name, settings, deadline)
    if isinstance(targets, SourceReport):
        return SourceResult(targets)
    found = tuple(Candidate(Service.MAIL, "imap", (name,), host, port, tls_mode) for host, port in targets)
    return SourceResult(SourceReport(name, Outcome.FOUND, f"{name}: {_list(targets)}."), found)


def srv_caldav(address: Address, settings: DiscoverySettings, deadline: float) -> SourceResult:
    """``_caldavs._tcp`` with the context path from its TXT record (RFC 6764), else /.well-known/caldav."""
    qname = f"_caldavs._tcp.{address.domain}"
    name = f"DNS SRV {qname}"
    targets = _srv(qname, name, settings, deadline)
    if isinstance(targets, SourceReport):
        return SourceResult(targets)
    path = _txt_path(qname, settings, deadline)
    found = tuple(
        Candidate(Service.CALENDAR, "caldav", (name,), url=f"https://{host}{'' if port == 443 else f':{port}'}{path}")
        for host, port in targets
    )
    return SourceResult(SourceReport(name, Outcome.FOUND, f"{name}: {_list(targets)}."), found)


def mx(address: Address, settings: DiscoverySettings, deadline: float) -> SourceResult:
    """MX records: a domain hosted by Google or Microsoft gets that provider's type; NXDOMAIN says it is not there."""
    name = f"DNS MX {address.domain}"
    try:
        records = _resolve(address.domain, "MX", settings, deadline)
    except _NoRecords as none:
        if none.missing:
            message = f"{address.domain} does not exist (DNS has no such domain)."
            return SourceResult(SourceReport(name, Outcome.NOTHING, message, domain_missing=True))
        return SourceResult(SourceReport(name, Outcome.NOTHING, f"{name}: the domain receives no mail (no MX record)."))
    except Exception as exc:  # dnspython's errors are many; each becomes one line
        return SourceResult(_failure(name, exc, settings.budget))
    exchanges = [valid_host(record.exchange.to_text(omit_final_dot=True)) or "" for record in records]
    for suffixes, provider in ((GOOGLE_MX, GOOGLE), (MICROSOFT_MX, MICROSOFT)):
        if any(host.endswith(suffixes) for host in exchanges):
            source = f"{name} (mail hosted by {provider.name})"
            found = candidates_for(provider, source)
            return SourceResult(SourceReport(name, Outcome.FOUND, f"{name}: mail is hosted by {provider.name}."), found)
    shown = clean_text(", ".join(h for h in exchanges[:2] if h), 60)
    return SourceResult(
        SourceReport(name, Outcome.NOTHING, f"{name}: {shown or 'no usable host'}, not a known provider.")
    )


def _srv(qname: str, name: str, settings: DiscoverySettings, deadline: float) -> list[tuple[str, int]] | SourceReport:
    try:
        records = _resolve(qname, "SRV", settings, deadline)
    except _NoRecords:
        return SourceReport(name, Outcome.NOTHING, f"{name}: no record.")
    except Exception as exc:
        return _failure(name, exc, settings.budget)
    ordered = sorted(records, key=lambda r: (r.priority, -r.weight))
    targets: list[tuple[str, int]] = []
    for record in ordered:
        target = record.target.to_text(omit_final_dot=True)
        if target in ("", "."):
            return SourceReport(name, Outcome.NOTHING, f"{name}: the domain says it offers no such service.")
        host = valid_host(target)
        if host is not None and 1 <= record.port <= 65535 and (host, record.port) not in targets:
            targets.append((host, record.port))
    if not targets:
        return SourceReport(name, Outcome.FAILED, f"{name}: the record names no valid host and port.")
    return targets[:MAX_RECORDS]


def _txt_path(qname: str, settings: DiscoverySettings, deadline: float) -> str:
    default = "/.well-known/caldav"
    if time_left(deadline) <= 0.1:
        return default
    try:
        records = _resolve(qname, "TXT", settings, deadline)
    except Exception:
        return default  # the path is optional; the SRV target alone is still worth offering
    for record in records:
        text = b"".join(record.strings).decode("ascii", "replace")
        if text.startswith("path="):
            path = text.removeprefix("path=")
            if path.startswith("/") and clean_text(path, 200) == path and " " not in path:
                return path
    return default


def _list(targets: list[tuple[str, int]]) -> str:
    return ", ".join(f"{host}:{port}" for host, port in targets)
