"""Names of integrations and workflows: one spelling per name, nothing invisible in it."""

from __future__ import annotations

import json
import shutil
import sqlite3
import unicodedata
from pathlib import Path

import pytest

from storage.db import create_engine_for, inspect_revision, open_database, upgrade
from storage.errors import DuplicateName
from storage.names import BadName
from storage.paths import DATABASE_NAME
from storage.records import LinkSpec, Role
from storage.secrets.keyring_store import KeyringStore
from storage.service import Storage, open_storage
from tests.conftest import MemoryKeyring

CAFE_NFC = unicodedata.normalize("NFC", "Café")
CAFE_NFD = unicodedata.normalize("NFD", "Café")


def add(storage: Storage, label: str) -> int:
    return storage.integrations.add("ical", label, {}, {}).id


def test_a_label_typed_in_nfd_is_stored_in_nfc_and_found_either_way(storage: Storage) -> None:
    assert CAFE_NFC != CAFE_NFD
    integration_id = add(storage, CAFE_NFD)
    assert storage.integrations.get(integration_id).label == CAFE_NFC
    assert storage.integrations.find(CAFE_NFC).id == integration_id
    assert storage.integrations.find("CAFÉ").id == integration_id


@pytest.mark.parametrize("other", [CAFE_NFD, "CAFÉ", unicodedata.normalize("NFD", "cafÉ"), " café "])
def test_labels_that_look_the_same_cannot_live_side_by_side(storage: Storage, other: str) -> None:
    add(storage, CAFE_NFC)
    with pytest.raises(DuplicateName, match="already exists"):
        add(storage, other)
    assert [item.label for item in storage.integrations.list()] == [CAFE_NFC]


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("Work\x07", "a control character (U+0007)"),
        ("Work\x85mail", "a control character (U+0085)"),  # C1
        ("Work\n", "a control character (U+000A)"),
        ("Work\u202email", "a text-direction control character (U+202E)"),
        ("\u2066Work\u2069", "a text-direction control character (U+2066)"),
        ("Wo\u200brk", "an invisible (zero-width) character (U+200B)"),
        ("\ufeffWork", "an invisible (zero-width) character (U+FEFF)"),
        ("Wo\u200drk", "an invisible (zero-width) character (U+200D)"),
    ],
)
def test_hidden_characters_are_refused_with_a_message_naming_them(storage: Storage, label: str, reason: str) -> None:
    with pytest.raises(BadName) as refused:
        add(storage, label)
    assert str(refused.value) == f"The label contains {reason}; type it again without it."
    assert storage.integrations.list() == []


def test_renaming_goes_through_the_same_rules(storage: Storage) -> None:
    first, second = add(storage, CAFE_NFC), add(storage, "Team")
    with pytest.raises(DuplicateName):
        storage.integrations.update(second, label=CAFE_NFD)
    with pytest.raises(BadName, match="text-direction"):
        storage.integrations.update(second, label="Te\u202eam")
    renamed = storage.integrations.update(first, label=unicodedata.normalize("NFD", "Crème"))
    assert renamed.label == unicodedata.normalize("NFC", "Crème")


def test_workflow_names_follow_the_same_rules(storage: Storage) -> None:
    integration_id = add(storage, "Team")
    workflow = storage.workflows.add(CAFE_NFD, links=[LinkSpec(integration_id, Role.SOURCE)])
    assert workflow.name == CAFE_NFC and storage.workflows.find("CAFÉ").id == workflow.id
    with pytest.raises(DuplicateName):
        storage.workflows.add(CAFE_NFC)
    with pytest.raises(BadName, match="workflow name contains an invisible"):
        storage.workflows.add("Digest\u200b")
    with pytest.raises(BadName, match="workflow name contains a control character"):
        storage.workflows.update(workflow.id, name="Di\x1bgest")


def test_upgrade_gives_look_alike_names_stored_before_distinct_names_and_keeps_everything(tmp_path: Path) -> None:
    db = tmp_path / DATABASE_NAME
    open_database(db).dispose()
    # Back to what revision 0003 could hold: the same name in NFC and NFD, and a workflow link.
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM alembic_version")
        conn.execute("INSERT INTO alembic_version VALUES ('0003')")
        conn.execute("ALTER TABLE integrations DROP COLUMN version")
        conn.execute("ALTER TABLE workflows DROP COLUMN version")
        for row_id, label in ((1, CAFE_NFC), (2, CAFE_NFD)):
            conn.execute(
                "INSERT INTO integrations (id, label, label_key, type_key, settings, secret_ref, secret_names, status, "
                "status_detail, pending, created_at, updated_at, check_summary, connector_state, breaker_state, "
                "breaker_failures, last_error) VALUES (?, ?, ?, 'ical', ?, ?, '[]', 'not_checked', '', 0, "
                "'2026-01-01', '2026-01-01', '', '{}', 'closed', 0, '')",
                (row_id, label, label.casefold(), f'{{"n": {row_id}}}', f"ref{row_id}"),
            )
        conn.execute(
            "INSERT INTO workflows (id, name, name_key, description, schedule, enabled, created_at, updated_at) "
            "VALUES (1, ?, ?, '', '', 1, '2026-01-01', '2026-01-01')",
            (CAFE_NFD, CAFE_NFD.casefold()),
        )
        conn.execute(
            "INSERT INTO workflow_integrations (workflow_id, integration_id, integration_label, role, access) "
            "VALUES (1, 2, ?, 'source', 'read')",
            (CAFE_NFD,),
        )
    assert inspect_revision(db) == "0003"
    upgrade(create_engine_for(db))
    storage = open_storage(tmp_path, KeyringStore(MemoryKeyring()))
    stored = {item.id: (item.label, item.settings) for item in storage.integrations.list()}
    assert stored == {1: (CAFE_NFC, {"n": 1}), 2: (f"{CAFE_NFC} (2)", {"n": 2})}
    workflow = storage.workflows.find(CAFE_NFC)
    assert workflow.name == CAFE_NFC
    assert [link.integration_label for link in workflow.links] == [f"{CAFE_NFC} (2)"]
    assert storage.integrations.get(1).version == 1


def test_database_from_the_first_release_reaches_head_with_every_row(tmp_path: Path) -> None:
    fixture = Path(__file__).parent.parent / "fixtures" / "tether-0001.db"
    with sqlite3.connect(fixture) as conn:
        before = sorted(conn.execute("SELECT id, label, settings, secret_names FROM integrations WHERE pending = 0"))
        workflows = sorted(conn.execute("SELECT id, name, schedule FROM workflows"))
    shutil.copy(fixture, tmp_path / DATABASE_NAME)
    storage = open_storage(tmp_path, KeyringStore(MemoryKeyring()))
    after = sorted(
        (item.id, item.label, item.settings, list(item.secret_names)) for item in storage.integrations.list()
    )
    assert after == sorted((i, label, json.loads(s), json.loads(n)) for i, label, s, n in before)
    assert sorted((w.id, w.name, w.schedule) for w in storage.workflows.list()) == workflows
    assert all(item.version == 1 for item in storage.integrations.list())


def test_a_database_at_the_previous_head_keeps_every_row_and_column(tmp_path: Path) -> None:
    db = tmp_path / DATABASE_NAME
    engine = create_engine_for(db)
    upgrade(engine, "0003")
    engine.dispose()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO integrations (id, label, label_key, type_key, settings, secret_ref, secret_store, secret_names, "
            "status, status_detail, last_checked_at, pending, created_at, updated_at, check_summary, connector_state, "
            "breaker_state, breaker_since, breaker_failures, last_success_at, last_error, last_error_at) VALUES "
            "(7, 'Work mail', 'work mail', 'imap', '{\"host\": \"imap.example.com\", \"port\": 993}', 'ref7', 'keyring', "
            "'[\"password\"]', 'connected', 'ok', '2026-01-02 03:04:05', 0, '2026-01-01 00:00:00', '2026-01-02 00:00:00', "
            "'INBOX 3', '{\"etag\": \"x\"}', 'open', '2026-01-02 00:00:00', 3, '2026-01-01 12:00:00', 'boom', "
            "'2026-01-02 00:00:00')"
        )
        conn.execute(
            "INSERT INTO workflows (id, name, name_key, description, schedule, enabled, created_at, updated_at) "
            "VALUES (3, 'Digest', 'digest', 'Morning', 'daily 07:00', 0, '2026-01-01', '2026-01-01')"
        )
        conn.execute(
            "INSERT INTO workflow_integrations (workflow_id, integration_id, integration_label, role, access) "
            "VALUES (3, 7, 'Work mail', 'sink', 'write')"
        )
        conn.execute(
            "INSERT INTO call_samples (integration_id, at, ok, latency_ms, error_kind, source) "
            "VALUES (7, '2026-01-02 00:00:00', 0, 12.5, 'timeout', 'call')"
        )
        before = {
            table: conn.execute(f"SELECT * FROM {table}").fetchall()
            for table in ("integrations", "workflows", "workflow_integrations", "call_samples")
        }
    assert inspect_revision(db) == "0003"
    open_storage(tmp_path, KeyringStore(MemoryKeyring())).integrations.engine.dispose()
    with sqlite3.connect(db) as conn:
        for table, rows in before.items():
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            kept = [column for column in columns if column != "version"]
            after = conn.execute(f"SELECT {', '.join(kept)} FROM {table}").fetchall()
            assert after == rows, table
        assert conn.execute("SELECT version FROM integrations").fetchall() == [(1,)]
        assert conn.execute("SELECT version FROM workflows").fetchall() == [(1,)]
