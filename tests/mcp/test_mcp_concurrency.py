"""`tether mcp` runs a bounded number of tool calls at once; the others wait their turn and then succeed.

A scripted IMAP server (plain text, loopback) answers LIST slowly and counts the sessions open at
the same moment: a real Dovecot cannot report its peak of concurrent sessions on demand.
"""

from __future__ import annotations

import socketserver
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from app.mcp.call_runner import MAX_CONCURRENT_CALLS
from tests.conftest import REPO_ROOT
from tests.mcp.harness import DataDir

CALLS = 8
LIST_DELAY = 0.4  # seconds each LIST takes: long enough for the calls to overlap


class _Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.sessions = 0

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.sessions += 1
            self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1


def _handler(counter: _Counter) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def send(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            counter.enter()
            left = False
            try:
                self.send("* OK [CAPABILITY IMAP4rev1] slow server ready")
                while line := self.rfile.readline():
                    tag, _, command = line.decode().strip().partition(" ")
                    verb = command.split(" ", 1)[0].upper()
                    if verb == "CAPABILITY":
                        self.send("* CAPABILITY IMAP4rev1")
                    elif verb == "LIST":
                        time.sleep(LIST_DELAY)  # the server is slow; the client side is what is measured
                        self.send('* LIST (\\HasNoChildren) "/" INBOX')
                    elif verb == "LOGOUT":
                        # Over for the client once it has sent LOGOUT: count it out before answering, or a
                        # slow server thread would still count it while the client's next call connects.
                        counter.leave()
                        left = True
                        self.send("* BYE bye")
                        self.send(f"{tag} OK done")
                        return
                    self.send(f"{tag} OK done")
            finally:
                if not left:
                    counter.leave()

    return Handler


@pytest.fixture
def slow_imap() -> Iterator[tuple[int, _Counter]]:
    counter = _Counter()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler(counter))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], counter
    finally:
        server.shutdown()
        server.server_close()


async def _call_at_once(data: DataDir, arguments: dict[str, str]) -> list[bool]:
    import anyio
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "app", "mcp", "--data-dir", str(data.path), "--timeout", "10"],
        env=data.environment(),
        cwd=REPO_ROOT,
    )
    results: list[bool] = []
    with (data.root / "stderr").open("w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()

            async def one() -> None:
                result = await session.call_tool("mail_list_folders", arguments)
                results.append(not result.is_error)

            async with anyio.create_task_group() as group:
                for _ in range(CALLS):
                    group.start_soon(one)
    return results


def test_at_most_a_few_calls_run_at_once_and_the_rest_wait(slow_imap: tuple[int, _Counter]) -> None:
    import anyio

    port, counter = slow_imap
    data = DataDir()
    try:
        settings = {"username": "me", "host": "127.0.0.1", "port": port, "tls_mode": "none"}
        data.add("imap", "Slow mail", settings, {"password": "slow-Secret-1"})
        results = anyio.run(_call_at_once, data, {"label": "Slow mail"})
    finally:
        data.close()
    assert results == [True] * CALLS  # the waiting calls were served, not refused
    assert counter.sessions == CALLS
    assert 1 < counter.peak <= MAX_CONCURRENT_CALLS
