"""Adding calendars through the generic form, against the live feed server and Radicale."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Collapsible, OptionList

from screens.integration_form import IntegrationFormScreen
from storage.records import Status
from tests.connectors.calendar_fixtures import feed_server, seeded_radicale  # noqa: F401 - fixtures
from tests.servers.feeds import SECRET_TOKEN, FeedServer
from tests.servers.radicale import PASSWORD, USER, RadicaleServer
from tests.tui.conftest import make_app, settle
from tests.tui.helpers import open_new, static_text, type_into

pytestmark = pytest.mark.realserver


# These tests reach the live loopback servers, so they use the real types (with their
# checkers and calendar discovery), not the offline ones the other TUI tests use.
@pytest.fixture
def app(tui_data, tmp_path, keyring_store):  # type: ignore[no-untyped-def]
    return make_app(tui_data, tmp_path)


@pytest.fixture
def context(tui_data, keyring_store):  # type: ignore[no-untyped-def]
    from app.core.context import open_context

    return open_context(tui_data)


async def trust_ca(pilot, form: IntegrationFormScreen, ca_file: str) -> None:  # type: ignore[no-untyped-def]
    form.query_one(Collapsible).collapsed = False  # "Advanced settings"
    await pilot.pause()
    await type_into(pilot, "#field-ca_file", ca_file)


async def test_add_a_feed_through_the_form_shows_the_preview(app, context, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.url(f"/private/{SECRET_TOKEN}/team.ics")
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_new(pilot, "webcal")
        await type_into(pilot, "#field-label", "Team")
        await type_into(pilot, "#field-url", url)
        await trust_ca(pilot, form, str(feed_server.ca_file))
        await pilot.press("ctrl+s")
        await settle(pilot)
        outcome = static_text(pilot, "#outcome")
        assert "Connected" in outcome and "Team: 4 events" in outcome
        assert "Planning @ Room 4" in outcome and "Offsite" in outcome
        assert SECRET_TOKEN not in outcome
        assert form.query_one("#field-url").value == ""  # the private link is off the screen
    saved = context.storage.integrations.find("Team")
    assert saved.status is Status.CONNECTED
    assert saved.settings["url_display"] == f"{feed_server.base_url}/…"
    assert SECRET_TOKEN not in str(saved.settings)
    assert context.storage.integrations.read_secrets(saved)["url"] == url


async def test_add_caldav_through_the_form_choosing_calendars(  # type: ignore[no-untyped-def]
    app, context, seeded_radicale: tuple[RadicaleServer, dict[str, str]]
) -> None:
    server, urls = seeded_radicale
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_new(pilot, "radicale")
        await type_into(pilot, "#field-url", server.url.removeprefix("https://"))
        await type_into(pilot, "#field-username", USER)
        await type_into(pilot, "#field-password", PASSWORD)
        await trust_ca(pilot, form, str(server.ca_file))
        form.query_one("#field-calendars", Button).focus()
        await pilot.press("enter")
        await settle(pilot)
        picker = app.screen
        assert type(picker).__name__ == "OptionsPickerScreen"
        listing = picker.query_one(OptionList)

        def prompts() -> list[str]:
            return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]

        assert prompts() == ["[ ] Holidays  (read-only)", "[ ] Work"]  # the state in text, not only in colour
        await pilot.press("space", "down", "space")
        assert prompts() == ["[x] Holidays  (read-only)", "[x] Work"]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert form.editor("calendars").chosen == [urls["holidays"], urls["work"]]
        assert "2 chosen: Holidays, Work" in static_text(pilot, "#chosen-calendars")  # names, not URLs
        await pilot.press("ctrl+s")
        await settle(pilot)
        outcome = static_text(pilot, "#outcome")
        assert "Connected" in outcome and "2 calendars, 3 events in the next 30 days" in outcome
        assert "Holidays (read-only): 1 event" in outcome and "Design review" in outcome
    saved = context.storage.integrations.find("Calendar")
    assert saved.status is Status.CONNECTED
    assert saved.settings["calendars"] == [urls["holidays"], urls["work"]]
    assert PASSWORD not in str(saved.settings)
