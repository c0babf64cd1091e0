"""Files and directories in a state tether must not use: each refused with one line, nothing changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.db import DatabaseError, inspect_revision, open_database
from storage.paths import DATABASE_NAME, VAULT_NAME, DataDirError
from storage.secrets import SecretStoreError, VaultDamaged
from storage.secrets.vault import VaultStore
from storage.service import open_storage
from tests.conftest import REPO_ROOT, TEST_PASSPHRASE


def tree(path: Path) -> list[str]:
    return sorted(str(item.relative_to(path)) for item in path.rglob("*"))


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702, 0o1777])
def test_a_data_directory_others_can_write_is_refused_before_anything_is_written(tmp_path: Path, mode: int) -> None:
    data_dir = tmp_path / "shared"
    data_dir.mkdir()
    data_dir.chmod(mode)
    vault = VaultStore(data_dir / VAULT_NAME)
    with pytest.raises(DataDirError) as refused:
        open_storage(data_dir, vault)
    assert f"Run `chmod 700 {data_dir}` and start again." in str(refused.value)
    assert "can be written by other users" in str(refused.value)
    assert tree(data_dir) == []


def test_a_private_data_directory_of_mode_750_is_used(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o750)
    data_dir.chmod(0o750)
    open_storage(data_dir, VaultStore(data_dir / VAULT_NAME))
    assert DATABASE_NAME in tree(data_dir)


def test_a_directory_where_the_database_belongs_is_refused(tmp_path: Path) -> None:
    (tmp_path / DATABASE_NAME).mkdir()
    with pytest.raises(DatabaseError, match="is a directory, not tether's database file"):
        open_database(tmp_path / DATABASE_NAME)


def test_a_directory_where_the_vault_belongs_is_refused(tmp_path: Path) -> None:
    (tmp_path / VAULT_NAME).mkdir()
    vault = VaultStore(tmp_path / VAULT_NAME)
    for attempt in (lambda: vault.unlock(TEST_PASSPHRASE), vault.keys):
        with pytest.raises(SecretStoreError, match="is a directory, not tether's secret vault file"):
            attempt()
    with pytest.raises(SecretStoreError):
        vault.create(TEST_PASSPHRASE)
    assert (tmp_path / VAULT_NAME).is_dir() and tree(tmp_path / VAULT_NAME) == []


def test_a_full_disk_while_opening_is_not_called_a_damaged_database(tmp_path: Path) -> None:
    db = tmp_path / DATABASE_NAME
    open_database(db).dispose()
    for leftover in (tmp_path / f"{DATABASE_NAME}-shm", tmp_path / f"{DATABASE_NAME}-wal"):
        leftover.unlink(missing_ok=True)
    # Opening a WAL database creates its 32 KiB shared-memory file; allow 4 KiB of file size.
    probe = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "from pathlib import Path\n"
        "from storage.db import DatabaseError, inspect_revision\n"
        "try:\n"
        "    inspect_revision(Path(sys.argv[1]))\n"
        "except DatabaseError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(db)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert "the disk is full or failing" in result.stdout, result.stdout + result.stderr
    assert "cannot be read as a database" not in result.stdout
    assert inspect_revision(db) is not None


def test_an_emptied_database_beside_a_vault_with_secrets_is_refused(tmp_path: Path) -> None:
    vault = VaultStore(tmp_path / VAULT_NAME)
    vault.create(TEST_PASSPHRASE)
    storage = open_storage(tmp_path, vault)
    storage.integrations.add("ical", "Team", {}, {"url": "https://example.invalid/feed.ics"})
    storage.integrations.engine.dispose()
    (tmp_path / DATABASE_NAME).write_bytes(b"")
    with pytest.raises(DatabaseError) as refused:
        open_storage(tmp_path, vault)
    assert "is empty (0 bytes) but the secret vault" in str(refused.value) and "holds 1 secrets" in str(refused.value)
    assert (tmp_path / DATABASE_NAME).stat().st_size == 0
    assert vault.keys() != []


def test_an_empty_database_beside_an_empty_vault_is_simply_made(tmp_path: Path) -> None:
    vault = VaultStore(tmp_path / VAULT_NAME)
    vault.create(TEST_PASSPHRASE)
    (tmp_path / DATABASE_NAME).write_bytes(b"")
    open_storage(tmp_path, vault)
    assert inspect_revision(tmp_path / DATABASE_NAME) is not None


@pytest.mark.parametrize(
    ("kdf", "reason"),
    [
        ({"n": 2**20, "r": 64, "p": 1}, "r=64, p=1 are outside sane bounds"),
        ({"n": 2**30, "r": 8, "p": 1}, "n=1073741824 is outside"),
        ({"n": 2**20, "r": 16, "p": 1}, "would need 2048 MiB"),
        ({"n": 3000, "r": 8, "p": 1}, "not a power of two"),
        ({"n": 2**15, "r": 8, "p": 10**9}, "outside sane bounds"),
        ({"n": "32768", "r": 8, "p": 1}, "unreadable"),
        ({"n": 2**15, "r": 8, "p": 1, "salt": ""}, "salt"),
    ],
)
def test_a_vault_asking_for_absurd_key_settings_is_damaged_without_trying_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kdf: dict[str, object], reason: str
) -> None:
    path = tmp_path / VAULT_NAME
    VaultStore(path).create(TEST_PASSPHRASE)
    document = json.loads(path.read_text())
    document["kdf"].update(kdf)
    path.write_text(json.dumps(document))

    def never(*_args: object) -> bytes:
        raise AssertionError("derived a key from settings it should have refused")

    monkeypatch.setattr("storage.secrets.vault._derive_key", never)
    with pytest.raises(VaultDamaged) as refused:
        VaultStore(path).unlock(TEST_PASSPHRASE)
    assert f"The secret vault {path} is damaged" in str(refused.value) and reason in str(refused.value)


def test_absurd_key_settings_stay_small_in_a_process_with_little_memory(tmp_path: Path) -> None:
    path = tmp_path / VAULT_NAME
    VaultStore(path).create(TEST_PASSPHRASE)
    document = json.loads(path.read_text())
    document["kdf"].update(n=2**20, r=64)
    path.write_text(json.dumps(document))
    probe = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from pathlib import Path\n"
        "from storage.secrets import VaultDamaged\n"
        "from storage.secrets.vault import VaultStore\n"
        "try:\n"
        "    VaultStore(Path(sys.argv[1])).unlock(sys.argv[2])\n"
        "except VaultDamaged as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(path), TEST_PASSPHRASE],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "is damaged (its key settings" in result.stdout


def test_even_a_look_at_the_revision_refuses_a_shared_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    open_database(data_dir / DATABASE_NAME).dispose()
    for leftover in data_dir.glob(f"{DATABASE_NAME}-*"):
        leftover.unlink()
    data_dir.chmod(0o777)
    with pytest.raises(DatabaseError, match=r"Run `chmod 700 .*` and start again"):
        inspect_revision(data_dir / DATABASE_NAME)
    assert tree(data_dir) == [DATABASE_NAME]


def test_the_store_choice_says_when_the_vault_is_a_directory(tmp_path: Path) -> None:
    from storage.secrets.select import choose_secret_store

    (tmp_path / VAULT_NAME).mkdir()
    choice = choose_secret_store(tmp_path, probe_timeout=0.1)
    assert choice.kind == "vault"
    assert (
        choice.reason
        == f"{tmp_path / VAULT_NAME} is a directory, not tether's secret vault file; move it away to use secrets."
    )
