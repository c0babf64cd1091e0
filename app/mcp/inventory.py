"""list_integrations: what this MCP server can reach, its health and what may be done with it. Never a secret."""

from __future__ import annotations

from typing import Any

from app.mcp.calls import ToolCall
from app.mcp.calendar import CALENDAR_TOOLS
from app.mcp.mail import MAIL_TOOLS
from app.mcp.tool_spec import ToolSpec, object_schema, tools_for_type
from connectors.types import Capability
from storage.records import Integration


def list_integrations(call: ToolCall, arguments: dict[str, Any]) -> dict[str, Any]:
    visible = [item for item in call.storage.integrations.list() if call.scope.visible(item)]
    return {
        "workflow": call.scope.workflow.name if call.scope.workflow else None,
        "integrations": [_describe(call, item) for item in visible],
    }


def _describe(call: ToolCall, integration: Integration) -> dict[str, Any]:
    spec = call.types.get(integration.type_key)
    writable = Capability.WRITE in spec.capabilities and call.scope.writable(integration)
    capabilities = ["read", "write"] if writable else ["read"]
    return {
        "label": integration.label,
        "type": integration.type_key,
        "type_name": spec.name,
        "category": str(spec.category),
        "status": str(integration.status),
        "status_detail": integration.status_detail,
        "last_checked": integration.last_checked_at.isoformat() if integration.last_checked_at else None,
        "capabilities": capabilities,
        "tools": tools_for_type(spec, [*MAIL_TOOLS, *CALENDAR_TOOLS], writable=writable),
    }


_INTEGRATION = object_schema(
    {
        "label": {"type": "string"},
        # A key from the type registry: open-ended, so a new type never breaks this schema.
        "type": {"type": "string", "description": "The integration type's key, e.g. imap"},
        "type_name": {"type": "string"},
        "category": {"type": "string", "enum": ["mail", "calendar"]},
        "status": {
            "type": "string",
            "enum": ["not_checked", "checking", "connected", "error", "needs_reauth", "disabled"],
        },
        "status_detail": {"type": "string"},
        "last_checked": {"type": ["string", "null"], "description": "ISO-8601, UTC"},
        "capabilities": {"type": "array", "items": {"type": "string", "enum": ["read", "write"]}},
        "tools": {"type": "array", "items": {"type": "string"}},
    },
    required=("label", "type", "status", "capabilities", "tools"),
)

LIST_INTEGRATIONS = ToolSpec(
    name="list_integrations",
    title="List integrations",
    description="The mail and calendar integrations this server can use: label, type, status "
    "(connected, error, needs_reauth, disabled, ...), capabilities (read, write) and the tools that "
    "work on each. Other tools take the label as their `label` argument.",
    input_schema=object_schema({}),
    output_schema=object_schema(
        {
            "workflow": {"type": ["string", "null"], "description": "The workflow this server is scoped to"},
            "integrations": {"type": "array", "items": _INTEGRATION},
        },
        required=("workflow", "integrations"),
    ),
    run=list_integrations,
)

INVENTORY_TOOLS = [LIST_INTEGRATIONS]
