"""One declared field as a form row: label, the right input for its kind, help and an inline error."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from app.core.form_values import is_chooser
from connectors.fields import Field, FieldKind
from widgets.plain import plain

STORED_PLACEHOLDER = "stored — leave empty to keep"


def short_name(value: str) -> str:
    """A chosen value without a name yet (e.g. a calendar's URL): its last path part, never a URL cut mid-word."""
    from urllib.parse import unquote

    parts = [part for part in value.split("/") if part]
    return unquote(parts[-1]) if parts else value


class FieldEditor(Vertical):
    """A form row. The input's id is ``field-<name>`` so the form can find and focus it."""

    DEFAULT_CSS = """
    FieldEditor { height: auto; margin-bottom: 1; }
    FieldEditor > .field-line { height: auto; }
    FieldEditor .field-label { width: 22; text-style: bold; padding-right: 1; }
    FieldEditor .field-line > Input, FieldEditor .field-line > Select { width: 1fr; }
    FieldEditor > .field-help { color: $text-muted; padding-left: 22; }
    FieldEditor > .field-error { color: $error; padding-left: 22; display: none; }
    FieldEditor.-invalid > .field-error { display: block; }
    FieldEditor.-invalid .field-label { color: $error; }
    FieldEditor .chosen { padding: 0 1; color: $text-muted; width: 1fr; }
    """

    def __init__(self, field: Field, value: str | list[str], *, stored_secret: bool = False) -> None:
        super().__init__(id=f"row-{field.name}")
        self.field = field
        self._initial = value
        self.stored_secret = stored_secret
        self.chosen: list[str] = list(value) if isinstance(value, list) else []
        self.names: dict[str, str] = {}  # value -> the name the server gave it, once it was asked
        self._shown_error = ""

    def compose(self) -> ComposeResult:
        field = self.field
        with Horizontal(classes="field-line"):
            yield Label(field.label, classes="field-label", markup=False)
            yield from self._input()
        if field.help:
            yield Static(field.help, classes="field-help", markup=False)
        yield Static("", classes="field-error", id=f"error-{field.name}", markup=False)

    def _input(self) -> ComposeResult:
        field = self.field
        value = self._initial if isinstance(self._initial, str) else ""
        if is_chooser(field):
            yield Button(
                "Choose…", id=f"field-{field.name}", compact=True, tooltip="Ask the server what to choose from"
            )
            yield Static(plain(self._chosen_text()), classes="chosen", id=f"chosen-{field.name}")
            return
        if field.kind is FieldKind.CHOICE:
            options = [(label, choice) for choice, label in field.choices]
            yield Select(
                options,
                value=value if value in dict(field.choices) else Select.NULL,
                allow_blank=not field.required,
                id=f"field-{field.name}",
                prompt=field.placeholder or "Choose…",
                compact=True,
            )
            return
        placeholder = STORED_PLACEHOLDER if self.stored_secret else field.placeholder
        if not field.required:
            placeholder = f"{placeholder}  (optional)" if placeholder else "optional"
        yield Input(
            value=value,
            placeholder=placeholder,
            password=field.kind is FieldKind.PASSWORD,
            id=f"field-{field.name}",
            type="integer" if field.kind is FieldKind.PORT else "text",
            compact=True,
        )

    def _chosen_text(self) -> str:
        if not self.chosen:
            return "nothing chosen yet — tether will use what the server offers"
        shown = ", ".join(self.names.get(value) or short_name(value) for value in self.chosen[:3])
        more = f" and {len(self.chosen) - 3} more" if len(self.chosen) > 3 else ""
        return f"{len(self.chosen)} chosen: {shown}{more}"

    # --- value ------------------------------------------------------------------------

    @property
    def input_widget(self) -> Widget:
        return self.query_one(f"#field-{self.field.name}")

    @property
    def value(self) -> str:
        if is_chooser(self.field):
            return ", ".join(self.chosen)
        widget = self.input_widget
        if isinstance(widget, Select):
            return "" if widget.value is Select.NULL else str(widget.value)
        assert isinstance(widget, Input)
        return widget.value

    def set_value(self, text: str) -> None:
        widget = self.input_widget
        if isinstance(widget, Input | Select):
            widget.value = text

    def set_chosen(self, values: list[str], names: dict[str, str] | None = None) -> None:
        self.chosen = list(values)
        self.names.update(names or {})
        self.query_one(f"#chosen-{self.field.name}", Static).update(plain(self._chosen_text()))

    def show_error(self, message: str | None) -> None:
        message = message or ""
        if message == self._shown_error:
            return  # re-laying out the form on every keystroke is what makes typing feel slow
        self._shown_error = message
        self.query_one(f"#error-{self.field.name}", Static).update(plain(message))
        self.set_class(bool(message), "-invalid")

    def focus_input(self) -> None:
        self.input_widget.focus()
