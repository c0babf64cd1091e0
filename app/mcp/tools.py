"""The MCP tools tether offers: each declared once with its input and output JSON schemas.

A tool's ``run`` is blocking (storage, sockets) and is called off the event loop with a ToolCall
and the arguments already checked against ``input_schema``. It returns the structured result,
a JSON object matching ``output_schema``, or raises ToolRefusal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.mcp.calls import ToolCall

LABEL_PROPERTY: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "description": "The integration's label, as list_integrations shows it.",
}


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    run: Callable[[ToolCall, dict[str, Any]], dict[str, Any]]
    writes: bool = False
    # Integration types the tool works on; empty for tools about tether itself.
    types: frozenset[str] = frozenset()


def object_schema(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


def all_tools() -> list[ToolSpec]:
    """Every tool, in the order tools/list shows them."""
    from app.mcp.calendar import CALENDAR_TOOLS
    from app.mcp.inventory import INVENTORY_TOOLS
    from app.mcp.mail import MAIL_TOOLS

    return [*INVENTORY_TOOLS, *MAIL_TOOLS, *CALENDAR_TOOLS]


def tools_for_type(type_key: str, *, writable: bool) -> list[str]:
    """The tool names that work on an integration of this type (write tools only when writable)."""
    return [
        tool.name for tool in all_tools() if type_key in tool.types and (writable or not tool.writes)
    ]
