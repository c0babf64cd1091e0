"""Every key on every screen, the keys of the screen you came from first, and what to do next."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from widgets.plain import plain


def screen_classes() -> list[type[Screen]]:
    from screens.confirm_delete import ConfirmDeleteScreen
    from screens.integration_form import IntegrationFormScreen
    from screens.integrations import IntegrationsScreen
    from screens.options_picker import OptionsPickerScreen
    from screens.passphrase import PassphraseScreen
    from screens.pick import PickScreen
    from screens.type_picker import TypePickerScreen
    from screens.workflow_form import WorkflowFormScreen
    from screens.workflows import WorkflowsScreen

    return [
        IntegrationsScreen,
        TypePickerScreen,
        IntegrationFormScreen,
        OptionsPickerScreen,
        ConfirmDeleteScreen,
        WorkflowsScreen,
        WorkflowFormScreen,
        PickScreen,
        PassphraseScreen,
    ]


def _keys(binding: Binding, keymap: dict[str, str]) -> str:
    keys = keymap.get(binding.id or "", binding.key)
    return ", ".join(key.strip().replace("question_mark", "?").replace("slash", "/") for key in keys.split(","))


def bindings_content(title: str, bindings: list[Binding], keymap: dict[str, str], show_ids: bool = False) -> Content:
    """One line per key: what it does, or (``show_ids``) its binding id for the keymap file, in the same column."""
    parts: list[str | tuple[str, str] | Content] = [(title, "$accent bold"), "\n"]
    for binding in bindings:
        if not isinstance(binding, Binding):
            continue
        what = (binding.id or "") if show_ids else (binding.tooltip or binding.description)
        # The keys come from the person's keymap file: text, never markup.
        parts += [
            plain(f"  {_keys(binding, keymap):<12}", "bold"),
            plain(f" {what}", "$text-muted" if show_ids else ""),
            "\n",
        ]
    return Content.assemble(*parts)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,f1,q", "close", "Close", tooltip="Back to where you were", id="help.close"),
        Binding(
            "i",
            "toggle_ids",
            "Binding ids",
            tooltip="Show the binding ids your keymap file uses, or what keys do",
            id="help.ids",
        ),
    ]

    def __init__(self, beneath: Screen) -> None:
        super().__init__()
        self.beneath = beneath
        self.show_ids = False

    def compose(self) -> ComposeResult:
        from app.tui.keymap import keymap_path

        keymap: dict[str, str] = getattr(self.app, "keymap", {})
        here = type(self.beneath)
        with Vertical(id="dialog", classes="dialog wide tall"):
            yield Static(f"Help — {getattr(here, 'HELP_TITLE', 'tether')}", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                next_text = getattr(here, "HELP_NEXT", "")
                if next_text:
                    yield Static(Content.assemble(("What next: ", "$success bold"), next_text), classes="help-next")
                for title, bindings in self._sections():
                    yield Static(bindings_content(title, bindings, keymap), classes="help-keys")
                yield Static(
                    Content.assemble(
                        ("Command palette: ", "bold"),
                        "ctrl+p lists every action by name.\n",
                        ("Your own keys: ", "bold"),
                        f"press i to see each key's binding id, and map it to a key in {_home_relative(keymap_path())}, "
                        'e.g. "integrations.new" = "a".',
                    )
                )
            yield Static("escape closes this help; i shows binding ids", classes="muted")
        yield Footer()  # the dialog's own keys, not the screen underneath

    def _sections(self) -> list[tuple[str, list[Binding]]]:
        from widgets.integration_table import IntegrationTable

        here = type(self.beneath)
        sections = [
            ("Keys here", list(getattr(here, "BINDINGS", []))),
            ("Everywhere", list(type(self.app).BINDINGS)),
            ("In the list", list(IntegrationTable.BINDINGS)),
        ]
        for screen_class in screen_classes():
            if screen_class is not here:
                sections.append(
                    (getattr(screen_class, "HELP_TITLE", screen_class.__name__), list(screen_class.BINDINGS))
                )
        return sections

    def action_toggle_ids(self) -> None:
        self.show_ids = not self.show_ids
        keymap: dict[str, str] = getattr(self.app, "keymap", {})
        for static, (title, bindings) in zip(self.query(".help-keys").results(Static), self._sections(), strict=False):
            static.update(bindings_content(title, bindings, keymap, self.show_ids))

    def action_close(self) -> None:
        self.dismiss(None)


def _home_relative(path) -> str:
    from pathlib import Path

    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)
