"""Field declarations for integration types, and the validators they use.

A form (in the TUI) and the command line both render and validate a type
from these declarations alone, so adding a type never touches a screen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# A validator returns None when the value is fine, or a message a person can act on.
Validator = Callable[[str], "str | None"]


class FieldKind(StrEnum):
    TEXT = "text"
    PASSWORD = "password"
    PORT = "port"
    HOST = "host"
    URL = "url"
    CHOICE = "choice"
    PATH = "path"
    CALENDARS = "calendars"  # filled by a connector's discovery, not typed


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    default: str | None = None
    help: str = ""
    placeholder: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    validator: Validator | None = None
    # A default that depends on other fields, e.g. the port on the TLS mode.
    derived_default: Callable[[Mapping[str, str]], str | None] | None = None
    advanced: bool = False
    # "module:function" listing the values to choose from, found by asking the server
    # (e.g. CalDAV calendars). Called as fn(CheckRequest) -> list[Option], off the UI thread.
    options_path: str | None = None
    # Kept in the secret store though typed in the clear (e.g. a feed URL with a token in it).
    store_as_secret: bool = False

    @property
    def secret(self) -> bool:
        return self.kind is FieldKind.PASSWORD or self.store_as_secret

    def default_for(self, values: Mapping[str, str]) -> str:
        if self.derived_default is not None:
            derived = self.derived_default(values)
            if derived is not None:
                return derived
        return self.default or ""

    def validate(self, text: str) -> str | None:
        """Check one value as typed; return a message or None."""
        if _CONTROL_CHARS.search(text):
            return f"{self.label} contains control characters; type it again without them."
        if not text.strip():
            return f"{self.label} is required." if self.required else None
        builtin = _KIND_VALIDATORS.get(self.kind)
        if builtin is not None and (message := builtin(text.strip())):
            return message
        if self.kind is FieldKind.CHOICE and self.choices:
            allowed = [value for value, _ in self.choices]
            if text.strip() not in allowed:
                return f"{self.label} must be one of: {', '.join(allowed)}."
        if self.validator is not None:
            return self.validator(text.strip())
        return None

    def parse(self, text: str) -> Any:
        """Turn validated text into the value stored in settings."""
        text = text.strip()
        if self.kind is FieldKind.PORT:
            return int(text) if text else None
        if self.kind is FieldKind.CALENDARS:
            return [part.strip() for part in text.split(",") if part.strip()]
        return text

    def format(self, value: Any) -> str:
        """Turn a stored setting back into text for a form or the CLI."""
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return str(value)


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def validate_port(text: str) -> str | None:
    if not text.isdigit():
        return "Port must be a number between 1 and 65535."
    if not 1 <= int(text) <= 65535:
        return f"Port {text} is out of range: use a number between 1 and 65535."
    return None


def validate_host(text: str) -> str | None:
    if "://" in text:
        return "Enter the server name only, without a scheme such as imaps:// (for example imap.example.com)."
    if any(ch.isspace() for ch in text):
        return "A server name cannot contain spaces."
    if ":" in text and not text.startswith("["):
        # Bare IPv6 addresses are fine; "host:port" is not.
        if text.count(":") == 1:
            return "Put the port in the Port field, not after the server name."
        return None
    if text.startswith("[") and text.endswith("]"):
        return None
    if "/" in text:
        return "Enter the server name only, without a path."
    labels = text.rstrip(".").split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        return f"{text!r} is not a valid server name (letters, digits, dots and hyphens only)."
    return None


URL_SCHEMES = ("http://", "https://", "webcal://", "webcals://")


def validate_url(text: str) -> str | None:
    if any(ch.isspace() for ch in text):
        return "A URL cannot contain spaces."
    lowered = text.lower()
    if not lowered.startswith(URL_SCHEMES):
        return "The URL must start with https://, http:// or webcal:// (for example https://example.com/calendar.ics)."
    rest = text.split("://", 1)[1]
    host = rest.split("/", 1)[0].split("@")[-1]
    if not host or host.startswith(":"):
        return "The URL has no server name after the scheme."
    return url_address_problem(text)


def url_address_problem(text: str) -> str | None:
    """What is wrong with a URL's server part (an unclosed [IPv6 bracket, a port past 65535), if anything."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
    except ValueError:
        return "The URL's server address is malformed (an IPv6 address must be closed with ], as in https://[::1]/)."
    try:
        port = parts.port
    except ValueError:
        return "The URL's port is not a number from 1 to 65535."
    if port == 0:
        return "The URL's port is not a number from 1 to 65535."
    return None


def validate_path(text: str) -> str | None:
    import os
    from pathlib import Path

    path = Path(text).expanduser()
    if not path.exists():
        return f"No file at {text}."
    if not path.is_file():
        return f"{text} is not a regular file."
    if not os.access(path, os.R_OK):
        return f"{text} cannot be read (permission denied)."
    return None


_KIND_VALIDATORS: dict[FieldKind, Validator] = {
    FieldKind.PORT: validate_port,
    FieldKind.HOST: validate_host,
    FieldKind.URL: validate_url,
    FieldKind.PATH: validate_path,
}


# Every type that speaks TLS offers this, for self-hosted servers with their own CA.
CA_FILE_FIELD = Field(
    "ca_file",
    "Trust this CA file",
    FieldKind.PATH,
    required=False,
    advanced=True,
    help="Only for a self-hosted server with its own certificate authority (PEM file).",
)


@dataclass(frozen=True)
class Option:
    """One value a person may pick for a field whose options come from the server."""

    value: str
    label: str
    note: str = ""  # e.g. "read-only"
    color: str | None = None


@dataclass(frozen=True)
class FormErrors:
    """Messages by field name; the label is the pseudo-field ``label``."""

    by_field: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def first(self) -> str:
        return next(iter(self.by_field.values()), "")
