"""The workflows screen: create, edit, attach and detach integrations, delete."""

from __future__ import annotations

import pytest
from textual.widgets import Switch

from storage.records import Access, LinkSpec, Role
from tests.tui.conftest import settle
from tests.tui.helpers import type_into


async def open_workflows(pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("w")
    await settle(pilot)
    assert type(pilot.app.screen).__name__ == "WorkflowsScreen"


def links_text(pilot) -> str:  # type: ignore[no-untyped-def]
    return str(pilot.app.screen.query_one("#workflow-links").render())


@pytest.mark.slow
async def test_create_attach_detach_and_delete_a_workflow(app, context):
    context.storage.integrations.add("ical", "Team calendar", {}, {"url": "https://cal.example.com/a.ics"})
    context.storage.integrations.add("ical", "Holidays", {}, {"url": "https://cal.example.com/h.ics"})
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflows(pilot)
        assert "No workflows yet" in links_text(pilot)
        assert app.screen.check_action("attach", ()) is None
        await pilot.press("n")
        await pilot.pause()
        await type_into(pilot, "#wf-name", "Morning briefing")
        await type_into(pilot, "#wf-schedule", "daily 07:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        workflow = context.storage.workflows.find("Morning briefing")
        assert workflow.schedule == "daily 07:00" and workflow.enabled
        # attach: pick the integration, then how it is used
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("down", "enter")  # Team calendar (sorted: Holidays, Team calendar)
        await pilot.pause()
        await pilot.press("enter")  # source, read
        await settle(pilot)
        links = context.storage.workflows.find("Morning briefing").links
        assert [(link.integration_label, link.role, link.access) for link in links] == [
            ("Team calendar", Role.SOURCE, Access.READ)
        ]
        assert "Team calendar" in links_text(pilot)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")  # Holidays
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # sink, write
        await settle(pilot)
        links = context.storage.workflows.find("Morning briefing").links
        assert ("Holidays", Role.SINK, Access.WRITE) in [
            (link.integration_label, link.role, link.access) for link in links
        ]
        # detach the first one
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert len(context.storage.workflows.find("Morning briefing").links) == 1
        # the main list shows the use count at once when going back
        await pilot.press("escape")
        await settle(pilot)
        from widgets.integration_table import IntegrationTable

        table = app.screen.query_one(IntegrationTable)
        counts = {item.label: len(item.used_by) for item in table.integrations()}
        assert sum(counts.values()) == 1
        # delete the workflow: Cancel first, then Delete
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert context.storage.workflows.list()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert context.storage.workflows.list() == []
        assert context.storage.integrations.labels() == {"Team calendar", "Holidays"}


async def test_edit_name_description_and_switch_off(app, context):
    context.storage.workflows.add("Digest", description="old", schedule="hourly")
    context.storage.workflows.add("Other")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflows(pilot)
        await pilot.press("e")
        await pilot.pause()
        await type_into(pilot, "#wf-name", "other")
        assert "already exists" in str(app.screen.query_one("#wf-name-error").render())
        await type_into(pilot, "#wf-name", "Evening digest")
        await type_into(pilot, "#wf-description", "Summarise the day")
        app.screen.query_one(Switch).value = False
        await pilot.press("ctrl+s")
        await settle(pilot)
        edited = context.storage.workflows.find("Evening digest")
        assert (edited.description, edited.schedule, edited.enabled) == ("Summarise the day", "hourly", False)
        await pilot.press("e")
        await pilot.pause()
        await type_into(pilot, "#wf-name", "Changed my mind")
        await pilot.press("escape")
        await settle(pilot)
        assert {w.name for w in context.storage.workflows.list()} == {"Evening digest", "Other"}


async def test_a_workflow_that_lost_an_integration_says_which(app, context):
    item = context.storage.integrations.add("ical", "Old feed", {}, {"url": "https://cal.example.com/a.ics"})
    context.storage.workflows.add("Digest", links=[LinkSpec(item.id, Role.SOURCE, Access.READ)])
    context.storage.integrations.remove(item.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflows(pilot)
        text = links_text(pilot)
        assert "Old feed" in text and "was deleted" in text
        from textual.widgets import DataTable

        row = app.screen.query_one(DataTable).get_row_at(0)
        assert "lost Old feed" in str(row[-1])


async def test_attach_offers_only_what_is_not_attached_and_the_row_shows_problems(app, context):
    from app.core.toggle import set_disabled
    from screens.pick import PickScreen
    from textual.widgets import DataTable, OptionList

    repo = context.storage.integrations
    team = repo.add("ical", "Team calendar", {}, {"url": "https://cal.example.com/a.ics"})
    gone = repo.add("ical", "Holidays", {}, {"url": "https://cal.example.com/h.ics"})
    repo.add("ical", "Spare", {}, {"url": "https://cal.example.com/s.ics"})
    context.storage.workflows.add(
        "Digest", links=[LinkSpec(team.id, Role.SOURCE, Access.READ), LinkSpec(gone.id, Role.SOURCE, Access.READ)]
    )
    set_disabled(context.storage, team.id, True)
    repo.remove(gone.id)
    async with app.run_test(size=(100, 24)) as pilot:
        await open_workflows(pilot)
        row = [str(cell) for cell in app.screen.query_one("#workflows", DataTable).get_row_at(0)]
        assert row[3] == "1"  # the deleted one is not counted as a use
        assert "✖ lost Holidays" in row[4] and "Team calendar disabled" in row[4]
        set_disabled(context.storage, team.id, False)
        await pilot.press("escape")
        await open_workflows(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, PickScreen)
        listing = app.screen.query_one(OptionList)
        offered = [str(listing.get_option_at_index(i).prompt).split("  ")[0] for i in range(listing.option_count)]
        assert offered == ["Spare"]  # Team calendar is attached already: it cannot be linked twice
