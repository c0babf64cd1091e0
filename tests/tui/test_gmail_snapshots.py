"""What the sign-in screen looks like, waiting over SSH and after a failure. Review the SVGs before updating.

The address is made repeatable: fixed random values, a fixed port, Google's default endpoints (building
the address needs no network). The spinner is pinned by the app's animation level.
"""

from __future__ import annotations

import itertools
import socket
from types import SimpleNamespace

import pytest
from textual.app import App

from connectors.registry import builtin_types
from screens.oauth_signin import OAuthSignInScreen
from storage.records import Integration, Status
from tests.tui.conftest import NOW

SIZE = (100, 34)
SSH_ENV = {"SSH_CONNECTION": "198.51.100.4 52144 192.0.2.10 22", "USER": "ann"}
PORT = 48765


def _integration(**settings: object) -> Integration:
    return Integration(
        id=1,
        label="Work Gmail",
        type_key="gmail",
        settings={"client_id": "1234-abc.apps.googleusercontent.com", "redirect_port": PORT, **settings},
        secret_store="keyring",
        secret_names=("client_secret",),
        status=Status.NEEDS_REAUTH,
        status_detail="",
        last_checked_at=None,
        created_at=NOW,
        updated_at=NOW,
    )


class Host(App[None]):
    def __init__(self, screen: OAuthSignInScreen) -> None:
        super().__init__()
        self.types = builtin_types()
        self.animation_level = "none"
        self.signin_screen = screen

    def on_mount(self) -> None:
        self.push_screen(self.signin_screen)


@pytest.fixture
def repeatable_randomness(monkeypatch: pytest.MonkeyPatch) -> None:
    import secrets

    import connectors.oauth.loopback as signin

    counter = itertools.count()
    fake = SimpleNamespace(
        token_urlsafe=lambda n=32: f"fixed{next(counter)}".ljust(n, "x")[:n],
        compare_digest=secrets.compare_digest,
    )
    monkeypatch.setattr(signin, "secrets", fake)


async def _address_shown(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(300):
        if pilot.app.clipboard.startswith("https://"):
            break
        await pilot.pause(0.01)
    await pilot.pause()


async def _error_shown(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(300):
        if "✖" in str(pilot.app.screen.query_one("#signin-status").render()):
            break
        await pilot.pause(0.01)
    await pilot.pause()


def test_waiting_for_the_browser_over_ssh(snap_compare, repeatable_randomness) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", PORT)) == 0:
            pytest.skip(f"port {PORT} is taken on this machine")
    screen = OAuthSignInScreen(_integration(), {"client_secret": "cs-not-shown"}, environ=SSH_ENV, open_browser=False)
    assert snap_compare(Host(screen), terminal_size=SIZE, run_before=_address_shown)


def test_a_settings_problem_is_shown_in_words(snap_compare) -> None:  # type: ignore[no-untyped-def]
    screen = OAuthSignInScreen(
        _integration(token_url="http://oauth.example.com/token"),
        {"client_secret": "cs-not-shown"},
        environ={},
        open_browser=False,
    )
    assert snap_compare(Host(screen), terminal_size=SIZE, run_before=_error_shown)
