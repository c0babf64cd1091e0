"""What the integration form's flows (saving, choices, find settings, leaving) may ask of the form.

The form hands each flow itself as a FormHost: its FormState and a few public methods. A flow
never touches the form's own attributes or another flow; the form stays the one writer of its widgets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.content import Content
    from textual.message import Message

    from app.core.form_state import FormState, Request
    from app.tui.tether_app import TetherApp
    from connectors.errors import ConnectorError
    from storage.records import Integration
    from widgets.field_editor import FieldEditor


class FormHost(Protocol):
    state: FormState

    @property
    def app(self) -> TetherApp: ...

    def current(self) -> FormState:
        """The state with the values the widgets show now."""
        ...

    def editor(self, name: str) -> FieldEditor: ...

    def say(self, content: Content | str, *, reveal: bool = True) -> None:
        """Show a line under the fields (the outcome row)."""
        ...

    def set_busy(self, busy: bool, message: str = "", *, reveal: bool = True) -> None: ...

    def show_errors(self, errors: Mapping[str, str], *, everywhere: bool = False) -> None: ...

    def show_blamed_field(self, error: ConnectorError) -> FieldEditor | None: ...

    def show_unsaved(self) -> None:
        """The values changed since they were saved and checked: Done reads Save again."""
        ...

    def with_request(self, then: Callable[[Request], object], message: str, *, reveal: bool = True) -> None:
        """Build the request from the form (opening the secret store if stored secrets are needed), then go."""
        ...

    def run_in_thread(self, work: Callable[[], object], name: str) -> None:
        """Run blocking work in the form's one worker group; it reports back by posting a message."""
        ...

    def post_message(self, message: Message) -> bool: ...

    def valid_or_show(self) -> bool:
        """Mark every invalid field and focus the first; True when there is none."""
        ...

    def show_secrets_stored(self, saved: Integration) -> None:
        """Empty the typed secret fields, now stored, and say so in them."""
        ...

    def remember_as_unchanged(self) -> None:
        """What escape compares against from now on: the values on screen."""
        ...

    def close(self) -> None:
        """Leave the form at once, handing back the integration as saved (if it was)."""
        ...
