"""`tether mcp` answers `initialize` without waiting for storage, and still serves tools once it is open."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.records import Access, LinkSpec, Role
from tests.conftest import REPO_ROOT, TEST_PASSPHRASE
from tests.mcp.harness import DataDir

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}


@pytest.fixture
def data() -> Iterator[DataDir]:
    data = DataDir()
    feed = data.add("ical", "Feed", {}, {"url": "https://127.0.0.1:9/cal.ics"})
    data.storage.workflows.add("Morning Brief", links=[LinkSpec(feed, Role.SOURCE, Access.READ)])
    yield data
    data.close()


class Server:
    """`python -m app mcp` spoken to line by line, killed after a minute whatever happens."""

    def __init__(self, data: DataDir, *args: str, **env: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "mcp", "--data-dir", str(data.path), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
            env=data.environment(**env),
        )
        self.watchdog = threading.Timer(60, self.process.kill)
        self.watchdog.start()

    def send(self, message: dict) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def reply(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, "the server closed stdout without replying"
        return json.loads(line)

    def close(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        status = self.process.wait()
        self.watchdog.cancel()
        return status


def _write_when_read(fifo: Path, text: str) -> threading.Thread:
    """Write ``text`` into the FIFO once someone opens it for reading (opening blocks until then)."""

    def write() -> None:
        with fifo.open("w") as writer:
            writer.write(text)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def _release(fifo: Path) -> None:
    """Unblock whichever side of the FIFO is still waiting for the other, so nothing hangs after a failure."""
    for flags in (os.O_WRONLY | os.O_NONBLOCK, os.O_RDONLY | os.O_NONBLOCK):
        with contextlib.suppress(OSError):  # that side has nobody waiting
            os.close(os.open(fifo, flags))


def test_initialize_is_answered_while_the_vault_is_still_unlocking(data: DataDir, tmp_path: Path) -> None:
    fifo = tmp_path / "passphrase"
    os.mkfifo(fifo)
    # The passphrase command blocks until the test writes: storage cannot finish opening before that.
    server = Server(data, TETHER_PASSPHRASE_COMMAND=f"cat {fifo}")
    try:
        server.send(INITIALIZE)
        answer = server.reply()
        assert answer["id"] == 1
        assert answer["result"]["serverInfo"]["name"] == "tether"
        assert "This server is read-only." in answer["result"]["instructions"]
        writer = _write_when_read(fifo, TEST_PASSPHRASE)  # only now may the vault unlock
        writer.join(30)
        assert not writer.is_alive(), "the passphrase command never ran"
        server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        server.send(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "list_integrations", "arguments": {}},
            }
        )
        listed = server.reply()
    finally:
        _release(fifo)
        status = server.close()
    assert listed["id"] == 2
    assert [item["label"] for item in listed["result"]["structuredContent"]["integrations"]] == ["Feed"]
    assert status == 0


def test_workflow_is_named_as_stored_however_it_was_typed(data: DataDir) -> None:
    server = Server(data, "--workflow", "MORNING brief")
    try:
        server.send(INITIALIZE)
        answer = server.reply()
        server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        server.send(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "list_integrations", "arguments": {}},
            }
        )
        listed = server.reply()
    finally:
        status = server.close()
    assert "tether workflow 'Morning Brief'" in answer["result"]["instructions"]
    assert listed["result"]["structuredContent"]["workflow"] == "Morning Brief"
    assert status == 0


def test_a_database_from_a_newer_tether_stops_start_up_before_serving(data: DataDir) -> None:
    import sqlite3

    connection = sqlite3.connect(data.path / "tether.db")
    connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.commit()
    connection.close()
    server = Server(data)
    server.send(INITIALIZE)  # waits in the pipe: the process is still starting
    status = server.close()
    assert server.process.stdout is not None and server.process.stderr is not None
    assert server.process.stdout.read() == ""  # not even initialize was answered
    stderr = server.process.stderr.read()
    assert status == 2
    assert "made by a newer tether" in stderr and "Traceback" not in stderr


def test_a_data_directory_others_can_write_is_refused_before_serving(data: DataDir) -> None:
    data.path.chmod(0o777)
    try:
        server = Server(data)
        server.send(INITIALIZE)  # waits in the pipe: the process is still starting
        status = server.close()
    finally:
        data.path.chmod(0o700)
    assert server.process.stdout is not None and server.process.stderr is not None
    assert server.process.stdout.read() == ""  # not even initialize was answered
    stderr = server.process.stderr.read()
    assert status == 2
    assert "can be written by other users" in stderr and "Traceback" not in stderr


def test_a_problem_found_after_initialize_still_ends_start_up_with_status_2(data: DataDir) -> None:
    # The database is current, so initialize is answered first; choosing the secret store then fails.
    server = Server(data, TETHER_SECRET_STORE="keyring")  # the test keyring backend always fails
    try:
        server.send(INITIALIZE)
        answer = server.reply()
        assert server.process.stdout is not None and server.process.stderr is not None
        assert server.process.stdout.read() == ""  # the server stops by itself: stdout closes
        stderr = server.process.stderr.read()
    finally:
        status = server.close()
    assert answer["id"] == 1
    assert status == 2
    assert "TETHER_SECRET_STORE=keyring, but" in stderr and "Traceback" not in stderr
