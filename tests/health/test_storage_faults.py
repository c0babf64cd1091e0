"""Faults of the machine, not the server: a locked or wrongly unlocked vault, an unwritable data
directory, a full disk, a database from an older tether. Each says what happened and keeps
everything stored as it was.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from app.core.checks import check_integration
from storage.db import HEAD_REVISION, inspect_revision
from storage.paths import DATABASE_NAME
from storage.records import Status
from storage.secrets.vault import VaultStore
from storage.service import open_storage
from tests.cli_helpers import add_ical
from tests.conftest import REPO_ROOT, TEST_PASSPHRASE, tether_env
from tests.health.snapshot import stored_state

FIXTURE_0001 = REPO_ROOT / "tests" / "fixtures" / "tether-0001.db"
FEED_URL = "https://example.invalid/private/feed-token-77/cal.ics"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "-"


def run_tether(
    data_dir: Path, *args: str, input: str = "", passphrase: str | None = TEST_PASSPHRASE, file_limit: int | None = None
) -> subprocess.CompletedProcess[str]:
    """`tether` in its own session (no terminal to prompt on), optionally with a file-size limit."""
    env = {**tether_env(data_dir, passphrase), "TETHER_LOG_DIR": str(data_dir.parent / "logs")}

    def limit() -> None:
        if file_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        env=env,
        start_new_session=True,
        preexec_fn=limit,
    )


@pytest.fixture(scope="module")
def populated_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two feeds and a workflow, added through the CLI once per module; each test gets its own copy."""
    data_dir = tmp_path_factory.mktemp("populated") / "data"
    for label in ("Team", "Family"):
        added = add_ical(partial(run_tether, data_dir), label, FEED_URL + label, "--no-check")
        assert added.returncode == 0, added.stderr
    assert run_tether(data_dir, "workflow", "add", "Digest", "--source", "Team").returncode == 0
    return data_dir


@pytest.fixture
def populated(populated_once: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(populated_once, tmp_path / "data"))


def files_state(data_dir: Path) -> tuple[str, str]:
    return digest(data_dir / "secrets.vault"), run_tether(data_dir, "list", "--json").stdout


def test_locked_vault_without_a_way_to_ask_refuses_and_changes_nothing(populated: Path) -> None:
    before = files_state(populated)
    result = run_tether(populated, "check", passphrase=None)
    assert result.returncode != 0
    assert "The secret vault needs its passphrase" in result.stderr and "TETHER_PASSPHRASE_COMMAND" in result.stderr
    assert files_state(populated) == before


def test_a_check_while_the_vault_is_locked_says_so_and_keeps_settings_and_secrets(tmp_path: Path) -> None:
    vault = VaultStore(tmp_path / "data" / "secrets.vault")
    (tmp_path / "data").mkdir()
    vault.create(TEST_PASSPHRASE)
    storage = open_storage(tmp_path / "data", vault)
    integration = storage.integrations.add("ical", "Team", {}, {"url": FEED_URL})
    before = stored_state(storage)
    vault.lock()
    outcome = check_integration(storage.integrations, integration)
    stored = storage.integrations.get(integration.id)
    assert stored.status is Status.ERROR and "locked; enter its passphrase" in stored.status_detail
    assert outcome.error is not None and storage.metrics.health(integration.id).requests == 0  # not the server's fault
    vault.unlock(TEST_PASSPHRASE)
    assert stored_state(storage) == before


def test_wrong_passphrase_refuses_and_changes_nothing(populated: Path) -> None:
    before = files_state(populated)
    result = run_tether(
        populated,
        "edit",
        "Team",
        "--secret-stdin",
        "url",
        input="https://example.invalid/new.ics\n",
        passphrase="wrong horse",
    )
    assert result.returncode != 0 and "passphrase" in result.stderr.lower()
    assert "Traceback" not in result.stderr
    assert files_state(populated) == before


@pytest.fixture
def read_only(populated: Path):  # type: ignore[no-untyped-def]
    """Make the data directory unwritable: permissions for a user, a read-only bind mount for root."""
    if os.geteuid() != 0:
        populated.chmod(0o500)
        yield populated
        populated.chmod(0o700)
        return
    mounted = subprocess.run(["mount", "--bind", str(populated), str(populated)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("running as root and bind mounts are not allowed here")
    subprocess.run(["mount", "-o", "remount,ro,bind", str(populated)], check=True)
    try:
        yield populated
    finally:
        subprocess.run(["umount", str(populated)], check=True)


def test_unwritable_data_directory_is_reported(read_only: Path) -> None:
    before = digest(read_only / DATABASE_NAME)
    result = add_ical(partial(run_tether, read_only), "New", FEED_URL, "--no-check")
    assert result.returncode != 0
    assert "not writable" in result.stderr or "read-only" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert digest(read_only / DATABASE_NAME) == before


def test_full_disk_while_adding_saves_nothing_half(populated: Path) -> None:
    before = files_state(populated)
    size = max(path.stat().st_size for path in populated.iterdir())
    big_url = "https://example.invalid/" + "x" * (size + 50_000)
    result = add_ical(partial(run_tether, populated), "Big", big_url, "--no-check", file_limit=size + 20_000)
    assert result.returncode == 1
    assert "The disk is full" in result.stderr and "Traceback" not in result.stderr
    assert files_state(populated) == before
    assert [item["label"] for item in __import__("json").loads(before[1])] == ["Family", "Team"]


def test_full_disk_while_creating_the_database_leaves_a_file_the_next_start_can_use(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    for limit in (8_000, 45_000):  # during the first pages, and in the middle of the migrations
        failed = run_tether(data_dir, "list", file_limit=limit)
        assert failed.returncode == 1 and "Traceback" not in failed.stderr, failed.stderr
        assert "disk" in failed.stderr
    fine = run_tether(data_dir, "list")
    assert fine.returncode == 0 and "No integrations yet" in fine.stdout
    assert inspect_revision(data_dir / DATABASE_NAME) == HEAD_REVISION


def test_database_from_the_first_release_upgrades_without_loss_and_keeps_a_backup(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(FIXTURE_0001, data_dir / DATABASE_NAME)
    with sqlite3.connect(FIXTURE_0001) as conn:
        labels = sorted(row[0] for row in conn.execute("SELECT label FROM integrations WHERE pending = 0"))
    status = run_tether(data_dir, "status", "--json", passphrase=None)
    assert "Traceback" not in status.stderr, status.stderr
    report = __import__("json").loads(status.stdout)
    assert sorted(item["label"] for item in report["integrations"]) == labels
    for item in report["integrations"]:
        assert item["health"]["requests"] == 0 and item["health"]["breaker"]["state"] == "closed"
    backups = list(data_dir.glob(f"{DATABASE_NAME}.before-*"))
    assert [inspect_revision(path) for path in backups] == ["0001"]
    assert digest(backups[0]) == digest(FIXTURE_0001)
