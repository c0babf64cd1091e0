"""What the list and the detail pane say about an integration's settings."""

from __future__ import annotations

from app.core.formatting import visible_settings
from storage.service import Storage


def test_a_secret_feed_url_shows_only_its_server(storage: Storage) -> None:
    from connectors.registry import get_type

    ical = get_type("ical")
    values = {"url": "https://cal.example.com/private/t0ken-123/basic.ics", "max_size_mb": "20"}
    integration = storage.integrations.add("ical", "Team", ical.settings_from(values), ical.secrets_from(values))
    shown = dict(visible_settings(integration))
    assert shown["Feed URL"] == "https://cal.example.com/… (stored)"
    assert shown["Password"] == "not set"
    assert "t0ken" not in str(shown)
