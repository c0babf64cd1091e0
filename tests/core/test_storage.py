"""Integrations and workflows on a real SQLite file, with a real keyring backend class."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.errors import DuplicateName, NotFound
from storage.integrations import secret_key
from storage.records import Access, LinkSpec, Role, Status
from storage.secrets.keyring_store import KeyringStore
from storage.service import Storage, open_storage
from tests.conftest import MemoryKeyring


def add_imap(storage: Storage, label: str = "Work", password: str = "pw-1") -> int:
    return storage.integrations.add("imap", label, {"host": "imap.example.com", "port": 993}, {"password": password}).id


def test_data_directory_is_created_private(tmp_path: Path) -> None:
    open_storage(tmp_path / "new" / "data", KeyringStore(MemoryKeyring()))
    assert (tmp_path / "new" / "data").stat().st_mode & 0o777 == 0o700


def test_add_keeps_settings_in_the_database_and_the_secret_in_the_store(
    storage: Storage, keyring_backend: MemoryKeyring
) -> None:
    integration_id = add_imap(storage, password="hunter2")
    stored = storage.integrations.get(integration_id)
    assert stored.settings == {"host": "imap.example.com", "port": 993}
    assert stored.secret_names == ("password",) and stored.secret_store == "keyring"
    assert stored.status is Status.NOT_CHECKED
    assert storage.integrations.read_secrets(stored) == {"password": "hunter2"}
    assert "hunter2" not in (storage.data_dir / "tether.db").read_bytes().decode("latin-1")
    assert list(keyring_backend.store.values()) == ["hunter2"]


def test_labels_are_unique_regardless_of_case(storage: Storage, keyring_backend: MemoryKeyring) -> None:
    add_imap(storage, "Work")
    with pytest.raises(DuplicateName, match="already exists"):
        add_imap(storage, "WORK", password="other")
    assert len(storage.integrations.list()) == 1
    assert list(keyring_backend.store.values()) == ["pw-1"]  # the refused one left no secret behind
    assert storage.integrations.find("work").label == "Work"


def test_update_renames_and_replaces_or_keeps_secrets(storage: Storage) -> None:
    integration_id = add_imap(storage)
    storage.workflows.add("Digest", links=[LinkSpec(integration_id, Role.SOURCE)])
    storage.integrations.update(integration_id, label="Job")
    kept = storage.integrations.get(integration_id)
    assert kept.label == "Job" and storage.integrations.read_secrets(kept) == {"password": "pw-1"}
    assert storage.workflows.find("Digest").links[0].integration_label == "Job"
    storage.integrations.update(integration_id, secrets={"password": "pw-2"})
    assert storage.integrations.read_secrets(storage.integrations.get(integration_id)) == {"password": "pw-2"}


def test_changing_settings_resets_a_stale_status(storage: Storage) -> None:
    integration_id = add_imap(storage)
    storage.integrations.set_status(integration_id, Status.CONNECTED, summary="INBOX 3 messages")
    updated = storage.integrations.update(integration_id, settings={"host": "other.example.com", "port": 993})
    assert updated.status is Status.NOT_CHECKED and updated.check_summary == ""


def test_remove_keeps_workflows_and_the_label_they_lost(storage: Storage, keyring_backend: MemoryKeyring) -> None:
    integration_id = add_imap(storage)
    workflow = storage.workflows.add("Digest", schedule="daily", links=[LinkSpec(integration_id, Role.SOURCE)])
    assert [use.workflow_name for use in storage.integrations.get(integration_id).used_by] == ["Digest"]
    storage.integrations.remove(integration_id)
    with pytest.raises(NotFound):
        storage.integrations.get(integration_id)
    after = storage.workflows.get(workflow.id)
    assert after.missing_labels == ["Work"]
    assert keyring_backend.store == {}


def test_workflow_attach_detach_and_access(storage: Storage) -> None:
    mail = add_imap(storage, "Mail")
    feed = storage.integrations.add("ical", "Feed", {}, {"url": "https://example.com/x.ics"}).id
    workflow = storage.workflows.add("Triage", links=[LinkSpec(mail, Role.SOURCE)])
    workflow = storage.workflows.attach(workflow.id, LinkSpec(mail, Role.SINK, Access.WRITE))
    workflow = storage.workflows.attach(workflow.id, LinkSpec(feed, Role.SOURCE))
    assert {(link.integration_label, link.role, link.access) for link in workflow.links} == {
        ("Mail", Role.SOURCE, Access.READ),
        ("Mail", Role.SINK, Access.WRITE),
        ("Feed", Role.SOURCE, Access.READ),
    }
    sink = next(link for link in workflow.links if link.role is Role.SINK)
    workflow = storage.workflows.detach(workflow.id, sink.id)
    assert len(workflow.links) == 2
    storage.workflows.remove(workflow.id)
    assert storage.integrations.get(mail).used_by == ()  # removing a workflow never removes integrations


def test_workflow_names_are_unique(storage: Storage) -> None:
    storage.workflows.add("Digest")
    with pytest.raises(DuplicateName):
        storage.workflows.add("digest")


class FailingOnSecondSet(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        if self.store:
            raise RuntimeError("keyring locked")
        super().set_password(service, username, password)


def test_a_failed_secret_write_leaves_nothing_half_made(tmp_path: Path) -> None:
    backend = FailingOnSecondSet()
    storage = open_storage(tmp_path / "data", KeyringStore(backend))
    with pytest.raises(Exception, match="refused"):
        storage.integrations.add("caldav", "Cal", {"url": "dav.example.com"}, {"password": "a", "username": "b"})
    assert storage.integrations.list() == []
    assert backend.store == {}


def test_pending_rows_from_a_crash_are_finished_at_next_start(tmp_path: Path) -> None:
    """Simulate a crash after the secrets were written but before the row was made visible."""
    backend = MemoryKeyring()
    storage = open_storage(tmp_path / "data", KeyringStore(backend))
    integration_id = add_imap(storage, password="orphan?")
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "tether.db") as conn:
        conn.execute("UPDATE integrations SET pending = 1 WHERE id = ?", (integration_id,))
    assert storage.integrations.list() == []  # a pending row is never shown
    reopened = open_storage(tmp_path / "data", KeyringStore(backend))
    assert reopened.integrations.finish_pending() == 1
    assert backend.store == {}
    assert reopened.integrations.labels() == set()


def test_secret_keys_name_the_integration_not_its_label(storage: Storage, keyring_backend: MemoryKeyring) -> None:
    integration_id = add_imap(storage, "Work")
    ref = storage.integrations.get(integration_id).secret_ref
    assert ("tether", secret_key(ref, "password")) in keyring_backend.store


def test_a_rotated_secret_is_stored_without_resetting_the_status(storage: Storage) -> None:
    integration_id = add_imap(storage)
    storage.integrations.set_status(integration_id, Status.CONNECTED, summary="INBOX 3 messages")
    storage.integrations.rotate_secret(integration_id, "password", "rotated")
    after = storage.integrations.get(integration_id)
    assert after.status is Status.CONNECTED and after.check_summary == "INBOX 3 messages"
    assert storage.integrations.read_secrets(after) == {"password": "rotated"}
    with pytest.raises(NotFound):
        storage.integrations.rotate_secret(integration_id, "refresh_token", "x")
