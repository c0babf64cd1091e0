"""Typing into the form as people do: emptying a field to retype it, keys that arrive in one write."""

from __future__ import annotations

import unicodedata

from textual import events
from textual.pilot import Pilot

from tests.tui.conftest import settle
from tests.tui.helpers import open_new


def _key(character: str) -> events.Key:
    """The Key event a terminal driver makes from one character."""
    named = {"\t": "tab", "\r": "enter", "\x7f": "backspace"}
    if character in named:
        return events.Key(named[character], character)
    key = character if character.isalnum() else unicodedata.name(character).lower().replace("-", "_").replace(" ", "_")
    return events.Key(key, character)


async def feed(pilot: Pilot, chunk: str) -> None:
    """Deliver ``chunk`` as the driver does with one read from the terminal: every key queued at once."""
    for character in chunk:
        pilot.app.post_message(_key(character))
    await settle(pilot)


async def test_emptying_the_port_does_not_refill_it_while_typing(app):
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "imap")
        port = form.query_one("#field-port")
        port.focus()
        await pilot.pause()
        port.cursor_position = len(port.value)
        await pilot.press("backspace", "backspace", "backspace")
        assert form.editor("port").value == ""
        await pilot.press("5", "1", "1", "6", "1")
        assert form.editor("port").value == "51161"
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace", "1")
        assert form.editor("port").value == "1"


async def test_a_port_the_user_typed_no_longer_follows_the_tls_mode(app):
    from textual.widgets import Select

    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "imap")
        port = form.query_one("#field-port")
        port.focus()
        await pilot.pause()
        port.cursor_position = len(port.value)
        await pilot.press("backspace", "backspace", "backspace")
        select = form.query_one("#field-tls_mode", Select)
        select.focus()
        select.value = "starttls"
        await pilot.pause()
        assert form.editor("port").value == ""  # emptied on purpose: the save asks for a port


async def test_keys_that_arrive_in_one_write_go_to_the_field_tab_moves_to(app):
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "imap")
        form.editor("label").input_widget.value = ""
        await feed(pilot, "Work\tme@example.test\tsecret-pw\t")
        assert form.editor("label").value == "Work"
        assert form.editor("username").value == "me@example.test"
        assert form.editor("password").value == "secret-pw"
        assert app.screen.focused is not None and app.screen.focused.id != "field-password"
        # Shift+tab goes back the same way.
        pilot.app.post_message(events.Key("shift+tab", None))
        await settle(pilot)
        assert app.screen.focused.id == "field-password"


async def test_escape_with_changes_asks_and_keep_editing_is_focused(app, context):
    from screens.integration_form import IntegrationFormScreen
    from screens.pick import ConfirmScreen

    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "imap")
        await pilot.press("escape")  # nothing typed yet: leaves at once
        await settle(pilot)
        assert type(app.screen).__name__ == "IntegrationsScreen"
        form = await open_new(pilot, "imap")
        await pilot.press("W")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.focused.id == "cancel" and str(app.screen.focused.label) == "Keep editing"
        await pilot.press("enter")  # keep editing
        await pilot.pause()
        assert app.screen is form and form.label().endswith("W")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("tab", "enter")  # Discard
        await settle(pilot)
        assert not isinstance(app.screen, IntegrationFormScreen)
    assert context.storage.integrations.labels() == set()


async def test_a_slow_tests_indicator_and_its_result_are_scrolled_into_view_at_80x24(app, context, checkable_imap):
    from tests.tui.plugins import GOOD_PASSWORD
    from tests.tui.helpers import type_into

    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "imap")
        await type_into(pilot, "#field-username", "me@example.com")
        await type_into(pilot, "#field-password", GOOD_PASSWORD)
        await type_into(pilot, "#field-host", "imap.example.com")
        form.editor("label").focus_input()  # back at the top, as after tabbing around
        await pilot.pause()
        await pilot.press("ctrl+t")
        await settle(pilot)
        row = form.query_one("#outcome-row")
        scroller = form.query_one("#form")
        assert "INBOX 12 messages" in str(form.query_one("#outcome").render())
        assert scroller.region.contains_region(row.region), (scroller.region, row.region)
