"""A person's whole Gmail story in the TUI, against the local OAuth server and Dovecot (no fakes):
add it through the form and the sign-in screen, lose the sign-in, re-authenticate from the list, delete."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Static

from app.tui.tether_app import TetherApp
from screens.integration_form import IntegrationFormScreen
from screens.integrations import IntegrationsScreen
from screens.oauth_signin import OAuthSignInScreen
from storage.records import LinkSpec, Role, Status
from tests.connectors.gmail.conftest import USER, Google, _dovecot, google, oauth_server  # noqa: F401
from tests.tui.conftest import make_app, settle
from tests.tui.helpers import open_new, table_text, type_into
from tests.tui.test_gmail_signin import _screen_text, _until

SSH_ENV = {"SSH_CONNECTION": "198.51.100.4 52144 192.0.2.10 22", "USER": "ann"}


@pytest.fixture
def gmail_app(tui_data: Path, tmp_path: Path, keyring_store, monkeypatch: pytest.MonkeyPatch) -> TetherApp:  # type: ignore[no-untyped-def]
    for name, value in SSH_ENV.items():  # over SSH: no browser is started, the tunnel is shown
        monkeypatch.setenv(name, value)
    return make_app(tui_data, tmp_path)


def _shown_address(app: TetherApp) -> str:
    if not isinstance(app.screen, OAuthSignInScreen):
        return ""
    return str(app.screen.query_one("#signin-url", Static).render()).strip()


async def _sign_in_screen(pilot, previous: str = "") -> str:  # type: ignore[no-untyped-def]
    """Wait for the sign-in screen's address; it is also on the clipboard (OSC 52)."""
    app = pilot.app
    await _until(
        pilot, lambda: _shown_address(app).startswith("https://") and _shown_address(app) != previous, "sign-in"
    )
    url = _shown_address(app)
    assert app.clipboard == url
    return url


async def _signed_in(pilot) -> None:  # type: ignore[no-untyped-def]
    await _until(pilot, lambda: not pilot.app.screen.query_one("#signin-save", Button).disabled, "signed in")
    await pilot.pause()


async def test_gmail_from_the_form_through_reauth_to_delete(
    gmail_app: TetherApp, google: Google, tui_data: Path
) -> None:
    app = gmail_app
    seen: list[str] = []
    async with app.run_test(size=(120, 50)) as pilot:
        await open_new(pilot, "gmail")
        form = app.screen
        assert isinstance(form, IntegrationFormScreen)
        await type_into(pilot, "#field-label", "Work Gmail")
        await type_into(pilot, "#field-client_id", google.oauth.client_id)
        await type_into(pilot, "#field-client_secret", google.oauth.client_secret)
        for name in ("authorize_url", "token_url", "revoke_url", "userinfo_url", "imap_host", "imap_port", "ca_file"):
            form.editor(name).set_value(str(google.settings[name]))
        await pilot.press("ctrl+s")

        # Saving a Gmail integration that is not signed in yet goes straight to the sign-in.
        url = await _sign_in_screen(pilot)
        signin = app.screen
        seen.append(_screen_text(app))
        assert "ssh -N -L" in seen[-1] and "ann@192.0.2.10" in seen[-1]
        location = await asyncio.to_thread(google.consent, url, follow=False)
        pasted = signin.query_one("#signin-pasted", Input)
        pasted.value = location
        pasted.focus()
        await pilot.press("enter")
        await _signed_in(pilot)
        seen.append(_screen_text(app))
        assert USER in seen[-1] and "INBOX 3 messages" in seen[-1]
        await pilot.press("enter")  # Save
        await _until(pilot, lambda: app.screen is form, "back on the form")
        await settle(pilot)
        assert form.integration is not None and form.integration.status is Status.CONNECTED
        assert form.editor("address").value == USER
        seen.append(_screen_text(app))
        await pilot.press("ctrl+s")  # "Done"
        await settle(pilot)
        assert isinstance(app.screen, IntegrationsScreen)
        assert "Work Gmail" in table_text(pilot) and "connected" in table_text(pilot)

        # A workflow uses it; then Google stops accepting the sign-in.
        repo = app.context.storage.integrations
        stored = repo.find("Work Gmail")
        app.context.storage.workflows.add("Morning brief", links=[LinkSpec(stored.id, Role.SOURCE)])
        google.oauth.state.revoke_user(USER)
        await pilot.press("r")
        await settle(pilot)
        assert "needs re-auth" in table_text(pilot)
        seen.append(_screen_text(app))

        # One key on the list signs in again; the browser's redirect reaches tether through the tunnel.
        await pilot.press("ctrl+r")
        await asyncio.to_thread(google.consent, await _sign_in_screen(pilot, previous=url))
        await _signed_in(pilot)
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, IntegrationsScreen), "back on the list")
        await settle(pilot)
        assert "connected" in table_text(pilot)
        again = repo.find("Work Gmail")
        assert again.id == stored.id and again.status is Status.CONNECTED
        assert [use.workflow_name for use in again.used_by] == ["Morning brief"]
        seen.append(_screen_text(app))

        # Deleting it gives the sign-in back to Google first.
        live = set(google.oauth.state.live_refresh_tokens())
        await pilot.press("d")
        await pilot.pause()
        await pilot.click("#delete")
        await settle(pilot)
        assert any("its sign-in was revoked" in note for note in app.notes)  # type: ignore[attr-defined]
        assert not set(google.oauth.state.live_refresh_tokens()) & live
        assert "Work Gmail" not in table_text(pilot)

    shown = "\n".join(seen) + "\n".join(app.notes)  # type: ignore[attr-defined]
    database = (tui_data / "tether.db").read_bytes()
    for secret in google.all_tokens():
        assert secret not in shown
        assert secret.encode() not in database


async def test_delete_says_so_when_the_sign_in_could_not_be_revoked(app: TetherApp, context) -> None:  # type: ignore[no-untyped-def]
    settings = {"client_id": "1234-abc.apps.googleusercontent.com", "revoke_url": "https://127.0.0.1:9/revoke"}
    context.storage.integrations.add(
        "gmail", "Gmail", settings, {"client_secret": "cs-1234", "refresh_token": "rt-5678"}
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert "revoked first" in _screen_text(app)
        await pilot.click("#delete")
        await settle(pilot)
    notes = "\n".join(app.notes)  # type: ignore[attr-defined]
    assert "Could not revoke the Google sign-in" in notes and "Deleted 'Gmail'" in notes
    assert "rt-5678" not in notes and "cs-1234" not in notes
    assert context.storage.integrations.list() == []


async def test_test_connection_in_edit_uses_the_stored_sign_in_and_keeps_a_rotated_token(
    gmail_app: TetherApp, google: Google, tui_data: Path
) -> None:
    from app.core.context import open_context
    from connectors.gmail.spec import GOOGLE
    from connectors.oauth.loopback import SignIn

    google.oauth.state.access_token_lifetime = 30  # the next use must refresh, and the server rotates
    signin = SignIn(GOOGLE.client(google.settings, google.secrets)).start()
    signin.submit_url(google.consent(signin.authorization_url, follow=False))
    result = signin.wait()
    assert result is not None
    repo = open_context(tui_data).storage.integrations
    settings = {**google.settings, "address": USER}
    stored = repo.add("gmail", "Gmail", settings, {**google.secrets, "refresh_token": result.refresh_token})
    async with gmail_app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert "INBOX 3 messages" in _screen_text(gmail_app)
    kept = repo.read_secrets(repo.get(stored.id))["refresh_token"]
    assert kept != result.refresh_token and kept in google.oauth.state.live_refresh_tokens()
