"""`tether mcp` answers `initialize` without waiting for storage, and still serves tools once it is open."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.records import Access, LinkSpec, Role
from tests.conftest import TEST_PASSPHRASE
from tests.mcp.harness import INITIALIZE, INITIALIZED, DataDir, LineServer


@pytest.fixture
def data() -> Iterator[DataDir]:
    data = DataDir()
    feed = data.add("ical", "Feed", {}, {"url": "https://127.0.0.1:9/cal.ics"})
    data.storage.workflows.add("Morning Brief", links=[LinkSpec(feed, Role.SOURCE, Access.READ)])
    yield data
    data.close()


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
    server = LineServer(data, TETHER_PASSPHRASE_COMMAND=f"cat {fifo}")
    try:
        server.send(INITIALIZE)
        answer = server.reply()
        assert answer["id"] == 1
        assert answer["result"]["serverInfo"]["name"] == "tether"
        assert "This server is read-only." in answer["result"]["instructions"]
        writer = _write_when_read(fifo, TEST_PASSPHRASE)  # only now may the vault unlock
        writer.join(30)
        assert not writer.is_alive(), "the passphrase command never ran"
        server.send(INITIALIZED)
        server.request(2, "tools/call", {"name": "list_integrations", "arguments": {}})
        listed = server.reply()
    finally:
        _release(fifo)
        status, _, _ = server.close()
    assert listed["id"] == 2
    assert [item["label"] for item in listed["result"]["structuredContent"]["integrations"]] == ["Feed"]
    assert status == 0


def test_workflow_is_named_as_stored_however_it_was_typed(data: DataDir) -> None:
    server = LineServer(data, "--workflow", "MORNING brief")
    try:
        server.send(INITIALIZE)
        answer = server.reply()
        server.send(INITIALIZED)
        server.request(2, "tools/call", {"name": "list_integrations", "arguments": {}})
        listed = server.reply()
    finally:
        status, _, _ = server.close()
    assert "tether workflow 'Morning Brief'" in answer["result"]["instructions"]
    assert listed["result"]["structuredContent"]["workflow"] == "Morning Brief"
    assert status == 0


def test_a_database_from_a_newer_tether_stops_start_up_before_serving(data: DataDir) -> None:
    import sqlite3

    connection = sqlite3.connect(data.path / "tether.db")
    connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.commit()
    connection.close()
    server = LineServer(data)
    server.send(INITIALIZE)  # waits in the pipe: the process is still starting
    status, replies, stderr = server.close()
    assert replies == []  # not even initialize was answered
    assert status == 2
    assert "made by a newer tether" in stderr and "Traceback" not in stderr


def test_a_data_directory_others_can_write_is_refused_before_serving(data: DataDir) -> None:
    data.path.chmod(0o777)
    try:
        server = LineServer(data)
        server.send(INITIALIZE)  # waits in the pipe: the process is still starting
        status, replies, stderr = server.close()
    finally:
        data.path.chmod(0o700)
    assert replies == []  # not even initialize was answered
    assert status == 2
    assert "can be written by other users" in stderr and "Traceback" not in stderr


def test_a_problem_found_after_initialize_still_ends_start_up_with_status_2(data: DataDir) -> None:
    # The database is current, so initialize is answered first; choosing the secret store then fails.
    server = LineServer(data, TETHER_SECRET_STORE="keyring")  # the test keyring backend always fails
    try:
        server.send(INITIALIZE)
        answer = server.reply()
        assert server.process.stdout is not None
        assert server.process.stdout.read() == b""  # the server stops by itself: stdout closes
    finally:
        status, _, stderr = server.close()
    assert answer["id"] == 1
    assert status == 2
    assert "TETHER_SECRET_STORE=keyring, but" in stderr and "Traceback" not in stderr
