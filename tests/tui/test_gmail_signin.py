"""The Gmail sign-in screen driven with Pilot against the local OAuth server and Dovecot (XOAUTH2)."""

from __future__ import annotations

import asyncio
import html
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.widgets import Button, Input, Static

from connectors.registry import builtin_types
from screens.oauth_signin import OAuthSignInScreen
from storage.records import LinkSpec, Role, Status
from storage.secrets.keyring_store import KeyringStore
from storage.service import Storage, open_storage
from tests.conftest import MemoryKeyring
from tests.support import pilot_wait_until
from tests.connectors.gmail.conftest import USER, Google, _dovecot, google, oauth_only, oauth_server  # noqa: F401

SSH_ENV = {"SSH_CONNECTION": "198.51.100.4 52144 192.0.2.10 22", "USER": "ann"}
SIZE = (110, 44)


class Context:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage


class Host(App[None]):
    """Just enough App for the screen: a context with storage, and the screen's result."""

    def __init__(self, storage: Storage, screen: OAuthSignInScreen) -> None:
        super().__init__()
        self.context = Context(storage)
        self.types = builtin_types()
        self.signin_screen = screen
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.signin_screen, self.results.append)


def _storage(tmp_path: Path) -> Storage:
    return open_storage(tmp_path / "data", KeyringStore(MemoryKeyring()))


async def _until(pilot: Any, condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    """Wait for something the servers and workers do; on failure, say what the sign-in status line shows."""

    def shown() -> str:
        status = pilot.app.screen.query("#signin-status")
        return str(status.first().render()) if status else type(pilot.app.screen).__name__

    await pilot_wait_until(pilot, condition, what, seconds, shown=shown)


def _status_text(app: App) -> str:
    return str(app.screen.query_one("#signin-status", Static).render())


def _screen_text(app: App) -> str:
    """The screen as an SVG capture would show it, tags stripped (text runs follow each other)."""
    svg = app.export_screenshot()
    body = svg.split("</style>", 1)[-1]
    return html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")


async def test_sign_in_by_pasting_the_address_stores_it_and_keeps_workflow_links(
    google: Google, tmp_path: Path
) -> None:
    storage = _storage(tmp_path)
    repo = storage.integrations
    stored = repo.add("gmail", "Work Gmail", google.settings, google.secrets)
    storage.workflows.add("Morning brief", links=[LinkSpec(stored.id, Role.SOURCE)])
    repo.set_status(stored.id, Status.NEEDS_REAUTH, "Not signed in to Google yet.")
    screen = OAuthSignInScreen(stored, google.secrets, environ=SSH_ENV, open_browser=False)
    app = Host(storage, screen)
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: app.clipboard.startswith("https://"), "the address is copied")
        url = app.clipboard
        shown = _screen_text(app)
        assert "ssh -N -L" in shown and "ann@192.0.2.10" in shown
        location = await asyncio.to_thread(google.consent, url, follow=False)
        pasted = app.screen.query_one("#signin-pasted", Input)
        pasted.value = location
        pasted.focus()
        await pilot.press("enter")
        assert pasted.value == ""
        await _until(pilot, lambda: not app.screen.query_one("#signin-save", Button).disabled, "signed in")
        shown = _screen_text(app)
        assert USER in shown and "INBOX 3 messages" in shown
        for secret in google.all_tokens():
            assert secret not in shown
        await pilot.press("enter")  # Save has the focus
        await _until(pilot, lambda: bool(app.results), "saved and dismissed")
    updated = app.results[0]
    assert updated.id == stored.id and updated.label == "Work Gmail"
    assert updated.status is Status.CONNECTED
    assert updated.settings["address"] == USER and updated.has_secret("refresh_token")
    assert [use.workflow_name for use in updated.used_by] == ["Morning brief"]


async def test_loopback_redirect_finishes_it_without_pasting(google: Google, tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    stored = storage.integrations.add("gmail", "Gmail", google.settings, google.secrets)
    app = Host(storage, OAuthSignInScreen(stored, environ={}, open_browser=False))  # secrets read from storage
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: app.clipboard.startswith("https://"), "the address is copied")
        assert "ssh -N -L" not in _screen_text(app)
        await asyncio.to_thread(google.consent, app.clipboard)
        await _until(pilot, lambda: not app.screen.query_one("#signin-save", Button).disabled, "signed in")
        await pilot.pause()
        assert app.screen.focused is app.screen.query_one("#signin-save", Button)
        await pilot.press("enter")
        await _until(pilot, lambda: bool(app.results), "saved")
    assert app.results[0].status is Status.CONNECTED


async def test_a_wrong_address_is_explained_and_escape_leaves_without_changes(
    oauth_only: Google, tmp_path: Path
) -> None:
    storage = _storage(tmp_path)
    stored = storage.integrations.add("gmail", "Gmail", oauth_only.settings, oauth_only.secrets)
    app = Host(storage, OAuthSignInScreen(stored, oauth_only.secrets, environ={}, open_browser=False))
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: app.clipboard.startswith("https://"), "the address is copied")
        port = int(app.clipboard.split("redirect_uri=http%3A%2F%2F127.0.0.1%3A")[1].split("%2F")[0])
        pasted = app.screen.query_one("#signin-pasted", Input)
        pasted.value = f"http://127.0.0.1:{port}/?state=old&code=abc"
        pasted.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "another sign-in attempt" in _status_text(app)
        await pilot.press("escape")
        await _until(pilot, lambda: bool(app.results), "dismissed")
    assert app.results == [None]
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # the listener is closed
    assert not storage.integrations.get(stored.id).has_secret("refresh_token")


async def test_declined_consent_and_timeout_are_told_and_ctrl_r_starts_again(
    oauth_only: Google, tmp_path: Path
) -> None:
    storage = _storage(tmp_path)
    stored = storage.integrations.add("gmail", "Gmail", oauth_only.settings, oauth_only.secrets)
    oauth_only.oauth.state.deny_consent = True
    app = Host(storage, OAuthSignInScreen(stored, oauth_only.secrets, environ={}, open_browser=False, timeout=0.5))
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: app.clipboard.startswith("https://"), "the address is copied")
        await asyncio.to_thread(oauth_only.consent, app.clipboard)
        await _until(pilot, lambda: "Access was not granted" in _status_text(app), "the refusal is shown")
        first = app.clipboard
        await pilot.press("ctrl+r")
        await _until(pilot, lambda: app.clipboard != first, "a new address")
        await _until(pilot, lambda: "No sign-in arrived" in _status_text(app), "the timeout is shown")
