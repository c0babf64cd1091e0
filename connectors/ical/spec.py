"""The iCal feed integration type."""

from __future__ import annotations

from connectors.fields import Field, FieldKind
from connectors.types import Category, IntegrationType

ICAL = IntegrationType(
    key="ical",
    name="iCal feed",
    description="A calendar published as an .ics link (webcal, Google/Outlook secret address); read-only.",
    category=Category.CALENDAR,
    aliases=("ics", "webcal", "ical", "calendar", "feed", "subscription", "url"),
    default_label="Calendar feed",
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
    ),
)
