"""Small generic dialogs: pick one entry from a list, or confirm a plain yes/no question."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, OptionList, Static
from textual.widgets.option_list import Option

from widgets.plain import plain


class PickScreen(ModalScreen["str | None"]):
    """Returns the chosen entry's id, or None on escape."""

    HELP_TITLE = "Pick one"
    HELP_NEXT = "Arrows move, enter chooses, escape cancels."
    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Choose nothing", id="pick.cancel")]

    def __init__(self, title: str, entries: Sequence[tuple[str, Content | str]], note: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.entries = entries
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(plain(self.title_text), classes="dialog-title")
            if self.note:
                yield Static(plain(self.note), classes="muted")
            yield OptionList(
                *(Option(plain(p) if isinstance(p, str) else p, id=key) for key, p in self.entries), id="pick"
            )
        yield Footer()  # the dialog's own keys, not the screen underneath

    def on_mount(self) -> None:
        self.query_one("#pick", OptionList).focus()

    @on(OptionList.OptionSelected, "#pick")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A question with Cancel focused first; the person must choose the action explicitly."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Change nothing", id="confirm.cancel")]

    def __init__(
        self,
        title: str,
        body: Content | str,
        action_label: str,
        *,
        cancel_label: str = "Cancel",
        variant: str = "error",
    ) -> None:
        super().__init__()
        self.title_text, self.body, self.action_label = title, body, action_label
        self.cancel_label, self.variant = cancel_label, variant

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.body, multiline=True) if isinstance(self.body, str) else self.body)
            with Horizontal(classes="buttons"):
                yield Button(self.cancel_label, id="cancel", variant="primary")
                yield Button(self.action_label, id="confirm", variant=self.variant)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
