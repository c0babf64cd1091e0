"""Tool calls in worker threads: a few at once, in the order they came, each bounded in time.

A call waits for a turn (at most MAX_CONCURRENT_CALLS run at once) and only then does its time
limit start: the service's timeout plus GRACE_SECONDS. A call that passes it is answered with a
timeout refusal; its thread goes on, and keeps its turn, until the connector really returns.
A call the client cancels before its turn never runs; one cancelled while running is not answered.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from typing import TYPE_CHECKING, Any

from app.mcp.errors import Reason, ToolRefusal
from connectors.outside_text import clean_data

if TYPE_CHECKING:
    from app.mcp.jsonrpc import Request
    from app.mcp.server import McpService

log = logging.getLogger("tether.mcp")

# Tool calls that run at once; the rest wait their turn. Each may hold a message or a page in memory
# and an IMAP connection open, so the bound keeps both memory and the server's connection limit safe.
MAX_CONCURRENT_CALLS = 4
# Beyond the connector's own timeout, how long a call may still take before the server gives up waiting.
GRACE_SECONDS = 5.0
# Calls waiting for a turn. Each holds its arguments (a line of up to 4 MB), so a client that sends
# faster than the servers answer is told to slow down instead of filling memory.
MAX_WAITING_CALLS = 64


class CallRunner:
    """Runs tools/call requests against the service, at most MAX_CONCURRENT_CALLS at once."""

    def __init__(self, limit: int = MAX_CONCURRENT_CALLS, max_waiting: int = MAX_WAITING_CALLS) -> None:
        self._waiting: queue.SimpleQueue[tuple[Request, McpService, str, dict[str, Any]]] = queue.SimpleQueue()
        self._max_waiting = max_waiting
        self._not_started = threading.BoundedSemaphore(max_waiting)  # one slot per call not yet given its turn
        self._turns = threading.BoundedSemaphore(limit)
        self._start_lock = threading.Lock()
        self._started = False

    def submit(self, request: Request, service: McpService, name: str, arguments: dict[str, Any]) -> None:
        """Queue a call; it is answered through ``request`` once it ran or ran out of time."""
        with self._start_lock:
            if not self._started:
                self._started = True
                threading.Thread(target=self._give_turns, name="tool call turns", daemon=True).start()
        if not self._not_started.acquire(blocking=False):
            request.answer(refusal_result(too_many_waiting(self._max_waiting)))
            return
        self._waiting.put((request, service, name, arguments))

    def _give_turns(self) -> None:
        while True:
            request, service, name, arguments = self._waiting.get()
            try:
                if request.settled:
                    continue  # cancelled while it waited
                self._turns.acquire()
            finally:
                self._not_started.release()  # it runs now, or never: a place in the waiting room is free
            if request.settled:
                self._turns.release()
                continue
            limit = service.timeout + GRACE_SECONDS
            deadline = threading.Timer(limit, request.answer, args=(refusal_result(timed_out(limit)),))
            deadline.daemon = True
            deadline.start()
            worker = threading.Thread(
                target=self._run, args=(request, service, name, arguments, deadline), name=f"tool {name}", daemon=True
            )
            worker.start()

    def _run(
        self, request: Request, service: McpService, name: str, arguments: dict[str, Any], deadline: threading.Timer
    ) -> None:
        try:
            answer = call_result(service, name, arguments)
        finally:
            self._turns.release()
        deadline.cancel()
        request.answer(answer)  # dropped when the deadline or the client's cancel came first


def call_result(service: McpService, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """One call run to completion (blocking), as the CallToolResult the client receives."""
    try:
        result = service.call(name, arguments)
    except ToolRefusal as refusal:
        return refusal_result(refusal)
    except Exception as exc:  # service.call turns failures into refusals; this is the last guard
        log.exception("tool %s failed", name)
        return refusal_result(ToolRefusal(Reason.SERVER, f"Unexpected problem in {name} ({type(exc).__name__})."))
    # Mail and events come from outside: an assistant's client may show them in a terminal. Line
    # breaks stay (message bodies need them); escape, C1 and bidi controls do not.
    result = clean_data(result, multiline=True)
    text = json.dumps(result, ensure_ascii=False, default=str)
    return {"content": [{"type": "text", "text": text}], "structuredContent": result, "isError": False}


def refusal_result(refusal: ToolRefusal) -> dict[str, Any]:
    return {
        "content": [{"type": "text", "text": refusal.text()}],
        "structuredContent": {"error": refusal.to_dict()},
        "isError": True,
    }


def timed_out(limit: float) -> ToolRefusal:
    return ToolRefusal(
        Reason.TIMEOUT,
        f"No answer within {limit:.0f} s.",
        action="Try again later; `tether check LABEL` tests the connection.",
    )


def too_many_waiting(count: int) -> ToolRefusal:
    return ToolRefusal(
        Reason.RATE_LIMITED,
        f"{count} calls are already waiting for their turn; this one was not started.",
        action="Wait for earlier calls to answer, then send it again.",
    )
