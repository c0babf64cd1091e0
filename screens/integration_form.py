"""One form for every integration type, rendered from the type's declared fields.

Adding or editing; inline validation as the user types; save, then the type's connection check,
with a way back to the field the check blamed. The screen owns the widgets; what it knows apart from
them is app.core.form_state, and its flows are form_saving, form_options, form_discovery, form_leaving.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Collapsible, Footer, Header, Input, LoadingIndicator, Select, Static

from app.core.form_state import FormState, Request
from app.core.form_values import is_chooser
from connectors.fields import Field
from screens.base import ReportsWorkerFailures, focus_keys
from screens.form_discovery import FindSettings, SettingsFound
from screens.form_leaving import Leaving
from screens.form_options import OptionsFound, ServerOptions
from screens.form_outcome import Saved, Tested, outcome_content
from screens.form_saving import PreTested, Saving
from widgets.field_editor import FieldEditor
from widgets.plain import plain

if TYPE_CHECKING:
    from app.tui.tether_app import TetherApp
    from connectors.errors import ConnectorError
    from connectors.types import IntegrationType
    from storage.records import Integration

LABEL_FIELD = Field("label", "Name", help="Your own name for it, shown in the list and to your workflows.")


class IntegrationFormScreen(ReportsWorkerFailures, Screen["Integration | None"]):
    HELP_TITLE = "Integration form"
    HELP_NEXT = (
        "Fill in the fields (tab moves on); messages under a field say what to fix. "
        "ctrl+s tests the connection, then saves; escape goes back (asking first if you changed something)."
    )
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Test the connection, then save", id="form.save"),
        Binding("ctrl+t", "test", "Test connection", tooltip="Test these values without saving", id="form.test"),
        Binding(
            "ctrl+r",
            "reauthenticate",
            "Sign in",
            tooltip="Sign in with the provider (again, once signed in)",
            id="form.reauthenticate",
        ),
        Binding(
            "ctrl+f",
            "find_settings",
            "Find settings",
            tooltip="Look up the server from the email address",
            id="form.find_settings",
        ),
        Binding(
            "escape", "cancel", "Back", tooltip="Leave the form; asks first if something is not saved", id="form.cancel"
        ),
        *focus_keys("form"),
    ]

    app: TetherApp
    # True while a save, test, settings lookup or choice listing runs: the indicator shows and every
    # button but Cancel waits. Set it (or set_busy with a message); watch_busy keeps the screen in step.
    busy: reactive[bool] = reactive(False, init=False, always_update=True)

    def __init__(self, spec: IntegrationType, labels: set[str], integration: Integration | None = None) -> None:
        super().__init__()
        self.spec = spec
        # What the form knows apart from its widgets; the flows below get the form as their one collaborator.
        self.state = FormState(spec, labels, integration)
        self.options = ServerOptions(self)
        self.finder = FindSettings(self)
        self.saving = Saving(self)
        self.leaving = Leaving(self)

    @property
    def integration(self) -> Integration | None:
        """The integration being edited; set once saved, so a second save updates."""
        return self.state.integration

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        spec, state = self.spec, self.state
        title = f"Edit {self.integration.label}" if self.integration else f"New {spec.name}"
        yield Header()
        with VerticalScroll(id="form"):
            yield Static(
                Content.assemble(plain(title, "bold"), "\n", (spec.description, "$text-muted")), id="form-title"
            )
            yield FieldEditor(LABEL_FIELD, state.label)
            for field in spec.fields:
                if not field.advanced:
                    yield self._editor(field)
            advanced = [field for field in spec.fields if field.advanced]
            if advanced:
                with Collapsible(title="Advanced settings", collapsed=not state.has_advanced_values()):
                    for field in advanced:
                        yield self._editor(field)
            with Horizontal(id="outcome-row"):
                yield LoadingIndicator(id="testing")
                yield Static("", id="outcome", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save", variant="primary", tooltip="ctrl+s: test the connection, then save")
                yield Button("Test connection", id="test", tooltip="ctrl+t: test without saving")
                if state.can_find_settings():
                    yield Button(
                        "Find settings", id="find-settings", tooltip="ctrl+f: look up the server from the email address"
                    )
                if spec.oauth:
                    yield Button(
                        "Re-authenticate" if state.signed_in else "Sign in",
                        id="reauthenticate",
                        tooltip="ctrl+r: sign in again" if state.signed_in else "ctrl+r: save, then sign in",
                    )
                yield Button("Cancel", id="cancel", tooltip="escape: leave without saving")
        yield Footer()

    def _editor(self, field: Field) -> FieldEditor:
        stored = field.secret and self.state.stored_secret(field.name)
        return FieldEditor(field, self.state.initial_value(field), stored_secret=stored)

    def on_mount(self) -> None:
        self.query_one("#testing", LoadingIndicator).display = False
        self.editor("label").focus_input()
        self.call_after_refresh(self.remember_as_unchanged)

    # --- values and validation --------------------------------------------------------

    def editor(self, name: str) -> FieldEditor:
        return self.query_one(f"#row-{name}", FieldEditor)

    def values(self) -> dict[str, str]:
        return {field.name: self.editor(field.name).value for field in self.spec.fields}

    def label(self) -> str:
        return self.editor("label").value

    def current(self) -> FormState:
        """The state with the values the widgets show now."""
        chosen = {f.name: self.editor(f.name).chosen for f in self.spec.setting_fields if is_chooser(f)}
        self.state.take(self.label(), self.values(), chosen)
        return self.state

    def remember_as_unchanged(self) -> None:
        """What escape compares against: the values as opened, then as last saved."""
        self.current().remember_as_unchanged()

    def show_errors(self, errors: Mapping[str, str], *, everywhere: bool = False) -> None:
        for name, message in self.state.errors_to_show(errors, everywhere=everywhere).items():
            self.editor(name).show_error(message)

    def show_unsaved(self) -> None:
        self.state.done = False
        self.query_one("#save", Button).label = "Save"

    def _field_of(self, widget_id: str | None) -> str | None:
        if widget_id and widget_id.startswith("field-"):
            return widget_id.removeprefix("field-")
        return None

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Select.Changed) -> None:
        name = self._field_of(event.control.id)
        if name is None:
            return
        state = self.current()
        if event.control.has_focus:
            state.touched.add(name)
        self._follow_derived_defaults()
        # Not for the form's own changes (a typed secret cleared after saving arrives here later).
        if event.control.has_focus and state.has_unsaved_changes():
            self.show_unsaved()
        errors = state.errors()
        self.show_errors(errors)
        if state.asked_to_fix and not errors:
            state.asked_to_fix = False
            self.say("")
        if name == "username" and isinstance(event, Input.Changed) and state.can_find_settings():
            self.refresh_bindings()  # "Find settings" lights up once the username is an address

    def _follow_derived_defaults(self) -> None:
        """Fill in derived defaults (the IMAP port from the TLS mode), never in the field being typed in."""
        derived = [f.name for f in self.spec.fields if f.derived_default is not None]
        focused = next((name for name in derived if self.editor(name).input_widget.has_focus), None)
        for name, value in self.state.derived_updates(focused).items():
            self.editor(name).set_value(value)

    def valid_or_show(self) -> bool:
        """Mark every invalid field and focus the first; True when there is none."""
        state = self.current()
        errors = state.errors()
        self.show_errors(errors, everywhere=True)
        first = state.first_invalid(errors)
        if first is None:
            return True
        self.editor(first).focus_input()
        self.say(Content.styled("Fix the fields marked in red first.", "$error"))
        state.asked_to_fix = True
        return False

    # --- progress and outcome ---------------------------------------------------------------

    def say(self, content: Content | str, *, reveal: bool = True) -> None:
        self.query_one("#outcome", Static).update(plain(content) if isinstance(content, str) else content)
        if content and reveal:
            # At 80×24 the outcome row sits below the fold: bring it (and the running indicator) into view.
            self.call_after_refresh(self._reveal_outcome)

    def _reveal_outcome(self) -> None:
        if self.is_attached:
            self.query_one("#form", VerticalScroll).scroll_to_widget(self.query_one("#outcome-row"), animate=False)

    def watch_busy(self, busy: bool) -> None:
        self.state.busy = busy
        self.query_one("#testing", LoadingIndicator).display = busy
        for button in self.query(".buttons Button"):
            if button.id != "cancel":
                button.disabled = busy
        self.refresh_bindings()

    def set_busy(self, busy: bool, message: str = "", *, reveal: bool = True) -> None:
        self.busy = busy
        if message:
            self.say(message, reveal=reveal)

    def run_in_thread(self, work: Callable[[], object], name: str) -> None:
        self.run_worker(work, name=name, group="form", exclusive=True, exit_on_error=False, thread=True)

    def worker_failed(self, worker) -> None:
        self.set_busy(False, "That did not work; see the notification. Nothing else was changed.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reauthenticate":
            return self.spec.oauth
        if action in ("save", "test"):
            return None if self.busy else True
        if action == "find_settings":
            return self.finder.offered()
        return True

    # --- save -----------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self.saving.save()

    def on_pre_tested(self, message: PreTested) -> None:
        self.saving.pre_tested(message)

    def on_saved(self, message: Saved) -> None:
        self.saving.saved(message)

    def show_secrets_stored(self, saved: Integration) -> None:
        """Typed secrets are stored now: show them as stored, never keep them on screen."""
        for field in self.spec.secret_fields:
            editor = self.editor(field.name)
            editor.stored_secret = saved.has_secret(field.name)
            widget = editor.input_widget
            if isinstance(widget, Input):
                widget.value = ""
                if editor.stored_secret:
                    widget.placeholder = "stored — leave empty to keep"

    # --- test without saving ------------------------------------------------------------------

    @on(Button.Pressed, "#test")
    def action_test(self) -> None:
        if self.busy:
            return
        if not self.valid_or_show():
            return
        self.with_request(self._test, "Testing the connection…")

    def with_request(self, then: Callable[[Request], object], message: str, *, reveal: bool = True) -> None:
        """Build the request from the form; stored secrets fill empty fields when editing (the store may
        have to be opened for them first)."""
        request = self.current().request()

        def go() -> None:
            self.set_busy(True, message, reveal=reveal)
            then(request)

        if request.use_stored:
            self.app.with_secrets(go)
        else:
            go()

    @work(thread=True, exclusive=True, group="form", exit_on_error=False, name="test the connection")
    def _test(self, request: Request) -> None:
        from app.core.form_requests import test_request

        context = self.app.context
        storage = context.storage if context is not None else None
        result, error = test_request(self.spec, request, self.integration, storage)
        self.post_message(Tested(result, error, None))

    def on_tested(self, message: Tested) -> None:
        self.set_busy(False)
        if message.discarded:
            # Saved, but changed elsewhere while its check ran: what this form shows is out of date.
            self.say(
                Content.styled(f"Saved, not checked: {message.discarded} Reopen it to see the change.", "$warning")
            )
            return
        self.say(outcome_content(message.result, message.error))
        if message.stored is not None:
            self.state.integration = message.stored
        error = message.error
        if error is not None:
            if editor := self.show_blamed_field(error):
                self.call_after_refresh(editor.focus_input)  # after the outcome was revealed: the field wins
            return
        if message.stored is not None:
            self._show_done()

    def _show_done(self) -> None:
        self.state.done = True
        save = self.query_one("#save", Button)
        save.label = "Done"
        save.focus()

    def show_blamed_field(self, error: ConnectorError) -> FieldEditor | None:
        """Mark the field a failed check blamed, and open its section; the caller decides on focus."""
        if not (error.field and self.spec.has_field(error.field)):
            return None
        editor = self.editor(error.field)
        editor.show_error(error.message)
        for collapsible in editor.ancestors_with_self:
            if isinstance(collapsible, Collapsible):
                collapsible.collapsed = False
        return editor

    # --- the flows' buttons and answers ---------------------------------------------------------

    @on(Button.Pressed)
    def _button_pressed(self, event: Button.Pressed) -> None:
        """Only the fields' "Choose…" buttons (ids ``field-<name>``); the others have their own handlers."""
        name = self._field_of(event.button.id)
        if name is None or self.busy:
            return
        event.stop()
        self.options.choose(name)

    def on_options_found(self, message: OptionsFound) -> None:
        self.options.found(message)

    @on(Button.Pressed, "#find-settings")
    def _find_settings_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_find_settings()  # the button also explains what is missing; the key is dimmed instead

    def action_find_settings(self) -> None:
        self.finder.start()

    def on_settings_found(self, message: SettingsFound) -> None:
        self.finder.found(message)

    # --- leaving, and OAuth -----------------------------------------------------------------

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.leaving.leave()  # asks first when something typed here is not saved

    def close(self) -> None:
        self.dismiss(self.integration)

    def signed_in(self, integration: Integration) -> None:
        """The OAuth sign-in saved a new sign-in for this integration: show it, and what the check found."""
        self.state.integration = integration
        if self.spec.has_field("address"):
            self.editor("address").set_value(str(integration.settings.get("address", "")))
        self.remember_as_unchanged()
        self.query_one("#reauthenticate", Button).label = "Re-authenticate"
        self.say(Content.assemble(("● Signed in: ", "$success bold"), plain(integration.check_summary or "connected")))
        self._show_done()

    @on(Button.Pressed, "#reauthenticate")
    def action_reauthenticate(self) -> None:
        """The OAuth sign-in hook: the App's ``reauthenticate`` does the work. A new one (Sign in) is
        saved first; the save opens the sign-in itself."""
        if not self.spec.oauth:
            return
        if self.integration is None:
            self.action_save()
        else:
            self.app.reauthenticate(self.integration, self.spec.name)
