"""What the device-code sign-in looks like while it waits for the code. Review the SVG before updating.

The code and the address are a stand-in sign-in's (the real ones are random); everything else is the
screen as a person sees it over SSH.
"""

from __future__ import annotations

import threading

import pytest
from textual.app import App

from connectors.outlook.spec import OUTLOOK
from screens.device_signin import DeviceSignInScreen
from storage.records import Integration, Status
from tests.tui.conftest import NOW

SIZE = (80, 24)  # the smallest terminal tether supports: the code and the buttons must both show
SSH_ENV = {"SSH_CONNECTION": "198.51.100.4 52144 192.0.2.10 22", "USER": "ann"}


class _WaitingSignIn:
    """A device sign-in that shows a fixed code and waits until cancelled."""

    method = "device"
    user_code = "QWTR-KZPD"
    verification_uri = "https://microsoft.com/devicelogin"
    verification_uri_complete = ""
    authorization_url = verification_uri
    interval = 5.0
    expires_in = 900.0
    timeout = 300.0

    def __init__(self) -> None:
        self._cancelled = threading.Event()

    def wait(self) -> None:
        self._cancelled.wait(30)

    def cancel(self) -> None:
        self._cancelled.set()

    def close(self) -> None:
        pass


class Host(App[None]):
    def __init__(self, screen: DeviceSignInScreen) -> None:
        super().__init__()
        self.animation_level = "none"
        self.signin_screen = screen

    def on_mount(self) -> None:
        self.push_screen(self.signin_screen)


@pytest.fixture
def waiting_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.core.oauth_flow as oauth_flow

    monkeypatch.setattr(oauth_flow, "start_signin", lambda *args, **kwargs: _WaitingSignIn())


async def _code_shown(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(300):
        if pilot.app.clipboard == _WaitingSignIn.user_code:
            break
        await pilot.pause(0.01)
    await pilot.pause()


def test_waiting_for_the_code_over_ssh(snap_compare, waiting_sign_in) -> None:  # type: ignore[no-untyped-def]
    integration = Integration(
        id=1,
        label="Work Outlook",
        type_key="outlook",
        settings={"client_id": "00000000-aaaa-bbbb-cccc-000000000000"},
        secret_store="keyring",
        secret_names=(),
        status=Status.NEEDS_REAUTH,
        status_detail="",
        last_checked_at=None,
        created_at=NOW,
        updated_at=NOW,
    )
    screen = DeviceSignInScreen(integration, {}, spec=OUTLOOK, environ=SSH_ENV)
    assert snap_compare(Host(screen), terminal_size=SIZE, run_before=_code_shown)
