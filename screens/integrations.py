"""The main screen: every integration, its health, a live filter and the selected one's detail."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from screens.base import ReportsWorkerFailures
from storage.records import Integration, Status
from widgets.integration_detail import IntegrationDetail
from widgets.integration_table import IntegrationTable
from widgets.plain import plain

if TYPE_CHECKING:
    from app.core.checks import CheckOutcome
    from app.tui.tether_app import TetherApp
    from connectors.types import IntegrationType

NEEDS_SELECTION = {"edit", "delete", "check"}


class IntegrationsLoaded(Message):
    def __init__(self, integrations: list[Integration], select_label: str | None = None) -> None:
        super().__init__()
        self.integrations = integrations
        self.select_label = select_label


class IntegrationChecked(Message):
    def __init__(self, outcome: CheckOutcome) -> None:
        super().__init__()
        self.outcome = outcome


class IntegrationRemoved(Message):
    def __init__(self, integration: Integration | None, error: str = "", revoke_problem: str | None = None) -> None:
        super().__init__()
        self.integration = integration
        self.error = error
        self.revoke_problem = revoke_problem  # an OAuth grant that could not be given back


class IntegrationsScreen(ReportsWorkerFailures, Screen[None]):
    HELP_TITLE = "Integrations"
    HELP_NEXT = (
        "Press n to connect an account or calendar; r checks the selected one; "
        "w opens workflows to say which integrations your assistant uses."
    )
    BINDINGS = [
        Binding("n", "new", "New", tooltip="Connect a new account or calendar", id="integrations.new"),
        Binding("e", "edit", "Edit", tooltip="Change the selected integration", id="integrations.edit"),
        Binding("enter", "edit", "Edit", show=False, tooltip="Open the selected integration", id="integrations.open"),
        Binding("d", "delete", "Delete", tooltip="Delete the selected integration", id="integrations.delete"),
        Binding("r", "check", "Check", tooltip="Test the selected integration's connection now", id="integrations.check"),
        Binding(
            "ctrl+r", "reauthenticate", "Re-authenticate", tooltip="Sign in again in the browser (OAuth types)", id="integrations.reauthenticate"
        ),
        Binding("w", "workflows", "Workflows", tooltip="Workflows and the integrations they use", id="integrations.workflows"),
        Binding("slash", "filter", "Filter", tooltip="Filter by label, type or status as you type", id="integrations.filter"),
        Binding("escape", "clear_filter", "Clear filter", tooltip="Show every integration again", id="integrations.clear_filter"),
        Binding("q", "app.quit", "Quit", tooltip="Leave tether", id="integrations.quit"),
    ]

    app: TetherApp  # type: ignore[assignment]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Filter by label, type or status…", id="filter", classes="hidden")
        yield IntegrationTable(self.app.clock, id="integrations")
        yield IntegrationDetail(id="detail")
        yield Static("", id="secrets-line", markup=False)
        yield Footer()

    @property
    def table(self) -> IntegrationTable:
        return self.query_one(IntegrationTable)

    def on_mount(self) -> None:
        self.table.focus()
        # "3 min ago" ages: redraw the visible rows and the detail now and then (cheap: no data is read).
        self.set_interval(30, self._age_times)

    def _age_times(self) -> None:
        self.table.refresh()
        self.query_one(IntegrationDetail).show(self.table.selected, self.app.clock(), self._store_note(self.table.selected))

    # --- data from the App and workers -------------------------------------------------

    def show_integrations(self, integrations: list[Integration], select_label: str | None = None) -> None:
        self.table.set_integrations(integrations)
        if select_label:
            self.table.select_label(select_label)
        self._show_secrets_line()
        self.refresh_bindings()

    def show_failure(self, message: str) -> None:
        self.table.show_failure(message)
        self.query_one("#secrets-line", Static).update(plain(message))
        self.query_one(IntegrationDetail).show(None, self.app.clock(), message)

    def _show_secrets_line(self) -> None:
        context = self.app.context
        if context is None:
            return
        choice = context.secrets
        state = ""
        if choice.vault is not None:
            state = " (unlocked)" if choice.vault.unlocked else " (locked until a secret is needed)"
        description = choice.store.description.replace(str(Path.home()), "~")
        self.query_one("#secrets-line", Static).update(plain(f"Secrets{state}: {description}"))

    def reload(self, select_label: str | None = None) -> None:
        if self.app.context is not None:
            self._load(select_label)

    @work(thread=True, exclusive=True, group="list", exit_on_error=False, name="load the integrations")
    def _load(self, select_label: str | None) -> None:
        assert self.app.context is not None
        self.post_message(IntegrationsLoaded(self.app.context.storage.integrations.list(), select_label))

    def on_integrations_loaded(self, message: IntegrationsLoaded) -> None:
        self.show_integrations(message.integrations, message.select_label)

    @on(IntegrationTable.Highlighted)
    def _highlighted(self, message: IntegrationTable.Highlighted) -> None:
        self.query_one(IntegrationDetail).show(message.integration, self.app.clock(), self._store_note(message.integration))
        self._refresh_bindings_if_changed()

    def _store_note(self, integration: Integration | None) -> str:
        """With nothing selected, the detail pane says where secrets are kept and why."""
        context = self.app.context
        if integration is not None or context is None:
            return ""
        description = context.secrets.store.description.replace(str(Path.home()), "~")
        return f"Secrets are kept in the {description}. {context.secrets.reason}"

    def _refresh_bindings_if_changed(self) -> None:
        """The footer is rebuilt on refresh_bindings: only do it when what applies changed."""
        state = (self.table.selected is None, bool(self.table.query), self.app.context is None)
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
            return bool(self.table.query) or self.query_one("#filter", Input).has_focus
        if action in NEEDS_SELECTION:
            # Rows from the quick first look are shown before storage is open: act on them once it is.
            return None if self.table.selected is None or self.app.context is None else True
        if action == "reauthenticate":
            selected = self.table.selected
            return selected is not None and self._spec(selected).oauth
        if action == "workflows":
            return None if self.app.context is None else True
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

        selected = self.table.selected
        if selected is None:
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            if selected.secret_names:
                self.app.with_secrets(lambda: self._remove(selected.id))
            else:
                self._remove(selected.id)

        self.app.push_screen(ConfirmDeleteScreen(selected, self._spec(selected).oauth_provider), confirmed)

    @work(thread=True, group="write", exit_on_error=False, name="delete the integration")
    def _remove(self, integration_id: int) -> None:
        from storage.errors import StorageError
        from storage.secrets.base import SecretStoreError

        from app.core.oauth_flow import revoke_before_remove

        assert self.app.context is not None
        repo = self.app.context.storage.integrations
        try:
            current = repo.get(integration_id)
            problem = revoke_before_remove(repo, self._spec(current), current)  # best effort, before the secrets go
            removed = repo.remove(integration_id)
        except (StorageError, SecretStoreError) as exc:
            self.post_message(IntegrationRemoved(None, str(exc)))
            return
        self.post_message(IntegrationRemoved(removed, revoke_problem=problem))

    def on_integration_removed(self, message: IntegrationRemoved) -> None:
        if message.integration is None:
            self.notify(message.error, title="Not deleted", severity="error")
        else:
            item = message.integration
            lost = f"; {len(item.used_by)} workflow(s) note that they lost it" if item.used_by else ""
            revoked = "; its sign-in was revoked" if item.has_secret("refresh_token") and not message.revoke_problem else ""
            self.notify(f"Deleted {item.label!r} and its secrets{revoked}{lost}.", title="Deleted")
            if message.revoke_problem:
                self.notify(message.revoke_problem, title="Sign-in not revoked", severity="warning", timeout=12)
        self.reload()

    def action_check(self) -> None:
        selected = self.table.selected
        if selected is None:
            return
        spec = self._spec(selected)
        if not spec.can_check:
            self.notify(
                f"No connection check exists yet for {spec.name}; the status stays “not checked”.",
                title="Check",
            )
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

        assert self.app.context is not None
        context = self.app.context
        self.post_message(IntegrationChecked(check_integration(context.storage.integrations, integration, types=context.types)))

    def on_integration_checked(self, message: IntegrationChecked) -> None:
        outcome = message.outcome
        self.table.update_integration(outcome.integration)
        label = outcome.integration.label
        if outcome.error is not None:
            self.notify(f"{label}: {outcome.error}", title=outcome.error.kind.title, severity="error", timeout=8)
        elif outcome.result is not None:
            self.notify(f"{label}: {outcome.result.summary}", title="Connected")
        elif outcome.discarded:
            self.notify(outcome.discarded, title="Check discarded", severity="warning")
        self._show_secrets_line()

    def worker_failed(self, worker) -> None:  # type: ignore[no-untyped-def]
        if worker.group == "check":
            self.reload()

    def action_workflows(self) -> None:
        from screens.workflows import WorkflowsScreen

        self.app.push_screen(WorkflowsScreen(), lambda _: self.reload())
