"""`tether mcp` speaks JSON-RPC on stdio by itself: what a client sees for every kind of line it sends.

The server is spoken to line by line, without the SDK, so every byte on stdout is seen.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.health.fault_servers import silent_server
from tests.mcp.harness import INITIALIZE, INITIALIZED, DataDir, LineServer

LIST_INTEGRATIONS = {"name": "list_integrations", "arguments": {}}
# Every module of the MCP SDK's server side and what it brings; together they took ~0.7 s to import.
SDK_MODULES = {"mcp", "mcp_types", "pydantic", "pydantic_core", "anyio", "jsonschema", "starlette", "httpx_sse"}


@pytest.fixture
def data() -> Iterator[DataDir]:
    data = DataDir()
    data.add("ical", "Feed", {}, {"url": "https://127.0.0.1:9/cal.ics"})
    yield data
    data.close()


@pytest.fixture
def server(data: DataDir) -> Iterator[LineServer]:
    server = LineServer(data)
    yield server
    if server.process.poll() is None:
        server.close()


def _initialized(server: LineServer) -> dict[str, Any]:
    server.send(INITIALIZE)
    answer = server.reply()
    server.send(INITIALIZED)
    return answer


def test_the_server_never_imports_the_mcp_sdk(data: DataDir) -> None:
    server = LineServer(data, PYTHONPROFILEIMPORTTIME="1")  # every import is listed on stderr
    _initialized(server)
    server.request(2, "tools/list")
    server.request(3, "tools/call", LIST_INTEGRATIONS)
    replies = [server.reply(), server.reply()]
    status, _, stderr = server.close()
    assert status == 0
    assert [reply["id"] for reply in replies] == [2, 3] and all("result" in reply for reply in replies)
    imported = {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:")}
    assert "app.mcp.server" in imported  # the listing is complete: the service did open
    assert not {name.split(".")[0] for name in imported} & SDK_MODULES


@pytest.mark.parametrize(
    ("requested", "agreed"),
    [
        ("2025-11-25", "2025-11-25"),
        ("2025-03-26", "2025-03-26"),
        ("2024-11-05", "2024-11-05"),
        ("1999-01-01", "2025-11-25"),
    ],
)
def test_initialize_agrees_on_the_clients_version_when_it_can(server: LineServer, requested: str, agreed: str) -> None:
    server.send({**INITIALIZE, "params": {**INITIALIZE["params"], "protocolVersion": requested}})
    result = server.reply()["result"]
    assert result["protocolVersion"] == agreed
    assert result["capabilities"] == {"tools": {"listChanged": False}}
    assert result["serverInfo"]["name"] == "tether" and result["serverInfo"]["version"]
    assert "list_integrations" in result["instructions"]


def test_tools_are_listed_with_their_schemas_and_hints(server: LineServer) -> None:
    _initialized(server)
    server.request(2, "tools/list")
    tools = {tool["name"]: tool for tool in server.reply()["result"]["tools"]}
    search, append = tools["mail_search"], tools["mail_append"]
    assert search["title"] == "Search mail" and search["description"]
    assert search["inputSchema"]["required"] == ["label"] and search["outputSchema"]["type"] == "object"
    assert search["annotations"] == {
        "title": "Search mail",
        "readOnlyHint": True,
        "destructiveHint": False,
        "idempotentHint": True,
        "openWorldHint": True,
    }
    assert append["annotations"]["readOnlyHint"] is False and append["annotations"]["idempotentHint"] is False
    assert tools["list_integrations"]["annotations"]["openWorldHint"] is False


def test_ping_is_answered_before_and_after_initialize(server: LineServer) -> None:
    server.request(7, "ping")
    assert server.reply() == {"jsonrpc": "2.0", "id": 7, "result": {}}
    _initialized(server)
    server.request("eight", "ping")  # type: ignore[arg-type]
    assert server.reply() == {"jsonrpc": "2.0", "id": "eight", "result": {}}


def test_tools_before_initialize_and_unknown_methods_are_errors(server: LineServer) -> None:
    server.request(2, "tools/list")
    assert server.reply()["error"]["code"] == -32600
    server.request(3, "tools/call", LIST_INTEGRATIONS)
    assert server.reply()["error"]["code"] == -32600
    _initialized(server)
    server.request(4, "resources/list")
    assert server.reply() == {
        "jsonrpc": "2.0",
        "id": 4,
        "error": {"code": -32601, "message": "Method not found", "data": "resources/list"},
    }
    server.request(5, "tools/call", LIST_INTEGRATIONS)
    assert server.reply()["result"]["structuredContent"]["integrations"][0]["label"] == "Feed"


@pytest.mark.parametrize(
    ("line", "code", "answered_id"),
    [
        (b"{not json", -32700, None),
        (b"\xff\xfe{}", -32700, None),
        (b"[" * 100_000, -32700, None),
        (b'[{"jsonrpc": "2.0", "id": 9, "method": "ping"}]', -32600, None),
        (b"42", -32600, None),
        (b'{"id": 9, "method": "ping"}', -32600, 9),
        (b'{"jsonrpc": "2.0", "id": true, "method": "ping"}', -32600, None),
        (b'{"jsonrpc": "2.0", "id": 9, "method": "ping", "params": [1]}', -32602, 9),
        (b'{"jsonrpc": "2.0", "id": 9, "method": "initialize", "params": {}}', -32602, 9),
        (b'{"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"arguments": {}}}', -32602, 9),
        (b'{"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "x", "arguments": [1]}}', -32602, 9),
    ],
)
def test_a_bad_line_is_answered_with_an_error_and_serving_goes_on(
    server: LineServer, line: bytes, code: int, answered_id: int | None
) -> None:
    _initialized(server)
    server.write(line)
    error = server.reply()
    assert error["error"]["code"] == code and error["error"]["message"]
    assert error["id"] == answered_id
    server.request(10, "ping")
    assert server.reply()["id"] == 10
    status, rest, stderr = server.close()
    assert (status, rest) == (0, []) and "Traceback" not in stderr


def test_a_huge_line_is_refused_without_ending_the_server(server: LineServer) -> None:
    _initialized(server)
    arguments = {"label": "x" * (5 * 1024 * 1024)}  # past the 4 MB a line may hold
    server.request(2, "tools/call", {"name": "mail_search", "arguments": arguments})
    assert server.reply() == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32700, "message": "Message longer than 4194304 bytes"},
    }
    server.request(3, "tools/call", LIST_INTEGRATIONS)
    assert server.reply()["id"] == 3


def test_a_response_from_the_client_is_ignored(server: LineServer) -> None:
    _initialized(server)
    server.send({"jsonrpc": "2.0", "id": 99, "result": {}})
    server.request(2, "ping")
    assert server.reply()["id"] == 2


def test_closing_stdin_ends_the_server_at_once_answering_what_is_in_flight(data: DataDir) -> None:
    with silent_server() as port:  # accepts and never greets: the call would wait out its timeout
        settings = {"username": "me", "host": "127.0.0.1", "port": port, "tls_mode": "none"}
        data.add("imap", "Silent mail", settings, {"password": "silent-Secret-1"})
        server = LineServer(data, "--timeout", "30")
        _initialized(server)
        server.request(2, "tools/list")
        assert server.reply()["id"] == 2
        server.request(3, "tools/call", {"name": "mail_list_folders", "arguments": {"label": "Silent mail"}})
        server.request(4, "ping")
        assert server.reply()["id"] == 4  # the call is in flight
        started = time.monotonic()
        status, replies, stderr = server.close()
        elapsed = time.monotonic() - started
    assert status == 0 and elapsed < 10
    assert replies == [{"jsonrpc": "2.0", "id": 3, "error": {"code": -32000, "message": "Connection closed"}}]
    assert "Traceback" not in stderr


def test_a_cancelled_call_is_never_answered_and_others_go_on(data: DataDir) -> None:
    with silent_server() as port:  # accepts and never greets: each call waits out its timeout
        settings = {"username": "me", "host": "127.0.0.1", "port": port, "tls_mode": "none"}
        data.add("imap", "Silent mail", settings, {"password": "silent-Secret-1"})
        server = LineServer(data, "--timeout", "2")
        _initialized(server)
        server.request(2, "tools/list")
        assert server.reply()["id"] == 2  # the service is open: the next call starts at once
        silent = {"name": "mail_list_folders", "arguments": {"label": "Silent mail"}}
        server.request(3, "tools/call", silent)
        server.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 3}})
        server.request(4, "tools/call", silent)
        server.request(5, "ping")
        first, second = server.reply(), server.reply()  # call 4 ends after call 3 would have
        status, rest, stderr = server.close()
    assert [first["id"], second["id"]] == [5, 4]
    assert second["result"]["isError"] is True
    assert second["result"]["structuredContent"]["error"]["reason"] in ("timeout", "unreachable")
    assert (status, rest) == (0, [])
    assert "Traceback" not in stderr
