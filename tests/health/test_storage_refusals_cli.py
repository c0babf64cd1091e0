"""What `tether` prints when its data directory, database or vault cannot be used: one line on
stderr, a non-zero exit, no traceback, and nothing changed."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from storage.paths import DATABASE_NAME, VAULT_NAME
from tests.cli_helpers import add_ical
from tests.health.test_storage_faults import FEED_URL, digest, run_tether


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_data_directory_others_can_write_is_refused_naming_chmod(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    data_dir.chmod(0o777)
    result = add_ical(partial(run_tether, data_dir), "Team", FEED_URL, "--no-check")
    assert result.returncode != 0
    assert f"Run `chmod 700 {data_dir}` and start again." in one_line(result.stderr)
    assert list(data_dir.iterdir()) == []


def test_a_directory_in_place_of_the_database_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / DATABASE_NAME).mkdir(parents=True)
    data_dir.chmod(0o700)
    result = run_tether(data_dir, "list")
    assert result.returncode != 0
    assert "is a directory, not tether's database file" in one_line(result.stderr)


def test_a_directory_in_place_of_the_vault_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / VAULT_NAME).mkdir(parents=True)
    data_dir.chmod(0o700)
    result = add_ical(partial(run_tether, data_dir), "Team", FEED_URL, "--no-check")
    assert result.returncode != 0
    assert "is a directory, not tether's secret vault file" in one_line(result.stderr)
    assert (data_dir / VAULT_NAME).is_dir()


def test_an_emptied_database_beside_a_vault_with_secrets_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    added = add_ical(partial(run_tether, data_dir), "Team", FEED_URL, "--no-check")
    assert added.returncode == 0, added.stderr
    (data_dir / DATABASE_NAME).write_bytes(b"")
    for leftover in data_dir.glob(f"{DATABASE_NAME}-*"):
        leftover.unlink()
    vault_before = digest(data_dir / VAULT_NAME)
    result = run_tether(data_dir, "list")
    assert result.returncode != 0
    assert "is empty (0 bytes) but the secret vault" in one_line(result.stderr)
    assert (data_dir / DATABASE_NAME).stat().st_size == 0 and digest(data_dir / VAULT_NAME) == vault_before


def test_a_vault_with_absurd_key_settings_is_reported_damaged(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    added = add_ical(partial(run_tether, data_dir), "Team", FEED_URL, "--no-check")
    assert added.returncode == 0, added.stderr
    vault = data_dir / VAULT_NAME
    document = json.loads(vault.read_text())
    document["kdf"].update(n=2**30, r=8)
    vault.write_text(json.dumps(document))
    result = run_tether(data_dir, "check", "Team")
    assert result.returncode != 0
    assert "is damaged (its key setting n=1073741824 is outside" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stdout + result.stderr


def test_a_label_with_a_bidi_control_is_refused_in_one_line(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = add_ical(partial(run_tether, data_dir), "Team\u202egpj.exe", FEED_URL, "--no-check")
    assert result.returncode != 0
    assert one_line(result.stderr).endswith(
        "contains a text-direction control character (U+202E); type it again without it."
    )
    listed = run_tether(data_dir, "list", "--json")
    assert json.loads(listed.stdout) == []
