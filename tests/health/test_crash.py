"""Crash safety and concurrent use of one data directory.

A writer process is killed with SIGKILL at random points while it adds, edits and removes
integrations; after every kill the data directory must open, every integration must be whole
(row visible and its secret readable) or absent, and no secret may be left without its row.
Two processes writing at once must lose no change.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
from pathlib import Path

import pytest

from app.core.context import Context
from storage.integrations import secret_key
from storage.paths import DATABASE_NAME
from storage.secrets.select import SecretStoreChoice
from storage.secrets.vault import VaultStore
from storage.service import open_storage
from tests.conftest import TEST_PASSPHRASE

KILLS = 30
FORK = multiprocessing.get_context("fork")


def secret_for(label: str, generation: int) -> str:
    return f"https://example.invalid/{label}/token-{generation}"


def writer(data_dir: Path, vault: VaultStore, name: str, ready, rounds: int | None = None) -> None:  # type: ignore[no-untyped-def]
    """Add, edit and remove integrations until killed (or for ``rounds`` rounds)."""
    storage = open_storage(data_dir, vault)
    repo = storage.integrations
    ready.set()
    number = 0
    while rounds is None or number < rounds:
        number += 1
        label = f"{name}-{number}"
        integration = repo.add("ical", label, {"round": number}, {"url": secret_for(label, 1)})
        repo.update(integration.id, settings={"round": number, "edited": True}, secrets={"url": secret_for(label, 2)})
        if rounds is None and number % 3 == 0:
            repo.remove(integration.id)
    os._exit(0)  # no atexit work in a forked child


def open_after_crash(data_dir: Path, vault: VaultStore) -> Context:
    """What start-up does: open, migrate, finish what a crash interrupted."""
    storage = open_storage(data_dir, vault)
    context = Context(data_dir, SecretStoreChoice(vault, "test"), storage)  # type: ignore[call-arg]
    context.secrets_ready()
    return context


def assert_whole_or_absent(data_dir: Path, vault: VaultStore) -> int:
    context = open_after_crash(data_dir, vault)
    repo = context.storage.integrations
    with sqlite3.connect(data_dir / DATABASE_NAME) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        refs = {ref for (ref,) in conn.execute("SELECT secret_ref FROM integrations")}
        assert conn.execute("SELECT count(*) FROM integrations WHERE pending = 1").fetchone()[0] == 0
    visible = repo.list()
    for item in visible:
        secrets = repo.read_secrets(item)
        assert secrets["url"] in (secret_for(item.label, 1), secret_for(item.label, 2)), item.label
        if item.settings.get("edited"):
            assert secrets["url"] == secret_for(item.label, 2)  # settings saved after the secret
    orphans = [key for key in vault.keys() if key.split("/")[1] not in refs]  # noqa: SIM118 (a vault, not a dict)
    assert orphans == []
    assert set(vault.keys()) == {secret_key(item.secret_ref, "url") for item in visible}
    return len(visible)


@pytest.fixture
def vault(tmp_path: Path) -> VaultStore:
    (tmp_path / "data").mkdir()
    store = VaultStore(tmp_path / "data" / "secrets.vault")
    store.create(TEST_PASSPHRASE)
    return store


def test_killed_writers_leave_every_integration_whole_or_absent(tmp_path: Path, vault: VaultStore) -> None:
    data_dir = tmp_path / "data"
    generator = random.Random(20260301)
    survivors = interrupted = 0
    for attempt in range(KILLS):
        ready = FORK.Event()
        process = FORK.Process(target=writer, args=(data_dir, vault, f"w{attempt}", ready))
        process.start()
        assert ready.wait(10)
        process.join(generator.uniform(0.0, 0.15))  # a random point in the add/edit/remove sequence
        os.kill(process.pid, signal.SIGKILL)
        process.join(5)
        assert process.exitcode == -signal.SIGKILL
        with sqlite3.connect(data_dir / DATABASE_NAME) as conn:
            interrupted += conn.execute("SELECT count(*) FROM integrations WHERE pending = 1").fetchone()[0]
        survivors = assert_whole_or_absent(data_dir, vault)
    assert survivors > 0  # the writers did get work done between kills
    assert interrupted > 0  # and some kills did land in the middle of an add or a removal


def test_two_processes_writing_at_once_lose_no_change(tmp_path: Path, vault: VaultStore) -> None:
    data_dir = tmp_path / "data"
    open_storage(data_dir, vault)  # create the database before the race
    rounds = 12
    processes = []
    for name in ("left", "right"):
        ready = FORK.Event()
        process = FORK.Process(target=writer, args=(data_dir, vault, name, ready, rounds))
        processes.append(process)
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    context = open_after_crash(data_dir, vault)
    items = {item.label: item for item in context.storage.integrations.list()}
    expected = {f"{name}-{n}" for name in ("left", "right") for n in range(1, rounds + 1)}
    assert set(items) == expected
    for label, item in items.items():
        assert item.settings == {"round": int(label.split("-")[1]), "edited": True}
        assert context.storage.integrations.read_secrets(item) == {"url": secret_for(label, 2)}
    assert len(vault.keys()) == len(expected)
