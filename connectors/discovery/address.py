"""An email address split into the parts discovery asks about, with one-line reasons when it cannot be."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from connectors.discovery.model import clean_text, valid_host


class AddressError(ValueError):
    """The address cannot be used for discovery; the message is one line for a person."""


@dataclass(frozen=True)
class Address:
    text: str
    local: str
    domain: str  # lower case, IDNA (xn--) form, no trailing dot


def parse_address(text: str) -> Address:
    text = text.strip()
    shown = clean_text(text, 60)
    if not text:
        raise AddressError("Type an email address, e.g. alice@example.com.")
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        raise AddressError(f"{shown!r} is not an email address: it contains spaces or control characters.")
    local, at, domain = text.rpartition("@")
    if not at:
        raise AddressError(f"{shown!r} has no domain: type the whole address, e.g. {shown}@example.com.")
    if not local:
        raise AddressError(f"{shown!r} has nothing before the @: type the whole address.")
    if not domain:
        raise AddressError(f"{shown!r} has no domain after the @: type the whole address, e.g. {local}@example.com.")
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        ascii_domain = ""
    host = valid_host(ascii_domain)
    if host is None or host == "localhost" or ascii_domain.replace(".", "").isdigit():
        raise AddressError(f"{clean_text(domain, 60)!r} is not a domain name, so {shown!r} cannot be looked up.")
    return Address(text, local, host)
