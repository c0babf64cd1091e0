"""`tether mcp` start-up, stdout discipline, the locked vault, and the read-only default."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from storage.records import Access, LinkSpec, Role
from tests.conftest import REPO_ROOT
from tests.mcp.harness import DataDir, McpClient, assert_no_secret, start_client

IMAP_SETTINGS = {"username": "me@example.com", "host": "127.0.0.1", "port": 9, "tls_mode": "implicit"}
IMAP_PASSWORD = "imap-Pa55word-xyz"
FEED_URL = "https://127.0.0.1:9/private/f33d-t0ken/cal.ics"


@pytest.fixture(scope="module")
def data() -> Iterator[DataDir]:
    data = DataDir()
    mail = data.add("imap", "Work mail", IMAP_SETTINGS, {"password": IMAP_PASSWORD})
    data.add("ical", "Feed", {}, {"url": FEED_URL})
    data.storage.workflows.add("Reader", links=[LinkSpec(mail, Role.SOURCE, Access.READ)])
    yield data
    data.close()


@pytest.fixture(scope="module")
def unscoped(data: DataDir) -> Iterator[McpClient]:
    client = start_client(data, name="unscoped")
    yield client
    client.close()


def _raw_session(
    args: list[str], env: dict[str, str], messages: list[dict], *, before: tuple[str, ...] = (), replies: int = 0
) -> tuple[int, list[str], str]:
    """Talk to the server without the SDK, to see every byte it writes to stdout.

    Sends the messages, waits for ``replies`` lines, then closes stdin (which ends the server).
    Returns the exit status, the stdout lines and stderr.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "app", *before, "mcp", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env=env,
    )
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    try:
        assert process.stdin and process.stdout and process.stderr
        for message in messages:
            process.stdin.write(json.dumps(message) + "\n")
        process.stdin.flush()
        lines = [process.stdout.readline() for _ in range(replies)]
        process.stdin.close()
        lines += process.stdout.read().splitlines()
        stderr = process.stderr.read()
        return process.wait(), [line for line in lines if line.strip()], stderr
    finally:
        watchdog.cancel()


def test_stdout_carries_only_protocol_even_while_migrating(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = DataDir()
    try:
        fresh = tmp_path / "fresh"  # no database yet: start-up creates and migrates it
        messages = [
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"},
                },
            },
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {"name": "list_integrations", "arguments": {}},
            },
        ]
        status, lines, stderr = _raw_session(
            ["--data-dir", str(fresh)], data.environment(), messages, before=("--verbose",), replies=3
        )
    finally:
        data.close()
    assert status == 0
    replies = [json.loads(line) for line in lines]  # every line is JSON
    assert [reply["id"] for reply in replies] == [1, 2, 3]
    assert all(reply["jsonrpc"] == "2.0" and "result" in reply for reply in replies)
    assert replies[2]["result"]["structuredContent"] == {"workflow": None, "integrations": []}
    assert (fresh / "tether.db").exists()
    assert "Running upgrade" in stderr  # Alembic's log, not on stdout
    assert "serving all integrations" in stderr  # logs go to stderr


def test_unknown_workflow_stops_start_up_with_a_message(data: DataDir) -> None:
    status, lines, stderr = _raw_session(["--data-dir", str(data.path), "--workflow", "Nope"], data.environment(), [])
    assert status == 2
    assert lines == []
    assert "No workflow named 'Nope'" in stderr
    assert "Traceback" not in stderr


def test_unscoped_server_sees_everything_and_is_read_only(unscoped: McpClient, data: DataDir) -> None:
    result = unscoped.ok("list_integrations")
    assert result["workflow"] is None
    by_label = {item["label"]: item for item in result["integrations"]}
    assert set(by_label) == {"Work mail", "Feed"}
    assert by_label["Work mail"]["capabilities"] == ["read"]
    assert "mail_append" not in by_label["Work mail"]["tools"]
    assert "mail_search" in by_label["Work mail"]["tools"]
    error = unscoped.error("mail_append", {"label": "Work mail", "subject": "s", "body": "b"})
    assert error["reason"] == "read_only"
    assert "--allow-write" in error["action"]
    assert_no_secret(data, str(result), error["text"])


def test_allow_write_lists_write_capability(data: DataDir) -> None:
    client = start_client(data, "--allow-write", name="writer")
    try:
        by_label = {item["label"]: item for item in client.ok("list_integrations")["integrations"]}
    finally:
        client.close()
    assert by_label["Work mail"]["capabilities"] == ["read", "write"]
    assert "mail_move" in by_label["Work mail"]["tools"]
    assert by_label["Feed"]["capabilities"] == ["read"]  # iCal feeds cannot be written, whatever the flag


def test_source_link_is_read_only_in_its_workflow(data: DataDir) -> None:
    client = start_client(data, "--workflow", "Reader", "--allow-write", name="reader")
    try:
        error = client.error("mail_set_flags", {"label": "Work mail", "uids": [1], "seen": True})
        stderr = client.stderr
    finally:
        client.close()
    assert error["reason"] == "read_only"
    assert "Reader" in error["message"] and "sink with write access" in error["action"]
    assert "--allow-write has no effect with --workflow" in stderr


def test_locked_vault_gives_a_clear_error_for_tools_needing_secrets(data: DataDir) -> None:
    client = start_client(data, name="locked", TETHER_PASSPHRASE_COMMAND="")
    try:
        listed = client.ok("list_integrations")  # needs no secret
        error = client.error("calendar_events", {"label": "Feed", "start_date": "2026-01-01", "end_date": "2026-01-02"})
        stderr = client.stderr
    finally:
        client.close()
    assert len(listed["integrations"]) == 2
    assert error["reason"] == "secrets"
    assert "locked" in error["message"]
    assert "TETHER_PASSPHRASE_COMMAND" in error["action"]
    assert_no_secret(data, error["text"], stderr)
    assert "f33d-t0ken" not in error["text"]


def test_wrong_passphrase_is_reported_not_crashed(data: DataDir) -> None:
    client = start_client(data, name="wrong", TETHER_PASSPHRASE_COMMAND="printf wrong-passphrase")
    try:
        error = client.error("calendar_events", {"label": "Feed", "start_date": "2026-01-01", "end_date": "2026-01-02"})
    finally:
        client.close()
    assert error["reason"] == "secrets"
    assert "wrong-passphrase" not in error["text"]
