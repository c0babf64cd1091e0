"""The secret store interface and its errors. Messages never carry a secret value."""

from __future__ import annotations

from typing import Protocol

from storage.errors import StorageError


class SecretStoreError(StorageError):
    """A secret could not be read or written; the message says what to do."""


class SecretStoreLocked(SecretStoreError):
    """The vault needs its passphrase before secrets can be read or written."""


class WrongPassphrase(SecretStoreError):
    pass


class VaultDamaged(SecretStoreError):
    pass


class SecretStoreUnavailable(SecretStoreError):
    """The store that holds a secret cannot be reached (e.g. the keyring went away)."""


class SecretStore(Protocol):
    kind: str  # "keyring" or "vault"

    @property
    def description(self) -> str:
        """Which store this is, for a person ("GNOME Keyring via Secret Service")."""
        ...

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None:
        """Remove a secret; removing one that is not there is not an error."""
        ...
