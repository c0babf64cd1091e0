"""Choose the type of a new integration: search as you type, grouped by category."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from connectors.types import Category, IntegrationType
from screens.base import ReportsWorkerFailures
from widgets.plain import plain

CATEGORY_TITLES = {Category.MAIL: "Mail", Category.CALENDAR: "Calendars"}


def type_option(spec: IntegrationType) -> Option:
    prompt = Content.assemble((spec.name, "bold"), "\n", (spec.description, "$text-muted"))
    return Option(prompt, id=spec.key)


class TypePickerScreen(ReportsWorkerFailures, ModalScreen["IntegrationType | None"]):
    HELP_TITLE = "New integration: choose a type"
    HELP_NEXT = "Type part of a name or provider, or a category (mail, calendar), then enter."
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without adding anything", id="types.cancel"),
        Binding("down", "move(1)", "Next", show=False, tooltip="Next type", id="types.next"),
        Binding("up", "move(-1)", "Previous", show=False, tooltip="Previous type", id="types.previous"),
        Binding("enter", "choose", "Choose", tooltip="Add an integration of this type", id="types.choose"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Static("Connect a new integration", classes="dialog-title")
            yield Input(placeholder="Search: name, provider or category (mail, calendar)…", id="type-search")
            yield OptionList(id="types")
            yield Static("", id="types-empty", classes="muted", markup=False)
        yield Footer()  # the dialog's own keys, not the screen underneath

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#type-search", Input).focus()

    def _fill(self, query: str) -> None:
        options = self.query_one("#types", OptionList)
        options.clear_options()
        found = self.app.types.search(query)  # type: ignore[attr-defined]
        for category in Category:
            group = [spec for spec in found if spec.category is category]
            if not group:
                continue
            options.add_option(Option(Content.styled(CATEGORY_TITLES[category], "$accent bold"), disabled=True))
            options.add_options(type_option(spec) for spec in group)
        first = next((i for i in range(options.option_count) if not options.get_option_at_index(i).disabled), None)
        options.highlighted = first
        empty = "" if found else f"No type matches “{query}”. Try mail or calendar."
        self.query_one("#types-empty", Static).update(plain(empty))

    @on(Input.Changed, "#type-search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#type-search")
    def _submitted(self) -> None:
        self.action_choose()

    @on(OptionList.OptionSelected, "#types")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(self.app.types.get(event.option.id))  # type: ignore[attr-defined]

    def action_move(self, delta: int) -> None:
        options = self.query_one("#types", OptionList)
        if delta > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_choose(self) -> None:
        options = self.query_one("#types", OptionList)
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        if option.id:
            self.dismiss(self.app.types.get(option.id))  # type: ignore[attr-defined]

    def action_cancel(self) -> None:
        self.dismiss(None)
