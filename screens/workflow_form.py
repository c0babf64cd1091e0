"""Name, describe, schedule and switch a workflow on or off."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static, Switch

from screens.base import focus_keys
from storage.records import Workflow
from widgets.plain import plain


@dataclass(frozen=True)
class WorkflowDraft:
    name: str
    description: str
    schedule: str
    enabled: bool


def validate_workflow_name(name: str, taken: set[str]) -> str | None:
    stripped = name.strip()
    if not stripped:
        return "Give the workflow a name, e.g. Morning briefing."
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "The name contains control characters; type it again without them."
    if stripped.casefold() in {other.casefold() for other in taken}:
        return f"A workflow named {stripped!r} already exists; choose another name."
    return None


class WorkflowFormScreen(ModalScreen["WorkflowDraft | None"]):
    HELP_TITLE = "Workflow"
    HELP_NEXT = "Name it, say when it runs, then ctrl+s. Attach integrations with a on the workflows screen."
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Keep these values", id="workflow_form.save"),
        Binding("escape", "cancel", "Cancel", tooltip="Change nothing", id="workflow_form.cancel"),
        *focus_keys("workflow_form"),
    ]

    def __init__(self, workflow: Workflow | None, taken: set[str]) -> None:
        super().__init__()
        self.workflow = workflow
        self.taken = {name for name in taken if not workflow or name != workflow.name}

    def compose(self) -> ComposeResult:
        workflow = self.workflow
        with Vertical(id="dialog", classes="dialog"):
            yield Static(plain(f"Edit {workflow.name}" if workflow else "New workflow"), classes="dialog-title")
            yield Label("Name")
            yield Input(workflow.name if workflow else "", placeholder="Morning briefing", id="wf-name")
            yield Static("", id="wf-name-error", classes="error", markup=False)
            yield Label("Description  (optional)")
            yield Input(
                workflow.description if workflow else "", placeholder="What the assistant does", id="wf-description"
            )
            yield Label("Schedule  (optional)")
            yield Input(workflow.schedule if workflow else "", placeholder="daily 07:00", id="wf-schedule")
            with Horizontal(classes="switch-row"):
                yield Switch(workflow.enabled if workflow else True, id="wf-enabled")
                yield Label("Enabled")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")
        yield Footer()  # the dialog's own keys, not the screen underneath

    def on_mount(self) -> None:
        self.query_one("#wf-name", Input).focus()

    @on(Input.Changed, "#wf-name")
    def _name_changed(self, event: Input.Changed) -> None:
        self.query_one("#wf-name-error", Static).update(plain(validate_workflow_name(event.value, self.taken) or ""))

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        name = self.query_one("#wf-name", Input).value
        if message := validate_workflow_name(name, self.taken):
            self.query_one("#wf-name-error", Static).update(plain(message))
            self.query_one("#wf-name", Input).focus()
            return
        self.dismiss(
            WorkflowDraft(
                name=name.strip(),
                description=self.query_one("#wf-description", Input).value.strip(),
                schedule=self.query_one("#wf-schedule", Input).value.strip(),
                enabled=self.query_one("#wf-enabled", Switch).value,
            )
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
