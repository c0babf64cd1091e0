"""`tether mcp` on the wire: the stdio protocol, and a start-up that answers the client first.

Standard output carries the protocol and nothing else: the process's fd 1 is pointed at stderr
before anything runs, and the protocol is written to a private copy of the original stdout.
Logs go to stderr.

`initialize` needs nothing of tether's storage, so this module imports only the MCP SDK before
serving. The service (app.mcp.server: SQLAlchemy, the database, the vault's key derivation, the
tool modules) opens in a thread once the server runs, and tools/list and tools/call wait for it.
A problem found while opening still ends the process with the message on stderr and exit status 2.
When a workflow is named, its stored spelling is read first with the standard library; if that
cannot tell (no database yet, an older schema, no such workflow), everything opens before serving.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from io import TextIOWrapper
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn

from app.mcp.errors import Reason, ToolRefusal
from connectors.outside_text import clean_data
from storage.errors import StorageError

if TYPE_CHECKING:
    from app.mcp.server import McpService

log = logging.getLogger("tether.mcp")

SERVER_NAME = "tether"
# Tool calls that run at once; the rest wait their turn. Each may hold a message or a page in memory
# and an IMAP connection open, so the bound keeps both memory and the server's connection limit safe.
MAX_CONCURRENT_CALLS = 4
# Beyond the connector's own timeout, how long a call may still take before the server gives up waiting.
GRACE_SECONDS = 5.0
# What opening the data directory may raise (the database, the data directory and the secret store are all
# StorageErrors); start-up reports these with exit status 2.
STARTUP_ERRORS = (StorageError,)


class Opening:
    """The service, opened in a thread while the protocol already runs."""

    def __init__(self, open_service: Callable[[], McpService]) -> None:
        self._open = open_service
        self._started = False
        self.future: Future[McpService] = Future()

    def start(self) -> None:
        if not self.future.done() and not self._started:
            self._started = True
            threading.Thread(target=self._run, name="open tether", daemon=True).start()

    def opened(self, service: McpService) -> None:
        self.future.set_result(service)

    def _run(self) -> None:
        try:
            self.future.set_result(self._open())
        except BaseException as exc:  # reported by serve(), in the main thread
            self.future.set_exception(exc)

    async def service(self) -> McpService:
        import anyio

        if not self.future.done():
            await anyio.to_thread.run_sync(self.future.exception, abandon_on_cancel=True)
        return self.future.result()


# --- the protocol ---------------------------------------------------------------------------


def build_server(opening: Opening, instructions: str):
    """The low-level MCP server: tools/list from the declarations, tools/call through the service."""
    import anyio
    import mcp_types as types
    from mcp.server import Server

    listed: list[Any] = []
    turns = anyio.CapacityLimiter(MAX_CONCURRENT_CALLS)
    # A call abandoned on timeout goes on in its thread; it keeps its slot until it really ends.
    running = threading.BoundedSemaphore(MAX_CONCURRENT_CALLS)

    def bounded(service: McpService, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        with running:
            return service.call(name, arguments)

    async def list_tools(ctx, params) -> types.ListToolsResult:
        service = await opening.service()
        if not listed:
            listed.extend(_tool_entry(types, tool) for tool in service.tools.values())
        return types.ListToolsResult(tools=listed)

    async def call_tool(ctx, params) -> types.CallToolResult:
        arguments = dict(params.arguments or {})
        try:
            service = await opening.service()
        except STARTUP_ERRORS as exc:
            return _error_result(types, ToolRefusal(Reason.SERVER, f"tether could not open its data: {exc}"))
        try:
            async with turns:  # waiting for a turn does not count towards the call's timeout
                with anyio.fail_after(service.timeout + GRACE_SECONDS):
                    result = await anyio.to_thread.run_sync(
                        bounded, service, params.name, arguments, abandon_on_cancel=True
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
        # Mail and events come from outside: an assistant's client may show them in a terminal. Line
        # breaks stay (message bodies need them); escape, C1 and bidi controls do not.
        result = clean_data(result, multiline=True)
        text = json.dumps(result, ensure_ascii=False, default=str)
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=result)

    return Server(
        SERVER_NAME,
        version=_version(),
        instructions=instructions,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def _tool_entry(types, tool):
    return types.Tool(
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


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tether")
    except PackageNotFoundError:  # running from a source checkout
        return "dev"


def _error_result(types, refusal: ToolRefusal):
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=refusal.text())],
        structured_content={"error": refusal.to_dict()},
        is_error=True,
    )


def instructions_for(workflow: str | None, allow_write: bool) -> str:
    scope = f"the integrations of tether workflow {workflow!r}" if workflow else "every tether integration"
    writes = (
        "Write tools work only where the workflow links the integration as a sink with write access."
        if workflow
        else ("Write tools are allowed." if allow_write else "This server is read-only.")
    )
    return f"Mail and calendar access to {scope}. Start with list_integrations for the labels. {writes}"


async def serve(opening: Opening, instructions: str, wire: BinaryIO) -> None:
    """Serve until stdin closes; if opening the service fails meanwhile, end the process (exit_for)."""
    import anyio
    from mcp.server.stdio import stdio_server

    server = build_server(opening, instructions)
    stdout = anyio.wrap_file(TextIOWrapper(wire, encoding="utf-8", write_through=True))

    async def stop_if_opening_fails() -> None:
        await anyio.to_thread.run_sync(opening.future.exception, abandon_on_cancel=True)
        error = opening.future.exception()
        if error is not None:
            exit_for(error)

    async with stdio_server(stdout=stdout) as (read_stream, write_stream), anyio.create_task_group() as group:
        # Only now, with the SDK loaded: the open's imports must not take turns with the SDK's.
        opening.start()
        group.start_soon(stop_if_opening_fails)
        await server.run(read_stream, write_stream, server.create_initialization_options())
        group.cancel_scope.cancel()


def exit_for(error: BaseException) -> NoReturn:
    """End the process because opening failed while serving, as start-up would have ended it.

    At once: the SDK reads stdin in a thread that nothing can cancel, and nothing was opened
    that needs closing (no tool can run without the service).
    """
    if isinstance(error, STARTUP_ERRORS):
        print(f"tether mcp: {error}", file=sys.stderr)
        status = 2
    else:
        log.error("tether mcp could not open its data", exc_info=error)
        status = 1
    sys.stderr.flush()
    logging.shutdown()
    os._exit(status)


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


def look_ahead(data_dir: str | Path | None, workflow: str | None) -> tuple[bool, str | None]:
    """Whether the service may open after serving starts, and the workflow's stored spelling.

    Only a database already at this tether's schema qualifies (nothing to create, migrate or refuse),
    holding the named workflow; anything else opens before serving, where a problem stops start-up.
    """
    from storage.paths import resolve_data_dir
    from storage.quick_read import database_is_current, quick_workflow_name

    path = resolve_data_dir(data_dir)
    if not database_is_current(path):
        return False, None
    if workflow is None:
        return True, None
    name = quick_workflow_name(path, workflow)
    return name is not None, name


def run(
    data_dir: str | Path | None,
    workflow: str | None,
    *,
    allow_write: bool = False,
    timeout: float,
    verbose: bool = False,
) -> int:
    """Serve until the client closes stdin. Start-up problems go to stderr with exit status 2."""
    wire = claim_stdout()
    configure_logging(verbose)

    def open_service(name: str | None) -> McpService:
        from app.mcp.server import open_service

        return open_service(data_dir, name, allow_write=allow_write, timeout=timeout)

    later, stored_name = look_ahead(data_dir, workflow)
    opening = Opening(lambda: open_service(stored_name))
    if not later:
        try:
            service = open_service(workflow)
        except STARTUP_ERRORS as exc:
            print(f"tether mcp: {exc}", file=sys.stderr)
            return 2
        stored_name = service.workflow
        opening.opened(service)
    if workflow is not None and allow_write:
        log.warning("--allow-write has no effect with --workflow: the workflow's sinks with write access decide.")
    log.info("serving %s", f"workflow {stored_name!r}" if stored_name else "all integrations")
    import anyio

    try:
        anyio.run(serve, opening, instructions_for(stored_name, allow_write), wire)
    except KeyboardInterrupt:
        pass
    finally:
        # stdin closed (or Ctrl-C): a tool call still waiting on a server must not keep the process alive.
        from connectors.deadline import cancel_all

        cancel_all()
    # An open still running is left behind: the database was current, so it writes nothing.
    if opening.future.done() and isinstance(opening.future.exception(), STARTUP_ERRORS):
        print(f"tether mcp: {opening.future.exception()}", file=sys.stderr)
        return 2
    if opening.future.done():
        opening.future.result()  # anything unexpected surfaces as it did before serving
    return 0
