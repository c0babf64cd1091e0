"""The main screen: every integration, its health, a live filter and the selected one's detail."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from app.tui.messages import (
    HealthChanged,
    IntegrationChecked,
    IntegrationGone,
    IntegrationRemoved,
    IntegrationsLoaded,
    ListFailed,
    ListLoaded,
    ListStale,
    RowChanged,
    SecretsChanged,
)
from connectors.wording import count
from screens.base import ReportsWorkerFailures
from screens.list_actions import ListActionsMixin
from storage.records import Integration, Status
from widgets.integration_detail import IntegrationDetail
from widgets.integration_table import IntegrationTable
from widgets.plain import plain

if TYPE_CHECKING:
    from app.tui.tether_app import TetherApp
    from connectors.types import IntegrationType
    from storage.metrics import Health

NEEDS_SELECTION = {"edit", "delete", "check", "toggle_disabled"}


class IntegrationsScreen(ListActionsMixin, ReportsWorkerFailures, Screen[None]):
    HELP_TITLE = "Integrations"
    HELP_NEXT = (
        "Press n to connect an account or calendar; r checks the selected one; "
        "w opens workflows to say which integrations your assistant uses."
    )
    BINDINGS = [
        Binding("n", "new", "New", tooltip="Connect a new account or calendar", id="integrations.new"),
        Binding("e", "edit", "Edit", tooltip="Change the selected integration", id="integrations.edit"),
        Binding("enter", "edit", "Edit", show=False, tooltip="Open the selected integration", id="integrations.open"),
        # The footer always shows the same keys (n e r R x w / q F1), so it fits 80 columns and never
        # reflows as the selection changes; d, ctrl+r and escape are in help (F1) and the palette.
        Binding(
            "d", "delete", "Delete", show=False, tooltip="Delete the selected integration", id="integrations.delete"
        ),
        Binding(
            "r", "check", "Check", tooltip="Test the selected integration's connection now", id="integrations.check"
        ),
        Binding(
            "R", "check_all", "Check all", tooltip="Test every enabled integration now", id="integrations.check_all"
        ),
        Binding(
            "x",
            "toggle_disabled",
            "On/off",
            tooltip="Disable or enable the selected integration",
            id="integrations.toggle_disabled",
        ),
        Binding(
            "ctrl+r",
            "reauthenticate",
            "Re-authenticate",
            show=False,
            tooltip="Sign in again in the browser (OAuth types)",
            id="integrations.reauthenticate",
        ),
        Binding(
            "w",
            "workflows",
            "Workflows",
            tooltip="Workflows and the integrations they use",
            id="integrations.workflows",
        ),
        Binding(
            "slash", "filter", "Filter", tooltip="Filter by label, type or status as you type", id="integrations.filter"
        ),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            show=False,
            tooltip="Show every integration again",
            id="integrations.clear_filter",
        ),
        Binding("q", "app.quit", "Quit", tooltip="Leave tether", id="integrations.quit"),
    ]

    app: TetherApp

    def __init__(self) -> None:
        super().__init__()
        # The health figures the App last sent, drawn in the detail pane: this screen is their only writer.
        self._healths: dict[int, Health] = {}
        self._removed_here: set[int] = set()  # deleted with d here: no "removed in another tether" for them
        self._newer_rows: dict[int, Integration] = {}  # rows the App changed since the last list read began
        self._after_open: str | None = None  # a key pressed while storage was still opening
        self._open_failed: str | None = None  # why storage could not be opened, if it could not

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Filter by label, type or status (escape clears)", id="filter", classes="hidden")
        yield IntegrationTable(self.app.clock, id="integrations")
        yield IntegrationDetail(id="detail")
        yield Static("", id="secrets-line", markup=False)
        yield Footer(compact=True, show_command_palette=False)  # ctrl+p still opens it; help says so

    @property
    def table(self) -> IntegrationTable:
        return self.query_one(IntegrationTable)

    def on_mount(self) -> None:
        self.table.focus()
        # "3 min ago" ages: redraw the visible rows and the detail now and then (cheap: no data is read).
        self.set_interval(30, self.age_times, name="age the times")

    def age_times(self) -> None:
        self.table.refresh()
        self._show_detail()

    def current_integrations(self) -> list[Integration]:
        """What the list shows now (the App's background checks start from it)."""
        return self.table.integrations()

    # --- data from the App and workers -------------------------------------------------

    def on_list_loaded(self, message: ListLoaded) -> None:
        self.show_integrations(message.integrations, message.select_label)
        if self.app.context is not None and self._after_open is not None:
            action, self._after_open = self._after_open, None
            self.call_after_refresh(self.run_action, action)

    def deferred_until_open(self, action: str) -> bool:
        """Whether storage is still opening; if so ``action`` runs as soon as it is open (the last key wins).

        The rows of the quick first look are on screen before storage is open: a key pressed then is
        kept for later rather than doing nothing.
        """
        if self.app.context is not None:
            return False
        if self._open_failed is not None:
            self.notify(self._open_failed, title="Data directory not open", severity="error", markup=False)
            return True
        if self._after_open != action:
            self.notify("tether is still opening its data directory; this runs as soon as it is open.")
        self._after_open = action
        return True

    def on_list_stale(self, message: ListStale) -> None:
        self.reload()

    def on_list_failed(self, message: ListFailed) -> None:
        if self.app.context is None:
            self._open_failed, self._after_open = message.message, None
        self.show_failure(message.message)

    def on_row_changed(self, message: RowChanged) -> None:
        self.table.update_integration(message.integration)  # the detail follows through Highlighted
        # Newer than a list read that may be under way: that read must not draw it back.
        self._newer_rows[message.integration.id] = message.integration

    def on_health_changed(self, message: HealthChanged) -> None:
        self._healths.update(message.healths)
        selected = self.table.selected
        if selected is not None and selected.id in message.healths:
            self._show_detail()

    def on_secrets_changed(self, message: SecretsChanged) -> None:
        self._show_secrets_line()

    def show_integrations(self, integrations: list[Integration], select_label: str | None = None) -> None:
        self.table.set_integrations(integrations)
        if select_label:
            self.table.select_label(select_label)
        self._show_secrets_line()
        self.refresh_bindings()

    def show_failure(self, message: str) -> None:
        self.table.show_failure(message)
        self.query_one("#secrets-line", Static).update(plain(message))
        self.query_one(IntegrationDetail).show(None, self.app.clock(), message)  # the failure, where details go

    def _show_secrets_line(self) -> None:
        context = self.app.context
        if context is None:
            return
        # One short line that fits 80 columns; where the store lives is in the detail pane (nothing selected).
        vault = context.secrets.vault
        if vault is None:
            line = "Secrets: OS keyring"
        elif vault.unlocked:
            line = "Secrets: encrypted vault, unlocked"
        else:
            line = "Secrets: encrypted vault, locked (asks for the passphrase when needed)"
        self.query_one("#secrets-line", Static).update(plain(line))

    def reload(self, select_label: str | None = None) -> None:
        if self.app.context is not None:
            self._newer_rows = {}
            self._load(select_label)

    @work(thread=True, exclusive=True, group="list", exit_on_error=False, name="load the integrations")
    def _load(self, select_label: str | None) -> None:
        from app.core.checks import mark_checks_elsewhere

        assert self.app.context is not None
        repo = self.app.context.storage.integrations
        self.post_message(IntegrationsLoaded(mark_checks_elsewhere(repo, repo.list()), select_label))

    def on_integrations_loaded(self, message: IntegrationsLoaded) -> None:
        shown = {item.id: item for item in self.table.integrations()}
        here = {item.id for item in message.integrations}
        selected = self.table.selected
        self.show_integrations(
            [self._newer_rows.get(item.id, item) for item in message.integrations], message.select_label
        )
        # Removed by another tether: say so when it was the one under the cursor (the cursor moved).
        if (
            selected is not None
            and selected.id not in here
            and selected.id not in self._removed_here
            and selected.id in shown
        ):
            self.notify(f"{selected.label!r} was removed in another tether.", title="Removed")

    @on(IntegrationTable.Highlighted)
    def _highlighted(self, message: IntegrationTable.Highlighted) -> None:
        self._show_detail()
        self._refresh_bindings_if_changed()

    def _show_detail(self) -> None:
        selected = self.table.selected
        detail = self.query_one(IntegrationDetail)
        context = self.app.context
        if selected is None:
            note = ""
            if context is not None:
                description = context.secrets.store.description.replace(str(Path.home()), "~")
                note = f"Secrets are kept in the {description}. {context.secrets.reason}"
            detail.show(None, self.app.clock(), note)
            return
        note = (
            "Disabled: not checked, and workflows cannot use it. Press x to enable it."
            if selected.status is Status.DISABLED
            else ""
        )
        lines: list[str] = []
        if (health := self._healths.get(selected.id)) is not None:
            # Only now: diagnostics imports the database layer, which the first rows must not wait for.
            from app.core.diagnostics import health_lines

            lines = health_lines(health, at=self.app.clock())
        detail.show(selected, self.app.clock(), note, health=lines)

    def _refresh_bindings_if_changed(self) -> None:
        """The footer is rebuilt on refresh_bindings: only do it when what applies changed."""
        state = (self.table.selected is None, bool(self.table.filter_text), self.app.context is None)
        if state != getattr(self, "_binding_state", None):
            self._binding_state = state
            self.refresh_bindings()

    @on(IntegrationTable.Chosen)
    def _chosen(self) -> None:
        self.action_edit()

    # --- filter -------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.remove_class("hidden")
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)
        self._refresh_bindings_if_changed()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.add_class("hidden")
        self.table.set_filter("")
        self.table.focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return bool(self.table.filter_text) or self.query_one("#filter", Input).has_focus
        if action in NEEDS_SELECTION:
            return None if self.table.selected is None else True
        if action == "reauthenticate":
            selected = self.table.selected
            return selected is not None and self._spec(selected).oauth
        return True

    # --- actions --------------------------------------------------------------------------

    def _spec(self, integration: Integration) -> IntegrationType:
        return self.app.types.get(integration.type_key)

    def _all_labels(self) -> set[str]:
        return self.table.all_labels()

    def action_new(self) -> None:
        from screens.type_picker import TypePickerScreen

        def chosen(spec: IntegrationType | None) -> None:
            if spec is not None:
                self._open_form(spec, None)

        self.app.push_screen(TypePickerScreen(), chosen)

    def action_edit(self) -> None:
        if self.deferred_until_open("edit"):
            return
        selected = self.table.selected
        if selected is not None:
            self._open_form(self._spec(selected), selected)

    def _open_form(self, spec: IntegrationType, integration: Integration | None) -> None:
        from screens.integration_form import IntegrationFormScreen

        def closed(saved: Integration | None) -> None:
            self.reload(select_label=saved.label if saved else None)

        self.app.push_screen(IntegrationFormScreen(spec, self._all_labels(), integration), closed)

    def action_reauthenticate(self) -> None:
        selected = self.table.selected
        if selected is not None and self._spec(selected).oauth:
            self.app.reauthenticate(selected, self._spec(selected).name)

    def action_delete(self) -> None:
        from screens.confirm_delete import ConfirmDeleteScreen

        if self.deferred_until_open("delete"):
            return
        selected = self.table.selected
        if selected is None:
            return

        def confirmed(answer: str | None) -> None:
            if answer == "disable":
                self._set_disabled(selected, True)
            if answer != "delete":
                return
            if selected.secret_names:
                self.app.with_secrets(lambda: self._remove(selected.id))
            else:
                self._remove(selected.id)

        self.app.push_screen(ConfirmDeleteScreen(selected, self._spec(selected).oauth_provider), confirmed)

    @work(thread=True, group="write", exit_on_error=False, name="delete the integration")
    def _remove(self, integration_id: int) -> None:
        from app.core.oauth_flow import revoke_before_remove
        from storage.errors import StorageError

        assert self.app.context is not None
        repo = self.app.context.storage.integrations
        try:
            current = repo.get(integration_id)
            problem = revoke_before_remove(repo, self._spec(current), current)  # best effort, before the secrets go
            removed = repo.remove(integration_id)
        except StorageError as exc:
            self.post_message(IntegrationRemoved(None, str(exc)))
            return
        self.post_message(IntegrationRemoved(removed, revoke_problem=problem))

    def on_integration_removed(self, message: IntegrationRemoved) -> None:
        if message.integration is None:
            self.notify(message.error, title="Not deleted", severity="error")
        else:
            item = message.integration
            self._removed_here.add(item.id)
            lost = (
                f"; {count(len(item.used_by), 'workflow')} {'notes' if len(item.used_by) == 1 else 'note'} that it was lost"
                if item.used_by
                else ""
            )
            revoked = (
                "; its sign-in was revoked" if item.has_secret("refresh_token") and not message.revoke_problem else ""
            )
            self.notify(f"Deleted {item.label!r} and its secrets{revoked}{lost}.", title="Deleted")
            if message.revoke_problem:
                self.notify(message.revoke_problem, title="Sign-in not revoked", severity="warning", timeout=12)
        self.reload()

    def action_check(self) -> None:
        if self.deferred_until_open("check"):
            return
        selected = self.table.selected
        if selected is None:
            return
        if selected.status is Status.DISABLED:
            self.notify(f"{selected.label!r} is disabled; it is not checked.", title="Check")
            return

        def start() -> None:
            self.table.update_integration(replace(selected, status=Status.CHECKING, status_detail=""))
            self._check(selected)

        if selected.secret_names:
            self.app.with_secrets(start)
        else:
            start()

    @work(thread=True, group="check", exit_on_error=False, name="check the integration")
    def _check(self, integration: Integration) -> None:
        from app.core.checks import check_integration

        from storage.errors import NotFound

        assert self.app.context is not None
        context = self.app.context
        try:
            outcome = check_integration(context.storage.integrations, integration, types=context.types)
        except NotFound:
            self.post_message(IntegrationGone(integration))
            return
        self.post_message(IntegrationChecked(outcome))

    def on_integration_gone(self, message: IntegrationGone) -> None:
        self.notify(f"{message.integration.label!r} was removed in another tether.", title="Removed")
        self.reload()

    def on_integration_checked(self, message: IntegrationChecked) -> None:
        outcome = message.outcome
        message.stop()
        self.app.integration_checked(outcome.integration.id, outcome.error is None)
        self.table.update_integration(outcome.integration)
        label = outcome.integration.label
        if outcome.error is not None:
            self.notify(f"{label}: {outcome.error}", title=outcome.error.kind.heading, severity="error", timeout=8)
        elif outcome.result is not None:
            self.notify(f"{label}: {outcome.result.summary}", title="Connected")
        elif outcome.discarded:
            self.notify(outcome.discarded, title="Check discarded", severity="warning")
        self._show_secrets_line()

    def worker_failed(self, worker) -> None:
        if worker.group == "check":
            self.reload()

    def action_workflows(self) -> None:
        from screens.workflows import WorkflowsScreen

        if self.deferred_until_open("workflows"):
            return
        self.app.push_screen(WorkflowsScreen(), lambda _: self.reload())
