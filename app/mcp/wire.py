"""`tether mcp` on the wire: start-up, and a server that answers the client first.

Standard output carries the protocol and nothing else: the process's fd 1 is pointed at stderr
before anything runs, and the protocol is written to a private copy of the original stdout.
Logs go to stderr.

The protocol is tether's own, on the standard library (app.mcp.jsonrpc, app.mcp.protocol): no MCP
SDK is imported, and `initialize` needs nothing of tether's storage. The service (app.mcp.server:
SQLAlchemy, the database, the vault's key derivation, the tool modules) opens in a thread once the
server runs, and tools/list and tools/call wait for it. A problem found while opening still ends
the process with the message on stderr and exit status 2. When a workflow is named, its stored
spelling is read first with the standard library; if that cannot tell (no database yet, an older
schema, no such workflow), everything opens before serving.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NoReturn

from app.mcp.jsonrpc import Channel, serve_lines
from app.mcp.protocol import McpProtocol
from storage.errors import StorageError

if TYPE_CHECKING:
    from app.mcp.server import McpService

log = logging.getLogger("tether.mcp")

SERVER_NAME = "tether"
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
        except BaseException as exc:  # serve() ends the process with it (exit_for)
            self.future.set_exception(exc)


def instructions_for(workflow: str | None, allow_write: bool) -> str:
    scope = f"the integrations of tether workflow {workflow!r}" if workflow else "every tether integration"
    writes = (
        "Write tools work only where the workflow links the integration as a sink with write access."
        if workflow
        else ("Write tools are allowed." if allow_write else "This server is read-only.")
    )
    return f"Mail and calendar access to {scope}. Start with list_integrations for the labels. {writes}"


def serve(opening: Opening, instructions: str, wire: BinaryIO, source: BinaryIO) -> None:
    """Serve until stdin closes; if opening the service fails meanwhile, end the process (exit_for).

    Requests still open when stdin closes are answered with an error at once: the client is leaving.
    """
    # First in line: a failed open ends the process before any waiting request is answered.
    opening.future.add_done_callback(_exit_if_failed)
    channel = Channel(wire)
    protocol = McpProtocol(
        channel,
        opening.future,
        server_info={"name": SERVER_NAME, "version": _version()},
        instructions=instructions,
    )
    opening.start()
    serve_lines(source, channel, protocol.on_request, protocol.on_notification)
    channel.close()


def _exit_if_failed(future: Future[McpService]) -> None:
    error = future.exception()
    if error is not None:
        exit_for(error)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tether")
    except PackageNotFoundError:  # running from a source checkout
        return "dev"


def exit_for(error: BaseException) -> NoReturn:
    """End the process because opening failed while serving, as start-up would have ended it.

    At once: the main thread is blocked reading stdin, and nothing was opened that needs closing
    (no tool can run without the service).
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
    try:
        serve(opening, instructions_for(stored_name, allow_write), wire, sys.stdin.buffer)
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
