"""Writes made from an old reading merge with changes made since, or are refused; never lost."""

from __future__ import annotations

import pytest

from storage.errors import ChangedElsewhere, Superseded
from storage.records import Status
from storage.service import Storage

SETTINGS = {"host": "imap.example.com", "port": 993, "username": "me"}


def add(storage: Storage) -> int:
    return storage.integrations.add("imap", "Work", dict(SETTINGS), {"password": "pw-1"}).id


def test_changes_to_different_fields_from_the_same_reading_both_stay(storage: Storage) -> None:
    integration_id = add(storage)
    repo = storage.integrations
    opened = repo.get(integration_id)
    repo.update(integration_id, settings={**opened.settings, "host": "mail.example.org"}, opened=opened)
    repo.update(integration_id, settings={**opened.settings, "port": 143}, opened=opened)
    repo.update(integration_id, label="Work mail", opened=opened)
    stored = repo.get(integration_id)
    assert stored.settings == {"host": "mail.example.org", "port": 143, "username": "me"}
    assert stored.label == "Work mail" and stored.version == opened.version + 3


def test_one_field_changed_here_and_elsewhere_is_a_conflict_and_writes_nothing(storage: Storage) -> None:
    integration_id = add(storage)
    repo = storage.integrations
    opened = repo.get(integration_id)
    repo.update(integration_id, settings={**opened.settings, "port": 143}, opened=opened)
    before = repo.get(integration_id)
    with pytest.raises(ChangedElsewhere) as refused:
        repo.update(integration_id, settings={**opened.settings, "port": 995}, label="Other", opened=opened)
    assert (
        str(refused.value)
        == "'Work' was changed elsewhere since you opened it (its port) — reload it and make your change again."
    )
    assert repo.get(integration_id) == before


def test_renamed_elsewhere_and_renamed_here_differently_is_a_conflict(storage: Storage) -> None:
    integration_id = add(storage)
    repo = storage.integrations
    opened = repo.get(integration_id)
    repo.update(integration_id, label="Job", opened=opened)
    with pytest.raises(ChangedElsewhere, match="its label"):
        repo.update(integration_id, label="Office", opened=opened)
    # Making the same change twice is no conflict.
    assert repo.update(integration_id, label="Job", opened=opened).label == "Job"


def test_a_removed_setting_merges_like_a_changed_one(storage: Storage) -> None:
    integration_id = add(storage)
    repo = storage.integrations
    opened = repo.get(integration_id)
    repo.update(integration_id, settings={**opened.settings, "host": "other"}, opened=opened)
    without_username = {key: value for key, value in opened.settings.items() if key != "username"}
    assert repo.update(integration_id, settings=without_username, opened=opened).settings == {
        "host": "other",
        "port": 993,
    }


def test_a_status_write_does_not_make_an_open_form_stale(storage: Storage) -> None:
    integration_id = add(storage)
    repo = storage.integrations
    opened = repo.get(integration_id)
    repo.set_status(integration_id, Status.CONNECTED, summary="INBOX 3 messages")
    assert repo.get(integration_id).version == opened.version
    assert repo.update(integration_id, settings={**opened.settings, "port": 143}, opened=opened).settings["port"] == 143


def test_a_check_outcome_for_settings_changed_meanwhile_is_discarded(storage: Storage) -> None:
    integration_id = add(storage)
    repo = storage.integrations
    checking = repo.get(integration_id)
    repo.set_status(integration_id, Status.CHECKING, expected_version=checking.version)
    repo.update(integration_id, settings={**checking.settings, "host": "broken.invalid"})
    with pytest.raises(Superseded, match="changed while it was being checked"):
        repo.set_status(integration_id, Status.CONNECTED, summary="all good", expected_version=checking.version)
    stored = repo.get(integration_id)
    assert stored.status is Status.NOT_CHECKED and stored.check_summary == ""


def test_a_check_that_learned_settings_keeps_a_change_made_meanwhile(storage: Storage) -> None:
    integration_id = add(storage)
    repo = storage.integrations
    opened = repo.get(integration_id)
    repo.set_status(
        integration_id, Status.CONNECTED, learned_settings={"auth": "PLAIN"}, expected_version=opened.version
    )
    stored = repo.update(integration_id, settings={**opened.settings, "port": 143}, opened=opened)
    assert stored.settings == {**SETTINGS, "port": 143, "auth": "PLAIN"}


def test_workflow_fields_merge_and_conflicts_are_reported(storage: Storage) -> None:
    workflows = storage.workflows
    opened = workflows.add("Digest", schedule="daily 07:00")
    workflows.update(opened.id, description="Morning mail", opened=opened)
    workflows.update(opened.id, schedule="daily 08:00", opened=opened)
    stored = workflows.get(opened.id)
    assert (stored.description, stored.schedule) == ("Morning mail", "daily 08:00")
    with pytest.raises(ChangedElsewhere) as refused:
        workflows.update(opened.id, schedule="hourly", opened=opened)
    assert str(refused.value) == (
        "Workflow 'Digest' was changed elsewhere since you opened it (its schedule) — reload it and make your change again."
    )
    assert workflows.get(opened.id) == stored


def test_a_conflict_leaves_the_stored_secret_as_it_was(storage: Storage) -> None:
    integration_id = add(storage)
    repo = storage.integrations
    opened = repo.get(integration_id)
    repo.update(integration_id, settings={**opened.settings, "host": "elsewhere"}, opened=opened)
    with pytest.raises(ChangedElsewhere):
        repo.update(
            integration_id, settings={**opened.settings, "host": "here"}, secrets={"password": "pw-2"}, opened=opened
        )
    assert repo.read_secrets(repo.get(integration_id)) == {"password": "pw-1"}
