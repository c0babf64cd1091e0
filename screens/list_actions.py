"""The list's check all (R) and disable/enable (x): the screen's keys, the App's checks and schedule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from app.tui.messages import DisabledToggled
from connectors.wording import count
from storage.records import Integration, Status

if TYPE_CHECKING:
    from app.tui.tether_app import TetherApp
    from widgets.integration_table import IntegrationTable


class ListActionsMixin:
    """Mixed into IntegrationsScreen (``self.table``, ``self.app``)."""

    app: TetherApp

    if TYPE_CHECKING:  # IntegrationsScreen's read-only property

        @property
        def table(self) -> IntegrationTable: ...

        def deferred_until_open(self, action: str) -> bool: ...

    def action_check_all(self) -> None:
        """R: every enabled integration; the App runs the checks, bounded, slowest first."""
        if self.deferred_until_open("check_all"):
            return
        shown = self.table.integrations()
        targets = [item for item in shown if self.app.checkable(item)]
        if not targets:
            why = "every integration is disabled." if shown else "there is no integration yet; press n to add one."
            self.notify(f"Nothing to check: {why}", title="Check all")  # type: ignore[attr-defined]
            return
        self.app.check_all(targets)

    def action_toggle_disabled(self) -> None:
        if self.deferred_until_open("toggle_disabled"):
            return
        selected = self.table.selected
        if selected is not None:
            self._set_disabled(selected, selected.status is not Status.DISABLED)

    @work(thread=True, group="write", exit_on_error=False, name="disable or enable the integration")
    def _set_disabled(self, integration: Integration, disabled: bool) -> None:
        from app.core.toggle import set_disabled
        from storage.errors import StorageError

        assert self.app.context is not None
        try:
            updated = set_disabled(self.app.context.storage, integration.id, disabled)
        except StorageError as exc:
            self.post_message(DisabledToggled(None, str(exc)))  # type: ignore[attr-defined]
            return
        self.post_message(DisabledToggled(updated))  # type: ignore[attr-defined]

    def on_disabled_toggled(self, message: DisabledToggled) -> None:
        item = message.integration
        if item is None:
            self.notify(message.error, title="Not changed", severity="error")  # type: ignore[attr-defined]
            return
        self.table.update_integration(item)
        if item.status is Status.DISABLED:
            blocked = f" {count(len(item.used_by), 'workflow')} cannot run until you enable it." if item.used_by else ""
            self.notify(f"Disabled {item.label!r}: it is not checked.{blocked} Press x to enable it.", title="Disabled")  # type: ignore[attr-defined]
        else:
            self.notify(f"Enabled {item.label!r}; press r to check it now.", title="Enabled")  # type: ignore[attr-defined]
        self.app.integration_changed(item.id)
