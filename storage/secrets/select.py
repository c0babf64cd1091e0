"""Decide which secret store to use, and say why, so the user can see it."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from storage.paths import VAULT_NAME
from storage.secrets.base import SecretStoreError
from storage.secrets.keyring_store import KeyringStore, probe_keyring
from storage.secrets.vault import VaultStore

ENV_SECRET_STORE = "TETHER_SECRET_STORE"  # "keyring" or "vault" to choose explicitly
ENV_PASSPHRASE_COMMAND = "TETHER_PASSPHRASE_COMMAND"


@dataclass(frozen=True)
class SecretStoreChoice:
    store: KeyringStore | VaultStore
    reason: str  # a sentence for a person: why this store

    @property
    def kind(self) -> str:
        return self.store.kind

    @property
    def vault(self) -> VaultStore | None:
        return self.store if isinstance(self.store, VaultStore) else None


def choose_secret_store(data_dir: Path, *, probe_timeout: float = 3.0) -> SecretStoreChoice:
    """The OS keyring when it is real and answers; otherwise the encrypted vault. Never plain text.

    Once a vault exists it stays in use, so secrets never end up split between two stores.
    This may take up to ``probe_timeout`` seconds: call it off the UI thread.
    """
    vault = VaultStore(data_dir / VAULT_NAME)
    forced = os.environ.get(ENV_SECRET_STORE, "").strip().lower()
    if forced == "vault":
        return SecretStoreChoice(vault, f"{ENV_SECRET_STORE}=vault asks for the encrypted vault.")
    if vault.path.is_dir() and forced != "keyring":
        # Never fall back to the keyring here: the secrets may be in a vault someone moved aside.
        return SecretStoreChoice(
            vault, f"{vault.path} is a directory, not tether's secret vault file; move it away to use secrets."
        )
    if vault.exists() and forced != "keyring":
        return SecretStoreChoice(vault, "Your secrets are already in the encrypted vault in the data directory.")
    probe = probe_keyring(probe_timeout)
    if probe.backend is not None:
        return SecretStoreChoice(KeyringStore(probe.backend), f"The OS keyring is in use: {probe.reason}.")
    if forced == "keyring":
        raise SecretStoreError(f"{ENV_SECRET_STORE}=keyring, but {probe.reason}.")
    return SecretStoreChoice(vault, f"Using an encrypted vault file (passphrase protected) because {probe.reason}.")


def passphrase_from_command() -> str | None:
    """Run TETHER_PASSPHRASE_COMMAND for unattended use; None when it is not set."""
    command = os.environ.get(ENV_PASSPHRASE_COMMAND)
    if not command:
        return None
    try:
        result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        raise SecretStoreError(f"{ENV_PASSPHRASE_COMMAND} did not finish within 30 s.") from None
    if result.returncode != 0:
        raise SecretStoreError(f"{ENV_PASSPHRASE_COMMAND} failed with exit status {result.returncode}.")
    passphrase = result.stdout.rstrip("\r\n")
    if not passphrase:
        raise SecretStoreError(f"{ENV_PASSPHRASE_COMMAND} printed an empty passphrase.")
    return passphrase


def unlock_from_command(vault: VaultStore | None, *, create: bool = True) -> bool:
    """Unlock the vault with TETHER_PASSPHRASE_COMMAND (or, with ``create``, create a missing one with it).

    The one place that does this for the CLI, the TUI and the MCP server. True when the store can be
    used afterwards, False when it is still locked because the command is not set. Raises
    SecretStoreError when the command fails or prints the wrong passphrase.
    """
    if vault is None or vault.unlocked:
        return True
    if not create and not vault.exists():
        return True  # no vault file yet: no secret to read, and nothing to unlock
    passphrase = passphrase_from_command()
    if passphrase is None:
        return False
    if vault.exists():
        vault.unlock(passphrase)
    else:
        vault.create(passphrase)
    return True
