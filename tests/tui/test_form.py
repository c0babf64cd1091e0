"""The generic integration form: create, validate, edit, secrets, checks, server options."""

from __future__ import annotations

from textual.widgets import Button, Select

from screens.integration_form import IntegrationFormScreen
from storage.records import Status
from tests.tui.conftest import settle
from tests.tui.helpers import open_new, static_text, type_into
from tests.tui.plugins import GOOD_PASSWORD


async def fill_imap(pilot, password: str = "app-password-1", host: str = "imap.example.com") -> None:  # type: ignore[no-untyped-def]
    await type_into(pilot, "#field-username", "me@example.com")
    await type_into(pilot, "#field-password", password)
    await type_into(pilot, "#field-host", host)


def error_text(form: IntegrationFormScreen, name: str) -> str:
    return str(form.query_one(f"#error-{name}").render()) if form.editor(name).has_class("-invalid") else ""


async def test_create_valid_imap_stores_settings_and_secret(app, context, keyring_store):
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "imap")
        assert form.editor("label").value == "Mail"
        assert form.query_one("#field-password").password
        await fill_imap(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Connected" in static_text(pilot, "#outcome")
        await pilot.press("ctrl+s")  # Done
        await settle(pilot)
        assert not isinstance(app.screen, IntegrationFormScreen)
        saved = context.storage.integrations.find("Mail")
        assert saved.settings == {
            "username": "me@example.com",
            "host": "imap.example.com",
            "tls_mode": "implicit",
            "port": 993,
        }
        assert context.storage.integrations.read_secrets(saved) == {"password": "app-password-1"}
        assert "app-password-1" not in str(saved.settings)
        assert saved.status is Status.CONNECTED
        # The next one gets a free label.
        form = await open_new(pilot, "imap")
        assert form.editor("label").value == "Mail 2"


async def test_invalid_values_show_inline_and_nothing_is_saved(app, context):
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "imap")
        await fill_imap(pilot, host="imap.example.com:993")
        assert "Put the port in the Port field" in error_text(form, "host")
        await type_into(pilot, "#field-host", "imap.example.com")
        assert error_text(form, "host") == ""
        await type_into(pilot, "#field-port", "99999")
        assert "out of range" in error_text(form, "port")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, IntegrationFormScreen)
        assert app.screen.focused.id == "field-port"
        assert context.storage.integrations.labels() == set()


async def test_untouched_required_fields_are_reported_on_save(app, context):
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "imap")
        assert error_text(form, "username") == ""  # nothing shouted before the person typed
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Username is required." in error_text(form, "username")
        assert "Password is required." in error_text(form, "password")
        assert app.screen.focused.id == "field-username"


async def test_duplicate_label_is_refused_inline(app, context):
    context.storage.integrations.add("ical", "Team", {}, {"url": "https://cal.example.com/a.ics"})
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "ical")
        await type_into(pilot, "#field-label", "team")
        assert "already exists" in error_text(form, "label")
        await type_into(pilot, "#field-url", "https://cal.example.com/b.ics")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, IntegrationFormScreen)
        assert context.storage.integrations.labels() == {"Team"}


async def test_cross_field_rule_no_tls_only_for_localhost(app, context):
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "imap")
        await fill_imap(pilot)
        select = form.query_one("#field-tls_mode", Select)
        select.focus()
        select.value = "none"
        await pilot.pause()
        assert "localhost" in error_text(form, "tls_mode")


async def test_port_follows_tls_mode_until_typed(app):
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "imap")
        select = form.query_one("#field-tls_mode", Select)
        assert form.editor("port").value == "993"
        select.focus()
        select.value = "starttls"
        await pilot.pause()
        assert form.editor("port").value == "143"
        await type_into(pilot, "#field-port", "1143")
        select.focus()
        select.value = "implicit"
        await pilot.pause()
        assert form.editor("port").value == "1143"


async def test_cancel_at_each_step_saves_nothing(app, context):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "IntegrationsScreen"
        form = await open_new(pilot, "imap")
        await fill_imap(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"  # Discard changes?
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "IntegrationsScreen"
        assert context.storage.integrations.labels() == set()
        assert form.integration is None


async def test_type_picker_searches_aliases_and_categories(app):
    from textual.widgets import OptionList

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        options = app.screen.query_one("#types", OptionList)

        def shown() -> list[str]:
            return [
                options.get_option_at_index(i).id
                for i in range(options.option_count)
                if options.get_option_at_index(i).id
            ]

        assert shown() == ["imap", "gmail", "outlook", "ical", "caldav"]
        await type_into(pilot, "#type-search", "nextcloud")
        assert shown() == ["caldav"]
        # A type named by the search comes before those that only mention it.
        await type_into(pilot, "#type-search", "outlook")
        assert shown()[0] == "outlook" and "imap" not in shown()
        await type_into(pilot, "#type-search", "calendar")
        assert shown() == ["caldav", "ical"]  # "CalDAV calendar" is named so; the feed is a calendar by category
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, IntegrationFormScreen) and app.screen.spec.key == "ical"


async def test_edit_rename_keep_and_replace_secret(app, context):
    item = context.storage.integrations.add(
        "imap",
        "Work",
        {"username": "me@example.com", "host": "imap.example.com", "tls_mode": "implicit", "port": 993},
        {"password": "first-pw"},
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, IntegrationFormScreen)
        password = form.query_one("#field-password")
        assert password.value == "" and password.placeholder == "stored — leave empty to keep"
        await type_into(pilot, "#field-label", "Office")
        await type_into(pilot, "#field-host", "mail.example.org")
        await pilot.press("ctrl+s")
        await settle(pilot)
        renamed = context.storage.integrations.get(item.id)
        assert renamed.label == "Office" and renamed.settings["host"] == "mail.example.org"
        assert context.storage.integrations.read_secrets(renamed) == {"password": "first-pw"}  # kept
        await pilot.press("ctrl+s")  # Done
        await settle(pilot)
        await pilot.press("enter")  # enter edits too
        await pilot.pause()
        await type_into(pilot, "#field-password", "second-pw")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert context.storage.integrations.read_secrets(context.storage.integrations.get(item.id)) == {
            "password": "second-pw"
        }


async def test_save_runs_the_check_and_shows_the_preview(app, context, checkable_imap):
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "imap")
        await fill_imap(pilot, password=GOOD_PASSWORD)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        outcome = static_text(pilot, "#outcome")
        assert "Connected" in outcome and "INBOX 12 messages, 3 unread" in outcome
        assert "Folders: INBOX, Archive, Sent" in outcome and "certificate expires" in outcome
        assert context.storage.integrations.find("Mail").status is Status.CONNECTED
        assert form.query_one("#save", Button).label.plain == "Done"
        assert form.query_one("#field-password").value == ""  # the typed secret is off the screen
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "IntegrationsScreen"


async def test_failed_check_asks_and_keep_editing_leads_back_to_the_field(app, context, checkable_imap):
    from screens.pick import ConfirmScreen

    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "imap")
        await fill_imap(pilot, password="wrong-pw")
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Like `tether add`, a failed test saves nothing unless the person says so.
        assert isinstance(app.screen, ConfirmScreen)
        assert [str(b.label) for b in app.screen.query(Button)] == ["Keep editing", "Save anyway"]
        assert app.screen.focused.id == "cancel"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form
        outcome = static_text(pilot, "#outcome")
        assert "Sign-in failed" in outcome and "app password" in outcome
        assert app.screen.focused.id == "field-password"
        assert "rejected" in error_text(form, "password")
        assert context.storage.integrations.labels() == set()
        # Fix it: the save tests once, and records what that test found.
        await type_into(pilot, "#field-password", GOOD_PASSWORD)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert context.storage.integrations.labels() == {"Mail"}
        assert context.storage.integrations.find("Mail").status is Status.CONNECTED
        assert form.query_one("#save", Button).label.plain == "Done"
        assert "INBOX 12 messages" in static_text(pilot, "#outcome")


async def test_save_anyway_after_a_failed_check_keeps_the_error(app, context, checkable_imap):
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "imap")
        await fill_imap(pilot, password="wrong-pw")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("tab", "enter")  # Save anyway
        await settle(pilot)
        assert app.screen is form
        saved = context.storage.integrations.find("Mail")
        assert saved.status is Status.ERROR and "rejected" in saved.status_detail
        assert "Sign-in failed" in static_text(pilot, "#outcome")
        assert context.storage.metrics.health(saved.id).last_error


async def test_test_connection_on_unsaved_values(app, context, checkable_imap):
    from tests.tui import plugins

    async with app.run_test(size=(80, 24)) as pilot:
        await open_new(pilot, "imap")
        await fill_imap(pilot, password=GOOD_PASSWORD)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert "INBOX 12 messages" in static_text(pilot, "#outcome")
        assert plugins.CALLS[-1].settings["host"] == "imap.example.com"
        assert context.storage.integrations.labels() == set()  # nothing saved


async def test_test_connection_when_editing_uses_the_stored_secret(app, context, checkable_imap):
    from tests.tui import plugins

    context.storage.integrations.add(
        "imap",
        "Work",
        {"username": "me@example.com", "host": "imap.example.com", "tls_mode": "implicit", "port": 993},
        {"password": GOOD_PASSWORD},
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert plugins.CALLS[-1].secrets == {"password": GOOD_PASSWORD}
        assert "Connected" in static_text(pilot, "#outcome")


async def test_options_picker_stores_the_chosen_values(app, context, caldav_with_options):
    from textual.widgets import OptionList

    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "nextcloud")
        await type_into(pilot, "#field-url", "dav.example.com")
        await type_into(pilot, "#field-username", "me")
        await type_into(pilot, "#field-password", GOOD_PASSWORD)
        form.query_one("#field-calendars", Button).focus()
        await pilot.press("enter")
        await settle(pilot)
        picker = app.screen
        assert type(picker).__name__ == "OptionsPickerScreen"
        listing = picker.query_one(OptionList)
        assert "read-only" in str(listing.get_option_at_index(2).prompt)
        await pilot.press("space", "down", "down", "space")  # Work and Holidays
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert form.editor("calendars").chosen == ["/cal/work/", "/cal/holidays/"]
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = context.storage.integrations.find("Calendar")
        assert saved.settings["calendars"] == ["/cal/work/", "/cal/holidays/"]


async def test_options_picker_error_and_cancel(app, context, caldav_with_options):
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "caldav")
        await type_into(pilot, "#field-url", "dav.example.com")
        await type_into(pilot, "#field-username", "me")
        await type_into(pilot, "#field-password", "wrong")
        form.query_one("#field-calendars", Button).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert "rejected" in static_text(pilot, "#outcome")
        assert app.screen.focused.id == "field-password"
        await type_into(pilot, "#field-password", GOOD_PASSWORD)
        form.query_one("#field-calendars", Button).focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("space", "escape")
        await pilot.pause()
        assert app.screen is form and form.editor("calendars").chosen == []


async def test_oauth_type_offers_reauthenticate_hook(app):
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_new(pilot, "gmail")
        assert form.check_action("reauthenticate", ()) is True
        assert str(form.query_one("#reauthenticate", Button).label) == "Sign in"  # nothing to re-do yet
        await pilot.press("ctrl+r")  # a new one is saved first, so the form says what is missing
        await pilot.pause()
        assert "Fix the fields marked in red first." in static_text(pilot, "#outcome")
        await pilot.press("escape")
        form = await open_new(pilot, "imap")
        assert form.check_action("reauthenticate", ()) is False


async def test_reauthenticate_opens_the_sign_in_for_a_saved_oauth_integration(app, context, monkeypatch):
    from screens.oauth_signin import OAuthSignInScreen

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    context.storage.integrations.add(
        "gmail", "Gmail", {"client_id": "1234-abc.apps.googleusercontent.com"}, {"client_secret": "cs"}
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+r")
        # Not settle(): the sign-in's own worker waits for the browser until escape.
        for _ in range(50):
            if isinstance(app.screen, OAuthSignInScreen):
                break
            await pilot.pause(0.02)
        assert isinstance(app.screen, OAuthSignInScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, IntegrationFormScreen)
