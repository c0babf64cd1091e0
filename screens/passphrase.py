"""Ask for the vault passphrase: twice to create the vault, once to unlock it; wrong ones get another try."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, LoadingIndicator, Static

from screens.base import ReportsWorkerFailures, focus_keys
from storage.secrets.vault import VaultStore
from widgets.plain import plain


class Unlocked(Message):
    def __init__(self, error: str = "") -> None:
        super().__init__()
        self.error = error


class PassphraseScreen(ReportsWorkerFailures, ModalScreen[bool]):
    HELP_TITLE = "Vault passphrase"
    HELP_NEXT = "Type the passphrase and press enter. Escape cancels: nothing is saved until the vault is open."
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Leave the vault locked", id="passphrase.cancel"),
        *focus_keys("passphrase"),
    ]

    def __init__(self, vault: VaultStore, reason: str) -> None:
        super().__init__()
        self.vault = vault
        self.reason = reason
        self.creating = not vault.exists()

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            title = "Create the secret vault" if self.creating else "Unlock the secret vault"
            yield Static(title, classes="dialog-title")
            yield Static(plain(self.reason), classes="muted")
            if self.creating:
                yield Static(
                    "Choose a passphrase (at least 8 characters). tether asks for it once per run; "
                    "it cannot be recovered if lost."
                )
            yield Input(password=True, placeholder="Passphrase", id="passphrase")
            if self.creating:
                yield Input(password=True, placeholder="The same passphrase again", id="again")
            yield Static("", id="passphrase-error", classes="error", markup=False)
            yield LoadingIndicator(id="unlocking")
            with Horizontal(classes="buttons"):
                yield Button("Create vault" if self.creating else "Unlock", id="unlock", variant="primary")
                yield Button("Cancel", id="cancel")
        yield Footer()  # the dialog's own keys, not the screen underneath

    def on_mount(self) -> None:
        self.query_one("#unlocking", LoadingIndicator).display = False
        self.query_one("#passphrase", Input).focus()

    def _error(self, message: str) -> None:
        self.query_one("#passphrase-error", Static).update(plain(message))

    @on(Input.Submitted, "#passphrase")
    def _first_done(self) -> None:
        if self.creating:
            self.query_one("#again", Input).focus()
        else:
            self.action_unlock()

    @on(Input.Submitted, "#again")
    @on(Button.Pressed, "#unlock")
    def action_unlock(self) -> None:
        passphrase = self.query_one("#passphrase", Input).value
        if not passphrase:
            self._error("Type the passphrase first.")
            return
        if self.creating and passphrase != self.query_one("#again", Input).value:
            self._error("The two passphrases differ; type them again.")
            self.query_one("#again", Input).value = ""
            self.query_one("#again", Input).focus()
            return
        self._error("")
        self.query_one("#unlocking", LoadingIndicator).display = True
        self.query_one("#unlock", Button).disabled = True
        self._open(passphrase)

    @work(thread=True, exclusive=True, exit_on_error=False, name="open the vault")
    def _open(self, passphrase: str) -> None:
        from storage.secrets.base import SecretStoreError

        try:
            self.vault.create(passphrase) if self.creating else self.vault.unlock(passphrase)
        except SecretStoreError as exc:
            self.post_message(Unlocked(str(exc)))
            return
        self.post_message(Unlocked())

    def on_unlocked(self, message: Unlocked) -> None:
        self.query_one("#unlocking", LoadingIndicator).display = False
        self.query_one("#unlock", Button).disabled = False
        if not message.error:
            self.dismiss(True)
            return
        self._error(message.error)
        box = self.query_one("#passphrase", Input)
        box.value = ""
        if self.creating:
            self.query_one("#again", Input).value = ""
        box.focus()

    def worker_failed(self, worker) -> None:
        self.query_one("#unlocking", LoadingIndicator).display = False
        self.query_one("#unlock", Button).disabled = False

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
