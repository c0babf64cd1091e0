"""What discovery returns, and the checks every value from outside passes before it becomes a candidate.

Everything a DNS server or an autoconfig file says is outside text: a host must be a
plain host name or IP address, a port 1-65535, a TLS mode one tether knows, and any
text shown to a person is stripped of control characters and shortened.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

TLS_IMPLICIT = "implicit"
TLS_STARTTLS = "starttls"
TLS_MODES = (TLS_IMPLICIT, TLS_STARTTLS)

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


class Service(StrEnum):
    MAIL = "mail"
    CALENDAR = "calendar"

    @property
    def heading(self) -> str:
        return "Mail" if self is Service.MAIL else "Calendars"

    @property
    def settings_type(self) -> str:
        """The type whose server settings a plain candidate of this service fills in."""
        return "imap" if self is Service.MAIL else "caldav"


class Outcome(StrEnum):
    FOUND = "found"
    NOTHING = "nothing"  # asked and answered, but had nothing for this domain
    FAILED = "failed"  # answered with something unusable, or could not be reached
    TIMED_OUT = "timed out"


@dataclass(frozen=True)
class Candidate:
    """One set of settings a source suggests; nothing is used until a person accepts it."""

    service: Service
    type_key: str  # the integration type suggested: imap, gmail, outlook, caldav (may not be installed)
    sources: tuple[str, ...]  # where it came from, in words
    host: str = ""
    port: int = 0
    tls_mode: str = ""
    url: str = ""  # CalDAV: where to start looking for calendars
    username: str = ""  # the sign-in name a source asks for, when it is not the address
    note: str = ""  # e.g. "needs an app password"

    @property
    def key(self) -> tuple[str, ...]:
        return (self.service, self.type_key, self.host, str(self.port), self.tls_mode, self.url.rstrip("/"))

    @property
    def source(self) -> str:
        return "; ".join(self.sources)

    @property
    def where(self) -> str:
        """The server in one phrase: "imap.example.com:993, implicit TLS" or a URL."""
        if self.url:
            return self.url
        tls = "implicit TLS" if self.tls_mode == TLS_IMPLICIT else "STARTTLS"
        return f"{self.host}:{self.port}, {tls}"

    def form_values(self) -> dict[str, str]:
        """The form fields accepting this candidate fills in, and only those."""
        if self.url:
            return {"url": self.url}
        return {"host": self.host, "port": str(self.port), "tls_mode": self.tls_mode}

    def merged(self, other: Candidate) -> Candidate:
        sources = self.sources + tuple(s for s in other.sources if s not in self.sources)
        notes = self.note if not other.note or other.note in self.note else f"{self.note} {other.note}".strip()
        return Candidate(
            self.service,
            self.type_key,
            sources,
            self.host,
            self.port,
            self.tls_mode,
            self.url,
            self.username or other.username,
            notes,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": str(self.service),
            "type": self.type_key,
            "host": self.host or None,
            "port": self.port or None,
            "tls_mode": self.tls_mode or None,
            "url": self.url or None,
            "username": self.username or None,
            "note": self.note or None,
            "sources": list(self.sources),
        }


@dataclass(frozen=True)
class SourceReport:
    """What one source said, in one line."""

    name: str
    outcome: Outcome
    message: str
    domain_missing: bool = False  # DNS says the domain itself does not exist

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.name, "outcome": str(self.outcome), "message": self.message}


@dataclass(frozen=True)
class SourceResult:
    report: SourceReport
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class Discovery:
    address: str
    domain: str
    candidates: tuple[Candidate, ...]
    reports: tuple[SourceReport, ...]
    elapsed: float

    def for_service(self, service: Service) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c.service is service)

    @property
    def problem(self) -> str:
        """Why nothing was found, in one line; empty when something was."""
        if self.candidates:
            return ""
        for report in self.reports:
            if report.domain_missing:
                return report.message
        # A resolver that does not answer explains everything else that failed, so it comes first.
        dns_timeouts = [r for r in self.reports if r.outcome is Outcome.TIMED_OUT and r.name.startswith("DNS")]
        failed = [r for r in self.reports if r.outcome in (Outcome.FAILED, Outcome.TIMED_OUT)]
        if dns_timeouts or failed:
            return (dns_timeouts or failed)[0].message
        return f"No provider table entry, autoconfig file or DNS record describes mail for {self.domain}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "domain": self.domain,
            "candidates": [c.to_dict() for c in self.candidates],
            "sources": [r.to_dict() for r in self.reports],
            "problem": self.problem or None,
            "elapsed_seconds": round(self.elapsed, 2),
        }


def merge(candidates: list[Candidate]) -> tuple[Candidate, ...]:
    """One entry per server, keeping the first source's order and listing every source that named it."""
    by_key: dict[tuple[str, ...], Candidate] = {}
    for candidate in candidates:
        known = by_key.get(candidate.key)
        by_key[candidate.key] = known.merged(candidate) if known else candidate
    return tuple(by_key.values())


def clean_text(text: str, limit: int = 80) -> str:
    """Outside text made safe to show: no control or direction characters, one line, bounded."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def valid_host(text: str) -> str | None:
    """The host name or IP address as tether will use it, or None when ``text`` is not one."""
    text = text.strip().rstrip(".").lower()
    if not text or len(text) > 253:
        return None
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        pass
    labels = text.split(".")
    if len(labels) < 2 and text != "localhost":
        return None
    if all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit():
        return text
    return None


def time_left(deadline: float) -> float:
    """Seconds until a ``time.monotonic()`` deadline, never zero (libraries treat 0 as "no wait" or "forever")."""
    return max(deadline - time.monotonic(), 0.05)


def valid_port(value: object) -> int | None:
    text = str(value).strip()
    if not text.isdigit() or len(text) > 5:
        return None
    port = int(text)
    return port if 1 <= port <= 65535 else None


def tls_mode_for(socket_type: str) -> str | None:
    """An autoconfig socketType as tether's tls_mode; plain text is never suggested."""
    return {"ssl": TLS_IMPLICIT, "tls": TLS_IMPLICIT, "starttls": TLS_STARTTLS}.get(socket_type.strip().lower())


@dataclass(frozen=True)
class DiscoverySettings:
    """Where discovery asks. Defaults are the real internet; tests point them at loopback servers."""

    dns_server: tuple[str, int] | None = None  # None: the system's resolver
    autoconfig_base: str = "https://{host}"  # {host} becomes autoconfig.DOMAIN or DOMAIN
    ca_file: str | None = None  # an extra CA to trust for autoconfig and /.well-known (never less checking)
    budget: float = 3.0  # seconds for all sources together

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> DiscoverySettings:
        """TETHER_DNS_SERVER (ip or ip:port), TETHER_AUTOCONFIG_URL (https://…{host}…), TETHER_DISCOVERY_CA_FILE."""
        server = environ.get("TETHER_DNS_SERVER", "").strip()
        base = environ.get("TETHER_AUTOCONFIG_URL", "").strip() or cls.autoconfig_base
        if not base.startswith("https://") or "{host}" not in base:
            raise ValueError("TETHER_AUTOCONFIG_URL must start with https:// and contain {host}.")
        return cls(
            dns_server=parse_dns_server(server) if server else None,
            autoconfig_base=base.rstrip("/"),
            ca_file=environ.get("TETHER_DISCOVERY_CA_FILE", "").strip() or None,
        )


def parse_dns_server(text: str) -> tuple[str, int]:
    """ "192.0.2.1", "192.0.2.1:5353", "::1" or "[::1]:5353" as (address, port)."""
    host, port = text, "53"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":") or "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        raise ValueError(f"TETHER_DNS_SERVER must be an IP address with an optional :port, not {text!r}.") from None
    number = valid_port(port)
    if number is None:
        raise ValueError(f"TETHER_DNS_SERVER has a port out of range: {port!r}.")
    return address, number
