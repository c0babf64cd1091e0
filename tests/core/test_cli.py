"""`tether` as a subprocess on a temporary data directory, the way scripts and SSH users run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import add_ical

SECRET = "Sup3r-Secret-Passw0rd"
NEW_SECRET = "An0ther-Secret-Value"


def add_work(cli, label: str = "Work", secret: str = SECRET) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "add",
        "imap",
        "--label",
        label,
        "--set",
        "username=me@example.com",
        "--set",
        "host=imap.example.com",
        "--no-check",
        "--secret-stdin",
        "password",
        input=secret + "\n",
    )
    assert result.returncode == 0, result.output


def test_empty_list_says_what_to_do(tether_cli) -> None:  # type: ignore[no-untyped-def]
    result = tether_cli("list")
    assert result.returncode == 0
    assert "tether add" in result.stdout


@pytest.mark.slow
def test_add_list_edit_remove(tether_cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    add_work(tether_cli)
    listed = json.loads(tether_cli("list", "--json").stdout)
    assert [(i["label"], i["type"], i["status"]) for i in listed] == [("Work", "imap", "not_checked")]
    assert listed[0]["settings"] == {
        "username": "me@example.com",
        "host": "imap.example.com",
        "tls_mode": "implicit",
        "port": 993,
    }

    edited = tether_cli("edit", "work", "--label", "Job", "--set", "tls_mode=starttls", "--set", "port=143")
    assert edited.returncode == 0, edited.output
    listed = json.loads(tether_cli("list", "--json").stdout)
    assert listed[0]["label"] == "Job" and listed[0]["settings"]["port"] == 143

    removed = tether_cli("remove", "Job")
    assert removed.returncode == 0, removed.output
    assert json.loads(tether_cli("list", "--json").stdout) == []
    assert (data_dir.stat().st_mode & 0o777) == 0o700


def test_remove_with_workflows_lists_them_and_refuses_without_yes(tether_cli) -> None:  # type: ignore[no-untyped-def]
    add_work(tether_cli)
    assert (
        tether_cli("workflow", "add", "Morning digest", "--source", "Work", "--schedule", "daily 07:00").returncode == 0
    )
    refused = tether_cli("remove", "Work")
    assert refused.returncode == 3
    assert "Morning digest (source, read, daily 07:00)" in refused.stderr
    assert "--yes" in refused.stderr
    assert json.loads(tether_cli("list", "--json").stdout)[0]["label"] == "Work"

    assert tether_cli("remove", "Work", "--yes").returncode == 0
    workflows = json.loads(tether_cli("workflow", "list", "--json").stdout)
    assert workflows[0]["integrations"] == [{"label": "Work", "role": "source", "access": "read", "missing": True}]
    assert "deleted" in tether_cli("workflow", "list").stdout


def test_workflow_add_list_remove(tether_cli) -> None:  # type: ignore[no-untyped-def]
    add_work(tether_cli)
    assert tether_cli("workflow", "add", "Triage", "--source", "Work", "--sink", "work").returncode == 0
    listed = json.loads(tether_cli("workflow", "list", "--json").stdout)
    assert [(link["role"], link["access"]) for link in listed[0]["integrations"]] == [
        ("source", "read"),
        ("sink", "write"),
    ]
    used_by = json.loads(tether_cli("list", "--json").stdout)[0]["used_by"]
    assert {u["role"] for u in used_by} == {"source", "sink"}
    assert tether_cli("workflow", "remove", "triage").returncode == 0
    assert json.loads(tether_cli("workflow", "list", "--json").stdout) == []


def test_invalid_input_gets_one_clear_line_and_changes_nothing(tether_cli) -> None:  # type: ignore[no-untyped-def]
    cases = [
        (
            (
                "add",
                "imap",
                "--set",
                "host=imap.example.com",
                "--set",
                "port=70000",
                "--set",
                "username=u",
                "--secret-stdin",
                "password",
            ),
            "out of range",
        ),
        (
            ("add", "imap", "--set", "host=imap.example.com", "--set", "username=u", "--set", "password=x"),
            "never as an argument",
        ),
        (("add", "fax", "--label", "X"), "Unknown integration type"),
        (("add", "ical", "--set", "url=ftp://example.com/a.ics"), "--secret-stdin"),
        (("edit", "Nope", "--label", "X"), "No integration named"),
        (("remove", "Nope"), "No integration named"),
    ]
    for args, message in cases:
        result = tether_cli(*args, input="pw\n")
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert json.loads(tether_cli("list", "--json").stdout) == []


def test_duplicate_label_is_refused_case_insensitively(tether_cli) -> None:  # type: ignore[no-untyped-def]
    add_work(tether_cli)
    result = tether_cli(
        "add",
        "imap",
        "--label",
        "WORK",
        "--set",
        "host=h.example.com",
        "--set",
        "username=u",
        "--secret-stdin",
        "password",
        input="x\n",
    )
    assert result.returncode == 1 and "already exists" in result.stderr


def test_a_newer_database_is_refused_with_one_line(tether_cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    add_work(tether_cli)
    with sqlite3.connect(data_dir / "tether.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num='9999'")
    result = tether_cli("list")
    assert result.returncode == 1 and "newer tether" in result.stderr and "Traceback" not in result.stderr


def test_secrets_status_says_which_store_and_why(tether_cli) -> None:  # type: ignore[no-untyped-def]
    status = json.loads(tether_cli("secrets", "status", "--json").stdout)
    assert status["kind"] == "vault"
    assert "no OS keyring" in status["reason"]


def test_vault_without_a_passphrase_source_explains_what_to_do(tether_cli) -> None:  # type: ignore[no-untyped-def]
    result = tether_cli(
        "add",
        "imap",
        "--set",
        "host=h.example.com",
        "--set",
        "username=u",
        "--no-check",
        "--secret-stdin",
        "password",
        input="x\n",
        extra_env={"TETHER_PASSPHRASE_COMMAND": ""},
    )
    assert result.returncode == 1
    assert "TETHER_PASSPHRASE_COMMAND" in result.stderr
    assert json.loads(tether_cli("list", "--json").stdout) == []


def test_wrong_passphrase_is_refused_and_nothing_changes(tether_cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    add_work(tether_cli)
    vault_before = (data_dir / "secrets.vault").read_bytes()
    result = tether_cli(
        "edit",
        "Work",
        "--secret-stdin",
        "password",
        input="new\n",
        extra_env={"TETHER_PASSPHRASE_COMMAND": "echo wrong-passphrase"},
    )
    assert result.returncode == 1 and "Wrong passphrase" in result.stderr
    assert (data_dir / "secrets.vault").read_bytes() == vault_before


def test_no_secret_reaches_files_or_output(tether_cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    outputs = []
    add_work(tether_cli)
    outputs.append(tether_cli("edit", "Work", "--secret-stdin", "password", input=NEW_SECRET + "\n"))
    outputs.append(add_ical(tether_cli, "Feed", "https://example.com/private/tok3n-abcdef.ics", "--no-check"))
    outputs += [tether_cli("list"), tether_cli("list", "--json"), tether_cli("check"), tether_cli("secrets", "status")]
    needles = [SECRET, NEW_SECRET, "tok3n-abcdef"]
    for result in outputs:
        for needle in needles:
            assert needle not in result.output
    for path in data_dir.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            for needle in needles:
                assert needle.encode() not in blob, path
