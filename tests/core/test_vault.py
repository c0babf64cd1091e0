"""The encrypted vault: passphrases, damage, concurrent writers, atomic writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage.secrets import SecretStoreLocked, VaultDamaged, WrongPassphrase
from storage.secrets.vault import VaultStore
from tests.conftest import REPO_ROOT

PASSPHRASE = "a long passphrase"


@pytest.fixture
def vault(tmp_path: Path) -> VaultStore:
    store = VaultStore(tmp_path / "secrets.vault")
    store.create(PASSPHRASE)
    return store


def test_round_trip_and_file_is_private_and_encrypted(vault: VaultStore) -> None:
    vault.set("integration/a/password", "hunter2")
    assert vault.get("integration/a/password") == "hunter2"
    assert vault.path.stat().st_mode & 0o777 == 0o600
    assert b"hunter2" not in vault.path.read_bytes()
    reopened = VaultStore(vault.path)
    reopened.unlock(PASSPHRASE)
    assert reopened.get("integration/a/password") == "hunter2"


def test_locked_vault_says_so(vault: VaultStore) -> None:
    locked = VaultStore(vault.path)
    with pytest.raises(SecretStoreLocked, match="passphrase"):
        locked.get("anything")


def test_wrong_passphrase_is_refused_and_changes_nothing(vault: VaultStore) -> None:
    vault.set("k", "v")
    before = vault.path.read_bytes()
    with pytest.raises(WrongPassphrase, match="Wrong passphrase"):
        VaultStore(vault.path).unlock("not the passphrase")
    assert vault.path.read_bytes() == before


def test_creating_over_an_existing_vault_is_refused(vault: VaultStore) -> None:
    vault.set("k", "v")
    before = vault.path.read_bytes()
    with pytest.raises(Exception, match="already exists"):
        VaultStore(vault.path).create("another passphrase")
    assert vault.path.read_bytes() == before


def test_entries_cannot_be_swapped(vault: VaultStore) -> None:
    vault.set("a", "secret-a")
    vault.set("b", "secret-b")
    document = json.loads(vault.path.read_bytes())
    document["entries"]["a"], document["entries"]["b"] = document["entries"]["b"], document["entries"]["a"]
    vault.path.write_text(json.dumps(document))
    with pytest.raises(VaultDamaged):
        vault.get("a")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "no-canary"])
def test_damaged_file_gives_a_clear_error_and_is_left_as_it_is(vault: VaultStore, damage: str) -> None:
    vault.set("k", "v")
    raw = vault.path.read_bytes()
    if damage == "truncate":
        broken = raw[: len(raw) // 2]
    elif damage == "garbage":
        broken = b"\x00\xff" * 40
    else:
        document = json.loads(raw)
        del document["canary"]
        broken = json.dumps(document).encode()
    vault.path.write_bytes(broken)
    with pytest.raises(VaultDamaged, match="damaged"):
        VaultStore(vault.path).unlock(PASSPHRASE)
    assert vault.path.read_bytes() == broken


WRITER = """
import sys
from pathlib import Path
from storage.secrets.vault import VaultStore
vault = VaultStore(Path(sys.argv[1]))
vault.unlock(sys.argv[2])
for i in range(int(sys.argv[4])):
    vault.set(f"{sys.argv[3]}-{i}", f"value-{sys.argv[3]}-{i}")
"""


def test_two_processes_writing_at_once_lose_nothing(vault: VaultStore) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    count = 25
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(vault.path), PASSPHRASE, name, str(count)], env=env)
        for name in ("alpha", "beta")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    keys = set(vault.keys())
    assert {f"{name}-{i}" for name in ("alpha", "beta") for i in range(count)} <= keys
    assert vault.get("beta-7") == "value-beta-7"


def test_a_killed_writer_never_leaves_a_broken_vault(vault: VaultStore) -> None:
    """Kill writers at random moments: the file always unlocks and holds every finished write."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for round_number in range(6):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(vault.path), PASSPHRASE, f"kill{round_number}", "1000"], env=env
        )
        time.sleep(0.3 + 0.1 * round_number)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        survivor = VaultStore(vault.path)
        survivor.unlock(PASSPHRASE)
        written = [key for key in survivor.keys() if key.startswith(f"kill{round_number}-")]  # noqa: SIM118 (a vault, not a dict)
        for key in written:
            assert survivor.get(key) == f"value-{key}"
    leftovers = [p.name for p in vault.path.parent.iterdir() if p.name.startswith(".vault-")]
    # A temporary file may survive a kill between write and rename; it is never the vault itself.
    assert all(name != vault.path.name for name in leftovers)


def test_the_passphrase_command_creates_then_unlocks_the_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storage.secrets.select import ENV_PASSPHRASE_COMMAND, unlock_from_command

    path = tmp_path / "secrets.vault"
    monkeypatch.delenv(ENV_PASSPHRASE_COMMAND, raising=False)
    assert unlock_from_command(VaultStore(path)) is False and not path.exists()
    monkeypatch.setenv(ENV_PASSPHRASE_COMMAND, f"echo '{PASSPHRASE}'")
    assert unlock_from_command(VaultStore(path), create=False) is True and not path.exists()  # nothing to open yet
    created = VaultStore(path)
    assert unlock_from_command(created) is True and path.exists()
    created.set("integration/a/password", "hunter2")
    reopened = VaultStore(path)
    assert unlock_from_command(reopened) is True and reopened.get("integration/a/password") == "hunter2"
    monkeypatch.setenv(ENV_PASSPHRASE_COMMAND, "echo 'not the passphrase'")
    with pytest.raises(WrongPassphrase):
        unlock_from_command(VaultStore(path))


def test_every_storage_failure_is_a_storage_error() -> None:
    """Front ends catch StorageError alone; the database, data-directory and secret-store errors are all one."""
    from storage.db import DatabaseError
    from storage.errors import StorageError
    from storage.paths import DataDirError
    from storage.secrets.base import SecretStoreError

    assert all(
        issubclass(kind, StorageError) for kind in (DatabaseError, DataDirError, SecretStoreError, WrongPassphrase)
    )
