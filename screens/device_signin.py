"""Device-code sign-in for an OAuth integration: the natural way over SSH, nothing has to reach this machine.

Shows the verification address and the user code in large type, copies the code to the terminal's
clipboard (OSC 52, so it works through SSH and tmux), and waits while tether polls the provider.
Escape cancels the polling at once. The finish (check, preview, Save) is the browser sign-in's.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Footer, Static

from screens.oauth_signin import OAuthSignInScreen, SignInStarted
from connectors.outside_text import clean


class DeviceSignInScreen(OAuthSignInScreen):
    """Sign in again with a device code; dismisses with the updated integration, or None."""

    HELP_TITLE = "Sign in with a code"
    HELP_NEXT = (
        "Open the address on any device (your phone or laptop), sign in, and enter the code shown. "
        "tether notices by itself when you are done; escape stops waiting."
    )
    METHOD = "device"
    BINDINGS = [
        Binding(
            "ctrl+y", "copy", "Copy code", tooltip="Copy the sign-in code to the clipboard again", id="signin.copy_code"
        ),
    ]
    DEFAULT_CSS = """
    DeviceSignInScreen #signin-code {
        width: auto; min-width: 24; height: auto; padding: 1 4; margin: 0 0 1 2;
        border: heavy $accent; text-style: bold; color: $text; background: $boost; content-align: center middle;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="signin"):
            yield Static(
                Content(clean(f"{self.provider.title_for(self.integration.settings)} for {self.integration.label}")),
                id="signin-title",
            )
            with Vertical(id="signin-steps"):
                yield Static("1. On any device, open this address:", classes="muted")
                yield Static("asking for a sign-in code…", id="signin-url")
                yield Static("2. Sign in there and enter this code (ctrl+y copies it again):", classes="muted")
                yield Static("…", id="signin-code")
            with Vertical(id="signin-actions"):  # docked like the browser sign-in's: always in view at 80×24
                yield Static("", id="signin-status")
                with Horizontal(id="signin-buttons"):
                    yield Button(
                        "Save", id="signin-save", variant="primary", disabled=True, tooltip="Keep this sign-in"
                    )
                    yield Button("Cancel", id="signin-cancel", tooltip="escape: stop waiting; nothing is changed")
        yield Footer()

    def on_mount(self, event: events.Mount) -> None:  # type: ignore[override]  # Textual passes the event when asked
        event.prevent_default()  # the browser sign-in's own mount handler expects its address field
        self.query_one("#signin-cancel", Button).focus()
        self._begin()

    def on_sign_in_started(self, message: SignInStarted) -> None:
        message.prevent_default()  # this screen shows a code, not the browser sign-in's address and tunnel
        self._signin = signin = message.signin
        # Both come from the server: shown as text, never markup, through the one sanitiser.
        self.query_one("#signin-url", Static).update(Content(clean(signin.verification_uri)))
        self.query_one("#signin-code", Static).update(Content(clean(signin.user_code)))
        self.app.copy_to_clipboard(signin.user_code)
        from connectors.wording import duration

        wait = duration(min(signin.timeout, signin.expires_in))
        self._busy(
            True,
            f"Code copied to the clipboard. Waiting for the sign-in (checking every {signin.interval:g} s, "
            f"for up to {wait})…",
        )
        self._waiting = True
        self._wait(signin)

    def action_copy(self) -> None:
        if self._signin is not None and self._signin.user_code:
            self.app.copy_to_clipboard(self._signin.user_code)
            self.notify("Sign-in code copied to the clipboard.")
