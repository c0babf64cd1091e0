"""Fixtures for the health tests: storage on a temporary directory with an in-process keyring."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.secrets.keyring_store import KeyringStore
from storage.service import Storage, open_storage
from tests.conftest import MemoryKeyring


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def storage(tmp_path: Path, keyring_backend: MemoryKeyring) -> Storage:
    return open_storage(tmp_path / "data", KeyringStore(keyring_backend))


def add_feed(storage: Storage, label: str = "Team", url: str = "https://example.invalid/team.ics") -> int:
    return storage.integrations.add("ical", label, {}, {"url": url}).id
