"""The CalDAV integration type."""

from __future__ import annotations

import re

from connectors.fields import CA_FILE_FIELD, Field, FieldKind, validate_host, validate_port, validate_url
from connectors.ical.spec import validate_megabytes
from connectors.types import Category, IntegrationType

_HOST_AND_PORT = re.compile(r"^(?P<host>\[[^\]]+\]|[^:\[\]]+):(?P<port>[^:]*)$")


def validate_server(text: str) -> str | None:
    """A full URL, or just a host name with an optional port (https:// is assumed)."""
    if "://" in text:
        return validate_url(text)
    authority = text.split("/", 1)[0]
    if match := _HOST_AND_PORT.match(authority):
        host = match["host"].strip("[]") if match["host"].startswith("[") else match["host"]
        return validate_host(host) or validate_port(match["port"])
    return validate_host(authority)


CALDAV = IntegrationType(
    key="caldav",
    name="CalDAV calendar",
    description="Calendars on a CalDAV server (Nextcloud, Fastmail, iCloud, Radicale); pick which to use.",
    category=Category.CALENDAR,
    aliases=("caldav", "calendar", "nextcloud", "icloud", "radicale", "fastmail", "dav"),
    default_label="Calendar",
    checker_path="connectors.caldav.check:check_caldav",
    warm_imports=("caldav.davclient", "caldav.lib.error", "icalendar", "recurring_ical_events", "x_wr_timezone"),
    events_path="connectors.caldav.events:read_events",
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
        Field(
            "calendars",
            "Calendars",
            FieldKind.CALENDARS,
            required=False,
            help="Which calendars to use; found on the server after signing in.",
            options_path="connectors.caldav.discovery:calendar_options",
        ),
        Field(
            "max_size_mb",
            "Size limit (MB)",
            required=False,
            default="20",
            advanced=True,
            help="Answers from the server larger than this are refused rather than read.",
            validator=validate_megabytes,
        ),
        CA_FILE_FIELD,
    ),
)
