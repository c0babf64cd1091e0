"""The device-code sign-in screen for Outlook, driven with Pilot against the local OAuth server and Dovecot."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Button

from connectors.gmail.spec import GOOGLE
from connectors.outlook.spec import MICROSOFT, OUTLOOK
from screens.confirm_delete import consequences
from screens.device_signin import DeviceSignInScreen
from screens.oauth_signin import OAuthSignInScreen
from storage.records import LinkSpec, Role, Status
from tests.connectors.outlook.conftest import INBOX, USER, Microsoft, _dovecot, microsoft, microsoft_only, oauth_server  # noqa: F401
from tests.connectors.outlook.test_check import device_sign_in
from tests.tui.conftest import make_app, settle
from tests.tui.test_gmail_signin import SIZE, SSH_ENV, Host, _screen_text, _status_text, _storage, _until


async def test_reauthenticate_with_a_device_code_keeps_label_and_workflows(
    microsoft: Microsoft, tmp_path: Path
) -> None:
    storage = _storage(tmp_path)
    repo = storage.integrations
    first = device_sign_in(microsoft).refresh_token
    stored = repo.add("outlook", "Work Outlook", {**microsoft.settings, "address": USER}, {"refresh_token": first})
    storage.workflows.add("Morning brief", links=[LinkSpec(stored.id, Role.SOURCE)])
    repo.set_status(stored.id, Status.NEEDS_REAUTH, "Microsoft no longer accepts this sign-in.")
    app = Host(storage, DeviceSignInScreen(stored, {"refresh_token": first}, spec=OUTLOOK, environ=SSH_ENV))
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: "-" in app.clipboard, "the code is copied")
        code = app.clipboard
        await _until(pilot, lambda: code in _screen_text(app), "the code is on screen")
        shown = _screen_text(app)
        assert "Sign in with your OAuth server for Work Outlook" in shown  # the test's endpoints are not Microsoft's
        assert code in shown and microsoft.oauth.url("/device") in shown
        assert "Waiting for the sign-in" in _status_text(app)
        await asyncio.to_thread(microsoft.verification_page, f"{microsoft.oauth.url('/device')}?user_code={code}")
        await _until(pilot, lambda: not app.screen.query_one("#signin-save", Button).disabled, "signed in")
        shown = _screen_text(app)
        assert USER in shown and f"INBOX {INBOX} messages" in shown
        for secret in microsoft.all_tokens():
            assert secret not in shown
        await pilot.press("enter")  # Save has the focus
        await _until(pilot, lambda: bool(app.results), "saved and dismissed")
    updated = app.results[0]
    assert updated.id == stored.id and updated.label == "Work Outlook" and updated.status is Status.CONNECTED
    assert [use.workflow_name for use in updated.used_by] == ["Morning brief"]
    new = repo.read_secrets(updated)["refresh_token"]
    assert new != first and new in microsoft.oauth.state.live_refresh_tokens()
    database = (tmp_path / "data" / "tether.db").read_bytes()
    for secret in microsoft.all_tokens():
        assert secret.encode() not in database


async def test_escape_stops_the_polling_and_changes_nothing(microsoft_only: Microsoft, tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    stored = storage.integrations.add("outlook", "Outlook", microsoft_only.settings, {})
    microsoft_only.oauth.state.device_interval = 1
    screen = DeviceSignInScreen(stored, {}, spec=OUTLOOK, environ=SSH_ENV)
    app = Host(storage, screen)
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: "-" in app.clipboard, "the code is copied")
        signin = screen._signin
        await pilot.press("escape")
        await _until(pilot, lambda: bool(app.results), "dismissed")
        polls = signin.polls
        await asyncio.sleep(1.5)  # a poll would have happened by now; none must
        assert signin.polls == polls
    assert app.results == [None]
    assert not storage.integrations.get(stored.id).has_secret("refresh_token")


async def test_a_refused_sign_in_is_said_in_words_and_can_start_again(
    microsoft_only: Microsoft, tmp_path: Path
) -> None:
    storage = _storage(tmp_path)
    stored = storage.integrations.add("outlook", "Outlook", microsoft_only.settings, {})
    microsoft_only.oauth.state.deny_consent = True
    app = Host(storage, DeviceSignInScreen(stored, {}, spec=OUTLOOK, environ=SSH_ENV))
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: "-" in app.clipboard, "the code is copied")
        await asyncio.to_thread(
            microsoft_only.verification_page, f"{microsoft_only.oauth.url('/device')}?user_code={app.clipboard}"
        )
        await _until(pilot, lambda: "not granted" in _status_text(app), "the refusal is shown")
        first = app.clipboard
        microsoft_only.oauth.state.deny_consent = False
        await pilot.press("ctrl+r")
        await _until(pilot, lambda: app.clipboard != first and "-" in app.clipboard, "a new code")


async def test_the_app_offers_the_device_code_over_ssh_and_the_browser_otherwise(  # type: ignore[no-untyped-def]
    tui_data, tmp_path, keyring_store, offline_types, microsoft_only: Microsoft, monkeypatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: opened.append(url))  # no real browser in tests
    app = make_app(tui_data, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        repo = app.context.storage.integrations
        outlook = repo.add("outlook", "Outlook", microsoft_only.settings, {})
        gmail = repo.add("gmail", "Gmail", {"client_id": "id.apps.example.com"}, {"client_secret": "s"})
        monkeypatch.setenv("SSH_CONNECTION", SSH_ENV["SSH_CONNECTION"])
        app.open_signin(outlook, {})
        await pilot.pause()
        assert isinstance(app.screen, DeviceSignInScreen)
        await pilot.press("escape")
        await pilot.pause()
        app.open_signin(gmail, {"client_secret": "s"})  # Google has no device endpoint: the browser it is
        await pilot.pause()
        assert type(app.screen) is OAuthSignInScreen
        await pilot.press("escape")
        await pilot.pause()
        monkeypatch.delenv("SSH_CONNECTION")
        app.open_signin(outlook, {})
        await pilot.pause()
        assert type(app.screen) is OAuthSignInScreen
        await pilot.press("ctrl+o")  # the other way, by choice
        await pilot.pause()
        assert isinstance(app.screen, DeviceSignInScreen)
        await pilot.press("escape")


def test_the_delete_warning_says_what_happens_to_the_sign_in() -> None:
    from datetime import UTC, datetime

    from storage.records import Integration

    now = datetime.now(UTC)
    item = Integration(
        id=1,
        label="Outlook",
        type_key="outlook",
        settings={},
        secret_store="keyring",
        secret_names=("refresh_token",),
        status=Status.CONNECTED,
        status_detail="",
        last_checked_at=None,
        created_at=now,
        updated_at=now,
    )
    microsoft = str(consequences(item, MICROSOFT))
    assert "Microsoft offers no way for tether to end its sign-in" in microsoft and "account.live.com" in microsoft
    google = str(consequences(item, GOOGLE))
    assert "Google sign-in is revoked first" in google
