"""Open everything storage owns for one data directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storage.db import DatabaseError, open_database
from storage.integrations import IntegrationRepository
from storage.metrics import MetricsRepository
from storage.paths import DATABASE_NAME, VAULT_NAME, ensure_data_dir
from storage.secrets.base import SecretStore, SecretStoreError
from storage.secrets.vault import VaultStore
from storage.workflows import WorkflowRepository

WRITERS_LOCK_NAME = "writers.lock"


@dataclass
class Storage:
    data_dir: Path
    integrations: IntegrationRepository
    workflows: WorkflowRepository
    metrics: MetricsRepository

    @property
    def secrets(self) -> SecretStore:
        return self.integrations.secrets


def open_storage(data_dir: Path, secrets: SecretStore) -> Storage:
    """Create the data directory and database if needed, migrate, and hand out the repositories."""
    ensure_data_dir(data_dir)
    refuse_emptied_database(data_dir)
    engine = open_database(data_dir / DATABASE_NAME)
    integrations = IntegrationRepository(engine, secrets, writers_lock=data_dir / WRITERS_LOCK_NAME)
    integrations.reset_interrupted_checks()
    return Storage(data_dir, integrations, WorkflowRepository(engine), MetricsRepository(engine))


def refuse_emptied_database(data_dir: Path) -> None:
    """A zero-length database beside a vault that holds secrets was lost, not never made.

    Starting a new one would orphan every secret in the vault; say so and change nothing.
    """
    database, vault = data_dir / DATABASE_NAME, data_dir / VAULT_NAME
    if not database.is_file() or database.stat().st_size != 0 or not vault.is_file():
        return
    try:
        held = len(VaultStore(vault).keys())
    except SecretStoreError:
        held = -1  # a vault we cannot read still means secrets may be in it
    if held == 0:
        return
    what = f"still holds {held} secrets" if held > 0 else "is still there"
    raise DatabaseError(
        f"{database} is empty (0 bytes) but the secret vault {vault} {what}: the database was lost or cut short. "
        f"Restore it from a backup (or a {DATABASE_NAME}.before-* copy beside it); to start afresh, move both files away."
    )
