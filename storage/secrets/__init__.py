"""One interface for every secret tether keeps: the OS keyring first, an encrypted vault otherwise."""

from storage.secrets.base import (
    SecretStore,
    SecretStoreError,
    SecretStoreLocked,
    SecretStoreUnavailable,
    VaultDamaged,
    WrongPassphrase,
)

__all__ = [
    "SecretStore",
    "SecretStoreError",
    "SecretStoreLocked",
    "SecretStoreUnavailable",
    "VaultDamaged",
    "WrongPassphrase",
]
