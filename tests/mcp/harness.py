"""Drive `tether mcp` the way an assistant does: the SDK's stdio client starting it as a subprocess.

The client lives in its own thread with its own event loop, so one server process can serve a
whole test module and the tests themselves stay synchronous.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from storage.paths import VAULT_NAME
from storage.secrets.vault import VaultStore
from storage.service import Storage, open_storage
from tests.conftest import REPO_ROOT, TEST_PASSPHRASE

PASSPHRASE_COMMAND = f"printf '%s' '{TEST_PASSPHRASE}'"


class DataDir:
    """A temporary tether data directory with an unlocked vault, filled through the storage API."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="tether-mcp-"))
        self.path = self.root / "data"
        self.path.mkdir()
        vault = VaultStore(self.path / VAULT_NAME)
        vault.create(TEST_PASSPHRASE)
        self.storage: Storage = open_storage(self.path, vault)
        self.secrets: list[str] = []  # every secret stored, to prove none leaks

    def add(self, type_key: str, label: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> int:
        self.secrets.extend(secrets.values())
        return self.storage.integrations.add(type_key, label, settings, secrets).id

    def environment(self, **extra: str) -> dict[str, str]:
        home = self.root / "home"
        env = {
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "PYTHONPATH": str(REPO_ROOT),
            "TETHER_LOG_DIR": str(self.root / "logs"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "TETHER_SECRET_STORE": "vault",
            "TETHER_PASSPHRASE_COMMAND": PASSPHRASE_COMMAND,
        }
        env.update(extra)
        return {key: value for key, value in env.items() if value != ""}

    @property
    def log_text(self) -> str:
        """tether's own log file, as written by the servers started on this data directory."""
        path = self.root / "logs" / "tether.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


class LineServer:
    """`python -m app mcp` spoken to without the SDK, one line in and one line out at a time, so every byte on
    stdout is seen; killed after a minute whatever happens."""

    def __init__(self, data: DataDir, *args: str, **env: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "mcp", "--data-dir", str(data.path), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO_ROOT,
            env=data.environment(**env),
        )
        self.watchdog = threading.Timer(60, self.process.kill)
        self.watchdog.start()

    def write(self, line: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + b"\n")
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.write(json.dumps(message).encode())

    def request(self, request_id: int, method: str, params: dict[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def reply(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, "the server closed stdout without replying"
        return json.loads(line)

    def close(self) -> tuple[int, list[dict[str, Any]], str]:
        """Close stdin; the exit status, every further reply and stderr."""
        assert self.process.stdin and self.process.stdout and self.process.stderr
        self.process.stdin.close()
        rest = [json.loads(line) for line in self.process.stdout.read().splitlines()]
        stderr = self.process.stderr.read().decode(errors="replace")
        status = self.process.wait()
        self.watchdog.cancel()
        return status, rest, stderr


class McpClient:
    """One server subprocess (`python -m app mcp ...` unless told otherwise) and an initialized session to it."""

    def __init__(
        self, args: list[str], env: Mapping[str, str], *, stderr_path: Path, command: str = sys.executable
    ) -> None:
        import anyio

        self._anyio = anyio
        self._requests: list[tuple[str, tuple[Any, ...], Future[Any]]] = []
        self._ready: Future[None] = Future()
        self._wake = threading.Event()
        self._closing = False
        self.stderr_path = stderr_path
        self._thread = threading.Thread(target=self._serve, args=(command, args, dict(env)), daemon=True)
        self._thread.start()
        self._ready.result(timeout=60)

    def _serve(self, command: str, args: list[str], env: dict[str, str]) -> None:
        try:
            self._anyio.run(self._session, command, args, env)
        except BaseException as exc:  # surface start-up failures to the waiting test
            if not self._ready.done():
                self._ready.set_exception(exc)

    async def _session(self, command: str, args: list[str], env: dict[str, str]) -> None:
        from mcp.client.session import ClientSession
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(command=command, args=args, env=env, cwd=REPO_ROOT)
        with self.stderr_path.open("w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                self._ready.set_result(None)
                while not self._closing:
                    await self._anyio.to_thread.run_sync(self._wake.wait)
                    self._wake.clear()
                    pending, self._requests = self._requests, []
                    for method, call_args, future in pending:
                        try:
                            future.set_result(await getattr(session, method)(*call_args))
                        except Exception as exc:
                            future.set_exception(exc)

    def _request(self, method: str, *args: Any, timeout: float = 60) -> Any:
        future: Future[Any] = Future()
        self._requests.append((method, args, future))
        self._wake.set()
        return future.result(timeout=timeout)

    def tools(self) -> dict[str, Any]:
        return {tool.name: tool for tool in self._request("list_tools").tools}

    def call(self, name: str, arguments: dict[str, Any] | None = None, *, timeout: float = 60):  # type: ignore[no-untyped-def]
        """The raw CallToolResult."""
        return self._request("call_tool", name, arguments or {}, timeout=timeout)

    def ok(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """A successful call's structured result (fails the test on a tool error)."""
        result = self.call(name, arguments)
        assert not result.is_error, result_text(result)
        assert result.structured_content is not None
        assert json.loads(result_text(result)) == result.structured_content
        return result.structured_content

    def error(self, name: str, arguments: dict[str, Any] | None = None, *, timeout: float = 60) -> dict[str, Any]:
        """A refused call's error object: reason, message, action, integration."""
        result = self.call(name, arguments, timeout=timeout)
        assert result.is_error, f"expected an error, got {result_text(result)}"
        error = result.structured_content["error"]
        assert error["message"] and error["reason"]
        assert "Traceback" not in result_text(result)
        return {**error, "text": result_text(result)}

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def close(self) -> None:
        self._closing = True
        self._wake.set()
        self._thread.join(timeout=30)


def result_text(result) -> str:  # type: ignore[no-untyped-def]
    return "".join(getattr(block, "text", "") for block in result.content)


def start_client(data: DataDir, *args: str, name: str = "server", **env: str) -> McpClient:
    return McpClient(
        ["-m", "app", "mcp", "--data-dir", str(data.path), *args],
        data.environment(**env),
        stderr_path=data.root / f"{name}.stderr",
    )


def assert_no_secret(data: DataDir, *texts: str) -> None:
    for text in texts:
        for secret in data.secrets:
            assert secret not in text, "a stored secret appeared in MCP output"
