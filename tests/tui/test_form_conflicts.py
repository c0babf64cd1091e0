"""The edit form may stay open for minutes: a save keeps changes made elsewhere meanwhile, and a
field changed both there and here is reported instead of silently overwritten."""

from __future__ import annotations

from screens.integration_form import IntegrationFormScreen
from tests.tui.conftest import settle
from tests.tui.helpers import static_text, type_into

SETTINGS = {"username": "me@example.com", "host": "imap.example.com", "tls_mode": "implicit", "port": 993}


async def open_edit(pilot) -> IntegrationFormScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("e")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, IntegrationFormScreen)
    return form


async def test_a_change_made_elsewhere_while_the_form_was_open_is_kept(app, context):
    item = context.storage.integrations.add("imap", "Work", SETTINGS, {"password": "first-pw"})
    async with app.run_test(size=(80, 24)) as pilot:
        await open_edit(pilot)
        # Meanwhile `tether edit Work --set port=143` runs in another terminal.
        context.storage.integrations.update(item.id, settings={**SETTINGS, "port": 143}, opened=item)
        await type_into(pilot, "#field-host", "mail.example.org")
        await pilot.press("ctrl+s")
        await settle(pilot)
    stored = context.storage.integrations.get(item.id)
    assert (stored.settings["host"], stored.settings["port"]) == ("mail.example.org", 143)


async def test_the_same_field_changed_elsewhere_is_reported_and_nothing_is_overwritten(app, context):
    item = context.storage.integrations.add("imap", "Work", SETTINGS, {"password": "first-pw"})
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_edit(pilot)
        context.storage.integrations.update(item.id, settings={**SETTINGS, "host": "imap.elsewhere.org"}, opened=item)
        await type_into(pilot, "#field-host", "mail.example.org")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        assert static_text(pilot, "#outcome") == (
            "Not saved: 'Work' was changed elsewhere since you opened it (its host) — reload it and make your change again."
        )
    assert context.storage.integrations.get(item.id).settings["host"] == "imap.elsewhere.org"


async def test_a_label_with_a_hidden_character_is_refused_at_the_label(app, context):
    context.storage.integrations.add("imap", "Work", SETTINGS, {"password": "first-pw"})
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_edit(pilot)
        await type_into(pilot, "#field-label", "Wo\u200brk")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        assert "contains an invisible (zero-width) character (U+200B)" in static_text(pilot, "#outcome")
        assert form.editor("label").has_class("-invalid")
    assert [item.label for item in context.storage.integrations.list()] == ["Work"]


async def open_workflow_form(pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("w")
    await settle(pilot)
    await pilot.press("e")
    await pilot.pause()
    assert type(pilot.app.screen).__name__ == "WorkflowFormScreen"


async def test_a_workflow_form_keeps_changes_made_elsewhere_and_reports_a_clash(app, context):
    opened = context.storage.workflows.add("Digest", description="old", schedule="hourly")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow_form(pilot)
        context.storage.workflows.update(opened.id, schedule="daily 07:00", opened=opened)
        await type_into(pilot, "#wf-description", "Summarise the day")
        await pilot.press("ctrl+s")
        await settle(pilot)
        stored = context.storage.workflows.get(opened.id)
        assert (stored.description, stored.schedule) == ("Summarise the day", "daily 07:00")

        await pilot.press("e")
        await pilot.pause()
        context.storage.workflows.update(stored.id, description="Changed elsewhere", opened=stored)
        await type_into(pilot, "#wf-description", "Changed here")
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert context.storage.workflows.get(opened.id).description == "Changed elsewhere"
    assert app.notes[-1] == (  # type: ignore[attr-defined]
        "Workflow 'Digest' was changed elsewhere since you opened it (its description) — reload it and make your change again."
    )


async def test_a_check_discarded_after_saving_says_so_instead_of_a_result(app, context):
    from screens.form_outcome import Tested

    item = context.storage.integrations.add("imap", "Work", SETTINGS, {"password": "first-pw"})
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_edit(pilot)
        # What the form's own check worker posts when the settings were edited elsewhere while it ran.
        why = "'Work' was changed while it was being checked; that check's result was discarded."
        form.post_message(Tested(None, None, item, discarded=why))
        await settle(pilot)
        assert pilot.app.screen is form
        assert static_text(pilot, "#outcome") == f"Saved, not checked: {why} Reopen it to see the change."
