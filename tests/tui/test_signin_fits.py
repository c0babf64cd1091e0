"""The browser sign-in at 80×24: its buttons and its status stay on screen while the steps scroll."""

from __future__ import annotations

from textual.widgets import Button

from screens.oauth_signin import OAuthSignInScreen
from tests.tui.test_gmail_snapshots import SSH_ENV, Host, _address_shown, _integration, repeatable_randomness  # noqa: F401


async def test_the_sign_in_actions_are_visible_at_80x24(repeatable_randomness) -> None:  # type: ignore[no-untyped-def] # noqa: F811
    screen = OAuthSignInScreen(
        _integration(redirect_port=0), {"client_secret": "cs"}, environ=SSH_ENV, open_browser=False
    )
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await _address_shown(pilot)
        visible = app.screen.region
        for widget in (*app.screen.query(Button), app.screen.query_one("#signin-status")):
            assert widget.region.height > 0 and visible.contains_region(widget.region), widget
            # Not hidden below the fold of the scrolling steps either.
            body = app.screen.query_one("#signin")
            assert body.region.contains_region(widget.region), widget
        await pilot.press("escape")


async def test_custom_endpoints_name_the_provider_neutrally(repeatable_randomness) -> None:  # type: ignore[no-untyped-def] # noqa: F811
    from connectors.gmail.spec import GOOGLE

    settings = {"authorize_url": "https://sso.example.test/authorize", "token_url": "https://sso.example.test/token"}
    assert GOOGLE.title_for(settings) == "Sign in with your OAuth server"
    assert GOOGLE.title_for({}) == "Sign in with Google"
    screen = OAuthSignInScreen(
        _integration(redirect_port=0, **settings), {"client_secret": "cs"}, environ={}, open_browser=False
    )
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await _address_shown(pilot)
        assert str(app.screen.query_one("#signin-title").render()) == "Sign in with your OAuth server for Work Gmail"
        await pilot.press("escape")
