"""Creating an IMAP integration through the TUI form against the live Dovecot, as a person would."""

from __future__ import annotations

from textual.widgets import Collapsible

from storage.records import Status
from tests.connectors.imap.conftest import USERS, Seeded
from tests.tui.conftest import keyring_store, make_app, migrated_database, settle, tui_data  # noqa: F401 - fixtures
from tests.tui.helpers import static_text, type_into
from tests.tui.test_form import open_new


async def test_form_tests_then_saves_against_dovecot_and_shows_the_preview(
    tui_data,
    tmp_path,
    keyring_store,
    dovecot,
    test_ca,
    seeded: Seeded,  # noqa: F811 - fixtures
) -> None:
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_new(pilot, "imap")
        await type_into(pilot, "#field-username", "alice")
        await type_into(pilot, "#field-password", "not-her-password")
        await type_into(pilot, "#field-host", "127.0.0.1")
        await type_into(pilot, "#field-port", str(dovecot.imaps_port))
        form.query_one(Collapsible).collapsed = False  # "Advanced settings"
        await pilot.pause()
        await type_into(pilot, "#field-ca_file", str(test_ca.ca_file))

        await pilot.press("ctrl+t")  # test without saving
        await settle(pilot)
        assert "Sign-in failed" in static_text(pilot, "#outcome")
        assert "Wrong username or password for alice" in static_text(pilot, "#outcome")
        assert app.screen.focused.id == "field-password"

        await type_into(pilot, "#field-password", USERS["alice"])
        await pilot.press("ctrl+s")  # save, then check
        await settle(pilot)
        outcome = static_text(pilot, "#outcome")
        assert (
            f"● Connected: INBOX {seeded.inbox_messages} messages, {seeded.inbox_unseen} unread, newest 12 h ago"
            in outcome
        )
        assert "Signed in as alice with AUTHENTICATE PLAIN over TLSv1.3 (implicit)" in outcome
        assert USERS["alice"] not in outcome

        stored = app.context.storage.integrations.find("Mail")
        assert stored.status is Status.CONNECTED and stored.check_summary.startswith(
            f"INBOX {seeded.inbox_messages} messages"
        )
        assert stored.settings["ca_file"] == str(test_ca.ca_file)
