"""JSON-RPC 2.0 on stdio, one message per line, with the standard library only: what `tether mcp` speaks.

``serve_lines`` reads messages in the calling thread until stdin closes and hands each request and
notification to the protocol (app.mcp.protocol). Each request is answered at most once, from any
thread, and not at all once the client cancelled it. Answers share one writer: one JSON object
per line on the claimed stdout, whole lines only. A line that is not a message, or is longer than
MAX_LINE_BYTES, is answered with an error and reading goes on. When stdin closes, the requests still
open are answered with CONNECTION_CLOSED at once, as the MCP SDK's server did.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any, BinaryIO

log = logging.getLogger("tether.mcp")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
CONNECTION_CLOSED = -32000

# Tool arguments are small; a longer line is refused without holding more than this in memory.
MAX_LINE_BYTES = 4 * 1024 * 1024
_SKIP_CHUNK = 64 * 1024

RequestId = str | int


class RpcError(Exception):
    """A request refused with a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


class Channel:
    """The claimed stdout, one writer at a time, and the requests not yet answered."""

    def __init__(self, wire: BinaryIO) -> None:
        self._wire = wire
        self._write_lock = threading.Lock()
        self._broken = False
        self._open: dict[RequestId, Request] = {}
        self._open_lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        """Write one message as one line; a client that stopped reading loses it, nothing else."""
        line = _encode(message) + b"\n"
        with self._write_lock:
            if self._broken:
                return
            try:
                view = memoryview(line)
                while view:  # an unbuffered pipe may take part of a line at a time
                    view = view[self._wire.write(view) or 0 :]
            except OSError as exc:
                self._broken = True
                log.debug("stdout closed by the client: %s", exc)

    def refuse(self, request_id: RequestId | None, error: RpcError) -> None:
        self.send({"jsonrpc": "2.0", "id": request_id, "error": error.to_dict()})

    def open_request(self, request_id: RequestId, method: str, params: dict[str, Any]) -> Request:
        request = Request(self, request_id, method, params)
        with self._open_lock:
            self._open[request_id] = request  # a reused id replaces the older request for cancelling
        return request

    def cancel(self, request_id: object) -> None:
        """The client gave up on a request: whatever it would have been answered is dropped."""
        with self._open_lock:
            request = self._open.get(request_id) if isinstance(request_id, str | int) else None
        if request is not None:
            request.cancel()

    def close(self) -> None:
        """stdin closed: every request still open is answered with CONNECTION_CLOSED, and nothing after."""
        with self._open_lock:
            still_open = list(self._open.values())
        for request in still_open:
            request.refuse(RpcError(CONNECTION_CLOSED, "Connection closed"))

    def forget(self, request: Request) -> None:
        """A request was answered or cancelled: no longer open."""
        with self._open_lock:
            if self._open.get(request.id) is request:
                del self._open[request.id]


class Request:
    """One request from the client, answered at most once."""

    def __init__(self, channel: Channel, request_id: RequestId, method: str, params: dict[str, Any]) -> None:
        self.id = request_id
        self.method = method
        self.params = params
        self._channel = channel
        self._lock = threading.Lock()
        self._settled = False

    def answer(self, result: dict[str, Any]) -> None:
        self._settle({"jsonrpc": "2.0", "id": self.id, "result": result})

    def refuse(self, error: RpcError) -> None:
        self._settle({"jsonrpc": "2.0", "id": self.id, "error": error.to_dict()})

    def cancel(self) -> None:
        self._settle(None)

    @property
    def settled(self) -> bool:
        """Answered or cancelled: nothing more will be sent for it."""
        return self._settled

    def _settle(self, message: dict[str, Any] | None) -> None:
        with self._lock:
            if self._settled:
                return
            self._settled = True
        if message is not None:
            self._channel.send(message)
        self._channel.forget(self)


OnRequest = Callable[[Request], None]
OnNotification = Callable[[str, dict[str, Any]], None]


def serve_lines(source: BinaryIO, channel: Channel, on_request: OnRequest, on_notification: OnNotification) -> None:
    """Read and dispatch messages until ``source`` ends. Handlers must not block for long."""
    while True:
        line = source.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            if not _skip_rest_of_line(source):
                return
            channel.refuse(None, RpcError(PARSE_ERROR, f"Message longer than {MAX_LINE_BYTES} bytes"))
            continue
        if line.strip():
            _dispatch(line, channel, on_request, on_notification)


def _skip_rest_of_line(source: BinaryIO) -> bool:
    """Read past the end of an over-long line; False when the input ended first."""
    while chunk := source.readline(_SKIP_CHUNK):
        if chunk.endswith(b"\n"):
            return True
    return False


def _dispatch(line: bytes, channel: Channel, on_request: OnRequest, on_notification: OnNotification) -> None:
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep to parse
        channel.refuse(None, RpcError(PARSE_ERROR, "Parse error"))
        return
    if not isinstance(message, dict):
        why = "Batches are not supported" if isinstance(message, list) else "A message is a JSON object"
        channel.refuse(None, RpcError(INVALID_REQUEST, why))
        return
    request_id = message.get("id")
    valid_id = isinstance(request_id, str | int) and not isinstance(request_id, bool)
    method = message.get("method")
    if "method" not in message and "id" in message and ("result" in message or "error" in message):
        log.debug("ignored a response to id %r: tether sends no requests", request_id)
        return
    if message.get("jsonrpc") != "2.0" or not isinstance(method, str) or ("id" in message and not valid_id):
        channel.refuse(request_id if valid_id else None, RpcError(INVALID_REQUEST, "Invalid request"))
        return
    params = message.get("params")
    if params is None:
        params = {}
    if "id" not in message:
        if isinstance(params, dict):
            try:
                on_notification(method, params)
            except Exception:  # a notification has no answer to carry the error: log it and go on
                log.exception("handling %r failed", method)
        return
    assert isinstance(request_id, str | int)
    if not isinstance(params, dict):
        channel.refuse(request_id, RpcError(INVALID_PARAMS, "params must be an object"))
        return
    request = channel.open_request(request_id, method, params)
    try:
        on_request(request)
    except RpcError as error:
        request.refuse(error)
    except Exception:  # a bug answers this request with an error; the server goes on
        log.exception("handling %r failed", method)
        request.refuse(RpcError(INTERNAL_ERROR, "Internal error"))


def _encode(message: dict[str, Any]) -> bytes:
    """Compact JSON in UTF-8; escaped ASCII when a string holds a lone surrogate UTF-8 cannot carry."""
    try:
        text = json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=False)
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(message, separators=(",", ":"), default=str, allow_nan=False).encode("ascii")
    except ValueError:  # NaN or infinity: not JSON; the request is answered with an error instead
        log.exception("an answer could not be written as JSON")
        error = RpcError(INTERNAL_ERROR, "The answer could not be written as JSON")
        return json.dumps({"jsonrpc": "2.0", "id": message.get("id"), "error": error.to_dict()}).encode("ascii")
