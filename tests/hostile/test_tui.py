"""The TUI with hostile labels, a hostile feed and a hostile IMAP server, through every screen.

A label ``[/x] [b]b[/b] [@click=app.quit]Q[/]``, a feed named ``[/nope]`` and an IMAP refusal
``[/oops]`` (each also carrying escape, C1 and bidi sequences) go through the list, the detail
pane, toasts, the form, the delete and disable paths, check and check all, the workflows screens
and the sign-in screen. Nothing may crash, the brackets must show literally, and no control
character may reach what the screen draws.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from connectors.registry import builtin_types
from tests.connectors.calendar_fixtures import radicale  # noqa: F401 - fixture
from tests.hostile.imap_server import PASSWORD, USERNAME, HostileScript, hostile_imap
from tests.hostile.payloads import ALL_SEQUENCES, MARKUP, forbidden, hostile
from tests.servers.feeds import FeedServer
from tests.tui.conftest import make_app, settle
from tests.tui.helpers import static_text, table_text, type_into

pytestmark = pytest.mark.realserver

FEED = f"Feed {MARKUP}"
MAIL = f"Mail {MARKUP}"
SIZE = (170, 45)


@pytest.fixture
def hostile_imap_port() -> Iterator[int]:
    with hostile_imap(HostileScript(hostile("Refusal [/oops]"), refuse_login=True)) as port:
        yield port


@pytest.fixture
def seeded(tui_data: Path, keyring_store, hostile_feed_server: FeedServer, hostile_imap_port: int) -> Path:  # type: ignore[no-untyped-def]
    from app.core.context import open_context

    storage = open_context(tui_data, builtin_types()).storage
    storage.integrations.add(
        "ical", FEED, {"ca_file": str(hostile_feed_server.ca_file)}, {"url": hostile_feed_server.url("/hostile.ics")}
    )
    storage.integrations.add(
        "imap",
        MAIL,
        {"username": USERNAME, "host": "127.0.0.1", "port": hostile_imap_port, "tls_mode": "none"},
        {"password": PASSWORD},
    )
    return tui_data


def screen_is_safe(pilot: Pilot, *literal: str) -> str:
    """What the screen draws now: no control character, and each ``literal`` shown as typed."""
    assert pilot.app.return_code is None, "the app stopped"
    drawn = pilot.app.export_screenshot()
    assert forbidden(drawn) == [], f"control characters drawn on {pilot.app.screen!r}: {forbidden(drawn)}"
    text = drawn.replace("&#160;", " ")
    for piece in literal:
        assert piece in text, f"{piece!r} is not shown literally on {pilot.app.screen!r}"
    return text


def toasts(pilot: Pilot) -> str:
    """The text of every notification on screen now."""
    from textual.widgets._toast import Toast

    shown = "\n".join(str(toast.render()) for toast in pilot.app.screen.query(Toast))
    assert forbidden(shown) == []
    return shown


async def select(pilot: Pilot, label: str) -> None:
    assert pilot.app.main_screen.table.select_label(label)
    await pilot.pause()


async def test_list_detail_check_disable_and_delete(seeded: Path, tmp_path: Path) -> None:
    app = make_app(seeded, tmp_path, types=builtin_types())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert "Feed [/x] [b]b[/b]" in table_text(pilot) and "Mail [/x] [b]b[/b]" in table_text(pilot)
        screen_is_safe(pilot)

        await select(pilot, FEED)
        await pilot.press("r")
        await settle(pilot)
        # The toast and the detail pane quote the feed's name: literal brackets, no escapes.
        screen_is_safe(pilot, "[/nope]", "[@click=app.quit]Q[/]")
        assert f"{FEED}: Calname [/nope]" in toasts(pilot)
        detail = static_text(pilot, "#detail-text")
        assert FEED in detail and "Calname [/nope]" in detail and forbidden(detail) == []

        await select(pilot, MAIL)
        await pilot.press("r")
        await settle(pilot)
        screen_is_safe(pilot, "[/oops]")
        assert f"{MAIL}: Wrong username or password" in toasts(pilot) and "Refusal [/oops]" in toasts(pilot)
        assert "[/oops]" in static_text(pilot, "#detail-text")
        listed = table_text(pilot)  # a wide list's Detail column shows the stored refusal
        assert "Wrong username or password" in listed and forbidden(listed) == []

        await pilot.press("R")  # check all: both toasts at once
        await settle(pilot)
        screen_is_safe(pilot, "[/nope]", "[/oops]")

        await pilot.press("x")  # disable, then enable: both toasts quote the label
        await settle(pilot)
        screen_is_safe(pilot)
        assert f"Disabled {MAIL!r}" in toasts(pilot)
        await pilot.press("x")
        await settle(pilot)
        screen_is_safe(pilot)
        assert f"Enabled {MAIL!r}" in toasts(pilot)

        await pilot.press("d")
        await pilot.pause()
        assert type(pilot.app.screen).__name__ == "ConfirmDeleteScreen"
        screen_is_safe(pilot)
        assert static_text(pilot, ".dialog-title") == f"Delete {MAIL}?"
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.return_code is None and len(app.main_screen.table.integrations()) == 2


async def test_form_test_connection_shows_server_text_literally(seeded: Path, tmp_path: Path) -> None:
    app = make_app(seeded, tmp_path, types=builtin_types())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await select(pilot, MAIL)
        await pilot.press("e")
        await settle(pilot)
        assert type(pilot.app.screen).__name__ == "IntegrationFormScreen"
        screen_is_safe(pilot)
        assert f"Edit {MAIL}" in static_text(pilot, "#form-title")
        await pilot.press("ctrl+t")
        await settle(pilot)
        # The outcome line and the password field's error both quote the refusal.
        text = screen_is_safe(pilot, "[/oops]")
        assert text.count("[/oops]") >= 2
        await pilot.press("escape")
        await settle(pilot)

        await select(pilot, FEED)
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        screen_is_safe(pilot, "[/nope]", "[/x]")
        outcome = static_text(pilot, "#outcome")
        assert "Calname [/nope]" in outcome and "Summary" in outcome and "Location" in outcome
        await pilot.press("ctrl+s")  # save: the check runs again and the toast quotes it
        await settle(pilot)
        screen_is_safe(pilot, "[/nope]")


async def test_workflows_pick_and_mcp_setup_show_names_literally(seeded: Path, tmp_path: Path) -> None:
    app = make_app(seeded, tmp_path, types=builtin_types())
    workflow = f"Digest {MARKUP}"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await type_into(pilot, "#wf-name", workflow)
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen_is_safe(pilot)
        assert f"Added workflow {workflow!r}" in toasts(pilot)
        assert workflow in static_text(pilot, "#workflow-links")

        await pilot.press("a")  # attach: the pick list names the integrations
        await pilot.pause()
        screen_is_safe(pilot, "Feed [/x] [b]b[/b]")
        assert static_text(pilot, ".dialog-title") == f"Attach to {workflow}"
        await pilot.press("enter")
        await pilot.pause()
        screen_is_safe(pilot)
        assert static_text(pilot, ".dialog-title").startswith(f"How does {workflow} use ")
        await pilot.press("enter")
        await settle(pilot)
        links = static_text(pilot, "#workflow-links")
        assert "[/x] [b]b[/b] [@click=app.quit]Q[/]" in links and forbidden(links) == []

        await pilot.press("m")
        await pilot.pause()
        screen_is_safe(pilot)
        assert static_text(pilot, ".dialog-title") == f"Connect an assistant to {workflow}"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        screen_is_safe(pilot)
        assert static_text(pilot, ".dialog-title") == f"Delete workflow {workflow}?"
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.return_code is None


async def test_sign_in_screen_shows_the_label_literally(tui_data: Path, keyring_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from app.core.context import open_context

    types = builtin_types()
    oauth = next(spec for spec in types if spec.oauth)
    settings = {f.name: f.default_for({}) for f in oauth.setting_fields if f.default_for({})}
    label = f"Google {MARKUP}"
    storage = open_context(tui_data, types).storage
    storage.integrations.add(
        oauth.key, label, {**settings, "client_id": f"id{ALL_SEQUENCES}"}, {"client_secret": "s3cret-value"}
    )
    app = make_app(tui_data, tmp_path, types=types)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await select(pilot, label)
        await pilot.press("ctrl+r")
        # Not settle(): the sign-in waits for the browser in a worker until escape stops it.
        for _ in range(200):
            if "SignIn" in type(pilot.app.screen).__name__ and pilot.app.screen.query("#signin-title"):
                break
            await pilot.pause(0.02)
        assert "SignIn" in type(pilot.app.screen).__name__
        screen_is_safe(pilot)
        assert label in static_text(pilot, "#signin-title")
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.return_code is None


def test_an_unhandled_exception_makes_tether_exit_non_zero(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from app.tui import run as tui_run
    from app.tui import tether_app

    class Crashing(tether_app.TetherApp):
        def on_mount(self) -> None:
            raise RuntimeError("a bug")

        def run(self, **kwargs):  # type: ignore[no-untyped-def, override]
            return super().run(headless=True, **kwargs)

    monkeypatch.setattr(tether_app, "TetherApp", Crashing)
    assert tui_run.run(data_dir=tmp_path / "data") == 1


async def test_text_stored_by_an_older_version_is_cleaned_on_screen(seeded: Path, tmp_path: Path) -> None:
    import sqlite3

    from storage.paths import DATABASE_NAME

    raw = hostile("Stored")  # as an older tether kept it: nothing cleaned
    with sqlite3.connect(seeded / DATABASE_NAME) as db:
        db.execute(
            "UPDATE integrations SET label = 'Old' || ?, status = 'error', status_detail = ?, check_summary = ? WHERE label = ?",
            (raw, raw, raw, FEED),
        )
    app = make_app(seeded, tmp_path, types=builtin_types())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await select(pilot, f"Old{raw}")
        listed = table_text(pilot)
        assert "OldStored" in listed and forbidden(listed) == []
        detail = static_text(pilot, "#detail-text")
        assert "Stored" in detail and forbidden(detail) == []
        screen_is_safe(pilot, "[/x]")
        await pilot.press("d")
        await pilot.pause()
        screen_is_safe(pilot)
        assert forbidden(static_text(pilot, ".dialog-title")) == []


async def test_a_hostile_calendar_name_in_the_options_picker(
    tui_data: Path, keyring_store, tmp_path: Path, radicale
) -> None:  # type: ignore[no-untyped-def]
    """A CalDAV calendar's display name (C1, bidi and markup; XML cannot carry ESC) in the picker and the outcome."""
    from textual.widgets import Button, Collapsible, OptionList

    from tests.servers.radicale import PASSWORD as DAV_PASSWORD
    from tests.servers.radicale import USER, make_calendar
    from tests.tui.helpers import open_new

    make_calendar(radicale, "hostile", f"Cal\u009b2J\u009d0;t\u009c\u202eevil\u202c {MARKUP}", "#3366FF")
    app = make_app(tui_data, tmp_path, types=builtin_types())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        form = await open_new(pilot, "radicale")
        await type_into(pilot, "#field-url", radicale.url.removeprefix("https://"))
        await type_into(pilot, "#field-username", USER)
        await type_into(pilot, "#field-password", DAV_PASSWORD)
        form.query_one(Collapsible).collapsed = False  # "Advanced settings": trust the test CA
        await pilot.pause()
        await type_into(pilot, "#field-ca_file", str(radicale.ca_file))
        form.query_one("#field-calendars", Button).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert type(pilot.app.screen).__name__ == "OptionsPickerScreen"
        listing = pilot.app.screen.query_one(OptionList)
        prompt = str(listing.get_option_at_index(0).prompt).removeprefix("[ ] ")
        assert (
            prompt.startswith("Cal\N{REPLACEMENT CHARACTER}2J") and prompt.endswith(MARKUP) and forbidden(prompt) == []
        )
        screen_is_safe(pilot, "[@click=app.quit]Q[/]")
        await pilot.press("space", "ctrl+s")
        await pilot.pause()
        screen_is_safe(pilot)
        assert forbidden(static_text(pilot, "#chosen-calendars")) == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen_is_safe(pilot, "[@click=app.quit]Q[/]")
        outcome = static_text(pilot, "#outcome")
        assert "Connected" in outcome and MARKUP in outcome and forbidden(outcome) == []
