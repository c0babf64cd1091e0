"""The service behind `tether mcp`: tool calls checked, scoped, run and scrubbed of secrets.

Start-up is app.mcp.wire, which opens this module in a thread once it serves: importing it loads
the database layer and the tool modules. The protocol (app.mcp.protocol) runs each tool call in a
worker thread (app.mcp.call_runner), bounded by the call timeout.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.mcp.arguments import first_problem
from app.mcp.calls import DEFAULT_TIMEOUT, ToolCall
from app.mcp.errors import Reason, ToolRefusal, scrub
from app.mcp.scope import Scope, load_scope
from app.mcp.tool_spec import ToolSpec
from app.mcp.tools import all_tools
from connectors.registry import TypeRegistry, default_types

if TYPE_CHECKING:
    from storage.service import Storage

log = logging.getLogger("tether.mcp")


@dataclass
class McpService:
    """Everything the server needs, built once at start-up from the data directory."""

    storage: Storage
    workflow: str | None
    allow_write: bool = False
    timeout: float = DEFAULT_TIMEOUT
    secrets_problem: str | None = None
    types: TypeRegistry = field(default_factory=default_types)
    tools: dict[str, ToolSpec] = field(default_factory=lambda: {tool.name: tool for tool in all_tools()})

    def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Run one tool to completion (blocking). Raises ToolRefusal; never anything else."""
        tool = self.tools.get(name)
        if tool is None:
            raise ToolRefusal(Reason.BAD_INPUT, f"Unknown tool {name!r}; tools/list shows the tools.")
        check_arguments(tool, arguments)
        call = ToolCall(
            self.storage, self._scope(), timeout=self.timeout, secrets_problem=self.secrets_problem, types=self.types
        )
        try:
            result = tool.run(call, arguments)
        except ToolRefusal as refusal:
            raise refusal.scrubbed(call.secrets_read) from None
        except Exception as exc:  # a bug must reach the assistant as an error, not a traceback
            log.exception("tool %s failed", name)
            raise ToolRefusal(Reason.SERVER, f"Unexpected problem in {name} ({type(exc).__name__}).") from None
        return scrub_values(result, call.secrets_read)

    def _scope(self) -> Scope:
        return load_scope(self.storage.workflows, self.workflow, allow_write=self.allow_write)


def check_arguments(tool: ToolSpec, arguments: dict[str, Any]) -> None:
    """Validate against the tool's input schema, with a message that names the argument."""
    problem = first_problem(tool.input_schema, arguments)
    if problem is not None:
        raise ToolRefusal(Reason.BAD_INPUT, problem)


def scrub_values(value: Any, secrets: set[str]) -> Any:
    """Replace secret values anywhere in a JSON-ready structure."""
    if not secrets:
        return value
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {key: scrub_values(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_values(item, secrets) for item in value]
    return value


# --- opening --------------------------------------------------------------------------------


def unlock_quietly(choice) -> str | None:
    """Unlock the vault with TETHER_PASSPHRASE_COMMAND; never prompt (stdin is the protocol).

    Returns why secrets cannot be read, or None when they can.
    """
    from storage.secrets.base import SecretStoreError
    from storage.secrets.select import ENV_PASSPHRASE_COMMAND, unlock_from_command

    try:
        # No vault file yet means no secrets yet: nothing to unlock, and nothing to create from here.
        if not unlock_from_command(choice.vault, create=False):
            return f"the secret vault is locked and {ENV_PASSPHRASE_COMMAND} is not set."
    except SecretStoreError as exc:
        return str(exc)
    return None


def open_service(data_dir: str | Path | None, workflow: str | None, *, allow_write: bool, timeout: float) -> McpService:
    """Open the data directory and the vault for one run; raises the errors start-up reports (app.mcp.wire)."""
    from app.core.context import open_context

    context = open_context(data_dir)
    if workflow is not None:
        workflow = context.storage.workflows.find(workflow).name
    problem = unlock_quietly(context.secrets)
    if problem is not None:
        log.warning("secrets unavailable: %s Tools that need credentials will say so.", problem)
    return McpService(context.storage, workflow, allow_write, timeout, problem, context.types)
