"""Which integrations one MCP server may see, and which it may write to.

With a workflow, only the integrations linked to it are visible, and writes are allowed only
where the link is a sink with write access. An integration outside the workflow gets the very
answer a label that does not exist gets, so a client cannot learn the other labels by asking. Without one, every integration is visible and the
server is read-only unless it was started with --allow-write. The workflow is read again on
every call, so links changed in tether apply at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.mcp.errors import Reason, ToolRefusal, quoted
from storage.errors import NotFound
from storage.records import Access, Integration, Role, Workflow
from storage.workflows import WorkflowRepository


@dataclass(frozen=True)
class Scope:
    workflow: Workflow | None
    allow_write: bool = False

    def visible(self, integration: Integration) -> bool:
        if self.workflow is None:
            return True
        return any(link.integration_id == integration.id for link in self.workflow.links)

    def writable(self, integration: Integration) -> bool:
        if self.workflow is None:
            return self.allow_write
        return any(
            link.integration_id == integration.id and link.role is Role.SINK and link.access is Access.WRITE
            for link in self.workflow.links
        )

    def require_visible(self, integration: Integration, asked_as: str | None = None) -> None:
        if not self.visible(integration):
            raise unknown_integration(integration.label if asked_as is None else asked_as, self.workflow)

    def require_writable(self, integration: Integration) -> None:
        self.require_visible(integration)
        if self.writable(integration):
            return
        if self.workflow is None:
            raise ToolRefusal(
                Reason.READ_ONLY,
                "This MCP server is read-only.",
                action="Start it with `tether mcp --allow-write`, or scope it to a workflow with "
                f"{integration.label!r} as a sink with write access (`tether mcp --workflow NAME`).",
                label=integration.label,
            )
        name = self.workflow.name
        raise ToolRefusal(
            Reason.READ_ONLY,
            f"Workflow {name!r} may only read from this integration.",
            action=f"Link {integration.label!r} to {name!r} as a sink with write access in tether "
            f"(e.g. `tether workflow add` with --sink {quoted(integration.label)}), if the assistant should write there.",
            label=integration.label,
        )


def unknown_integration(label: str, workflow: Workflow | None) -> ToolRefusal:
    """No such label, or one outside the workflow: the same words, built from the label as asked."""
    return ToolRefusal(
        Reason.UNKNOWN_INTEGRATION,
        f"There is no integration named {label!r}" + (f" in workflow {workflow.name!r}." if workflow else "."),
        action="Call list_integrations for the exact labels.",
    )


def load_scope(workflows: WorkflowRepository, workflow_name: str | None, *, allow_write: bool) -> Scope:
    """The scope as stored now. Raises ToolRefusal when the workflow is gone or switched off."""
    if workflow_name is None:
        return Scope(None, allow_write)
    try:
        workflow = workflows.find(workflow_name)
    except NotFound:
        raise ToolRefusal(
            Reason.CONFIG,
            f"Workflow {workflow_name!r} no longer exists in tether.",
            action="Restart this MCP server with an existing workflow; `tether workflow list` shows them.",
        ) from None
    if not workflow.enabled:
        raise ToolRefusal(
            Reason.DISABLED,
            f"Workflow {workflow.name!r} is switched off in tether.",
            action="Enable the workflow in tether if the assistant should use it.",
        )
    return Scope(workflow, allow_write=False)
