"""The integration form's "Find settings": look up server settings from the email address typed as username.

Discovery runs in a thread worker (at most its 3 s budget); the candidates appear in a
picker with where each came from, and only the one the person accepts fills in the
form's server, port and TLS fields. Nothing is filled in silently. Any type whose
fields include a username, host, port and TLS mode gets the action; nothing here
knows a type key.
"""

from __future__ import annotations

import os
from functools import partial
from typing import TYPE_CHECKING

from textual.content import Content
from textual.message import Message

from connectors.wording import count

if TYPE_CHECKING:
    from connectors.discovery.model import Candidate
    from screens.form_host import FormHost


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


class FindSettings:
    """The "Find settings" flow of one form: the form's state says whether it applies, a worker looks."""

    def __init__(self, form: FormHost) -> None:
        self.form = form

    def offered(self) -> bool | None:
        """check_action for find_settings: hidden for types without a server, dimmed until an address is typed."""
        if not self.form.state.can_find_settings():
            return False  # decided by the type alone: no need to read the widgets
        return self.form.current().find_settings_offer()

    def start(self) -> None:
        form = self.form
        state = form.current()
        if state.busy or not state.can_find_settings():
            return
        address = state.address_for_discovery()
        if not address:
            form.say("Type your whole email address as the username first; then tether can look up the server.")
            form.editor("username").focus_input()
            return
        form.set_busy(True, f"Looking up server settings for {address}…")
        form.run_in_thread(partial(self._find, address), "find server settings")

    def _find(self, address: str) -> None:
        """Worker side: at most discovery's 3 s budget."""
        from connectors.discovery.address import AddressError
        from connectors.discovery.model import DiscoverySettings, Service
        from connectors.discovery.run import discover

        try:
            result = discover(address, DiscoverySettings.from_environ(os.environ))
        except (AddressError, ValueError) as exc:
            self.form.post_message(SettingsFound(address, (), str(exc)))
            return
        found = result.for_service(Service.MAIL)
        problem = result.problem or f"no source names a mail server for {result.domain}."
        self.form.post_message(SettingsFound(address, found, "" if found else problem))

    def found(self, message: SettingsFound) -> None:
        from connectors.discovery.describe import type_advice
        from screens.pick import PickScreen

        form = self.form
        key = form.state.spec.key
        form.set_busy(False)
        if not message.candidates:
            form.say(Content.styled(f"No server settings found for {message.address}: {message.problem}", "$warning"))
            return
        form.say(
            f"Found {count(len(message.candidates), 'possible server')} for {message.address}; choose one or press escape."
        )
        types = getattr(form.app.context, "types", None)  # the registry this app was given, if any
        by_id = {str(number): candidate for number, candidate in enumerate(message.candidates)}
        entries: list[tuple[str, Content | str]] = [
            (number, candidate_prompt(candidate, type_advice(candidate, key, types)))
            for number, candidate in by_id.items()
        ]

        def picked(number: str | None) -> None:
            candidate = by_id.get(number or "")
            if candidate is None:
                form.say("Nothing was filled in.")
            else:
                self._use(candidate, type_advice(candidate, key, types))
            form.editor("host").focus_input()

        note = "Enter fills in server, port and TLS from the highlighted entry; escape changes nothing."
        form.app.push_screen(PickScreen(f"Server settings for {message.address}", entries, note), picked)

    def _use(self, candidate: Candidate, advice: str) -> None:
        form = self.form
        for name, value in candidate.form_values().items():
            if form.state.spec.has_field(name):
                form.editor(name).set_value(value)
                form.state.touched.add(name)
        form.show_unsaved()
        said = f"Filled in server, port and TLS from {candidate.source}."
        sign_in = f"It expects the username {candidate.username} (not filled in)." if candidate.username else ""
        notes = (sign_in, candidate.note, advice)
        form.say(Content.assemble(said, *((" " + text, "$warning") for text in notes if text)))
