"""The integration form's "Choose…" fields: ask the type's options function, then pick in a modal.

Any field with ``options_path`` ("module:function", called with a CheckRequest, returning
list[Option] or raising ConnectorError) works the same way; nothing here knows a type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button

from screens.form_outcome import outcome_content

if TYPE_CHECKING:
    from connectors.errors import ConnectorError
    from connectors.fields import Option
    from connectors.types import IntegrationType
    from widgets.field_editor import FieldEditor


class OptionsFound(Message):
    def __init__(self, field: str, options: list[Option], error: ConnectorError | None) -> None:
        super().__init__()
        self.field, self.options, self.error = field, options, error


class ServerOptionsMixin:
    """Mixed into IntegrationFormScreen, which provides the form helpers used here."""

    if TYPE_CHECKING:  # provided by IntegrationFormScreen (as for FindSettingsMixin)
        spec: IntegrationType
        busy: bool
        _done: bool

        def editor(self, name: str) -> FieldEditor: ...
        def _field_of(self, widget_id: str | None) -> str | None: ...
        def _errors(self) -> dict[str, str]: ...
        def _show_errors(self, errors: dict[str, str], everywhere: bool = False) -> None: ...
        def _say(self, content: Content | str, *, reveal: bool = True) -> None: ...
        def _set_busy(self, busy: bool, message: str = "", *, reveal: bool = True) -> None: ...
        def _with_request(
            self, then: Callable[[dict[str, Any], dict[str, str], bool], object], message: str, *, reveal: bool = True
        ) -> None: ...
        def _secrets_for_request(self, secrets: dict[str, str], use_stored: bool) -> dict[str, str]: ...

    @property
    def _form(self) -> Screen[Any]:
        return cast("Screen[Any]", self)

    def choose_pressed(self, event: Button.Pressed) -> None:
        """A "Choose…" button (id ``field-<name>``) was pressed; other buttons are left alone."""
        name = self._field_of(event.button.id)
        if name is None or self.busy:
            return
        event.stop()
        field = self.spec.field(name)
        if field.options_path is None:
            self._say(
                f"{self.spec.name} cannot list {field.label.lower()} yet; tether will use what the server offers."
            )
            return
        errors = {k: v for k, v in self._errors().items() if k != name}
        if errors:
            self._show_errors(errors, everywhere=True)
            self._say(
                Content.styled(f"Fill in the fields marked in red before choosing {field.label.lower()}.", "$error")
            )
            return
        options_path = field.options_path
        self._with_request(
            lambda settings, secrets, use_stored: self._load_options(name, options_path, settings, secrets, use_stored),
            f"Asking the server for {field.label.lower()}…",
            reveal=False,  # the picker opens over the form when the answer comes: no scrolling underneath
        )

    @work(thread=True, exclusive=True, group="form", exit_on_error=False, name="list the choices")
    def _load_options(
        self, name: str, options_path: str, settings: dict[str, Any], secrets: dict[str, str], use_stored: bool
    ) -> None:
        from app.core.options import load_options
        from connectors.errors import ConnectorError, ErrorKind
        from storage.secrets.base import SecretStoreError

        try:
            options = load_options(options_path, settings, self._secrets_for_request(secrets, use_stored))
        except SecretStoreError as exc:
            self._form.post_message(OptionsFound(name, [], ConnectorError(ErrorKind.SECRETS, str(exc))))
        except ConnectorError as exc:
            self._form.post_message(OptionsFound(name, [], exc))
        else:
            self._form.post_message(OptionsFound(name, options, None))

    def on_options_found(self, message: OptionsFound) -> None:
        from screens.options_picker import OptionsPickerScreen

        self._set_busy(False)
        if message.error is not None:
            self._say(outcome_content(None, message.error))
            if message.error.field and self.spec.has_field(message.error.field):
                self.editor(message.error.field).focus_input()
            return
        self._say("")
        editor = self.editor(message.field)

        def picked(values: list[str] | None) -> None:
            if values is not None:
                editor.set_chosen(values, {option.value: option.label for option in message.options})
                self._done = False
                self._form.query_one("#save", Button).label = "Save"
            editor.focus_input()

        self._form.app.push_screen(OptionsPickerScreen(editor.field.label, message.options, editor.chosen), picked)
