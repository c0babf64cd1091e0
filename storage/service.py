"""Open everything storage owns for one data directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storage.db import open_database
from storage.integrations import IntegrationRepository
from storage.metrics import MetricsRepository
from storage.paths import DATABASE_NAME, ensure_data_dir
from storage.secrets.base import SecretStore
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
    engine = open_database(data_dir / DATABASE_NAME)
    integrations = IntegrationRepository(engine, secrets, writers_lock=data_dir / WRITERS_LOCK_NAME)
    integrations.reset_interrupted_checks()
    return Storage(data_dir, integrations, WorkflowRepository(engine), MetricsRepository(engine))
