"""Pickers: calendars ticked in text, chosen ones by name, an empty account with a way forward."""

from __future__ import annotations

from textual.widgets import Button

from tests.tui.conftest import settle
from tests.tui.helpers import open_new, static_text, type_into
from tests.tui.plugins import GOOD_PASSWORD


async def open_picker(pilot, username: str = "me"):  # type: ignore[no-untyped-def]
    form = await open_new(pilot, "caldav")
    await type_into(pilot, "#field-url", "dav.example.com")
    await type_into(pilot, "#field-username", username)
    await type_into(pilot, "#field-password", GOOD_PASSWORD)
    form.query_one("#field-calendars", Button).focus()
    await pilot.press("enter")
    await settle(pilot)
    return form


async def test_ticked_rows_say_so_in_text_and_chosen_ones_show_their_names(app, caldav_with_options):
    from textual.widgets import OptionList

    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_picker(pilot)
        listing = app.screen.query_one(OptionList)
        await pilot.press("enter")  # ticks Work, the highlighted one
        assert str(listing.get_option_at_index(0).prompt) == "[x] Work"
        await pilot.press("ctrl+a")
        assert [str(listing.get_option_at_index(i).prompt)[:4] for i in range(3)] == ["[x] "] * 3
        await pilot.press("down", "space")  # untick Home
        assert str(listing.get_option_at_index(1).prompt) == "[ ] Home"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert form.editor("calendars").chosen == ["/cal/work/", "/cal/holidays/"]
        assert static_text(pilot, "#chosen-calendars") == "2 chosen: Work, Holidays"


async def test_an_account_without_calendars_gets_a_way_forward(app, caldav_with_options):
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_picker(pilot, username="nobody")
        assert type(app.screen).__name__ == "OptionsPickerScreen"
        text = static_text(pilot, "#options-empty")
        assert "Create one on the server" in text and "check the address and user name" in text
        assert app.screen.focused.id == "cancel" and str(app.screen.focused.label) == "Back to the form"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form and form.editor("calendars").chosen == []
