"""Every integration type tether knows, in the order the type picker shows them."""

from __future__ import annotations

from connectors.caldav.spec import CALDAV
from connectors.gmail.spec import GMAIL
from connectors.ical.spec import ICAL
from connectors.imap.spec import IMAP
from connectors.types import IntegrationType


class UnknownType(KeyError):
    def __str__(self) -> str:
        known = ", ".join(t.key for t in TYPES)
        return f"Unknown integration type {self.args[0]!r}; known types: {known}."


TYPES: tuple[IntegrationType, ...] = (IMAP, GMAIL, ICAL, CALDAV)
_BY_KEY = {t.key: t for t in TYPES}


def get_type(key: str) -> IntegrationType:
    try:
        return _BY_KEY[key]
    except KeyError:
        raise UnknownType(key) from None


def search_types(query: str, category: str | None = None) -> list[IntegrationType]:
    return [t for t in TYPES if t.matches(query) and (category is None or t.category == category)]
