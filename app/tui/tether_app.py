"""The tether App: opens the data directory after the first paint and owns what every screen shares."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import RenderableType
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from app.tui.keymap import load_keymap
from app.tui.health import HealthMixin
from app.tui.messages import ListFailed, ListLoaded, ListStale, SecretsChanged
from connectors.registry import TypeRegistry, default_types
from connectors.outside_text import clean
from screens.integrations import IntegrationsScreen

if TYPE_CHECKING:
    from app.core.context import Context
    from storage.records import Integration

ASSETS = Path(__file__).resolve().parent.parent.parent / "assets"
ENV_PASSPHRASE_COMMAND = "TETHER_PASSPHRASE_COMMAND"  # same name as storage.secrets.select, read lazily


class ContextReady(Message):
    def __init__(self, context: Context, integrations: list[Integration]) -> None:
        super().__init__()
        self.context = context
        self.integrations = integrations


class QuickLook(Message):
    """The quick look's rows; None when only the full read can tell."""

    def __init__(self, integrations: list[Integration] | None) -> None:
        super().__init__()
        self.integrations = integrations


class ContextFailed(Message):
    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class SecretsReady(Message):
    def __init__(self, then: Callable[[], None] | None, error: str = "") -> None:
        super().__init__()
        self.then = then
        self.error = error


class SignInReady(Message):
    def __init__(self, integration: Integration, secrets: dict[str, str]) -> None:
        super().__init__()
        self.integration = integration
        self.secrets = secrets


class TetherApp(HealthMixin, App[None]):
    TITLE = "tether"
    SUB_TITLE = "opening…"
    CSS_PATH = str(ASSETS / "tether.tcss")
    BINDINGS = [
        Binding("f1", "help", "Help", tooltip="Every key on this screen, and what to do next", id="app.help"),
        Binding("question_mark", "help", "Help", show=False, tooltip="Every key on this screen", id="app.help_alt"),
        Binding("ctrl+q", "quit", "Quit", show=False, tooltip="Leave tether", id="app.quit"),
    ]

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        keymap_path: Path | None = None,
        types: TypeRegistry | None = None,
    ) -> None:
        super().__init__()
        self.data_dir = data_dir
        # The integration types this app offers; screens ask it, never a module of their own.
        self.types: TypeRegistry = types if types is not None else default_types()
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.context: Context | None = None
        self.keymap: dict[str, str] = {}
        self._keymap_path = keymap_path

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification, from any screen: always text, never markup, control characters replaced.

        Notifications quote labels, server text and errors; ``[/x]`` in one would stop the app and
        ``[@click=...]`` would become a live link, so ``markup`` is ignored here on purpose.
        """
        super().notify(
            clean(message, multiline=True), title=clean(title), severity=severity, timeout=timeout, markup=False
        )

    def exit(self, result: None = None, return_code: int = 0, message: RenderableType | None = None) -> None:
        """Quit at once: every network call in progress is interrupted, so no worker thread keeps the
        process alive (and the terminal blank) until a slow server's timeout runs out."""
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        from connectors.deadline import cancel_all

        cancel_all()
        # A worker stuck outside the network (a DNS lookup, a keyring) must not hold the exit either:
        # closing the loop waits for every thread of its default executor, so the loop gets a fresh one.
        with contextlib.suppress(RuntimeError):  # not called from the app's loop
            asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(thread_name_prefix="tether-quit"))
        super().exit(result, return_code, message)

    def get_default_screen(self) -> Screen:
        return IntegrationsScreen()

    def on_mount(self) -> None:
        # The full open (open_data) waits for the quick look's answer: see on_quick_look.
        self._quick_look()
        self.call_after_refresh(self._load_keymap)

    def _load_keymap(self) -> None:
        keymap, problem = load_keymap(self._keymap_path)
        if keymap:
            self.keymap = keymap
            self.set_keymap(keymap)
        if problem:
            self.notify(problem, title="Keymap", severity="warning")

    @property
    def main_screen(self) -> IntegrationsScreen:
        return self.screen_stack[0]  # type: ignore[return-value]

    # --- opening the data directory -------------------------------------------------------

    @work(thread=True, exclusive=True, group="context", exit_on_error=False, name="open the data directory")
    def open_data(self) -> None:
        from app.core.context import open_context
        from storage.errors import StorageError

        try:
            context = open_context(self.data_dir, self.types)
            from app.core.checks import mark_checks_elsewhere

            context.storage.integrations.finish_pending()
            integrations = mark_checks_elsewhere(context.storage.integrations, context.storage.integrations.list())
        except StorageError as exc:  # the database, the data directory and the secret store too
            self.post_message(ContextFailed(str(exc)))
            return
        self.post_message(ContextReady(context, integrations))

    @work(thread=True, exclusive=True, group="quick-look", exit_on_error=False, name="read the list")
    def _quick_look(self) -> None:
        """Rows from a plain read-only query (standard library only), shown while the rest of storage loads."""
        from storage.paths import resolve_data_dir
        from storage.quick_read import quick_integrations

        integrations: list[Integration] | None = None
        try:
            integrations = quick_integrations(resolve_data_dir(self.data_dir))
        finally:  # even if it failed: the full open starts from the answer
            self.post_message(QuickLook(integrations))

    def on_quick_look(self, message: QuickLook) -> None:
        if message.integrations and self.context is None:
            self.tell_list(ListLoaded(message.integrations))
        # The full open imports SQLAlchemy and may probe the keyring for seconds. A thread still
        # takes turns with the one that paints, so it starts only once the rows are on screen.
        self.call_after_refresh(self.open_data)

    def on_context_ready(self, message: ContextReady) -> None:
        self.context = message.context
        choice = message.context.secrets
        self.sub_title = "secrets in the OS keyring" if choice.vault is None else "secrets in the encrypted vault"
        self.tell_list(ListLoaded(message.integrations))
        self.start_health(message.context, message.integrations)
        self._follow_other_processes(message.context.data_dir)

    def _follow_other_processes(self, data_dir: Path) -> None:
        """The CLI, another TUI or tether mcp may change the database: the list follows within a second."""
        import sqlite3

        from app.tui.watch import WATCH_SECONDS, DataWatcher

        try:
            watcher = DataWatcher(data_dir)
        except sqlite3.Error:
            return

        def look() -> None:
            if watcher.changed():
                self.tell_list(ListStale())
                self.load_health()  # tether mcp's calls move the figures too

        self.set_interval(WATCH_SECONDS, look, name="follow other tether processes")

    def on_context_failed(self, message: ContextFailed) -> None:
        self.sub_title = "data directory not open"
        self.tell_list(ListFailed(message.message))

    # --- secrets ------------------------------------------------------------------------

    def secrets_locked(self) -> bool:
        if self.context is None:
            return False
        vault = self.context.secrets.vault
        return vault is not None and not vault.unlocked

    def with_secrets(self, then: Callable[[], object], on_cancel: Callable[[], None] | None = None) -> None:
        """Run ``then`` once the secret store can be used, asking for the vault passphrase at most once per run."""
        if self.context is None:
            self.notify("tether is still opening its data directory; try again in a moment.")
            return
        vault = self.context.secrets.vault
        if vault is None or vault.unlocked:
            then()
            return
        if os.environ.get(ENV_PASSPHRASE_COMMAND):
            self._unlock_from_command(then)
            return
        from screens.passphrase import PassphraseScreen

        def unlocked(ok: bool | None) -> None:
            if ok:
                self.tell_list(SecretsChanged())
                then()
            elif on_cancel is not None:
                on_cancel()

        self.push_screen(PassphraseScreen(vault, self.context.secrets.reason), unlocked)

    @work(thread=True, exclusive=True, group="secrets", exit_on_error=False, name="unlock the vault")
    def _unlock_from_command(self, then: Callable[[], None]) -> None:
        from storage.secrets.base import SecretStoreError
        from storage.secrets.select import ENV_PASSPHRASE_COMMAND, unlock_from_command

        assert self.context is not None
        try:
            if not unlock_from_command(self.context.secrets.vault):
                raise SecretStoreError(f"{ENV_PASSPHRASE_COMMAND} is no longer set.")
        except SecretStoreError as exc:
            self.post_message(SecretsReady(None, str(exc)))
            return
        self.post_message(SecretsReady(then))

    def on_secrets_ready(self, message: SecretsReady) -> None:
        self.tell_list(SecretsChanged())
        if message.error:
            self.notify(message.error, title="Secret store", severity="error", timeout=10)
        elif message.then is not None:
            message.then()

    # --- hooks other screens replace --------------------------------------------------------

    def reauthenticate(self, integration: Integration | None, type_name: str) -> None:
        """Open the sign-in (screens.oauth_signin, screens.device_signin) for a saved OAuth integration."""
        if integration is None:
            self.notify(
                f"Save the {type_name} integration first (ctrl+s); then Re-authenticate opens the browser sign-in.",
                title="Re-authenticate",
            )
            return
        self.with_secrets(lambda: self._read_signin_secrets(integration))

    @work(thread=True, exclusive=True, group="signin", exit_on_error=False, name="read the sign-in settings")
    def _read_signin_secrets(self, integration: Integration) -> None:
        from storage.secrets.base import SecretStoreError

        assert self.context is not None
        try:
            secrets = self.context.storage.integrations.read_secrets(integration)
        except SecretStoreError as exc:
            self.post_message(SecretsReady(None, str(exc)))
            return
        self.post_message(SignInReady(integration, secrets))

    def on_sign_in_ready(self, message: SignInReady) -> None:
        self.open_signin(message.integration, message.secrets)

    def open_signin(self, integration: Integration, secrets: dict[str, str] | None, method: str | None = None) -> None:
        """The sign-in screen for ``method``; by default the provider's choice (device code over SSH, if it has one)."""
        from screens.device_signin import DeviceSignInScreen
        from screens.oauth_signin import OAuthSignInScreen

        spec = self.types.get(integration.type_key)
        if method is None and spec.oauth_provider is not None:
            method = spec.oauth_provider.default_method(integration.settings, os.environ)
        screen_class = DeviceSignInScreen if method == DeviceSignInScreen.METHOD else OAuthSignInScreen

        def signed_in(updated: Integration | None) -> None:
            if updated is not None:
                self.main_screen.reload(select_label=updated.label)
                from screens.integration_form import IntegrationFormScreen

                if isinstance(self.screen, IntegrationFormScreen):
                    self.screen.signed_in(updated)

        self.push_screen(screen_class(integration, secrets, spec=spec), signed_in)

    # --- help, palette, failures ------------------------------------------------------------

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        from app.tui.commands import screen_commands

        yield from screen_commands(screen)

    def report_worker_failure(self, worker: Worker) -> None:
        """Turn an unexpected exception in a worker into a notification, never a traceback."""
        error = worker.error
        what = worker.name or "a background task"
        # Only the exception type: an unexpected message might quote a setting or a secret.
        kind = type(error).__name__ if error is not None else "unknown error"
        self.notify(
            f"Could not {what} ({kind}). Nothing else was changed.",
            title="Something went wrong",
            severity="error",
            timeout=10,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.report_worker_failure(event.worker)
            if event.worker.group == "context":
                self.tell_list(ListFailed("tether could not open its data directory; see the notification."))
