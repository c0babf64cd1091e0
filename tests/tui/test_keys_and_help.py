"""Keys: every binding has an id and a tooltip, users remap them, help and the palette list them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual.binding import Binding

from app.tui.keymap import load_keymap, parse_keymap
from tests.conftest import REPO_ROOT
from tests.tui.conftest import make_app, settle


def all_bindings() -> list[tuple[str, Binding]]:
    from app.tui.tether_app import TetherApp
    from screens.help import HelpScreen, screen_classes
    from widgets.integration_table import IntegrationTable

    owners = [TetherApp, HelpScreen, IntegrationTable, *screen_classes()]
    return [(owner.__name__, b) for owner in owners for b in owner.BINDINGS if isinstance(b, Binding)]


def test_every_binding_has_a_unique_id_and_a_tooltip():
    ids = [binding.id for _, binding in all_bindings()]
    assert all(ids), [owner for owner, b in all_bindings() if not b.id]
    assert len(ids) == len(set(ids))
    missing = [f"{owner}:{b.key}" for owner, b in all_bindings() if not b.tooltip and not b.id.startswith("table.")]
    assert missing == []


def test_keys_survive_ssh_and_tmux():
    allowed_named = {
        "enter",
        "escape",
        "tab",
        "shift+tab",
        "up",
        "down",
        "left",
        "right",
        "pageup",
        "pagedown",
        "home",
        "end",
        "slash",
        "question_mark",
        "space",
    }
    for owner, binding in all_bindings():
        for key in binding.key.split(","):
            key = key.strip()
            ok = (
                (len(key) == 1 and key.isalpha())
                or key in allowed_named
                or (key.startswith("ctrl+") and len(key) == 6 and key[-1].isalpha())
                or (key.startswith("f") and key[1:].isdigit() and 1 <= int(key[1:]) <= 10)
            )
            assert ok, f"{owner}: {key}"


def test_keymap_file_parsing(tmp_path: Path):
    assert parse_keymap('[keys]\n"integrations.new" = "a"\n') == {"integrations.new": "a"}
    assert parse_keymap('"integrations.delete" = ["ctrl+d", "x"]\n') == {"integrations.delete": "ctrl+d,x"}
    with pytest.raises(ValueError):
        parse_keymap("[keys]\n'integrations.new' = 3\n")
    assert load_keymap(tmp_path / "missing.toml") == ({}, "")
    broken = tmp_path / "keymap.toml"
    broken.write_text("not = [valid")
    keymap, problem = load_keymap(broken)
    assert keymap == {} and "is ignored" in problem


async def test_a_remapped_key_opens_the_type_picker(tui_data, tmp_path, keyring_store, offline_types):
    keymap = tmp_path / "keymap.toml"
    keymap.write_text('[keys]\n"integrations.new" = "a"\n')
    app = make_app(tui_data, tmp_path, keymap_path=keymap)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert type(app.screen).__name__ == "TypePickerScreen"


async def test_help_lists_keys_and_what_next(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        text = "\n".join(str(s.render()) for s in app.screen.query("Static"))
        assert "What next" in text and "Connect a new account or calendar" in text
        assert "integrations.check_all" not in text  # ids used to wrap onto lines of their own at 80 columns
        await pilot.press("i")  # binding ids, in the column the descriptions were in
        await pilot.pause()
        text = "\n".join(str(s.render()) for s in app.screen.query("Static"))
        assert "  n            integrations.new" in text and "form.test" in text
        assert "Connect a new account" not in text
        await pilot.press("escape")
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"


async def test_a_dialog_footer_shows_the_dialogs_keys_not_the_lists(app):
    from textual.widgets import Footer

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        keys = {binding.id for (_, binding, _, _) in app.screen.active_bindings.values()}
        assert footer.screen is app.screen
        assert "help.close" in keys
        assert "integrations.new" not in keys


async def test_palette_offers_the_screens_actions(app, context):
    context.storage.integrations.add("ical", "Team", {}, {"url": "https://cal.example.com/a.ics"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"New", "Edit", "Delete", "Check", "Workflows", "Filter", "Help"} <= set(titles)


async def test_palette_leaves_out_what_does_not_apply(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "New" in titles and "Delete" not in titles and "Edit" not in titles


def test_start_up_imports_no_database_keyring_or_connector_library():
    code = (
        "import sys, app.tui.run, app.tui.tether_app, app.cli.main\n"
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'keyring', 'imapclient', 'caldav', 'icalendar', 'authlib', 'httpx')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert result.stdout.strip() == ""
