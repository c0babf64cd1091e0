"""`tether mcp`: an MCP server over stdio that lets an assistant use the integrations of one workflow.

Standard output carries the protocol and nothing else: the process's fd 1 is pointed at stderr
before anything runs, and the protocol is written to a private copy of the original stdout.
Logs go to stderr. Tool calls run in worker threads, each bounded by the call timeout.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, field
from io import TextIOWrapper
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from app.mcp.calls import DEFAULT_TIMEOUT, ToolCall
from app.mcp.errors import Reason, ToolRefusal, scrub
from app.mcp.scope import Scope, load_scope
from app.mcp.tools import ToolSpec, all_tools

if TYPE_CHECKING:
    from storage.service import Storage

log = logging.getLogger("tether.mcp")

SERVER_NAME = "tether"
# Beyond the connector's own timeout, how long a call may still take before the server gives up waiting.
GRACE_SECONDS = 5.0


@dataclass
class McpService:
    """Everything the server needs, built once at start-up from the data directory."""

    storage: Storage
    workflow: str | None
    allow_write: bool = False
    timeout: float = DEFAULT_TIMEOUT
    secrets_problem: str | None = None
    tools: dict[str, ToolSpec] = field(default_factory=lambda: {tool.name: tool for tool in all_tools()})

    def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Run one tool to completion (blocking). Raises ToolRefusal; never anything else."""
        tool = self.tools.get(name)
        if tool is None:
            raise ToolRefusal(Reason.BAD_INPUT, f"Unknown tool {name!r}; tools/list shows the tools.")
        check_arguments(tool, arguments)
        call = ToolCall(self.storage, self._scope(), timeout=self.timeout, secrets_problem=self.secrets_problem)
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
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(tool.input_schema).iter_errors(arguments), key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        where = ".".join(str(part) for part in error.path)
        raise ToolRefusal(Reason.BAD_INPUT, f"{where + ': ' if where else ''}{error.message}")


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


# --- the protocol ---------------------------------------------------------------------------


def build_server(service: McpService):  # type: ignore[no-untyped-def]
    """The low-level MCP server: tools/list from the declarations, tools/call through the service."""
    import anyio
    import mcp_types as types
    from mcp.server import Server

    listed = [
        types.Tool(
            name=tool.name,
            title=tool.title,
            description=tool.description,
            input_schema=tool.input_schema,
            output_schema=tool.output_schema,
            annotations=types.ToolAnnotations(
                title=tool.title,
                read_only_hint=not tool.writes,
                destructive_hint=False,
                idempotent_hint=not tool.writes,
                open_world_hint=bool(tool.types),
            ),
        )
        for tool in service.tools.values()
    ]

    async def list_tools(ctx, params) -> types.ListToolsResult:  # type: ignore[no-untyped-def]
        return types.ListToolsResult(tools=listed)

    async def call_tool(ctx, params) -> types.CallToolResult:  # type: ignore[no-untyped-def]
        arguments = dict(params.arguments or {})
        try:
            with anyio.fail_after(service.timeout + GRACE_SECONDS):
                result = await anyio.to_thread.run_sync(
                    service.call, params.name, arguments, abandon_on_cancel=True
                )
        except ToolRefusal as refusal:
            return _error_result(types, refusal)
        except TimeoutError:
            return _error_result(
                types,
                ToolRefusal(
                    Reason.TIMEOUT,
                    f"No answer within {service.timeout + GRACE_SECONDS:.0f} s.",
                    action="Try again later; `tether check LABEL` tests the connection.",
                ),
            )
        text = json.dumps(result, ensure_ascii=False, default=str)
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=result)

    return Server(
        SERVER_NAME,
        version=_version(),
        instructions=_instructions(service),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tether")
    except PackageNotFoundError:  # running from a source checkout
        return "dev"


def _error_result(types, refusal: ToolRefusal):  # type: ignore[no-untyped-def]
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=refusal.text())],
        structured_content={"error": refusal.to_dict()},
        is_error=True,
    )


def _instructions(service: McpService) -> str:
    scope = f"the integrations of tether workflow {service.workflow!r}" if service.workflow else "every tether integration"
    writes = (
        "Write tools work only where the workflow links the integration as a sink with write access."
        if service.workflow
        else ("Write tools are allowed." if service.allow_write else "This server is read-only.")
    )
    return f"Mail and calendar access to {scope}. Start with list_integrations for the labels. {writes}"


async def serve(service: McpService, wire: BinaryIO) -> None:
    import anyio
    from mcp.server.stdio import stdio_server

    server = build_server(service)
    stdout = anyio.wrap_file(TextIOWrapper(wire, encoding="utf-8", write_through=True))
    async with stdio_server(stdout=stdout) as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


# --- start-up -------------------------------------------------------------------------------


def claim_stdout() -> BinaryIO:
    """Keep the real stdout for the protocol and send everything else written to fd 1 to stderr."""
    sys.stdout.flush()
    wire = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return wire


def configure_logging(verbose: bool) -> None:
    """Warnings (everything with --verbose) to stderr as well as to tether's log file, masked alike."""
    from app.core.logging_setup import MaskingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(logging.Formatter("tether mcp: %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger().addHandler(handler)


def unlock_quietly(choice) -> str | None:  # type: ignore[no-untyped-def]
    """Unlock the vault with TETHER_PASSPHRASE_COMMAND; never prompt (stdin is the protocol).

    Returns why secrets cannot be read, or None when they can.
    """
    from storage.secrets.base import SecretStoreError
    from storage.secrets.select import ENV_PASSPHRASE_COMMAND, passphrase_from_command

    vault = choice.vault
    if vault is None or vault.unlocked or not vault.exists():
        return None
    try:
        passphrase = passphrase_from_command()
        if passphrase is None:
            return f"the secret vault is locked and {ENV_PASSPHRASE_COMMAND} is not set."
        vault.unlock(passphrase)
    except SecretStoreError as exc:
        return str(exc)
    return None


def run(
    data_dir: str | Path | None,
    workflow: str | None,
    *,
    allow_write: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    verbose: bool = False,
) -> int:
    """Serve until the client closes stdin. Start-up problems go to stderr with exit status 2."""
    wire = claim_stdout()
    configure_logging(verbose)
    import anyio

    from app.core.context import open_context
    from storage.db import DatabaseError
    from storage.errors import StorageError
    from storage.paths import DataDirError
    from storage.secrets.base import SecretStoreError

    try:
        context = open_context(data_dir)
        if workflow is not None:
            workflow = context.storage.workflows.find(workflow).name
    except (StorageError, SecretStoreError, DatabaseError, DataDirError) as exc:
        print(f"tether mcp: {exc}", file=sys.stderr)
        return 2
    if workflow is not None and allow_write:
        log.warning("--allow-write has no effect with --workflow: the workflow's sinks with write access decide.")
    problem = unlock_quietly(context.secrets)
    if problem is not None:
        log.warning("secrets unavailable: %s Tools that need credentials will say so.", problem)
    service = McpService(context.storage, workflow, allow_write, timeout, problem)
    log.info("serving %s", f"workflow {workflow!r}" if workflow else "all integrations")
    try:
        anyio.run(serve, service, wire)
    except KeyboardInterrupt:
        pass
    return 0
