"""The integration form's "Choose…" fields: ask the type's options function, then pick in a modal.

Any field with ``options_path`` ("module:function", called with a CheckRequest, returning
list[Option] or raising ConnectorError) works the same way; nothing here knows a type.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.content import Content
from textual.message import Message

from screens.form_outcome import outcome_content

if TYPE_CHECKING:
    from app.core.form_state import Request
    from connectors.errors import ConnectorError
    from connectors.fields import Option
    from screens.form_host import FormHost


class OptionsFound(Message):
    def __init__(self, field: str, options: list[Option], error: ConnectorError | None) -> None:
        super().__init__()
        self.field, self.options, self.error = field, options, error


class ServerOptions:
    """The "Choose…" flow of one form: the form's state says whether to ask, a worker asks."""

    def __init__(self, form: FormHost) -> None:
        self.form = form

    def choose(self, name: str) -> None:
        """The "Choose…" button of field ``name`` was pressed."""
        form = self.form
        state = form.current()
        refusal = state.options_refusal(name)
        if refusal is not None:
            if refusal.errors:
                form.show_errors(refusal.errors, everywhere=True)
                form.say(Content.styled(refusal.message, "$error"))
            else:
                form.say(refusal.message)
            return
        spec_field = state.spec.field(name)
        options_path = spec_field.options_path
        assert options_path is not None  # options_refusal said so

        def ask(request: Request) -> None:
            form.run_in_thread(partial(self._load, name, options_path, request), "list the choices")

        # The picker opens over the form when the answer comes: no scrolling underneath.
        form.with_request(ask, f"Asking the server for {spec_field.label.lower()}…", reveal=False)

    def _load(self, name: str, options_path: str, request: Request) -> None:
        """Worker side."""
        from app.core.form_requests import options_request

        context = self.form.app.context
        storage = context.storage if context is not None else None
        options, error = options_request(options_path, request, self.form.state.integration, storage)
        self.form.post_message(OptionsFound(name, options, error))

    def found(self, message: OptionsFound) -> None:
        from screens.options_picker import OptionsPickerScreen

        form = self.form
        form.set_busy(False)
        if message.error is not None:
            form.say(outcome_content(None, message.error))
            if message.error.field and form.state.spec.has_field(message.error.field):
                form.editor(message.error.field).focus_input()
            return
        form.say("")
        editor = form.editor(message.field)

        def picked(values: list[str] | None) -> None:
            if values is not None:
                editor.set_chosen(values, {option.value: option.label for option in message.options})
                form.show_unsaved()
            editor.focus_input()

        form.app.push_screen(OptionsPickerScreen(editor.field.label, message.options, editor.chosen), picked)
