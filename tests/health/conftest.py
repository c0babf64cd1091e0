"""Fixtures for the health tests: storage on a temporary directory with an in-process keyring."""

from __future__ import annotations

from storage.service import Storage


def add_feed(storage: Storage, label: str = "Team", url: str = "https://example.invalid/team.ics") -> int:
    return storage.integrations.add("ical", label, {}, {"url": url}).id
