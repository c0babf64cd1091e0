"""The iCal feed integration type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.fields import CA_FILE_FIELD, Field, FieldKind
from connectors.types import Category, IntegrationType


def validate_megabytes(text: str) -> str | None:
    try:
        value = float(text)
    except ValueError:
        return "The size limit is a number of megabytes, e.g. 20."
    if not 1 <= value <= 1024:  # also refuses nan and inf
        return "Choose a size limit between 1 and 1024 megabytes."
    return None


def _display_url(values: Mapping[str, str]) -> dict[str, Any]:
    """The feed's server without path or query, which may carry a private token."""
    url = values.get("url", "").strip()
    if not url:
        return {}  # editing without retyping the URL keeps the stored display form
    from connectors.http import redact_url
    from connectors.ical.feed import normalise_url

    return {"url_display": redact_url(normalise_url(url))}


ICAL = IntegrationType(
    key="ical",
    name="iCal feed",
    description="A calendar published as an .ics link (webcal, Google/Outlook secret address); read-only.",
    category=Category.CALENDAR,
    aliases=("ics", "webcal", "ical", "calendar", "feed", "subscription", "url"),
    default_label="Calendar feed",
    derive_settings=_display_url,
    checker_path="connectors.ical.check:check_feed",
    warm_imports=("httpx", "connectors.http_pool", "icalendar", "recurring_ical_events", "x_wr_timezone"),
    events_path="connectors.ical.check:read_events",
    fields=(
        Field(
            "url",
            "Feed URL",
            FieldKind.URL,
            placeholder="https://example.com/calendar.ics",
            help="webcal:// links are read as https://. The URL is kept in the secret store: "
            "private links carry a token.",
            store_as_secret=True,
        ),
        Field("username", "Username", required=False, advanced=True, help="Only if the feed asks for HTTP sign-in."),
        Field("password", "Password", FieldKind.PASSWORD, required=False, advanced=True),
        Field(
            "max_size_mb",
            "Size limit (MB)",
            required=False,
            default="20",
            advanced=True,
            help="Feeds larger than this are refused rather than downloaded.",
            validator=validate_megabytes,
        ),
        CA_FILE_FIELD,
    ),
)
