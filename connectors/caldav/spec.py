"""The CalDAV integration type."""

from __future__ import annotations

from connectors.fields import Field, FieldKind, validate_host, validate_url
from connectors.types import Category, IntegrationType


def validate_server(text: str) -> str | None:
    """A full URL, or just a host name (https:// is assumed)."""
    if "://" in text:
        return validate_url(text)
    return validate_host(text.split("/", 1)[0])


CALDAV = IntegrationType(
    key="caldav",
    name="CalDAV calendar",
    description="Calendars on a CalDAV server (Nextcloud, Fastmail, iCloud, Radicale); pick which to use.",
    category=Category.CALENDAR,
    aliases=("caldav", "calendar", "nextcloud", "icloud", "radicale", "fastmail", "dav"),
    default_label="Calendar",
    fields=(
        Field(
            "url",
            "Server",
            placeholder="https://dav.example.com or dav.example.com",
            help="The CalDAV URL, or just the server name: tether finds the calendars.",
            validator=validate_server,
        ),
        Field("username", "Username"),
        Field("password", "Password", FieldKind.PASSWORD),
        Field("calendars", "Calendars", FieldKind.CALENDARS, required=False),
    ),
)
