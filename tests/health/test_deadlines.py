"""The user's view of deadlines: `tether check` against trickling servers ends on time, and Ctrl-C,
closing stdin of `tether mcp` and quitting the TUI end the process at once while a check is stuck.

Every process here is real (a subprocess, the TUI in a pseudo-terminal): what is measured is when
the process is gone, which is what a person waiting at the terminal sees.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.cli_helpers import add_ical
from tests.conftest import REPO_ROOT, tether_env
from tests.health.fault_servers import trickle_server, trickled_greeting, trickled_headers
from tests.support import wait_until

# Real processes in a pseudo-terminal, timed to the second: run alone, not beside other workers.
pytestmark = pytest.mark.serial

TIMEOUT = 2
# The goal is the timeout plus at most a second; starting Python and tether adds its own start-up time.
SLACK = 1.0


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    return tether_env(data_dir)


@pytest.fixture
def startup(env: dict[str, str]) -> float:
    """How long `tether check` takes when it has nothing to wait for: the part that is not the check."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "app", "check"], env=env, cwd=REPO_ROOT, capture_output=True, timeout=30)
    return time.monotonic() - started


def tether(env: dict[str, str], *args: str, input: str = "", timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        cwd=REPO_ROOT,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def add_slow_imap(env: dict[str, str], port: int, tls_mode: str = "none") -> None:
    added = tether(
        env,
        "add",
        "imap",
        "--label",
        "Slow",
        "--set",
        "host=127.0.0.1",
        "--set",
        f"port={port}",
        "--set",
        f"tls_mode={tls_mode}",
        "--set",
        "username=me",
        "--secret-stdin",
        "password",
        "--no-check",
        input="pw\n",
    )
    assert added.returncode == 0, added.stderr


@pytest.fixture
def stuck_imap(env: dict[str, str]) -> Iterator[threading.Event]:
    """An IMAP integration whose server greets one byte every half second, for ever."""
    connected = threading.Event()
    with trickle_server(trickled_greeting, every=0.5, connected=connected) as port:
        add_slow_imap(env, port)
        yield connected


@pytest.fixture
def silent_imap(env: dict[str, str]) -> Iterator[threading.Event]:
    """An IMAP integration (implicit TLS) whose server accepts and never says a word: the handshake hangs."""
    connected = threading.Event()
    with trickle_server(lambda: iter(()), every=1, connected=connected) as port:
        add_slow_imap(env, port, "implicit")
        yield connected


def test_check_of_a_trickled_imap_greeting_ends_within_the_timeout(
    env: dict[str, str], stuck_imap, startup: float
) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    checked = tether(env, "check", "Slow", "--timeout", str(TIMEOUT))
    took = time.monotonic() - started
    assert checked.returncode != 0
    assert "did not complete its greeting and capability list in time (2 s)" in checked.stdout
    assert "Traceback" not in checked.stderr
    assert took < startup + TIMEOUT + SLACK, f"took {took:.1f} s (start-up {startup:.1f} s)"


def test_check_of_trickled_http_headers_ends_within_the_timeout(env: dict[str, str], startup: float) -> None:
    with trickle_server(trickled_headers, every=0.5) as port:
        added = add_ical(partial(tether, env), "Slow feed", f"http://127.0.0.1:{port}/team.ics", "--no-check")
        assert added.returncode == 0, added.stderr
        started = time.monotonic()
        checked = tether(env, "check", "Slow feed", "--timeout", str(TIMEOUT))
        took = time.monotonic() - started
    assert f"http://127.0.0.1:{port}/… did not answer in time (2 s)." in checked.stdout
    assert took < startup + TIMEOUT + SLACK, f"took {took:.1f} s (start-up {startup:.1f} s)"


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-3"])
def test_an_unusable_timeout_is_one_line(env: dict[str, str], value: str) -> None:
    checked = tether(env, "check", "--timeout", value)
    assert checked.returncode != 0
    assert checked.stderr.strip().splitlines() == [
        f"tether: --timeout '{value}' is not a usable timeout: give a number of seconds from 0.1 to 3600."
    ]


def wait_until_exit(process: subprocess.Popen[str] | subprocess.Popen[bytes], limit: float) -> float:
    started = time.monotonic()
    try:
        process.wait(limit)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return float("inf")
    return time.monotonic() - started


def test_ctrl_c_ends_a_stuck_check_at_once(env: dict[str, str], stuck_imap: threading.Event) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "check", "Slow", "--timeout", "60"],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert stuck_imap.wait(20), "the check never connected"
    process.send_signal(signal.SIGINT)
    took = wait_until_exit(process, 10)
    assert took < 1.0, f"exit took {took:.1f} s after Ctrl-C"
    assert process.returncode == 130  # what a shell reports for Ctrl-C
    assert "interrupted" in process.stderr.read()  # type: ignore[union-attr]
    # The check cut short put back the status it had: not "checking", nor found interrupted later.
    listed = json.loads(tether(env, "list", "--json").stdout)
    assert [(item["status"], item["detail"]) for item in listed if item["label"] == "Slow"] == [("not_checked", "")]


def test_closing_stdin_of_tether_mcp_ends_it_at_once(env: dict[str, str], stuck_imap: threading.Event) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "mcp", "--timeout", "60"],
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None

    def send(message: dict[str, object]) -> None:
        process.stdin.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")  # type: ignore[union-attr]
        process.stdin.flush()  # type: ignore[union-attr]

    send(
        {
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"},
            },
        }
    )
    assert '"id":1' in process.stdout.readline().replace(" ", "")
    send({"method": "notifications/initialized"})
    send({"id": 2, "method": "tools/call", "params": {"name": "mail_search", "arguments": {"label": "Slow"}}})
    assert stuck_imap.wait(20), "the tool call never connected"
    process.stdin.close()
    took = wait_until_exit(process, 10)
    assert took < 1.0, f"exit took {took:.1f} s after stdin closed"


def test_quitting_the_tui_during_a_trickled_greeting_exits_within_a_second(
    env: dict[str, str], stuck_imap: threading.Event
) -> None:
    quit_tui_while_stuck(env, stuck_imap)


def test_quitting_the_tui_during_a_silent_tls_handshake_exits_within_a_second(
    env: dict[str, str], silent_imap: threading.Event
) -> None:
    quit_tui_while_stuck(env, silent_imap)


def quit_tui_while_stuck(env: dict[str, str], stuck_imap: threading.Event) -> None:
    import pty

    pid, terminal = pty.fork()
    if pid == 0:  # the child: the TUI on the pseudo-terminal
        os.chdir(REPO_ROOT)
        os.execve(
            sys.executable,
            [sys.executable, "-m", "app"],
            {**env, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"},
        )
    screen = bytearray()
    reader = threading.Thread(target=_drain, args=(terminal, screen), daemon=True)
    reader.start()
    try:
        wait_until(lambda: b"not checked" in screen, "the list to show the integration", 20)
        for _ in range(5):  # the first key may arrive before the data directory is open
            os.write(terminal, b"R")  # check all
            if stuck_imap.wait(3):
                break
        assert stuck_imap.is_set(), "the check never connected"
        os.write(terminal, b"\x11")  # ctrl+q
        started = time.monotonic()
        wait_until(lambda: os.waitpid(pid, os.WNOHANG)[0] == pid, "the TUI to exit", 10)
        took = time.monotonic() - started
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    assert took < 1.0, f"quitting took {took:.1f} s"


def _drain(terminal: int, screen: bytearray) -> None:
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:
            return
        if not chunk:
            return
        screen.extend(chunk)
