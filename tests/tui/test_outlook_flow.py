"""A person's whole Outlook story in the TUI over SSH, against the local OAuth server and Dovecot (no fakes):
add it through the form and a device code, lose the sign-in, re-authenticate from the list, delete."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Static

from app.tui.tether_app import TetherApp
from screens.device_signin import DeviceSignInScreen
from screens.integration_form import IntegrationFormScreen
from screens.integrations import IntegrationsScreen
from storage.records import LinkSpec, Role, Status
from tests.connectors.outlook.conftest import USER, Microsoft, _dovecot, microsoft, oauth_server  # noqa: F401
from tests.tui.conftest import make_app, settle
from tests.tui.helpers import open_new, table_text, type_into
from tests.tui.test_gmail_flow import _signed_in
from tests.tui.test_gmail_signin import _screen_text, _until

SSH_ENV = {"SSH_CONNECTION": "198.51.100.4 52144 192.0.2.10 22", "USER": "ann"}


@pytest.fixture
def outlook_app(tui_data: Path, tmp_path: Path, keyring_store, monkeypatch: pytest.MonkeyPatch) -> TetherApp:  # type: ignore[no-untyped-def]
    for name, value in SSH_ENV.items():  # over SSH: the device code is the default sign-in
        monkeypatch.setenv(name, value)
    return make_app(tui_data, tmp_path)


def _shown_code(app: TetherApp) -> str:
    if not isinstance(app.screen, DeviceSignInScreen):
        return ""
    return str(app.screen.query_one("#signin-code", Static).render()).strip()


async def _code_screen(pilot, previous: str = "") -> str:  # type: ignore[no-untyped-def]
    """Wait for the device-code screen's code; it is also on the clipboard (OSC 52)."""
    app = pilot.app
    await _until(pilot, lambda: "-" in _shown_code(app) and _shown_code(app) != previous, "a sign-in code")
    code = _shown_code(app)
    assert app.clipboard == code
    return code


async def test_outlook_from_the_form_by_device_code_through_reauth_to_delete(
    outlook_app: TetherApp, microsoft: Microsoft, tui_data: Path
) -> None:
    app = outlook_app
    page = microsoft.oauth.url("/device")
    seen: list[str] = []
    async with app.run_test(size=(120, 50)) as pilot:
        await open_new(pilot, "microsoft 365 oauth")
        form = app.screen
        assert isinstance(form, IntegrationFormScreen) and form.spec.key == "outlook"
        await type_into(pilot, "#field-label", "Work Outlook")
        await type_into(pilot, "#field-client_id", microsoft.oauth.public_client_id)
        for name in ("authorize_url", "token_url", "device_url", "imap_host", "imap_port", "ca_file"):
            form.editor(name).set_value(str(microsoft.settings[name]))
        await pilot.press("ctrl+s")

        # Saving an Outlook integration that is not signed in yet goes straight to the sign-in: a code, over SSH.
        code = await _code_screen(pilot)
        seen.append(_screen_text(app))
        assert page in seen[-1] and code in seen[-1]
        await asyncio.to_thread(microsoft.verification_page, f"{page}?user_code={code}")
        await _signed_in(pilot)
        seen.append(_screen_text(app))
        assert USER in seen[-1] and "INBOX 3 messages" in seen[-1]
        await pilot.press("enter")  # Save
        await _until(pilot, lambda: app.screen is form, "back on the form")
        await settle(pilot)
        assert form.integration is not None and form.integration.status is Status.CONNECTED
        assert form.editor("address").value == USER
        await pilot.press("ctrl+s")  # "Done"
        await settle(pilot)
        assert isinstance(app.screen, IntegrationsScreen)
        assert "Work Outlook" in table_text(pilot) and "connected" in table_text(pilot)

        # A workflow uses it; then Microsoft stops accepting the sign-in.
        repo = app.context.storage.integrations
        stored = repo.find("Work Outlook")
        app.context.storage.workflows.add("Morning brief", links=[LinkSpec(stored.id, Role.SOURCE)])
        microsoft.oauth.state.revoke_user(USER)
        await pilot.press("r")
        await settle(pilot)
        assert "needs re-auth" in table_text(pilot)

        # One key on the list signs in again, with a new code.
        await pilot.press("ctrl+r")
        again_code = await _code_screen(pilot, previous=code)
        await asyncio.to_thread(microsoft.verification_page, f"{page}?user_code={again_code}")
        await _signed_in(pilot)
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, IntegrationsScreen), "back on the list")
        await settle(pilot)
        assert "connected" in table_text(pilot)
        again = repo.find("Work Outlook")
        assert again.id == stored.id and again.status is Status.CONNECTED
        assert [use.workflow_name for use in again.used_by] == ["Morning brief"]

        # Deleting it: Microsoft cannot revoke, and the dialog and the notification say where to remove access.
        await pilot.press("d")
        await pilot.pause()
        seen.append(_screen_text(app))
        assert "Microsoft offers no way for tether to end its sign-in" in seen[-1]
        await pilot.click("#delete")
        await settle(pilot)
        assert any("account.live.com/consent/Manage" in note for note in app.notes)  # type: ignore[attr-defined]
        assert "Work Outlook" not in table_text(pilot)

    shown = "\n".join(seen) + "\n".join(app.notes)  # type: ignore[attr-defined]
    database = (tui_data / "tether.db").read_bytes()
    for secret in microsoft.all_tokens():
        assert secret not in shown
        assert secret.encode() not in database
