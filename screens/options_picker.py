"""Pick any number of server-offered values (e.g. calendars), with notes such as "read-only"."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, SelectionList, Static
from textual.widgets.selection_list import Selection

from connectors.fields import Option
from widgets.plain import plain


def option_prompt(option: Option) -> Content:
    if option.note:
        return Content.assemble(plain(option.label), plain(f"  ({option.note})", "$warning"))
    return plain(option.label)


class OptionsPickerScreen(ModalScreen["list[str] | None"]):
    HELP_TITLE = "Choose from the server's list"
    HELP_NEXT = "Space ticks or unticks the highlighted entry; ctrl+s keeps your choice; escape leaves it unchanged."
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Keep the previous choice", id="options.cancel"),
        Binding("ctrl+s", "accept", "Use these", tooltip="Use the ticked entries", id="options.accept"),
        Binding("ctrl+a", "all", "All", tooltip="Tick every entry", id="options.all"),
    ]

    def __init__(self, title: str, options: list[Option], chosen: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.options = options
        self.chosen = set(chosen)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Static(f"Choose {self.title_text.lower()}", classes="dialog-title", markup=False)
            if not self.options:
                yield Static("The server offered nothing to choose from.", classes="muted")
            yield SelectionList[str](
                *(Selection(option_prompt(o), o.value, o.value in self.chosen) for o in self.options),
                id="options",
            )
            yield Static("space: tick / untick   ctrl+s: use these   escape: cancel", classes="muted")
            with Horizontal(classes="buttons"):
                yield Button("Use these", id="accept", variant="primary")
                yield Button("Cancel", id="cancel")
        yield Footer()  # the dialog's own keys, not the screen underneath

    def on_mount(self) -> None:
        self.query_one("#options", SelectionList).focus()

    @on(Button.Pressed, "#accept")
    def action_accept(self) -> None:
        # Keep the server's order, which is the order the person saw.
        ticked = set(self.query_one("#options", SelectionList).selected)
        self.dismiss([o.value for o in self.options if o.value in ticked])

    def action_all(self) -> None:
        self.query_one("#options", SelectionList).select_all()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
