"""The vault passphrase: created with two entries, unlocked once per run, wrong ones retried, or from a command."""

from __future__ import annotations

from pathlib import Path

import pytest

from screens.integration_form import IntegrationFormScreen
from screens.passphrase import PassphraseScreen
from tests.conftest import TEST_PASSPHRASE
from tests.tui.conftest import make_app, settle
from tests.tui.helpers import open_new, static_text, type_into


@pytest.fixture
def vault_env(monkeypatch: pytest.MonkeyPatch, offline_types: None) -> None:
    monkeypatch.setenv("TETHER_SECRET_STORE", "vault")


async def add_feed(pilot, url: str = "https://cal.example.com/team.ics?token=t0ken") -> None:  # type: ignore[no-untyped-def]
    await open_new(pilot, "ical")
    await type_into(pilot, "#field-url", url)
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_first_secret_creates_the_vault_with_the_passphrase_typed_twice(
    tui_data: Path, tmp_path: Path, vault_env
):
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await add_feed(pilot)
        dialog = app.screen
        assert isinstance(dialog, PassphraseScreen) and dialog.creating
        # Why the vault and not the keyring, in the words the secret-store choice gave.
        assert static_text(pilot, ".muted") == "TETHER_SECRET_STORE=vault asks for the encrypted vault."
        await type_into(pilot, "#passphrase", TEST_PASSPHRASE)
        await type_into(pilot, "#again", "something else")
        await pilot.press("enter")
        await settle(pilot)
        assert "differ" in static_text(pilot, "#passphrase-error")
        await type_into(pilot, "#again", TEST_PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IntegrationFormScreen)  # saved, and the test before it is shown
        assert "Connected" in static_text(pilot, "#outcome")
        await pilot.press("ctrl+s")  # Done
        await settle(pilot)
        assert type(app.screen).__name__ == "IntegrationsScreen"
        assert app.context.secrets.vault.unlocked
        stored = app.context.storage.integrations.find("Calendar feed")
        assert app.context.storage.integrations.read_secrets(stored)["url"].endswith("t0ken")
        # One prompt per run: the next secret is stored without asking.
        await add_feed(pilot, "https://cal.example.com/other.ics")
        assert "Calendar feed 2" in app.context.storage.integrations.labels()
    assert "t0ken" not in (tui_data / "secrets.vault").read_text()


async def test_wrong_passphrase_gets_another_try_then_unlocks(tui_data: Path, tmp_path: Path, vault_env):
    from app.core.context import open_context

    context = open_context(tui_data)
    context.secrets.vault.create(TEST_PASSPHRASE)
    context.storage.integrations.add("ical", "Team", {}, {"url": "https://cal.example.com/a.ics"})
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("tab", "enter")  # Delete
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, PassphraseScreen) and not dialog.creating
        await type_into(pilot, "#passphrase", "not the passphrase")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog
        assert "Wrong passphrase" in static_text(pilot, "#passphrase-error")
        assert dialog.query_one("#passphrase").value == ""
        await type_into(pilot, "#passphrase", TEST_PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert app.context.storage.integrations.labels() == set()


async def test_cancelled_passphrase_saves_nothing(tui_data: Path, tmp_path: Path, vault_env):
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await add_feed(pilot)
        assert isinstance(app.screen, PassphraseScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, IntegrationFormScreen)
        assert "vault stayed locked" in static_text(pilot, "#outcome")
        assert app.context.storage.integrations.labels() == set()


async def test_passphrase_command_unlocks_silently(tui_data: Path, tmp_path: Path, vault_env, monkeypatch):
    monkeypatch.setenv("TETHER_PASSPHRASE_COMMAND", f"printf '%s' '{TEST_PASSPHRASE}'")
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await add_feed(pilot)
        assert "Connected" in static_text(pilot, "#outcome")  # no passphrase dialog came in between
        assert app.context.storage.integrations.labels() == {"Calendar feed"}
    from storage.secrets.vault import VaultStore

    vault = VaultStore(tui_data / "secrets.vault")
    vault.unlock(TEST_PASSPHRASE)


async def test_a_failing_passphrase_command_is_reported(tui_data: Path, tmp_path: Path, vault_env, monkeypatch):
    monkeypatch.setenv("TETHER_PASSPHRASE_COMMAND", "exit 3")
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await add_feed(pilot)
        assert any("failed with exit status 3" in note for note in app.notes)
        assert app.context.storage.integrations.labels() == set()
