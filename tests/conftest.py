"""Test isolation: no test may read or write the user's real data directory, config or keyring."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import keyring.backend
import pytest

from tests.servers.tls import TestCA, make_ca

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_PASSPHRASE = "correct horse battery"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend class that keeps secrets in this process only."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        import keyring.errors

        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError(username)
        del self.store[(service, username)]


@pytest.fixture(autouse=True)
def network_allowed_again() -> Iterator[None]:
    """Quitting a TUI under test interrupts every network call in the process; the next test starts afresh."""
    yield
    from connectors.deadline import resume

    resume()


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every platform directory at a temporary home and switch the real keyring off."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TETHER_DATA_DIR", str(home / "tether-data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    # No background checks unless a test asks: they would change what a screen shows mid-test.
    monkeypatch.setenv("TETHER_CHECK_INTERVAL", "off")
    for var in (
        "REQUESTS_CA_BUNDLE",
        "SSL_CERT_FILE",
        "TETHER_PASSPHRASE_COMMAND",
        "TETHER_SECRET_STORE",
        "SSH_CONNECTION",
    ):
        monkeypatch.delenv(var, raising=False)
    import keyring.backends.fail

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield home
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    """A keyring of this test's own, handed to storage directly (not installed globally)."""
    return MemoryKeyring()


@pytest.fixture
def storage(tmp_path: Path, keyring_backend: MemoryKeyring):  # type: ignore[no-untyped-def]
    """Storage on a fresh data directory with secrets in ``keyring_backend``."""
    from storage.secrets.keyring_store import KeyringStore
    from storage.service import open_storage

    return open_storage(tmp_path / "data", KeyringStore(keyring_backend))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def tether_env(data_dir: Path, passphrase: str | None = TEST_PASSPHRASE) -> dict[str, str]:
    """The environment a `tether` subprocess runs in: this checkout importable, ``data_dir`` as its data
    directory, and the vault unlocked by a passphrase command (no command at all when ``passphrase`` is None)."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TETHER_DATA_DIR": str(data_dir)}
    env.pop("TETHER_PASSPHRASE_COMMAND", None)
    if passphrase is not None:
        env["TETHER_PASSPHRASE_COMMAND"] = f"printf '%s' '{passphrase}'"
    return env


@pytest.fixture
def tether_cli(data_dir: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `tether` as a subprocess on a temporary data directory with a vault passphrase command."""
    env = tether_env(data_dir)

    def run(
        *args: str, input: str | None = None, extra_env: dict[str, str] | None = None, timeout: float = 60
    ) -> CliResult:
        command = [sys.executable, "-m", "app", *args]
        completed = subprocess.run(
            command,
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO_ROOT,
            env={**env, **(extra_env or {})},
        )
        return CliResult(completed.returncode, completed.stdout, completed.stderr)

    return run


@pytest.fixture(scope="session")
def test_ca() -> Iterator[TestCA]:
    """A CA in a world-traversable directory (servers running as other users must read it)."""
    directory = Path(tempfile.mkdtemp(prefix="tether-ca-"))
    directory.chmod(0o755)
    yield make_ca(directory)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def snap_compare(snap_compare):  # type: ignore[no-untyped-def]
    """pytest-textual-snapshot's snap_compare, with every text field's cursor held steady before the picture.

    A focused field's cursor blinks every half second; on a loaded machine the picture could catch it
    either way. Held steady, it is drawn as it is right after focus (visible), which is what is stored.
    """

    def compare(app, *args, run_before=None, **kwargs):  # type: ignore[no-untyped-def]
        from textual.widgets import Input

        async def steady(pilot) -> None:  # type: ignore[no-untyped-def]
            if run_before is not None:
                await run_before(pilot)
            for field in pilot.app.screen.query(Input):
                field.cursor_blink = False

        return snap_compare(app, *args, run_before=steady, **kwargs)

    return compare


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules holding a test marked slow run first, so that parallel workers finish together
    instead of one waiting for the other's last long test. Each module stays whole (its fixtures are
    built once); the sort is stable, so the order inside and among the rest is unchanged."""
    slow_modules = {item.nodeid.split("::", 1)[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::", 1)[0] not in slow_modules)
