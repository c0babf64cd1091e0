"""The integration form's "Find settings": look up server settings from the email address typed as username.

Discovery runs in a thread worker (at most its 3 s budget); the candidates appear in a
picker with where each came from, and only the one the person accepts fills in the
form's server, port and TLS fields. Nothing is filled in silently. Any type whose
fields include a username, host, port and TLS mode gets the action; nothing here
knows a type key.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input

from connectors.wording import count

if TYPE_CHECKING:
    from app.tui.tether_app import TetherApp
    from connectors.discovery.model import Candidate
    from connectors.types import IntegrationType
    from widgets.field_editor import FieldEditor

FILLED = ("host", "port", "tls_mode")


class SettingsFound(Message):
    def __init__(self, address: str, candidates: tuple[Candidate, ...], problem: str) -> None:
        super().__init__()
        self.address, self.candidates, self.problem = address, candidates, problem


def candidate_prompt(candidate: Candidate, advice: str) -> Content:
    """One picker entry: the server, then where it came from and any note, all as plain text."""
    lines: list[Content | tuple[str, str] | str] = [
        Content(candidate.where),
        "\n",
        (f"  from {candidate.source}", "$text-muted"),
    ]
    for text in (f"sign in as {candidate.username}" if candidate.username else "", candidate.note, advice):
        if text:
            lines += ["\n", (f"  {text}", "$warning")]
    return Content.assemble(*lines)


class FindSettingsMixin:
    """Mixed into IntegrationFormScreen, which provides the form helpers used here."""

    if TYPE_CHECKING:  # provided by IntegrationFormScreen
        spec: IntegrationType
        busy: bool
        _done: bool
        _touched: set[str]

        def editor(self, name: str) -> FieldEditor: ...
        def _say(self, content: Content | str) -> None: ...
        def _set_busy(self, busy: bool, message: str = "", *, reveal: bool = True) -> None: ...

    @property
    def _screen(self) -> Screen[Any]:
        return cast("Screen[Any]", self)

    @property
    def _app(self) -> TetherApp:
        return cast("TetherApp", self._screen.app)

    def can_find_settings(self) -> bool:
        return all(self.spec.has_field(name) for name in ("username", *FILLED))

    def address_for_discovery(self) -> str:
        """The username when it looks like a whole email address; empty otherwise."""
        if not self.can_find_settings():
            return ""
        text = self.editor("username").value.strip()
        local, at, domain = text.rpartition("@")
        return text if at and local and "." in domain.strip(".") else ""

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "field-username" and self.can_find_settings():
            self._screen.refresh_bindings()  # "Find settings" lights up once the username is an address

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "find-settings":
            event.stop()
            self.action_find_settings()  # the button also explains what is missing; the key is dimmed instead

    def action_find_settings(self) -> None:
        if self.busy or not self.can_find_settings():
            return
        address = self.address_for_discovery()
        if not address:
            self._say("Type your whole email address as the username first; then tether can look up the server.")
            self.editor("username").focus_input()
            return
        self._set_busy(True, f"Looking up server settings for {address}…")
        self._find_settings(address)

    @work(thread=True, exclusive=True, group="form", exit_on_error=False, name="find server settings")
    def _find_settings(self, address: str) -> None:
        from connectors.discovery.address import AddressError
        from connectors.discovery.model import DiscoverySettings, Service
        from connectors.discovery.run import discover

        try:
            result = discover(address, DiscoverySettings.from_environ(os.environ))
        except (AddressError, ValueError) as exc:
            self._screen.post_message(SettingsFound(address, (), str(exc)))
            return
        found = result.for_service(Service.MAIL)
        problem = result.problem or f"no source names a mail server for {result.domain}."
        self._screen.post_message(SettingsFound(address, found, "" if found else problem))

    def on_settings_found(self, message: SettingsFound) -> None:
        from connectors.discovery.describe import type_advice
        from screens.pick import PickScreen

        self._set_busy(False)
        if not message.candidates:
            self._say(Content.styled(f"No server settings found for {message.address}: {message.problem}", "$warning"))
            return
        self._say(
            f"Found {count(len(message.candidates), 'possible server')} for {message.address}; choose one or press escape."
        )
        types = getattr(self._app.context, "types", None)  # the registry this app was given, if any
        by_id = {str(number): candidate for number, candidate in enumerate(message.candidates)}
        entries: list[tuple[str, Content | str]] = [
            (key, candidate_prompt(candidate, type_advice(candidate, self.spec.key, types)))
            for key, candidate in by_id.items()
        ]

        def picked(key: str | None) -> None:
            candidate = by_id.get(key or "")
            if candidate is None:
                self._say("Nothing was filled in.")
            else:
                self._use_candidate(candidate, type_advice(candidate, self.spec.key, types))
            self.editor("host").focus_input()

        note = "Enter fills in server, port and TLS from the highlighted entry; escape changes nothing."
        self._app.push_screen(PickScreen(f"Server settings for {message.address}", entries, note), picked)

    def _use_candidate(self, candidate: Candidate, advice: str) -> None:
        for name, value in candidate.form_values().items():
            if self.spec.has_field(name):
                self.editor(name).set_value(value)
                self._touched.add(name)
        self._done = False
        self._screen.query_one("#save", Button).label = "Save"
        said = f"Filled in server, port and TLS from {candidate.source}."
        sign_in = f"It expects the username {candidate.username} (not filled in)." if candidate.username else ""
        notes = (sign_in, candidate.note, advice)
        self._say(Content.assemble(said, *((" " + text, "$warning") for text in notes if text)))


def find_settings_state(form: FindSettingsMixin) -> bool | None:
    """check_action for find_settings: hidden for types without a server, dimmed until an address is typed."""
    if not form.can_find_settings():
        return False
    return True if form.address_for_discovery() and not form.busy else None
