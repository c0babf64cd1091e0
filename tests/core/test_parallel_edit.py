"""Two `tether edit` processes on one integration at once: both changes stay, every round."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storage.paths import VAULT_NAME
from storage.secrets.vault import VaultStore
from storage.service import open_storage
from tests.conftest import REPO_ROOT, tether_env
from tests.core.test_cli import add_work

ROUNDS = 25


@pytest.mark.slow
def test_parallel_edits_of_different_fields_never_lose_one(tether_cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    add_work(tether_cli, secret="pw-1")
    env = tether_env(data_dir)

    def edit(assignment: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "app", "edit", "Work", "--set", assignment],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    repo = open_storage(data_dir, VaultStore(data_dir / VAULT_NAME)).integrations
    lost = []
    for round_number in range(ROUNDS):
        host, port = f"host-{round_number}.example.com", str(1000 + round_number)
        editors = [edit(f"host={host}"), edit(f"port={port}")]
        for editor in editors:
            out, err = editor.communicate(timeout=60)
            assert editor.returncode == 0 and out.strip() == "Updated 'Work'.", err
        settings = repo.find("Work").settings
        if (settings["host"], str(settings["port"])) != (host, port):
            lost.append((round_number, settings["host"], settings["port"]))
    assert lost == []
