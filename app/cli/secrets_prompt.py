"""Unlock or create the vault from the command line: TETHER_PASSPHRASE_COMMAND or a prompt on the terminal."""

from __future__ import annotations

import getpass

import sys

from storage.secrets.base import SecretStoreError, WrongPassphrase
from storage.secrets.select import ENV_PASSPHRASE_COMMAND, SecretStoreChoice, unlock_from_command

MAX_TRIES = 3


def _has_terminal() -> bool:
    try:
        with open("/dev/tty"):
            return True
    except OSError:
        return False


def ensure_unlocked(choice: SecretStoreChoice) -> None:
    """Make the secret store usable, asking for the vault passphrase when needed."""
    vault = choice.vault
    if vault is None or vault.unlocked:
        return
    if unlock_from_command(vault):
        return
    if not _has_terminal():
        raise SecretStoreError(
            f"The secret vault needs its passphrase: run tether in a terminal, or set {ENV_PASSPHRASE_COMMAND} "
            "to a command that prints it."
        )
    print(choice.reason, file=sys.stderr)
    if not vault.exists():
        print("Choose a passphrase for the new vault (at least 8 characters).", file=sys.stderr)
        for _ in range(MAX_TRIES):
            first = getpass.getpass("New vault passphrase: ")
            second = getpass.getpass("Type it again: ")
            if first != second:
                print("The two passphrases differ; try again.", file=sys.stderr)
                continue
            try:
                vault.create(first)
                return
            except SecretStoreError as exc:
                print(exc, file=sys.stderr)
        raise SecretStoreError("No vault passphrase chosen; nothing was stored.")
    for _ in range(MAX_TRIES):
        try:
            vault.unlock(getpass.getpass("Vault passphrase: "))
            return
        except WrongPassphrase as exc:
            print(exc, file=sys.stderr)
    raise WrongPassphrase("Wrong passphrase three times; nothing was changed.")


__all__ = ["ensure_unlocked"]
