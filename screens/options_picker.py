"""Pick any number of server-offered values (e.g. calendars), with notes such as "read-only"."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, OptionList, Static
from textual.widgets.option_list import Option as ListOption

from connectors.fields import Option
from widgets.plain import plain


def option_prompt(option: Option, ticked: bool) -> Content:
    """The state in text ([x] / [ ]), not only in colour; notes such as read-only after the name."""
    parts: list[str | Content | tuple[str, str]] = [
        ("[x] " if ticked else "[ ] ", "bold" if ticked else "$text-muted"),
        plain(option.label),
    ]
    if option.note:
        parts.append(plain(f"  ({option.note})", "$warning"))
    return Content.assemble(*parts)


class OptionsPickerScreen(ModalScreen["list[str] | None"]):
    HELP_TITLE = "Choose from the server's list"
    HELP_NEXT = (
        "Space or enter ticks or unticks the highlighted entry; ctrl+s keeps your choice; escape leaves it unchanged."
    )
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Keep the previous choice", id="options.cancel"),
        Binding("ctrl+s", "accept", "Use these", tooltip="Use the ticked entries", id="options.accept"),
        Binding("ctrl+a", "all", "All", tooltip="Tick every entry", id="options.all"),
        Binding("space", "tick", "Tick", tooltip="Tick or untick the highlighted entry", id="options.toggle"),
    ]

    def __init__(self, title: str, options: list[Option], chosen: list[str], *, when_empty: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.options = options
        self.chosen = set(chosen)
        self.when_empty = when_empty  # the way forward when the server offers nothing

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Static(f"Choose {self.title_text.lower()}", classes="dialog-title", markup=False)
            if not self.options:
                what = self.title_text.lower()
                yield Static(
                    plain(
                        self.when_empty
                        or f"The server offered no {what}. Create one on the server, or check the "
                        "address and user name in the form: a wrong user often sees an empty list."
                    ),
                    id="options-empty",
                )
            else:
                yield OptionList(
                    *(ListOption(option_prompt(o, o.value in self.chosen), id=o.value) for o in self.options),
                    id="options",
                )
                yield Static("space/enter: tick or untick   ctrl+a: all   ctrl+s: use these", classes="muted")
            with Horizontal(classes="buttons"):
                if self.options:
                    yield Button("Use these", id="accept", variant="primary")
                yield Button("Back to the form" if not self.options else "Cancel", id="cancel")
        yield Footer()  # the dialog's own keys, not the screen underneath

    def on_mount(self) -> None:
        if self.options:
            self.query_one("#options", OptionList).focus()
        else:
            self.query_one("#cancel", Button).focus()

    def _redraw(self, option: Option) -> None:
        self.query_one("#options", OptionList).replace_option_prompt(
            option.value, option_prompt(option, option.value in self.chosen)
        )

    def action_tick(self) -> None:  # not action_toggle: Textual's DOMNode has one that takes an attribute name
        if not self.options:
            return
        listing = self.query_one("#options", OptionList)
        if listing.highlighted is None:
            return
        option = self.options[listing.highlighted]
        self.chosen ^= {option.value}
        self._redraw(option)

    @on(OptionList.OptionSelected, "#options")
    def _selected(self) -> None:
        self.action_tick()

    @on(Button.Pressed, "#accept")
    def action_accept(self) -> None:
        if not self.options:
            return
        # Keep the server's order, which is the order the person saw.
        self.dismiss([o.value for o in self.options if o.value in self.chosen])

    def action_all(self) -> None:
        for option in self.options:
            self.chosen.add(option.value)
            self._redraw(option)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
