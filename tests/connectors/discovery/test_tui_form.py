"""The IMAP form's "Find settings" (ctrl+f), against the loopback DNS and HTTPS servers, as a person uses it."""

from __future__ import annotations

import pytest
from textual.widgets import LoadingIndicator, OptionList

from screens.integration_form import IntegrationFormScreen
from screens.pick import PickScreen
from tests.servers.autoconfig_server import CONFIG_PATH, Reply, config_xml
from tests.tui.conftest import keyring_store, make_app, migrated_database, settle, tui_data  # noqa: F401 - fixtures
from tests.tui.helpers import open_new, static_text, type_into

pytestmark = pytest.mark.realserver


@pytest.fixture(autouse=True)
def point_discovery_at_loopback(discovery_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in discovery_env.items():
        monkeypatch.setenv(name, value)


def form_values(form: IntegrationFormScreen) -> tuple[str, str, str]:
    return form.editor("host").value, form.editor("port").value, form.editor("tls_mode").value


def picker_lines(pilot) -> list[str]:  # type: ignore[no-untyped-def]
    options = pilot.app.screen.query_one("#pick", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_find_settings_offers_candidates_with_sources_and_fills_only_the_accepted_one(  # type: ignore[no-untyped-def]
    tui_data, tmp_path, dns_server, web
) -> None:
    dns_server.zones.add("example.com")
    dns_server.add("_imap._tcp.example.com", "SRV", "0 1 143 imap.example.com.")
    web.publish("autoconfig.example.com", CONFIG_PATH, Reply(body=config_xml(username="%EMAILLOCALPART%")))
    web.publish("example.com", "/.well-known/caldav", Reply(207, delay=10))  # keeps the lookup busy to its budget
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        form = await open_new(pilot, "imap")
        assert form.check_action("find_settings", ()) is None  # dimmed: no address typed yet
        await type_into(pilot, "#field-username", "alice")
        await pilot.press("ctrl+f")  # dimmed in the footer, so the key does nothing
        assert static_text(pilot, "#outcome") == ""
        await pilot.click("#find-settings")  # the button says why
        assert "Type your whole email address as the username first" in static_text(pilot, "#outcome")

        await type_into(pilot, "#field-username", "alice@example.com")
        assert form.check_action("find_settings", ()) is True
        await pilot.press("ctrl+f")
        assert static_text(pilot, "#outcome") == "Looking up server settings for alice@example.com…"
        assert form.query_one("#testing", LoadingIndicator).display
        await settle(pilot)

        assert isinstance(app.screen, PickScreen)
        assert form_values(form) == ("", "993", "implicit")  # nothing filled in before a choice
        assert picker_lines(pilot) == [
            "mail.example.com:993, implicit TLS\n  from autoconfig file at autoconfig.example.com\n"
            "  sign in as alice\n  provider: Example Mail.",
            "imap.example.com:143, STARTTLS\n  from DNS SRV _imap._tcp.example.com",
        ]
        await pilot.press("down", "enter")
        await settle(pilot)

        assert app.screen is form
        assert form_values(form) == ("imap.example.com", "143", "starttls")
        assert static_text(pilot, "#outcome") == "Filled in server, port and TLS from DNS SRV _imap._tcp.example.com."
        assert form.editor("username").value == "alice@example.com"
        assert form.editor("password").value == ""

        await pilot.press("ctrl+f")
        await settle(pilot)
        await pilot.press("enter")  # the autoconfig entry, which names another sign-in name
        await settle(pilot)
        assert form_values(form) == ("mail.example.com", "993", "implicit")
        assert static_text(pilot, "#outcome") == (
            "Filled in server, port and TLS from autoconfig file at autoconfig.example.com. "
            "It expects the username alice (not filled in). provider: Example Mail."
        )
        assert form.editor("username").value == "alice@example.com"


async def test_escape_in_the_picker_fills_in_nothing(tui_data, tmp_path, dns_server, web) -> None:  # type: ignore[no-untyped-def]
    dns_server.zones.add("example.org")
    web.publish("autoconfig.example.org", CONFIG_PATH, Reply(body=config_xml()))
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        form = await open_new(pilot, "imap")
        await type_into(pilot, "#field-host", "my.own.server")
        await type_into(pilot, "#field-username", "bob@example.org")
        await pilot.click("#find-settings")
        await settle(pilot)
        assert isinstance(app.screen, PickScreen)

        await pilot.press("escape")
        await settle(pilot)

        assert form_values(form) == ("my.own.server", "993", "implicit")
        assert static_text(pilot, "#outcome") == "Nothing was filled in."


async def test_a_candidate_of_another_type_says_which_type_it_suggests(tui_data, tmp_path, dns_server) -> None:  # type: ignore[no-untyped-def]
    dns_server.zones.add("hotmail.com")
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        form = await open_new(pilot, "imap")
        await type_into(pilot, "#field-username", "carol@hotmail.com")
        await pilot.press("ctrl+f")
        await settle(pilot)
        [entry] = picker_lines(pilot)
        advice = entry.splitlines()[-1].strip()
        assert advice.startswith("Suggested type: Outlook")  # missing or present: see test_describe.py

        await pilot.press("enter")
        await settle(pilot)

        assert form_values(form) == ("outlook.office365.com", "993", "implicit")
        outcome = static_text(pilot, "#outcome")
        assert outcome.startswith("Filled in server, port and TLS from tether's provider table. Microsoft account")
        assert outcome.endswith(advice)


async def test_nothing_found_is_one_line_and_opens_no_picker(tui_data, tmp_path, dns_server) -> None:  # type: ignore[no-untyped-def]
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        form = await open_new(pilot, "imap")
        await type_into(pilot, "#field-username", "dave@nowhere.test")
        await pilot.press("ctrl+f")
        await settle(pilot)

        assert app.screen is form
        assert static_text(pilot, "#outcome") == (
            "No server settings found for dave@nowhere.test: nowhere.test does not exist (DNS has no such domain)."
        )
        assert form_values(form) == ("", "993", "implicit")
        assert not form.query_one("#testing", LoadingIndicator).display


async def test_types_without_a_server_field_have_no_find_settings(tui_data, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        form = await open_new(pilot, "ical")
        assert form.check_action("find_settings", ()) is False
        assert not form.query("#find-settings")


def test_snapshot_of_the_candidates_picker(snap_compare, tui_data, tmp_path, dns_server, web) -> None:  # type: ignore[no-untyped-def]
    dns_server.zones.add("example.com")
    dns_server.add("_imap._tcp.example.com", "SRV", "0 1 143 imap.example.com.")
    web.publish("autoconfig.example.com", CONFIG_PATH, Reply(body=config_xml(username="%EMAILLOCALPART%")))

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await open_new(pilot, "imap")
        await type_into(pilot, "#field-username", "alice@example.com")
        await pilot.press("ctrl+f")
        await settle(pilot)

    assert snap_compare(make_app(tui_data, tmp_path), terminal_size=(80, 24), run_before=run_before)
