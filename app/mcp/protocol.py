"""The MCP methods `tether mcp` serves: the handshake, ping, tools/list and tools/call.

``initialize`` and ``ping`` are answered at once, in the reading thread, whether or not the service
(app.mcp.server) has opened yet. tools/list and tools/call wait for it without holding up the
reading: they go on once the service's future is done, tools/call through the CallRunner.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from app.mcp.call_runner import CallRunner
from app.mcp.jsonrpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    Channel,
    Request,
    RpcError,
)

if TYPE_CHECKING:
    from app.mcp.server import McpService
    from app.mcp.tool_spec import ToolSpec

log = logging.getLogger("tether.mcp")

# The revisions reachable through the initialize handshake, oldest first (as the MCP SDK 2.3 negotiates them).
PROTOCOL_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
LATEST_PROTOCOL_VERSION = PROTOCOL_VERSIONS[-1]


class McpProtocol:
    """What each method does; app.mcp.jsonrpc reads the messages and writes the answers."""

    def __init__(
        self,
        channel: Channel,
        service: Future[McpService],
        *,
        server_info: dict[str, str],
        instructions: str,
    ) -> None:
        self._channel = channel
        self._service = service
        self._server_info = server_info
        self._instructions = instructions
        self._initialized = False
        self._listed: list[dict[str, Any]] | None = None
        self._calls = CallRunner()

    def on_request(self, request: Request) -> None:
        log.debug("request %r", request.method)
        if request.method == "initialize":
            request.answer(self._initialize(request.params))
        elif request.method == "ping":
            request.answer({})
        elif request.method not in ("tools/list", "tools/call"):
            raise RpcError(METHOD_NOT_FOUND, "Method not found", request.method)
        elif not self._initialized:
            raise RpcError(INVALID_REQUEST, f"{request.method} before initialize")
        elif request.method == "tools/list":
            self._when_open(request, self._list_tools)
        else:
            name, arguments = _call_params(request.params)
            self._when_open(request, lambda request, service: self._calls.submit(request, service, name, arguments))

    def on_notification(self, method: str, params: dict[str, Any]) -> None:
        if method == "notifications/cancelled":
            request_id = params.get("requestId")
            log.debug("the client cancelled request %r", request_id)
            self._channel.cancel(request_id)
        # notifications/initialized needs nothing: tools are served from the initialize answer on.

    def _initialize(self, params: dict[str, Any]) -> dict[str, Any]:
        requested = params.get("protocolVersion")
        if not isinstance(requested, str):
            raise RpcError(INVALID_PARAMS, "initialize needs the client's protocolVersion")
        self._initialized = True
        return {
            "protocolVersion": requested if requested in PROTOCOL_VERSIONS else LATEST_PROTOCOL_VERSION,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": self._server_info,
            "instructions": self._instructions,
        }

    def _when_open(self, request: Request, then: Callable[[Request, McpService], None]) -> None:
        """Run ``then(request, service)`` once the service is open (at once if it is)."""

        def opened(future: Future[McpService]) -> None:
            if request.settled:
                return
            if future.exception() is not None:  # app.mcp.wire ends the process first, with the reason on stderr
                request.refuse(RpcError(INTERNAL_ERROR, "tether could not open its data"))
                return
            try:
                then(request, future.result())
            except Exception:  # a bug answers this request with an error; the others go on
                log.exception("handling %r failed", request.method)
                request.refuse(RpcError(INTERNAL_ERROR, "Internal error"))

        self._service.add_done_callback(opened)

    def _list_tools(self, request: Request, service: McpService) -> None:
        if self._listed is None:  # built once; two threads building it at once build the same list
            self._listed = [tool_entry(tool) for tool in service.tools.values()]
        request.answer({"tools": self._listed})


def _call_params(params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name, arguments = params.get("name"), params.get("arguments")
    if not isinstance(name, str) or not name:
        raise RpcError(INVALID_PARAMS, "tools/call needs the tool's name")
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise RpcError(INVALID_PARAMS, "tools/call arguments must be an object")
    return name, arguments


def tool_entry(tool: ToolSpec) -> dict[str, Any]:
    """A tool as tools/list shows it."""
    return {
        "name": tool.name,
        "title": tool.title,
        "description": tool.description,
        "inputSchema": tool.input_schema,
        "outputSchema": tool.output_schema,
        "annotations": {
            "title": tool.title,
            "readOnlyHint": not tool.writes,
            "destructiveHint": False,
            "idempotentHint": not tool.writes,
            "openWorldHint": bool(tool.types),
        },
    }
