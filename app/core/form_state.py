"""What the integration form knows apart from its widgets, and the decisions it makes from that.

The screen reads its widgets into a FormState (``take``) and asks it: which errors to show, what a
check or an options call would be sent, whether to test before saving, whether leaving loses
something. No Textual here, so each decision is tested without a terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from app.core.form_values import form_values_for_add, form_values_for_edit, is_chooser, unique_label
from connectors.fields import Field
from connectors.types import validate_label

if TYPE_CHECKING:
    from connectors.types import IntegrationType
    from storage.records import Integration

LABEL = "label"  # the form's own first field, the integration's name
# The fields "Find settings" needs: the address typed as username, and what a found server fills in.
FOUND_FIELDS = ("host", "port", "tls_mode")


@dataclass(frozen=True)
class Request:
    """What a check or an options call is sent from the form's values."""

    settings: dict[str, Any]
    secrets: dict[str, str]
    use_stored: bool  # stored secrets fill the secret fields left empty (read them in the worker)


@dataclass(frozen=True)
class Refusal:
    """Why something cannot start now: what to tell the person, and the fields to mark in red."""

    message: str
    errors: Mapping[str, str] = field(default_factory=dict)


class FormState:
    def __init__(self, spec: IntegrationType, labels: set[str], integration: Integration | None = None) -> None:
        self.spec = spec
        self.integration = integration  # set once saved, so a second save updates
        # What the fields were filled from (then what was last saved from them): a save sends only
        # what changed since, so edits made elsewhere while the form is open are kept, not undone.
        self.opened = integration
        self.other_labels = {label for label in labels if not integration or label != integration.label}
        self.touched: set[str] = set()  # fields the person typed in: only they show errors as typed
        self.busy = False  # a save, test, settings lookup or choice listing runs
        self.done = False  # the values on screen were saved and their check passed: Save reads Done
        self.asked_to_fix = False  # "Fix the fields marked in red" is showing
        self.saving: tuple[str, dict[str, Any]] | None = None  # label and settings of the save under way
        self._unchanged: dict[str, str] | None = None
        if integration is None:
            self.values = form_values_for_add(spec, {})
            self.label = unique_label(spec.default_label or spec.name, self.other_labels)
        else:
            self.values = form_values_for_edit(spec, integration.settings, {})
            self.label = integration.label
        self.chosen: dict[str, list[str]] = {}
        for spec_field in spec.setting_fields:
            if is_chooser(spec_field):
                current = integration.settings.get(spec_field.name) if integration else None
                self.chosen[spec_field.name] = list(current) if isinstance(current, list) else []
        # A derived default (the IMAP port from the TLS mode) as last filled in, to tell it from a typed value.
        self.derived = {f.name: f.default_for(self.values) for f in spec.fields if f.derived_default}

    # --- what is on screen ----------------------------------------------------------------------

    def take(self, label: str, values: Mapping[str, str], chosen: Mapping[str, list[str]]) -> None:
        """The values as the widgets show them now."""
        self.label, self.values = label, dict(values)
        self.chosen = {name: list(picked) for name, picked in chosen.items()}

    @property
    def field_names(self) -> tuple[str, ...]:
        return (LABEL, *(f.name for f in self.spec.fields))

    def initial_value(self, spec_field: Field) -> str | list[str]:
        if is_chooser(spec_field):
            return list(self.chosen.get(spec_field.name, []))
        return self.values.get(spec_field.name, "")

    def stored_secret(self, name: str) -> bool:
        return bool(self.integration and self.integration.has_secret(name))

    @property
    def signed_in(self) -> bool:
        return self.stored_secret("refresh_token")

    def has_advanced_values(self) -> bool:
        """Whether an advanced field holds something of its own (then its section opens)."""
        advanced = [f for f in self.spec.fields if f.advanced]
        return any(self.values.get(f.name, "") not in ("", f.default_for(self.values)) for f in advanced)

    def derived_updates(self, focused: str | None) -> dict[str, str]:
        """Derived defaults to fill in now (``values`` holds them already). One follows only while the person
        has not touched its field: emptying it to type a new port must not refill it under the cursor."""
        updates: dict[str, str] = {}
        for spec_field in self.spec.fields:
            name = spec_field.name
            if spec_field.derived_default is None or name in self.touched or name == focused:
                continue
            shown, new = self.values.get(name, ""), spec_field.default_for(self.values)
            if shown in ("", self.derived.get(name)) and new != shown:
                self.derived[name] = self.values[name] = updates[name] = new
            elif shown == new:
                self.derived[name] = new
        return updates

    # --- validation ---------------------------------------------------------------------------------

    def errors(self) -> dict[str, str]:
        stored = frozenset(self.integration.secret_names) if self.integration else frozenset()
        errors = dict(
            self.spec.validate(self.values, editing=self.integration is not None, stored_secrets=stored).by_field
        )
        if message := validate_label(self.label, self.other_labels):
            errors[LABEL] = message
        return errors

    def errors_to_show(self, errors: Mapping[str, str], *, everywhere: bool = False) -> dict[str, str | None]:
        """Each field's message: as typed, only fields the person touched; on save, every field."""
        return {name: errors.get(name) if everywhere or name in self.touched else None for name in self.field_names}

    def first_invalid(self, errors: Mapping[str, str]) -> str | None:
        return next((name for name in self.field_names if name in errors), None)

    # --- what a check, an options call or a save is sent ---------------------------------------------

    def settings_and_secrets(self) -> tuple[dict[str, Any], dict[str, str]]:
        if self.integration is None:
            settings = self.spec.settings_from(self.values)
        else:
            settings = self.spec.settings_for_edit((self.opened or self.integration).settings, self.values)
        for spec_field in self.spec.setting_fields:
            if is_chooser(spec_field):
                settings[spec_field.name] = list(self.chosen.get(spec_field.name, []))
        return settings, self.spec.secrets_from(self.values)

    def request(self) -> Request:
        """Settings and typed secrets; stored secrets fill the empty secret fields when editing, and
        secrets nobody types (an OAuth refresh token) always come from the store."""
        settings, secrets = self.settings_and_secrets()
        missing = [f.name for f in self.spec.secret_fields if f.name not in secrets and self.stored_secret(f.name)]
        missing += [name for name in self.spec.extra_secrets if self.stored_secret(name)]
        return Request(settings, secrets, use_stored=bool(missing))

    def save_needs_secret_store(self, secrets: Mapping[str, str]) -> bool:
        """A save writes typed secrets, or may move stored ones: the store must be open for it."""
        return bool(secrets) or bool(self.integration and self.integration.secret_names)

    def tests_before_saving(self) -> bool:
        """OAuth types without a sign-in yet cannot be tested: their sign-in runs the check itself."""
        return not self.spec.oauth or self.signed_in

    def start_saving(self, label: str, settings: dict[str, Any]) -> None:
        self.saving = (label, settings)

    def saved(self, integration: Integration) -> None:
        """A save succeeded: later saves update it and compare against what was saved."""
        self.integration = integration
        if self.saving is not None:
            label, settings = self.saving
            self.opened = replace(integration, label=label, settings=settings)
        self.other_labels.discard(integration.label)

    # --- leaving ------------------------------------------------------------------------------------

    def remember_as_unchanged(self) -> None:
        """What leaving compares against: the values as opened, then as last saved."""
        self._unchanged = {LABEL: self.label, **self.values}

    def changed(self) -> tuple[str, ...]:
        """The fields (the name too) that differ from what was remembered, in the form's order: what
        leaving now would lose. Nothing before the form remembered its values."""
        if self._unchanged is None:
            return ()
        now = {LABEL: self.label, **self.values}
        return tuple(name for name in self.field_names if now.get(name, "") != self._unchanged.get(name, ""))

    def has_unsaved_changes(self) -> bool:
        return bool(self.changed())

    # --- choosing from what the server offers --------------------------------------------------------

    def options_refusal(self, name: str) -> Refusal | None:
        """Why the choices for field ``name`` cannot be asked for now; None when they can."""
        spec_field = self.spec.field(name)
        what = spec_field.label.lower()
        if spec_field.options_path is None:
            return Refusal(f"{self.spec.name} cannot list {what} yet; tether will use what the server offers.")
        errors = {key: message for key, message in self.errors().items() if key != name}
        if errors:
            return Refusal(f"Fill in the fields marked in red before choosing {what}.", errors)
        return None

    # --- finding server settings from the address ----------------------------------------------------

    def can_find_settings(self) -> bool:
        return all(self.spec.has_field(name) for name in ("username", *FOUND_FIELDS))

    def address_for_discovery(self) -> str:
        """The username when it looks like a whole email address; empty otherwise."""
        if not self.can_find_settings():
            return ""
        text = self.values.get("username", "").strip()
        local, at, domain = text.rpartition("@")
        return text if at and local and "." in domain.strip(".") else ""

    def find_settings_offer(self) -> bool | None:
        """Hidden (False) for types without a server, dimmed (None) until an address is typed or while busy."""
        if not self.can_find_settings():
            return False
        return True if self.address_for_discovery() and not self.busy else None
