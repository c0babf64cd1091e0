"""The browser sign-in for an OAuth integration, wherever the person's browser is (device code: screens.device_signin).

Shows the authorization address in full (and copies it to the terminal's clipboard with OSC 52),
the ``ssh -L`` command on an SSH session, and a field for the address the browser ended on when
its redirect could not reach this machine. After the sign-in it shows the account and the IMAP
preview; Save stores the new sign-in into the integration (label and workflow links stay).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Static

from widgets.plain import plain

if TYPE_CHECKING:
    from app.core.oauth_flow import SignedIn
    from connectors.errors import ConnectorError
    from connectors.types import IntegrationType
    from storage.records import Integration


class SignInStarted(Message):
    def __init__(self, signin: Any) -> None:
        super().__init__()
        self.signin = signin


class SignInProgress(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class SignInFinished(Message):
    def __init__(self, signed_in: SignedIn | None, error: ConnectorError | None) -> None:
        super().__init__()
        self.signed_in, self.error = signed_in, error


class SignInSaved(Message):
    def __init__(self, integration: Integration | None, error: str = "") -> None:
        super().__init__()
        self.integration, self.error = integration, error


class OAuthSignInScreen(ModalScreen["Integration | None"]):
    """Sign in again for a stored integration; dismisses with the updated integration, or None."""

    HELP_TITLE = "Sign in through the browser"
    METHOD = "loopback"
    HELP_NEXT = (
        "Open the address in a browser and allow access. If the browser is on another computer and ends on "
        "a page that fails to load, copy that page's address into the field and press enter."
    )
    DEFAULT_CSS = """
    OAuthSignInScreen { align: center middle; }
    OAuthSignInScreen #signin {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary 60%; background: $surface; padding: 0 1;
    }
    OAuthSignInScreen #signin-title { text-style: bold; color: $accent; padding-bottom: 1; }
    OAuthSignInScreen #signin-steps { height: auto; }
    OAuthSignInScreen #signin-url { color: $text; background: $boost; padding: 0 1; margin-bottom: 1; }
    OAuthSignInScreen #signin-tunnel { color: $warning; padding-bottom: 1; }
    OAuthSignInScreen .muted { color: $text-muted; }
    /* Docked: at 80×24 the steps scroll, while what is happening and the buttons stay in view. */
    OAuthSignInScreen #signin-actions { dock: bottom; height: auto; max-height: 9; padding-top: 1; }
    OAuthSignInScreen #signin-status { height: auto; min-height: 1; max-height: 4; }
    OAuthSignInScreen #signin-status.-busy { color: $text-muted; }
    OAuthSignInScreen #signin-buttons { height: 3; align-horizontal: right; }
    OAuthSignInScreen #signin-buttons Button { margin-left: 1; }
    """
    BINDINGS = [
        Binding(
            "escape", "cancel", "Cancel", tooltip="Stop waiting for the sign-in; nothing is changed", id="signin.cancel"
        ),
        Binding(
            "ctrl+y",
            "copy",
            "Copy address",
            tooltip="Copy the sign-in address to the clipboard again",
            id="signin.copy",
        ),
        Binding(
            "ctrl+r",
            "restart",
            "Start again",
            tooltip="A new sign-in address (after a timeout or error)",
            id="signin.restart",
        ),
        Binding(
            "ctrl+o",
            "other_method",
            "Other way",
            tooltip="Sign in with a device code, or with a browser redirect, instead",
            id="signin.other",
        ),
    ]

    def __init__(
        self,
        integration: Integration,
        secrets: Mapping[str, str] | None = None,
        *,
        spec: IntegrationType | None = None,
        environ: Mapping[str, str] | None = None,
        timeout: float | None = None,
        open_browser: bool = True,
    ) -> None:
        super().__init__()
        self.integration = integration
        self._spec = spec  # None: looked up in the App's registry when mounted
        self._secrets = dict(secrets) if secrets is not None else None  # None: read from storage in a worker
        self._environ = dict(os.environ if environ is None else environ)
        self._timeout = timeout
        self._open_browser = open_browser
        self._signin: Any = None
        self._signed_in: SignedIn | None = None
        self._waiting = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.integration.label!r})"

    @property
    def spec(self) -> IntegrationType:
        if self._spec is None:
            self._spec = self.app.types.get(self.integration.type_key)  # type: ignore[attr-defined]
        return self._spec

    @property
    def provider(self):
        assert self.spec.oauth_provider is not None, "only OAuth types sign in"
        return self.spec.oauth_provider

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="signin"):
            yield Static(
                plain(f"{self.provider.title_for(self.integration.settings)} for {self.integration.label}"),
                id="signin-title",
            )
            with Vertical(id="signin-steps"):
                yield Static("1. Open this address in a browser and allow access (ctrl+y copies it):", classes="muted")
                yield Static("preparing the sign-in address…", id="signin-url")
                yield Static("", id="signin-tunnel")
                yield Static(
                    "2. If the browser is on another computer and ends on a page that fails to load, "
                    "copy that page's address here and press enter:",
                    classes="muted",
                )
                yield Input(placeholder="http://127.0.0.1:…/?state=…&code=…", id="signin-pasted")
            with Vertical(id="signin-actions"):
                yield Static("", id="signin-status")
                with Horizontal(id="signin-buttons"):
                    yield Button(
                        "Save", id="signin-save", variant="primary", disabled=True, tooltip="Keep this sign-in"
                    )
                    yield Button("Cancel", id="signin-cancel", tooltip="escape: nothing is changed")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#signin-tunnel", Static).display = False
        self.query_one("#signin-pasted", Input).focus()
        self._begin()

    # --- starting -------------------------------------------------------------------------

    def _begin(self) -> None:
        self._signed_in = None
        self.query_one("#signin-steps").display = True
        self.query_one("#signin-save", Button).disabled = True
        self._busy(True, "Preparing the sign-in…")
        self._start()

    @work(thread=True, exclusive=True, group="signin-start", exit_on_error=False, name="prepare the sign-in")
    def _start(self) -> None:
        from app.core.oauth_flow import start_signin
        from connectors.errors import ConnectorError, ErrorKind
        from storage.secrets.base import SecretStoreError

        try:
            if self._secrets is None:
                self._secrets = self.app.context.storage.integrations.read_secrets(self.integration)  # type: ignore[attr-defined]
            signin = start_signin(
                self.spec,
                self.integration.settings,
                self._secrets,
                method=self.METHOD,
                environ=self._environ,
                timeout=self._timeout,
            )
        except SecretStoreError as exc:
            self.post_message(SignInFinished(None, ConnectorError(ErrorKind.SECRETS, str(exc))))
            return
        except ConnectorError as exc:
            self.post_message(SignInFinished(None, exc))
            return
        self.post_message(SignInStarted(signin))

    def on_sign_in_started(self, message: SignInStarted) -> None:
        from connectors.oauth.loopback import may_open_browser, ssh_tunnel_command

        self._signin = signin = message.signin
        self.query_one("#signin-url", Static).update(plain(signin.authorization_url))
        tunnel = ssh_tunnel_command(signin.port, self._environ)
        tunnel_box = self.query_one("#signin-tunnel", Static)
        tunnel_box.display = tunnel is not None
        if tunnel:
            tunnel_box.update(
                plain(
                    "You are on SSH: for the browser on your own computer to come back here, run there first\n"
                    f"  {tunnel}\n(or skip it and paste the address as in step 2).",
                    multiline=True,
                )
            )
        self.app.copy_to_clipboard(signin.authorization_url)
        from connectors.wording import duration

        self._busy(
            True,
            f"Address copied to the clipboard. Waiting for the sign-in on {signin.redirect_uri} ({duration(signin.timeout)})…",
        )
        if self._open_browser and may_open_browser(self._environ):
            self._launch_browser(signin.authorization_url)
        self._waiting = True
        self._wait(signin)

    @work(thread=True, group="signin-browser", exit_on_error=False, name="open the browser")
    def _launch_browser(self, url: str) -> None:
        import webbrowser

        webbrowser.open(url)

    # --- waiting and finishing ----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="signin-wait", exit_on_error=False, name="finish the sign-in")
    def _wait(self, signin: Any) -> None:
        from app.core.oauth_flow import finish_signin
        from connectors.errors import ConnectorError

        try:
            result = signin.wait()
            if result is None:
                return
            self.post_message(SignInProgress(f"Signed in as {result.email}. Checking the connection with it…"))
            signed_in = finish_signin(self.spec, self.integration.settings, self._secrets or {}, result)
        except ConnectorError as exc:
            self.post_message(SignInFinished(None, exc))
        else:
            self.post_message(SignInFinished(signed_in, None))

    def on_sign_in_progress(self, message: SignInProgress) -> None:
        self._busy(True, message.text)

    def on_sign_in_finished(self, message: SignInFinished) -> None:
        self._waiting = False
        if message.error is not None:
            error = message.error
            if self._signin is None:  # it never started: there is no address to open
                self.query_one("#signin-url", Static).update("(no sign-in address: see the problem below)")
            self._busy(
                False,
                Content.assemble(
                    (f"✖ {error.kind.heading}: ", "$error bold"),
                    plain(error.message),
                    "\n",
                    plain(error.hint or "ctrl+r starts again; escape leaves without changes.", "$text-muted"),
                ),
            )
            return
        signed_in = message.signed_in
        assert signed_in is not None
        self._signed_in = signed_in
        self.query_one("#signin-steps").display = False  # done with them: make room for the preview
        parts: list[str | tuple[str, str] | Content] = [
            ("● Signed in as ", "$success bold"),
            plain(signed_in.address, "bold"),
        ]
        if signed_in.result is not None:
            parts += ["\n", plain(signed_in.result.summary)]
            for line in signed_in.result.details:
                parts += ["\n  ", plain(line)]
            for warning in signed_in.result.warnings:
                parts += ["\n", ("⚠ ", "$warning bold"), plain(warning)]
        parts += ["\n", ("Save keeps this sign-in.", "$text-muted")]
        self._busy(False, Content.assemble(*parts))
        save = self.query_one("#signin-save", Button)
        save.disabled = False
        save.focus()

    # --- the pasted address -------------------------------------------------------------------

    @on(Input.Submitted, "#signin-pasted")
    def _pasted(self, event: Input.Submitted) -> None:
        if self._signin is None or not self._waiting:
            return
        message = self._signin.submit_url(event.value)
        event.input.value = ""  # it holds a one-time code: do not keep it on screen
        if message is None:
            self._busy(True, "Got it. Finishing the sign-in…")
        else:
            self._busy(True, plain(message, "$error"))

    # --- saving, leaving ----------------------------------------------------------------------

    @on(Button.Pressed, "#signin-save")
    def _save_pressed(self) -> None:
        if self._signed_in is None:
            return
        self.query_one("#signin-save", Button).disabled = True
        self._busy(True, "Saving…")
        self._save(self._signed_in)

    @work(thread=True, exclusive=True, group="signin-save", exit_on_error=False, name="save the sign-in")
    def _save(self, signed_in: SignedIn) -> None:
        from app.core.oauth_flow import save_reauth
        from storage.errors import StorageError

        repo = self.app.context.storage.integrations  # type: ignore[attr-defined]
        try:
            updated = save_reauth(repo, self.integration, signed_in)
        except StorageError as exc:
            self.post_message(SignInSaved(None, str(exc)))
            return
        self.post_message(SignInSaved(updated))

    def on_sign_in_saved(self, message: SignInSaved) -> None:
        if message.integration is None:
            self._busy(False, Content.assemble(("Not saved: ", "$error bold"), plain(message.error)))
            self.query_one("#signin-save", Button).disabled = False
            return
        self.app.notify(
            f"{message.integration.label} is signed in as {self._signed_in.address if self._signed_in else ''}.",
            title="Signed in",
        )
        self.dismiss(message.integration)

    @on(Button.Pressed, "#signin-cancel")
    def action_cancel(self) -> None:
        self._stop()
        self.dismiss(None)

    def action_copy(self) -> None:
        if self._signin is not None:
            self.app.copy_to_clipboard(self._signin.authorization_url)
            self.notify("Sign-in address copied to the clipboard.")

    def action_other_method(self) -> None:
        """Leave this sign-in and start the other kind (the App knows which screens there are)."""
        methods = self.provider.sign_in_methods(self.integration.settings)
        other = next((method for method in methods if method != self.METHOD), None)
        if other is None:
            self.notify(f"{self.provider.name} offers no other way to sign in here.")
            return
        self._stop()
        self.dismiss(None)
        self.app.open_signin(self.integration, self._secrets, other)  # type: ignore[attr-defined]

    def action_restart(self) -> None:
        if self._waiting:
            return
        self._stop()
        self._begin()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "restart":
            return not self._waiting and self._signed_in is None
        if action == "other_method":  # only for a provider with both kinds of sign-in
            return self._signed_in is None and len(self.provider.sign_in_methods(self.integration.settings)) > 1
        return True

    def _stop(self) -> None:
        signin, self._signin = self._signin, None
        if signin is not None:
            signin.cancel()
            signin.close()
        self._waiting = False

    def on_unmount(self) -> None:
        self._stop()

    def _busy(self, busy: bool, text: str | Content) -> None:
        # Words, not a spinner: the wait can last minutes, and the text says what it waits for.
        self.query_one("#signin-status", Static).set_class(busy, "-busy")
        self.query_one("#signin-status", Static).update(plain(text) if isinstance(text, str) else text)
        self.refresh_bindings()

    def on_worker_state_changed(self, event: Any) -> None:
        from textual.worker import WorkerState

        if event.state is WorkerState.ERROR:
            report = getattr(self.app, "report_worker_failure", None)
            if report is not None:
                report(event.worker)
            self._waiting = False
            self._busy(False, "That did not work; see the notification. ctrl+r starts again.")
