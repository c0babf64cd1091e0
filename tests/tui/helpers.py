"""Driving the TUI the way a person does: keys, and reading what is on screen."""

from __future__ import annotations

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.conftest import settle


async def type_into(pilot: Pilot, selector: str, text: str, *, clear: bool = True) -> None:
    """Focus an input and paste into it (as a terminal delivers a paste), then type the last key."""
    box = pilot.app.screen.query_one(selector, Input)
    box.focus()
    await pilot.pause()
    if clear:
        box.value = ""
    if len(text) > 1:
        box.post_message(events.Paste(text[:-1]))
        await pilot.pause()
    if text:
        await pilot.press(text[-1])
    await pilot.pause()


def table_text(pilot: Pilot) -> str:
    from widgets.integration_table import IntegrationTable

    table = pilot.app.screen.query_one(IntegrationTable)
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


def static_text(pilot: Pilot, selector: str) -> str:
    from textual.widgets import Static

    return str(pilot.app.screen.query_one(selector, Static).render())


async def open_app(pilot: Pilot) -> None:
    await settle(pilot)


async def open_new(pilot: Pilot, type_query: str):  # type: ignore[no-untyped-def]
    """Press n, search for a type and open its empty form."""
    from screens.integration_form import IntegrationFormScreen

    await settle(pilot)
    await pilot.press("n")
    await pilot.pause()
    await type_into(pilot, "#type-search", type_query)
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, IntegrationFormScreen)
    return pilot.app.screen
