"""Build what a tether run works with, from the data directory the user chose."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from connectors.registry import TypeRegistry, default_types
from storage.paths import ensure_data_dir, resolve_data_dir
from storage.secrets.select import SecretStoreChoice, choose_secret_store
from storage.service import Storage, open_storage


@dataclass
class Context:
    data_dir: Path
    secrets: SecretStoreChoice
    storage: Storage
    # The integration types this run knows (tests hand in their own registry).
    types: TypeRegistry = field(default_factory=default_types)

    @property
    def secrets_usable(self) -> bool:
        vault = self.secrets.vault
        return vault is None or vault.unlocked

    def secrets_ready(self) -> None:
        """Call once the secret store is usable: finishes adds and removals a crash interrupted."""
        self.storage.integrations.finish_pending()


def open_context(data_dir: str | Path | None = None, types: TypeRegistry | None = None) -> Context:
    """Resolve the data directory, choose the secret store, open and migrate the database.

    Choosing the secret store may probe the keyring for up to 3 s: call this off the UI thread.
    """
    path = ensure_data_dir(resolve_data_dir(data_dir))
    choice = choose_secret_store(path)
    storage = open_storage(path, choice.store)
    context = Context(path, choice, storage, types or default_types())
    if context.secrets_usable:
        context.secrets_ready()
    return context
