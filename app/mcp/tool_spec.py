"""How an MCP tool is declared: its name, words, JSON schemas, what it runs and which types it serves.

The tool modules (inventory, mail, calendar) import this; app.mcp.tools gathers them. Nothing here
imports a tool module, so no module in app.mcp imports one that imports it back.

A tool's ``run`` is blocking (storage, sockets) and is called in a worker thread with a ToolCall
and the arguments already checked against ``input_schema``. It returns the structured result,
a JSON object matching ``output_schema``, or raises ToolRefusal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.types import IntegrationType

if TYPE_CHECKING:
    from app.mcp.calls import ToolCall

LABEL_PROPERTY: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "description": "The integration's label, as list_integrations shows it.",
}


@dataclass(frozen=True)
class Serves:
    """Which integration types a tool works on, by what the type can do (never by its key)."""

    what: str  # in words, for a refusal: "mailboxes"
    test: Callable[[IntegrationType], bool]

    def __call__(self, spec: IntegrationType) -> bool:
        return self.test(spec)


MAILBOXES = Serves("mailboxes (mail integrations)", lambda spec: spec.has_mailbox)
CALENDARS = Serves("calendars (iCal feeds, CalDAV and other calendar integrations)", lambda spec: spec.has_events)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    run: Callable[[ToolCall, dict[str, Any]], dict[str, Any]]
    writes: bool = False
    # Integration types the tool works on; None for tools about tether itself.
    types: Serves | None = None


def object_schema(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


def tools_for_type(spec: IntegrationType, tools: Iterable[ToolSpec], *, writable: bool) -> list[str]:
    """The names of ``tools`` that work on an integration of this type (write tools only when writable)."""
    return [
        tool.name for tool in tools if tool.types is not None and tool.types(spec) and (writable or not tool.writes)
    ]
