"""One form for every integration type, rendered from the type's declared fields.

Adding or editing; inline validation as the user types; save, then the type's
connection check, with a way back to the field the check blamed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Collapsible, Footer, Header, Input, LoadingIndicator, Select, Static

from app.core.form_values import form_values_for_add, form_values_for_edit, unique_label
from connectors.fields import Field
from connectors.types import validate_label
from screens.base import ReportsWorkerFailures, focus_keys
from screens.form_discovery import FindSettingsMixin, find_settings_state
from screens.form_leaving import LeavingMixin
from screens.form_options import ServerOptionsMixin
from screens.form_outcome import Saved, Tested, outcome_content
from widgets.field_editor import FieldEditor, is_chooser
from widgets.plain import plain

if TYPE_CHECKING:
    from app.core.checks import CheckOutcome
    from app.tui.tether_app import TetherApp
    from connectors.errors import ConnectorError
    from connectors.types import IntegrationType
    from storage.records import Integration

LABEL_FIELD = Field("label", "Name", help="Your own name for it, shown in the list and to your workflows.")


class IntegrationFormScreen(
    LeavingMixin, FindSettingsMixin, ServerOptionsMixin, ReportsWorkerFailures, Screen["Integration | None"]
):
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
    # button but Cancel waits. Set it (or _set_busy with a message); watch_busy keeps the screen in step.
    busy: reactive[bool] = reactive(False, init=False, always_update=True)

    def __init__(self, spec: IntegrationType, labels: set[str], integration: Integration | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.integration = integration  # set once saved, so a second save updates
        # What the fields were filled from (then what was last saved from them): a save sends only
        # what changed since, so edits made elsewhere while the form is open are kept, not undone.
        self._opened = integration
        self._saving: tuple[str, dict[str, Any]] | None = None
        self._other_labels = {label for label in labels if not integration or label != integration.label}
        self._touched: set[str] = set()
        self._done = False
        self._asked_to_fix = False
        if integration is None:
            self._values = form_values_for_add(spec, {})
            self._label = unique_label(spec.default_label or spec.name, self._other_labels)
        else:
            self._values = form_values_for_edit(spec, integration.settings, {})
            self._label = integration.label
        self._derived = {f.name: f.default_for(self._values) for f in spec.fields if f.derived_default}

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        spec = self.spec
        title = f"Edit {self.integration.label}" if self.integration else f"New {spec.name}"
        yield Header()
        with VerticalScroll(id="form"):
            yield Static(
                Content.assemble(plain(title, "bold"), "\n", (spec.description, "$text-muted")), id="form-title"
            )
            yield FieldEditor(LABEL_FIELD, self._label)
            for field in spec.fields:
                if not field.advanced:
                    yield self._editor(field)
            advanced = [field for field in spec.fields if field.advanced]
            if advanced:
                with Collapsible(title="Advanced settings", collapsed=not self._has_advanced_values(advanced)):
                    for field in advanced:
                        yield self._editor(field)
            with Horizontal(id="outcome-row"):
                yield LoadingIndicator(id="testing")
                yield Static("", id="outcome", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save", variant="primary", tooltip="ctrl+s: test the connection, then save")
                yield Button("Test connection", id="test", tooltip="ctrl+t: test without saving")
                if self.can_find_settings():
                    yield Button(
                        "Find settings", id="find-settings", tooltip="ctrl+f: look up the server from the email address"
                    )
                if spec.oauth:
                    signed_in = bool(self.integration and self.integration.has_secret("refresh_token"))
                    yield Button(
                        "Re-authenticate" if signed_in else "Sign in",
                        id="reauthenticate",
                        tooltip="ctrl+r: sign in again" if signed_in else "ctrl+r: save, then sign in",
                    )
                yield Button("Cancel", id="cancel", tooltip="escape: leave without saving")
        yield Footer()

    def _editor(self, field: Field) -> FieldEditor:
        stored = bool(field.secret and self.integration and self.integration.has_secret(field.name))
        value: str | list[str] = self._values.get(field.name, "")
        if is_chooser(field):
            current = self.integration.settings.get(field.name) if self.integration else None
            value = list(current) if isinstance(current, list) else []
        return FieldEditor(field, value, stored_secret=stored)

    def _has_advanced_values(self, fields: list[Field]) -> bool:
        return any(self._values.get(f.name, "") not in ("", f.default_for(self._values)) for f in fields)

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

    def _errors(self) -> dict[str, str]:
        stored = frozenset(self.integration.secret_names) if self.integration else frozenset()
        errors = dict(
            self.spec.validate(self.values(), editing=self.integration is not None, stored_secrets=stored).by_field
        )
        if message := validate_label(self.label(), self._other_labels):
            errors["label"] = message
        return errors

    def _show_errors(self, errors: dict[str, str], everywhere: bool = False) -> None:
        for name in ("label", *(f.name for f in self.spec.fields)):
            shown = errors.get(name) if (everywhere or name in self._touched) else None
            self.editor(name).show_error(shown)

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
        if event.control.has_focus:
            self._touched.add(name)
        self._follow_derived_defaults()
        # Not for the form's own changes (a typed secret cleared after saving arrives here later).
        if event.control.has_focus and self.has_unsaved_changes():
            self._done = False
            self.query_one("#save", Button).label = "Save"
        errors = self._errors()
        self._show_errors(errors)
        if self._asked_to_fix and not errors:
            self._asked_to_fix = False
            self._say("")

    def _follow_derived_defaults(self) -> None:
        """A derived default (IMAP port from the TLS mode) follows only while the user has not touched
        the field: emptying it to type a new port must not refill it under the cursor."""
        values = self.values()
        for field in self.spec.fields:
            if field.derived_default is None or field.name in self._touched:
                continue
            editor = self.editor(field.name)
            if editor.input_widget.has_focus:
                continue
            new = field.default_for(values)
            if editor.value in ("", self._derived.get(field.name)) and new != editor.value:
                self._derived[field.name] = new
                editor.set_value(new)
            elif editor.value == new:
                self._derived[field.name] = new

    def _valid_or_show(self) -> bool:
        errors = self._errors()
        self._show_errors(errors, everywhere=True)
        if errors:
            first = next(name for name in ("label", *(f.name for f in self.spec.fields)) if name in errors)
            self.editor(first).focus_input()
            self._say(Content.styled("Fix the fields marked in red first.", "$error"))
            self._asked_to_fix = True
            return False
        return True

    def _settings_and_secrets(self) -> tuple[dict[str, Any], dict[str, str]]:
        values = self.values()
        if self.integration is None:
            settings = self.spec.settings_from(values)
        else:
            settings = self.spec.settings_for_edit((self._opened or self.integration).settings, values)
        for field in self.spec.setting_fields:
            if is_chooser(field):
                settings[field.name] = list(self.editor(field.name).chosen)
        return settings, self.spec.secrets_from(values)

    # --- progress and outcome ---------------------------------------------------------------

    def _say(self, content: Content | str, *, reveal: bool = True) -> None:
        self.query_one("#outcome", Static).update(plain(content) if isinstance(content, str) else content)
        if content and reveal:
            # At 80×24 the outcome row sits below the fold: bring it (and the running indicator) into view.
            self.call_after_refresh(self._reveal_outcome)

    def _reveal_outcome(self) -> None:
        if self.is_attached:
            self.query_one("#form", VerticalScroll).scroll_to_widget(self.query_one("#outcome-row"), animate=False)

    def watch_busy(self, busy: bool) -> None:
        self.query_one("#testing", LoadingIndicator).display = busy
        for button in self.query(".buttons Button"):
            if button.id != "cancel":
                button.disabled = busy
        self.refresh_bindings()

    def _set_busy(self, busy: bool, message: str = "", *, reveal: bool = True) -> None:
        self.busy = busy
        if message:
            self._say(message, reveal=reveal)

    def worker_failed(self, worker) -> None:
        self._set_busy(False, "That did not work; see the notification. Nothing else was changed.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reauthenticate":
            return self.spec.oauth
        if action in ("save", "test"):
            return None if self.busy else True
        if action == "find_settings":
            return find_settings_state(self)
        return True

    # --- save -----------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.busy:
            return
        if self._done and self.integration is not None:
            self.dismiss(self.integration)
            return
        if not self._valid_or_show():
            return
        if self.app.context is None:
            self._say("tether is still opening its data directory; try again in a moment.")
            return
        if self.tests_before_saving():
            self.test_then_save()  # then _save_values, or a question first if the test failed
        else:
            self._save_values()

    def _save_values(self) -> None:
        settings, secrets = self._settings_and_secrets()
        label = self.label().strip()
        needs_store = bool(secrets) or bool(self.integration and self.integration.secret_names)

        def go() -> None:
            self._set_busy(True, "Saving…")
            self._saving = (label, settings)
            self._save(label, settings, secrets)

        if needs_store:
            self.app.with_secrets(go, on_cancel=lambda: self._say("Not saved: the vault stayed locked."))
        else:
            go()

    @work(thread=True, exclusive=True, group="form", exit_on_error=False, name="save the integration")
    def _save(self, label: str, settings: dict[str, Any], secrets: dict[str, str]) -> None:
        from storage.errors import DuplicateName, StorageError
        from storage.names import BadName

        assert self.app.context is not None
        repo = self.app.context.storage.integrations
        try:
            if self.integration is None:
                saved = repo.add(self.spec.key, label, settings, secrets)
            else:
                saved = repo.update(
                    self.integration.id, label=label, settings=settings, secrets=secrets or None, opened=self._opened
                )
        except (DuplicateName, BadName) as exc:
            self.post_message(Saved(None, str(exc), field="label"))
        except StorageError as exc:
            self.post_message(Saved(None, str(exc)))
        else:
            self.post_message(Saved(saved))

    def on_saved(self, message: Saved) -> None:
        self._set_busy(False)
        if message.integration is None:
            if message.field:
                self.editor(message.field).show_error(message.error)
                self.editor(message.field).focus_input()
            self._say(plain(f"Not saved: {message.error}", "$error"))
            return
        self.integration = saved = message.integration
        if self._saving is not None:
            label, settings = self._saving
            self._opened = replace(saved, label=label, settings=settings)
        self._other_labels.discard(saved.label)
        self._clear_secret_inputs(saved)
        self.remember_as_unchanged()
        if self.spec.oauth and not saved.has_secret("refresh_token"):
            # Not signed in yet: the browser sign-in comes next, and it runs the check itself.
            self._set_busy(False, "Saved. Finish the sign-in to connect it (ctrl+r starts it again if you closed it).")
            self.app.reauthenticate(saved, self.spec.name)
            return
        if self._pretested is not None:
            self.record_pretest(saved)
            return
        self._set_busy(True, "Saved. Testing the connection…")
        self._check_saved(saved)

    def _clear_secret_inputs(self, saved: Integration) -> None:
        """Typed secrets are stored now: show them as stored, never keep them on screen."""
        for field in self.spec.secret_fields:
            editor = self.editor(field.name)
            editor.stored_secret = saved.has_secret(field.name)
            widget = editor.input_widget
            if isinstance(widget, Input):
                widget.value = ""
                if editor.stored_secret:
                    widget.placeholder = "stored — leave empty to keep"

    @work(thread=True, exclusive=True, group="form", exit_on_error=False, name="test the connection")
    def _check_saved(self, integration: Integration) -> None:
        from app.core.checks import check_integration

        assert self.app.context is not None
        context = self.app.context
        outcome: CheckOutcome = check_integration(context.storage.integrations, integration, types=context.types)
        self.post_message(Tested(outcome.result, outcome.error, outcome.integration, discarded=outcome.discarded))

    # --- test without saving ------------------------------------------------------------------

    @on(Button.Pressed, "#test")
    def action_test(self) -> None:
        if self.busy:
            return
        if not self._valid_or_show():
            return
        self._with_request(self._test, "Testing the connection…")

    def _with_request(self, then, message: str, *, reveal: bool = True) -> None:
        """Build settings and secrets from the form; stored secrets fill empty fields when editing."""
        settings, secrets = self._settings_and_secrets()
        missing = [
            f.name
            for f in self.spec.secret_fields
            if f.name not in secrets and self.integration and self.integration.has_secret(f.name)
        ]
        # Secrets nobody types (an OAuth refresh token) always come from the store.
        missing += [name for name in self.spec.extra_secrets if self.integration and self.integration.has_secret(name)]

        def go() -> None:
            self._set_busy(True, message, reveal=reveal)
            then(settings, secrets, bool(missing))

        if missing:
            self.app.with_secrets(go)
        else:
            go()

    def _secrets_for_request(self, secrets: dict[str, str], use_stored: bool) -> dict[str, str]:
        """Worker side: stored secrets fill the secret fields left empty."""
        if use_stored and self.integration is not None and self.app.context is not None:
            stored = self.app.context.storage.integrations.read_secrets(self.integration)
            return {**stored, **secrets}
        return secrets

    @work(thread=True, exclusive=True, group="form", exit_on_error=False, name="test the connection")
    def _test(self, settings: dict[str, Any], secrets: dict[str, str], use_stored: bool) -> None:
        self.post_message(self.run_test(settings, secrets, use_stored))

    def run_test(self, settings: dict[str, Any], secrets: dict[str, str], use_stored: bool) -> Tested:
        """Worker side: the type's check on these values; nothing about the integration is recorded."""
        from app.core.checks import check_values
        from connectors.errors import ConnectorError, ErrorKind
        from storage.secrets.base import SecretStoreError

        save_secret = None
        if self.integration is not None and self.app.context is not None:
            from app.core.logging_setup import remember_secrets

            repo, integration_id = self.app.context.storage.integrations, self.integration.id

            def save_secret(name: str, value: str) -> None:  # a rotated refresh token: the old one is void
                remember_secrets([value])
                repo.rotate_secret(integration_id, name, value)

        try:
            result = check_values(self.spec, settings, self._secrets_for_request(secrets, use_stored), save_secret)
        except SecretStoreError as exc:
            return Tested(None, ConnectorError(ErrorKind.SECRETS, str(exc)), None)
        except ConnectorError as exc:
            return Tested(None, exc, None)
        return Tested(result, None, None)

    def on_tested(self, message: Tested) -> None:
        self._set_busy(False)
        if message.discarded:
            # Saved, but changed elsewhere while its check ran: what this form shows is out of date.
            self._say(
                Content.styled(f"Saved, not checked: {message.discarded} Reopen it to see the change.", "$warning")
            )
            return
        self._say(outcome_content(message.result, message.error))
        if message.stored is not None:
            self.integration = message.stored
        error = message.error
        if error is not None:
            if editor := self.show_blamed_field(error):
                self.call_after_refresh(editor.focus_input)  # after the outcome was revealed: the field wins
            return
        if message.stored is not None:
            self._done = True
            save = self.query_one("#save", Button)
            save.label = "Done"
            save.focus()

    def show_blamed_field(self, error: ConnectorError) -> FieldEditor | None:
        """Mark the field a failed check blamed, and open its section; the caller decides on focus."""
        if not (error.field and self.spec.has_field(error.field)):
            return None
        editor = self.editor(error.field)
        editor.show_error(error.message)
        self._reveal(editor)
        return editor

    def _reveal(self, editor: FieldEditor) -> None:
        for collapsible in editor.ancestors_with_self:
            if isinstance(collapsible, Collapsible):
                collapsible.collapsed = False

    @on(Button.Pressed)
    def _button_pressed(self, event: Button.Pressed) -> None:
        self.choose_pressed(event)  # only the fields' "Choose…" buttons: see screens.form_options

    # --- leaving, and OAuth -----------------------------------------------------------------

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.leave()  # asks first when something typed here is not saved

    def signed_in(self, integration: Integration) -> None:
        """The OAuth sign-in saved a new sign-in for this integration: show it, and what the check found."""
        self.integration = integration
        if self.spec.has_field("address"):
            self.editor("address").set_value(str(integration.settings.get("address", "")))
        self.remember_as_unchanged()
        self._done = True
        self.query_one("#reauthenticate", Button).label = "Re-authenticate"
        self._say(Content.assemble(("● Signed in: ", "$success bold"), plain(integration.check_summary or "connected")))
        save = self.query_one("#save", Button)
        save.label = "Done"
        save.focus()

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
