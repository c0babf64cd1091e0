"""Workflows: the assistant's jobs, and which integrations each reads from or writes to."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from app.core.formatting import STATUS_MARKER, STATUS_TEXT
from screens.base import ReportsWorkerFailures
from storage.records import Access, Integration, LinkSpec, Role, Workflow
from widgets.plain import plain

if TYPE_CHECKING:
    from app.tui.tether_app import TetherApp
    from screens.workflow_form import WorkflowDraft
    from storage.service import Storage

LINK_CHOICES = {
    "source-read": (Role.SOURCE, Access.READ, "Source, read only — the assistant reads from it"),
    "source-write": (Role.SOURCE, Access.WRITE, "Source, read and write — it may also mark or move items"),
    "sink-write": (Role.SINK, Access.WRITE, "Sink, write — the assistant writes results to it"),
    "sink-read": (Role.SINK, Access.READ, "Sink, read only — shown as a destination, never written"),
}


class WorkflowsLoaded(Message):
    def __init__(self, workflows: list[Workflow], integrations: list[Integration], select_id: int | None) -> None:
        super().__init__()
        self.workflows, self.integrations, self.select_id = workflows, integrations, select_id


class WorkflowsChanged(Message):
    def __init__(self, select_id: int | None, note: str = "", error: str = "") -> None:
        super().__init__()
        self.select_id, self.note, self.error = select_id, note, error


def links_content(workflow: Workflow) -> Content:
    parts: list[str | tuple[str, str] | Content] = [plain(workflow.name, "bold")]
    if workflow.description:
        parts.append(plain(f" — {workflow.description}", "$text-muted"))
    parts.append("\n")
    if not workflow.links:
        parts.append(("No integrations yet: press a to attach one.", "$text-muted"))
    for link in workflow.links:
        if link.missing:
            parts += [
                ("  ✖ ", "$error bold"),
                plain(link.integration_label, "$error"),
                (f" ({link.role}, {link.access}) was deleted — attach another or detach it with x\n", "$error"),
            ]
            continue
        status = link.integration_status
        marker = f"{STATUS_MARKER[status]} {STATUS_TEXT[status]}" if status else ""
        if status == "disabled":
            marker += " — this workflow cannot run until it is enabled (x on the list)"
        parts += [
            f"  {link.role:<6} {link.access:<5} ",
            plain(link.integration_label, "bold"),
            (f"  {marker}\n", "$text-muted"),
        ]
    return Content.assemble(*parts)


def problems_content(workflow: Workflow) -> Content:
    """Why the workflow cannot run as it is: integrations deleted, or disabled."""
    lost = workflow.missing_labels
    disabled = [link.integration_label for link in workflow.links if link.integration_status == "disabled"]
    parts: list[Content] = []
    if lost:
        parts.append(plain(f"✖ lost {', '.join(lost)}", "$error"))
    if disabled:
        parts.append(plain(f"– {', '.join(disabled)} disabled", "$warning"))
    return Content(" ").join(parts) if parts else Content("")


def _removed(storage: Storage, workflow: Workflow) -> None:
    storage.workflows.remove(workflow.id)


class WorkflowsScreen(ReportsWorkerFailures, Screen[None]):
    HELP_TITLE = "Workflows"
    HELP_NEXT = "Press n to add a workflow, then a to attach an integration as its source or sink."
    BINDINGS = [
        Binding("n", "new", "New", tooltip="Add a workflow", id="workflows.new"),
        Binding("e", "edit", "Edit", tooltip="Rename, describe, schedule, switch on or off", id="workflows.edit"),
        Binding("enter", "edit", "Edit", show=False, tooltip="Edit the selected workflow", id="workflows.open"),
        Binding("a", "attach", "Attach", tooltip="Use an integration in this workflow", id="workflows.attach"),
        Binding("x", "detach", "Detach", tooltip="Stop using one of its integrations", id="workflows.detach"),
        Binding("d", "delete", "Delete", tooltip="Delete the workflow (its integrations stay)", id="workflows.delete"),
        # Not in the footer (it is full); listed in help (F1) and the command palette.
        Binding(
            "m",
            "mcp",
            "MCP setup",
            show=False,
            tooltip="How an assistant's MCP client connects to this workflow",
            id="workflows.mcp",
        ),
        Binding("escape", "back", "Back", tooltip="Back to the integrations", id="workflows.back"),
    ]

    app: TetherApp

    def __init__(self) -> None:
        super().__init__()
        self.workflows: list[Workflow] = []
        self.integrations: list[Integration] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Workflows", classes="screen-title")
        yield DataTable(id="workflows", cursor_type="row", zebra_stripes=False)
        with VerticalScroll(id="workflow-detail"):
            yield Static("", id="workflow-links")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#workflows", DataTable)
        for title, width in (("Name", 24), ("Schedule", 14), ("On", 4), ("Uses", 5), ("Problems", 24)):
            table.add_column(title, width=width)
        table.focus()
        self._load(None)

    # --- loading --------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="workflows", exit_on_error=False, name="load the workflows")
    def _load(self, select_id: int | None) -> None:
        context = self.app.context
        if context is None:
            self.post_message(WorkflowsLoaded([], [], None))
            return
        self.post_message(
            WorkflowsLoaded(context.storage.workflows.list(), context.storage.integrations.list(), select_id)
        )

    def on_workflows_loaded(self, message: WorkflowsLoaded) -> None:
        self.workflows, self.integrations = message.workflows, message.integrations
        table = self.query_one("#workflows", DataTable)
        keep = message.select_id if message.select_id is not None else (self.selected.id if self.selected else None)
        table.clear()
        for workflow in self.workflows:
            used = [link for link in workflow.links if not link.missing]  # a deleted one is a problem, not a use
            table.add_row(
                plain(workflow.name),
                plain(workflow.schedule or "-"),
                "yes" if workflow.enabled else "off",
                str(len(used)),
                problems_content(workflow),
                key=str(workflow.id),
            )
        for row, workflow in enumerate(self.workflows):
            if workflow.id == keep:
                table.move_cursor(row=row)
        self._show_selected()
        self.refresh_bindings()

    @property
    def selected(self) -> Workflow | None:
        table = self.query_one("#workflows", DataTable)
        if not self.workflows or table.cursor_row is None or table.cursor_row >= len(self.workflows):
            return None
        return self.workflows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#workflows")
    def _show_selected(self) -> None:
        workflow = self.selected
        text = self.query_one("#workflow-links", Static)
        if workflow is None:
            text.update(Content.styled("No workflows yet. Press n to add one.", "$text-muted"))
        else:
            text.update(links_content(workflow))
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#workflows")
    def _row_chosen(self) -> None:
        self.action_edit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "delete", "attach", "mcp"):
            return None if self.selected is None else True
        if action == "detach":
            return None if self.selected is None or not self.selected.links else True
        return True

    # --- writing ----------------------------------------------------------------------------

    def _write(self, change: Callable[[Storage], Workflow | None], note: str) -> None:
        self._run_write(change, note)

    @work(thread=True, group="workflow-write", exit_on_error=False, name="change the workflow")
    def _run_write(self, change: Callable[[Storage], Workflow | None], note: str) -> None:
        from storage.errors import StorageError

        assert self.app.context is not None
        try:
            workflow = change(self.app.context.storage)
        except StorageError as exc:
            self.post_message(WorkflowsChanged(None, error=str(exc)))
            return
        self.post_message(WorkflowsChanged(workflow.id if workflow else None, note=note))

    def on_workflows_changed(self, message: WorkflowsChanged) -> None:
        if message.error:
            self.notify(message.error, title="Not changed", severity="error")
        elif message.note:
            self.notify(message.note)
        self._load(message.select_id)

    def _names(self) -> set[str]:
        return {workflow.name for workflow in self.workflows}

    def action_new(self) -> None:
        from screens.workflow_form import WorkflowFormScreen

        def saved(draft: WorkflowDraft | None) -> None:
            if draft is not None:
                self._write(
                    lambda storage: storage.workflows.add(
                        draft.name, description=draft.description, schedule=draft.schedule, enabled=draft.enabled
                    ),
                    f"Added workflow {draft.name!r}. Press a to attach an integration.",
                )

        if self.app.context is not None:
            self.app.push_screen(WorkflowFormScreen(None, self._names()), saved)

    def action_edit(self) -> None:
        from screens.workflow_form import WorkflowFormScreen

        workflow = self.selected
        if workflow is None:
            return

        def saved(draft: WorkflowDraft | None) -> None:
            if draft is not None:
                self._write(
                    lambda storage: storage.workflows.update(
                        workflow.id,
                        name=draft.name,
                        description=draft.description,
                        schedule=draft.schedule,
                        enabled=draft.enabled,
                        opened=workflow,  # what the form showed: changes made elsewhere meanwhile stay
                    ),
                    f"Saved workflow {draft.name!r}.",
                )

        self.app.push_screen(WorkflowFormScreen(workflow, self._names()), saved)

    def action_delete(self) -> None:
        from screens.pick import ConfirmScreen

        workflow = self.selected
        if workflow is None:
            return
        body = (
            "Its integrations are not changed; they stay in the list." if workflow.links else "It uses no integrations."
        )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._write(lambda storage: _removed(storage, workflow), f"Deleted workflow {workflow.name!r}.")

        self.app.push_screen(ConfirmScreen(f"Delete workflow {workflow.name}?", body, "Delete"), confirmed)

    def action_attach(self) -> None:
        from screens.pick import PickScreen

        workflow = self.selected
        if workflow is None:
            return
        if not self.integrations:
            self.notify("There are no integrations yet: add one on the main screen with n.")
            return
        attached = {link.integration_id for link in workflow.links}
        enabled = [item for item in self.integrations if item.status != "disabled"]  # disabled ones cannot be used
        offered = [item for item in enabled if item.id not in attached]  # one link per integration
        if not enabled:
            self.notify("Every integration is disabled: enable one on the main screen with x.")
            return
        if not offered:
            self.notify(f"Every enabled integration is already attached to {workflow.name}.")
            return
        entries = [
            (
                str(item.id),
                Content.assemble(
                    plain(item.label, "bold"),
                    (f"  {STATUS_MARKER[item.status]} {STATUS_TEXT[item.status]}", "$text-muted"),
                ),
            )
            for item in offered
        ]

        def integration_chosen(choice: str | None) -> None:
            if choice is None:
                return
            item = next(i for i in self.integrations if str(i.id) == choice)
            roles = [(key, text) for key, (_, _, text) in LINK_CHOICES.items()]
            self.app.push_screen(
                PickScreen(f"How does {workflow.name} use {item.label}?", roles),
                lambda role: self._attach_link(workflow, item, role),
            )

        self.app.push_screen(PickScreen(f"Attach to {workflow.name}", entries), integration_chosen)

    def _attach_link(self, workflow: Workflow, item: Integration, role_key: str | None) -> None:
        if role_key is None:
            return
        role, access, _ = LINK_CHOICES[role_key]
        self._write(
            lambda storage: storage.workflows.attach(workflow.id, LinkSpec(item.id, role, access)),
            f"{workflow.name} now uses {item.label} as {role} ({access}).",
        )

    def action_detach(self) -> None:
        from screens.pick import PickScreen

        workflow = self.selected
        if workflow is None or not workflow.links:
            return
        entries = [
            (
                str(link.id),
                f"{link.integration_label} ({link.role}, {link.access}){'  — deleted' if link.missing else ''}",
            )
            for link in workflow.links
        ]

        def chosen(link_id: str | None) -> None:
            if link_id is not None:
                self._write(
                    lambda storage: storage.workflows.detach(workflow.id, int(link_id)),
                    f"Detached from {workflow.name}.",
                )

        self.app.push_screen(PickScreen(f"Detach from {workflow.name}", entries), chosen)

    def action_mcp(self) -> None:
        from app.core.mcp_config import launch_for
        from screens.mcp_setup import McpSetupScreen

        workflow, context = self.selected, self.app.context
        if workflow is None or context is None:
            return
        launch = launch_for(workflow.name, context.data_dir, uses_vault=context.secrets.vault is not None)
        self.app.push_screen(McpSetupScreen(launch))

    def action_back(self) -> None:
        self.dismiss(None)
