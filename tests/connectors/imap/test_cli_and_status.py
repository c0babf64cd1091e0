"""`tether add imap` / `tether check` end to end, and a stored integration's status after a password change."""

from __future__ import annotations

import json

import pytest

from app.core.checks import check_integration
from storage.records import Status
from storage.secrets.keyring_store import KeyringStore
from storage.service import open_storage
from tests.connectors.imap.conftest import USERS

pytestmark = pytest.mark.realserver


def add_args(dovecot, test_ca, label: str, user: str = "cli", port: int | None = None) -> list[str]:
    return [
        "add", "imap", "--label", label,
        "--set", f"username={user}", "--set", "host=127.0.0.1",
        "--set", f"port={port or dovecot.imaps_port}",
        "--set", f"ca_file={test_ca.ca_file}",
        "--secret-stdin", "password",
    ]  # fmt: skip


def test_add_then_check_succeeds_and_a_wrong_password_fails_with_exit_1(tether_cli, dovecot, test_ca) -> None:
    added = tether_cli(*add_args(dovecot, test_ca, "Work mail"), input=USERS["cli"] + "\n")
    assert added.returncode == 0, added.output
    assert "Added 'Work mail'" in added.stdout and "● INBOX 0 messages" in added.stdout

    checked = tether_cli("check", "Work mail")
    assert checked.returncode == 0, checked.output
    assert checked.stdout.startswith("● Work mail: INBOX 0 messages, 0 unread; 5 folders")

    changed = tether_cli("edit", "Work mail", "--secret-stdin", "password", input="wrong-password\n")
    assert changed.returncode == 0, changed.output
    failed = tether_cli("check", "Work mail")
    assert failed.returncode == 1
    assert "✖ Work mail: Wrong username or password for cli." in failed.stdout
    assert "To fix it: tether edit 'Work mail' --secret-stdin password" in failed.stdout
    assert "wrong-password" not in failed.output

    listed = json.loads(tether_cli("list", "--json").stdout)
    assert [item["status"] for item in listed] == ["error"]


def test_check_runs_several_at_once_and_fails_if_any_failed(tether_cli, dovecot, test_ca) -> None:
    for label, port, mode in (
        ("Implicit", dovecot.imaps_port, "implicit"),
        ("Starttls", dovecot.imap_port, "starttls"),
        ("Broken", dovecot.imap_port, "implicit"),  # implicit TLS on the STARTTLS port
    ):
        added = tether_cli(
            *add_args(dovecot, test_ca, label, port=port),
            "--set",
            f"tls_mode={mode}",
            "--no-check",
            input=USERS["cli"] + "\n",
        )
        assert added.returncode == 0, added.output

    mixed = tether_cli("check", "--json")
    assert mixed.returncode == 1
    errors = {item["label"]: item["error"] for item in json.loads(mixed.stdout)}
    assert errors["Implicit"] is None and errors["Starttls"] is None
    assert errors["Broken"]["kind"] == "tls" and errors["Broken"]["field"] == "tls_mode"

    good = tether_cli("check", "Starttls", "Implicit")
    assert good.returncode == 0, good.output
    lines = sorted(good.stdout.splitlines())  # printed as each check finishes: one line each, no details
    assert [line.split(":")[0] for line in lines] == ["● Implicit", "● Starttls"]


def test_add_refuses_to_save_when_the_password_is_wrong(tether_cli, dovecot, test_ca) -> None:
    refused = tether_cli(*add_args(dovecot, test_ca, "Typo"), input="typo-password\n")
    assert refused.returncode == 1
    assert "Wrong username or password" in refused.stderr and "typo-password" not in refused.output
    assert json.loads(tether_cli("list", "--json").stdout) == []


def test_status_flips_to_error_when_the_password_changes_on_the_server(
    dovecot, imap_settings, tmp_path, memory_keyring
) -> None:
    storage = open_storage(tmp_path / "data", KeyringStore(memory_keyring))
    repo = storage.integrations
    integration = repo.add("imap", "Changing", imap_settings("changer"), {"password": USERS["changer"]})

    first = check_integration(repo, integration)
    assert first.ok and repo.get(integration.id).status is Status.CONNECTED

    dovecot.set_password("changer", "a-new-password-7")
    try:
        second = check_integration(repo, repo.get(integration.id))
    finally:
        dovecot.set_password("changer", USERS["changer"], wait=False)
    stored = repo.get(integration.id)
    assert not second.ok and stored.status is Status.ERROR
    assert stored.status_detail.startswith("Wrong username or password for changer.")
    assert USERS["changer"] not in stored.status_detail
